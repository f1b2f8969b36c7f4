//! The `<WINDOWS>` XML of a captured Windows installation, derived from the files of the
//! source directory the way wimlib does it at capture time, with our two documented
//! differences (see [`crate::properties::derive`]): `SPBUILD` is the SOFTWARE `UBR`
//! (fallback `CSDBuildNumber`), and SYSTEM lookups follow `Select\Current`.
//!
//! ```text
//! captured ImageTree ──► system root (same rule as properties::find_system_root)
//!                    ──► kernel32.dll (first 1 MiB), SOFTWARE, SYSTEM read from SOURCE
//!                    ──► derive_from_files ──► xml_elements(Ubr) appended to <IMAGE>
//! ```
//!
//! The files are located in the captured tree (so capture exclusions apply) and read from
//! the source directory (the WIM being written cannot be read back yet).

use crate::properties::derive::MAX_HIVE_BYTES;
use crate::properties::pe::PE_PREFIX_LIMIT;
use crate::properties::system_root::rel_lookup;
use crate::properties::{ImageProperties, SpBuildSource, derive_from_files};
use std::io::Read;
use std::path::{Path, PathBuf};
use wim_format::metadata::model::{EntryId, ImageTree};
use wim_format::xml::{Element, XmlNode};

/// The system root of a captured tree (the rule of
/// [`crate::properties::find_system_root`]).
pub fn system_root(tree: &ImageTree) -> Option<EntryId> {
    crate::properties::system_root::system_root(tree)
}

/// The source path of entry `id` (`source` joined with the names from the root).
fn source_path(source: &Path, tree: &ImageTree, id: EntryId) -> PathBuf {
    let mut parts = Vec::new();
    let mut cur = id;
    while let Some(e) = tree.entry(cur) {
        let Some(p) = e.parent() else { break };
        parts.push(e.name.to_string_lossy());
        cur = p;
    }
    let mut out = source.to_path_buf();
    for p in parts.iter().rev() {
        out.push(p);
    }
    out
}

/// Reads at most `limit` bytes of a captured regular file (`None` when absent, a
/// directory or a reparse point). `whole`: larger files are an error.
fn read_captured(
    source: &Path,
    tree: &ImageTree,
    root: EntryId,
    rel: &str,
    limit: u64,
    whole: bool,
) -> Result<Option<Vec<u8>>, String> {
    let Some(id) = rel_lookup(tree, root, rel) else {
        return Ok(None);
    };
    let Some(ino) = tree.inode_of(id) else {
        return Ok(None);
    };
    if ino.is_directory() || ino.reparse.is_some() {
        return Ok(None);
    }
    let path = source_path(source, tree, id);
    let f = std::fs::File::open(&path).map_err(|e| format!("\"{}\": {e}", path.display()))?;
    let len = f
        .metadata()
        .map_err(|e| format!("\"{}\": {e}", path.display()))?
        .len();
    if whole && len > limit {
        return Err(format!(
            "\"{}\" is {len} bytes, above the {limit}-byte limit",
            path.display()
        ));
    }
    let want = len.min(limit);
    let mut buf = Vec::with_capacity(usize::try_from(want).unwrap_or(0));
    f.take(want)
        .read_to_end(&mut buf)
        .map_err(|e| format!("\"{}\": {e}", path.display()))?;
    Ok(Some(buf))
}

/// Derives the properties of a captured tree from the files under `source`; `Ok(None)`
/// when the tree holds no Windows installation.
pub fn derive_captured(source: &Path, tree: &ImageTree) -> Result<Option<ImageProperties>, String> {
    let Some(root) = system_root(tree) else {
        return Ok(None);
    };
    let dir = tree
        .entry(root)
        .map(|e| e.name.to_string_lossy())
        .unwrap_or_default();
    let k32 = read_captured(
        source,
        tree,
        root,
        "System32/kernel32.dll",
        PE_PREFIX_LIMIT as u64,
        false,
    )?;
    let sw = read_captured(
        source,
        tree,
        root,
        "System32/config/SOFTWARE",
        MAX_HIVE_BYTES,
        true,
    )?;
    let sys = read_captured(
        source,
        tree,
        root,
        "System32/config/SYSTEM",
        MAX_HIVE_BYTES,
        true,
    )?;
    derive_from_files(&dir, k32.as_deref(), sw.as_deref(), sys.as_deref())
        .map(Some)
        .map_err(|e| e.to_string())
}

/// Appends wimlib's `WINDOWS`, `FLAGS`, `DISPLAYNAME`, `DISPLAYDESCRIPTION` elements
/// (derived with `SPBUILD` from `UBR`) to `image`, replacing any already there.
pub fn apply_properties(p: &ImageProperties, image: &mut Element) {
    for e in p.xml_elements(SpBuildSource::Ubr) {
        image.remove_children(&e.name);
        image.children.push(XmlNode::Element(e));
    }
}
