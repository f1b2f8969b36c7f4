//! Crash safety of in-place updates: a journal file next to the WIM.
//!
//! ```text
//! 1. journal  .NAME.wimkit-journal = "WIMKITJ1" | old length u64 | old header (208 B) | SHA-1
//!             written and synced under a temporary name (`…-journal.new`), then linked
//!             to its name (never over an existing journal) and the folder synced, all
//!             before the WIM is touched: a journal under its name is always whole
//! 2. append   new blobs, metadata, blob table, XML after the old end;
//!             header with WRITE_IN_PROGRESS at offset 0, the final header last (synced)
//! 3. commit   the journal is removed (folder synced)
//! ```
//!
//! An error inside the process rolls back at once ([`Journal::rollback`]: truncate to
//! the old length, rewrite the old header). After a crash (SIGKILL, power loss) the
//! journal is still there and [`recover`] (run by every update before it starts) rolls
//! the file back the same way: bytes before the old end are never written except the
//! header, so the result is byte-identical to the file before the update. A crash after
//! the final header but before the journal is removed also rolls back: the update is
//! then simply not there.

use crate::error::{Error, FsOp, Result, UsageKind};
use sha1::{Digest, Sha1};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"WIMKITJ1";
const HEADER: usize = 208;

/// An armed journal for one WIM file.
#[derive(Debug)]
pub struct Journal {
    wim: PathBuf,
    path: PathBuf,
    len: u64,
    header: Vec<u8>,
}

/// The journal path of `wim` (same folder).
pub fn journal_path(wim: &Path) -> PathBuf {
    let name = wim
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "wim".into());
    wim.with_file_name(format!(".{name}.wimkit-journal"))
}

/// Where the journal is written before it is linked to [`journal_path`]. One left behind
/// by a crash means the WIM was not touched yet: [`recover`] and [`Journal::begin`]
/// remove it.
fn staging_path(wim: &Path) -> PathBuf {
    let mut p = journal_path(wim).into_os_string();
    p.push(".new");
    PathBuf::from(p)
}

/// Removes a staging journal left by a crash (the WIM was not touched yet).
fn remove_staging(wim: &Path) -> Result<()> {
    let tmp = staging_path(wim);
    match std::fs::remove_file(&tmp) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::fs(FsOp::Write, &tmp, e)),
    }
}

fn sync_dir(p: &Path) {
    if let Some(d) = p.parent().filter(|d| !d.as_os_str().is_empty())
        && let Ok(f) = File::open(d)
    {
        let _ = f.sync_all();
    }
}

fn encode(len: u64, header: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(8 + 8 + HEADER + 20);
    v.extend_from_slice(MAGIC);
    v.extend_from_slice(&len.to_le_bytes());
    v.extend_from_slice(header);
    let d: [u8; 20] = Sha1::digest(&v).into();
    v.extend_from_slice(&d);
    v
}

fn decode(b: &[u8]) -> Option<(u64, Vec<u8>)> {
    if b.len() != 8 + 8 + HEADER + 20 || b.get(..8)? != MAGIC {
        return None;
    }
    let (body, sum) = b.split_at(8 + 8 + HEADER);
    let d: [u8; 20] = Sha1::digest(body).into();
    if d.as_slice() != sum {
        return None;
    }
    let len = u64::from_le_bytes(body.get(8..16)?.try_into().ok()?);
    Some((len, body.get(16..)?.to_vec()))
}

