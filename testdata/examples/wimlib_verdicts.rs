//! Prints, for every mutation, what `wimlib-imagex verify` says (a Markdown table used in
//! testdata/README.md). Run: `cargo run -p wim-testdata --example wimlib_verdicts`.
use wim_testdata::mutation::Mutation;

fn verify(paths: &[std::path::PathBuf]) -> (i32, String) {
    let mut args: Vec<String> = vec!["verify".into(), paths[0].display().to_string()];
    if paths.len() > 1 {
        args.push(format!("--ref={}", paths[1].display()));
    }
    let o = match std::process::Command::new("wimlib-imagex")
        .args(&args)
        .output()
    {
        Ok(o) => o,
        Err(e) => return (-1, format!("cannot run wimlib-imagex: {e}")),
    };
    let err = String::from_utf8_lossy(&o.stderr);
    let msg = err
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty() && !l.contains("does not contain integrity information"))
        .unwrap_or("")
        .to_string();
    (o.status.code().unwrap_or(-1), msg)
}

fn main() -> std::io::Result<()> {
    let tmp = tempfile::tempdir()?;
    println!("| mutation | wimlib rc | last message |\n|---|---|---|");
    for m in Mutation::all() {
        let r = m.apply();
        let mut paths = vec![];
        for (i, p) in r.parts.iter().enumerate() {
            let path = tmp.path().join(format!("{}_{}.wim", m.name(), i + 1));
            std::fs::write(&path, p)?;
            paths.push(path);
        }
        let (rc, msg) = verify(&paths);
        println!("| `{}` | {rc} | {} |", m.name(), msg.replace('|', "/"));
    }
    Ok(())
}
