//! The directory scanner: a source tree → an [`ImageTree`] without file data, plus the
//! list of files whose data must be read ([`FileJob`]).
//!
//! ```text
//! root ─ lstat (stat with --dereference) ─┬ directory → entries sorted by name, recurse
//!                                          ├ regular   → inode (hard links by dev+ino), job
//!                                          ├ symlink   → reparse point (tag 0xA000000C)
//!                                          └ other     → UNIX data only, else skipped
//! ```
//!
//! Names are read in byte order so the result (and the WIM) is the same on every run.

use super::config::{CaptureConfig, Verdict};
use super::unix;
use crate::error::{Error, FsOp, Result, UsageKind};
use std::collections::{HashMap, HashSet};
use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use wim_format::metadata::FileAttributes;
use wim_format::metadata::dentry::{IO_REPARSE_TAG_SYMLINK, RP_FLAG_NOT_FIXED};
use wim_format::metadata::model::{EntryId, ImageTree, Inode, InodeId, ReparsePoint};

/// Scanner options.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Store UNIX owner, group, mode and rdev; capture FIFOs, sockets, device nodes.
    pub unix_data: bool,
    /// Follow symbolic links instead of storing them.
    pub dereference: bool,
    /// Rewrite absolute link targets inside the source (`--rpfix`, wimlib's default).
    pub rpfix: bool,
    /// Exclusions.
    pub config: CaptureConfig,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            unix_data: false,
            dereference: false,
            rpfix: true,
            config: CaptureConfig::default_exclusions(),
        }
    }
}

/// One regular file whose data goes into the WIM.
#[derive(Debug, Clone)]
pub struct FileJob {
    /// The inode to receive the data's digest.
    pub inode: InodeId,
    /// Where to read it.
    pub path: PathBuf,
    /// Size seen by the scanner.
    pub size: u64,
    /// Inode number (disk-order sort key).
    pub ino: u64,
}

/// What [`scan`] found.
#[derive(Debug, Clone)]
pub struct Scanned {
    /// The tree; file inodes have no data digests yet.
    pub tree: ImageTree,
    /// Regular files with data (one per inode).
    pub jobs: Vec<FileJob>,
    /// Reparse data to add as blobs, per inode.
    pub reparse: Vec<(InodeId, Vec<u8>)>,
    /// Directories captured (root included).
    pub dirs: u64,
    /// Non-directories captured (each hard link counts).
    pub files: u64,
    /// Bytes of file data (each inode once) and reparse data.
    pub bytes: u64,
}

impl Scanned {
    /// Adds a symbolic link `name` under `parent`: `inode` becomes a reparse point
    /// holding `rp` (also a directory when the link points at one); its bytes are
    /// counted, the entry is not.
    pub(crate) fn add_symlink(
        &mut self,
        parent: EntryId,
        name: &str,
        mut inode: Inode,
        rp: unix::SymlinkData,
        to_dir: bool,
    ) -> Result<()> {
        inode.attributes = FileAttributes::REPARSE_POINT;
        if to_dir {
            inode.attributes |= FileAttributes::DIRECTORY;
        }
        inode.reparse = Some(ReparsePoint {
            tag: IO_REPARSE_TAG_SYMLINK,
            reserved: 0,
            flags: if rp.fixed { 0 } else { RP_FLAG_NOT_FIXED },
            data: None,
        });
        let e = self.tree.add(parent, name, inode)?;
        if let Some(ino) = self.tree.entry(e).map(|x| x.inode) {
            self.bytes += rp.data.len() as u64;
            self.reparse.push((ino, rp.data));
        }
        Ok(())
    }
}

fn fs_err(op: FsOp, path: &Path, e: std::io::Error) -> Error {
    Error::fs(op, path, e)
}

