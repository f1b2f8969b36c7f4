//! Exact wimlib-imagex 1.13 text, built from [`crate::model`] structs.
//!
//! Each submodule renders one report into a `String`; the commands write it out.
//! `FORMATS.md` at the crate root describes every layout in prose.

pub mod blobs;
pub mod dir;
pub mod header;
pub mod info;
pub mod time;
pub mod verify;

/// Lowercase hex of `bytes`, no prefix.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn hex_is_lowercase_and_padded() {
        assert_eq!(super::hex(&[0x0a, 0xff, 0x00]), "0aff00");
    }
}
