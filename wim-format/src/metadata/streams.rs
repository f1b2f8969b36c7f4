//! Extra stream entries (alternate data streams, and the unnamed/reparse streams when they
//! cannot live in the dentry's main hash) and the rules that give them meaning.
//!
//! Layout of one entry (after the dentry, and after the previous entry, 8-aligned):
//!
//! ```text
//! +0x00 u64  length of this entry (readers round it up to 8)
//! +0x08 u64  reserved (kept)
//! +0x10 [20] SHA-1 of the stream (zero = empty)
//! +0x24 u16  name length in bytes (0 = unnamed)
//! +0x26 …    UTF-16LE name, NUL
//! ```
//!
//! Meaning (what DISM and current wimlib write, and what older writers left behind):
//! when a file needs exactly one unnamed stream (its data, or the reparse data of a
//! reparse point) that stream's hash is the dentry's main hash and no entries follow.
//! Otherwise the main hash is zero and every stream is an entry: the reparse stream
//! first (unnamed), then the unnamed data stream, then the named streams. Readers here
//! accept both shapes: for a reparse point, an all-zero main hash with unnamed entries
//! means the first unnamed entry is the reparse stream and the next one the data; for
//! other files the main hash, when non-zero, is the data stream, else the first non-zero
//! unnamed entry is. Further unnamed entries are kept but carry no meaning.

use super::name::WimName;
use crate::digest::Sha1Digest;
use crate::error::{FormatError, FormatErrorKind, Result};

/// Size of the fixed part of a stream entry.
pub const STREAM_ENTRY_FIXED_SIZE: usize = 0x26;

/// One extra stream entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamEntry {
    /// Offset of the entry in the metadata resource.
    pub offset: u64,
    /// The stored length field.
    pub length: u64,
    /// The reserved field (kept for writing back).
    pub reserved: u64,
    /// The stream's SHA-1 (zero = empty stream).
    pub hash: Sha1Digest,
    /// The stream name (empty = unnamed).
    pub name: WimName,
}

/// A named (alternate) data stream of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedStream {
    /// The stream name.
    pub name: WimName,
    /// The stream's SHA-1 (`None` for an empty stream).
    pub hash: Option<Sha1Digest>,
}

/// Rounds `v` up to a multiple of 8.
pub(crate) fn align8(v: usize) -> Option<usize> {
    v.checked_add(7).map(|v| v & !7)
}

impl StreamEntry {
    /// Parses one entry at `pos` of the metadata resource `data`; returns it and the
    /// 8-aligned offset just after it.
    pub fn parse(data: &[u8], pos: usize) -> Result<(StreamEntry, usize)> {
        let truncated = |what: &str| -> crate::Error {
            FormatError::new(
                FormatErrorKind::Truncated,
                format!("stream entry {what} runs past the end of the metadata resource"),
            )
            .at(pos as u64)
            .into()
        };
        let fixed = data
            .get(pos..)
            .and_then(|d| d.get(..STREAM_ENTRY_FIXED_SIZE))
            .ok_or_else(|| truncated("header"))?;
        let mut c = crate::bytes::Cursor::new(fixed, pos as u64, FormatErrorKind::Truncated);
        let length = c.u64()?;
        let reserved = c.u64()?;
        let hash = Sha1Digest(c.array()?);
        let name_bytes = usize::from(c.u16()?);
        if name_bytes % 2 != 0 {
            return Err(FormatError::new(
                FormatErrorKind::BadMetadata,
                format!("stream entry name length {name_bytes} is odd"),
            )
            .at(pos as u64)
            .into());
        }
        let need = STREAM_ENTRY_FIXED_SIZE + name_bytes;
        if length < need as u64 {
            return Err(FormatError::new(
                FormatErrorKind::BadMetadata,
                format!("stream entry length {length} is too small for a {name_bytes}-byte name"),
            )
            .at(pos as u64)
            .into());
        }
        let end = usize::try_from(length)
            .ok()
            .and_then(|l| pos.checked_add(l))
            .filter(|&e| e <= data.len())
            .ok_or_else(|| truncated("body"))?;
        let name_start = pos + STREAM_ENTRY_FIXED_SIZE;
        // need <= length, so the name is inside [pos, end).
        let name =
            WimName::from_utf16le(&data[name_start..name_start + name_bytes]).unwrap_or_default();
        let next = align8(end).ok_or_else(|| truncated("body"))?;
        Ok((
            StreamEntry {
                offset: pos as u64,
                length,
                reserved,
                hash,
                name,
            },
            next,
        ))
    }
}

