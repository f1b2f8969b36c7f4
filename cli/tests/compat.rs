//! Live comparison with the installed wimlib-imagex: for every non-`__BAD` real
//! fixture, `wimkit info F`, `info F 1`, `info F all`, `info --check F`, `dir F 1`,
//! `info --header F`, `info --blobs F` and `dir --detailed F 1` must print exactly what `wimlib-imagex` prints (stdout,
//! byte for byte), with the same exit status. The split pair is read as a set
//! (`--ref=wimlib_mwl_split*.swm` for `dir`).
//!
//! `dir` needs the image metadata decoded: for a fixture whose codec fails a probe on
//! a known-good file (decoder still a stub on this branch), the `dir` runs are listed
//! as NOT COMPARED, never silently dropped. Prints `SKIP:` only when wimlib-imagex or
//! the fixtures are absent.

use std::path::Path;
use std::process::Command;
use wim_format::header::Compression;
use wim_format::{ImageIndex, Wim};

use wim_testdata::real::real_dir;

use wim_testdata::exec::Exit as Out;

fn run(prog: &str, dir: &Path, args: &[String]) -> Out {
    wim_testdata::exec::run_in(prog, dir, args).unwrap_or_else(|e| panic!("cannot run {prog}: {e}"))
}

/// The first differing line of two outputs, for the failure message.
fn first_diff(a: &[u8], b: &[u8]) -> String {
    let a = String::from_utf8_lossy(a);
    let b = String::from_utf8_lossy(b);
    for (i, (x, y)) in a.lines().zip(b.lines()).enumerate() {
        if x != y {
            return format!("line {}: ours {x:?} vs wimlib {y:?}", i + 1);
        }
    }
    format!("line counts {} vs {}", a.lines().count(), b.lines().count())
}

fn fixtures(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| (n.ends_with(".wim") || n.ends_with(".swm")) && !n.contains("__BAD"))
        .collect();
    names.sort();
    names
}

fn wimlib_present() -> bool {
    Command::new("wimlib-imagex")
        .arg("--version")
        .output()
        .is_ok()
}

/// The codecs our library can decode right now, probed on one known-good fixture per
/// codec (wimlib-imagex verifies all three). A codec whose decoder is still a stub on
/// this branch fails the probe; fixtures using it are then listed as NOT COMPARED.
fn codec_available(dir: &Path, c: Compression) -> Result<(), String> {
    let probe = match c {
        Compression::None => return Ok(()),
        Compression::Xpress => "wimlib_mwl_xpress.wim",
        Compression::Lzx => "wimlib_mwl_lzx.wim",
        Compression::Lzms => "wimlib_mwl_lzms.wim",
    };
    let one = ImageIndex::new(1).ok_or("index")?;
    Wim::open(dir.join(probe))
        .and_then(|w| w.metadata_bytes(one))
        .map(|_| ())
        .map_err(|e| format!("{} decoder fails on {probe}: {e}", c.name()))
}

/// The real-files folder when it and wimlib-imagex are both present (else a loud SKIP).
fn real_dir_and_wimlib() -> Option<std::path::PathBuf> {
    let dir = real_dir()?;
    if !wimlib_present() {
        eprintln!("SKIP: wimlib-imagex not installed");
        return None;
    }
    Some(dir)
}

