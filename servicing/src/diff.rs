//! `wimkit diff A[:IMAGE] B[:IMAGE]`: what changed between two images, and what a
//! transfer of B costs for a holder of A.
//!
//! ```text
//! A image ─► ImageTree ─► path → summary (type, attributes, stream SHA-1s)
//! B image ─► ImageTree ─► path → summary          ─► added / removed / changed (sorted)
//! blobs B's image references − every blob of A's file ─► transfer bytes
//! ```
//!
//! Paths are compared exactly (as stored, case-sensitive). A changed path lists what
//! changed: `type`, `attributes`, `data` (unnamed stream SHA-1), `stream:NAME` (named
//! streams), `reparse` (tag or data). Timestamps and security descriptors are not compared.
//!
//! Transfer cost ([`Transfer`]): the blobs B's image references that A's file (all its
//! images) lacks, i.e. what a delta WIM (`export --delta-from A`) holds: their
//! uncompressed size (exact) and their stored size in B (exact for non-solid blobs; for
//! blobs inside a solid resource, a proportional share of that resource: an estimate),
//! plus B's image metadata resource.

use crate::error::Result;
use crate::export::load_tree;
use std::collections::{BTreeMap, HashSet};
use wim_format::blob_table::BlobLocation;
use wim_format::metadata::model::{EntryId, ImageTree};
use wim_format::{ImageIndex, Sha1Digest, Wim};

/// How a path differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChangeKind {
    /// Only in B.
    Added,
    /// Only in A.
    Removed,
    /// In both, different.
    Changed,
}

impl ChangeKind {
    /// `added`, `removed`, `changed`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Changed => "changed",
        }
    }
}

/// One differing path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathChange {
    /// The path (`/`-separated, from the image root).
    pub path: String,
    /// Added, removed or changed.
    pub kind: ChangeKind,
    /// For `Changed`: what changed (`type`, `attributes`, `data`, `stream:NAME`,
    /// `reparse`), in that order.
    pub what: Vec<String>,
}

/// The blobs a transfer of B needs given A.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Transfer {
    /// Blobs B's image references that A's file lacks.
    pub blobs: u64,
    /// Their uncompressed size (exact).
    pub uncompressed_bytes: u64,
    /// Their stored (compressed) size in B.
    pub stored_bytes: u64,
    /// True when part of `stored_bytes` is a proportional share of a solid resource.
    pub stored_is_estimate: bool,
    /// Stored size of B's image metadata resource (also needed by a transfer).
    pub metadata_bytes: u64,
}

/// The result of [`diff_images`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DiffReport {
    /// Differing paths, sorted by path.
    pub changes: Vec<PathChange>,
    /// Paths only in B.
    pub added: u64,
    /// Paths only in A.
    pub removed: u64,
    /// Paths in both that differ.
    pub changed: u64,
    /// Paths in both that are equal.
    pub unchanged: u64,
    /// The transfer cost of B given A.
    pub transfer: Transfer,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Summary {
    kind: &'static str,
    attributes: u32,
    data: Option<Sha1Digest>,
    streams: BTreeMap<String, Option<Sha1Digest>>,
    reparse: Option<(u32, Option<Sha1Digest>)>,
}

fn norm(h: Option<Sha1Digest>) -> Option<Sha1Digest> {
    h.filter(|h| !h.is_zero() && *h != Sha1Digest::EMPTY)
}

fn summarize(tree: &ImageTree, id: EntryId) -> Option<Summary> {
    let i = tree.inode_of(id)?;
    let kind = if i.reparse.is_some() {
        "reparse point"
    } else if i.is_directory() {
        "directory"
    } else {
        "file"
    };
    Some(Summary {
        kind,
        attributes: i.attributes.bits(),
        data: norm(i.data),
        streams: i
            .named_streams
            .iter()
            .map(|s| (s.name.to_string_lossy(), norm(s.hash)))
            .collect(),
        reparse: i.reparse.as_ref().map(|r| (r.tag, norm(r.data))),
    })
}

fn paths(tree: &ImageTree) -> BTreeMap<String, Summary> {
    tree.walk()
        .into_iter()
        .filter_map(|id| Some((tree.path(id), summarize(tree, id)?)))
        .collect()
}

fn what_changed(a: &Summary, b: &Summary) -> Vec<String> {
    let mut w = Vec::new();
    if a.kind != b.kind {
        w.push("type".to_string());
    }
    if a.attributes != b.attributes {
        w.push("attributes".to_string());
    }
    if a.data != b.data {
        w.push("data".to_string());
    }
    let names: std::collections::BTreeSet<&String> =
        a.streams.keys().chain(b.streams.keys()).collect();
    for n in names {
        if a.streams.get(n) != b.streams.get(n) {
            w.push(format!("stream:{n}"));
        }
    }
    if a.reparse != b.reparse {
        w.push("reparse".to_string());
    }
    w
}

/// Stored size of `e` in its WIM (a proportional share for solid blobs) and whether it
/// is an estimate.
fn stored_size(e: &wim_format::blob_table::BlobEntry) -> (u64, bool) {
    match &e.location {
        BlobLocation::Resource { reshdr, .. } => (reshdr.size_in_wim, false),
        BlobLocation::Solid { resource, .. } => {
            let total = resource.uncompressed_size.max(1);
            let share =
                u128::from(e.size) * u128::from(resource.reshdr.size_in_wim) / u128::from(total);
            (u64::try_from(share).unwrap_or(u64::MAX), true)
        }
    }
}

/// Compares image `ai` of `a` with image `bi` of `b`.
pub fn diff_images(a: &Wim, ai: ImageIndex, b: &Wim, bi: ImageIndex) -> Result<DiffReport> {
    let ta = load_tree(a, ai)?;
    let tb = load_tree(b, bi)?;
    let pa = paths(&ta);
    let pb = paths(&tb);
    drop(ta);
    let mut r = DiffReport::default();
    for (p, sa) in &pa {
        match pb.get(p) {
            None => {
                r.removed += 1;
                r.changes.push(PathChange {
                    path: p.clone(),
                    kind: ChangeKind::Removed,
                    what: Vec::new(),
                });
            }
            Some(sb) => {
                let w = what_changed(sa, sb);
                if w.is_empty() {
                    r.unchanged += 1;
                } else {
                    r.changed += 1;
                    r.changes.push(PathChange {
                        path: p.clone(),
                        kind: ChangeKind::Changed,
                        what: w,
                    });
                }
            }
        }
    }
    for p in pb.keys().filter(|p| !pa.contains_key(*p)) {
        r.added += 1;
        r.changes.push(PathChange {
            path: p.clone(),
            kind: ChangeKind::Added,
            what: Vec::new(),
        });
    }
    r.changes.sort_by(|x, y| x.path.cmp(&y.path));
    let have: HashSet<Sha1Digest> = a
        .blob_table()
        .entries()
        .iter()
        .filter(|e| !e.is_metadata())
        .map(|e| e.hash)
        .collect();
    for (h, _) in tb.blob_references() {
        if have.contains(&h) {
            continue;
        }
        let e = b.entry(&h)?;
        let (stored, est) = stored_size(e);
        r.transfer.blobs += 1;
        r.transfer.uncompressed_bytes = r.transfer.uncompressed_bytes.saturating_add(e.size);
        r.transfer.stored_bytes = r.transfer.stored_bytes.saturating_add(stored);
        r.transfer.stored_is_estimate |= est;
    }
    if let Some(m) = b.blob_table().metadata(bi) {
        r.transfer.metadata_bytes = stored_size(m).0;
    }
    Ok(r)
}
