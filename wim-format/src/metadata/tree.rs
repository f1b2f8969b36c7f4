//! The dentry tree of one image, in an arena with typed node ids.
//!
//! Layout on disk: the root dentry sits right after the security data and is followed by
//! an end marker; a directory's `subdir_offset` points at its child list, a run of
//! dentries ended by an end marker. Children are kept here in stored order (writers store
//! them in collation order, see `name.rs`); [`WalkOrder::Collated`] re-sorts them the way
//! `wimlib-imagex dir` lists them.
//!
//! Validation while building:
//! - a dentry reached twice (a subdirectory offset pointing back into an ancestor's or any
//!   already-read list) is a [`FormatErrorKind::CyclicTree`];
//! - depth and dentry count are bounded by [`Limits`];
//! - names that are empty, `.`, `..`, or contain `/` or NUL, and names repeated exactly
//!   within one directory: wimlib ignores such dentries with a warning. We keep them in
//!   the tree but flag them ([`DentryTree::name_problem`]); [`ParseMode::Strict`] rejects
//!   them (`BadName`, `DuplicateName`), and also rejects names that are not valid UTF-16
//!   (`BadUtf16`).

use super::dentry::{Dentry, Parsed};
use super::inode::{Inode, InodeId, LinkKey, build_inodes};
use super::name::collate_names;
use crate::error::{FormatError, FormatErrorKind, Result};
use crate::limits::Limits;
use std::collections::{HashMap, HashSet};
use std::fmt;

/// A typed index of a dentry in a [`DentryTree`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub(crate) u32);

impl NodeId {
    /// The 0-based position in the arena.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// How strictly names are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ParseMode {
    /// Keep problem entries in the tree, flagged (wimlib ignores them with a warning).
    #[default]
    Lenient,
    /// Reject problem names with `BadName`, `DuplicateName` or `BadUtf16`.
    Strict,
}

/// Why a dentry's name makes it unusable (wimlib ignores such entries).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameProblem {
    /// The name is empty (only the root may be unnamed).
    Empty,
    /// The name is `.`.
    Dot,
    /// The name is `..`.
    DotDot,
    /// The name contains `/`.
    ContainsSlash,
    /// The name contains NUL.
    ContainsNul,
    /// An earlier sibling has exactly the same name.
    Duplicate,
}

impl fmt::Display for NameProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NameProblem::Empty => "empty name",
            NameProblem::Dot => "name is \".\"",
            NameProblem::DotDot => "name is \"..\"",
            NameProblem::ContainsSlash => "name contains '/'",
            NameProblem::ContainsNul => "name contains NUL",
            NameProblem::Duplicate => "duplicate name in the directory",
        })
    }
}

fn name_problem_of(units: &[u16]) -> Option<NameProblem> {
    match units {
        [] => Some(NameProblem::Empty),
        [0x2E] => Some(NameProblem::Dot),
        [0x2E, 0x2E] => Some(NameProblem::DotDot),
        _ if units.contains(&0x2F) => Some(NameProblem::ContainsSlash),
        _ if units.contains(&0) => Some(NameProblem::ContainsNul),
        _ => None,
    }
}

/// One dentry of the arena. A directory's children are read as one run, so their ids
/// are consecutive: `first_child .. first_child + child_count` (no per-directory `Vec`).
#[derive(Debug, Clone)]
struct Node {
    dentry: Dentry,
    parent: Option<NodeId>,
    first_child: u32,
    child_count: u32,
    problem: Option<NameProblem>,
    depth: u32,
}

impl Node {
    fn children(&self) -> std::ops::Range<usize> {
        let a = self.first_child as usize;
        a..a + self.child_count as usize
    }
}

/// The dentry tree of one image.
#[derive(Debug, Clone)]
pub struct DentryTree {
    nodes: Vec<Node>,
    /// `ids[i] == NodeId(i)`: child lists are sub-slices of it.
    ids: Vec<NodeId>,
    inodes: Vec<Inode>,
    inode_of: Vec<InodeId>,
    synthetic_root: bool,
}

/// Sibling order for [`DentryTree::walk_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WalkOrder {
    /// The order stored in the metadata resource.
    #[default]
    Stored,
    /// NTFS-like collation (case-insensitive, then case-sensitive), as `wimlib-imagex dir`.
    Collated,
}

/// Options for [`DentryTree::walk_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WalkOptions {
    /// Sibling order.
    pub order: WalkOrder,
    /// Skip flagged entries (and everything below them), as wimlib does.
    pub skip_flagged: bool,
}

/// One item of a walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkEntry {
    /// The node.
    pub id: NodeId,
    /// Full `/`-separated path (`/` for the root; names shown lossily).
    pub path: String,
    /// Depth (0 for the root).
    pub depth: u32,
}

