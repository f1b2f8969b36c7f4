//! A hostile synthetic image must never make apply or extract write outside the
//! destination: `..`/`.`/slash names, a symlink directory followed by a same-named
//! directory with children, a reparse directory with children, links pointing out,
//! Windows absolute and drive-letter names, and links planted in the destination.

mod common;

use servicing::apply::{ApplyOptions, apply_image};
use servicing::extract::{ExtractOptions, extract_paths};
use std::path::{Path, PathBuf};
use wim_testdata::builder::{HDR_FLAG_RP_FIX, Image, Node, WimBuilder, utf16};

fn hostile(outside: &Path) -> WimBuilder {
    let out = outside.to_string_lossy().into_owned();
    let mut fixed_link = Node::symlink("fixed_abs", &format!("{out}/fixed"));
    fixed_link.rp_flags = 0;
    let children = vec![
        Node::file("x", b"..".to_vec()).with_raw_name(utf16("..")),
        Node::dir("y", vec![Node::file("escaped", b"no".to_vec())]).with_raw_name(utf16("..")),
        Node::dir("z", vec![Node::file("dot_child", b"no".to_vec())]).with_raw_name(utf16(".")),
        Node::file("s", b"no".to_vec()).with_raw_name(utf16("../../outside/pwn_slash")),
        Node::file("abs", b"no".to_vec()).with_raw_name(utf16(&format!("{out}/pwn_abs"))),
        Node::file("nul", b"no".to_vec()).with_raw_name(vec![0x61, 0, 0x62]),
        Node::file("C:\\Windows\\evil.txt", b"inside".to_vec()),
        Node::file("\\??\\C:\\x", b"inside".to_vec()),
        // A link to the outside, then a directory of the same name with a child.
        Node::dir_symlink("evil", &out),
        Node::dir("evil", vec![Node::file("pwned", b"no".to_vec())]),
        // The other order: the directory wins, the link is ignored.
        Node::dir("evil2", vec![Node::file("ok", b"inside".to_vec())]),
        Node::dir_symlink("evil2", &out),
        // A directory that claims to be a symlink reparse point and has children.
        Node::dir("rdir", vec![Node::file("pwned_rdir", b"no".to_vec())])
            .with_attributes(0x410)
            .with_link_group(0xA000_000C),
        Node::symlink("up", "../../outside/up_target"),
        Node::junction("junc", &out),
        fixed_link,
        // Names that meet links planted in the destination before apply.
        Node::dir("planted_dir", vec![Node::file("f", b"inside".to_vec())]),
        Node::file("planted_file", b"inside".to_vec()),
    ];
    let mut b = WimBuilder::new().image(Image::new("hostile", children));
    b.extra_flags = HDR_FLAG_RP_FIX;
    b
}

fn assert_untouched(sandbox: &Path, outside: &Path, dest_name: &str) {
    assert_eq!(
        std::fs::read_dir(outside).unwrap().count(),
        0,
        "something was written outside the destination"
    );
    let mut names: Vec<String> = std::fs::read_dir(sandbox)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut want = vec![
        "hostile.wim".to_string(),
        "outside".into(),
        dest_name.into(),
    ];
    want.sort();
    assert_eq!(names, want);
}

fn plant(dest: &Path, outside: &Path) {
    std::fs::create_dir_all(dest).unwrap();
    std::os::unix::fs::symlink(outside, dest.join("planted_dir")).unwrap();
    std::os::unix::fs::symlink(outside.join("victim"), dest.join("planted_file")).unwrap();
}

/// A sandbox holding `outside/`, the hostile `hostile.wim` (opened) and the destination
/// `dest_name` with planted links to `outside`.
struct Sandbox {
    tmp: tempfile::TempDir,
    outside: PathBuf,
    dest: PathBuf,
    wim: wim_format::Wim,
}

fn sandbox(dest_name: &str) -> Sandbox {
    let tmp = tempfile::tempdir().unwrap();
    let outside = tmp.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    let wim_path = tmp.path().join("hostile.wim");
    std::fs::write(&wim_path, hostile(&outside).build().bytes).unwrap();
    let dest = tmp.path().join(dest_name);
    plant(&dest, &outside);
    let wim = wim_format::Wim::open(&wim_path).unwrap();
    Sandbox {
        tmp,
        outside,
        dest,
        wim,
    }
}

#[test]
fn hostile_image_stays_inside() {
    let Sandbox {
        tmp,
        outside,
        dest,
        wim,
    } = sandbox("dest");
    let sandbox = tmp.path();
    let ix = wim_format::ImageIndex::new(1).unwrap();
    let stats = apply_image(&wim, ix, &dest, &ApplyOptions::default(), &|_| {}).unwrap();
    assert_untouched(sandbox, &outside, "dest");

    // What was made, inside.
    let read = |p: &str| std::fs::read(dest.join(p)).unwrap();
    assert_eq!(read("C:\\Windows\\evil.txt"), b"inside");
    assert_eq!(read("\\??\\C:\\x"), b"inside");
    assert_eq!(read("evil2/ok"), b"inside");
    assert_eq!(read("planted_dir/f"), b"inside");
    assert_eq!(read("planted_file"), b"inside");
    assert!(
        std::fs::symlink_metadata(dest.join("planted_dir"))
            .unwrap()
            .is_dir()
    );
    // Links are created (their text is not a write) but nothing went through them.
    let evil = std::fs::symlink_metadata(dest.join("evil")).unwrap();
    assert!(evil.file_type().is_symlink());
    assert!(
        std::fs::symlink_metadata(dest.join("evil2"))
            .unwrap()
            .is_dir()
    );
    assert_eq!(
        std::fs::read_link(dest.join("up")).unwrap(),
        Path::new("../../outside/up_target")
    );
    // A "fixed" absolute target is rewritten into the destination.
    let canon = std::fs::canonicalize(&dest).unwrap();
    let fixed = std::fs::read_link(dest.join("fixed_abs")).unwrap();
    assert!(fixed.starts_with(&canon), "{}", fixed.display());
    assert!(!dest.join("rdir").exists() || !dest.join("rdir/pwned_rdir").exists());
    // Every problem name was reported.
    let w = stats.warnings.join("\n");
    assert!(w.contains("\".\" or \"..\""), "{w}");
    assert!(w.contains("duplicate file \"/evil\""), "{w}");
    assert!(w.contains("invalid name"), "{w}");
    // Nothing but the expected entries at the top of dest.
    for e in std::fs::read_dir(&dest).unwrap() {
        let n = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!n.contains('/') && n != ".." && n != ".", "{n}");
    }
}

#[test]
fn hostile_extract_stays_inside() {
    let Sandbox {
        tmp,
        outside,
        dest,
        wim,
    } = sandbox("x");
    let sandbox = tmp.path();
    let ix = wim_format::ImageIndex::new(1).unwrap();
    for (paths, preserve) in [
        (vec!["/*".to_string()], false),
        (vec!["/evil*".to_string(), "/planted*".into()], true),
        (vec!["/".to_string()], false),
    ] {
        let opts = ExtractOptions {
            preserve_dir_structure: preserve,
            ..Default::default()
        };
        extract_paths(&wim, ix, &paths, &dest, &opts, &|_| {}).unwrap();
        assert_untouched(sandbox, &outside, "x");
    }
    // `..` as a path pattern finds nothing (flagged names are invisible).
    let e = extract_paths(
        &wim,
        ix,
        &["/../outside".to_string()],
        &dest,
        &ExtractOptions::default(),
        &|_| {},
    );
    assert!(e.is_err());
    assert_untouched(sandbox, &outside, "x");
}
