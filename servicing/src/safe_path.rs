//! Creating things below a destination directory without ever leaving it.
//!
//! Every create is relative to a directory file descriptor. Directories below the root
//! are reached with `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)` (or, on kernels
//! without it, one `openat(O_NOFOLLOW | O_DIRECTORY)` per component), so no path we
//! resolve can pass through a symbolic link or `..`. Files are created with
//! `O_CREAT | O_EXCL | O_NOFOLLOW`: an existing entry of the same name (which could be a
//! link planted in a non-empty destination) is unlinked first, never written through.
//! Names are checked again here: empty, `.`, `..` and names with `/` or NUL are refused.

use rustix::fs::{AtFlags, Mode, OFlags, ResolveFlags};
use rustix::io::Errno;
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// True when `name` is a single, plain path component.
pub fn is_safe_component(name: &OsStr) -> bool {
    let b = name.as_bytes();
    !b.is_empty() && b != b"." && b != b".." && !b.contains(&b'/') && !b.contains(&0)
}

fn bad_name(name: &OsStr) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("refusing unsafe file name {:?}", name),
    )
}

/// A destination directory, opened once; everything is created below it.
#[derive(Debug)]
pub struct SafeRoot {
    fd: OwnedFd,
    path: PathBuf,
    no_openat2: AtomicBool,
}