/// Pre-order iterator over a [`DentryTree`].
#[derive(Debug)]
pub struct Walk<'a> {
    tree: &'a DentryTree,
    opts: WalkOptions,
    stack: Vec<(NodeId, String)>,
}

impl Iterator for Walk<'_> {
    type Item = WalkEntry;
    fn next(&mut self) -> Option<WalkEntry> {
        let (id, path) = self.stack.pop()?;
        let node = self.tree.node(id);
        let mut kids: Vec<NodeId> = self
            .tree
            .children(id)
            .iter()
            .copied()
            .filter(|&c| !(self.opts.skip_flagged && self.tree.node(c).problem.is_some()))
            .collect();
        if self.opts.order == WalkOrder::Collated {
            kids.sort_by(|&a, &b| {
                collate_names(
                    self.tree.node(a).dentry.name(),
                    self.tree.node(b).dentry.name(),
                )
            });
        }
        for &c in kids.iter().rev() {
            let name = self.tree.node(c).dentry.name().to_string_lossy();
            let p = if path == "/" {
                format!("/{name}")
            } else {
                format!("{path}/{name}")
            };
            self.stack.push((c, p));
        }
        Some(WalkEntry {
            id,
            path,
            depth: node.depth,
        })
    }
}

struct Builder<'a> {
    data: &'a [u8],
    limits: &'a Limits,
    mode: ParseMode,
    nodes: Vec<Node>,
    seen: Seen,
}

/// Dentry positions already read: a bitmap for 8-aligned positions (every position a
/// well-formed resource uses), a set for the others.
struct Seen {
    aligned: Vec<u64>,
    other: HashSet<u64>,
}

impl Seen {
    fn new(data_len: usize) -> Seen {
        Seen {
            aligned: vec![0; data_len / 512 + 1],
            other: HashSet::new(),
        }
    }

    fn slot(&self, pos: u64) -> Option<(usize, u64)> {
        if !pos.is_multiple_of(8) {
            return None;
        }
        let i = usize::try_from(pos / 512).ok()?;
        (i < self.aligned.len()).then_some((i, 1u64 << ((pos / 8) % 64)))
    }

    fn contains(&self, pos: u64) -> bool {
        match self.slot(pos) {
            Some((i, bit)) => self.aligned.get(i).is_some_and(|w| w & bit != 0),
            None => self.other.contains(&pos),
        }
    }

    fn insert(&mut self, pos: u64) {
        match self.slot(pos) {
            Some((i, bit)) => {
                if let Some(w) = self.aligned.get_mut(i) {
                    *w |= bit;
                }
            }
            None => {
                self.other.insert(pos);
            }
        }
    }
}

impl Builder<'_> {
    fn path_of(&self, parent: NodeId, name: &str) -> String {
        let mut parts = vec![name.to_string()];
        let mut cur = Some(parent);
        while let Some(id) = cur {
            let n = &self.nodes[id.index()];
            if n.parent.is_some() {
                parts.push(n.dentry.name().to_string_lossy());
            }
            cur = n.parent;
        }
        parts.reverse();
        format!("/{}", parts.join("/"))
    }

    /// Reads the child list of `dir` at `start`; the children get consecutive ids, and
    /// the range is recorded in `dir`'s node.
    fn read_children(&mut self, dir: NodeId, start: u64) -> Result<()> {
        let dir_off = self.nodes[dir.index()].dentry.offset();
        let depth = self.nodes[dir.index()].depth.saturating_add(1);
        let mut pos = usize::try_from(start).map_err(|_| {
            FormatError::new(
                FormatErrorKind::BadMetadata,
                "subdirectory offset overflows",
            )
            .at(dir_off + 0x10)
        })?;
        let first_child = u32::try_from(self.nodes.len()).unwrap_or(u32::MAX);
        let mut count = 0u32;
        let mut names: HashMap<Vec<u16>, NodeId> = HashMap::new();
        loop {
            if self.seen.contains(pos as u64) {
                return Err(FormatError::new(
                    FormatErrorKind::CyclicTree,
                    format!(
                        "subdirectory offset 0x{start:x} leads back to the dentry at 0x{pos:x}, which was already read"
                    ),
                )
                .at(dir_off + 0x10)
                .into());
            }
            let (dentry, next) = match Dentry::parse(self.data, pos)? {
                Parsed::End => break,
                Parsed::Entry(d, next) => (*d, next),
            };
            Limits::check(
                "directory depth",
                u64::from(depth),
                u64::from(self.limits.max_depth),
            )?;
            Limits::check(
                "dentry count",
                self.nodes.len() as u64 + 1,
                self.limits.max_dentries,
            )?;
            self.seen.insert(pos as u64);
            let mut problem = name_problem_of(dentry.name().units());
            if problem.is_none() && names.contains_key(dentry.name().units()) {
                problem = Some(NameProblem::Duplicate);
            }
            if self.mode == ParseMode::Strict {
                let display = dentry.name().to_string_lossy();
                if let Some(p) = problem {
                    let kind = if p == NameProblem::Duplicate {
                        FormatErrorKind::DuplicateName
                    } else {
                        FormatErrorKind::BadName
                    };
                    return Err(FormatError::new(kind, format!("{p}: {display:?}"))
                        .at(pos as u64)
                        .path(self.path_of(dir, &display))
                        .into());
                }
                if let Some(u) = dentry.name().first_invalid_unit() {
                    return Err(FormatError::new(
                        FormatErrorKind::BadUtf16,
                        format!("name has an unpaired surrogate at code unit {u}"),
                    )
                    .at(pos as u64 + 0x66 + 2 * u as u64)
                    .path(self.path_of(dir, &display))
                    .into());
                }
            }
            let id = NodeId(u32::try_from(self.nodes.len()).map_err(|_| {
                crate::Error::LimitExceeded {
                    what: "dentry count",
                    found: u64::MAX,
                    limit: u64::from(u32::MAX),
                }
            })?);
            if problem.is_none() {
                names.insert(dentry.name().units().to_vec(), id);
            }
            self.nodes.push(Node {
                dentry,
                parent: Some(dir),
                first_child: 0,
                child_count: 0,
                problem,
                depth,
            });
            count += 1;
            pos = next;
        }
        if let Some(n) = self.nodes.get_mut(dir.index()) {
            n.first_child = first_child;
            n.child_count = count;
        }
        Ok(())
    }
}

