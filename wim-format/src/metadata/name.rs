//! UTF-16LE names as stored in dentries and stream entries, and the NTFS-like
//! case-insensitive collation used to order siblings.
//!
//! Names on disk are arbitrary sequences of 16-bit code units: they are usually valid
//! UTF-16 but nothing forces it (unpaired surrogates occur in hostile or damaged files).
//! [`WimName`] keeps the raw code units so a name can be written back bit-for-bit, and
//! offers a lossy `String` for display (unpaired surrogates become U+FFFD).
//!
//! Collation: siblings are compared code unit by code unit after mapping each unit through
//! an upcase table, ties broken by a plain (case-sensitive) code-unit comparison. The
//! upcase table here is derived from Unicode simple uppercase mappings restricted to the
//! BMP (a unit maps to itself when its uppercase form is not a single BMP character); this
//! matches the NTFS `$UpCase` table for the scripts seen in practice.

use std::cmp::Ordering;
use std::fmt;

/// A name as stored on disk: raw UTF-16 code units (no terminating NUL).
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct WimName {
    units: Vec<u16>,
}

impl WimName {
    /// Makes a name from raw code units.
    pub fn from_units(units: Vec<u16>) -> Self {
        WimName { units }
    }

    /// Encodes a Rust string.
    pub fn from_str_lossless(s: &str) -> Self {
        WimName {
            units: s.encode_utf16().collect(),
        }
    }

    /// Decodes UTF-16LE bytes; `None` when the byte count is odd.
    pub fn from_utf16le(bytes: &[u8]) -> Option<Self> {
        if !bytes.len().is_multiple_of(2) {
            return None;
        }
        let units = bytes
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        Some(WimName { units })
    }

    /// The raw code units.
    pub fn units(&self) -> &[u16] {
        &self.units
    }

    /// The name as UTF-16LE bytes (no NUL).
    pub fn to_utf16le(&self) -> Vec<u8> {
        self.units.iter().flat_map(|u| u.to_le_bytes()).collect()
    }

    /// Length in bytes when encoded as UTF-16LE (no NUL).
    pub fn byte_len(&self) -> usize {
        self.units.len() * 2
    }

    /// True for the empty name.
    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    /// True when the code units are well-formed UTF-16.
    pub fn is_valid_utf16(&self) -> bool {
        self.first_invalid_unit().is_none()
    }

    /// The index of the first unpaired surrogate, if any.
    pub fn first_invalid_unit(&self) -> Option<usize> {
        let mut pos = 0;
        for r in char::decode_utf16(self.units.iter().copied()) {
            match r {
                Ok(c) => pos += c.len_utf16(),
                Err(_) => return Some(pos),
            }
        }
        None
    }

    /// The name as a `String` when it is valid UTF-16.
    pub fn to_string_checked(&self) -> Option<String> {
        String::from_utf16(&self.units).ok()
    }

    /// The name for display: unpaired surrogates become U+FFFD.
    pub fn to_string_lossy(&self) -> String {
        String::from_utf16_lossy(&self.units)
    }

    /// Compares with `s` code unit by code unit (case-sensitive).
    pub fn eq_str(&self, s: &str) -> bool {
        self.units.iter().copied().eq(s.encode_utf16())
    }

    /// Case-insensitive equality (through the upcase table).
    pub fn eq_ignore_case(&self, other: &WimName) -> bool {
        self.units.len() == other.units.len()
            && self
                .units
                .iter()
                .zip(&other.units)
                .all(|(&a, &b)| upcase_unit(a) == upcase_unit(b))
    }
}

impl fmt::Display for WimName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_string_lossy())
    }
}

impl fmt::Debug for WimName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.to_string_lossy())
    }
}

/// Maps one UTF-16 code unit to its upper-case form (identity when there is no
/// single-unit uppercase).
pub fn upcase_unit(u: u16) -> u16 {
    if u < 0x80 {
        return (u as u8).to_ascii_uppercase() as u16;
    }
    let Some(c) = char::from_u32(u32::from(u)) else {
        return u; // a surrogate
    };
    let mut up = c.to_uppercase();
    match (up.next(), up.next()) {
        (Some(c2), None) => u16::try_from(u32::from(c2)).unwrap_or(u),
        _ => u,
    }
}

/// The sibling order: case-insensitive code-unit comparison, ties broken
/// case-sensitively.
pub fn collate(a: &[u16], b: &[u16]) -> Ordering {
    let ci = a
        .iter()
        .map(|&u| upcase_unit(u))
        .cmp(b.iter().map(|&u| upcase_unit(u)));
    ci.then_with(|| a.cmp(b))
}

/// [`collate`] over [`WimName`]s.
pub fn collate_names(a: &WimName, b: &WimName) -> Ordering {
    collate(a.units(), b.units())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> WimName {
        WimName::from_str_lossless(s)
    }

    #[test]
    fn collation_is_case_insensitive_with_case_tiebreak() {
        let mut v = [n("b"), n("A"), n("a"), n("C"), n(" "), n("_x"), n("Z")];
        v.sort_by(collate_names);
        let s: Vec<String> = v.iter().map(|x| x.to_string_lossy()).collect();
        // '_' (0x5F) sorts after the upper-case letters once everything is upcased.
        assert_eq!(s, [" ", "A", "a", "b", "C", "Z", "_x"]);
    }

    #[test]
    fn upcase_non_ascii() {
        assert_eq!(upcase_unit('é' as u16), 'É' as u16);
        assert_eq!(upcase_unit('ß' as u16), 'ß' as u16); // multi-char uppercase: identity
        assert_eq!(upcase_unit(0xD800), 0xD800);
        assert!(n("ΑΒΓ").eq_ignore_case(&n("αβγ")));
    }

    #[test]
    fn invalid_utf16_is_kept_raw_and_displayed_lossy() {
        let w = WimName::from_units(vec![0x61, 0xD800, 0x62]);
        assert!(!w.is_valid_utf16());
        assert_eq!(w.first_invalid_unit(), Some(1));
        assert_eq!(w.to_string_lossy(), "a\u{FFFD}b");
        assert_eq!(w.to_string_checked(), None);
        assert_eq!(w.units(), &[0x61, 0xD800, 0x62]);
        assert_eq!(WimName::from_utf16le(&[1, 0, 2]), None);
    }
}