#[test]
fn info_and_dir_match_wimlib_imagex() {
    let Some(dir) = real_dir_and_wimlib() else {
        return;
    };
    let ours = env!("CARGO_BIN_EXE_wimkit");
    let names = fixtures(&dir);
    assert!(
        names.len() >= 40,
        "only {} fixtures in {}",
        names.len(),
        dir.display()
    );
    let mut failures = Vec::new();
    let mut compared = 0;
    let mut no_codec = Vec::new();
    for n in &names {
        let compression = Wim::open(dir.join(n))
            .map(|w| w.header().compression)
            .unwrap_or_else(|e| panic!("{n}: cannot open: {e}"));
        let decodable = codec_available(&dir, compression);
        let refs: Vec<String> = if n.ends_with(".swm") {
            vec!["--ref=wimlib_mwl_split*.swm".to_string()]
        } else {
            Vec::new()
        };
        let mut cases: Vec<Vec<String>> = vec![
            vec!["info".into(), n.clone()],
            vec!["info".into(), n.clone(), "1".into()],
            vec!["info".into(), "--header".into(), n.clone()],
            vec!["info".into(), "--blobs".into(), n.clone()],
            vec!["info".into(), n.clone(), "all".into()],
            vec!["info".into(), "--check".into(), n.clone()],
        ];
        let mut d1 = vec!["dir".to_string(), n.clone(), "1".into()];
        d1.extend(refs.iter().cloned());
        let mut dd = vec![
            "dir".to_string(),
            "--detailed".into(),
            n.clone(),
            "1".into(),
        ];
        dd.extend(refs.iter().cloned());
        // `info` reads only the header, blob table and (uncompressed) XML; `dir` needs
        // the image metadata decoded.
        match &decodable {
            Ok(()) => {
                cases.push(d1);
                cases.push(dd);
            }
            Err(why) => no_codec.push(format!("dir, dir --detailed of {n}: {why}")),
        }
        // --path / --one-file-only at the deepest directory-looking path of `dir`.
        if decodable.is_ok() {
            let listing = run("wimlib-imagex", &dir, &cases[cases.len() - 2]);
            let text = String::from_utf8_lossy(&listing.stdout).into_owned();
            if let Some(p) = text.lines().filter(|l| l.len() > 1).max_by_key(|l| {
                (
                    text.lines()
                        .filter(|m| m.starts_with(&format!("{l}/")))
                        .count(),
                    l.len(),
                )
            }) {
                for extra in [vec![], vec!["--one-file-only".to_string()]] {
                    let mut a = vec!["dir".to_string(), n.clone(), "1".into()];
                    a.push(format!("--path={p}"));
                    a.extend(extra);
                    a.extend(refs.iter().cloned());
                    cases.push(a);
                }
            }
        }
        for args in cases {
            let want = run("wimlib-imagex", &dir, &args);
            let got = run(ours, &dir, &args);
            compared += 1;
            if want.stdout != got.stdout || want.code != got.code {
                failures.push(format!(
                    "{}: exit {} vs wimlib {}; {}; our stderr: {}",
                    args.join(" "),
                    got.code,
                    want.code,
                    first_diff(&got.stdout, &want.stdout),
                    got.stderr.trim_end()
                ));
            }
        }
    }
    if !no_codec.is_empty() {
        eprintln!(
            "NOT COMPARED (codec not decodable on this branch), {} fixtures:\n  {}",
            no_codec.len(),
            no_codec.join("\n  ")
        );
    }
    eprintln!("compared {compared} runs with wimlib-imagex");
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Text of one field ("Name:", …) in each image block of `info` output.
fn field(text: &str, key: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix(key))
        .map(|v| v.trim().to_string())
        .collect()
}