impl DentryTree {
    /// Builds the tree whose root dentry is at `root_offset` of the metadata resource.
    pub(crate) fn parse(
        data: &[u8],
        root_offset: usize,
        limits: &Limits,
        mode: ParseMode,
    ) -> Result<DentryTree> {
        let mut b = Builder {
            data,
            limits,
            mode,
            nodes: Vec::new(),
            seen: Seen::new(data.len()),
        };
        let (root, synthetic_root) = match Dentry::parse(data, root_offset)? {
            Parsed::Entry(d, _) => (*d, false),
            Parsed::End => (Dentry::synthetic_root(root_offset as u64), true),
        };
        b.seen.insert(root_offset as u64);
        b.nodes.push(Node {
            dentry: root,
            parent: None,
            first_child: 0,
            child_count: 0,
            problem: None,
            depth: 0,
        });
        let mut work = vec![NodeId(0)];
        while let Some(dir) = work.pop() {
            let d = &b.nodes[dir.index()].dentry;
            if !d.is_directory() || d.subdir_offset() == 0 {
                continue;
            }
            b.read_children(dir, d.subdir_offset())?;
            let kids = b.nodes[dir.index()].children();
            work.extend(kids.rev().map(|i| NodeId(i as u32)));
        }
        // Free the position set before the inode pass (peak memory).
        let Builder { nodes, .. } = b;
        let keys: Vec<LinkKey> = nodes
            .iter()
            .map(|n| LinkKey {
                group: n.dentry.hard_link_group(),
                unnamed: n.dentry.unnamed_hash,
                is_dir: n.dentry.is_directory(),
                offset: n.dentry.offset(),
            })
            .collect();
        let (inodes, inode_of) = build_inodes(&keys)?;
        drop(keys);
        let ids = (0..nodes.len() as u32).map(NodeId).collect();
        Ok(DentryTree {
            nodes,
            ids,
            inodes,
            inode_of,
            synthetic_root,
        })
    }

    fn node(&self, id: NodeId) -> &Node {
        // NodeIds are only minted by this tree; an id from another tree may be out of
        // range, in which case the root is returned rather than panicking.
        self.nodes.get(id.index()).unwrap_or_else(|| &self.nodes[0])
    }