impl SafeRoot {
    /// Creates `path` (and missing parents) if needed and opens it.
    pub fn create(path: &Path) -> io::Result<SafeRoot> {
        std::fs::create_dir_all(path)?;
        let fd = rustix::fs::open(
            path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        Ok(SafeRoot {
            fd,
            path: path.to_path_buf(),
            no_openat2: AtomicBool::new(false),
        })
    }

    /// The path given at creation.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The root directory's descriptor.
    pub fn fd(&self) -> &OwnedFd {
        &self.fd
    }

    /// Opens the directory at `rel` (components of plain names; empty = the root),
    /// refusing symbolic links and anything outside the root.
    pub fn open_dir(&self, rel: &[OsString]) -> io::Result<OwnedFd> {
        for c in rel {
            if !is_safe_component(c) {
                return Err(bad_name(c));
            }
        }
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::NOFOLLOW;
        if rel.is_empty() {
            return Ok(rustix::fs::openat(&self.fd, ".", flags, Mode::empty())?);
        }
        if !self.no_openat2.load(Ordering::Relaxed) {
            let joined = join(rel);
            match rustix::fs::openat2(
                &self.fd,
                joined.as_os_str(),
                flags,
                Mode::empty(),
                ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS,
            ) {
                Ok(fd) => return Ok(fd),
                Err(Errno::NOSYS) | Err(Errno::PERM) => {
                    self.no_openat2.store(true, Ordering::Relaxed);
                }
                Err(e) => return Err(e.into()),
            }
        }
        // One component at a time, never following a link.
        let mut cur = rustix::fs::openat(&self.fd, ".", flags, Mode::empty())?;
        for c in rel {
            cur = rustix::fs::openat(&cur, c.as_os_str(), flags, Mode::empty())?;
        }
        Ok(cur)
    }
}

/// Joins plain components with `/`.
pub fn join(rel: &[OsString]) -> PathBuf {
    let mut p = PathBuf::new();
    for c in rel {
        p.push(c);
    }
    p
}

fn exists_as_dir(dir: &OwnedFd, name: &OsStr) -> io::Result<Option<bool>> {
    match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => Ok(Some(
            rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::Directory,
        )),
        Err(Errno::NOENT) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Removes a non-directory entry `name` of `dir` (not following links); an existing
/// directory is an error (`EEXIST`).
fn remove_non_dir(dir: &OwnedFd, name: &OsStr) -> io::Result<()> {
    match exists_as_dir(dir, name)? {
        Some(true) => Err(io::Error::from_raw_os_error(Errno::EXIST.raw_os_error())),
        Some(false) => Ok(rustix::fs::unlinkat(dir, name, AtFlags::empty())?),
        None => Ok(()),
    }
}

/// Creates directory `name` in `dir` (an existing directory is reused; an existing
/// non-directory is replaced).
pub fn mkdir(dir: &OwnedFd, name: &OsStr) -> io::Result<()> {
    if !is_safe_component(name) {
        return Err(bad_name(name));
    }
    match rustix::fs::mkdirat(dir, name, Mode::from_raw_mode(0o755)) {
        Ok(()) => Ok(()),
        Err(Errno::EXIST) => match exists_as_dir(dir, name)? {
            Some(true) => Ok(()),
            _ => {
                rustix::fs::unlinkat(dir, name, AtFlags::empty())?;
                Ok(rustix::fs::mkdirat(dir, name, Mode::from_raw_mode(0o755))?)
            }
        },
        Err(e) => Err(e.into()),
    }
}

/// Creates (exclusively) regular file `name` in `dir`, open for writing.
pub fn create_file(dir: &OwnedFd, name: &OsStr) -> io::Result<File> {
    if !is_safe_component(name) {
        return Err(bad_name(name));
    }
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let mode = Mode::from_raw_mode(0o644);
    match rustix::fs::openat(dir, name, flags, mode) {
        Ok(fd) => Ok(File::from(fd)),
        Err(Errno::EXIST) => {
            remove_non_dir(dir, name)?;
            Ok(File::from(rustix::fs::openat(dir, name, flags, mode)?))
        }
        Err(e) => Err(e.into()),
    }
}

/// Creates regular file `name` in the directory `rel` below `root` in one step where the
/// kernel allows (`openat2`), else through [`SafeRoot::open_dir`] + [`create_file`].
pub fn create_file_beneath(root: &SafeRoot, rel: &[OsString], name: &OsStr) -> io::Result<File> {
    if !is_safe_component(name) {
        return Err(bad_name(name));
    }
    if !rel.iter().all(|c| is_safe_component(c)) {
        return Err(bad_name(OsStr::new("<path>")));
    }
    if !root.no_openat2.load(Ordering::Relaxed) {
        let mut p = join(rel);
        p.push(name);
        let flags =
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        match rustix::fs::openat2(
            &root.fd,
            p.as_os_str(),
            flags,
            Mode::from_raw_mode(0o644),
            ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS,
        ) {
            Ok(fd) => return Ok(File::from(fd)),
            Err(Errno::NOSYS) | Err(Errno::PERM) => {
                root.no_openat2.store(true, Ordering::Relaxed);
            }
            Err(Errno::EXIST) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let d = root.open_dir(rel)?;
    create_file(&d, name)
}

/// Creates symbolic link `name` in `dir` with text `target` (replacing a non-directory).
pub fn symlink(dir: &OwnedFd, name: &OsStr, target: &OsStr) -> io::Result<()> {
    if !is_safe_component(name) {
        return Err(bad_name(name));
    }
    match rustix::fs::symlinkat(target, dir, name) {
        Ok(()) => Ok(()),
        Err(Errno::EXIST) => {
            remove_non_dir(dir, name)?;
            Ok(rustix::fs::symlinkat(target, dir, name)?)
        }
        Err(e) => Err(e.into()),
    }
}

/// Hard-links `from_dir/from` as `to_dir/to` (never following links).
pub fn link(from_dir: &OwnedFd, from: &OsStr, to_dir: &OwnedFd, to: &OsStr) -> io::Result<()> {
    if !is_safe_component(from) {
        return Err(bad_name(from));
    }
    if !is_safe_component(to) {
        return Err(bad_name(to));
    }
    match rustix::fs::linkat(from_dir, from, to_dir, to, AtFlags::empty()) {
        Ok(()) => Ok(()),
        Err(Errno::EXIST) => {
            remove_non_dir(to_dir, to)?;
            Ok(rustix::fs::linkat(
                from_dir,
                from,
                to_dir,
                to,
                AtFlags::empty(),
            )?)
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_are_checked() {
        for bad in ["", ".", "..", "a/b", "/etc", "a\0b"] {
            assert!(!is_safe_component(OsStr::new(bad)), "{bad:?}");
        }
        for good in ["a", "...", "C:", "a\\..\\b", "é"] {
            assert!(is_safe_component(OsStr::new(good)), "{good:?}");
        }
    }

    #[test]
    fn never_through_a_symlink() {
        let t = tempfile::tempdir().unwrap();
        let outside = t.path().join("outside");
        std::fs::create_dir(&outside).unwrap();
        let root = SafeRoot::create(&t.path().join("root")).unwrap();
        std::os::unix::fs::symlink(&outside, t.path().join("root/evil")).unwrap();
        let rel = [OsString::from("evil")];
        assert!(root.open_dir(&rel).is_err());
        assert!(create_file_beneath(&root, &rel, OsStr::new("x")).is_err());
        // Planted link at a file name: replaced, not written through.
        std::os::unix::fs::symlink(outside.join("victim"), t.path().join("root/f")).unwrap();
        let mut f = create_file_beneath(&root, &[], OsStr::new("f")).unwrap();
        std::io::Write::write_all(&mut f, b"data").unwrap();
        assert!(!outside.join("victim").exists());
        assert_eq!(std::fs::read(t.path().join("root/f")).unwrap(), b"data");
        // The same with the one-component-at-a-time fallback.
        root.no_openat2.store(true, Ordering::Relaxed);
        assert!(root.open_dir(&rel).is_err());
        assert!(create_file_beneath(&root, &rel, OsStr::new("y")).is_err());
        assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
    }
}
