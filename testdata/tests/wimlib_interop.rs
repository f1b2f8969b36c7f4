//! The builder's output must pass `wimlib-imagex verify`, and `apply` must reproduce the
//! described tree. Skips loudly when wimlib-imagex is absent.

use std::path::Path;
use wim_testdata::builder::{
    HDR_FLAG_LZX, HDR_FLAG_XPRESS, Image, Node, ResourceLayout, WimBuilder,
};
use wim_testdata::oracle::{self, DiffOptions};
use wim_testdata::prng::XorShift64;

fn tree_image() -> Image {
    let mut rng = XorShift64::new(42);
    let big = rng.bytes(200_000);
    let txt = rng.text(90_000);
    Image::new(
        "interop",
        vec![
            Node::file("big.bin", big.clone()),
            Node::file("copy_of_big.bin", big),
            Node::file("text.txt", txt),
            Node::empty("empty"),
            Node::dir("emptydir", vec![]),
            Node::dir(
                "a",
                vec![
                    Node::dir("b", vec![Node::file("deep.txt", b"deep\n".to_vec())]),
                    Node::hard_link("h2", 5, b"hard linked\n".to_vec()),
                    Node::symlink("up", "../text.txt"),
                ],
            ),
            Node::hard_link("h1", 5, b"hard linked\n".to_vec()),
            Node::hard_link("h3", 5, b"hard linked\n".to_vec()),
            Node::symlink("rel", "a/b/deep.txt"),
            Node::symlink("abs", "/etc/hostname"),
            Node::symlink("dangling", "no/such/file"),
            Node::dir_symlink("dirlink", "a/b"),
            Node::file("Zeta", b"Z".to_vec()),
            Node::file("alpha", b"a".to_vec()),
            Node::file("\u{c9}t\u{e9} \u{1F600}", b"unicode".to_vec()),
            Node::file(&"n".repeat(255), b"long".to_vec()),
        ],
    )
}

fn check_roundtrip(name: &str, b: &WimBuilder, opts: &DiffOptions, apply_args: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let wim = tmp.path().join(format!("{name}.wim"));
    std::fs::write(&wim, b.build().bytes).unwrap();
    oracle::verify(&wim, &[]).unwrap_or_else(|e| panic!("{name}: {e}"));
    for (i, img) in b.images.iter().enumerate() {
        let expected = tmp.path().join(format!("expected{i}"));
        img.write_to_dir(&expected).unwrap();
        let got = tmp.path().join(format!("applied{i}"));
        oracle::apply(&wim, &(i + 1).to_string(), &got, apply_args)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        oracle::diff_trees_with(&expected, &got, opts)
            .unwrap_or_else(|e| panic!("{name} image {}: {e}", i + 1));
    }
}

#[test]
fn uncompressed_verify_and_apply() {
    if !oracle::require_wimlib("uncompressed_verify_and_apply") {
        return;
    }
    let b = WimBuilder::new().image(tree_image());
    check_roundtrip("plain", &b, &DiffOptions::default(), &[]);
}

#[test]
fn every_layout_verifies_and_applies() {
    if !oracle::require_wimlib("every_layout_verifies_and_applies") {
        return;
    }
    let layouts = [
        (
            "xpress32k",
            ResourceLayout::RawChunks {
                chunk_size: 32768,
                compression: HDR_FLAG_XPRESS,
            },
        ),
        (
            "xpress4k",
            ResourceLayout::RawChunks {
                chunk_size: 4096,
                compression: HDR_FLAG_XPRESS,
            },
        ),
        (
            "lzx32k",
            ResourceLayout::RawChunks {
                chunk_size: 32768,
                compression: HDR_FLAG_LZX,
            },
        ),
        (
            "solid_xpress",
            ResourceLayout::Solid {
                chunk_size: 65536,
                format: 1,
            },
        ),
        (
            "solid_lzms",
            ResourceLayout::Solid {
                chunk_size: 32768,
                format: 3,
            },
        ),
    ];
    for (name, l) in layouts {
        let b = WimBuilder::new().image(tree_image()).resource_layout(l);
        let info = oracle::info(&write_tmp(&b).1, &[]).unwrap();
        if let ResourceLayout::Solid { .. } = l {
            assert!(info.contains("Version:        3584"), "{name}: {info}");
        }
        check_roundtrip(name, &b, &DiffOptions::default(), &[]);
    }
}

