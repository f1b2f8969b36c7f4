//! An owned, editable image: the model that capture builds, update edits and the writer
//! serialises (see [`super::write`]).
//!
//! ```text
//! ImageTree
//!  ├─ security: Vec<descriptor bytes>        (index = security id)
//!  ├─ entries:  arena of Entry  (name, short name, parent, children, inode)
//!  └─ inodes:   arena of Inode  (attributes, times, streams, reparse, tagged items)
//! ```
//!
//! An [`Entry`] is a *name*; an [`Inode`] is the file it names. Several entries naming one
//! inode are hard links (non-directories only). Removing an entry detaches it (and its
//! subtree) from the tree; detached entries and inodes without names are simply not
//! written. Children are kept in insertion order; the serialiser writes them in collation
//! order (`name.rs`). Exact duplicate names inside one directory are refused.
//!
//! Streams are referenced by SHA-1 only; sizes come from the writer's blob table. An
//! empty stream is `None` (the SHA-1 of the empty string is treated as empty too).

use super::dentry::{FileAttributes, TaggedItem};
use super::name::{WimName, collate_names};
use super::streams::NamedStream;
use super::time::FileTime;
use super::{ImageMetadata, NodeId};
use crate::digest::Sha1Digest;
use crate::error::{Error, Result, UsageError};
use std::collections::HashMap;

/// A typed index of an [`Entry`] in an [`ImageTree`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntryId(u32);

impl EntryId {
    /// The 0-based position in the arena.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A typed index of an [`Inode`] in an [`ImageTree`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InodeId(u32);

impl InodeId {
    /// The 0-based position in the arena.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// The reparse point of an inode: the tag (kept in the dentry) and the reparse data
/// (the buffer minus its 8-byte header), stored as a blob.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReparsePoint {
    /// The reparse tag (e.g. `IO_REPARSE_TAG_SYMLINK`).
    pub tag: u32,
    /// The reserved u16 stored after the tag.
    pub reserved: u16,
    /// rp flags (`RP_FLAG_NOT_FIXED`).
    pub flags: u16,
    /// SHA-1 of the reparse data (`None` = empty).
    pub data: Option<Sha1Digest>,
}

/// One file, directory or other object of an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inode {
    /// `FILE_ATTRIBUTE_*`. `REPARSE_POINT` is set on write iff [`Inode::reparse`] is
    /// `Some`; `DIRECTORY` decides whether the entry has children.
    pub attributes: FileAttributes,
    /// Index into the image's security descriptors (`None` = no descriptor).
    pub security_id: Option<u32>,
    /// Creation time.
    pub creation_time: FileTime,
    /// Last access time.
    pub last_access_time: FileTime,
    /// Last write time.
    pub last_write_time: FileTime,
    /// The unnamed data stream (for an encrypted file, the EFSRPC raw stream).
    pub data: Option<Sha1Digest>,
    /// The reparse point, if any.
    pub reparse: Option<ReparsePoint>,
    /// Named (alternate) data streams.
    pub named_streams: Vec<NamedStream>,
    /// Tagged items (object id, extended attributes, wimlib UNIX data…), written in order.
    pub tagged_items: Vec<TaggedItem>,
    /// The u32 at dentry offset +0x54 (kept for fidelity).
    pub unknown_0x54: u32,
}

impl Inode {
    /// A directory with no security descriptor and zero times.
    pub fn directory() -> Inode {
        Inode {
            attributes: FileAttributes::DIRECTORY,
            ..Inode::file(None)
        }
    }
    /// A regular file (attribute `NORMAL` when nothing else applies) with `data`.
    pub fn file(data: Option<Sha1Digest>) -> Inode {
        Inode {
            attributes: FileAttributes::NORMAL,
            security_id: None,
            creation_time: FileTime(0),
            last_access_time: FileTime(0),
            last_write_time: FileTime(0),
            data,
            reparse: None,
            named_streams: Vec::new(),
            tagged_items: Vec::new(),
            unknown_0x54: 0,
        }
    }
    /// True when the `DIRECTORY` attribute is set.
    pub fn is_directory(&self) -> bool {
        self.attributes.contains(FileAttributes::DIRECTORY)
    }
    /// Every non-empty stream digest of this inode: reparse data, unnamed data, named.
    pub fn stream_digests(&self) -> impl Iterator<Item = Sha1Digest> + '_ {
        self.reparse
            .as_ref()
            .and_then(|r| r.data)
            .into_iter()
            .chain(self.data)
            .chain(self.named_streams.iter().filter_map(|s| s.hash))
            .filter(|h| !h.is_zero() && *h != Sha1Digest::EMPTY)
    }
}

