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
pub mod model;
pub mod name;
pub mod security;
pub mod streams;
pub mod time;
pub mod tree;
pub mod write;

#[cfg(test)]
pub(crate) mod testbuild;

pub use dentry::{Dentry, FileAttributes, ReparseInfo, TaggedItem, UnixData};
pub use inode::{Inode, InodeId};
pub use name::WimName;
pub use security::SecurityData;
pub use streams::{NamedStream, StreamEntry};
pub use time::FileTime;
pub use tree::{
    DentryTree, NameProblem, NodeId, ParseMode, Walk, WalkEntry, WalkOptions, WalkOrder,
};

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
        Limits::check(
            "metadata resource size",
            bytes.len() as u64,
            limits.max_metadata_bytes,
        )?;
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

#[cfg(test)]
mod tests {
    use super::testbuild::{T, build, u};
    use super::*;
    use crate::error::FormatErrorKind;
    use crate::{Error, Sha1Digest};

    fn kind_at(e: &Error) -> (Option<FormatErrorKind>, Option<u64>) {
        match e {
            Error::Format(f) => (Some(f.kind()), f.offset()),
            _ => (None, None),
        }
    }

    fn paths(m: &ImageMetadata, opts: WalkOptions) -> Vec<String> {
        m.tree().walk_with(opts).map(|e| e.path).collect()
    }

    fn sample() -> T {
        T::dir(
            "",
            vec![
                T::dir("b", vec![T::file("x", 1), T::dir("empty", vec![])]),
                T::file("A", 2),
                T::file("_c", 3),
            ],
        )
    }

    #[test]
    fn parses_tree_walks_and_looks_up() {
        let mut root = sample();
        root.security_id = 0;
        root.children[1].security_id = 7; // out of range
        let b = build(&root, &[vec![1, 2, 3]]);
        let m = ImageMetadata::parse_strict(&b.bytes, &Limits::default()).unwrap();
        assert_eq!(m.security().len(), 1);
        let t = m.tree();
        assert_eq!(t.len(), 6);
        assert_eq!(
            paths(&m, WalkOptions::default()),
            ["/", "/b", "/b/x", "/b/empty", "/A", "/_c"]
        );
        let collated = WalkOptions {
            order: WalkOrder::Collated,
            skip_flagged: true,
        };
        assert_eq!(
            paths(&m, collated),
            ["/", "/A", "/b", "/b/empty", "/b/x", "/_c"]
        );
        let x = t.lookup("b\\x").unwrap();
        assert_eq!(t.lookup("/b/x"), Some(x));
        assert_eq!(t.lookup("/B/x"), None);
        assert_eq!(t.path(x), "/b/x");
        assert_eq!(t.parent(x), t.lookup("/b"));
        assert_eq!(t.parent(t.root()), None);
        assert_eq!(t.depth(x), 2);
        assert_eq!(t.dentry(x).unnamed_stream_hash(), Some(Sha1Digest([1; 20])));
        assert!(t.dentry(t.lookup("/b/empty").unwrap()).is_directory());
        assert_eq!(m.security_descriptor_of(t.root()), Some(&[1u8, 2, 3][..]));
        let a = t.lookup("/A").unwrap();
        assert_eq!(t.dentry(a).security_id(), Some(7));
        assert_eq!(m.security_id_of(a), None);
        assert_eq!(t.link_count(x), 1);
        assert_eq!(t.dentry(x).offset(), b.at("/b/x") as u64);
    }

    #[test]
    fn cyclic_tree_is_rejected() {
        let mut b = build(&sample(), &[]);
        // Point /b's child list back at the root's child list.
        let root_list = crate::bytes::le_u64(&b.bytes, b.at("/") + 0x10).unwrap();
        let bpos = b.at("/b");
        b.put_u64(bpos + 0x10, root_list);
        let e = ImageMetadata::parse(&b.bytes, &Limits::default()).unwrap_err();
        assert_eq!(
            kind_at(&e),
            (Some(FormatErrorKind::CyclicTree), Some(bpos as u64 + 0x10))
        );
        // Pointing at the root dentry itself is a cycle too.
        b.put_u64(bpos + 0x10, b.at("/") as u64);
        let e = ImageMetadata::parse(&b.bytes, &Limits::default()).unwrap_err();
        assert_eq!(kind_at(&e).0, Some(FormatErrorKind::CyclicTree));
    }

