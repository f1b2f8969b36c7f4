//! Replacing a file atomically: write a temporary file in the same folder, flush it to
//! disk, rename it over the target.
//!
//! ```text
//! dir/.x.wim.wimkit-tmp-PID-N   ← written by `f`, synced
//! rename(tmp, dir/x.wim)         ← the only moment the target changes
//! ```
//!
//! A crash before the rename leaves the target untouched (and a stray temporary file);
//! an error removes the temporary file. The flush to disk (and of the folder after the
//! rename) is done when an existing file is replaced, the case where a power loss could
//! otherwise lose the old contents; a new file is only renamed into place, as wimlib
//! does, since there is nothing to lose and a flush of many gigabytes would dominate the
//! run time of an export.

use crate::error::{Error, FsOp, Result};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A fresh temporary path next to `target` (same folder, so the rename is atomic).
pub fn temp_path_for(target: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "wim".into());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    target.with_file_name(format!(".{name}.wimkit-tmp-{}-{n}", std::process::id()))
}

/// Runs `f` on a temporary path next to `target`; on success syncs it (when `target`
/// exists) and renames it over `target`, on failure removes it.
pub fn write_replacing<T>(target: &Path, f: impl FnOnce(&Path) -> Result<T>) -> Result<T> {
    let tmp = temp_path_for(target);
    let replacing = target.symlink_metadata().is_ok();
    let r = f(&tmp).and_then(|v| {
        if replacing {
            std::fs::File::open(&tmp)
                .and_then(|file| file.sync_all())
                .map_err(|e| Error::fs(FsOp::Write, &tmp, e))?;
        }
        std::fs::rename(&tmp, target).map_err(|e| Error::fs(FsOp::Write, target, e))?;
        if replacing
            && let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty())
            && let Ok(d) = std::fs::File::open(dir)
        {
            let _ = d.sync_all();
        }
        Ok(v)
    });
    if r.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_on_success_and_keeps_target_on_error() {
        let d = tempfile::tempdir().unwrap();
        let t = d.path().join("x.wim");
        std::fs::write(&t, b"old").unwrap();
        let r: Result<()> = write_replacing(&t, |p| {
            std::fs::write(p, b"partial").unwrap();
            Err(Error::Usage(crate::error::UsageKind::Other, "boom".into()))
        });
        assert!(r.is_err());
        assert_eq!(std::fs::read(&t).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
        write_replacing(&t, |p| {
            std::fs::write(p, b"new").unwrap();
            Ok(())
        })
        .unwrap();
        assert_eq!(std::fs::read(&t).unwrap(), b"new");
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
    }
}