/// One name in the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The long name (empty for the root).
    pub name: WimName,
    /// The DOS 8.3 short name (may be empty).
    pub short_name: WimName,
    /// The inode this name refers to.
    pub inode: InodeId,
    parent: Option<EntryId>,
    children: Vec<EntryId>,
    attached: bool,
}

impl Entry {
    /// The parent (`None` for the root and for detached entries).
    pub fn parent(&self) -> Option<EntryId> {
        self.parent
    }
    /// The children in insertion order.
    pub fn children(&self) -> &[EntryId] {
        &self.children
    }
}

/// XML statistics of an image, as wimlib computes them (`wim-format.md` §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImageStats {
    /// Directory names (the root counts).
    pub dir_count: u64,
    /// Non-directory names.
    pub file_count: u64,
    /// Σ stream sizes × link count.
    pub total_bytes: u64,
    /// Σ stream sizes × (link count − 1).
    pub hard_link_bytes: u64,
}

/// An owned, editable image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageTree {
    security: Vec<Vec<u8>>,
    entries: Vec<Entry>,
    inodes: Vec<Inode>,
}

impl Default for ImageTree {
    fn default() -> Self {
        ImageTree::new()
    }
}

fn usage(msg: String) -> Error {
    Error::Usage(UsageError::Other(msg.into()))
}

impl ImageTree {
    /// An image holding only an empty root directory.
    pub fn new() -> ImageTree {
        ImageTree::with_root(Inode::directory())
    }

    /// An image whose root directory is `root` (the `DIRECTORY` attribute is forced).
    pub fn with_root(mut root: Inode) -> ImageTree {
        root.attributes |= FileAttributes::DIRECTORY;
        ImageTree {
            security: Vec::new(),
            entries: vec![Entry {
                name: WimName::default(),
                short_name: WimName::default(),
                inode: InodeId(0),
                parent: None,
                children: Vec::new(),
                attached: true,
            }],
            inodes: vec![root],
        }
    }

    /// The root entry.
    pub fn root(&self) -> EntryId {
        EntryId(0)
    }

    /// The entry `id`; `None` if out of range.
    pub fn entry(&self, id: EntryId) -> Option<&Entry> {
        self.entries.get(id.index())
    }

    /// The entry `id`, mutably (to change names; use [`Self::rename`] to move).
    pub fn entry_mut(&mut self, id: EntryId) -> Option<&mut Entry> {
        self.entries.get_mut(id.index())
    }

    /// The inode `id`.
    pub fn inode(&self, id: InodeId) -> Option<&Inode> {
        self.inodes.get(id.index())
    }

    /// The inode `id`, mutably.
    pub fn inode_mut(&mut self, id: InodeId) -> Option<&mut Inode> {
        self.inodes.get_mut(id.index())
    }

    /// The inode named by entry `id`.
    pub fn inode_of(&self, id: EntryId) -> Option<&Inode> {
        self.entry(id).and_then(|e| self.inode(e.inode))
    }

    /// The children of `id` (empty for unknown ids).
    pub fn children(&self, id: EntryId) -> &[EntryId] {
        self.entry(id).map_or(&[], |e| &e.children)
    }

    /// The security descriptors (index = security id).
    pub fn security_descriptors(&self) -> &[Vec<u8>] {
        &self.security
    }