fn write_tmp(b: &WimBuilder) -> (tempfile::TempDir, std::path::PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("x.wim");
    std::fs::write(&p, b.build().bytes).unwrap();
    (t, p)
}

#[test]
fn unix_data_modes_are_applied() {
    if !oracle::require_wimlib("unix_data_modes_are_applied") {
        return;
    }
    let img = Image::new(
        "modes",
        vec![
            Node::file("private", b"secret".to_vec()).with_unix(0, 0, 0o100600, 0),
            Node::file("exec", b"#!/bin/sh\n".to_vec()).with_unix(0, 0, 0o100755, 0),
            Node::dir(
                "d",
                vec![Node::file("f", b"x".to_vec()).with_unix(0, 0, 0o100640, 0)],
            )
            .with_unix(0, 0, 0o040700, 0),
        ],
    );
    let b = WimBuilder::new().image(img);
    let opts = DiffOptions {
        modes: true,
        ..Default::default()
    };
    check_roundtrip("unix", &b, &opts, &["--unix-data"]);
    // Without the tagged items the modes differ: the check above is not vacuous.
    let tmp = tempfile::tempdir().unwrap();
    let wim = tmp.path().join("u.wim");
    std::fs::write(&wim, b.build().bytes).unwrap();
    oracle::apply(&wim, "1", &tmp.path().join("plain"), &[]).unwrap();
    b.images[0].write_to_dir(&tmp.path().join("exp")).unwrap();
    assert!(
        oracle::diff_trees_with(&tmp.path().join("exp"), &tmp.path().join("plain"), &opts).is_err()
    );
}

#[test]
fn multi_image_boot_index_integrity() {
    if !oracle::require_wimlib("multi_image_boot_index_integrity") {
        return;
    }
    let second = Image::new(
        "second",
        vec![
            Node::file("text.txt", XorShift64::new(42).text(0)),
            Node::file("new", b"n".to_vec()),
        ],
    )
    .with_description("the second one");
    let b = WimBuilder::new()
        .image(tree_image())
        .image(second)
        .boot_index(2)
        .integrity(65536);
    let (_t, wim) = write_tmp(&b);
    let out = oracle::verify(&wim, &[]).unwrap();
    assert!(
        !out.stderr.contains("does not contain integrity"),
        "{}",
        out.stderr
    );
    let info = oracle::info(&wim, &[]).unwrap();
    assert!(info.contains("Boot Index:     2"), "{info}");
    assert!(info.contains("Image Count:    2"), "{info}");
    assert!(
        info.contains("Description:            the second one"),
        "{info}"
    );
    check_roundtrip("multi", &b, &DiffOptions::default(), &[]);
}

#[test]
fn xml_statistics_match_wimlib_capture() {
    if !oracle::require_wimlib("xml_statistics_match_wimlib_capture") {
        return;
    }
    // wimlib recomputes the statistics when it captures the applied tree; ours must agree.
    let b = WimBuilder::new().image(tree_image());
    let (t, wim) = write_tmp(&b);
    let ours = oracle::xml(&wim).unwrap();
    let dir = t.path().join("applied");
    oracle::apply(&wim, "1", &dir, &[]).unwrap();
    let recaptured = t.path().join("re.wim");
    oracle::capture(&dir, &recaptured, &["--compress=none"]).unwrap();
    let theirs = oracle::xml(&recaptured).unwrap();
    for tag in ["DIRCOUNT", "FILECOUNT", "TOTALBYTES", "HARDLINKBYTES"] {
        let get = |x: &str| {
            let open = format!("<{tag}>");
            let s = x.find(&open).unwrap() + open.len();
            let e = s + x[s..].find('<').unwrap();
            x[s..e].to_string()
        };
        assert_eq!(
            get(&ours),
            get(&theirs),
            "{tag}: ours {ours}\ntheirs {theirs}"
        );
    }
    assert!(ours.contains("<HARDLINKBYTES>24</HARDLINKBYTES>"), "{ours}");
}

#[test]
fn listing_is_in_collation_order() {
    if !oracle::require_wimlib("listing_is_in_collation_order") {
        return;
    }
    let b = WimBuilder::new().image(tree_image());
    let (_t, wim) = write_tmp(&b);
    let list = oracle::dir_listing(&wim, "1").unwrap();
    let top: Vec<&str> = list
        .iter()
        .filter(|l| l.matches('/').count() == 1 && l.len() > 1)
        .map(|l| &l[1..])
        .collect();
    let pos = |n: &str| {
        top.iter()
            .position(|x| *x == n)
            .unwrap_or_else(|| panic!("{n} missing from {top:?}"))
    };
    assert!(pos("alpha") < pos("big.bin"));
    assert!(
        pos("text.txt") < pos("Zeta"),
        "case-insensitive order: {top:?}"
    );
}

