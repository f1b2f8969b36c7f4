//! Interop matrix: a fixture tree (hard links, symlinks, empty files, long and Unicode
//! names, deep directories, compressible and incompressible data) captured by
//! `wimlib-imagex` in every storage variant; each must pass `wimlib-imagex verify` and
//! apply with wimkit to exactly what `wimlib-imagex apply` gives.

mod common;

use std::path::{Path, PathBuf};
use wim_testdata::oracle;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// (name, capture args, how to post-process) → the WIM parts to open.
fn build_variant(name: &str, src: &Path, src2: &Path, dir: &Path) -> Result<Vec<PathBuf>, String> {
    let w = dir.join(format!("{name}.wim"));
    let cap = |args: &[&str]| oracle::capture(src, &w, args).map(|_| ());
    match name {
        "none" => cap(&["--compress=none"])?,
        "xpress4k" => cap(&["--compress=XPRESS", "--chunk-size=4K"])?,
        "xpress16k" => cap(&["--compress=XPRESS", "--chunk-size=16K"])?,
        "xpress64k" => cap(&["--compress=XPRESS", "--chunk-size=64K"])?,
        "lzx32k" => cap(&["--compress=LZX", "--chunk-size=32K"])?,
        "lzx256k" => cap(&["--compress=LZX", "--chunk-size=256K"])?,
        "lzx2m" => cap(&["--compress=LZX", "--chunk-size=2M"])?,
        "lzms128k" => cap(&["--compress=LZMS", "--chunk-size=128K"])?,
        "solid" => cap(&["--solid"])?,
        "pipable" => cap(&["--pipable"])?,
        "pipable-none" => cap(&["--pipable", "--compress=none"])?,
        "check" => cap(&["--check"])?,
        "check-none" => cap(&["--check", "--compress=none"])?,
        "split" => {
            cap(&["--compress=none"])?;
            let part1 = dir.join("split.swm");
            oracle::run(&[
                "split".as_ref(),
                w.as_os_str(),
                part1.as_os_str(),
                "1".as_ref(),
            ])?;
            let mut parts = vec![part1];
            for i in 2..100 {
                let p = dir.join(format!("split{i}.swm"));
                if !p.exists() {
                    break;
                }
                parts.push(p);
            }
            if parts.len() < 2 {
                return Err("split made a single part; the fixture is too small".into());
            }
            return Ok(parts);
        }
        "multi" | "multi-none" => {
            cap(&[if name == "multi" {
                "--compress=LZX"
            } else {
                "--compress=none"
            }])?;
            oracle::run(&[
                "append".as_ref(),
                src2.as_os_str(),
                w.as_os_str(),
                "second".as_ref(),
            ])?;
        }
        other => return Err(format!("unknown variant {other}")),
    }
    Ok(vec![w])
}

#[test]
fn wimlib_capture_matrix_applies_identically() {
    if !oracle::require_wimlib("wimlib_capture_matrix_applies_identically") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    wim_testdata::tree::make_fixture_tree(&src, wim_testdata::tree::SizeClass::Medium).unwrap();
    // The second image shares most blobs with the first and adds/changes a few.
    let src2 = tmp.path().join("src2");
    wim_testdata::tree::make_fixture_tree(&src2, wim_testdata::tree::SizeClass::Medium).unwrap();
    std::fs::write(src2.join("docs/extra.txt"), b"only in image 2\n").unwrap();
    std::fs::remove_file(src2.join("dup/two.txt")).unwrap();
    let variants = [
        "none",
        "xpress4k",
        "xpress16k",
        "xpress64k",
        "lzx32k",
        "lzx256k",
        "lzx2m",
        "lzms128k",
        "solid",
        "split",
        "pipable",
        "pipable-none",
        "check",
        "check-none",
        "multi",
        "multi-none",
    ];
    let mut failures = Vec::new();
    let mut passed = Vec::new();
    for v in variants {
        let dir = tmp.path().join(v);
        std::fs::create_dir_all(dir.join("apply")).unwrap();
        let t0 = std::time::Instant::now();
        let r = build_variant(v, &src, &src2, &dir).and_then(|parts| {
            let args: Vec<String> = if v == "split" {
                vec![format!("--ref={}", s(&dir.join("split*.swm")))]
            } else {
                Vec::new()
            };
            let a: Vec<&str> = args.iter().map(String::as_str).collect();
            oracle::verify(&parts[0], &a).map_err(|e| format!("wimlib verify: {e}"))?;
            common::verify_ours(&parts)?;
            common::compare_with_wimlib(&parts, &dir.join("apply"))
        });
        match r {
            Ok(()) => passed.push(format!("{v} ({:.1?})", t0.elapsed())),
            Err(e) => failures.push(format!("{v}: {e}")),
        }
    }
    println!("passed: {}", passed.join(", "));
    assert!(
        failures.is_empty(),
        "{} of {} variants failed:\n{}",
        failures.len(),
        variants.len(),
        failures.join("\n")
    );
}

/// `--unix-data`: owners and modes captured by wimlib come back identically with both
/// tools' `apply --unix-data`.
#[test]
fn unix_data_applies_like_wimlib() {
    if !oracle::require_wimlib("unix_data_applies_like_wimlib") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    wim_testdata::tree::make_fixture_tree(&src, wim_testdata::tree::SizeClass::Small).unwrap();
    // Modes that differ from the umask default, so a missing restore is caught.
    std::fs::write(src.join("exec.sh"), b"#!/bin/sh\n").unwrap();
    std::fs::set_permissions(
        src.join("exec.sh"),
        std::os::unix::fs::PermissionsExt::from_mode(0o751),
    )
    .unwrap();
    std::fs::create_dir(src.join("private")).unwrap();
    std::fs::set_permissions(
        src.join("private"),
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    let wim = tmp.path().join("unix.wim");
    oracle::capture(&src, &wim, &["--unix-data"]).unwrap();
    let parts = vec![wim.clone()];
    common::verify_ours(&parts).unwrap();
    let target = tmp.path().join("apply");
    let ours = tmp.path().join("apply.ours");
    let opts = servicing::apply::ApplyOptions {
        unix_data: true,
        ..Default::default()
    };
    common::apply_ours_with(&parts, 1, &target, &opts).unwrap();
    std::fs::rename(&target, &ours).unwrap();
    oracle::apply(&wim, "1", &target, &["--unix-data"]).unwrap();
    let strict = oracle::DiffOptions {
        modes: true,
        mtimes: true,
        owners: true,
    };
    oracle::diff_trees_with(&ours, &target, &strict).unwrap();
    // And the restore really happened: the odd modes are there.
    let m = std::fs::metadata(ours.join("exec.sh")).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o7777,
        0o751
    );
    let m = std::fs::metadata(ours.join("private")).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o7777,
        0o700
    );
}