    /// Adds a security descriptor (deduplicated by content) and returns its id.
    pub fn add_security_descriptor(&mut self, sd: &[u8]) -> u32 {
        if let Some(i) = self.security.iter().position(|s| s == sd) {
            return i as u32;
        }
        self.security.push(sd.to_vec());
        (self.security.len() - 1) as u32
    }

    /// Adds an inode without naming it (see [`Self::link`]).
    pub fn add_inode(&mut self, inode: Inode) -> Result<InodeId> {
        let id = u32::try_from(self.inodes.len())
            .map_err(|_| usage("too many inodes in one image".into()))?;
        self.inodes.push(inode);
        Ok(InodeId(id))
    }

    /// Adds a new inode named `name` under the directory `parent`.
    pub fn add(&mut self, parent: EntryId, name: &str, inode: Inode) -> Result<EntryId> {
        self.add_named(parent, WimName::from_str_lossless(name), inode)
    }

    /// [`Self::add`] with a raw UTF-16 name.
    pub fn add_named(&mut self, parent: EntryId, name: WimName, inode: Inode) -> Result<EntryId> {
        self.check_new_name(parent, &name)?;
        let ino = self.add_inode(inode)?;
        self.attach(parent, name, ino)
    }

    /// Adds another name for the existing inode `inode` (a hard link) under `parent`.
    /// Directories and reparse points cannot be hard-linked.
    pub fn link(&mut self, parent: EntryId, name: WimName, inode: InodeId) -> Result<EntryId> {
        let ino = self
            .inode(inode)
            .ok_or_else(|| usage(format!("no inode {}", inode.index())))?;
        if ino.is_directory() || ino.reparse.is_some() {
            return Err(usage(
                "directories and reparse points cannot be hard-linked".into(),
            ));
        }
        self.check_new_name(parent, &name)?;
        self.attach(parent, name, inode)
    }

    fn check_new_name(&self, parent: EntryId, name: &WimName) -> Result<()> {
        let p = self
            .entry(parent)
            .filter(|e| e.attached)
            .ok_or_else(|| usage(format!("no entry {}", parent.index())))?;
        if !self.inode(p.inode).is_some_and(Inode::is_directory) {
            return Err(usage(format!(
                "\"{}\" is not a directory",
                self.path(parent)
            )));
        }
        let u = name.units();
        if u.is_empty() || u == [0x2E] || u == [0x2E, 0x2E] || u.contains(&0x2F) || u.contains(&0) {
            return Err(usage(format!("invalid name {name:?}")));
        }
        if self.child_named(parent, name).is_some() {
            return Err(usage(format!(
                "\"{}\" already has an entry named {name:?}",
                self.path(parent)
            )));
        }
        Ok(())
    }

    fn attach(&mut self, parent: EntryId, name: WimName, inode: InodeId) -> Result<EntryId> {
        let id = u32::try_from(self.entries.len())
            .map_err(|_| usage("too many entries in one image".into()))?;
        self.entries.push(Entry {
            name,
            short_name: WimName::default(),
            inode,
            parent: Some(parent),
            children: Vec::new(),
            attached: true,
        });
        if let Some(p) = self.entries.get_mut(parent.index()) {
            p.children.push(EntryId(id));
        }
        Ok(EntryId(id))
    }

    /// The child of `dir` named exactly `name`.
    pub fn child_named(&self, dir: EntryId, name: &WimName) -> Option<EntryId> {
        self.children(dir)
            .iter()
            .copied()
            .find(|&c| self.entry(c).is_some_and(|e| &e.name == name))
    }

    /// Detaches `id` and its subtree (the root cannot be removed).
    pub fn remove(&mut self, id: EntryId) -> Result<()> {
        let parent = self
            .entry(id)
            .filter(|e| e.attached)
            .and_then(|e| e.parent)
            .ok_or_else(|| usage("the root or a detached entry cannot be removed".into()))?;
        if let Some(p) = self.entries.get_mut(parent.index()) {
            p.children.retain(|&c| c != id);
        }
        let mut stack = vec![id];
        while let Some(e) = stack.pop() {
            if let Some(en) = self.entries.get_mut(e.index()) {
                en.attached = false;
                stack.extend(en.children.iter().copied());
            }
        }
        if let Some(e) = self.entries.get_mut(id.index()) {
            e.parent = None;
        }
        Ok(())
    }

