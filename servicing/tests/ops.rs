//! Export, delete, optimize, split, join and info edits, checked against the oracles:
//! every WIM written passes `wimlib-imagex verify` and `7zz t`, and wimlib-imagex sees
//! the same images (names, file and directory counts); applied trees match the source.

use servicing::apply::{ApplyOptions, apply_image};
use servicing::delete::{DeleteOptions, delete_images};
use servicing::export::{ExportOptions, WriteOptions, export_images};
use servicing::info_edit::{InfoChange, edit_info};
use std::path::{Path, PathBuf};
use std::process::Command;
use wim_format::header::Compression;
use wim_format::{ImageIndex, Wim};
use wim_testdata::oracle;
use wim_testdata::tree::{SizeClass, make_fixture_tree};

fn ix(i: u32) -> ImageIndex {
    ImageIndex::new(i).unwrap()
}

struct Fixture {
    _d: tempfile::TempDir,
    dir: PathBuf,
    tree1: PathBuf,
    tree2: PathBuf,
    multi: PathBuf,
}

/// A two-image LZX WIM made by wimlib: "one" = fixture tree, "two" = fixture + a file.
fn fixture() -> Option<Fixture> {
    if !oracle::require_wimlib("servicing ops tests") {
        return None;
    }
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().to_path_buf();
    let tree1 = dir.join("t1");
    let tree2 = dir.join("t2");
    make_fixture_tree(&tree1, SizeClass::Small).unwrap();
    make_fixture_tree(&tree2, SizeClass::Small).unwrap();
    std::fs::write(tree2.join("only_in_two.txt"), b"second image only").unwrap();
    let multi = dir.join("multi.wim");
    oracle::capture(&tree1, &multi, &["one", "--compress=lzx", "--norpfix"]).unwrap();
    oracle::run(&[
        "append".as_ref(),
        tree2.as_os_str(),
        multi.as_os_str(),
        "two".as_ref(),
        "--norpfix".as_ref(),
    ])
    .unwrap();
    Some(Fixture {
        _d: d,
        dir,
        tree1,
        tree2,
        multi,
    })
}

