//! `diff A.wim[:IMAGE] B.wim[:IMAGE] [--json]` (wimkit extension).
//!
//! Text output: one line per differing path (`+ path`, `- path`, `M path (what)`), then
//! a summary with the transfer cost of B given A: the blobs B's image references that A's
//! file lacks, uncompressed (exact) and as stored in B (`~` when part of it is a share of
//! a solid resource).

use super::export::{open, select};
use super::out;
use crate::args::diff::DiffArgs;
use crate::error::CliError;
use servicing::diff::{ChangeKind, diff_images};
use std::io::Write;

/// Splits `PATH[:IMAGE]` (the suffix is taken as IMAGE only when PATH without it exists
/// and PATH with it does not).
fn split_spec(s: &str) -> (String, String) {
    if let Some((p, i)) = s.rsplit_once(':')
        && !p.is_empty()
        && !i.contains('/')
        && !std::path::Path::new(s).exists()
    {
        return (p.to_string(), i.to_string());
    }
    (s.to_string(), "1".to_string())
}

/// Runs `diff`.
pub fn run(a: &DiffArgs) -> Result<(), CliError> {
    let (pa, ia) = split_spec(&a.a);
    let (pb, ib) = split_spec(&a.b);
    let wa = open(&pa, &a.refs)?;
    let wb = open(&pb, &a.refs)?;
    let xa = *select(&wa, &ia, &pa)?
        .first()
        .ok_or_else(|| CliError::Usage(format!("ERROR: no image \"{ia}\" in {pa}")))?;
    let xb = *select(&wb, &ib, &pb)?
        .first()
        .ok_or_else(|| CliError::Usage(format!("ERROR: no image \"{ib}\" in {pb}")))?;
    let r = diff_images(&wa, xa, &wb, xb).map_err(|e| super::apply::servicing_error(&e, &pb))?;
    let mut o = std::io::stdout().lock();
    if a.json {
        let changes: Vec<serde_json::Value> = r
            .changes
            .iter()
            .map(|c| {
                serde_json::json!({
                    "path": c.path,
                    "kind": c.kind.as_str(),
                    "what": c.what,
                })
            })
            .collect();
        let v = serde_json::json!({
            "a": {"path": pa, "image": xa.get()},
            "b": {"path": pb, "image": xb.get()},
            "added": r.added,
            "removed": r.removed,
            "changed": r.changed,
            "unchanged": r.unchanged,
            "changes": changes,
            "transfer": {
                "blobs": r.transfer.blobs,
                "uncompressed_bytes": r.transfer.uncompressed_bytes,
                "stored_bytes": r.transfer.stored_bytes,
                "stored_is_estimate": r.transfer.stored_is_estimate,
                "metadata_bytes": r.transfer.metadata_bytes,
            },
        });
        let s = serde_json::to_string_pretty(&v).map_err(|e| CliError::Usage(e.to_string()))?;
        out(&mut o, &s)?;
        out(&mut o, "\n")?;
        return Ok(());
    }
    let mut s = String::new();
    for c in &r.changes {
        match c.kind {
            ChangeKind::Added => s += &format!("+ {}\n", c.path),
            ChangeKind::Removed => s += &format!("- {}\n", c.path),
            ChangeKind::Changed => s += &format!("M {} ({})\n", c.path, c.what.join(", ")),
        }
    }
    s += &format!(
        "{} added, {} removed, {} changed, {} unchanged\n\
         Transfer of B given A: {} blobs, {} bytes uncompressed, {}{} bytes stored in B, plus {} bytes of metadata\n",
        r.added,
        r.removed,
        r.changed,
        r.unchanged,
        r.transfer.blobs,
        r.transfer.uncompressed_bytes,
        if r.transfer.stored_is_estimate {
            "~"
        } else {
            ""
        },
        r.transfer.stored_bytes,
        r.transfer.metadata_bytes
    );
    out(&mut o, &s)?;
    o.flush()?;
    Ok(())
}