    /// Moves `id` under `new_parent` with `new_name`; the short name is dropped.
    pub fn rename(&mut self, id: EntryId, new_parent: EntryId, new_name: WimName) -> Result<()> {
        let old_parent = self
            .entry(id)
            .filter(|e| e.attached)
            .and_then(|e| e.parent)
            .ok_or_else(|| usage("the root or a detached entry cannot be renamed".into()))?;
        let mut cur = Some(new_parent);
        while let Some(c) = cur {
            if c == id {
                return Err(usage("cannot move a directory into itself".into()));
            }
            cur = self.entry(c).and_then(|e| e.parent);
        }
        let same = old_parent == new_parent
            && self
                .entry(id)
                .is_some_and(|e| e.name.eq_ignore_case(&new_name));
        if !same {
            self.check_new_name(new_parent, &new_name)?;
        }
        if let Some(p) = self.entries.get_mut(old_parent.index()) {
            p.children.retain(|&c| c != id);
        }
        if let Some(p) = self.entries.get_mut(new_parent.index()) {
            p.children.push(id);
        }
        if let Some(e) = self.entries.get_mut(id.index()) {
            e.parent = Some(new_parent);
            e.name = new_name;
            e.short_name = WimName::default();
        }
        Ok(())
    }

    /// The full `/`-separated path of `id` (lossy names).
    pub fn path(&self, id: EntryId) -> String {
        let mut parts = Vec::new();
        let mut cur = id;
        while let Some(e) = self.entry(cur) {
            let Some(p) = e.parent else { break };
            parts.push(e.name.to_string_lossy());
            cur = p;
        }
        parts.reverse();
        format!("/{}", parts.join("/"))
    }

    /// Finds a path (`/` or `\` separators, case-sensitive).
    pub fn lookup(&self, path: &str) -> Option<EntryId> {
        let mut cur = self.root();
        for comp in path.split(['/', '\\']).filter(|c| !c.is_empty()) {
            cur = *self
                .children(cur)
                .iter()
                .find(|&&c| self.entry(c).is_some_and(|e| e.name.eq_str(comp)))?;
        }
        Some(cur)
    }

    /// The attached entries in pre-order, children in collation order (the order the
    /// serialiser writes them).
    pub fn walk(&self) -> Vec<EntryId> {
        let mut out = Vec::new();
        let mut stack = vec![self.root()];
        while let Some(id) = stack.pop() {
            out.push(id);
            let kids = self.sorted_children(id);
            stack.extend(kids.into_iter().rev());
        }
        out
    }

    /// The children of `id` in collation order.
    pub fn sorted_children(&self, id: EntryId) -> Vec<EntryId> {
        let mut kids = self.children(id).to_vec();
        kids.sort_by(|&a, &b| match (self.entry(a), self.entry(b)) {
            (Some(x), Some(y)) => collate_names(&x.name, &y.name),
            _ => a.cmp(&b),
        });
        kids
    }

    /// The number of attached names of every inode (index = inode index).
    pub fn link_counts(&self) -> Vec<u64> {
        let mut n = vec![0u64; self.inodes.len()];
        for id in self.walk() {
            if let Some(c) = self.entry(id).and_then(|e| n.get_mut(e.inode.index())) {
                *c += 1;
            }
        }
        n
    }

    /// The inodes that are named at least once, in the order first named by [`Self::walk`].
    pub fn live_inodes(&self) -> Vec<InodeId> {
        let mut seen = vec![false; self.inodes.len()];
        let mut out = Vec::new();
        for id in self.walk() {
            if let Some(e) = self.entry(id)
                && let Some(s) = seen.get_mut(e.inode.index())
                && !*s
            {
                *s = true;
                out.push(e.inode);
            }
        }
        out
    }