/// Scans `root`; `warn` receives wimlib-worded warnings.
pub fn scan(root: &Path, opts: &ScanOptions, warn: &mut dyn FnMut(String)) -> Result<Scanned> {
    let md = fs::metadata(root).map_err(|e| fs_err(FsOp::Stat, root, e))?;
    if !md.is_dir() {
        return Err(Error::Usage(
            UsageKind::Other,
            format!(
                "\"{}\" is not a directory (capturing NTFS volumes or single files is not supported)",
                root.display()
            ),
        ));
    }
    let canon_root = if opts.rpfix {
        let c = fs::canonicalize(root).map_err(|e| fs_err(FsOp::Stat, root, e))?;
        Some(c.to_string_lossy().into_owned())
    } else {
        None
    };
    let mut root_inode = Inode::directory();
    unix::stamp(&mut root_inode, &md, opts.unix_data);
    let mut s = Scanned {
        tree: ImageTree::with_root(root_inode),
        jobs: Vec::new(),
        reparse: Vec::new(),
        dirs: 1,
        files: 0,
        bytes: 0,
    };
    let mut links: HashMap<(u64, u64), InodeId> = HashMap::new();
    let mut visited: HashSet<(u64, u64)> = HashSet::new();
    visited.insert((md.dev(), md.ino()));
    // (directory path, entry, components from the root, inside an excluded directory)
    let mut stack: Vec<(PathBuf, EntryId, Vec<String>, bool)> =
        vec![(root.to_path_buf(), s.tree.root(), Vec::new(), false)];
    while let Some((dir, id, comps, excluded)) = stack.pop() {
        let rd = fs::read_dir(&dir).map_err(|e| fs_err(FsOp::ReadDir, &dir, e))?;
        let mut ents = Vec::new();
        for e in rd {
            let e = e.map_err(|e| fs_err(FsOp::ReadDir, &dir, e))?;
            ents.push((e.file_name(), e));
        }
        ents.sort_by(|a, b| a.0.cmp(&b.0));
        let mut subdirs = Vec::new();
        for (os, ent) in ents {
            let path = dir.join(&os);
            let Some(name) = os.to_str() else {
                return Err(Error::Usage(
                    UsageKind::Other,
                    format!("\"{}\": the file name is not valid UTF-8", path.display()),
                ));
            };
            let mut c2 = comps.clone();
            c2.push(name.to_string());
            let refs: Vec<&str> = c2.iter().map(String::as_str).collect();
            let verdict = if excluded {
                opts.config.verdict_in_excluded(&refs)
            } else {
                opts.config.verdict(&refs)
            };
            if verdict == Verdict::Exclude {
                continue;
            }
            // `DirEntry::metadata` is an lstat relative to the open directory: no walk of
            // the whole path for each of (often) 100k files.
            let lmd = ent.metadata().map_err(|e| fs_err(FsOp::Stat, &path, e))?;
            let md = if opts.dereference && lmd.file_type().is_symlink() {
                match fs::metadata(&path) {
                    Ok(m) => m,
                    Err(e) => return Err(fs_err(FsOp::Stat, &path, e)),
                }
            } else {
                lmd
            };
            let ft = md.file_type();
            if verdict == Verdict::ExcludedButDescend && !ft.is_dir() {
                continue;
            }
            let mut inode = Inode::file(None);
            unix::stamp(&mut inode, &md, opts.unix_data);
            if ft.is_dir() {
                if opts.dereference && !visited.insert((md.dev(), md.ino())) {
                    warn(format!(
                        "Skipping \"{}\": the directory was already captured (symbolic link loop)",
                        path.display()
                    ));
                    continue;
                }
                inode.attributes = unix::attributes(true);
                let e = s.tree.add(id, name, inode)?;
                s.dirs += 1;
                subdirs.push((path, e, c2, verdict == Verdict::ExcludedButDescend));
            } else if ft.is_file() {
                let key = (md.dev(), md.ino());
                if md.nlink() > 1
                    && let Some(&ino) = links.get(&key)
                {
                    s.tree.link(
                        id,
                        wim_format::metadata::WimName::from_str_lossless(name),
                        ino,
                    )?;
                    s.files += 1;
                    continue;
                }
                inode.attributes = unix::attributes(false);
                let e = s.tree.add(id, name, inode)?;
                let ino = s.tree.entry(e).map(|x| x.inode);
                if let Some(ino) = ino {
                    if md.nlink() > 1 {
                        links.insert(key, ino);
                    }
                    if md.len() > 0 {
                        s.jobs.push(FileJob {
                            inode: ino,
                            path,
                            size: md.len(),
                            ino: md.ino(),
                        });
                        s.bytes += md.len();
                    }
                }
                s.files += 1;
            } else if ft.is_symlink() {
                let target = fs::read_link(&path).map_err(|e| fs_err(FsOp::ReadLink, &path, e))?;
                let t = target.to_string_lossy();
                let rp = unix::symlink_reparse_data(&t, canon_root.as_deref());
                if rp.fixed {
                    warn(format!(
                        "Adjusted target of absolute symbolic link \"{}\"\n           (Use --norpfix to capture absolute symbolic links as-is)",
                        path.display()
                    ));
                }
                let to_dir = fs::metadata(&path).is_ok_and(|m| m.is_dir());
                s.add_symlink(id, name, inode, rp, to_dir)?;
                s.files += 1;
            } else if opts.unix_data
                && (ft.is_fifo() || ft.is_socket() || ft.is_block_device() || ft.is_char_device())
            {
                inode.attributes = FileAttributes::empty();
                s.tree.add(id, name, inode)?;
                s.files += 1;
            } else {
                warn(format!(
                    "Excluding unsupported file or directory\n          \"{}\" from capture",
                    path.display()
                ));
            }
        }
        // Depth-first, in name order.
        stack.extend(subdirs.into_iter().rev());
    }
    Ok(s)
}
