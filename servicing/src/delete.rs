//! `wimdelete`: remove images.
//!
//! ```text
//! default: rebuild the other images into a temp file + rename (drops unreferenced data)
//! --soft:  in place: new blob table + XML after the old end, header last
//!          (metadata resource and blobs of the image stay as unreferenced bytes)
//! ```

use crate::error::Result;
use crate::export::{WriteOptions, load_tree};
use crate::optimize::rebuild;
use std::path::Path;
use wim_format::{ImageIndex, Wim, WimWriterBuilder};

/// Options of [`delete_images`].
#[derive(Debug, Clone, Copy, Default)]
pub struct DeleteOptions {
    /// Only drop the metadata and XML, in place.
    pub soft: bool,
    /// Write an integrity table (`--check`); otherwise an existing one is kept.
    pub integrity: bool,
    /// Compression threads for a rebuild (0 = one per CPU).
    pub threads: usize,
}

/// Deletes `images` (any order, duplicates ignored) from the WIM at `path`.
pub fn delete_images(path: &Path, images: &[ImageIndex], opts: &DeleteOptions) -> Result<()> {
    let src = Wim::open(path)?;
    if src.header().is_split() {
        return Err(crate::Error::Usage(
            crate::error::UsageKind::InvalidParam,
            "cannot delete images from a split WIM".into(),
        ));
    }
    for i in images {
        if i.get() > src.image_count() {
            return Err(
                wim_format::Error::Usage(wim_format::error::UsageError::NoSuchImage(
                    i.get().to_string(),
                ))
                .into(),
            );
        }
    }
    let mut del: Vec<u32> = images.iter().map(|i| i.get()).collect();
    del.sort_unstable();
    del.dedup();
    if opts.soft && src.header().pipable {
        drop(src);
        return crate::pipable::edit_pipable(path, |p| delete_images(p, images, opts));
    }
    if opts.soft {
        let mut refs = Vec::new();
        for &d in &del {
            if let Some(ix) = ImageIndex::new(d) {
                refs.push((ix, load_tree(&src, ix)?.blob_references()));
            }
        }
        drop(src);
        let mut b = WimWriterBuilder::new().threads(opts.threads);
        if opts.integrity {
            b = b.integrity(true);
        }
        let mut w = b.append(path)?;
        for (ix, r) in refs.iter().rev() {
            w.remove_image(*ix, r)?;
        }
        w.finish()?;
        return Ok(());
    }
    let keep: Vec<ImageIndex> = (1..=src.image_count())
        .filter(|i| del.binary_search(i).is_err())
        .filter_map(ImageIndex::new)
        .collect();
    let wo = WriteOptions {
        threads: opts.threads,
        integrity: opts.integrity.then_some(true),
        ..Default::default()
    };
    rebuild(&src, &keep, path, &wo)?;
    Ok(())
}
