//! Applying an image (or parts of it) to a Linux directory, as `wimlib-imagex apply`.
//!
//! Order of work:
//! 1. plan (single thread): walk the dentry tree, skip flagged names with wimlib's
//!    warnings, group hard links by inode, decode symlink/junction targets, count what
//!    Linux cannot hold (security descriptors, DOS names, named streams, …);
//! 2. create every directory (pre-order) and every empty or special file;
//! 3. stream the blobs on all cores ([`Wim::for_each_blob_parallel`]): each blob opens
//!    the first name of every inode that uses it, writes every chunk to each, sets their
//!    times (and UNIX data), then hard-links the other names;
//! 4. create symbolic links (last, so nothing we write can go through one);
//! 5. set directory times, deepest first.
//!
//! All creates are relative to directory descriptors below the destination and never
//! follow a link (see [`crate::safe_path`]).

use crate::error::{Error, FsOp, Result};
use crate::progress::{Event, EventSink};
use crate::safe_path::{self, SafeRoot};
use rustix::fs::{AtFlags, Mode, Timespec, Timestamps};
use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::Write;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use wim_format::blob_table::BlobEntry;
use wim_format::header::HeaderFlags;
use wim_format::metadata::dentry::{
    IO_REPARSE_TAG_MOUNT_POINT, IO_REPARSE_TAG_SYMLINK, RP_FLAG_NOT_FIXED,
};
use wim_format::metadata::{
    FileAttributes, FileTime, ImageMetadata, NameProblem, NodeId, UnixData,
};
use wim_format::wim::{BlobVisitor, VerifyProgress};
use wim_format::{ImageIndex, Sha1Digest, Wim};

/// Options of [`apply_image`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApplyOptions {
    /// Restore uid, gid and mode (and create FIFOs, sockets and device files) from wimlib
    /// UNIX data (`--unix-data`).
    pub unix_data: bool,
    /// Rewrite absolute link targets of "fixed" reparse points to point into the
    /// destination (wimlib's default `--rpfix` behaviour when the WIM has RP_FIX set).
    pub rpfix: bool,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            unix_data: false,
            rpfix: true,
        }
    }
}

/// What an apply did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplyStats {
    /// Directories created (the destination itself not counted).
    pub dirs: u64,
    /// Regular files (inodes) created.
    pub files: u64,
    /// Extra hard links created.
    pub hard_links: u64,
    /// Symbolic links created.
    pub symlinks: u64,
    /// Bytes of file data written (each blob counted once).
    pub bytes: u64,
    /// Warnings issued.
    pub warnings: Vec<String>,
}

/// Extracts image `image` of `wim` into directory `target` (created if missing).
pub fn apply_image(
    wim: &Wim,
    image: ImageIndex,
    target: &Path,
    opts: &ApplyOptions,
    events: EventSink<'_>,
) -> Result<ApplyStats> {
    let meta = load_metadata(wim, image)?;
    let root = meta.tree().root();
    run(wim, &meta, &[(root, Vec::new())], target, opts, events)
}

/// Reads and parses the metadata of one image.
pub fn load_metadata(wim: &Wim, image: ImageIndex) -> Result<ImageMetadata> {
    let bytes = wim.metadata_bytes(image)?;
    ImageMetadata::parse(&bytes, wim.limits())
        .map_err(|e| Error::Wim(e.map_format(|f| f.image(image))))
}

fn filetime_to_timespec(t: FileTime) -> Timespec {
    Timespec {
        tv_sec: t.unix_seconds(),
        tv_nsec: i64::from(t.subsec_ticks()) * 100,
    }
}

#[derive(Debug, Clone, Copy)]
struct Meta {
    atime: FileTime,
    mtime: FileTime,
    unix: Option<UnixData>,
}

impl Meta {
    fn timestamps(&self) -> Timestamps {
        Timestamps {
            last_access: filetime_to_timespec(self.atime),
            last_modification: filetime_to_timespec(self.mtime),
        }
    }
}

#[derive(Debug)]
struct DirPlan {
    rel: Vec<OsString>,
    meta: Meta,
}

