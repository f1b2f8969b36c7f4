//! Limits charged before allocating anything sized by the input.

/// Upper bounds on sizes and counts read from a WIM, checked before allocation.
///
/// The defaults admit real Windows images (hundreds of thousands of files, tens of GB)
/// and refuse decompression bombs and absurd declared sizes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Maximum number of images.
    pub max_images: u32,
    /// Maximum uncompressed size of one metadata resource, in bytes.
    pub max_metadata_bytes: u64,
    /// Maximum metadata resource size as a multiple of the WIM file's size.
    pub max_metadata_ratio: u64,
    /// Maximum number of dentries in one image.
    pub max_dentries: u64,
    /// Maximum directory depth.
    pub max_depth: u32,
    /// Maximum uncompressed XML size, in bytes.
    pub max_xml_bytes: u64,
    /// Maximum blob-table size, in bytes.
    pub max_blob_table_bytes: u64,
    /// Maximum chunk size (solid resources included), in bytes.
    pub max_chunk_size: u64,
    /// Maximum uncompressed size of a resource as a multiple of its compressed size
    /// (plus a constant allowance of one chunk).
    pub max_expansion_ratio: u64,
    /// Maximum size of the integrity table, in bytes.
    pub max_integrity_bytes: u64,
    /// Maximum number of security descriptors in one image.
    pub max_security_descriptors: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_images: 65535,
            max_metadata_bytes: 4 << 30,
            max_metadata_ratio: 512,
            max_dentries: 50_000_000,
            max_depth: 4096,
            max_xml_bytes: 256 << 20,
            max_blob_table_bytes: 2 << 30,
            max_chunk_size: 1 << 30,
            // LZMS can reach well over 1000:1 on zeros; LZX/XPRESS are bounded by the
            // chunk format. 1 GiB chunks of zeros need headroom.
            max_expansion_ratio: 1 << 16,
            max_integrity_bytes: 1 << 30,
            max_security_descriptors: 1 << 24,
        }
    }
}

impl Limits {
    /// Returns `Err(LimitExceeded)` when `found > limit`.
    pub fn check(what: &'static str, found: u64, limit: u64) -> crate::Result<()> {
        if found > limit {
            Err(crate::Error::LimitExceeded { what, found, limit })
        } else {
            Ok(())
        }
    }
}
