//! Live comparison with the installed wimlib-imagex: for every non-`__BAD` real
//! fixture, `wimkit info F`, `info F 1`, `dir F 1`, `info --header F`, `info --blobs F`
//! and `dir --detailed F 1` must print exactly what `wimlib-imagex` prints (stdout,
//! byte for byte), with the same exit status. The split pair is read as a set
//! (`--ref=wimlib_mwl_split*.swm` for `dir`).
//!
//! Fixtures whose codec is not in `wim-compress` yet cannot be decoded; they are
//! listed (never silently dropped) and excluded only while our binary reports the
//! codec as unsupported. Prints `SKIP:` only when wimlib-imagex or the fixtures are
//! absent.

use std::path::{Path, PathBuf};
use std::process::Command;
use wim_format::header::Compression;
use wim_format::{ImageIndex, Wim};

fn real_dir() -> Option<PathBuf> {
    if let Ok(d) = std::env::var("WIMKIT_REAL_DIR") {
        return Some(PathBuf::from(d));
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .map(|a| a.join("shared/testdata/real"))
        .find(|p| p.is_dir())
}

struct Out {
    stdout: Vec<u8>,
    stderr: String,
    code: i32,
}

fn run(prog: &str, dir: &Path, args: &[String]) -> Out {
    let out = Command::new(prog)
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {prog}: {e}"));
    Out {
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
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
    format!(
        "line counts {} vs {}",
        a.lines().count(),
        b.lines().count()
    )
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

#[test]
fn info_and_dir_match_wimlib_imagex() {
    let Some(dir) = real_dir() else {
        eprintln!("SKIP: shared/testdata/real not found");
        return;
    };
    if !wimlib_present() {
        eprintln!("SKIP: wimlib-imagex not installed");
        return;
    }
    let ours = env!("CARGO_BIN_EXE_wimkit");
    let names = fixtures(&dir);
    assert!(names.len() >= 40, "only {} fixtures in {}", names.len(), dir.display());
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
        ];
        let mut d1 = vec!["dir".to_string(), n.clone(), "1".into()];
        d1.extend(refs.iter().cloned());
        let mut dd = vec!["dir".to_string(), "--detailed".into(), n.clone(), "1".into()];
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