#[derive(Debug)]
struct Name {
    dir: usize,
    name: OsString,
}

#[derive(Debug)]
struct InodePlan {
    names: Vec<Name>,
    meta: Meta,
    hash: Option<Sha1Digest>,
    /// Special file (FIFO, socket, device) with its st_mode and rdev, `--unix-data` only.
    special: Option<(u32, u32)>,
}

#[derive(Debug)]
struct LinkPlan {
    at: Name,
    target: OsString,
    meta: Meta,
}

#[derive(Debug, Default)]
struct Counts {
    readonly: u64,
    hidden: u64,
    system: u64,
    compressed: u64,
    encrypted: u64,
    not_indexed: u64,
    sparse: u64,
    named_streams: u64,
    other_reparse: u64,
    security: u64,
    object_ids: u64,
    dos_names: u64,
    unix: u64,
    xattrs: u64,
}

#[derive(Debug, Default)]
struct Plan {
    dirs: Vec<DirPlan>,
    inodes: Vec<InodePlan>,
    links: Vec<LinkPlan>,
    counts: Counts,
    warnings: Vec<String>,
}

/// Converts a dentry name to a Linux file name (UTF-8; unpaired surrogates → U+FFFD).
fn os_name(units: &[u16]) -> OsString {
    OsString::from(String::from_utf16_lossy(units))
}

fn problem_warning(tree: &wim_format::metadata::DentryTree, id: NodeId, p: NameProblem) -> String {
    let parent = tree
        .parent(id)
        .map_or_else(|| "/".to_string(), |p| tree.path(p));
    match p {
        NameProblem::Dot | NameProblem::DotDot => {
            format!("Ignoring file named \".\" or \"..\" in directory \"{parent}\"")
        }
        NameProblem::Duplicate => format!(
            "Ignoring duplicate file \"{}\" (the WIM image already contains a file at that path with the exact same name)",
            tree.path(id)
        ),
        other => format!("Ignoring file with invalid name ({other}) in directory \"{parent}\""),
    }
}

/// A decoded symlink/junction reparse buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkTarget {
    /// The substitute name (or the print name when the substitute is empty).
    pub name: String,
    /// True for a symlink marked relative (`SYMLINK_FLAG_RELATIVE`).
    pub relative: bool,
}

/// Decodes the reparse data (without its 8-byte header) of a symlink or junction.
pub fn parse_link_reparse(tag: u32, data: &[u8]) -> Option<LinkTarget> {
    let u16_at = |o: usize| -> Option<usize> {
        let b = data.get(o..o.checked_add(2)?)?;
        Some(usize::from(u16::from_le_bytes([b[0], b[1]])))
    };
    let (sub_off, sub_len, pr_off, pr_len) = (u16_at(0)?, u16_at(2)?, u16_at(4)?, u16_at(6)?);
    let (base, relative) = match tag {
        IO_REPARSE_TAG_SYMLINK => {
            let f = data.get(8..12)?;
            (
                12usize,
                u32::from_le_bytes([f[0], f[1], f[2], f[3]]) & 1 != 0,
            )
        }
        IO_REPARSE_TAG_MOUNT_POINT => (8usize, false),
        _ => return None,
    };
    let buf = data.get(base..)?;
    let get = |off: usize, len: usize| -> Option<String> {
        let b = buf.get(off..off.checked_add(len)?)?;
        if !len.is_multiple_of(2) {
            return None;
        }
        let units: Vec<u16> = b
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        Some(String::from_utf16_lossy(&units))
    };
    let sub = get(sub_off, sub_len)?;
    let name = if sub.is_empty() {
        get(pr_off, pr_len)?
    } else {
        sub
    };
    Some(LinkTarget { name, relative })
}

