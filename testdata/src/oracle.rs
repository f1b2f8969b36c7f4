//! Wrappers around the `wimlib-imagex` oracle and a pure-Rust directory-tree differ.
//!
//! Every wrapper returns `Err(String)` with the command line, exit status and stderr when the
//! tool fails, so test failures say what happened.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Name of the oracle program.
pub const WIMLIB_IMAGEX: &str = "wimlib-imagex";

/// True when `wimlib-imagex` can be run.
pub fn wimlib_available() -> bool {
    Command::new(WIMLIB_IMAGEX)
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// [`wimlib_available`], printing a loud `SKIP:` line naming `what` when it is not.
pub fn require_wimlib(what: &str) -> bool {
    let ok = wimlib_available();
    if !ok {
        println!("SKIP: {what}: wimlib-imagex not installed");
        eprintln!("SKIP: {what}: wimlib-imagex not installed");
    }
    ok
}

/// Output of one successful run.
#[derive(Debug, Clone)]
pub struct RunOutput {
    /// Standard output (lossy UTF-8).
    pub stdout: String,
    /// Standard error (lossy UTF-8).
    pub stderr: String,
}

/// Runs `wimlib-imagex` with `args`; `Err` describes the failure (spawn error or non-zero
/// exit with stderr).
pub fn run(args: &[&std::ffi::OsStr]) -> Result<RunOutput, String> {
    let line = format!(
        "{WIMLIB_IMAGEX} {}",
        args.iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let out = Command::new(WIMLIB_IMAGEX)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run `{line}`: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if out.status.success() {
        Ok(RunOutput { stdout, stderr })
    } else {
        Err(format!(
            "`{line}` failed with {}\nstderr: {}\nstdout: {}",
            out.status,
            stderr.trim(),
            stdout.trim()
        ))
    }
}

fn os(s: &(impl AsRef<std::ffi::OsStr> + ?Sized)) -> &std::ffi::OsStr {
    s.as_ref()
}

/// `wimlib-imagex capture SRC OUT [args]`.
pub fn capture(src: &Path, out: &Path, args: &[&str]) -> Result<RunOutput, String> {
    let mut a: Vec<&std::ffi::OsStr> = vec![os("capture"), os(src), os(out)];
    a.extend(args.iter().map(os));
    run(&a)
}

/// `wimlib-imagex apply WIM IMAGE DIR [args]` (`image` is an index, a name or `all`).
pub fn apply(wim: &Path, image: &str, dir: &Path, args: &[&str]) -> Result<RunOutput, String> {
    let mut a: Vec<&std::ffi::OsStr> = vec![os("apply"), os(wim), os(image), os(dir)];
    a.extend(args.iter().map(os));
    run(&a)
}

/// `wimlib-imagex verify WIM [args]`.
pub fn verify(wim: &Path, args: &[&str]) -> Result<RunOutput, String> {
    let mut a: Vec<&std::ffi::OsStr> = vec![os("verify"), os(wim)];
    a.extend(args.iter().map(os));
    run(&a)
}

/// `wimlib-imagex info WIM [args]`, returning stdout.
pub fn info(wim: &Path, args: &[&str]) -> Result<String, String> {
    let mut a: Vec<&std::ffi::OsStr> = vec![os("info"), os(wim)];
    a.extend(args.iter().map(os));
    run(&a).map(|o| o.stdout)
}

/// The XML of a WIM as wimlib extracts it (UTF-16LE decoded, BOM stripped).
pub fn xml(wim: &Path) -> Result<String, String> {
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let p = tmp.path().join("x.xml");
    info(wim, &[&format!("--extract-xml={}", p.display())])?;
    let b = std::fs::read(&p).map_err(|e| e.to_string())?;
    let b = b.strip_prefix(&[0xFF, 0xFE][..]).unwrap_or(&b);
    let u: Vec<u16> = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    Ok(String::from_utf16_lossy(&u))
}

/// `wimlib-imagex dir WIM IMAGE`: the listed paths, one per line, in wimlib's order.
pub fn dir_listing(wim: &Path, image: &str) -> Result<Vec<String>, String> {
    let o = run(&[os("dir"), os(wim), os(image)])?;
    Ok(o.stdout
        .lines()
        .map(str::to_string)
        .filter(|l| !l.is_empty())
        .collect())
}

/// `wimlib-imagex dir WIM IMAGE --detailed --path=PATH`: wimlib's detailed description of
/// one entry (short name, attributes, security descriptor hex, times, streams, UNIX data).
pub fn dir_detailed(wim: &Path, image: &str, path: &str) -> Result<String, String> {
    let p = format!("--path={path}");
    run(&[os("dir"), os(wim), os(image), os("--detailed"), os(&p)]).map(|o| o.stdout)
}

/// What [`diff_trees_with`] compares beyond names, types, contents, link targets and
/// hard-link grouping.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DiffOptions {
    /// Compare permission bits (`mode & 0o7777`) of non-symlinks.
    pub modes: bool,
    /// Compare modification times (seconds) of regular files.
    pub mtimes: bool,
    /// Compare uid/gid.
    pub owners: bool,
}

#[derive(Debug)]
struct Entry {
    kind: &'static str,
    meta: std::fs::Metadata,
    target: Option<PathBuf>,
}

fn scan(root: &Path) -> Result<BTreeMap<PathBuf, Entry>, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let abs = root.join(&rel);
        let rd = std::fs::read_dir(&abs).map_err(|e| format!("read_dir {}: {e}", abs.display()))?;
        for e in rd {
            let e = e.map_err(|e| format!("read_dir {}: {e}", abs.display()))?;
            let r = rel.join(e.file_name());
            let p = root.join(&r);
            let meta =
                std::fs::symlink_metadata(&p).map_err(|e| format!("stat {}: {e}", p.display()))?;
            let ft = meta.file_type();
            let (kind, target) = if ft.is_symlink() {
                let t =
                    std::fs::read_link(&p).map_err(|e| format!("readlink {}: {e}", p.display()))?;
                ("symlink", Some(t))
            } else if ft.is_dir() {
                stack.push(r.clone());
                ("dir", None)
            } else if ft.is_file() {
                ("file", None)
            } else {
                ("special", None)
            };
            out.insert(r, Entry { kind, meta, target });
        }
    }
    Ok(out)
}

