//! Writes `testdata/sample/sample.wim` (deterministic) — see `testdata/README.md`.

fn main() {
    let path = wim_testdata::sample::sample_path();
    let bytes = wim_testdata::sample::sample_bytes();
    if let Some(dir) = path.parent()
        && let Err(e) = std::fs::create_dir_all(dir)
    {
        eprintln!("cannot create {}: {e}", dir.display());
        std::process::exit(1);
    }
    if let Err(e) = std::fs::write(&path, &bytes) {
        eprintln!("cannot write {}: {e}", path.display());
        std::process::exit(1);
    }
    println!("wrote {} ({} bytes)", path.display(), bytes.len());
}
