//! Case-insensitive path lookup and the system-root rule, over either tree type: the
//! parsed metadata of a WIM image ([`DentryTree`], for `info` and properties of existing
//! images) or the tree being captured ([`ImageTree`], for the XML written at capture).
//!
//! The system root is the top-level directory holding the most of [`MARKERS`]; ties
//! prefer `Windows` (wimlib's rule).

use wim_format::metadata::model::{EntryId, ImageTree};
use wim_format::metadata::{DentryTree, NodeId, WimName};

/// The files looked for under a candidate system root.
pub const MARKERS: [&str; 3] = [
    "System32/kernel32.dll",
    "System32/config/SOFTWARE",
    "System32/config/SYSTEM",
];

/// What the lookups need of a tree: children, names, directories.
pub trait NamedTree {
    /// Entry handle.
    type Id: Copy;
    /// The root directory.
    fn root_id(&self) -> Self::Id;
    /// The children of `dir`.
    fn child_ids(&self, dir: Self::Id) -> &[Self::Id];
    /// The name of `id`, or `None` for an entry lookups must skip.
    fn name_of(&self, id: Self::Id) -> Option<&WimName>;
    /// Whether `id` is a plain directory (a system root candidate).
    fn is_dir(&self, id: Self::Id) -> bool;
}

impl NamedTree for DentryTree {
    type Id = NodeId;
    fn root_id(&self) -> NodeId {
        self.root()
    }
    fn child_ids(&self, dir: NodeId) -> &[NodeId] {
        self.children(dir)
    }
    fn name_of(&self, id: NodeId) -> Option<&WimName> {
        // Entries with unusable names (flagged by the parser) are skipped.
        self.name_problem(id)
            .is_none()
            .then(|| self.dentry(id).name())
    }
    fn is_dir(&self, id: NodeId) -> bool {
        self.dentry(id).is_directory()
    }
}

impl NamedTree for ImageTree {
    type Id = EntryId;
    fn root_id(&self) -> EntryId {
        self.root()
    }
    fn child_ids(&self, dir: EntryId) -> &[EntryId] {
        self.children(dir)
    }
    fn name_of(&self, id: EntryId) -> Option<&WimName> {
        self.entry(id).map(|e| &e.name)
    }
    fn is_dir(&self, id: EntryId) -> bool {
        self.inode_of(id).is_some_and(|i| i.is_plain_directory())
    }
}

/// The child of `dir` named `name`, compared case-insensitively as Windows does; an
/// exact-case match wins over other case-insensitive ones.
pub fn child_ci<T: NamedTree + ?Sized>(tree: &T, dir: T::Id, name: &str) -> Option<T::Id> {
    let want = WimName::from_str_lossless(name);
    let mut found = None;
    for &c in tree.child_ids(dir) {
        let Some(n) = tree.name_of(c) else { continue };
        if n.eq_str(name) {
            return Some(c);
        }
        if found.is_none() && n.eq_ignore_case(&want) {
            found = Some(c);
        }
    }
    found
}

/// `path` (`/` or `\` separators) below `from`, each component found by [`child_ci`].
pub fn rel_lookup<T: NamedTree + ?Sized>(tree: &T, mut from: T::Id, path: &str) -> Option<T::Id> {
    for comp in path.split(['/', '\\']).filter(|c| !c.is_empty()) {
        from = child_ci(tree, from, comp)?;
    }
    Some(from)
}

/// The system root: among top-level directories, the one holding the most of
/// [`MARKERS`]; ties prefer `Windows`. `None` if no directory holds any.
pub fn system_root<T: NamedTree + ?Sized>(tree: &T) -> Option<T::Id> {
    let windows = WimName::from_str_lossless("Windows");
    let mut best: Option<(usize, bool, T::Id)> = None;
    for &c in tree.child_ids(tree.root_id()) {
        let Some(name) = tree.name_of(c) else {
            continue;
        };
        if !tree.is_dir(c) {
            continue;
        }
        let score = MARKERS
            .iter()
            .filter(|p| rel_lookup(tree, c, p).is_some())
            .count();
        if score == 0 {
            continue;
        }
        let is_windows = name.eq_ignore_case(&windows);
        let better = match best {
            None => true,
            Some((s, w, _)) => score > s || (score == s && is_windows && !w),
        };
        if better {
            best = Some((score, is_windows, c));
        }
    }
    best.map(|(_, _, c)| c)
}
