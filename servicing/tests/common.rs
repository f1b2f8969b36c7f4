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

/// Applies image `image` with wimkit to `dir`.
pub fn apply_ours(parts: &[PathBuf], image: u32, dir: &Path) -> Result<Vec<String>, String> {
    let wim = open(parts)?;
    let ix = ImageIndex::new(image).ok_or("image 0")?;
    apply_image(&wim, ix, dir, &ApplyOptions::default(), &|_| {})
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
