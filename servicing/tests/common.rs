//! Shared helpers: apply with wimkit and with wimlib-imagex to the same path, compare.
#![allow(dead_code)]

use servicing::apply::{ApplyOptions, apply_image};
use std::path::{Path, PathBuf};
use wim_format::{ImageIndex, Wim};

/// Opens `parts[0]` with the other paths as references.
pub fn open(parts: &[PathBuf]) -> Result<Wim, String> {
    wim_format::wim::OpenOptions::new()
        .references(parts[1..].iter().cloned())
        .open(&parts[0])
        .map_err(|e| format!("open: {e}"))
}

/// Verifies `parts` with our reader the way `wimkit verify` does: integrity table (when
/// present), every image's metadata (parsed strictly), every blob's SHA-1.
pub fn verify_ours(parts: &[PathBuf]) -> Result<(), String> {
    let wim = open(parts)?;
    wim.check_integrity()
        .map_err(|e| format!("wimkit integrity: {e}"))?;
    for i in 1..=wim.image_count() {
        let ix = ImageIndex::new(i).ok_or("image 0")?;
        let bytes = wim
            .metadata_bytes(ix)
            .map_err(|e| format!("wimkit metadata of image {i}: {e}"))?;
        wim_format::metadata::ImageMetadata::parse_strict(&bytes, wim.limits())
            .map_err(|e| format!("wimkit metadata of image {i}: {e}"))?;
    }
    wim.verify_blobs(&|_| {})
        .and_then(|r| r.into_result())
        .map_err(|e| format!("wimkit verify: {e}"))
}

/// Applies image `image` with wimkit to `dir`.
pub fn apply_ours(parts: &[PathBuf], image: u32, dir: &Path) -> Result<Vec<String>, String> {
    apply_ours_with(parts, image, dir, &ApplyOptions::default())
}

/// Applies image `image` with wimkit to `dir` with `opts`.
pub fn apply_ours_with(
    parts: &[PathBuf],
    image: u32,
    dir: &Path,
    opts: &ApplyOptions,
) -> Result<Vec<String>, String> {
    let wim = open(parts)?;
    let ix = ImageIndex::new(image).ok_or("image 0")?;
    apply_image(&wim, ix, dir, opts, &|_| {})
        .map(|s| s.warnings)
        .map_err(|e| format!("apply: {e}"))
}

/// Applies every image of `parts` with both tools, each to the same path in turn
/// (absolute link targets embed it), and compares the trees.
pub fn compare_with_wimlib(parts: &[PathBuf], work: &Path) -> Result<(), String> {
    let wim = open(parts)?;
    let n = wim.image_count();
    drop(wim);
    let mut errs = Vec::new();
    for i in 1..=n {
        let p = work.join(format!("img{i}"));
        let ours = work.join(format!("img{i}.ours"));
        let _ = std::fs::remove_dir_all(&p);
        let _ = std::fs::remove_dir_all(&ours);
        if let Err(e) = apply_ours(parts, i, &p) {
            errs.push(format!("image {i}: wimkit {e}"));
            continue;
        }
        std::fs::rename(&p, &ours).map_err(|e| e.to_string())?;
        let mut args: Vec<String> = Vec::new();
        for r in &parts[1..] {
            args.push(format!("--ref={}", r.display()));
        }
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        if let Err(e) = wim_testdata::oracle::apply(&parts[0], &i.to_string(), &p, &a) {
            errs.push(format!("image {i}: wimlib-imagex apply failed: {e}"));
            continue;
        }
        if let Err(d) = wim_testdata::oracle::diff_trees(&ours, &p) {
            errs.push(format!("image {i}: trees differ:\n{d}"));
        }
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(errs.join("\n"))
    }
}