fn sevenzip_test(p: &Path) {
    match Command::new("7zz").arg("t").arg(p).output() {
        Err(_) => eprintln!("SKIP: 7zz not installed; `7zz t {}` not run", p.display()),
        Ok(o) => assert!(
            o.status.success(),
            "7zz t {}: {}{}",
            p.display(),
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    }
}

/// wimlib-imagex verify + 7zz t.
fn check(p: &Path) {
    oracle::verify(p, &[]).unwrap_or_else(|e| panic!("{e}"));
    sevenzip_test(p);
}

/// (name, dir count, file count) per image as wimlib-imagex info prints them.
fn wimlib_images(p: &Path) -> Vec<(String, String, String)> {
    let text = oracle::info(p, &[]).unwrap();
    let mut v = Vec::new();
    let mut cur: Option<(String, String, String)> = None;
    for l in text.lines() {
        let val = |l: &str| l.split_once(':').map(|x| x.1.trim().to_string()).unwrap();
        if l.starts_with("Index:") {
            if let Some(c) = cur.take() {
                v.push(c);
            }
            cur = Some(Default::default());
        } else if let Some(c) = cur.as_mut() {
            if l.starts_with("Name:") {
                c.0 = val(l);
            } else if l.starts_with("Directory Count:") {
                c.1 = val(l);
            } else if l.starts_with("File Count:") {
                c.2 = val(l);
            }
        }
    }
    v.extend(cur);
    v
}

fn apply_and_diff(wim: &Path, refs: &[PathBuf], image: u32, expected: &Path, work: &Path) {
    let w = Wim::options()
        .references(refs.iter().cloned())
        .open(wim)
        .unwrap();
    let out = work.join(format!("applied-{}", rand_suffix()));
    apply_image(&w, ix(image), &out, &ApplyOptions::default(), &|_| {}).unwrap();
    oracle::diff_trees(expected, &out).unwrap_or_else(|e| panic!("{}: {e}", wim.display()));
    std::fs::remove_dir_all(&out).unwrap();
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

fn export(src: &Path, images: &[u32], dest: &Path, opts: &ExportOptions) {
    let w = Wim::open(src).unwrap();
    let imgs: Vec<ImageIndex> = images.iter().map(|&i| ix(i)).collect();
    export_images(&w, &imgs, dest, opts).unwrap();
}

#[test]
fn round_trip_export_split_join_optimize_apply() {
    let Some(f) = fixture() else { return };
    let one = f.dir.join("one.wim");
    export(&f.multi, &[2], &one, &ExportOptions::default());
    check(&one);
    // XML reduced to the exported image, INDEX=1.
    let xml = oracle::xml(&one).unwrap();
    assert_eq!(xml.matches("<IMAGE").count(), 1, "{xml}");
    assert!(xml.contains("<IMAGE INDEX=\"1\"><NAME>two</NAME>"), "{xml}");
    assert_eq!(wimlib_images(&one), wimlib_images(&f.multi)[1..].to_vec());
    let first = f.dir.join("part.swm");
    let parts = servicing::split::split(&one, &first, 100 * 1024).unwrap();
    assert!(parts.len() >= 2, "{parts:?}");
    assert_eq!(parts[1], f.dir.join("part2.swm"));
    let joined = f.dir.join("joined.wim");
    let mut rev = parts.clone();
    rev.reverse();
    servicing::join::join(&joined, &rev, false).unwrap();
    check(&joined);
    servicing::optimize::optimize(
        &joined,
        &WriteOptions {
            recompress: true,
            ..Default::default()
        },
    )
    .unwrap();
    check(&joined);
    assert_eq!(wimlib_images(&joined), wimlib_images(&one));
    apply_and_diff(&joined, &[], 1, &f.tree2, &f.dir);
    apply_and_diff(&first, &parts[1..], 1, &f.tree2, &f.dir);
}

#[test]
fn every_codec_and_solid_passes_the_oracles() {
    let Some(f) = fixture() else { return };
    let want = wimlib_images(&f.multi);
    let cases: &[(&str, Option<Compression>, Option<u32>, bool)] = &[
        ("none", Some(Compression::None), None, false),
        ("xpress", Some(Compression::Xpress), None, false),
        ("xpress4k", Some(Compression::Xpress), Some(4096), false),
        ("lzx", Some(Compression::Lzx), None, false),
        ("lzx-raw", None, None, false),
        ("lzms", Some(Compression::Lzms), None, false),
        ("solid", None, None, true),
    ];
    for (name, c, cs, solid) in cases {
        let out = f.dir.join(format!("{name}.wim"));
        let opts = ExportOptions {
            write: WriteOptions {
                compression: *c,
                chunk_size: *cs,
                solid: *solid,
                threads: 2,
                ..Default::default()
            },
            ..Default::default()
        };
        export(&f.multi, &[1, 2], &out, &opts);
        check(&out);
        assert_eq!(wimlib_images(&out), want, "{name}");
        let h = Wim::open(&out).unwrap().header().clone();
        // LZMS WIMs carry version 0xE00 even when not solid (as wimlib writes them).
        if *solid || *c == Some(Compression::Lzms) {
            assert!(h.version.is_solid(), "{name}");
        } else {
            assert!(!h.version.is_solid(), "{name}");
        }
        if let Some(c) = c {
            assert_eq!(h.compression, *c, "{name}");
        }
        apply_and_diff(&out, &[], 1, &f.tree1, &f.dir);
    }
}

#[test]
fn esd_to_wim_and_wim_to_esd() {
    let Some(f) = fixture() else { return };
    let esd = f.dir.join("x.esd");
    export(
        &f.multi,
        &[1, 2],
        &esd,
        &ExportOptions {
            write: WriteOptions {
                solid: true,
                ..Default::default()
            },
            ..Default::default()
        },
    );
    check(&esd);
    let h = Wim::open(&esd).unwrap().header().clone();
    assert!(h.version.is_solid());
    assert_eq!(h.compression, Compression::Lzms);
    let wim = f.dir.join("back.wim");
    export(
        &esd,
        &[2],
        &wim,
        &ExportOptions {
            write: WriteOptions {
                compression: Some(Compression::Lzx),
                ..Default::default()
            },
            ..Default::default()
        },
    );
    check(&wim);
    let h = Wim::open(&wim).unwrap().header().clone();
    assert!(!h.version.is_solid());
    assert_eq!(h.compression, Compression::Lzx);
    apply_and_diff(&wim, &[], 1, &f.tree2, &f.dir);
    // optimize --solid turns a WIM into an ESD in place.
    servicing::optimize::optimize(
        &wim,
        &WriteOptions {
            solid: true,
            ..Default::default()
        },
    )
    .unwrap();
    check(&wim);
    assert!(Wim::open(&wim).unwrap().header().version.is_solid());
    apply_and_diff(&wim, &[], 1, &f.tree2, &f.dir);
}

#[test]
fn export_appends_keeps_unknown_xml_and_refuses_duplicates() {
    let Some(f) = fixture() else { return };
    oracle::run(&[
        "info".as_ref(),
        f.multi.as_os_str(),
        "2".as_ref(),
        "--image-property".as_ref(),
        "MYVENDOR/SETTING=kept".as_ref(),
    ])
    .unwrap();
    let dest = f.dir.join("dest.wim");
    export(&f.multi, &[1], &dest, &ExportOptions::default());
    let before = std::fs::read(&dest).unwrap();
    export(
        &f.multi,
        &[2],
        &dest,
        &ExportOptions {
            boot: true,
            ..Default::default()
        },
    );
    check(&dest);
    assert!(std::fs::read(&dest).unwrap().len() > before.len());
    let xml = oracle::xml(&dest).unwrap();
    assert!(
        xml.contains("<MYVENDOR><SETTING>kept</SETTING></MYVENDOR>"),
        "{xml}"
    );
    assert_eq!(wimlib_images(&dest), wimlib_images(&f.multi));
    assert!(
        oracle::info(&dest, &[])
            .unwrap()
            .contains("Boot Index:     2")
    );
    // Same name again: refused, file untouched.
    let size = std::fs::metadata(&dest).unwrap().len();
    let w = Wim::open(&f.multi).unwrap();
    let e = export_images(&w, &[ix(1)], &dest, &ExportOptions::default()).unwrap_err();
    assert!(e.to_string().contains("already an image named"), "{e}");
    assert_eq!(std::fs::metadata(&dest).unwrap().len(), size);
    // A renamed copy is fine.
    export_images(
        &w,
        &[ix(1)],
        &dest,
        &ExportOptions {
            name: Some("third".into()),
            description: Some("copy".into()),
            ..Default::default()
        },
    )
    .unwrap();
    check(&dest);
    let names: Vec<String> = wimlib_images(&dest).into_iter().map(|x| x.0).collect();
    assert_eq!(names, ["one", "two", "third"]);
}

#[test]
fn delete_rebuild_and_soft_keep_the_others() {
    let Some(f) = fixture() else { return };
    let only_two = wim_format::Sha1Digest::of(b"second image only");
    for soft in [false, true] {
        let p = f.dir.join(format!("del-{soft}.wim"));
        std::fs::copy(&f.multi, &p).unwrap();
        assert!(Wim::open(&p).unwrap().entry(&only_two).is_ok());
        let size = std::fs::metadata(&p).unwrap().len();
        delete_images(
            &p,
            &[ix(2)],
            &DeleteOptions {
                soft,
                ..Default::default()
            },
        )
        .unwrap();
        check(&p);
        assert_eq!(wimlib_images(&p), wimlib_images(&f.multi)[..1].to_vec());
        // The blob only image 2 used is gone from the table either way.
        assert!(Wim::open(&p).unwrap().entry(&only_two).is_err());
        if soft {
            // In place: the old bytes stay, new tables go after them.
            assert!(std::fs::metadata(&p).unwrap().len() > size);
        }
        apply_and_diff(&p, &[], 1, &f.tree1, &f.dir);
        delete_images(
            &p,
            &[ix(1)],
            &DeleteOptions {
                soft,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(Wim::open(&p).unwrap().image_count(), 0);
        oracle::verify(&p, &[]).unwrap();
    }
    // Deleting the first image renumbers the second.
    let p = f.dir.join("del-first.wim");
    std::fs::copy(&f.multi, &p).unwrap();
    delete_images(&p, &[ix(1)], &DeleteOptions::default()).unwrap();
    check(&p);
    assert_eq!(wimlib_images(&p), wimlib_images(&f.multi)[1..].to_vec());
    apply_and_diff(&p, &[], 1, &f.tree2, &f.dir);
}

#[test]
fn info_edits_are_visible_to_wimlib() {
    let Some(f) = fixture() else { return };
    let p = f.dir.join("edit.wim");
    std::fs::copy(&f.multi, &p).unwrap();
    edit_info(
        &p,
        Some(ix(2)),
        &[
            InfoChange::Name("renamed".into()),
            InfoChange::Description("described".into()),
            InfoChange::Property {
                path: "WINDOWS/VERSION/BUILD".into(),
                value: "19041".into(),
            },
            InfoChange::Boot(2),
        ],
        true,
    )
    .unwrap();
    check(&p);
    let text = oracle::info(&p, &[]).unwrap();
    for want in [
        "Name:                   renamed",
        "Description:            described",
        "Build:                  19041",
        "Boot Index:     2",
        "Integrity info",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    // Name collision refused.
    assert!(
        edit_info(
            &p,
            Some(ix(1)),
            &[InfoChange::Name("renamed".into())],
            false
        )
        .is_err()
    );
    // Property deletion and boot clear.
    edit_info(
        &p,
        Some(ix(2)),
        &[
            InfoChange::Property {
                path: "WINDOWS".into(),
                value: String::new(),
            },
            InfoChange::Boot(0),
        ],
        false,
    )
    .unwrap();
    check(&p);
    let text = oracle::info(&p, &[]).unwrap();
    assert!(!text.contains("Build:"), "{text}");
    assert!(text.contains("Boot Index:     0"), "{text}");
    // The XML is UTF-16LE with a BOM and its top-level TOTALBYTES is the XML offset.
    let w = Wim::open(&p).unwrap();
    let raw = w.xml_bytes().unwrap();
    assert_eq!(&raw[..2], &[0xFF, 0xFE]);
    let xml = servicing::export::src_xml(&w).unwrap();
    assert_eq!(xml.total_bytes(), Some(w.header().xml.offset));
}
