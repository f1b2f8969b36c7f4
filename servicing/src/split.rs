//! `wimsplit`: a WIM into `x.swm`, `x2.swm`, … of at most a given size (a blob is never
//! divided). Parts are written by `wim_format::write::split`.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};
use wim_format::Wim;

/// Parses a part size in MiB (fractional allowed, `.` decimal point) into bytes.
pub fn part_size_from_mib(text: &str) -> Option<u64> {
    let v: f64 = text.trim().parse().ok()?;
    if !v.is_finite() || v <= 0.0 {
        return None;
    }
    let b = v * 1_048_576.0;
    if b >= u64::MAX as f64 {
        return None;
    }
    Some((b as u64).max(1))
}

/// Splits the WIM at `src` into parts named after `first`; returns the part paths.
pub fn split(src: &Path, first: &Path, part_size: u64) -> Result<Vec<PathBuf>> {
    let wim = Wim::open(src)?;
    // wimlib refuses solid resources, not version 0xE00 (non-solid LZMS WIMs split).
    if wim.blob_table().entries().iter().any(|e| e.is_solid()) {
        return Err(Error::Wim(wim_format::Error::Unsupported(
            wim_format::error::Unsupported::Other(
                "Splitting of WIM containing solid resources is not supported. Export it in non-solid format first.".into(),
            ),
        )));
    }
    if wim.header().pipable {
        // As wimlib: the parts of a pipable WIM are pipable.
        return Ok(wim_format::write::pipable::split_pipable(
            &wim, first, part_size,
        )?);
    }
    Ok(wim_format::write::split::split_wim(&wim, first, part_size)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mib_parsing() {
        assert_eq!(part_size_from_mib("1"), Some(1 << 20));
        assert_eq!(part_size_from_mib("0.5"), Some(1 << 19));
        assert_eq!(part_size_from_mib("0.01"), Some(10485));
        assert_eq!(part_size_from_mib("0"), None);
        assert_eq!(part_size_from_mib("-1"), None);
        assert_eq!(part_size_from_mib("x"), None);
    }
}