/// The Linux text of a link: `\` → `/`; an absolute target loses its `\??\` prefix and
/// drive letter, and, when `fix_root` is given, is placed below it.
pub fn link_text(t: &LinkTarget, fix_root: Option<&Path>) -> OsString {
    let mut s = t.name.as_str();
    let absolute = !t.relative
        && (s.starts_with('\\') || (s.len() >= 2 && s.as_bytes().get(1) == Some(&b':')));
    if absolute {
        if let Some(rest) = s.strip_prefix("\\??\\") {
            s = rest;
        }
        let b = s.as_bytes();
        if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
            s = &s[2..];
        }
    }
    let unix = s.replace('\\', "/");
    match (absolute, fix_root) {
        (true, Some(root)) => {
            let mut o = root.as_os_str().to_os_string();
            if !unix.is_empty() && !unix.starts_with('/') {
                o.push("/");
            }
            o.push(&unix);
            o
        }
        _ => OsString::from(unix),
    }
}

/// Builds the plan for `selection` (node → destination path relative to the target;
/// an empty path is the target itself, which must then be a directory node).
fn make_plan(
    wim: &Wim,
    meta: &ImageMetadata,
    selection: &[(NodeId, Vec<OsString>)],
    opts: &ApplyOptions,
    fix_root: Option<&Path>,
) -> Result<Plan> {
    let tree = meta.tree();
    let mut plan = Plan::default();
    let mut inode_idx: HashMap<usize, usize> = HashMap::new();
    // (node, destination dir index, name) — the root of a selection with an empty path
    // is the destination directory itself.
    let mut stack: Vec<(NodeId, Option<(usize, OsString)>)> = Vec::new();
    for (id, rel) in selection.iter().rev() {
        match rel.split_last() {
            None => stack.push((*id, None)),
            Some((name, parents)) => {
                // Parent directories of an extracted item: plain directories, no metadata.
                let dir = ensure_dir_chain(&mut plan, parents);
                stack.push((*id, Some((dir, name.clone()))));
            }
        }
    }
    while let Some((id, place)) = stack.pop() {
        let d = tree.dentry(id);
        let m = Meta {
            atime: d.last_access_time(),
            mtime: d.last_write_time(),
            unix: if opts.unix_data { d.unix_data() } else { None },
        };
        count_features(&mut plan.counts, meta, id, opts);
        let children = |plan: &mut Plan, stack: &mut Vec<_>, dir: usize| {
            for &c in tree.children(id).iter().rev() {
                if let Some(p) = tree.name_problem(c) {
                    plan.warnings.push(problem_warning(tree, c, p));
                    continue;
                }
                stack.push((c, Some((dir, os_name(tree.dentry(c).name().units())))));
            }
        };
        if d.is_symlink() {
            let Some((dir, name)) = place else {
                // Selecting a link as the destination itself: nothing sensible to do.
                continue;
            };
            let tag = d.reparse_tag().unwrap_or(0);
            let data = match d.reparse_hash() {
                Some(h) => wim.read_blob(&h)?,
                None => Vec::new(),
            };
            let Some(t) = parse_link_reparse(tag, &data) else {
                plan.warnings.push(format!(
                    "Ignoring reparse point \"{}\": its reparse data is not a valid symbolic link or junction",
                    tree.path(id)
                ));
                continue;
            };
            let fixed = d
                .reparse_info()
                .is_some_and(|r| r.flags & RP_FLAG_NOT_FIXED == 0);
            let root = if fixed { fix_root } else { None };
            plan.links.push(LinkPlan {
                at: Name { dir, name },
                target: link_text(&t, root),
                meta: m,
            });
            continue;
        }
        if d.is_directory() {
            let idx = match place {
                None => {
                    let i = ensure_dir_chain(&mut plan, &[]);
                    plan.dirs[i].meta = m;
                    i
                }
                Some((dir, name)) => {
                    let mut rel = plan.dirs[dir].rel.clone();
                    rel.push(name);
                    plan.dirs.push(DirPlan { rel, meta: m });
                    plan.dirs.len() - 1
                }
            };
            children(&mut plan, &mut stack, idx);
            continue;
        }
        let Some((dir, name)) = place else {
            return Err(Error::Usage(
                crate::error::UsageKind::Other,
                "the image root is not a directory".into(),
            ));
        };
        let special = m.unix.and_then(|u| {
            let fmt = u.mode & 0o170000;
            matches!(fmt, 0o010000 | 0o020000 | 0o060000 | 0o140000).then_some((u.mode, u.rdev))
        });
        let ino = tree.inode_of(id).index();
        let k = *inode_idx.entry(ino).or_insert_with(|| {
            plan.inodes.push(InodePlan {
                names: Vec::new(),
                meta: m,
                hash: d.unnamed_stream_hash(),
                special,
            });
            plan.inodes.len() - 1
        });
        plan.inodes[k].names.push(Name { dir, name });
    }
    Ok(plan)
}