fn same_contents(a: &Path, b: &Path) -> Result<bool, String> {
    use std::io::Read;
    let mut fa = std::fs::File::open(a).map_err(|e| format!("open {}: {e}", a.display()))?;
    let mut fb = std::fs::File::open(b).map_err(|e| format!("open {}: {e}", b.display()))?;
    let mut ba = vec![0u8; 1 << 16];
    let mut bb = vec![0u8; 1 << 16];
    loop {
        let na = read_full(&mut fa, &mut ba).map_err(|e| format!("read {}: {e}", a.display()))?;
        let nb = read_full(&mut fb, &mut bb).map_err(|e| format!("read {}: {e}", b.display()))?;
        if na != nb || ba[..na] != bb[..nb] {
            return Ok(false);
        }
        if na == 0 {
            return Ok(true);
        }
    }
    fn read_full(f: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut n = 0;
        while n < buf.len() {
            let k = f.read(&mut buf[n..])?;
            if k == 0 {
                break;
            }
            n += k;
        }
        Ok(n)
    }
}

/// Hard-link groups (sets of relative paths of regular files sharing an inode, size ≥ 2).
fn link_groups(t: &BTreeMap<PathBuf, Entry>) -> BTreeSet<Vec<PathBuf>> {
    let mut by_ino: HashMap<(u64, u64), Vec<PathBuf>> = HashMap::new();
    for (p, e) in t {
        if e.kind == "file" {
            by_ino
                .entry((e.meta.dev(), e.meta.ino()))
                .or_default()
                .push(p.clone());
        }
    }
    by_ino
        .into_values()
        .filter(|v| v.len() > 1)
        .map(|mut v| {
            v.sort();
            v
        })
        .collect()
}

/// Compares two directory trees: names, types, file contents, symlink targets and hard-link
/// structure. `Err` lists every difference found (up to 50).
pub fn diff_trees(a: &Path, b: &Path) -> Result<(), String> {
    diff_trees_with(a, b, &DiffOptions::default())
}