    #[test]
    fn bad_names_are_flagged_or_rejected() {
        let cases: [(&[u16], NameProblem); 5] = [
            (&u(".."), NameProblem::DotDot),
            (&u("."), NameProblem::Dot),
            (&[], NameProblem::Empty),
            (&u("a/b"), NameProblem::ContainsSlash),
            (&[0x61, 0, 0x62], NameProblem::ContainsNul),
        ];
        for (name, problem) in cases {
            let mut bad = T::dir("", vec![T::file("etc", 9)]);
            bad.name = name.to_vec();
            let root = T::dir("", vec![T::file("ok", 1), bad]);
            let b = build(&root, &[]);
            let m = ImageMetadata::parse(&b.bytes, &Limits::default()).unwrap();
            let t = m.tree();
            let id = t.children(t.root())[1];
            assert_eq!(t.name_problem(id), Some(problem));
            assert!(t.is_hidden_by_problem(t.children(id)[0]));
            // Kept in the full walk, gone from the wimlib-like walk.
            assert_eq!(t.walk().count(), 4);
            let opts = WalkOptions {
                skip_flagged: true,
                ..Default::default()
            };
            assert_eq!(paths(&m, opts), ["/", "/ok"]);
            let off = b.offsets[2].1 as u64;
            let e = ImageMetadata::parse_strict(&b.bytes, &Limits::default()).unwrap_err();
            assert_eq!(
                kind_at(&e),
                (Some(FormatErrorKind::BadName), Some(off)),
                "{problem}"
            );
        }
    }

    #[test]
    fn duplicate_names_are_flagged_or_rejected() {
        let root = T::dir("", vec![T::file("x", 1), T::file("X", 2), T::file("x", 3)]);
        let b = build(&root, &[]);
        let m = ImageMetadata::parse(&b.bytes, &Limits::default()).unwrap();
        let t = m.tree();
        let kids = t.children(t.root());
        assert_eq!(t.name_problem(kids[0]), None);
        assert_eq!(t.name_problem(kids[1]), None); // case differs: allowed
        assert_eq!(t.name_problem(kids[2]), Some(NameProblem::Duplicate));
        assert_eq!(t.lookup("/x"), Some(kids[0]));
        let e = ImageMetadata::parse_strict(&b.bytes, &Limits::default()).unwrap_err();
        assert_eq!(
            kind_at(&e),
            (
                Some(FormatErrorKind::DuplicateName),
                Some(b.offsets[3].1 as u64)
            )
        );
        let Error::Format(f) = &e else { unreachable!() };
        assert_eq!(f.context().path.as_deref(), Some("/x"));
    }

    #[test]
    fn invalid_utf16_kept_lossy_or_rejected() {
        let mut f = T::file("", 1);
        f.name = vec![0x61, 0xDC00, 0x62];
        let b = build(&T::dir("", vec![f]), &[]);
        let m = ImageMetadata::parse(&b.bytes, &Limits::default()).unwrap();
        let id = m.tree().children(m.tree().root())[0];
        assert_eq!(m.tree().dentry(id).name().units(), &[0x61, 0xDC00, 0x62]);
        assert_eq!(m.tree().path(id), "/a\u{FFFD}b");
        let e = ImageMetadata::parse_strict(&b.bytes, &Limits::default()).unwrap_err();
        let off = b.offsets[1].1 as u64 + 0x66 + 2;
        assert_eq!(kind_at(&e), (Some(FormatErrorKind::BadUtf16), Some(off)));
    }

    #[test]
    fn truncated_and_malformed_dentries() {
        let b = build(&sample(), &[]);
        let x = b.at("/b/x");
        let e = ImageMetadata::parse(&b.bytes[..x + 40], &Limits::default()).unwrap_err();
        assert_eq!(
            kind_at(&e),
            (Some(FormatErrorKind::Truncated), Some(x as u64))
        );
        let e = ImageMetadata::parse(&b.bytes[..x + 4], &Limits::default()).unwrap_err();
        assert_eq!(
            kind_at(&e),
            (Some(FormatErrorKind::Truncated), Some(x as u64))
        );
        let mut b2 = build(&sample(), &[]);
        b2.put_u64(x, 50);
        let e = ImageMetadata::parse(&b2.bytes, &Limits::default()).unwrap_err();
        assert_eq!(
            kind_at(&e),
            (Some(FormatErrorKind::BadMetadata), Some(x as u64))
        );
        let mut b3 = build(&sample(), &[]);
        b3.put_u16(x + 0x64, 3);
        let e = ImageMetadata::parse(&b3.bytes, &Limits::default()).unwrap_err();
        assert_eq!(
            kind_at(&e),
            (Some(FormatErrorKind::BadMetadata), Some(x as u64 + 0x62))
        );
        let mut b4 = build(&sample(), &[]);
        b4.put_u16(x + 0x64, 200); // name longer than the dentry
        let e = ImageMetadata::parse(&b4.bytes, &Limits::default()).unwrap_err();
        assert_eq!(
            kind_at(&e),
            (Some(FormatErrorKind::BadMetadata), Some(x as u64))
        );
        let e = ImageMetadata::parse(&[8, 0, 0, 0, 0, 0, 0, 0], &Limits::default()).unwrap_err();
        assert_eq!(kind_at(&e), (Some(FormatErrorKind::Truncated), Some(8)));
    }