#[test]
fn split_set_verifies_with_ref() {
    if !oracle::require_wimlib("split_set_verifies_with_ref") {
        return;
    }
    let b = WimBuilder::new().image(tree_image());
    let parts = b.build_split(2);
    let t = tempfile::tempdir().unwrap();
    let p1 = t.path().join("s.swm");
    let p2 = t.path().join("s2.swm");
    std::fs::write(&p1, &parts[0].bytes).unwrap();
    std::fs::write(&p2, &parts[1].bytes).unwrap();
    let r = format!("--ref={}", p2.display());
    oracle::verify(&p1, &[&r]).unwrap();
    assert!(
        oracle::verify(&p1, &[]).is_err(),
        "part 1 alone must miss blobs"
    );
    let info = oracle::info(&p1, &[]).unwrap();
    assert!(info.contains("Part Number:    1/2"), "{info}");
    let dir = t.path().join("out");
    oracle::apply(&p1, "1", &dir, &[&r]).unwrap();
    let exp = t.path().join("exp");
    b.images[0].write_to_dir(&exp).unwrap();
    oracle::diff_trees(&exp, &dir).unwrap();
}

#[test]
fn junction_applies_as_symlink() {
    if !oracle::require_wimlib("junction_applies_as_symlink") {
        return;
    }
    let img = Image::new(
        "j",
        vec![Node::dir("target", vec![]), Node::junction("j", "/target")],
    );
    let b = WimBuilder::new().image(img);
    let (t, wim) = write_tmp(&b);
    oracle::verify(&wim, &[]).unwrap();
    let dir = t.path().join("out");
    oracle::apply(&wim, "1", &dir, &[]).unwrap();
    let link = std::fs::read_link(dir.join("j")).unwrap();
    assert_eq!(link, Path::new("/target"));
}

#[test]
fn windows_only_metadata_is_seen_by_wimlib() {
    if !oracle::require_wimlib("windows_only_metadata_is_seen_by_wimlib") {
        return;
    }
    // Short names, security descriptors, named streams, attributes, times and link groups
    // cannot be checked through a Linux apply: read them back with `dir --detailed`.
    let sd = wim_testdata::sample::sample_security_descriptor();
    let t = 132_000_000_000_000_000u64;
    let img = Image::new(
        "w",
        vec![
            Node::file("file.txt", b"x".to_vec())
                .with_short_name("FILE~1.TXT")
                .with_security_id(0)
                .with_attributes(0x21)
                .with_times(t, t + 10_000_000, t + 20_000_000)
                .with_stream("alt", b"alternate".to_vec()),
            Node::hard_link("h1", 0x1234, b"hl".to_vec()),
            Node::hard_link("h2", 0x1234, b"hl".to_vec()),
        ],
    )
    .with_security_descriptor(sd.clone());
    let b = WimBuilder::new().image(img);
    let (_t, wim) = write_tmp(&b);
    oracle::verify(&wim, &[]).unwrap();
    let d = oracle::dir_detailed(&wim, "1", "/file.txt").unwrap();
    let sd_hex: String = sd.iter().map(|b| format!("{b:02x}")).collect();
    for want in [
        "Short Name          = \"FILE~1.TXT\"".to_string(),
        "Attributes          = 0x00000021".to_string(),
        format!("Security Descriptor = {sd_hex}"),
        "Named data stream \"alt\"".to_string(),
        "Uncompressed size = 9 bytes".to_string(),
    ] {
        assert!(d.contains(&want), "missing {want:?} in:\n{d}");
    }
    // FILETIME 132000000000000000 = 2019-04-17 18:40:00 UTC (unix 1555526400); access +1 s, write +2 s.
    assert!(
        d.contains("Creation Time       = Wed Apr 17 18:40:00 2019 UTC"),
        "{d}"
    );
    assert!(
        d.contains("Last Write Time     = Wed Apr 17 18:40:02 2019 UTC"),
        "{d}"
    );
    assert!(
        d.contains("Last Access Time    = Wed Apr 17 18:40:01 2019 UTC"),
        "{d}"
    );
    let h = oracle::dir_detailed(&wim, "1", "/h2").unwrap();
    assert!(h.contains("Link Count          = 2"), "{h}");
}
