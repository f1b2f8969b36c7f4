//! `diff` between two images and delta WIMs (`--delta-from`): the delta restores the
//! full image with wimkit and with wimlib-imagex given the base as `--ref`, and fails
//! cleanly without it.

mod common;

use servicing::capture::scan::ScanOptions;
use servicing::capture::{CaptureRequest, ImageSpec, WriteMode, capture_to_file};
use servicing::delta::export_delta;
use servicing::diff::{ChangeKind, diff_images};
use servicing::export::ExportOptions;
use servicing::progress::Event;
use std::path::{Path, PathBuf};
use wim_format::{ImageIndex, Wim, WimWriterBuilder};
use wim_testdata::oracle;

fn no_events(_: &Event) {}

fn capture(src: &Path, wim: &Path, mode: WriteMode) {
    let req = CaptureRequest {
        source: src.to_path_buf(),
        wim: wim.to_path_buf(),
        mode,
        builder: WimWriterBuilder::new().compression(wim_format::header::Compression::Xpress),
        scan: ScanOptions::default(),
        image: ImageSpec::default(),
        solid_sort: false,
    };
    capture_to_file(&req, &no_events).unwrap();
}

fn data(seed: u32, len: usize) -> Vec<u8> {
    wim_testdata::prng::XorShift64::new(u64::from(seed) + 1).bytes(len)
}

/// Base tree A and a changed copy B.
fn trees(root: &Path) -> (PathBuf, PathBuf) {
    let a = root.join("A");
    let b = root.join("B");
    for d in [&a, &b] {
        std::fs::create_dir_all(d.join("dir/sub")).unwrap();
        for i in 0..20u32 {
            std::fs::write(
                d.join(format!("dir/f{i}")),
                data(i, 5000 + i as usize * 100),
            )
            .unwrap();
        }
        std::fs::write(d.join("dir/sub/same"), data(99, 70_000)).unwrap();
    }
    std::fs::write(a.join("gone"), data(200, 3000)).unwrap();
    std::fs::write(a.join("kind"), b"a file in A").unwrap();
    std::fs::write(a.join("dir/f3"), data(300, 4000)).unwrap();
    std::fs::write(b.join("dir/f3"), data(301, 4000)).unwrap();
    std::fs::write(b.join("dir/f5"), data(302, 90_000)).unwrap();
    std::fs::create_dir_all(b.join("kind")).unwrap();
    std::fs::write(b.join("new"), data(400, 12_345)).unwrap();
    std::fs::create_dir_all(b.join("newdir")).unwrap();
    // B reuses A's data under another name: no transfer needed for it.
    std::fs::write(b.join("copy-of-gone"), data(200, 3000)).unwrap();
    (a, b)
}

/// `export_delta` of image 1 of `src` into `dest` against the one base `base`.
fn delta_of_image1(
    src: &Wim,
    dest: &Path,
    base: &Path,
) -> servicing::Result<servicing::delta::DeltaReport> {
    export_delta(
        src,
        &[ImageIndex::new(1).unwrap()],
        dest,
        &[base.to_path_buf()],
        &ExportOptions::default(),
    )
}