/// Finds or adds the plain directory at `rel` (and its parents).
fn ensure_dir_chain(plan: &mut Plan, rel: &[OsString]) -> usize {
    let zero = Meta {
        atime: FileTime(0),
        mtime: FileTime(0),
        unix: None,
    };
    let mut found = None;
    for n in 0..=rel.len() {
        let want = &rel[..n];
        let i = match plan.dirs.iter().position(|d| d.rel.as_slice() == want) {
            Some(i) => i,
            None => {
                plan.dirs.push(DirPlan {
                    rel: want.to_vec(),
                    meta: Meta {
                        atime: FileTime(u64::MAX),
                        ..zero
                    },
                });
                plan.dirs.len() - 1
            }
        };
        found = Some(i);
    }
    found.unwrap_or(0)
}

fn count_features(c: &mut Counts, meta: &ImageMetadata, id: NodeId, opts: &ApplyOptions) {
    let d = meta.tree().dentry(id);
    let a = d.attributes();
    let add = |n: &mut u64, yes: bool| *n += u64::from(yes);
    add(&mut c.readonly, a.contains(FileAttributes::READONLY));
    add(&mut c.hidden, a.contains(FileAttributes::HIDDEN));
    add(&mut c.system, a.contains(FileAttributes::SYSTEM));
    add(&mut c.compressed, a.contains(FileAttributes::COMPRESSED));
    add(&mut c.encrypted, a.contains(FileAttributes::ENCRYPTED));
    add(
        &mut c.not_indexed,
        a.contains(FileAttributes::NOT_CONTENT_INDEXED),
    );
    add(&mut c.sparse, a.contains(FileAttributes::SPARSE_FILE));
    add(
        &mut c.named_streams,
        d.named_streams().next().is_some() && !d.is_symlink(),
    );
    add(
        &mut c.other_reparse,
        d.is_reparse_point() && !d.is_symlink(),
    );
    add(&mut c.security, meta.security_id_of(id).is_some());
    add(&mut c.object_ids, d.object_id().is_some());
    add(&mut c.dos_names, !d.short_name().is_empty());
    add(&mut c.unix, !opts.unix_data && d.unix_data().is_some());
    add(
        &mut c.xattrs,
        d.xattrs().is_some() || d.linux_xattrs_old().is_some(),
    );
}

fn feature_warnings(c: &Counts) -> Vec<String> {
    let mut w = Vec::new();
    let mut one = |n: u64, what: &str, hint: &str| {
        if n > 0 {
            w.push(format!("Ignoring {what} of {n} files{hint}"));
        }
    };
    let unix_hint = "\n          (use --unix-data mode to extract these)";
    one(c.readonly, "FILE_ATTRIBUTE_READONLY", "");
    one(c.hidden, "FILE_ATTRIBUTE_HIDDEN", "");
    one(c.system, "FILE_ATTRIBUTE_SYSTEM", "");
    one(c.compressed, "FILE_ATTRIBUTE_COMPRESSED", "");
    one(c.encrypted, "FILE_ATTRIBUTE_ENCRYPTED", "");
    one(c.not_indexed, "FILE_ATTRIBUTE_NOT_CONTENT_INDEXED", "");
    one(c.sparse, "FILE_ATTRIBUTE_SPARSE_FILE", "");
    one(c.named_streams, "named data streams", "");
    one(c.other_reparse, "reparse data", "");
    one(c.security, "Windows NT security descriptors", "");
    one(c.object_ids, "object IDs", "");
    one(c.dos_names, "DOS names", "");
    one(c.unix, "UNIX metadata (uid/gid/mode/rdev)", unix_hint);
    one(c.xattrs, "extended attributes", unix_hint);
    w
}

