//! Serialises an [`ImageTree`] into an uncompressed metadata resource
//! (`wim-format.md` §6).
//!
//! ```text
//! | security data (8-aligned) | root dentry | 0u64 | list(root) | list(d1) | list(d1/…) | list(d2) | …
//!                                                   └ children in collation order, then 0u64
//! ```
//!
//! Lists are laid out in pre-order of directories (a directory's list, then the lists of
//! its subdirectories in collation order), so every directory — empty ones included —
//! gets a subdirectory offset. Offsets are computed in a first pass (sizes only) and the
//! bytes written in a second.
//!
//! Streams follow what DISM writes (and wimlib since 1.14.2): an encrypted inode stores
//! only its EFSRPC raw stream (the model's `data`); otherwise the streams needed are the
//! reparse stream (reparse points), the unnamed data stream (non-directories) and the
//! named streams. When exactly one stream is needed and it is unnamed, its hash is the
//! dentry's main hash and no extra entries follow; otherwise the main hash is zero and
//! every stream is an extra entry, reparse first, then unnamed data, then named.
//!
//! Hard links: inodes with more than one name get group ids 1, 2, … in the order they are
//! first met in the pre-order walk; single names get 0. Reparse points store their tag in
//! the same field and are never grouped.

use super::dentry::{DENTRY_FIXED_SIZE, FileAttributes, NO_SECURITY_ID};
use super::model::{EntryId, ImageTree, Inode};
use super::name::WimName;
use super::streams::STREAM_ENTRY_FIXED_SIZE;
use crate::digest::Sha1Digest;
use crate::error::{Error, Result, UsageError};

fn align8(n: usize) -> usize {
    (n + 7) & !7
}

fn hash_or_zero(h: Option<Sha1Digest>) -> Sha1Digest {
    match h {
        Some(h) if h != Sha1Digest::EMPTY => h,
        _ => Sha1Digest::ZERO,
    }
}

/// The security data block: `{u32 total, u32 count, u64 sizes[count], descriptors}`,
/// zero-padded to 8; the total length field holds the padded length.
pub fn security_data_bytes(descriptors: &[Vec<u8>]) -> Result<Vec<u8>> {
    let body: usize = descriptors.iter().map(Vec::len).sum();
    let total = align8(8 + 8 * descriptors.len() + body);
    let total32 = u32::try_from(total)
        .map_err(|_| Error::Usage(UsageError::Other("security data exceeds 4 GiB".into())))?;
    let mut v = Vec::with_capacity(total);
    v.extend_from_slice(&total32.to_le_bytes());
    v.extend_from_slice(&(descriptors.len() as u32).to_le_bytes());
    for d in descriptors {
        v.extend_from_slice(&(d.len() as u64).to_le_bytes());
    }
    for d in descriptors {
        v.extend_from_slice(d);
    }
    v.resize(total, 0);
    Ok(v)
}

/// The streams of one dentry: (name, hash) in on-disk order, and whether they go in
/// the main hash.
fn streams_of(inode: &Inode) -> (Sha1Digest, Vec<(WimName, Sha1Digest)>) {
    let mut s: Vec<(WimName, Sha1Digest)> = Vec::new();
    if inode.attributes.contains(FileAttributes::ENCRYPTED) {
        s.push((WimName::default(), hash_or_zero(inode.data)));
    } else {
        if let Some(r) = &inode.reparse {
            s.push((WimName::default(), hash_or_zero(r.data)));
        }
        if !inode.is_directory() {
            s.push((WimName::default(), hash_or_zero(inode.data)));
        }
        for n in &inode.named_streams {
            s.push((n.name.clone(), hash_or_zero(n.hash)));
        }
    }
    match s.as_slice() {
        [(name, h)] if name.is_empty() => (*h, Vec::new()),
        _ => (Sha1Digest::ZERO, s),
    }
}

fn stream_entry_len(name: &WimName) -> usize {
    let n = STREAM_ENTRY_FIXED_SIZE + name.byte_len() + if name.is_empty() { 0 } else { 2 };
    align8(n)
}

fn name_bytes(name: &WimName) -> usize {
    if name.is_empty() {
        0
    } else {
        name.byte_len() + 2
    }
}

/// Length field of the dentry (8-aligned, tagged items included, stream entries not).
fn dentry_len(name: &WimName, short: &WimName, inode: &Inode) -> usize {
    let mut n = align8(DENTRY_FIXED_SIZE + name_bytes(name) + name_bytes(short));
    for t in &inode.tagged_items {
        n += align8(8 + t.data.len());
    }
    n
}

fn dentry_total(name: &WimName, short: &WimName, inode: &Inode) -> usize {
    let (_, extra) = streams_of(inode);
    dentry_len(name, short, inode)
        + extra
            .iter()
            .map(|(n, _)| stream_entry_len(n))
            .sum::<usize>()
}