    /// Every referenced blob and its reference count (stream references × link count),
    /// sorted by digest.
    pub fn blob_references(&self) -> Vec<(Sha1Digest, u64)> {
        let links = self.link_counts();
        let mut refs: HashMap<Sha1Digest, u64> = HashMap::new();
        for ino in self.live_inodes() {
            let n = links.get(ino.index()).copied().unwrap_or(1);
            if let Some(i) = self.inode(ino) {
                for h in i.stream_digests() {
                    *refs.entry(h).or_default() += n;
                }
            }
        }
        let mut v: Vec<_> = refs.into_iter().collect();
        v.sort_unstable();
        v
    }

    /// XML statistics; `size_of` gives a blob's size (`None` counts as 0).
    pub fn stats(&self, size_of: &dyn Fn(&Sha1Digest) -> Option<u64>) -> ImageStats {
        let links = self.link_counts();
        let mut s = ImageStats::default();
        for ino in self.live_inodes() {
            let Some(i) = self.inode(ino) else { continue };
            let n = links.get(ino.index()).copied().unwrap_or(1);
            // As wimlib: a directory reparse point (symlink or junction to a
            // directory) counts as a file.
            if i.is_directory() && !i.attributes.contains(FileAttributes::REPARSE_POINT) {
                s.dir_count += n;
            } else {
                s.file_count += n;
            }
            for h in i.stream_digests() {
                let sz = size_of(&h).unwrap_or(0);
                s.total_bytes = s.total_bytes.saturating_add(sz.saturating_mul(n));
                s.hard_link_bytes = s
                    .hard_link_bytes
                    .saturating_add(sz.saturating_mul(n.saturating_sub(1)));
            }
        }
        s
    }

    /// Builds the model from a parsed metadata resource. Entries the reader flagged
    /// (bad or duplicate names, see [`super::DentryTree::name_problem`]) are left out
    /// with their subtrees, as wimlib ignores them; hard-link groups become shared
    /// inodes; out-of-range security ids become `None`.
    pub fn from_metadata(meta: &ImageMetadata) -> Result<ImageTree> {
        let t = meta.tree();
        let inode_from = |id: NodeId| -> Inode {
            let d = t.dentry(id);
            let reparse = d.reparse_info().map(|r| ReparsePoint {
                tag: r.tag,
                reserved: r.reserved,
                flags: r.flags,
                data: d.reparse_hash(),
            });
            Inode {
                attributes: d.attributes(),
                security_id: meta.security_id_of(id),
                creation_time: d.creation_time(),
                last_access_time: d.last_access_time(),
                last_write_time: d.last_write_time(),
                data: d.unnamed_stream_hash(),
                reparse,
                named_streams: d.named_streams().collect(),
                tagged_items: d.tagged_items().to_vec(),
                unknown_0x54: d.unknown_0x54(),
            }
        };
        let mut out = ImageTree::with_root(inode_from(t.root()));
        out.security = meta.security().descriptors().to_vec();
        if let Some(e) = out.entries.get_mut(0) {
            e.short_name = t.dentry(t.root()).short_name().clone();
        }
        let mut inode_map: HashMap<usize, InodeId> = HashMap::new();
        inode_map.insert(t.inode_of(t.root()).index(), InodeId(0));
        let mut stack = vec![(t.root(), out.root())];
        while let Some((src, dst)) = stack.pop() {
            for &c in t.children(src) {
                if t.name_problem(c).is_some() {
                    continue;
                }
                let d = t.dentry(c);
                let key = t.inode_of(c).index();
                let ino = match inode_map.get(&key) {
                    Some(&i) if t.link_count(c) > 1 && !d.is_directory() => i,
                    _ => {
                        let i = out.add_inode(inode_from(c))?;
                        inode_map.insert(key, i);
                        i
                    }
                };
                // Names were checked by the reader (flagged ones skipped above).
                let id = out.attach(dst, d.name().clone(), ino)?;
                if let Some(e) = out.entries.get_mut(id.index()) {
                    e.short_name = d.short_name().clone();
                }
                if d.is_directory() {
                    stack.push((c, id));
                }
            }
        }
        Ok(out)
    }
}
