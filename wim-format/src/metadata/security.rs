//! The security data at the start of a metadata resource.
//!
//! ```text
//! +0x00 u32 total length of this block (0 means 8), rounded up to 8 by readers
//! +0x04 u32 number of descriptors (at most 0x80000000)
//! +0x08 u64 size[count]
//!       …   self-relative SECURITY_DESCRIPTORs back to back, then zero padding to 8
//! ```
//!
//! Dentries refer to descriptors by 0-based index (`-1` = none). Descriptors are kept as
//! raw bytes; nothing here interprets them.

use crate::error::{FormatError, FormatErrorKind, Result};
use crate::limits::Limits;

/// Largest descriptor count the format allows.
pub const MAX_DESCRIPTORS: u32 = 0x8000_0000;

/// The security descriptors of one image, as raw self-relative descriptors.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SecurityData {
    total_length: u32,
    descriptors: Vec<Vec<u8>>,
}

fn bad(detail: String, at: u64) -> crate::Error {
    FormatError::new(FormatErrorKind::BadMetadata, detail)
        .at(at)
        .into()
}

impl SecurityData {
    /// Parses the security block at the start of `bytes` (the uncompressed metadata
    /// resource). Returns the data and the 8-aligned offset where the root dentry starts.
    pub fn parse(bytes: &[u8], limits: &Limits) -> Result<(SecurityData, usize)> {
        let short = |at: usize| -> crate::Error {
            FormatError::new(
                FormatErrorKind::Truncated,
                format!(
                    "metadata resource of {} bytes ends inside the security data",
                    bytes.len()
                ),
            )
            .at(at as u64)
            .into()
        };
        let total = crate::bytes::le_u32(bytes, 0).ok_or_else(|| short(0))?;
        let count = crate::bytes::le_u32(bytes, 4).ok_or_else(|| short(4))?;
        let total_eff = if total == 0 { 8 } else { total };
        if total_eff < 8 {
            return Err(bad(format!("security data length {total} is below 8"), 0));
        }
        let total_usize = usize::try_from(total_eff).map_err(|_| short(0))?;
        let root = total_usize
            .checked_add(7)
            .map(|v| v & !7)
            .ok_or_else(|| short(0))?;
        if root > bytes.len() {
            return Err(bad(
                format!(
                    "security data length {total} exceeds the metadata resource size {}",
                    bytes.len()
                ),
                0,
            ));
        }
        if count > MAX_DESCRIPTORS {
            return Err(bad(
                format!("security descriptor count {count} is above 0x80000000"),
                4,
            ));
        }
        Limits::check(
            "security descriptor count",
            u64::from(count),
            limits.max_security_descriptors,
        )?;
        let sizes_end = u64::from(count)
            .checked_mul(8)
            .and_then(|v| v.checked_add(8))
            .ok_or_else(|| bad("security descriptor count overflows".into(), 4))?;
        if sizes_end > u64::from(total_eff) {
            return Err(bad(
                format!(
                    "{count} descriptor sizes need {sizes_end} bytes but the security data is {total_eff} bytes"
                ),
                4,
            ));
        }
        // count * 8 <= total <= bytes.len(): the allocation is bounded by the input.
        let mut descriptors = Vec::with_capacity(count as usize);
        let mut pos = sizes_end as usize;
        for i in 0..count as usize {
            let size_at = 8 + i * 8;
            let size = crate::bytes::le_u64(bytes, size_at).ok_or_else(|| short(size_at))?;
            let end = usize::try_from(size)
                .ok()
                .and_then(|s| pos.checked_add(s))
                .filter(|&e| e <= total_usize);
            let Some(end) = end else {
                return Err(bad(
                    format!(
                        "security descriptor {i} of {size} bytes at 0x{pos:x} overruns the security data ({total_eff} bytes)"
                    ),
                    size_at as u64,
                ));
            };
            descriptors.push(bytes[pos..end].to_vec());
            pos = end;
        }
        Ok((
            SecurityData {
                total_length: total,
                descriptors,
            },
            root,
        ))
    }

    /// The on-disk total length field (as stored; 0 is kept as 0).
    pub fn total_length(&self) -> u32 {
        self.total_length
    }
    /// Number of descriptors.
    pub fn len(&self) -> usize {
        self.descriptors.len()
    }
    /// True when there are no descriptors.
    pub fn is_empty(&self) -> bool {
        self.descriptors.is_empty()
    }
    /// Descriptor `id` (0-based), if present.
    pub fn get(&self, id: u32) -> Option<&[u8]> {
        self.descriptors.get(id as usize).map(Vec::as_slice)
    }
    /// All descriptors in order.
    pub fn descriptors(&self) -> &[Vec<u8>] {
        &self.descriptors
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(total: u32, sizes: &[u64], body: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&total.to_le_bytes());
        v.extend_from_slice(&(sizes.len() as u32).to_le_bytes());
        for s in sizes {
            v.extend_from_slice(&s.to_le_bytes());
        }
        v.extend_from_slice(body);
        while v.len() % 8 != 0 {
            v.push(0);
        }
        v
    }

    #[test]
    fn parses_descriptors() {
        let b = block(8 + 16 + 5, &[2, 3], &[1, 2, 3, 4, 5]);
        let (s, root) = SecurityData::parse(&b, &Limits::default()).unwrap();
        assert_eq!(root, 32);
        assert_eq!(s.len(), 2);
        assert_eq!(s.get(0), Some(&[1u8, 2][..]));
        assert_eq!(s.get(1), Some(&[3u8, 4, 5][..]));
        assert_eq!(s.get(2), None);
    }

    #[test]
    fn zero_length_means_eight() {
        let b = block(0, &[], &[]);
        let (s, root) = SecurityData::parse(&b, &Limits::default()).unwrap();
        assert_eq!((s.len(), root), (0, 8));
    }

    #[test]
    fn rejects_overrun_and_truncation() {
        let b = block(8 + 8 + 2, &[9], &[1, 2]);
        let e = SecurityData::parse(&b, &Limits::default()).unwrap_err();
        assert_eq!(e.format_kind(), Some(FormatErrorKind::BadMetadata));
        assert!(matches!(&e, crate::Error::Format(f) if f.offset() == Some(8)));
        let e = SecurityData::parse(&[0, 0, 0], &Limits::default()).unwrap_err();
        assert_eq!(e.format_kind(), Some(FormatErrorKind::Truncated));
        let b = block(4096, &[], &[]);
        let e = SecurityData::parse(&b, &Limits::default()).unwrap_err();
        assert_eq!(e.format_kind(), Some(FormatErrorKind::BadMetadata));
    }

    #[test]
    fn descriptor_count_limit() {
        let b = block(8 + 16, &[0, 0], &[]);
        let limits = Limits {
            max_security_descriptors: 1,
            ..Limits::default()
        };
        let e = SecurityData::parse(&b, &limits).unwrap_err();
        assert!(matches!(
            e,
            crate::Error::LimitExceeded {
                found: 2,
                limit: 1,
                ..
            }
        ));
    }
}