fn set_unix_fd(fd: &impl std::os::fd::AsFd, u: &UnixData) -> std::io::Result<()> {
    rustix::fs::fchown(
        fd,
        Some(rustix::fs::Uid::from_raw(u.uid)),
        Some(rustix::fs::Gid::from_raw(u.gid)),
    )?;
    rustix::fs::fchmod(fd, Mode::from_raw_mode(u.mode & 0o7777))?;
    Ok(())
}

/// Runs a plan: the shared engine of apply and extract.
pub(crate) fn run(
    wim: &Wim,
    meta: &ImageMetadata,
    selection: &[(NodeId, Vec<OsString>)],
    target: &Path,
    opts: &ApplyOptions,
    events: EventSink<'_>,
) -> Result<ApplyStats> {
    let root = SafeRoot::create(target).map_err(|e| Error::fs(FsOp::Mkdir, target, e))?;
    let fix_root = if opts.rpfix && wim.header().flags.contains(HeaderFlags::RP_FIX) {
        Some(std::fs::canonicalize(target).map_err(|e| Error::fs(FsOp::Open, target, e))?)
    } else {
        None
    };
    let plan = make_plan(wim, meta, selection, opts, fix_root.as_deref())?;
    let mut stats = ApplyStats::default();
    for w in &plan.warnings {
        events(&Event::Warning(w.clone()));
    }
    stats.warnings.extend(plan.warnings.iter().cloned());
    // Every blob must be available before anything is written.
    for ino in &plan.inodes {
        if let Some(h) = ino.hash {
            wim.entry(&h)?;
        }
    }
    let disp = |rel: &[OsString], name: Option<&OsStr>| -> PathBuf {
        let mut p = target.join(safe_path::join(rel));
        if let Some(n) = name {
            p.push(n);
        }
        p
    };

    // 2. Directories (pre-order) and empty/special files.
    for d in &plan.dirs {
        if let Some((name, parent)) = d.rel.split_last() {
            let pfd = root
                .open_dir(parent)
                .map_err(|e| Error::fs(FsOp::Mkdir, disp(&d.rel, None), e))?;
            safe_path::mkdir(&pfd, name)
                .map_err(|e| Error::fs(FsOp::Mkdir, disp(&d.rel, None), e))?;
            stats.dirs += 1;
        }
    }
    let open_dir = |i: usize| -> Result<OwnedFd> {
        let rel = plan.dirs.get(i).map_or(&[][..], |d| d.rel.as_slice());
        root.open_dir(rel)
            .map_err(|e| Error::fs(FsOp::Open, disp(rel, None), e))
    };
    let mut by_blob: HashMap<Sha1Digest, Vec<usize>> = HashMap::new();
    for (k, ino) in plan.inodes.iter().enumerate() {
        match (ino.hash, ino.special) {
            (_, Some((mode, rdev))) => {
                let first = &ino.names[0];
                let pfd = open_dir(first.dir)?;
                let ft = rustix::fs::FileType::from_raw_mode(mode);
                let dev = u64::from(rdev);
                rustix::fs::mknodat(
                    &pfd,
                    first.name.as_os_str(),
                    ft,
                    Mode::from_raw_mode(mode & 0o7777),
                    dev,
                )
                .map_err(|e| {
                    Error::fs(
                        FsOp::Open,
                        disp(&plan.dirs[first.dir].rel, Some(&first.name)),
                        e.into(),
                    )
                })?;
                finish_names(&root, &plan, k, None, &open_dir, &disp)?;
                stats.files += 1;
            }
            (Some(h), None) => by_blob.entry(h).or_default().push(k),
            (None, None) => {
                let first = &ino.names[0];
                let pfd = open_dir(first.dir)?;
                let f = safe_path::create_file(&pfd, &first.name).map_err(|e| {
                    Error::fs(
                        FsOp::Open,
                        disp(&plan.dirs[first.dir].rel, Some(&first.name)),
                        e,
                    )
                })?;
                finish_names(&root, &plan, k, Some(f), &open_dir, &disp)?;
                stats.files += 1;
            }
        }
    }

    // 3. File data on all cores.
    let visitor = Writer {
        root: &root,
        plan: &plan,
        by_blob: &by_blob,
        target,
        error: Mutex::new(None),
    };
    let progress = |p: VerifyProgress| {
        events(&Event::Progress {
            done: p.bytes_done,
            total: p.bytes_total,
        });
    };
    if !by_blob.is_empty() {
        let res =
            wim.for_each_blob_parallel(&|e| by_blob.contains_key(&e.hash), &visitor, &progress);
        if let Ok(mut g) = visitor.error.lock()
            && let Some(e) = g.take()
        {
            return Err(e);
        }
        let report = res?;
        if let Some(f) = report.failures.into_iter().next() {
            return Err(Error::Wim(f.error));
        }
        stats.bytes = report.bytes;
    }
    stats.files += by_blob.values().map(|v| v.len() as u64).sum::<u64>();
    stats.hard_links = plan
        .inodes
        .iter()
        .map(|i| i.names.len().saturating_sub(1) as u64)
        .sum();

    // 4. Symbolic links, last.
    for l in &plan.links {
        let pfd = open_dir(l.at.dir)?;
        let p = || disp(&plan.dirs[l.at.dir].rel, Some(&l.at.name));
        safe_path::symlink(&pfd, &l.at.name, &l.target)
            .map_err(|e| Error::fs(FsOp::Symlink, p(), e))?;
        if let Some(u) = &l.meta.unix {
            rustix::fs::chownat(
                &pfd,
                l.at.name.as_os_str(),
                Some(rustix::fs::Uid::from_raw(u.uid)),
                Some(rustix::fs::Gid::from_raw(u.gid)),
                AtFlags::SYMLINK_NOFOLLOW,
            )
            .map_err(|e| Error::fs(FsOp::SetMetadata, p(), e.into()))?;
        }
        rustix::fs::utimensat(
            &pfd,
            l.at.name.as_os_str(),
            &l.meta.timestamps(),
            AtFlags::SYMLINK_NOFOLLOW,
        )
        .map_err(|e| Error::fs(FsOp::SetMetadata, p(), e.into()))?;
        stats.symlinks += 1;
    }

    // 5. Directory metadata, deepest first.
    for d in plan.dirs.iter().rev() {
        if d.meta.atime == FileTime(u64::MAX) {
            continue; // a plain parent made for extract
        }
        let fd = root
            .open_dir(&d.rel)
            .map_err(|e| Error::fs(FsOp::SetMetadata, disp(&d.rel, None), e))?;
        if let Some(u) = &d.meta.unix {
            set_unix_fd(&fd, u).map_err(|e| Error::fs(FsOp::SetMetadata, disp(&d.rel, None), e))?;
        }
        rustix::fs::futimens(&fd, &d.meta.timestamps())
            .map_err(|e| Error::fs(FsOp::SetMetadata, disp(&d.rel, None), e.into()))?;
    }

    for w in feature_warnings(&plan.counts) {
        events(&Event::Warning(w.clone()));
        stats.warnings.push(w);
    }
    Ok(stats)
}