    /// The root directory.
    pub fn root(&self) -> NodeId {
        NodeId(0)
    }
    /// True when the image stored no root dentry (an empty image); the root is then a
    /// synthetic empty directory.
    pub fn root_is_synthetic(&self) -> bool {
        self.synthetic_root
    }
    /// Number of dentries, flagged ones included.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }
    /// Always false: a tree has at least its root.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
    /// The dentry of `id`.
    pub fn dentry(&self, id: NodeId) -> &Dentry {
        &self.node(id).dentry
    }
    /// The children of `id` in stored order (flagged ones included).
    pub fn children(&self, id: NodeId) -> &[NodeId] {
        self.ids.get(self.node(id).children()).unwrap_or(&[])
    }
    /// The parent of `id` (`None` for the root).
    pub fn parent(&self, id: NodeId) -> Option<NodeId> {
        self.node(id).parent
    }
    /// The depth of `id` (0 for the root).
    pub fn depth(&self, id: NodeId) -> u32 {
        self.node(id).depth
    }
    /// Why wimlib would ignore this dentry, if it would.
    pub fn name_problem(&self, id: NodeId) -> Option<NameProblem> {
        self.node(id).problem
    }
    /// True when a flagged entry stands for data that cannot be placed without loss or
    /// danger, so that a strict reader (`verify`) must fail rather than warn.
    ///
    /// Hostile names (empty, `.`, `..`, containing `/` or NUL) always conflict. A
    /// duplicate conflicts when it and the entry it collides with are both
    /// non-directories whose data differ (one path, two contents); a duplicate that
    /// repeats the same data, or that pairs a file with a directory (as 7-Zip's writer
    /// can produce), is only ignored with a warning, as wimlib does.
    pub fn is_conflicting_problem(&self, id: NodeId) -> bool {
        match self.node(id).problem {
            None => false,
            Some(NameProblem::Duplicate) => {
                let me = &self.node(id).dentry;
                let Some(parent) = self.node(id).parent else {
                    return true;
                };
                self.children(parent).iter().any(|&other| {
                    let o = self.node(other);
                    other != id
                        && o.problem.is_none()
                        && o.dentry.name().units() == me.name().units()
                        && !o.dentry.is_directory()
                        && !me.is_directory()
                        && (o.dentry.unnamed_stream_hash() != me.unnamed_stream_hash()
                            || o.dentry.reparse_hash() != me.reparse_hash())
                })
            }
            Some(_) => true,
        }
    }
    /// True when this dentry or an ancestor is flagged.
    pub fn is_hidden_by_problem(&self, id: NodeId) -> bool {
        let mut cur = Some(id);
        while let Some(c) = cur {
            if self.node(c).problem.is_some() {
                return true;
            }
            cur = self.node(c).parent;
        }
        false
    }
    /// All node ids in arena order.
    pub fn ids(&self) -> impl Iterator<Item = NodeId> + '_ {
        (0..self.nodes.len() as u32).map(NodeId)
    }
    /// The full path of `id` (`/` for the root, names shown lossily).
    pub fn path(&self, id: NodeId) -> String {
        let mut parts = Vec::new();
        let mut cur = id;
        while let Some(p) = self.node(cur).parent {
            parts.push(self.node(cur).dentry.name().to_string_lossy());
            cur = p;
        }
        parts.reverse();
        format!("/{}", parts.join("/"))
    }
    /// Pre-order walk in stored order, flagged entries included.
    pub fn walk(&self) -> Walk<'_> {
        self.walk_with(WalkOptions::default())
    }
    /// Pre-order walk with options.
    pub fn walk_with(&self, opts: WalkOptions) -> Walk<'_> {
        Walk {
            tree: self,
            opts,
            stack: vec![(self.root(), "/".to_string())],
        }
    }
    /// Pre-order walk of the subtree at `start` (paths are full paths from the root).
    pub fn walk_from(&self, start: NodeId, opts: WalkOptions) -> Walk<'_> {
        Walk {
            tree: self,
            opts,
            stack: vec![(start, self.path(start))],
        }
    }
    /// Finds a path (`/` or `\` separators, case-sensitive, empty components ignored);
    /// flagged entries are not found.
    pub fn lookup(&self, path: &str) -> Option<NodeId> {
        let mut cur = self.root();
        for comp in path.split(['/', '\\']).filter(|c| !c.is_empty()) {
            cur = *self.children(cur).iter().find(|&&c| {
                let n = self.node(c);
                n.problem.is_none() && n.dentry.name().eq_str(comp)
            })?;
        }
        Some(cur)
    }
    /// The inode of `id`.
    pub fn inode_of(&self, id: NodeId) -> InodeId {
        self.inode_of.get(id.index()).copied().unwrap_or(InodeId(0))
    }
    /// The inode `id`, if valid.
    pub fn inode(&self, id: InodeId) -> Option<&Inode> {
        self.inodes.get(id.index())
    }
    /// All inodes.
    pub fn inodes(&self) -> &[Inode] {
        &self.inodes
    }
    /// The number of names of the inode of `id`.
    pub fn link_count(&self, id: NodeId) -> usize {
        self.inode(self.inode_of(id)).map_or(1, Inode::link_count)
    }
}
