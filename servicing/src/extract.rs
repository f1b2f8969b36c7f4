//! Extracting chosen paths of an image, as `wimlib-imagex extract`: each match goes to
//! `DEST/basename` (or `DEST/full/path` with `--preserve-dir-structure`), or its data to
//! a writer (`--to-stdout`). Paths use `/` or `\`, are case-sensitive, and may hold `*`
//! and `?` wildcards per component unless globs are off. Absolute link targets are not
//! rewritten (extract has no rpfix).

use crate::apply::{ApplyOptions, ApplyStats, load_metadata, run};
use crate::error::{Error, Result, UsageKind};
use crate::progress::{Event, EventSink};
use std::ffi::OsString;
use std::io::Write;
use std::path::Path;
use wim_format::metadata::{DentryTree, NodeId};
use wim_format::{ImageIndex, Wim};

/// Options of [`extract_paths`] and [`extract_to_writer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtractOptions {
    /// Restore UNIX data.
    pub unix_data: bool,
    /// Recreate each match's full in-image path below the destination.
    pub preserve_dir_structure: bool,
    /// Treat `*` and `?` as wildcards.
    pub globs: bool,
    /// A pattern that matches nothing is a warning, not an error.
    pub nullglob: bool,
}

impl Default for ExtractOptions {
    fn default() -> Self {
        ExtractOptions {
            unix_data: false,
            preserve_dir_structure: false,
            globs: true,
            nullglob: false,
        }
    }
}

/// `*`/`?` matching of one name (code points; case-sensitive).
pub fn wildcard_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let (mut pi, mut ni) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        match p.get(pi) {
            Some('?') => {
                pi += 1;
                ni += 1;
            }
            Some('*') => {
                star = Some((pi, ni));
                pi += 1;
            }
            Some(c) if *c == n[ni] => {
                pi += 1;
                ni += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    pi = sp + 1;
                    ni = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    p[pi.min(p.len())..].iter().all(|&c| c == '*')
}

/// The nodes matching `pattern`, in stored order.
pub fn find_matches(tree: &DentryTree, pattern: &str, globs: bool) -> Vec<NodeId> {
    let comps: Vec<&str> = pattern
        .split(['/', '\\'])
        .filter(|c| !c.is_empty())
        .collect();
    let mut cur = vec![tree.root()];
    for c in comps {
        let mut next = Vec::new();
        for id in cur {
            for &k in tree.children(id) {
                if tree.name_problem(k).is_some() {
                    continue;
                }
                let name = tree.dentry(k).name().to_string_lossy();
                let hit = if globs {
                    wildcard_match(c, &name)
                } else {
                    name == c
                };
                if hit {
                    next.push(k);
                }
            }
        }
        cur = next;
    }
    cur
}

fn resolve(
    tree: &DentryTree,
    paths: &[String],
    opts: &ExtractOptions,
    events: EventSink<'_>,
) -> Result<Vec<NodeId>> {
    let mut out = Vec::new();
    for p in paths {
        let m = find_matches(tree, p, opts.globs);
        if m.is_empty() {
            let msg = format!("No matches for path pattern \"{p}\"");
            if opts.nullglob {
                events(&Event::Warning(msg));
                continue;
            }
            return Err(Error::Usage(UsageKind::PathDoesNotExist, msg));
        }
        out.extend(m);
    }
    Ok(out)
}

fn rel_of(tree: &DentryTree, id: NodeId, full: bool) -> Vec<OsString> {
    let mut v = Vec::new();
    let mut cur = id;
    while let Some(p) = tree.parent(cur) {
        v.push(OsString::from(tree.dentry(cur).name().to_string_lossy()));
        if !full {
            break;
        }
        cur = p;
    }
    v.reverse();
    v
}

/// Extracts the items matching `paths` from `image` into `dest`.
pub fn extract_paths(
    wim: &Wim,
    image: ImageIndex,
    paths: &[String],
    dest: &Path,
    opts: &ExtractOptions,
    events: EventSink<'_>,
) -> Result<ApplyStats> {
    let meta = load_metadata(wim, image)?;
    let tree = meta.tree();
    let nodes = resolve(tree, paths, opts, events)?;
    let sel: Vec<(NodeId, Vec<OsString>)> = nodes
        .into_iter()
        .map(|id| (id, rel_of(tree, id, opts.preserve_dir_structure)))
        .collect();
    let aopts = ApplyOptions {
        unix_data: opts.unix_data,
        rpfix: false,
    };
    run(wim, &meta, &sel, dest, &aopts, events)
}

/// Writes the data of the regular files matching `paths` to `out`, in order; returns the
/// byte count. Anything else matched is an error (`NotARegularFile`).
pub fn extract_to_writer(
    wim: &Wim,
    image: ImageIndex,
    paths: &[String],
    opts: &ExtractOptions,
    out: &mut dyn Write,
    events: EventSink<'_>,
) -> Result<u64> {
    let meta = load_metadata(wim, image)?;
    let tree = meta.tree();
    let nodes = resolve(tree, paths, opts, events)?;
    let mut total = 0u64;
    for id in nodes {
        let d = tree.dentry(id);
        if d.is_directory() || d.is_symlink() {
            return Err(Error::Usage(
                UsageKind::NotARegularFile,
                format!(
                    "\"{}\" is not a regular file and therefore cannot be extracted to standard output",
                    tree.path(id)
                ),
            ));
        }
        if let Some(h) = d.unnamed_stream_hash() {
            let mut r = wim.open_blob(&h)?;
            total += std::io::copy(&mut r, out).map_err(|e| {
                // A read failure of the blob surfaces as an io error from the reader.
                Error::fs(crate::error::FsOp::Write, "standard output", e)
            })?;
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(wildcard_match("*.txt", "a.txt"));
        assert!(wildcard_match("a?c", "abc"));
        assert!(wildcard_match("*", ""));
        assert!(!wildcard_match("*.txt", "a.txz"));
        assert!(wildcard_match("a*b*c", "axxbyyc"));
        assert!(!wildcard_match("a*b*c", "axxbyy"));
        assert!(!wildcard_match("A", "a"));
    }
}