/// Sets metadata on the written first name of inode `k` (through `file` when open) and
/// hard-links its other names.
fn finish_names(
    root: &SafeRoot,
    plan: &Plan,
    k: usize,
    file: Option<File>,
    open_dir: &dyn Fn(usize) -> Result<OwnedFd>,
    disp: &dyn Fn(&[OsString], Option<&OsStr>) -> PathBuf,
) -> Result<()> {
    let _ = root;
    let ino = &plan.inodes[k];
    let Some(first) = ino.names.first() else {
        return Ok(());
    };
    let first_path = || disp(&plan.dirs[first.dir].rel, Some(&first.name));
    // The directory is opened only when needed (no open file, or extra names): one
    // path resolution less per plain file.
    let needs_dir = file.is_none() || ino.names.len() > 1;
    let first_fd = if needs_dir {
        Some(open_dir(first.dir)?)
    } else {
        None
    };
    match (&file, &first_fd) {
        (Some(f), _) => {
            if let Some(u) = &ino.meta.unix {
                set_unix_fd(f, u).map_err(|e| Error::fs(FsOp::SetMetadata, first_path(), e))?;
            }
            rustix::fs::futimens(f, &ino.meta.timestamps())
                .map_err(|e| Error::fs(FsOp::SetMetadata, first_path(), e.into()))?;
        }
        (None, None) => {}
        (None, Some(dfd)) => {
            if let Some(u) = &ino.meta.unix {
                rustix::fs::chownat(
                    dfd,
                    first.name.as_os_str(),
                    Some(rustix::fs::Uid::from_raw(u.uid)),
                    Some(rustix::fs::Gid::from_raw(u.gid)),
                    AtFlags::SYMLINK_NOFOLLOW,
                )
                .map_err(|e| Error::fs(FsOp::SetMetadata, first_path(), e.into()))?;
            }
            rustix::fs::utimensat(
                dfd,
                first.name.as_os_str(),
                &ino.meta.timestamps(),
                AtFlags::SYMLINK_NOFOLLOW,
            )
            .map_err(|e| Error::fs(FsOp::SetMetadata, first_path(), e.into()))?;
        }
    }
    drop(file);
    let Some(first_fd) = first_fd else {
        return Ok(());
    };
    for n in ino.names.iter().skip(1) {
        let to_fd = if n.dir == first.dir {
            None
        } else {
            Some(open_dir(n.dir)?)
        };
        safe_path::link(
            &first_fd,
            &first.name,
            to_fd.as_ref().unwrap_or(&first_fd),
            &n.name,
        )
        .map_err(|e| Error::fs(FsOp::Link, disp(&plan.dirs[n.dir].rel, Some(&n.name)), e))?;
    }
    Ok(())
}