impl Journal {
    /// Records the current length and header of `wim` and syncs the journal. Fails when a
    /// journal already exists (run [`recover`] first).
    pub fn begin(wim: &Path) -> Result<Journal> {
        let path = journal_path(wim);
        let mut f = File::open(wim).map_err(|e| Error::fs(FsOp::Open, wim, e))?;
        let len = f
            .metadata()
            .map_err(|e| Error::fs(FsOp::Stat, wim, e))?
            .len();
        if len < HEADER as u64 {
            return Err(Error::Usage(
                UsageKind::Other,
                format!("\"{}\" is too short to be a WIM", wim.display()),
            ));
        }
        let mut header = vec![0u8; HEADER];
        f.read_exact(&mut header)
            .map_err(|e| Error::fs(FsOp::Read, wim, e))?;
        // Written whole under the staging name, then linked: a crash can leave a staging
        // file (ignored) but never a partial journal under its name.
        remove_staging(wim)?;
        let tmp = staging_path(wim);
        let mut j = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|e| Error::fs(FsOp::Open, &tmp, e))?;
        j.write_all(&encode(len, &header))
            .and_then(|_| j.sync_all())
            .map_err(|e| Error::fs(FsOp::Write, &tmp, e))?;
        drop(j);
        // `hard_link` fails if the journal exists: no update overwrites another's.
        if let Err(e) = std::fs::hard_link(&tmp, &path) {
            remove_staging(wim)?;
            return Err(if e.kind() == std::io::ErrorKind::AlreadyExists {
                Error::Usage(
                    UsageKind::Other,
                    format!(
                        "the update journal \"{}\" exists: an interrupted update must be recovered first",
                        path.display()
                    ),
                )
            } else {
                Error::fs(FsOp::Write, &path, e)
            });
        }
        sync_dir(&path);
        remove_staging(wim)?;
        Ok(Journal {
            wim: wim.to_path_buf(),
            path,
            len,
            header,
        })
    }

    /// The update is complete (the final header is synced): removes the journal.
    pub fn commit(self) -> Result<()> {
        std::fs::remove_file(&self.path).map_err(|e| Error::fs(FsOp::Write, &self.path, e))?;
        sync_dir(&self.path);
        Ok(())
    }

    /// Restores the old length and header, then removes the journal.
    pub fn rollback(self) -> Result<()> {
        restore(&self.wim, self.len, &self.header)?;
        self.commit()
    }
}

fn restore(wim: &Path, len: u64, header: &[u8]) -> Result<()> {
    let mut f = OpenOptions::new()
        .write(true)
        .open(wim)
        .map_err(|e| Error::fs(FsOp::Open, wim, e))?;
    f.set_len(len)
        .and_then(|_| f.seek(SeekFrom::Start(0)))
        .and_then(|_| f.write_all(header))
        .and_then(|_| f.sync_all())
        .map_err(|e| Error::fs(FsOp::Write, wim, e))
}

/// What [`recover`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// No journal: nothing to do.
    Clean,
    /// An interrupted update was rolled back.
    RolledBack,
}

/// Rolls back an update of `wim` that was interrupted by a crash (see the module
/// documentation). A journal whose GUID does not match the file, or a file shorter than
/// the recorded length, is refused (the file was replaced since): the journal is left
/// for inspection and an error returned.
pub fn recover(wim: &Path) -> Result<Recovery> {
    remove_staging(wim)?;
    let path = journal_path(wim);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Recovery::Clean),
        Err(e) => return Err(Error::fs(FsOp::Read, &path, e)),
    };
    let Some((len, header)) = decode(&bytes) else {
        return Err(Error::Usage(
            UsageKind::Other,
            format!(
                "the update journal \"{}\" is damaged; the WIM may hold an interrupted update",
                path.display()
            ),
        ));
    };
    let mut cur = vec![0u8; HEADER];
    let mut f = File::open(wim).map_err(|e| Error::fs(FsOp::Open, wim, e))?;
    let flen = f
        .metadata()
        .map_err(|e| Error::fs(FsOp::Stat, wim, e))?
        .len();
    f.read_exact(&mut cur)
        .map_err(|e| Error::fs(FsOp::Read, wim, e))?;
    // GUID at 0x18..0x28.
    if flen < len || cur.get(0x18..0x28) != header.get(0x18..0x28) {
        return Err(Error::Usage(
            UsageKind::Other,
            format!(
                "the update journal \"{}\" does not match \"{}\" (replaced since?); remove it by hand",
                path.display(),
                wim.display()
            ),
        ));
    }
    restore(wim, len, &header)?;
    std::fs::remove_file(&path).map_err(|e| Error::fs(FsOp::Write, &path, e))?;
    sync_dir(&path);
    Ok(Recovery::RolledBack)
}