/// [`diff_trees`] with optional mode/mtime/owner comparison.
pub fn diff_trees_with(a: &Path, b: &Path, opts: &DiffOptions) -> Result<(), String> {
    let ta = scan(a)?;
    let tb = scan(b)?;
    let mut diffs = Vec::new();
    for p in ta.keys() {
        if !tb.contains_key(p) {
            diffs.push(format!("only in {}: {}", a.display(), p.display()));
        }
    }
    for p in tb.keys() {
        if !ta.contains_key(p) {
            diffs.push(format!("only in {}: {}", b.display(), p.display()));
        }
    }
    for (p, ea) in &ta {
        let Some(eb) = tb.get(p) else { continue };
        if ea.kind != eb.kind {
            diffs.push(format!("{}: type {} vs {}", p.display(), ea.kind, eb.kind));
            continue;
        }
        match ea.kind {
            "symlink" if ea.target != eb.target => {
                diffs.push(format!(
                    "{}: symlink target {:?} vs {:?}",
                    p.display(),
                    ea.target,
                    eb.target
                ));
            }
            "file" => {
                if ea.meta.len() != eb.meta.len() {
                    diffs.push(format!(
                        "{}: size {} vs {}",
                        p.display(),
                        ea.meta.len(),
                        eb.meta.len()
                    ));
                } else if !same_contents(&a.join(p), &b.join(p))? {
                    diffs.push(format!("{}: contents differ", p.display()));
                }
                if opts.mtimes && ea.meta.mtime() != eb.meta.mtime() {
                    diffs.push(format!(
                        "{}: mtime {} vs {}",
                        p.display(),
                        ea.meta.mtime(),
                        eb.meta.mtime()
                    ));
                }
            }
            _ => {}
        }
        if opts.modes && ea.kind != "symlink" {
            let ma = ea.meta.permissions().mode() & 0o7777;
            let mb = eb.meta.permissions().mode() & 0o7777;
            if ma != mb {
                diffs.push(format!("{}: mode {ma:o} vs {mb:o}", p.display()));
            }
        }
        if opts.owners && (ea.meta.uid(), ea.meta.gid()) != (eb.meta.uid(), eb.meta.gid()) {
            diffs.push(format!(
                "{}: owner {}:{} vs {}:{}",
                p.display(),
                ea.meta.uid(),
                ea.meta.gid(),
                eb.meta.uid(),
                eb.meta.gid()
            ));
        }
    }
    let ga = link_groups(&ta);
    let gb = link_groups(&tb);
    if ga != gb {
        diffs.push(format!("hard-link groups differ: {ga:?} vs {gb:?}"));
    }
    if diffs.is_empty() {
        Ok(())
    } else {
        let n = diffs.len();
        diffs.truncate(50);
        Err(format!(
            "trees {} and {} differ ({n} differences):\n  {}",
            a.display(),
            b.display(),
            diffs.join("\n  ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_detects_each_kind_of_difference() {
        let t = tempfile::tempdir().unwrap();
        let a = t.path().join("a");
        let b = t.path().join("b");
        for d in [&a, &b] {
            std::fs::create_dir_all(d.join("sub")).unwrap();
            std::fs::write(d.join("f"), b"hello").unwrap();
            std::fs::hard_link(d.join("f"), d.join("sub/g")).unwrap();
            std::os::unix::fs::symlink("f", d.join("l")).unwrap();
        }
        diff_trees(&a, &b).unwrap();
        std::fs::write(b.join("f"), b"hellp").unwrap();
        let e = diff_trees(&a, &b).unwrap_err();
        assert!(e.contains("contents differ"), "{e}");
        std::fs::write(b.join("f"), b"hello").unwrap();
        std::fs::remove_file(b.join("l")).unwrap();
        std::os::unix::fs::symlink("g", b.join("l")).unwrap();
        assert!(diff_trees(&a, &b).unwrap_err().contains("symlink target"));
        std::fs::remove_file(b.join("l")).unwrap();
        std::os::unix::fs::symlink("f", b.join("l")).unwrap();
        // Break the hard link but keep contents.
        std::fs::remove_file(b.join("sub/g")).unwrap();
        std::fs::write(b.join("sub/g"), b"hello").unwrap();
        assert!(diff_trees(&a, &b).unwrap_err().contains("hard-link groups"));
        std::fs::remove_file(b.join("sub/g")).unwrap();
        std::fs::hard_link(b.join("f"), b.join("sub/g")).unwrap();
        diff_trees(&a, &b).unwrap();
        std::fs::write(b.join("extra"), b"").unwrap();
        assert!(diff_trees(&a, &b).unwrap_err().contains("only in"));
        std::fs::remove_file(b.join("extra")).unwrap();
        std::fs::set_permissions(b.join("f"), std::fs::Permissions::from_mode(0o600)).unwrap();
        diff_trees(&a, &b).unwrap();
        let opts = DiffOptions {
            modes: true,
            ..Default::default()
        };
        assert!(diff_trees_with(&a, &b, &opts).unwrap_err().contains("mode"));
    }
}
