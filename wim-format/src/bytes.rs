//! A safe little-endian cursor over a byte slice. The only integer decoder in this crate:
//! never native-endian, never unchecked.

use crate::error::{FormatError, FormatErrorKind};

/// A forward cursor over `&[u8]` that knows its base file offset for error messages.
#[derive(Debug, Clone)]
pub struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
    base: u64,
    kind: FormatErrorKind,
}

impl<'a> Cursor<'a> {
    /// A cursor over `data`; `base` is the file (or resource) offset of `data[0]`;
    /// `kind` is the error kind reported when the data runs out.
    pub fn new(data: &'a [u8], base: u64, kind: FormatErrorKind) -> Self {
        Cursor {
            data,
            pos: 0,
            base,
            kind,
        }
    }
    /// Bytes consumed so far.
    pub fn pos(&self) -> usize {
        self.pos
    }
    /// The offset of the next byte, in the base's coordinates.
    pub fn offset(&self) -> u64 {
        self.base.saturating_add(self.pos as u64)
    }
    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }
    /// Moves to absolute position `pos` inside the slice.
    pub fn seek(&mut self, pos: usize) -> Result<(), FormatError> {
        if pos > self.data.len() {
            return Err(self.short(pos - self.pos.min(pos)));
        }
        self.pos = pos;
        Ok(())
    }
    fn short(&self, want: usize) -> FormatError {
        FormatError::new(
            self.kind,
            format!("needed {want} bytes but only {} remain", self.remaining()),
        )
        .at(self.offset())
    }
    /// Takes the next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], FormatError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.data.len());
        match end {
            Some(end) => {
                let s = &self.data[self.pos..end];
                self.pos = end;
                Ok(s)
            }
            None => Err(self.short(n)),
        }
    }
    /// Takes an array of `N` bytes.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], FormatError> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }
    /// Skips `n` bytes.
    pub fn skip(&mut self, n: usize) -> Result<(), FormatError> {
        self.take(n).map(|_| ())
    }
    /// Reads a `u8`.
    pub fn u8(&mut self) -> Result<u8, FormatError> {
        Ok(self.array::<1>()?[0])
    }
    /// Reads a little-endian `u16`.
    pub fn u16(&mut self) -> Result<u16, FormatError> {
        Ok(u16::from_le_bytes(self.array()?))
    }
    /// Reads a little-endian `u32`.
    pub fn u32(&mut self) -> Result<u32, FormatError> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    /// Reads a little-endian `u64`.
    pub fn u64(&mut self) -> Result<u64, FormatError> {
        Ok(u64::from_le_bytes(self.array()?))
    }
}

/// Reads a little-endian `u16` at `pos` of `data`, if in bounds.
pub fn le_u16(data: &[u8], pos: usize) -> Option<u16> {
    data.get(pos..pos.checked_add(2)?)?
        .try_into()
        .ok()
        .map(u16::from_le_bytes)
}
/// Reads a little-endian `u32` at `pos` of `data`, if in bounds.
pub fn le_u32(data: &[u8], pos: usize) -> Option<u32> {
    data.get(pos..pos.checked_add(4)?)?
        .try_into()
        .ok()
        .map(u32::from_le_bytes)
}
/// Reads a little-endian `u64` at `pos` of `data`, if in bounds.
pub fn le_u64(data: &[u8], pos: usize) -> Option<u64> {
    data.get(pos..pos.checked_add(8)?)?
        .try_into()
        .ok()
        .map(u64::from_le_bytes)
}