fn bad_model(msg: String) -> Error {
    Error::Usage(UsageError::Other(msg.into()))
}

fn check_name_len(name: &WimName) -> Result<u16> {
    u16::try_from(name.byte_len())
        .ok()
        .filter(|&n| n < u16::MAX - 1)
        .ok_or_else(|| bad_model(format!("name {name:?} is too long")))
}

#[allow(clippy::too_many_arguments)]
fn write_dentry(
    out: &mut Vec<u8>,
    name: &WimName,
    short: &WimName,
    inode: &Inode,
    subdir: u64,
    group: u64,
    security_count: usize,
) -> Result<()> {
    let start = out.len();
    let len = dentry_len(name, short, inode);
    let (main, extra) = streams_of(inode);
    let mut attrs = inode.attributes;
    attrs.set(FileAttributes::REPARSE_POINT, inode.reparse.is_some());
    let sec = match inode.security_id {
        Some(s) if (s as usize) < security_count => s,
        _ => NO_SECURITY_ID,
    };
    let union = match &inode.reparse {
        Some(r) => u64::from(r.tag) | (u64::from(r.reserved) << 32) | (u64::from(r.flags) << 48),
        None => group,
    };
    let nstreams = u16::try_from(extra.len())
        .map_err(|_| bad_model(format!("{name:?} has too many streams")))?;
    out.extend_from_slice(&(len as u64).to_le_bytes());
    out.extend_from_slice(&attrs.bits().to_le_bytes());
    out.extend_from_slice(&sec.to_le_bytes());
    out.extend_from_slice(&subdir.to_le_bytes());
    out.extend_from_slice(&[0u8; 16]);
    out.extend_from_slice(&inode.creation_time.0.to_le_bytes());
    out.extend_from_slice(&inode.last_access_time.0.to_le_bytes());
    out.extend_from_slice(&inode.last_write_time.0.to_le_bytes());
    out.extend_from_slice(&main.0);
    out.extend_from_slice(&inode.unknown_0x54.to_le_bytes());
    out.extend_from_slice(&union.to_le_bytes());
    out.extend_from_slice(&nstreams.to_le_bytes());
    out.extend_from_slice(&check_name_len(short)?.to_le_bytes());
    out.extend_from_slice(&check_name_len(name)?.to_le_bytes());
    for n in [name, short] {
        if !n.is_empty() {
            out.extend_from_slice(&n.to_utf16le());
            out.extend_from_slice(&[0, 0]);
        }
    }
    out.resize(align8(out.len() - start) + start, 0);
    for t in &inode.tagged_items {
        let tl = u32::try_from(t.data.len())
            .map_err(|_| bad_model(format!("tagged item of {name:?} is too large")))?;
        out.extend_from_slice(&t.tag.to_le_bytes());
        out.extend_from_slice(&tl.to_le_bytes());
        out.extend_from_slice(&t.data);
        out.resize(align8(out.len() - start) + start, 0);
    }
    debug_assert_eq!(out.len() - start, len);
    for (sname, h) in &extra {
        let s = out.len();
        let l = stream_entry_len(sname);
        out.extend_from_slice(&(l as u64).to_le_bytes());
        out.extend_from_slice(&0u64.to_le_bytes());
        out.extend_from_slice(&h.0);
        out.extend_from_slice(&check_name_len(sname)?.to_le_bytes());
        if !sname.is_empty() {
            out.extend_from_slice(&sname.to_utf16le());
            out.extend_from_slice(&[0, 0]);
        }
        out.resize(s + l, 0);
    }
    Ok(())
}

