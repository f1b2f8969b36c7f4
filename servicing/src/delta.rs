//! Delta WIMs (`export SRC IMAGE DEST --delta-from BASE.wim`, as wimlib's `--delta-from`):
//! DEST holds the full metadata of the exported images but only the blobs no BASE holds.
//! Readers need every BASE as a reference (`apply DEST 1 DIR --ref BASE.wim`, with wimkit
//! or wimlib-imagex); without it they fail with a missing-blob error. DISM cannot
//! consume such a file.
//!
//! ```text
//! BASE…  ─► blob tables ─► {SHA-1 → size}
//! SRC image ─► copy_image_with(external = base lookup) ─► temp file ─► rename to DEST
//! ```

use crate::atomic::write_replacing;
use crate::error::{Error, Result, UsageKind};
use crate::export::{ExportOptions, copy_image_with, new_builder};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use wim_format::{ImageIndex, Sha1Digest, Wim};

/// What a delta export wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeltaReport {
    /// Indices of the images in DEST.
    pub new_indices: Vec<u32>,
    /// Blobs referenced but left to the bases.
    pub blobs_in_bases: u64,
    /// Their uncompressed size.
    pub bytes_in_bases: u64,
    /// Size of DEST.
    pub file_size: u64,
}

/// Every (non-metadata) blob of the WIMs at `bases`, with its size.
pub fn base_blobs(bases: &[PathBuf]) -> Result<HashMap<Sha1Digest, u64>> {
    let mut out = HashMap::new();
    for b in bases {
        let w = Wim::open(b)?;
        for e in w.blob_table().entries() {
            if !e.is_metadata() {
                out.insert(e.hash, e.size);
            }
        }
    }
    Ok(out)
}

/// Exports `images` of `src` to a new WIM `dest` holding only the blobs absent from
/// every WIM of `bases`. `dest` must not exist (a delta is always a new file).
pub fn export_delta(
    src: &Wim,
    images: &[ImageIndex],
    dest: &Path,
    bases: &[PathBuf],
    opts: &ExportOptions,
) -> Result<DeltaReport> {
    if dest.exists() {
        return Err(Error::Usage(
            UsageKind::InvalidParam,
            format!(
                "\"{}\" exists: a delta WIM (--delta-from) is always written as a new file",
                dest.display()
            ),
        ));
    }
    if images.len() != 1 && (opts.name.is_some() || opts.description.is_some() || opts.boot) {
        return Err(Error::Usage(
            UsageKind::InvalidParam,
            "a new name, description or --boot needs a single source image".into(),
        ));
    }
    let base = base_blobs(bases)?;
    let b = new_builder(src, &opts.write)?;
    let used = std::cell::RefCell::new(HashMap::<Sha1Digest, u64>::new());
    let external = |h: &Sha1Digest| {
        let s = base.get(h).copied();
        if let Some(s) = s {
            used.borrow_mut().insert(*h, s);
        }
        s
    };
    write_replacing(dest, |tmp| {
        let mut w = b.create(tmp)?;
        let mut new = Vec::new();
        for &i in images {
            let idx = copy_image_with(
                src,
                i,
                &mut w,
                opts.write.recompress,
                opts.name.as_deref(),
                opts.description.as_deref(),
                &external,
            )?;
            new.push(idx.get());
        }
        if opts.boot
            && let Some(&n) = new.first()
        {
            w.set_boot_index(n);
        }
        let s = w.finish()?;
        let used = used.borrow();
        Ok(DeltaReport {
            new_indices: new,
            blobs_in_bases: used.len() as u64,
            bytes_in_bases: used.values().fold(0u64, |a, &b| a.saturating_add(b)),
            file_size: s.file_size,
        })
    })
}
