//! Hard-link groups → inodes.
//!
//! Dentries that share a non-zero hard-link group id are names of one inode, except that,
//! like wimlib, we also require identical unnamed-stream hashes: WIMGAPI (Windows 7
//! install.wim) is known to reuse group ids for unrelated files, so a group is split by
//! hash. Reparse points cannot be linked (their union field holds the reparse tag).
//! Directory hard links are refused.

use super::tree::NodeId;
use crate::digest::Sha1Digest;
use crate::error::{FormatError, FormatErrorKind, Result};
use std::collections::HashMap;

/// A typed index of an inode in a [`super::DentryTree`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InodeId(pub(crate) u32);

impl InodeId {
    /// The 0-based position of this inode.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// One inode: the dentries (names) that share it, in tree order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Inode {
    pub(crate) dentries: Vec<NodeId>,
    pub(crate) group: Option<u64>,
}

impl Inode {
    /// The dentries naming this inode.
    pub fn dentries(&self) -> &[NodeId] {
        &self.dentries
    }
    /// The number of names (link count).
    pub fn link_count(&self) -> usize {
        self.dentries.len()
    }
    /// The hard-link group id, if the dentries carried one.
    pub fn group(&self) -> Option<u64> {
        self.group
    }
}

/// Per-dentry input to the grouping.
pub(crate) struct LinkKey {
    pub group: Option<u64>,
    pub unnamed: Sha1Digest,
    pub is_dir: bool,
    pub offset: u64,
}

/// Groups dentries into inodes; returns the inode list and each dentry's inode.
pub(crate) fn build_inodes(keys: &[LinkKey]) -> Result<(Vec<Inode>, Vec<InodeId>)> {
    let mut inodes: Vec<Inode> = Vec::new();
    let mut of = Vec::with_capacity(keys.len());
    let mut by_group: HashMap<(u64, Sha1Digest), u32> = HashMap::new();
    for (i, k) in keys.iter().enumerate() {
        let node = NodeId(i as u32);
        let next_id = inodes.len() as u32;
        let id = match k.group {
            Some(g) => *by_group.entry((g, k.unnamed)).or_insert(next_id),
            None => next_id,
        };
        if id == next_id {
            inodes.push(Inode {
                dentries: Vec::new(),
                group: k.group,
            });
        }
        let inode = &mut inodes[id as usize];
        if !inode.dentries.is_empty() {
            let first_dir = inode
                .dentries
                .first()
                .map(|n| keys[n.index()].is_dir)
                .unwrap_or(false);
            if k.is_dir || first_dir {
                return Err(FormatError::new(
                    FormatErrorKind::BadMetadata,
                    format!(
                        "directory hard link: hard-link group 0x{:016x} joins a directory with another dentry",
                        k.group.unwrap_or(0)
                    ),
                )
                .at(k.offset + 0x58)
                .into());
            }
        }
        inode.dentries.push(node);
        of.push(InodeId(id));
    }
    Ok((inodes, of))
}