    #[test]
    fn limits_are_enforced() {
        let deep = T::dir(
            "",
            vec![T::dir("1", vec![T::dir("2", vec![T::file("3", 1)])])],
        );
        let b = build(&deep, &[]);
        let l = Limits {
            max_depth: 2,
            ..Limits::default()
        };
        let e = ImageMetadata::parse(&b.bytes, &l).unwrap_err();
        assert!(matches!(
            e,
            Error::LimitExceeded {
                what: "directory depth",
                found: 3,
                limit: 2
            }
        ));
        let l = Limits {
            max_dentries: 3,
            ..Limits::default()
        };
        let e = ImageMetadata::parse(&b.bytes, &l).unwrap_err();
        assert!(matches!(
            e,
            Error::LimitExceeded {
                what: "dentry count",
                found: 4,
                limit: 3
            }
        ));
        let l = Limits {
            max_metadata_bytes: 16,
            ..Limits::default()
        };
        let e = ImageMetadata::parse(&b.bytes, &l).unwrap_err();
        assert!(matches!(
            e,
            Error::LimitExceeded {
                what: "metadata resource size",
                ..
            }
        ));
        assert!(ImageMetadata::parse(&b.bytes, &Limits::default()).is_ok());
    }

    #[test]
    fn hard_links_group_by_id_and_hash() {
        let mut a = T::file("a", 1);
        let mut b_ = T::file("b", 1);
        let mut c = T::file("c", 2); // same group, different hash: separate inode
        a.union = 5;
        b_.union = 5;
        c.union = 5;
        let b = build(&T::dir("", vec![a, b_, c, T::file("d", 1)]), &[]);
        let m = ImageMetadata::parse(&b.bytes, &Limits::default()).unwrap();
        let t = m.tree();
        let [ia, ib, ic, id] = ["/a", "/b", "/c", "/d"].map(|p| t.lookup(p).unwrap());
        assert_eq!(t.inode_of(ia), t.inode_of(ib));
        assert_ne!(t.inode_of(ia), t.inode_of(ic));
        assert_ne!(t.inode_of(ia), t.inode_of(id));
        assert_eq!(t.link_count(ia), 2);
        assert_eq!(t.link_count(ic), 1);
        assert_eq!(t.dentry(ia).hard_link_group(), Some(5));
        assert_eq!(t.inode(t.inode_of(ia)).unwrap().dentries(), &[ia, ib]);

        let mut d1 = T::dir("d1", vec![]);
        let mut d2 = T::dir("d2", vec![]);
        d1.union = 9;
        d2.union = 9;
        let b = build(&T::dir("", vec![d1, d2]), &[]);
        let e = ImageMetadata::parse(&b.bytes, &Limits::default()).unwrap_err();
        assert_eq!(
            kind_at(&e),
            (
                Some(FormatErrorKind::BadMetadata),
                Some(b.at("/d2") as u64 + 0x58)
            )
        );
    }