/// At most this many destination files are open per blob; further inodes sharing the
/// blob are copied from the first one when it is complete.
const MAX_OPEN_PER_BLOB: usize = 16;

struct Writer<'a> {
    root: &'a SafeRoot,
    plan: &'a Plan,
    by_blob: &'a HashMap<Sha1Digest, Vec<usize>>,
    target: &'a Path,
    error: Mutex<Option<Error>>,
}

struct BlobState {
    open: Vec<(usize, File)>,
    rest: Vec<usize>,
}

impl Writer<'_> {
    fn path_of(&self, k: usize) -> PathBuf {
        let mut p = self.target.to_path_buf();
        if let Some(n) = self.plan.inodes.get(k).and_then(|i| i.names.first()) {
            if let Some(d) = self.plan.dirs.get(n.dir) {
                p.push(safe_path::join(&d.rel));
            }
            p.push(&n.name);
        }
        p
    }

    fn fail(&self, e: Error) -> wim_format::Error {
        let msg = e.to_string();
        if let Ok(mut g) = self.error.lock()
            && g.is_none()
        {
            *g = Some(e);
        }
        wim_format::Error::Io {
            source: std::io::Error::other(msg),
            offset: None,
        }
    }

    fn create(&self, k: usize) -> Result<File> {
        let ino = &self.plan.inodes[k];
        let Some(first) = ino.names.first() else {
            return Err(Error::Usage(
                crate::error::UsageKind::Other,
                "empty inode".into(),
            ));
        };
        let rel = self
            .plan
            .dirs
            .get(first.dir)
            .map_or(&[][..], |d| d.rel.as_slice());
        safe_path::create_file_beneath(self.root, rel, &first.name)
            .map_err(|e| Error::fs(FsOp::Open, self.path_of(k), e))
    }

    fn open_dir(&self, i: usize) -> Result<OwnedFd> {
        let rel = self.plan.dirs.get(i).map_or(&[][..], |d| d.rel.as_slice());
        self.root.open_dir(rel).map_err(|e| {
            let mut p = self.target.join(safe_path::join(rel));
            if rel.is_empty() {
                p = self.target.to_path_buf();
            }
            Error::fs(FsOp::Open, p, e)
        })
    }

    fn finish(&self, k: usize, f: File) -> Result<()> {
        let disp = |rel: &[OsString], name: Option<&OsStr>| -> PathBuf {
            let mut p = self.target.join(safe_path::join(rel));
            if let Some(n) = name {
                p.push(n);
            }
            p
        };
        finish_names(
            self.root,
            self.plan,
            k,
            Some(f),
            &|i| self.open_dir(i),
            &disp,
        )
    }
}

