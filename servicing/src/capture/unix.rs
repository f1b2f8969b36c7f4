//! UNIX → WIM translations: times, attributes, wimlib's UNIX data item and symbolic
//! links as Windows reparse points.
//!
//! Symbolic link reparse data, as wimlib writes it (the 8-byte reparse header is not
//! stored; the tag lives in the dentry):
//!
//! ```text
//! u16 substitute name offset (0)   u16 substitute name length (bytes, no NUL)
//! u16 print name offset            u16 print name length
//! u32 flags (1 = relative)
//! substitute name, NUL, print name, NUL         (UTF-16LE, `/` → `\`)
//! ```
//!
//! Relative targets use the same text for both names. Absolute targets get `C:` in the
//! print name and `\??\C:` in the substitute name; with rpfix, a target inside the
//! capture root is first made relative to that root ("fixed"), and the dentry's
//! `RP_FLAG_NOT_FIXED` is cleared; every other link has it set.

use std::os::unix::fs::MetadataExt;
use wim_format::metadata::dentry::{TAG_WIMLIB_UNIX_DATA, TaggedItem};
use wim_format::metadata::model::Inode;
use wim_format::metadata::{FileAttributes, FileTime};

/// Seconds between 1601-01-01 and 1970-01-01.
const EPOCH_DIFF: i128 = 11_644_473_600;

/// A UNIX time (seconds, nanoseconds) as a FILETIME (0 before 1601).
pub fn filetime(secs: i64, nsec: i64) -> FileTime {
    let t = (i128::from(secs) + EPOCH_DIFF) * 10_000_000 + i128::from(nsec) / 100;
    FileTime(u64::try_from(t.max(0)).unwrap_or(u64::MAX))
}

/// (creation, last access, last write) times of a file, as wimlib takes them on UNIX:
/// creation = last write = `st_mtime`, last access = `st_atime`.
pub fn times(md: &std::fs::Metadata) -> (FileTime, FileTime, FileTime) {
    let m = filetime(md.mtime(), md.mtime_nsec());
    let a = filetime(md.atime(), md.atime_nsec());
    (m, a, m)
}

/// Gives `inode` `md`'s times, plus wimlib's UNIX data item when `unix_data` is asked
/// for.
pub fn stamp(inode: &mut Inode, md: &std::fs::Metadata, unix_data: bool) {
    let (ct, at, wt) = times(md);
    inode.creation_time = ct;
    inode.last_access_time = at;
    inode.last_write_time = wt;
    if unix_data {
        inode.tagged_items.push(unix_data_item(md));
    }
}

/// wimlib's UNIX data tagged item: uid, gid, mode, rdev as little-endian u32s.
pub fn unix_data_item(md: &std::fs::Metadata) -> TaggedItem {
    let mut data = Vec::with_capacity(16);
    data.extend_from_slice(&md.uid().to_le_bytes());
    data.extend_from_slice(&md.gid().to_le_bytes());
    data.extend_from_slice(&md.mode().to_le_bytes());
    data.extend_from_slice(&(md.rdev() as u32).to_le_bytes());
    TaggedItem {
        tag: TAG_WIMLIB_UNIX_DATA,
        data,
    }
}

/// Attributes of a regular file or directory (wimlib on UNIX sets no others).
pub fn attributes(is_dir: bool) -> FileAttributes {
    if is_dir {
        FileAttributes::DIRECTORY
    } else {
        FileAttributes::NORMAL
    }
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// The outcome of translating one link target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SymlinkData {
    /// The reparse data (without the 8-byte header).
    pub data: Vec<u8>,
    /// True when an absolute target inside the capture root was rewritten.
    pub fixed: bool,
}

/// Builds the reparse data of a symbolic link to `target`. `root` is the absolute,
/// canonical capture root when rpfix is on (`None` = keep absolute targets as they are).
pub fn symlink_reparse_data(target: &str, root: Option<&str>) -> SymlinkData {
    let mut fixed = false;
    let (subst, print, relative) = if let Some(rest) = target.strip_prefix('/') {
        let mut abs = format!("/{rest}");
        if let Some(r) = root {
            let r = r.trim_end_matches('/');
            if abs == r || r.is_empty() {
                abs = if r.is_empty() { abs } else { "/".into() };
                fixed = true;
            } else if let Some(inner) = abs.strip_prefix(r)
                && inner.starts_with('/')
            {
                abs = inner.to_string();
                fixed = true;
            }
        }
        let print = format!("C:{}", abs.replace('/', "\\"));
        (format!("\\??\\{print}"), print, false)
    } else {
        let t = target.replace('/', "\\");
        (t.clone(), t, true)
    };
    let s = utf16(&subst);
    let p = utf16(&print);
    let mut d = Vec::with_capacity(12 + s.len() + p.len() + 4);
    d.extend_from_slice(&0u16.to_le_bytes());
    d.extend_from_slice(&(s.len() as u16).to_le_bytes());
    d.extend_from_slice(&((s.len() + 2) as u16).to_le_bytes());
    d.extend_from_slice(&(p.len() as u16).to_le_bytes());
    d.extend_from_slice(&u32::from(relative).to_le_bytes());
    d.extend_from_slice(&s);
    d.extend_from_slice(&[0, 0]);
    d.extend_from_slice(&p);
    d.extend_from_slice(&[0, 0]);
    SymlinkData { data: d, fixed }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_link_matches_wimlib_bytes() {
        // Recorded from wimlib-imagex 1.13.5: `ln -s sub dirlink`.
        let d = symlink_reparse_data("sub", Some("/r"));
        let want: Vec<u8> = vec![
            0, 0, 6, 0, 8, 0, 6, 0, 1, 0, 0, 0, b's', 0, b'u', 0, b'b', 0, 0, 0, b's', 0, b'u', 0,
            b'b', 0, 0, 0,
        ];
        assert_eq!(d.data, want);
        assert!(!d.fixed);
    }

    #[test]
    fn absolute_links_fixed_inside_root_only() {
        let d = symlink_reparse_data("/tmp/cap-exp/src/sub", Some("/tmp/cap-exp/src"));
        assert!(d.fixed);
        assert_eq!(d.data.len(), 48);
        assert_eq!(&d.data[..12], &[0, 0, 20, 0, 22, 0, 12, 0, 0, 0, 0, 0]);
        let out = symlink_reparse_data("/etc/passwd", Some("/tmp/cap-exp/src"));
        assert!(!out.fixed);
        assert_eq!(out.data.len(), 76);
        let sibling = symlink_reparse_data("/tmp/cap-exp/srcx/a", Some("/tmp/cap-exp/src"));
        assert!(!sibling.fixed);
        let norp = symlink_reparse_data("/tmp/cap-exp/src/sub", None);
        assert!(!norp.fixed);
    }

    #[test]
    fn filetime_epoch() {
        assert_eq!(filetime(0, 0).0, 116_444_736_000_000_000);
        assert_eq!(filetime(-20_000_000_000, 0).0, 0);
        assert_eq!(
            filetime(1, 999_999_999).0,
            116_444_736_000_000_000 + 19_999_999
        );
    }
}