#[test]
fn json_reports_the_same_facts_as_text() {
    let Some(dir) = real_dir() else {
        return;
    };
    let ours = env!("CARGO_BIN_EXE_wimkit");
    let mut checked = 0;
    for n in fixtures(&dir) {
        let text = run(ours, &dir, &["info".into(), n.clone()]);
        assert_eq!(text.code, 0, "info {n}: {}", text.stderr);
        let text = String::from_utf8_lossy(&text.stdout).into_owned();
        let j = run(ours, &dir, &["info".into(), "--json".into(), n.clone()]);
        let v: serde_json::Value =
            serde_json::from_slice(&j.stdout).unwrap_or_else(|e| panic!("info --json {n}: {e}"));
        let imgs = v["images"]
            .as_array()
            .unwrap_or_else(|| panic!("{n}: images"));
        let names: Vec<String> = imgs
            .iter()
            .map(|i| i["name"].as_str().unwrap_or("?").to_string())
            .collect();
        assert_eq!(names, field(&text, "Name:"), "{n}");
        let files: Vec<String> = imgs.iter().map(|i| i["file_count"].to_string()).collect();
        assert_eq!(files, field(&text, "File Count:"), "{n}");
        assert_eq!(
            v["wim"]["image_count"].to_string(),
            field(&text, "Image Count:")[0],
            "{n}"
        );
        assert_eq!(
            format!("0x{}", v["wim"]["guid"].as_str().unwrap_or("?")),
            field(&text, "GUID:")[0],
            "{n}"
        );
        // --header and --blobs as JSON: counts agree with the text reports.
        let hb = run(
            ours,
            &dir,
            &[
                "info".into(),
                "--json".into(),
                "--header".into(),
                "--blobs".into(),
                n.clone(),
            ],
        );
        let hv: serde_json::Value = serde_json::from_slice(&hb.stdout)
            .unwrap_or_else(|e| panic!("info --json --header --blobs {n}: {e}"));
        let blobs_text = run(ours, &dir, &["info".into(), "--blobs".into(), n.clone()]);
        let blob_count = field(&String::from_utf8_lossy(&blobs_text.stdout), "Hash").len();
        assert_eq!(
            hv["blobs"].as_array().map(Vec::len),
            Some(blob_count),
            "{n}"
        );
        assert_eq!(
            hv["header"]["image_count"].to_string(),
            field(&text, "Image Count:")[0],
            "{n}"
        );
        // dir --json: the same paths as dir, when the image decodes.
        let mut dargs = vec!["dir".to_string(), n.clone(), "1".into()];
        if n.ends_with(".swm") {
            dargs.push("--ref=wimlib_mwl_split*.swm".into());
        }
        let d = run(ours, &dir, &dargs);
        if d.code != 0 {
            continue;
        }
        dargs.push("--json".into());
        let dj = run(ours, &dir, &dargs);
        assert_eq!(dj.code, 0, "dir --json {n}: {}", dj.stderr);
        let dv: serde_json::Value =
            serde_json::from_slice(&dj.stdout).unwrap_or_else(|e| panic!("dir --json {n}: {e}"));
        let paths: Vec<String> = dv["images"][0]["entries"]
            .as_array()
            .unwrap_or_else(|| panic!("{n}: entries"))
            .iter()
            .map(|e| e["path"].as_str().unwrap_or("?").to_string())
            .collect();
        let text_paths: Vec<String> = String::from_utf8_lossy(&d.stdout)
            .lines()
            .map(str::to_string)
            .collect();
        assert_eq!(paths, text_paths, "dir --json {n}");
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} dir --json comparisons");
}

/// The last `\r`-segment of every stdout line (what a terminal would show).
fn shown_lines(b: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(b)
        .split('\n')
        .map(|l| l.rsplit('\r').next().unwrap_or("").to_string())
        .collect()
}

#[test]
fn verify_progress_layout_matches_wimlib() {
    let Some(dir) = real_dir_and_wimlib() else {
        return;
    };
    let ours = env!("CARGO_BIN_EXE_wimkit");
    let mut compared = 0;
    for n in fixtures(&dir) {
        let c = Wim::open(dir.join(&n)).map(|w| w.header().compression);
        if !matches!(c, Ok(c) if codec_available(&dir, c).is_ok()) {
            continue;
        }
        let mut args = vec!["verify".to_string(), n.clone()];
        if n.ends_with(".swm") {
            args.push("--ref=wimlib_mwl_split*.swm".into());
        }
        let want = run("wimlib-imagex", &dir, &args);
        let got = run(ours, &dir, &args);
        let what = args.join(" ");
        if n.contains("duplicate_names") {
            // A file and a directory of the same name: ignored with wimlib's warning,
            // and the file still verifies (only conflicting data for one path fails).
            assert!(
                got.stderr.contains("Ignoring duplicate file"),
                "{what}: {}",
                got.stderr
            );
        }
        assert_eq!(got.code, want.code, "{what}: {}", got.stderr);
        assert_eq!(
            shown_lines(&got.stdout),
            shown_lines(&want.stdout),
            "{what}"
        );
        // Progress starts at 0 like wimlib's.
        assert!(
            String::from_utf8_lossy(&got.stdout).contains("\rVerifying file data: 0 "),
            "{what}"
        );
        let mut q = args.clone();
        q.push("--quiet".into());
        let quiet = run(ours, &dir, &q);
        assert_eq!(quiet.code, 0, "{what} --quiet");
        assert!(quiet.stdout.is_empty(), "{what} --quiet printed on stdout");
        let mut j = args.clone();
        j.push("--json".into());
        let jr = run(ours, &dir, &j);
        let v: serde_json::Value =
            serde_json::from_slice(&jr.stdout).unwrap_or_else(|e| panic!("{what} --json: {e}"));
        assert_eq!(v["ok"], serde_json::Value::Bool(true), "{what}");
        compared += 1;
    }
    assert!(compared >= 10, "only {compared} verify runs compared");
}
