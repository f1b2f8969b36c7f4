//! Image metadata: the uncompressed metadata resource of one image, i.e. its security
//! data followed by its dentry tree (layout: `../shared/docs/wim-format.md` §6).
//!
//! - [`security`]: [`SecurityData`] (descriptors kept as raw bytes).
//! - [`dentry`]: one [`Dentry`] (names, times, attributes, reparse/hard-link union,
//!   tagged items) and its extra stream entries ([`streams`]).
//! - [`tree`]: [`DentryTree`], an arena with typed [`NodeId`]s, walker and lookup.
//! - [`inode`]: hard-link groups → [`Inode`]s.
//! - [`name`]: UTF-16 names and sibling collation; [`time`]: FILETIME display.
//!
//! This layer works on bytes the container reader has already decompressed and checked
//! against the blob table's SHA-1.

pub mod dentry;
pub mod inode;
pub mod name;
pub mod security;
pub mod streams;
pub mod time;
pub mod tree;

#[cfg(test)]
pub(crate) mod testbuild;

pub use dentry::{Dentry, FileAttributes, ReparseInfo, TaggedItem, UnixData};
pub use inode::{Inode, InodeId};
pub use name::WimName;
pub use security::SecurityData;
pub use streams::{NamedStream, StreamEntry};
pub use time::FileTime;
pub use tree::{DentryTree, NameProblem, NodeId, ParseMode, Walk, WalkEntry, WalkOptions, WalkOrder};

use crate::error::Result;
use crate::limits::Limits;

/// The parsed metadata resource of one image.
#[derive(Debug, Clone)]
pub struct ImageMetadata {
    security: SecurityData,
    tree: DentryTree,
}

impl ImageMetadata {
    /// Parses an uncompressed metadata resource, keeping problem names flagged
    /// ([`ParseMode::Lenient`]).
    pub fn parse(bytes: &[u8], limits: &Limits) -> Result<ImageMetadata> {
        Self::parse_with(bytes, limits, ParseMode::Lenient)
    }

    /// Parses, rejecting problem names ([`ParseMode::Strict`]).
    pub fn parse_strict(bytes: &[u8], limits: &Limits) -> Result<ImageMetadata> {
        Self::parse_with(bytes, limits, ParseMode::Strict)
    }

    /// Parses with an explicit mode. Error offsets are offsets inside `bytes`.
    pub fn parse_with(bytes: &[u8], limits: &Limits, mode: ParseMode) -> Result<ImageMetadata> {
        Limits::check("metadata resource size", bytes.len() as u64, limits.max_metadata_bytes)?;
        let (security, root) = SecurityData::parse(bytes, limits)?;
        let tree = DentryTree::parse(bytes, root, limits, mode)?;
        Ok(ImageMetadata { security, tree })
    }

    /// The security descriptors.
    pub fn security(&self) -> &SecurityData {
        &self.security
    }

    /// The dentry tree.
    pub fn tree(&self) -> &DentryTree {
        &self.tree
    }

    /// The security descriptor index of `id`, `None` when the dentry has none or its id
    /// is out of range (wimlib resets such ids to "none").
    pub fn security_id_of(&self, id: NodeId) -> Option<u32> {
        self.tree
            .dentry(id)
            .security_id()
            .filter(|&s| (s as usize) < self.security.len())
    }

    /// The security descriptor of `id`, if any.
    pub fn security_descriptor_of(&self, id: NodeId) -> Option<&[u8]> {
        self.security_id_of(id).and_then(|s| self.security.get(s))
    }
}
