//! Typed handles: [`Sha1Digest`] (blob identity) and [`ImageIndex`] (1-based image number).

use std::fmt;
use std::num::NonZeroU32;

/// The SHA-1 digest of a blob's uncompressed contents: its identity in a WIM.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Sha1Digest(pub [u8; 20]);

impl Sha1Digest {
    /// The all-zero digest, used on disk for "no stream".
    pub const ZERO: Sha1Digest = Sha1Digest([0; 20]);
    /// The SHA-1 of the empty string.
    pub const EMPTY: Sha1Digest = Sha1Digest([
        0xda, 0x39, 0xa3, 0xee, 0x5e, 0x6b, 0x4b, 0x0d, 0x32, 0x55, 0xbf, 0xef, 0x95, 0x60, 0x18,
        0x90, 0xaf, 0xd8, 0x07, 0x09,
    ]);

    /// True for the all-zero digest.
    pub fn is_zero(&self) -> bool {
        self.0 == [0; 20]
    }

    /// Computes the SHA-1 of `data`.
    pub fn of(data: &[u8]) -> Self {
        use sha1::Digest;
        Sha1Digest(sha1::Sha1::digest(data).into())
    }

    /// Lowercase hex, 40 characters.
    pub fn to_hex(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Sha1Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Sha1Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha1Digest({self})")
    }
}

/// A 1-based image number inside a WIM.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct ImageIndex(NonZeroU32);

impl ImageIndex {
    /// Makes an index from a 1-based number; `None` for 0.
    pub fn new(n: u32) -> Option<Self> {
        NonZeroU32::new(n).map(ImageIndex)
    }
    /// The 1-based number.
    pub fn get(self) -> u32 {
        self.0.get()
    }
    /// The 0-based position.
    pub fn zero_based(self) -> usize {
        (self.0.get() - 1) as usize
    }
    /// From a 0-based position.
    pub fn from_zero_based(i: usize) -> Option<Self> {
        u32::try_from(i)
            .ok()
            .and_then(|i| i.checked_add(1))
            .and_then(Self::new)
    }
}

impl fmt::Display for ImageIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
