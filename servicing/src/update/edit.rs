//! Applying update commands to an in-memory [`ImageTree`] (new file data goes to the
//! writer as blobs; nothing reaches the file's header until the caller finishes).
//!
//! Semantics follow wimlib-imagex update 1.13.5 (probed):
//! - `add` dir onto an existing directory merges (the existing directories keep their
//!   metadata); file onto an existing file replaces it (error 23 with `--no-replace`);
//!   dir onto a file is error 40; file onto a directory error 32; missing parents are
//!   created as plain directories; an existing non-directory parent is error 40.
//! - `delete`: error 49 when missing (unless `--force`, also when a parent is a file),
//!   error 32 for a directory without `--recursive`; `delete --recursive /` empties the
//!   root.
//! - `rename`: POSIX `rename()`: onto itself is a no-op; a file onto a file replaces it; a
//!   directory onto an empty directory replaces it (also another hard link of the same
//!   file, where POSIX would do nothing: wimlib's behaviour); errors: missing source or target
//!   parent 49, file onto directory 32, directory onto file 40, non-empty target 41,
//!   the root or into its own subtree 41.

use super::command::{AddOptions, UpdateCommand};
use crate::capture::scan::{self, FileJob, ScanOptions, Scanned};
use crate::capture::{unix, write_data};
use crate::error::{Error, FsOp, Result, UsageKind};
use crate::progress::{Event, EventSink};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use wim_format::WimWriter;
use wim_format::metadata::FileAttributes;
use wim_format::metadata::WimName;
use wim_format::metadata::model::{EntryId, ImageTree, Inode, InodeId};
use wim_format::metadata::time::FileTime;
use wim_format::write::WimOutput;

/// Counts of what the commands changed (non-directories only).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EditStats {
    /// Files added where none existed.
    pub added: u64,
    /// Files whose contents were replaced.
    pub replaced: u64,
    /// Files deleted (including those inside deleted directories).
    pub deleted: u64,
    /// Bytes of file data read from the sources.
    pub bytes: u64,
}

/// Applies commands to `tree`, writing new data into `w`.
pub struct Editor<'a, W: WimOutput> {
    /// The image being edited.
    pub tree: &'a mut ImageTree,
    /// The writer receiving new blobs.
    pub writer: &'a mut WimWriter<W>,
    /// Sizes of blobs already in the WIM (files of these sizes are pre-hashed).
    pub known_sizes: HashSet<u64>,
    /// Replace file contents in place, keeping the existing security descriptor,
    /// attributes, short name, creation time and named streams (servicing mode). Off:
    /// wimlib's behaviour (the new file's own metadata).
    pub keep_metadata_on_replace: bool,
    /// Exclusions etc. for `add` (UNIX data and dereference come from each command).
    pub scan: ScanOptions,
    /// Time given to directories created as missing parents.
    pub now: FileTime,
    /// 1-based image number (for messages).
    pub image: u32,
    /// What changed so far.
    pub stats: EditStats,
    /// Progress and warnings.
    pub events: EventSink<'a>,
}

impl<W: WimOutput> std::fmt::Debug for Editor<'_, W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Editor")
            .field("stats", &self.stats)
            .finish()
    }
}

fn err(kind: UsageKind, msg: String) -> Error {
    Error::Usage(kind, msg)
}

/// The components of an in-image path (`/` or `\` separated; empty ones ignored).
pub fn components(path: &str) -> Vec<&str> {
    path.split(['/', '\\']).filter(|c| !c.is_empty()).collect()
}

fn show(comps: &[&str]) -> String {
    format!("/{}", comps.join("/"))
}

fn is_dir(tree: &ImageTree, e: EntryId) -> bool {
    tree.inode_of(e).is_some_and(Inode::is_plain_directory)
}

/// Resolves `comps` (no symlink following); `None` when a component is missing or a
/// parent is not a directory.
pub fn resolve(tree: &ImageTree, comps: &[&str]) -> Option<EntryId> {
    let mut cur = tree.root();
    for c in comps {
        if !is_dir(tree, cur) {
            return None;
        }
        cur = tree.child_named(cur, &WimName::from_str_lossless(c))?;
    }
    Some(cur)
}

/// Non-directory names in the subtree of `e` (itself included).
fn count_files(tree: &ImageTree, e: EntryId) -> u64 {
    let mut n = 0;
    let mut stack = vec![e];
    while let Some(x) = stack.pop() {
        if is_dir(tree, x) {
            stack.extend(tree.children(x).iter().copied());
        } else {
            n += 1;
        }
    }
    n
}

