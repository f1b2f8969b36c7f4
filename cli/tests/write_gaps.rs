//! Remaining write-command behaviours checked against wimlib-imagex 1.13: split of solid
//! and of non-solid LZMS WIMs, `export --rebuild`, and options wimkit refuses instead of
//! silently ignoring.

use std::path::Path;
use std::process::{Command, Output};
use wim_testdata::oracle;

const WIMKIT: &str = env!("CARGO_BIN_EXE_wimkit");

fn wimkit(args: &[&str]) -> Output {
    Command::new(WIMKIT).args(args).output().unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn tree(root: &Path) {
    std::fs::create_dir_all(root.join("d")).unwrap();
    let text: String = (0..30_000).map(|i| format!("row {i}\n")).collect();
    std::fs::write(root.join("d/t.txt"), text).unwrap();
    std::fs::write(root.join("x.bin"), [7u8; 70_000]).unwrap();
    std::fs::write(root.join("y.txt"), b"small").unwrap();
}

#[test]
fn split_refuses_solid_resources_but_not_lzms_like_wimlib() {
    if !oracle::require_wimlib("split of solid WIMs") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let src = d.path().join("src");
    tree(&src);
    let esd = d.path().join("s.esd");
    oracle::capture(&src, &esd, &["--solid"]).unwrap();
    let theirs = Command::new("wimlib-imagex")
        .args(["split", s(&esd), s(&d.path().join("w.swm")), "0.01"])
        .output()
        .unwrap();
    let ours = wimkit(&["split", s(&esd), s(&d.path().join("o.swm")), "0.01"]);
    assert_eq!(theirs.status.code(), Some(68));
    assert_eq!(ours.status.code(), Some(68), "{ours:?}");
    assert!(
        String::from_utf8_lossy(&ours.stderr)
            .contains("Splitting of WIM containing solid resources is not supported"),
        "{ours:?}"
    );
    assert!(!d.path().join("o.swm").exists());
    // Version 0xE00 without solid resources (non-solid LZMS) splits in both.
    let lz = d.path().join("lz.wim");
    oracle::capture(&src, &lz, &["--compress=lzms"]).unwrap();
    let first = d.path().join("lz.swm");
    let o = wimkit(&["split", s(&lz), s(&first), "0.01"]);
    assert!(o.status.success(), "{o:?}");
    let second = d.path().join("lz2.swm");
    assert!(second.exists());
    let out = d.path().join("out");
    let refs = format!("--ref={}", d.path().join("lz*.swm").display());
    oracle::apply(&first, "1", &out, &[&refs]).unwrap();
    oracle::diff_trees(&src, &out).unwrap();
}

#[test]
fn export_rebuild_rewrites_the_destination_without_a_hole() {
    if !oracle::require_wimlib("export --rebuild") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let src = d.path().join("src");
    tree(&src);
    let a = d.path().join("a.wim");
    oracle::capture(&src, &a, &["A", "--check"]).unwrap();
    let b = d.path().join("b.wim");
    oracle::capture(&src.join("d"), &b, &["B"]).unwrap();
    let inplace = d.path().join("inplace.wim");
    let rebuilt = d.path().join("rebuilt.wim");
    std::fs::copy(&a, &inplace).unwrap();
    std::fs::copy(&a, &rebuilt).unwrap();
    assert!(
        wimkit(&["export", s(&b), "1", s(&inplace)])
            .status
            .success()
    );
    let o = wimkit(&["export", s(&b), "1", s(&rebuilt), "--rebuild"]);
    assert!(o.status.success(), "{o:?}");
    oracle::verify(&rebuilt, &[]).unwrap();
    let info = oracle::info(&rebuilt, &[]).unwrap();
    assert!(info.contains("Image Count:    2"), "{info}");
    // The old blob table, XML and integrity table are not left behind as a hole.
    let (li, lr) = (
        std::fs::metadata(&inplace).unwrap().len(),
        std::fs::metadata(&rebuilt).unwrap().len(),
    );
    assert!(lr < li, "rebuilt {lr} not smaller than in-place {li}");
    let h = oracle::info(&rebuilt, &["--header"]).unwrap();
    assert!(!h.contains("Integrity Size              = 0\n"), "{h}");
    let out = d.path().join("out");
    oracle::apply(&rebuilt, "2", &out, &[]).unwrap();
    oracle::diff_trees(&src.join("d"), &out).unwrap();
}

#[test]
fn unimplemented_options_are_refused_not_ignored() {
    let d = tempfile::tempdir().unwrap();
    let src = d.path().join("src");
    tree(&src);
    let w = d.path().join("w.wim");
    assert!(wimkit(&["capture", s(&src), s(&w)]).status.success());
    let before = std::fs::read(&w).unwrap();
    let n = d.path().join("n.wim");
    let cases: Vec<Vec<&str>> = vec![
        vec!["capture", s(&src), s(&n), "--update-of=1"],
        vec!["capture", s(&src), s(&n), "--wimboot"],
        vec!["capture", s(&src), s(&n), "--snapshot"],
        vec!["append", s(&src), s(&w), "X", "--unsafe-compact"],
        vec!["export", s(&w), "1", s(&n), "--no-solid-sort"],
        vec!["export", s(&w), "1", s(&n), "--wimboot"],
        vec!["export", s(&w), "1", s(&w), "Y", "--unsafe-compact"],
        vec!["optimize", s(&w), "--unsafe-compact"],
        vec!["optimize", s(&w), "--no-solid-sort"],
        vec!["delete", s(&w), "1", "--unsafe-compact"],
    ];
    for c in &cases {
        let o = wimkit(c);
        assert_eq!(o.status.code(), Some(68), "{c:?}: {o:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("is not supported by wimkit yet"),
            "{c:?}: {err}"
        );
        assert!(!n.exists(), "{c:?} wrote output");
        assert!(
            std::fs::read(&w).unwrap() == before,
            "{c:?} changed the WIM"
        );
    }
}

#[test]
fn split_part_count_matches_wimlib_when_part_one_holds_only_metadata() {
    if !oracle::require_wimlib("split part count") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let src = d.path().join("src");
    tree(&src);
    std::fs::write(
        src.join("big"),
        (0..200_000u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect::<Vec<u8>>(),
    )
    .unwrap();
    let w = d.path().join("w.wim");
    oracle::capture(&src, &w, &[]).unwrap();
    for size in ["0.02", "0.05", "0.3"] {
        let t = d.path().join(format!("t{size}.swm"));
        let o = d.path().join(format!("o{size}.swm"));
        oracle::run(&[
            "split".as_ref(),
            w.as_os_str(),
            t.as_os_str(),
            size.as_ref(),
        ])
        .unwrap();
        let r = wimkit(&["split", s(&w), s(&o), size]);
        assert!(r.status.success(), "{r:?}");
        let count = |prefix: &str| {
            std::fs::read_dir(d.path())
                .unwrap()
                .filter(|e| {
                    let n = e
                        .as_ref()
                        .unwrap()
                        .file_name()
                        .to_str()
                        .unwrap()
                        .to_string();
                    n.starts_with(prefix) && n.ends_with(".swm")
                })
                .count()
        };
        assert_eq!(
            count(&format!("o{size}")),
            count(&format!("t{size}")),
            "part size {size}"
        );
        let refs = format!("--ref={}", d.path().join(format!("o{size}*.swm")).display());
        oracle::verify(&o, &[&refs]).unwrap();
    }
}

#[test]
fn source_list_capture_matches_wimlib() {
    if !oracle::require_wimlib("--source-list") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let one = d.path().join("one");
    let two = d.path().join("two words");
    std::fs::create_dir_all(one.join("x")).unwrap();
    std::fs::create_dir_all(&two).unwrap();
    std::fs::write(one.join("x/a"), b"a").unwrap();
    std::fs::write(one.join("c"), b"first c").unwrap();
    std::fs::write(two.join("c"), b"c of two").unwrap();
    std::fs::write(two.join("b"), "b".repeat(40_000)).unwrap();
    // A third folder overlaying the root. (The same disk file listed twice becomes a
    // hard link in wimlib's image, not in ours: not exercised here.)
    let three = d.path().join("three");
    std::fs::create_dir_all(&three).unwrap();
    std::fs::write(three.join("c"), b"second c wins").unwrap();
    let list = format!(
        "# overlay test\n\n{one} /\n  \"{two}\"   /over/lay/\n'{three}' /\n{c} /single/c\n",
        one = one.display(),
        two = two.display(),
        three = three.display(),
        c = one.join("c").display()
    );
    let lf = d.path().join("list.txt");
    std::fs::write(&lf, &list).unwrap();
    let theirs = d.path().join("t.wim");
    oracle::capture(&lf, &theirs, &["L", "--source-list"]).unwrap();
    let ours = d.path().join("o.wim");
    let o = wimkit(&["capture", s(&lf), s(&ours), "L", "--source-list"]);
    assert!(o.status.success(), "{o:?}");
    oracle::verify(&ours, &[]).unwrap();
    assert_eq!(
        oracle::dir_listing(&ours, "1").unwrap(),
        oracle::dir_listing(&theirs, "1").unwrap()
    );
    let (a, b) = (d.path().join("a"), d.path().join("b"));
    oracle::apply(&ours, "1", &a, &[]).unwrap();
    oracle::apply(&theirs, "1", &b, &[]).unwrap();
    oracle::diff_trees(&b, &a).unwrap();
    assert_eq!(std::fs::read(a.join("c")).unwrap(), b"second c wins");
    // The list from stdin ("-").
    let piped = d.path().join("p.wim");
    let mut c = Command::new(WIMKIT)
        .args(["capture", "-", s(&piped), "L", "--source-list"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut c.stdin.take().unwrap(), list.as_bytes()).unwrap();
    assert!(c.wait().unwrap().success());
    assert_eq!(
        oracle::dir_listing(&piped, "1").unwrap(),
        oracle::dir_listing(&theirs, "1").unwrap()
    );
    // Three fields on a line: refused with the line number.
    std::fs::write(&lf, "a b c\n").unwrap();
    let o = wimkit(&[
        "capture",
        s(&lf),
        s(&d.path().join("bad.wim")),
        "--source-list",
    ]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("line 1"),
        "{o:?}"
    );
}

#[test]
fn export_solid_compress_and_chunk_size_set_the_solid_header_like_wimlib() {
    if !oracle::require_wimlib("--solid-compress") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let src = d.path().join("src");
    tree(&src);
    let w = d.path().join("w.wim");
    oracle::capture(&src, &w, &[]).unwrap();
    let solid_header = |p: &Path| -> Vec<u8> {
        let out = oracle::info(p, &["--blobs"]).unwrap();
        let off: u64 = out
            .lines()
            .find_map(|l| l.strip_prefix("Solid resource    = "))
            .and_then(|r| r.split(" bytes @ offset ").nth(1))
            .expect("a solid resource")
            .trim()
            .parse()
            .unwrap();
        std::fs::read(p).unwrap()[off as usize + 8..off as usize + 16].to_vec()
    };
    for (codec, cs) in [("lzx", "1M"), ("xpress", "64K"), ("lzms", "4M")] {
        let theirs = d.path().join(format!("t-{codec}.esd"));
        let ours = d.path().join(format!("o-{codec}.esd"));
        let args = [
            "--solid".to_string(),
            format!("--solid-compress={codec}"),
            format!("--solid-chunk-size={cs}"),
        ];
        oracle::run(&[
            "export".as_ref(),
            w.as_os_str(),
            "1".as_ref(),
            theirs.as_os_str(),
            args[0].as_ref(),
            args[1].as_ref(),
            args[2].as_ref(),
        ])
        .unwrap();
        let o = wimkit(&["export", s(&w), "1", s(&ours), &args[0], &args[1], &args[2]]);
        assert!(o.status.success(), "{o:?}");
        oracle::verify(&ours, &[]).unwrap();
        assert_eq!(solid_header(&ours), solid_header(&theirs), "{codec} {cs}");
        let out = d.path().join(format!("x-{codec}"));
        oracle::apply(&ours, "1", &out, &[]).unwrap();
        oracle::diff_trees(&src, &out).unwrap();
    }
}

#[test]
fn capture_delta_from_writes_only_new_blobs_like_wimlib() {
    if !oracle::require_wimlib("capture --delta-from") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let src = d.path().join("src");
    tree(&src);
    let base = d.path().join("base.wim");
    oracle::capture(&src, &base, &[]).unwrap();
    std::fs::write(src.join("new.txt"), "fresh data ".repeat(3000)).unwrap();
    std::fs::write(src.join("d/t.txt"), "changed").unwrap();
    let theirs = d.path().join("t.wim");
    let ours = d.path().join("o.wim");
    let df = format!("--delta-from={}", base.display());
    oracle::capture(&src, &theirs, &[&df]).unwrap();
    let o = wimkit(&["capture", s(&src), s(&ours), "--delta-from", s(&base)]);
    assert!(o.status.success(), "{o:?}");
    let hashes = |p: &Path| {
        let mut v: Vec<String> = oracle::info(p, &["--blobs"])
            .unwrap()
            .lines()
            .filter(|l| l.starts_with("Hash"))
            .map(String::from)
            .collect();
        v.sort();
        v
    };
    // Same blobs listed (the metadata hashes differ only by timestamps: compare counts
    // and the file blobs).
    let (ho, ht) = (hashes(&ours), hashes(&theirs));
    assert_eq!(ho.len(), ht.len(), "{ho:?} vs {ht:?}");
    assert_eq!(ho.len(), 3, "metadata + 2 new blobs expected: {ho:?}");
    let refs = format!("--ref={}", base.display());
    oracle::verify(&ours, &[&refs]).unwrap();
    let out = d.path().join("out");
    oracle::apply(&ours, "1", &out, &[&refs]).unwrap();
    oracle::diff_trees(&src, &out).unwrap();
    // Without the base, the image cannot be applied.
    assert!(oracle::apply(&ours, "1", &d.path().join("x"), &[]).is_err());
    // append --delta-from is refused.
    let o = wimkit(&["append", s(&src), s(&ours), "Z", "--delta-from", s(&base)]);
    assert!(!o.status.success());
}
