//! The on-disk fixture tree is deterministic, has the promised features, and round-trips
//! through wimlib capture/apply.

use std::os::unix::fs::MetadataExt;
use wim_testdata::oracle;
use wim_testdata::tree::{SizeClass, make_fixture_tree};

#[test]
fn deterministic_and_complete() {
    let t = tempfile::tempdir().unwrap();
    let a = t.path().join("a");
    let b = t.path().join("b");
    make_fixture_tree(&a, SizeClass::Small).unwrap();
    make_fixture_tree(&b, SizeClass::Small).unwrap();
    oracle::diff_trees(&a, &b).unwrap();
    let opts = oracle::DiffOptions {
        modes: true,
        ..Default::default()
    };
    oracle::diff_trees_with(&a, &b, &opts).unwrap();
    // Features.
    assert_eq!(
        std::fs::metadata(a.join("links/hard_a")).unwrap().nlink(),
        3
    );
    assert_eq!(
        std::fs::read_link(a.join("links/sym_rel"))
            .unwrap()
            .to_str(),
        Some("hard_a")
    );
    assert!(std::fs::symlink_metadata(a.join("links/sym_dangling")).is_ok());
    assert!(!a.join("links/sym_dangling").exists());
    assert!(a.join("links/sym_dir").is_dir());
    let long = format!("{}.txt", "L".repeat(251));
    assert_eq!(long.len(), 255);
    assert!(a.join("names").join(&long).is_file());
    assert!(a.join("names/emoji_\u{1F600}.txt").is_file());
    let mut deep = a.join("deep");
    for i in 0..40 {
        deep.push(format!("d{i:02}"));
    }
    assert!(deep.join("bottom.txt").is_file());
    assert_eq!(
        std::fs::read(a.join("dup/one.txt")).unwrap(),
        std::fs::read(a.join("dup/two.txt")).unwrap()
    );
    assert_eq!(std::fs::metadata(a.join("empty/empty1")).unwrap().len(), 0);
    // Size: a few hundred KB for Small.
    let total = dir_size(&a);
    assert!((200_000..2_000_000).contains(&total), "{total}");
}

fn dir_size(p: &std::path::Path) -> u64 {
    let mut n = 0;
    for e in std::fs::read_dir(p).unwrap() {
        let e = e.unwrap();
        let m = std::fs::symlink_metadata(e.path()).unwrap();
        if m.is_dir() {
            n += dir_size(&e.path());
        } else if m.is_file() {
            n += m.len();
        }
    }
    n
}

#[test]
fn medium_tree_is_a_few_megabytes() {
    let t = tempfile::tempdir().unwrap();
    make_fixture_tree(t.path(), SizeClass::Medium).unwrap();
    let total = dir_size(t.path());
    assert!((2_000_000..20_000_000).contains(&total), "{total}");
}

#[test]
fn wimlib_capture_apply_roundtrip() {
    if !oracle::require_wimlib("wimlib_capture_apply_roundtrip") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    make_fixture_tree(&src, SizeClass::Small).unwrap();
    let wim = t.path().join("t.wim");
    oracle::capture(&src, &wim, &["--compress=none", "--unix-data"]).unwrap();
    let out = t.path().join("out");
    oracle::apply(&wim, "1", &out, &["--unix-data"]).unwrap();
    let opts = oracle::DiffOptions {
        modes: true,
        mtimes: true,
        owners: true,
    };
    oracle::diff_trees_with(&src, &out, &opts).unwrap();
    let list = oracle::dir_listing(&wim, "1").unwrap();
    assert!(list.iter().any(|l| l.ends_with("bottom.txt")), "{list:?}");
}