/// Copies the subtree `s` of `src` under `parent` of `dst` as `name`. Hard links inside
/// the copied subtree stay hard links (`map`: src inode → dst inode).
fn graft(
    dst: &mut ImageTree,
    parent: EntryId,
    name: WimName,
    src: &ImageTree,
    s: EntryId,
    map: &mut HashMap<InodeId, InodeId>,
) -> Result<(EntryId, u64)> {
    let mut files = 0u64;
    let one = |dst: &mut ImageTree,
               parent: EntryId,
               name: WimName,
               s: EntryId,
               map: &mut HashMap<InodeId, InodeId>|
     -> Result<EntryId> {
        let se = src
            .entry(s)
            .ok_or_else(|| err(UsageKind::Other, "internal: bad entry".into()))?;
        let sino = src
            .inode(se.inode)
            .ok_or_else(|| err(UsageKind::Other, "internal: bad inode".into()))?;
        let id = match map.get(&se.inode) {
            Some(&i) if !sino.is_directory() => dst.link(parent, name, i)?,
            _ => {
                let mut ino = sino.clone();
                ino.security_id = sino
                    .security_id
                    .and_then(|sid| src.security_descriptors().get(sid as usize))
                    .map(|sd| dst.add_security_descriptor(sd));
                let id = dst.add_named(parent, name, ino)?;
                if let Some(i) = dst.entry(id).map(|e| e.inode) {
                    map.insert(se.inode, i);
                }
                id
            }
        };
        let short = se.short_name.clone();
        if let Some(e) = dst.entry_mut(id) {
            e.short_name = short;
        }
        Ok(id)
    };
    let top = one(dst, parent, name, s, map)?;
    if !is_dir(src, s) {
        files += 1;
    }
    let mut stack = vec![(s, top)];
    while let Some((sd, dd)) = stack.pop() {
        if !is_dir(src, sd) {
            continue;
        }
        for &c in &src.sorted_children(sd) {
            let nm = src.entry(c).map(|e| e.name.clone()).unwrap_or_default();
            let id = one(dst, dd, nm, c, map)?;
            if is_dir(src, c) {
                stack.push((c, id));
            } else {
                files += 1;
            }
        }
    }
    Ok((top, files))
}