/// What the main hash and the entries mean for one dentry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Resolved {
    pub unnamed: Sha1Digest,
    pub reparse: Sha1Digest,
}

/// Applies the placement rules described in the module documentation.
pub(crate) fn resolve(is_reparse: bool, main: Sha1Digest, entries: &[StreamEntry]) -> Resolved {
    let mut unnamed = entries.iter().filter(|e| e.name.is_empty()).map(|e| e.hash);
    if is_reparse {
        if main.is_zero() {
            let reparse = unnamed.next().unwrap_or(Sha1Digest::ZERO);
            let data = unnamed.next().unwrap_or(Sha1Digest::ZERO);
            Resolved {
                unnamed: data,
                reparse,
            }
        } else {
            Resolved {
                unnamed: unnamed.next().unwrap_or(Sha1Digest::ZERO),
                reparse: main,
            }
        }
    } else if !main.is_zero() {
        Resolved {
            unnamed: main,
            reparse: Sha1Digest::ZERO,
        }
    } else {
        Resolved {
            unnamed: unnamed.find(|h| !h.is_zero()).unwrap_or(Sha1Digest::ZERO),
            reparse: Sha1Digest::ZERO,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn entry_bytes(hash: [u8; 20], name: &str) -> Vec<u8> {
        let n: Vec<u8> = name.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        let mut len = STREAM_ENTRY_FIXED_SIZE + n.len() + if n.is_empty() { 0 } else { 2 };
        len = (len + 7) & !7;
        let mut v = Vec::new();
        v.extend_from_slice(&(len as u64).to_le_bytes());
        v.extend_from_slice(&0u64.to_le_bytes());
        v.extend_from_slice(&hash);
        v.extend_from_slice(&(n.len() as u16).to_le_bytes());
        v.extend_from_slice(&n);
        v.resize(len, 0);
        v
    }

    fn e(hash: u8, name: &str) -> StreamEntry {
        let b = entry_bytes([hash; 20], name);
        StreamEntry::parse(&b, 0).unwrap().0
    }

    #[test]
    fn parse_entry() {
        let b = entry_bytes([7; 20], "ads");
        let (s, next) = StreamEntry::parse(&b, 0).unwrap();
        assert_eq!(next, b.len());
        assert!(s.name.eq_str("ads"));
        assert_eq!(s.hash, Sha1Digest([7; 20]));
    }

    #[test]
    fn parse_entry_errors() {
        let b = entry_bytes([7; 20], "ads");
        let err = StreamEntry::parse(&b[..20], 0).unwrap_err();
        assert_eq!(err.format_kind(), Some(FormatErrorKind::Truncated));
        let mut b2 = b.clone();
        b2[0] = 0x10; // length 16 < fixed size
        let err = StreamEntry::parse(&b2, 0).unwrap_err();
        assert_eq!(err.format_kind(), Some(FormatErrorKind::BadMetadata));
        let mut b3 = b.clone();
        b3[0] = 0xF0; // length beyond the data
        let err = StreamEntry::parse(&b3, 0).unwrap_err();
        assert_eq!(err.format_kind(), Some(FormatErrorKind::Truncated));
    }

    #[test]
    fn resolution_rules() {
        let z = Sha1Digest::ZERO;
        let h = |b: u8| Sha1Digest([b; 20]);
        // Plain file: main hash is the data.
        assert_eq!(resolve(false, h(1), &[e(2, "x")]).unnamed, h(1));
        // DISM shape: main zero, unnamed entry carries the data.
        assert_eq!(resolve(false, z, &[e(3, ""), e(2, "x")]).unnamed, h(3));
        // Reparse point with a single stream in the main hash.
        let r = resolve(true, h(4), &[]);
        assert_eq!((r.reparse, r.unnamed), (h(4), z));
        // Reparse point with all streams as entries: reparse first, then data.
        let r = resolve(true, z, &[e(5, ""), e(6, ""), e(7, "n")]);
        assert_eq!((r.reparse, r.unnamed), (h(5), h(6)));
    }
}