impl BlobVisitor for Writer<'_> {
    type State = BlobState;

    fn begin(&self, blob: &BlobEntry) -> wim_format::Result<BlobState> {
        let all = self
            .by_blob
            .get(&blob.hash)
            .map_or(&[][..], |v| v.as_slice());
        let n = all.len().min(MAX_OPEN_PER_BLOB);
        let mut open = Vec::with_capacity(n);
        for &k in &all[..n] {
            let f = self.create(k).map_err(|e| self.fail(e))?;
            open.push((k, f));
        }
        Ok(BlobState {
            open,
            rest: all[n..].to_vec(),
        })
    }

    fn data(&self, st: &mut BlobState, data: &[u8]) -> wim_format::Result<()> {
        for (k, f) in &mut st.open {
            if let Err(e) = f.write_all(data) {
                let err = Error::fs(FsOp::Write, self.path_of(*k), e);
                return Err(self.fail(err));
            }
        }
        Ok(())
    }

    fn end(&self, _blob: &BlobEntry, st: BlobState) -> wim_format::Result<()> {
        let first = st.open.first().map(|(k, _)| *k);
        for (k, f) in st.open {
            self.finish(k, f).map_err(|e| self.fail(e))?;
        }
        if let Some(src_k) = first {
            for k in st.rest {
                let r = (|| -> Result<()> {
                    let src_path = self.path_of(src_k);
                    let ino = &self.plan.inodes[src_k];
                    let n = &ino.names[0];
                    let dfd = self.open_dir(n.dir)?;
                    let src_fd = rustix::fs::openat(
                        &dfd,
                        n.name.as_os_str(),
                        rustix::fs::OFlags::RDONLY
                            | rustix::fs::OFlags::NOFOLLOW
                            | rustix::fs::OFlags::CLOEXEC,
                        Mode::empty(),
                    )
                    .map_err(|e| Error::fs(FsOp::Open, &src_path, e.into()))?;
                    let mut src = File::from(src_fd);
                    let mut dst = self.create(k)?;
                    std::io::copy(&mut src, &mut dst)
                        .map_err(|e| Error::fs(FsOp::Write, self.path_of(k), e))?;
                    self.finish(k, dst)
                })();
                r.map_err(|e| self.fail(e))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(name: &str, relative: bool) -> LinkTarget {
        LinkTarget {
            name: name.into(),
            relative,
        }
    }

    #[test]
    fn link_texts() {
        let root = Path::new("/tmp/x/out2");
        assert_eq!(
            link_text(&t("\\??\\C:\\dir\\another.txt", false), Some(root)),
            "/tmp/x/out2/dir/another.txt"
        );
        assert_eq!(
            link_text(&t("\\??\\C:\\etc\\passwd", false), None),
            "/etc/passwd"
        );
        assert_eq!(link_text(&t("..\\a\\b", true), Some(root)), "../a/b");
        assert_eq!(
            link_text(&t("\\??\\C:\\", false), Some(root)),
            "/tmp/x/out2/"
        );
    }

    #[test]
    fn reparse_buffers() {
        // symlink, relative, substitute "a\b", print "a\b"
        let mut v = Vec::new();
        let s: Vec<u8> = "a\\b"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        v.extend_from_slice(&0u16.to_le_bytes());
        v.extend_from_slice(&(s.len() as u16).to_le_bytes());
        v.extend_from_slice(&(s.len() as u16).to_le_bytes());
        v.extend_from_slice(&(s.len() as u16).to_le_bytes());
        v.extend_from_slice(&1u32.to_le_bytes());
        v.extend_from_slice(&s);
        v.extend_from_slice(&s);
        assert_eq!(
            parse_link_reparse(IO_REPARSE_TAG_SYMLINK, &v),
            Some(t("a\\b", true))
        );
        assert_eq!(parse_link_reparse(IO_REPARSE_TAG_SYMLINK, &v[..14]), None);
        assert_eq!(parse_link_reparse(0x8000_0017, &v), None);
    }
}
