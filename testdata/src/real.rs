//! Locating the real third-party WIM files kept outside the repository in
//! `shared/testdata/real` (next to the repository: `/work/main` → `/work/shared/...`).
//!
//! Tests call [`real_dir`] and return early when it yields `None`; the function has then
//! already printed a loud `SKIP:` line.

use std::path::{Path, PathBuf};

/// Environment variable that overrides the location of the real-files folder.
pub const REAL_DIR_ENV: &str = "WIMKIT_REAL_DIR";

/// File names of the one real split set (part 1 first).
pub const SPLIT_SET: [&str; 2] = ["wimlib_mwl_split.swm", "wimlib_mwl_split2.swm"];

/// Finds `shared/testdata/real` by walking up from this crate's manifest directory
/// (or uses `$WIMKIT_REAL_DIR`). Prints `SKIP: ../shared/testdata/real not found` and
/// returns `None` when absent.
pub fn real_dir() -> Option<PathBuf> {
    let found = locate_real_dir();
    if found.is_none() {
        eprintln!("SKIP: ../shared/testdata/real not found");
        println!("SKIP: ../shared/testdata/real not found");
    }
    found
}

/// Like [`real_dir`] without printing anything.
pub fn locate_real_dir() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(REAL_DIR_ENV) {
        let p = PathBuf::from(p);
        return p.is_dir().then_some(p);
    }
    let start = Path::new(env!("CARGO_MANIFEST_DIR"));
    start
        .ancestors()
        .map(|a| a.join("shared").join("testdata").join("real"))
        .find(|p| p.is_dir())
}

/// All `*.wim`, `*.swm` and `*.esd` files in the real folder, sorted by path. Empty (after
/// the loud `SKIP:` line) when the folder is absent.
pub fn real_files() -> Vec<PathBuf> {
    let Some(dir) = real_dir() else {
        return Vec::new();
    };
    list_wims(&dir)
}

fn list_wims(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .filter(|p| {
                    let ext = p
                        .extension()
                        .and_then(|e| e.to_str())
                        .map(|e| e.to_ascii_lowercase());
                    matches!(ext.as_deref(), Some("wim" | "swm" | "esd"))
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Real files that are expected to be readable (not `__BAD`, not a split part).
pub fn good_files() -> Vec<PathBuf> {
    real_files()
        .into_iter()
        .filter(|p| !is_bad(p) && !is_split_part(p))
        .collect()
}

/// True when the file name marks a corrupt or hostile file (`__BAD`).
pub fn is_bad(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.contains("__BAD"))
}

/// True when the file is one of the parts of the real split set.
pub fn is_split_part(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| SPLIT_SET.contains(&n))
}

/// The real split set as full paths, part 1 first; `None` (with a loud `SKIP:`) when the
/// folder or either part is missing.
pub fn split_set() -> Option<Vec<PathBuf>> {
    let dir = real_dir()?;
    let parts: Vec<PathBuf> = SPLIT_SET.iter().map(|n| dir.join(n)).collect();
    if parts.iter().all(|p| p.is_file()) {
        Some(parts)
    } else {
        println!(
            "SKIP: split set {SPLIT_SET:?} not found in {}",
            dir.display()
        );
        None
    }
}

/// Path of one real file by name; `None` (with a loud `SKIP:`) when absent.
pub fn real_file(name: &str) -> Option<PathBuf> {
    let p = real_dir()?.join(name);
    if p.is_file() {
        Some(p)
    } else {
        println!("SKIP: {} not found", p.display());
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_and_split_classification() {
        assert!(is_bad(Path::new("/x/wimlib-tests_cyclic__BAD.wim")));
        assert!(!is_bad(Path::new("/x/wimlib_mwl_lzx.wim")));
        assert!(is_split_part(Path::new("a/wimlib_mwl_split2.swm")));
        assert!(!is_split_part(Path::new("a/wimlib_mwl_lzx.wim")));
    }

    #[test]
    fn real_files_sorted_and_filtered() {
        let Some(dir) = real_dir() else { return };
        let files = list_wims(&dir);
        assert!(!files.is_empty(), "no WIMs in {}", dir.display());
        let mut sorted = files.clone();
        sorted.sort();
        assert_eq!(files, sorted);
        assert!(files.iter().any(|p| is_bad(p)));
        assert!(good_files().iter().all(|p| !is_bad(p)));
        let set = split_set().expect("split set present in the real folder");
        assert_eq!(set.len(), 2);
    }
}