#[test]
fn diff_lists_changes_and_transfer_bytes() {
    let t = tempfile::tempdir().unwrap();
    let (a, b) = trees(t.path());
    let wa = t.path().join("a.wim");
    let wb = t.path().join("b.wim");
    capture(&a, &wa, WriteMode::Create);
    capture(&b, &wb, WriteMode::Create);
    let (ra, rb) = (Wim::open(&wa).unwrap(), Wim::open(&wb).unwrap());
    let one = ImageIndex::new(1).unwrap();
    let r = diff_images(&ra, one, &rb, one).unwrap();
    let got: Vec<(String, ChangeKind, Vec<String>)> = r
        .changes
        .iter()
        .map(|c| (c.path.clone(), c.kind, c.what.clone()))
        .collect();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let want = vec![
        ("/copy-of-gone".to_string(), ChangeKind::Added, vec![]),
        ("/dir/f3".into(), ChangeKind::Changed, s(&["data"])),
        ("/dir/f5".into(), ChangeKind::Changed, s(&["data"])),
        ("/gone".into(), ChangeKind::Removed, vec![]),
        (
            "/kind".into(),
            ChangeKind::Changed,
            s(&["type", "attributes", "data"]),
        ),
        ("/new".into(), ChangeKind::Added, vec![]),
        ("/newdir".into(), ChangeKind::Added, vec![]),
    ];
    assert_eq!(got, want);
    assert_eq!((r.added, r.removed, r.changed), (3, 1, 3));
    // Blobs B needs: new f3, new f5, "new" (copy-of-gone's data is in A).
    assert_eq!(r.transfer.blobs, 3);
    assert_eq!(r.transfer.uncompressed_bytes, 4000 + 90_000 + 12_345);
    assert!(!r.transfer.stored_is_estimate);
    assert!(r.transfer.stored_bytes > 0 && r.transfer.metadata_bytes > 0);
    // Same image: nothing differs, nothing to transfer.
    let r = diff_images(&ra, one, &ra, one).unwrap();
    assert!(r.changes.is_empty());
    assert_eq!(r.transfer.blobs, 0);
    assert!(r.unchanged > 20);
}

#[test]
fn delta_applies_with_ref_in_both_tools_and_fails_cleanly_without() {
    let t = tempfile::tempdir().unwrap();
    let (a, b) = trees(t.path());
    let wa = t.path().join("a.wim");
    let wb = t.path().join("b.wim");
    capture(&a, &wa, WriteMode::Create);
    capture(&b, &wb, WriteMode::Create);
    let delta = t.path().join("delta.wim");
    let src = Wim::open(&wb).unwrap();
    let rep = delta_of_image1(&src, &delta, &wa).unwrap();
    assert_eq!(rep.new_indices, vec![1]);
    // Everything B shares with A stays in A: 18 unchanged f*, sub/same, copy-of-gone.
    assert_eq!(rep.blobs_in_bases, 20);
    let full = std::fs::metadata(&wb).unwrap().len();
    assert!(rep.file_size < full, "{} vs {full}", rep.file_size);
    // The delta alone lacks blobs: our reader and apply fail with a missing blob.
    let d = Wim::open(&delta).unwrap();
    let missing = d
        .verify_blobs(&|_| {})
        .and_then(|r| r.into_result())
        .is_err();
    let e = common::apply_ours(std::slice::from_ref(&delta), 1, &t.path().join("nodelta"));
    assert!(
        missing || e.is_err(),
        "the delta must not be usable without its base"
    );
    let msg = e.unwrap_err();
    assert!(msg.to_lowercase().contains("blob"), "{msg}");
    // With the base: verify and apply (ours) equal the full image's apply.
    let parts = vec![delta.clone(), wa.clone()];
    common::verify_ours(&parts).unwrap();
    let ref_dir = t.path().join("full");
    common::apply_ours(std::slice::from_ref(&wb), 1, &ref_dir).unwrap();
    let ours = t.path().join("ours");
    common::apply_ours(&parts, 1, &ours).unwrap();
    oracle::diff_trees(&ref_dir, &ours).unwrap();
    if !oracle::require_wimlib("delta apply with wimlib") {
        return;
    }
    let theirs = t.path().join("theirs");
    let r = format!("--ref={}", wa.display());
    oracle::apply(&delta, "1", &theirs, &[&r]).unwrap();
    oracle::diff_trees(&ref_dir, &theirs).unwrap();
    // wimlib without --ref fails (and says why) instead of writing a damaged tree.
    let bad = oracle::apply(&delta, "1", &t.path().join("theirs2"), &[]);
    assert!(bad.is_err(), "wimlib applied a delta without its base");
    oracle::verify(&delta, &[&r]).unwrap();
}

#[test]
fn delta_refuses_an_existing_destination() {
    let t = tempfile::tempdir().unwrap();
    let (a, _) = trees(t.path());
    let wa = t.path().join("a.wim");
    capture(&a, &wa, WriteMode::Create);
    let src = Wim::open(&wa).unwrap();
    let e = delta_of_image1(&src, &wa, &wa).unwrap_err();
    assert!(e.to_string().contains("new file"), "{e}");
}
