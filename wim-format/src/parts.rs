//! Split sets and reference files: the files a [`crate::Wim`] reads blobs from, and the
//! rules tying split parts together (same GUID, same total, every part present once).
//! `wim-format.md` §9. Glob expansion of `--ref` happens in the CLI; this module takes
//! paths.

use crate::error::{FormatError, FormatErrorKind};
use crate::header::WimHeader;
use crate::limits::Limits;
use crate::ondisk::header::HEADER_SIZE;
use crate::source::ReadAt;
use crate::{Error, Result};
use std::path::PathBuf;
use std::sync::Arc;

/// One open file of a WIM: the opened file, a split part or a reference WIM.
#[derive(Clone)]
pub struct Part {
    /// The data source.
    pub source: Arc<dyn ReadAt>,
    /// Its validated header (for pipable WIMs, the complete trailing header).
    pub header: WimHeader,
    /// The path it was opened from, if any.
    pub path: Option<PathBuf>,
    /// Its length in bytes.
    pub len: u64,
}

impl std::fmt::Debug for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Part")
            .field("path", &self.path)
            .field("len", &self.len)
            .field("part", &(self.header.part_number, self.header.total_parts))
            .finish()
    }
}

impl Part {
    /// Reads and validates the header of `source`. For a pipable WIM whose leading
    /// header has no blob table, the complete header at the end of the file is used.
    pub fn open(source: Arc<dyn ReadAt>, path: Option<PathBuf>, limits: &Limits) -> Result<Self> {
        let len = source.len()?;
        let mut buf = [0u8; HEADER_SIZE];
        let n = usize::try_from(len.min(HEADER_SIZE as u64)).unwrap_or(HEADER_SIZE);
        source
            .read_exact_at(&mut buf[..n], 0)
            .map_err(|e| Error::io_at(e, 0))?;
        let mut header = WimHeader::parse(&buf[..n], limits)?;
        if header.pipable && header.blob_table.is_zero() {
            if len < 2 * HEADER_SIZE as u64 {
                return Err(FormatError::new(
                    FormatErrorKind::Truncated,
                    "pipable WIM has no trailing header (not seekable or truncated)",
                )
                .at(len)
                .into());
            }
            let at = len - HEADER_SIZE as u64;
            source
                .read_exact_at(&mut buf, at)
                .map_err(|e| Error::io_at(e, at))?;
            let trailing =
                WimHeader::parse(&buf, limits).map_err(|e| e.map_format(|f| f.at_if_unset(at)))?;
            if !trailing.pipable || trailing.guid != header.guid {
                return Err(FormatError::new(
                    FormatErrorKind::BadHeader,
                    "the trailing header of the pipable WIM does not match the leading one",
                )
                .at(at)
                .into());
            }
            header = trailing;
        }
        Ok(Part {
            source,
            header,
            path,
            len,
        })
    }

    /// A human-readable name for messages.
    pub fn name(&self) -> String {
        match &self.path {
            Some(p) => p.display().to_string(),
            None => "<source>".to_string(),
        }
    }
}

/// Checks that `parts` (the opened file first) form a consistent set: parts sharing the
/// first file's GUID must agree on the total, and if any such part besides the first is
/// given, every part `1..=total` must be present. Returns the indices of the split parts,
/// ordered by part number; other files are reference WIMs. Duplicate parts (e.g. the
/// opened file matched again by a `--ref` glob) are dropped from the returned set.
pub fn check_split_set(parts: &[Part]) -> Result<Vec<usize>> {
    let Some(first) = parts.first() else {
        return Ok(Vec::new());
    };
    let guid = first.header.guid;
    let total = first.header.total_parts;
    let mut slots: Vec<Option<usize>> = vec![None; total as usize];
    let mut members = 0usize;
    for (i, p) in parts.iter().enumerate() {
        if p.header.guid != guid {
            continue;
        }
        if p.header.total_parts != total {
            return Err(FormatError::new(
                FormatErrorKind::SplitMismatch,
                format!(
                    "{} is part {} of {}, but {} belongs to a set of {total}",
                    p.name(),
                    p.header.part_number,
                    p.header.total_parts,
                    first.name()
                ),
            )
            .at(0x2A)
            .into());
        }
        let slot = slots.get_mut(usize::from(p.header.part_number).saturating_sub(1));
        match slot {
            Some(s @ None) => {
                *s = Some(i);
                members += 1;
            }
            // The same part given twice (e.g. `--ref "x*.swm"` naming part 1 again).
            Some(Some(j)) if parts.get(*j).is_some_and(|q| q.header.raw == p.header.raw) => {}
            Some(Some(j)) => {
                return Err(FormatError::new(
                    FormatErrorKind::SplitMismatch,
                    format!(
                        "{} and {} both claim to be part {} of the split set {guid}",
                        parts.get(*j).map(Part::name).unwrap_or_default(),
                        p.name(),
                        p.header.part_number
                    ),
                )
                .at(0x28)
                .into());
            }
            None => {}
        }
    }
    // Parts of another set given where this set's parts were expected: with references
    // given, every part of a split set must be found.
    let foreign = parts
        .iter()
        .find(|p| p.header.guid != guid && p.header.total_parts > 1);
    if total > 1
        && let Some(f) = foreign
        && let Some(missing) = slots.iter().position(Option::is_none)
    {
        return Err(FormatError::new(
            FormatErrorKind::SplitMismatch,
            format!(
                "{} belongs to the split set {}, not to {guid} of {}; part {} of {total} is missing",
                f.name(),
                f.header.guid,
                first.name(),
                missing + 1
            ),
        )
        .at(0x18)
        .into());
    }
    if members > 1 || total == 1 {
        let missing = slots.iter().position(Option::is_none);
        if let Some(missing) = missing {
            return Err(FormatError::new(
                FormatErrorKind::SplitMismatch,
                format!(
                    "part {} of {total} of the split set {guid} is missing",
                    missing + 1
                ),
            )
            .into());
        }
    }
    Ok(slots.into_iter().flatten().collect())
}