impl<W: WimOutput> Editor<'_, W> {
    /// Runs one command.
    pub fn run(&mut self, cmd: &UpdateCommand) -> Result<()> {
        match cmd {
            UpdateCommand::Add {
                source,
                dest,
                options,
            } => self.add(source, dest, options),
            UpdateCommand::Delete {
                path,
                force,
                recursive,
            } => self.delete(path, *force, *recursive),
            UpdateCommand::Rename { from, to } => self.rename(from, to),
        }
    }

    fn scan_source(&mut self, source: &Path, o: &AddOptions) -> Result<(Scanned, bool)> {
        let lmd =
            std::fs::symlink_metadata(source).map_err(|e| Error::fs(FsOp::Stat, source, e))?;
        let md = if o.dereference && lmd.file_type().is_symlink() {
            std::fs::metadata(source).map_err(|e| Error::fs(FsOp::Stat, source, e))?
        } else {
            lmd
        };
        let mut opts = self.scan.clone();
        opts.unix_data = o.unix_data;
        opts.dereference = o.dereference;
        let events = self.events;
        if md.is_dir() {
            let s = scan::scan(source, &opts, &mut |m| events(&Event::Warning(m)))?;
            return Ok((s, true));
        }
        // A single file: a one-entry tree under a scratch root.
        let name = source
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "file".into());
        let mut s = Scanned {
            tree: ImageTree::new(),
            jobs: Vec::new(),
            reparse: Vec::new(),
            dirs: 0,
            files: 1,
            bytes: 0,
        };
        let mut inode = Inode::file(None);
        unix::stamp(&mut inode, &md, opts.unix_data);
        let ft = md.file_type();
        let root = s.tree.root();
        if ft.is_file() {
            inode.attributes = unix::attributes(false);
            let e = s.tree.add(root, &name, inode)?;
            if md.len() > 0
                && let Some(ino) = s.tree.entry(e).map(|x| x.inode)
            {
                use std::os::unix::fs::MetadataExt;
                s.jobs.push(FileJob {
                    inode: ino,
                    path: source.to_path_buf(),
                    size: md.len(),
                    ino: md.ino(),
                });
                s.bytes = md.len();
            }
        } else if ft.is_symlink() {
            let target =
                std::fs::read_link(source).map_err(|e| Error::fs(FsOp::ReadLink, source, e))?;
            let rp = unix::symlink_reparse_data(&target.to_string_lossy(), None);
            let to_dir = std::fs::metadata(source).is_ok_and(|m| m.is_dir());
            s.add_symlink(root, &name, inode, rp, to_dir)?;
        } else if opts.unix_data {
            inode.attributes = FileAttributes::empty();
            s.tree.add(root, &name, inode)?;
        } else {
            return Err(err(
                UsageKind::Other,
                format!(
                    "\"{}\": unsupported file type (use --unix-data to add special files)",
                    source.display()
                ),
            ));
        }
        Ok((s, false))
    }

    /// Creates the missing directories of `comps`; returns the last one.
    fn make_parents(&mut self, comps: &[&str]) -> Result<EntryId> {
        let mut cur = self.tree.root();
        for (i, c) in comps.iter().enumerate() {
            let n = WimName::from_str_lossless(c);
            cur = match self.tree.child_named(cur, &n) {
                Some(e) if is_dir(self.tree, e) => e,
                Some(_) => {
                    return Err(err(
                        UsageKind::NotDirectory,
                        format!(
                            "\"{}\" in the WIM image is not a directory!",
                            show(&comps[..=i])
                        ),
                    ));
                }
                None => {
                    let mut d = Inode::directory();
                    d.creation_time = self.now;
                    d.last_access_time = self.now;
                    d.last_write_time = self.now;
                    self.tree.add_named(cur, n, d)?
                }
            };
        }
        Ok(cur)
    }

    fn add(&mut self, source: &Path, dest: &str, o: &AddOptions) -> Result<()> {
        let (mut scanned, src_dir) = self.scan_source(source, o)?;
        write_data(
            self.writer,
            &mut scanned,
            &self.known_sizes,
            false,
            self.events,
        )?;
        self.stats.bytes += scanned.bytes;
        let src = &scanned.tree;
        let s = if src_dir {
            src.root()
        } else {
            src.children(src.root())
                .first()
                .copied()
                .ok_or_else(|| err(UsageKind::Other, "internal: empty single-file scan".into()))?
        };
        let comps = components(dest);
        let mut map = HashMap::new();
        let Some((last, parents)) = comps.split_last() else {
            if !src_dir {
                return Err(err(
                    UsageKind::IsDirectory,
                    "\"/\" is a directory!\n        Specify the path at which to place the file inside this directory.".into(),
                ));
            }
            let root = self.tree.root();
            return self.merge(root, &comps, src, s, o.no_replace, &mut map);
        };
        let parent = self.make_parents(parents)?;
        let name = WimName::from_str_lossless(last);
        match self.tree.child_named(parent, &name) {
            Some(e) if is_dir(self.tree, e) => {
                if !src_dir {
                    return Err(err(
                        UsageKind::IsDirectory,
                        format!(
                            "\"{}\" is a directory!\n        Specify the path at which to place the file inside this directory.",
                            show(&comps)
                        ),
                    ));
                }
                self.merge(e, &comps, src, s, o.no_replace, &mut map)
            }
            Some(e) => {
                if src_dir {
                    return Err(err(
                        UsageKind::NotDirectory,
                        format!(
                            "Can't place directory at \"{}\" because a nondirectory file already exists there!",
                            show(&comps)
                        ),
                    ));
                }
                if o.no_replace {
                    return Err(err(
                        UsageKind::OverlayConflict,
                        format!(
                            "Refusing to overwrite nondirectory file \"{}\"",
                            show(&comps)
                        ),
                    ));
                }
                self.replace(e, src, s, &mut map)
            }
            None => {
                let (_, files) = graft(self.tree, parent, name, src, s, &mut map)?;
                self.stats.added += files;
                Ok(())
            }
        }
    }

    /// Replaces the non-directory `e` by `s` of `src`.
    fn replace(
        &mut self,
        e: EntryId,
        src: &ImageTree,
        s: EntryId,
        map: &mut HashMap<InodeId, InodeId>,
    ) -> Result<()> {
        self.stats.replaced += 1;
        let new = src
            .inode_of(s)
            .cloned()
            .ok_or_else(|| err(UsageKind::Other, "internal: bad inode".into()))?;
        if self.keep_metadata_on_replace
            && let Some(ino) = self.tree.entry(e).map(|x| x.inode)
            && let Some(old) = self.tree.inode_mut(ino)
            && old.reparse.is_none()
            && new.reparse.is_none()
            && !new.is_directory()
        {
            old.data = new.data;
            old.last_write_time = new.last_write_time;
            return Ok(());
        }
        let parent = self
            .tree
            .entry(e)
            .and_then(|x| x.parent())
            .ok_or_else(|| err(UsageKind::Other, "internal: detached entry".into()))?;
        let name = self
            .tree
            .entry(e)
            .map(|x| x.name.clone())
            .unwrap_or_default();
        self.tree.remove(e)?;
        graft(self.tree, parent, name, src, s, map)?;
        Ok(())
    }

    /// Merges the directory `s` of `src` into the directory `d`.
    fn merge(
        &mut self,
        d: EntryId,
        at: &[&str],
        src: &ImageTree,
        s: EntryId,
        no_replace: bool,
        map: &mut HashMap<InodeId, InodeId>,
    ) -> Result<()> {
        let mut stack = vec![(d, s, show(at))];
        while let Some((d, s, path)) = stack.pop() {
            for &c in &src.sorted_children(s) {
                let Some(name) = src.entry(c).map(|x| x.name.clone()) else {
                    continue;
                };
                let p = if path == "/" {
                    format!("/{}", name.to_string_lossy())
                } else {
                    format!("{path}/{}", name.to_string_lossy())
                };
                let c_dir = is_dir(src, c);
                match self.tree.child_named(d, &name) {
                    None => {
                        let (_, files) = graft(self.tree, d, name, src, c, map)?;
                        self.stats.added += files;
                    }
                    Some(t) if is_dir(self.tree, t) => {
                        if !c_dir {
                            return Err(err(
                                UsageKind::IsDirectory,
                                format!(
                                    "Can't place nondirectory \"{p}\" where a directory already exists!"
                                ),
                            ));
                        }
                        stack.push((t, c, p));
                    }
                    Some(t) => {
                        if c_dir {
                            return Err(err(
                                UsageKind::NotDirectory,
                                format!(
                                    "Can't place directory at \"{p}\" because a nondirectory file already exists there!"
                                ),
                            ));
                        }
                        if no_replace {
                            return Err(err(
                                UsageKind::OverlayConflict,
                                format!("Refusing to overwrite nondirectory file \"{p}\""),
                            ));
                        }
                        self.replace(t, src, c, map)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn delete(&mut self, path: &str, force: bool, recursive: bool) -> Result<()> {
        let comps = components(path);
        let Some(e) = resolve(self.tree, &comps) else {
            if force {
                return Ok(());
            }
            return Err(err(
                UsageKind::PathDoesNotExist,
                format!(
                    "Path \"{}\" does not exist in WIM image {}",
                    show(&comps),
                    self.image
                ),
            ));
        };
        if is_dir(self.tree, e) && !recursive {
            return Err(err(
                UsageKind::IsDirectory,
                format!(
                    "Path \"{}\" in WIM image {} is a directory but a recursive delete was not requested",
                    show(&comps),
                    self.image
                ),
            ));
        }
        self.stats.deleted += count_files(self.tree, e);
        if e == self.tree.root() {
            for c in self.tree.children(e).to_vec() {
                self.tree.remove(c)?;
            }
            return Ok(());
        }
        self.tree.remove(e)?;
        Ok(())
    }

    fn rename(&mut self, from: &str, to: &str) -> Result<()> {
        let fc = components(from);
        let tc = components(to);
        let fail = |kind: UsageKind, why: &str| {
            err(
                kind,
                format!("Can't rename \"{}\" to \"{}\": {why}", show(&fc), show(&tc)),
            )
        };
        let Some(src) = resolve(self.tree, &fc) else {
            return Err(fail(
                UsageKind::PathDoesNotExist,
                "No such file or directory",
            ));
        };
        let root = self.tree.root();
        let Some((last, parents)) = tc.split_last() else {
            return Err(fail(UsageKind::NotEmpty, "Device or resource busy"));
        };
        if src == root {
            return Err(fail(UsageKind::NotEmpty, "Device or resource busy"));
        }
        let parent = match resolve(self.tree, parents) {
            Some(p) if is_dir(self.tree, p) => p,
            Some(_) => return Err(fail(UsageKind::NotDirectory, "Not a directory")),
            None => {
                return Err(fail(
                    UsageKind::PathDoesNotExist,
                    "No such file or directory",
                ));
            }
        };
        let name = WimName::from_str_lossless(last);
        let target = self.tree.child_named(parent, &name);
        if target == Some(src) {
            return Ok(());
        }
        // Into its own subtree?
        let mut cur = Some(parent);
        while let Some(c) = cur {
            if c == src {
                return Err(fail(UsageKind::NotEmpty, "Device or resource busy"));
            }
            cur = self.tree.entry(c).and_then(|e| e.parent());
        }
        let src_dir = is_dir(self.tree, src);
        if let Some(t) = target {
            let t_dir = is_dir(self.tree, t);
            match (src_dir, t_dir) {
                (false, true) => return Err(fail(UsageKind::IsDirectory, "Is a directory")),
                (true, false) => return Err(fail(UsageKind::NotDirectory, "Not a directory")),
                (true, true) if !self.tree.children(t).is_empty() => {
                    return Err(fail(UsageKind::NotEmpty, "Directory not empty"));
                }
                _ => {}
            }
            // wimlib (unlike POSIX) also replaces another link to the same file.
            if !t_dir {
                self.stats.deleted += 1;
            }
            self.tree.remove(t)?;
        }
        self.tree.rename(src, parent, name)?;
        Ok(())
    }
}