    #[test]
    fn streams_reparse_and_tagged_items() {
        let mut f = T::file("f", 0);
        f.streams = vec![
            (vec![], [3; 20]),
            (u("ads"), [4; 20]),
            (u("empty"), [0; 20]),
        ];
        f.short = u("F~1");
        f.times = [1, 2, 3];
        let mut unix = Vec::new();
        for v in [1000u32, 100, 0o100644, 0] {
            unix.extend_from_slice(&v.to_le_bytes());
        }
        f.tagged = vec![(0x337D_D873, unix), (0x1, vec![0xAA; 16])];
        let mut l = T::file("link", 0);
        l.attrs = 0x420;
        l.union = 0x0001_0000_A000_000C; // tag SYMLINK, rp flags NOT_FIXED
        l.streams = vec![(vec![], [5; 20]), (vec![], [6; 20])];
        let b = build(&T::dir("", vec![f, l]), &[]);
        let m = ImageMetadata::parse_strict(&b.bytes, &Limits::default()).unwrap();
        let t = m.tree();
        let f = t.dentry(t.lookup("/f").unwrap());
        assert_eq!(f.unnamed_stream_hash(), Some(Sha1Digest([3; 20])));
        let named: Vec<_> = f.named_streams().collect();
        assert_eq!(named.len(), 2);
        assert!(named[0].name.eq_str("ads"));
        assert_eq!(named[0].hash, Some(Sha1Digest([4; 20])));
        assert_eq!(named[1].hash, None);
        assert_eq!(f.short_name().to_string_lossy(), "F~1");
        assert_eq!(f.creation_time(), FileTime(1));
        assert_eq!(f.last_access_time(), FileTime(2));
        assert_eq!(f.last_write_time(), FileTime(3));
        assert_eq!(
            f.unix_data(),
            Some(UnixData {
                uid: 1000,
                gid: 100,
                mode: 0o100644,
                rdev: 0
            })
        );
        assert_eq!(f.object_id(), Some(&[0xAA; 16][..]));
        assert!(f.reparse_tag().is_none());
        let l = t.dentry(t.lookup("/link").unwrap());
        assert!(l.is_symlink());
        assert_eq!(l.reparse_tag(), Some(0xA000_000C));
        assert_eq!(l.reparse_info().unwrap().flags, 1);
        assert_eq!(l.reparse_hash(), Some(Sha1Digest([5; 20])));
        assert_eq!(l.unnamed_stream_hash(), Some(Sha1Digest([6; 20])));
        assert_eq!(l.hard_link_group(), None);
    }

    #[test]
    fn empty_image_has_synthetic_root() {
        let mut v = vec![8u8, 0, 0, 0, 0, 0, 0, 0];
        v.extend_from_slice(&[0; 8]);
        let m = ImageMetadata::parse(&v, &Limits::default()).unwrap();
        assert!(m.tree().root_is_synthetic());
        assert_eq!(m.tree().walk().map(|e| e.path).collect::<Vec<_>>(), ["/"]);
    }

    /// Equivalent of wimlib's `dotdot__BAD.wim` (LZX, not readable here yet):
    /// `/../../../../etc/passwd` built from dentries named `..`.
    #[test]
    fn dotdot_fixture_equivalent() {
        let mut t = T::dir("etc", vec![T::file("passwd", 1)]);
        for _ in 0..4 {
            t = T::dir("..", vec![t]);
        }
        let b = build(&T::dir("", vec![t]), &[]);
        let m = ImageMetadata::parse(&b.bytes, &Limits::default()).unwrap();
        let all: Vec<String> = m.tree().walk().map(|e| e.path).collect();
        assert_eq!(
            all.last().map(String::as_str),
            Some("/../../../../etc/passwd")
        );
        let opts = WalkOptions {
            skip_flagged: true,
            ..Default::default()
        };
        assert_eq!(paths(&m, opts), ["/"]);
        assert_eq!(m.tree().lookup("/../../../../etc/passwd"), None);
        let e = ImageMetadata::parse_strict(&b.bytes, &Limits::default()).unwrap_err();
        assert_eq!(
            kind_at(&e),
            (Some(FormatErrorKind::BadName), Some(b.offsets[1].1 as u64))
        );
    }

    /// Every single-byte corruption of a small resource parses or fails cleanly.
    #[test]
    fn byte_corruptions_never_panic() {
        let mut root = sample();
        root.children[1].streams = vec![(u("s"), [1; 20])];
        root.children[1].tagged = vec![(0x337D_D873, vec![0; 16])];
        let b = build(&root, &[vec![9; 20]]);
        let mut outcomes = [0usize; 2];
        for i in 0..b.bytes.len() {
            for v in [0x00, 0xFF, 0x80] {
                let mut c = b.bytes.clone();
                c[i] = v;
                let ok = ImageMetadata::parse_strict(&c, &Limits::default()).is_ok();
                outcomes[ok as usize] += 1;
                let _ = ImageMetadata::parse(&c[..i], &Limits::default());
            }
        }
        assert!(outcomes[0] > 0 && outcomes[1] > 0, "{outcomes:?}");
    }
}