impl ImageTree {
    /// Serialises the image into an uncompressed metadata resource.
    ///
    /// Errors (`Usage`): exact duplicate names in a directory, names or tagged items too
    /// large for their length fields, security data over 4 GiB.
    pub fn to_metadata_bytes(&self) -> Result<Vec<u8>> {
        let sec = security_data_bytes(self.security_descriptors())?;
        let nsec = self.security_descriptors().len();
        let links = self.link_counts();
        // Pre-order of directories, children collated; duplicate names refused.
        let mut dirs: Vec<(EntryId, Vec<EntryId>)> = Vec::new();
        let mut stack = vec![self.root()];
        while let Some(d) = stack.pop() {
            let kids = self.sorted_children(d);
            for w in kids.windows(2) {
                if let [a, b] = w
                    && let (Some(x), Some(y)) = (self.entry(*a), self.entry(*b))
                    && x.name == y.name
                {
                    return Err(bad_model(format!(
                        "duplicate name {:?} in \"{}\"",
                        x.name,
                        self.path(d)
                    )));
                }
            }
            let sub: Vec<EntryId> = kids
                .iter()
                .copied()
                .filter(|&k| self.inode_of(k).is_some_and(Inode::is_directory))
                .collect();
            stack.extend(sub.into_iter().rev());
            dirs.push((d, kids));
        }
        let size_of = |id: EntryId| -> usize {
            match (self.entry(id), self.inode_of(id)) {
                (Some(e), Some(i)) => dentry_total(&e.name, &e.short_name, i),
                _ => 0,
            }
        };
        let root = self.root();
        let mut cursor = sec.len() + size_of(root) + 8;
        let mut list_at: std::collections::HashMap<EntryId, u64> = Default::default();
        for (d, kids) in &dirs {
            list_at.insert(*d, cursor as u64);
            cursor += kids.iter().map(|&k| size_of(k)).sum::<usize>() + 8;
        }
        let mut groups: std::collections::HashMap<usize, u64> = Default::default();
        let mut next_group = 1u64;
        let mut group_of = |id: EntryId| -> u64 {
            let Some(e) = self.entry(id) else { return 0 };
            let Some(i) = self.inode(e.inode) else {
                return 0;
            };
            if links.get(e.inode.index()).copied().unwrap_or(1) < 2
                || i.is_directory()
                || i.reparse.is_some()
            {
                return 0;
            }
            *groups.entry(e.inode.index()).or_insert_with(|| {
                next_group += 1;
                next_group - 1
            })
        };
        let mut out = sec;
        out.reserve(cursor.saturating_sub(out.len()));
        let write = |out: &mut Vec<u8>, id: EntryId, group: u64| -> Result<()> {
            let (Some(e), Some(i)) = (self.entry(id), self.inode_of(id)) else {
                return Ok(());
            };
            let sub = if i.is_directory() {
                list_at.get(&id).copied().unwrap_or(0)
            } else {
                0
            };
            write_dentry(out, &e.name, &e.short_name, i, sub, group, nsec)
        };
        let g = group_of(root);
        write(&mut out, root, g)?;
        out.extend_from_slice(&[0u8; 8]);
        for (_, kids) in &dirs {
            for &k in kids {
                let g = group_of(k);
                write(&mut out, k, g)?;
            }
            out.extend_from_slice(&[0u8; 8]);
        }
        debug_assert_eq!(out.len(), cursor);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Limits;
    use crate::metadata::dentry::{IO_REPARSE_TAG_SYMLINK, TAG_WIMLIB_UNIX_DATA, TaggedItem};
    use crate::metadata::model::ReparsePoint;
    use crate::metadata::streams::NamedStream;
    use crate::metadata::{FileTime, ImageMetadata};

    fn h(b: u8) -> Sha1Digest {
        Sha1Digest([b; 20])
    }

    fn sample() -> ImageTree {
        let mut t = ImageTree::new();
        let sd = t.add_security_descriptor(&[1, 0, 4, 0x80, 0, 0, 0, 0]);
        let root = t.root();
        t.inode_mut(InodeIdExt::root(&t)).unwrap().security_id = Some(sd);
        let dir = t.add(root, "Dir", Inode::directory()).unwrap();
        let mut f = Inode::file(Some(h(1)));
        f.creation_time = FileTime(5);
        f.last_write_time = FileTime(6);
        f.named_streams.push(NamedStream {
            name: WimName::from_str_lossless("ads"),
            hash: Some(h(2)),
        });
        f.tagged_items.push(TaggedItem {
            tag: TAG_WIMLIB_UNIX_DATA,
            data: vec![1; 16],
        });
        let fid = t.add(dir, "b.txt", f).unwrap();
        t.entry_mut(fid).unwrap().short_name = WimName::from_str_lossless("B~1.TXT");
        let a = t.add(dir, "A", Inode::file(Some(h(3)))).unwrap();
        let ino = t.entry(a).unwrap().inode;
        t.link(root, WimName::from_str_lossless("alink"), ino)
            .unwrap();
        t.add(root, "empty", Inode::file(None)).unwrap();
        t.add(dir, "sub", Inode::directory()).unwrap();
        let mut l = Inode::file(None);
        l.reparse = Some(ReparsePoint {
            tag: IO_REPARSE_TAG_SYMLINK,
            data: Some(h(4)),
            ..Default::default()
        });
        t.add(root, "link", l).unwrap();
        let mut jd = Inode::directory();
        jd.reparse = Some(ReparsePoint {
            tag: 0xA000_0003,
            data: Some(h(5)),
            ..Default::default()
        });
        t.add(root, "junction", jd).unwrap();
        let mut dads = Inode::directory();
        dads.named_streams.push(NamedStream {
            name: WimName::from_str_lossless("z"),
            hash: Some(h(6)),
        });
        t.add(root, "dads", dads).unwrap();
        t
    }

    trait InodeIdExt {
        fn root(&self) -> super::super::model::InodeId;
    }
    impl InodeIdExt for ImageTree {
        fn root(&self) -> super::super::model::InodeId {
            self.entry(self.root()).unwrap().inode
        }
    }

    #[test]
    fn round_trips_through_the_reader() {
        let t = sample();
        let bytes = t.to_metadata_bytes().unwrap();
        assert_eq!(bytes.len() % 8, 0);
        let m = ImageMetadata::parse_strict(&bytes, &Limits::default()).unwrap();
        let tr = m.tree();
        let f = tr.dentry(tr.lookup("/Dir/b.txt").unwrap());
        assert_eq!(f.unnamed_stream_hash(), Some(h(1)));
        assert_eq!(f.main_hash(), Sha1Digest::ZERO); // data + ADS → all as entries
        assert_eq!(f.stream_entries().len(), 2);
        assert_eq!(f.short_name().to_string_lossy(), "B~1.TXT");
        assert_eq!(f.unix_data().unwrap().uid, 0x0101_0101);
        let a = tr.lookup("/Dir/A").unwrap();
        assert_eq!(tr.dentry(a).main_hash(), h(3));
        assert_eq!(tr.link_count(a), 2);
        assert_eq!(tr.inode_of(a), tr.inode_of(tr.lookup("/alink").unwrap()));
        let l = tr.dentry(tr.lookup("/link").unwrap());
        assert_eq!(l.reparse_tag(), Some(IO_REPARSE_TAG_SYMLINK));
        assert_eq!(l.reparse_hash(), Some(h(4)));
        assert_eq!(l.stream_entries().len(), 2);
        let j = tr.dentry(tr.lookup("/junction").unwrap());
        assert_eq!((j.main_hash(), j.stream_entries().len()), (h(5), 0));
        let d = tr.dentry(tr.lookup("/dads").unwrap());
        assert_eq!(
            (d.main_hash(), d.stream_entries().len()),
            (Sha1Digest::ZERO, 1)
        );
        assert_eq!(m.security_descriptor_of(tr.root()).unwrap().len(), 8);
        // Stored order is the collation order.
        let names: Vec<String> = tr
            .children(tr.root())
            .iter()
            .map(|&c| tr.dentry(c).name().to_string_lossy())
            .collect();
        assert_eq!(names, ["alink", "dads", "Dir", "empty", "junction", "link"]);
        // Model → bytes → model → bytes is a fixpoint.
        let t2 = ImageTree::from_metadata(&m).unwrap();
        assert_eq!(t2.to_metadata_bytes().unwrap(), bytes);
        let stats = t2.stats(&|_| Some(10));
        // The junction is a directory reparse point: wimlib counts it as a file.
        assert_eq!(stats.dir_count, 4);
        assert_eq!(stats.file_count, 6);
        assert_eq!(stats.hard_link_bytes, 10);
    }

    #[test]
    fn duplicates_refused_and_empty_dirs_get_lists() {
        let mut t = ImageTree::new();
        let r = t.root();
        t.add(r, "x", Inode::file(None)).unwrap();
        assert!(t.add(r, "x", Inode::file(None)).is_err());
        assert!(t.add(r, "..", Inode::file(None)).is_err());
        t.add(r, "X", Inode::directory()).unwrap();
        let b = t.to_metadata_bytes().unwrap();
        let m = ImageMetadata::parse_strict(&b, &Limits::default()).unwrap();
        let x = m.tree().lookup("/X").unwrap();
        assert_ne!(m.tree().dentry(x).subdir_offset(), 0);
        let e = t.entry(t.lookup("/x").unwrap()).unwrap().clone();
        assert_eq!(e.name.to_string_lossy(), "x");
    }

    #[test]
    fn remove_and_rename() {
        let mut t = sample();
        let dir = t.lookup("/Dir").unwrap();
        let root = t.root();
        t.rename(dir, root, WimName::from_str_lossless("D2"))
            .unwrap();
        assert!(t.lookup("/D2/b.txt").is_some());
        t.remove(t.lookup("/D2/A").unwrap()).unwrap();
        let b = t.to_metadata_bytes().unwrap();
        let m = ImageMetadata::parse_strict(&b, &Limits::default()).unwrap();
        let al = m.tree().lookup("/alink").unwrap();
        assert_eq!(m.tree().link_count(al), 1);
        assert_eq!(m.tree().dentry(al).hard_link_group(), None);
        assert!(m.tree().lookup("/D2/A").is_none());
        let sub = t.lookup("/D2/sub").unwrap();
        assert!(
            t.rename(
                t.lookup("/D2").unwrap(),
                sub,
                WimName::from_str_lossless("x")
            )
            .is_err()
        );
    }
}
