//! `wimjoin`: a split set back into one WIM (≈ export part1 --ref=parts all OUT).

use crate::error::{Error, Result, UsageKind};
use crate::export::WriteOptions;
use crate::optimize::{RebuildReport, rebuild};
use std::path::{Path, PathBuf};
use wim_format::{ImageIndex, Wim};

/// Joins `parts` (any order; all must be given) into `out`.
pub fn join(out: &Path, parts: &[PathBuf], integrity: bool) -> Result<RebuildReport> {
    let mut first = None;
    for p in parts {
        let w = Wim::open(p)?;
        if w.header().part_number == 1 {
            first = Some(p.clone());
            break;
        }
    }
    let first = first.ok_or_else(|| {
        Error::Usage(
            UsageKind::InvalidParam,
            "no part 1 among the split WIM parts".into(),
        )
    })?;
    let others: Vec<PathBuf> = parts.iter().filter(|p| **p != first).cloned().collect();
    let src = Wim::options().references(others).open(&first)?;
    let total = usize::from(src.header().total_parts);
    if src.parts().len() != total {
        return Err(Error::Usage(
            UsageKind::InvalidParam,
            format!(
                "the split WIM has {total} parts but {} were given",
                src.parts().len()
            ),
        ));
    }
    let keep: Vec<ImageIndex> = (1..=src.image_count())
        .filter_map(ImageIndex::new)
        .collect();
    let wo = WriteOptions {
        integrity: Some(integrity),
        ..Default::default()
    };
    rebuild(&src, &keep, out, &wo)
}
