//! Formatter tests against text captured from wimlib-imagex 1.13.5.
//!
//! The expected files in `tests/golden/` are produced by `tests/golden/regen.sh`
//! (verbatim wimlib-imagex output over the real fixtures). Here the model structs are
//! filled by hand with the values those fixtures hold (read off `info --header`,
//! `info --xml` and a dump of the blob table), so the formatters are checked without a
//! WIM reader. The live, reader-backed comparison is `tests/compat.rs`.

use wimkit::format;
use wimkit::model::*;

fn golden(name: &str) -> String {
    let p = format!("{}/tests/golden/{name}", env!("CARGO_MANIFEST_DIR"));
    match std::fs::read_to_string(&p) {
        Ok(s) => s,
        Err(e) => panic!("missing golden file {p}: {e} (run tests/golden/regen.sh)"),
    }
}

fn guid(hex: &str) -> [u8; 16] {
    let mut g = [0u8; 16];
    for (i, b) in g.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
    }
    g
}

fn digest(hex: &str) -> Digest {
    let mut g = [0u8; 20];
    for (i, b) in g.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
    }
    Digest(g)
}

fn archive1_summary() -> (WimSummary, ImageSummary) {
    let ft = (0x01CD_EBD7u64 << 32) | 0xFC90_9BCA;
    (
        WimSummary {
            path: "ms-imagex_7zjb_archive1_lzx.wim".into(),
            guid: guid("654d15cfe54e8d42b0fe0f00963222ef"),
            version: 0x10d00,
            image_count: 1,
            compression: Compression::Lzx,
            chunk_size: 32768,
            part_number: 1,
            total_parts: 1,
            boot_index: 0,
            total_bytes: 6254,
            header_flags: 0x40082,
            has_integrity: false,
            pipable: false,
        },
        ImageSummary {
            index: 1,
            name: "Multiple_files_test__archive1.zip".into(),
            dir_count: 31,
            file_count: 252,
            total_bytes: 23646,
            creation_time: ft,
            last_modification_time: ft,
            ..Default::default()
        },
    )
}

#[test]
fn info_all_archive1() {
    let (s, i) = archive1_summary();
    assert_eq!(
        format::info::info_all(&s, &[i]),
        golden("ms-imagex_7zjb_archive1_lzx.wim.info")
    );
}

#[test]
fn info_one_archive1() {
    let (_, i) = archive1_summary();
    assert_eq!(
        format::info::info_one(&i),
        golden("ms-imagex_7zjb_archive1_lzx.wim.info1")
    );
}

#[test]
fn info_windows_fields() {
    let ft = (0x01CD_EBD7u64 << 32) | 0xFC90_9BCA;
    let img = ImageSummary {
        index: 3,
        name: "Third".into(),
        description: String::new(),
        display_name: Some("Disp".into()),
        display_description: Some("DD".into()),
        dir_count: 3,
        file_count: 3,
        total_bytes: 10,
        hard_link_bytes: 2,
        creation_time: ft,
        last_modification_time: ft,
        windows: Some(WindowsInfo {
            arch: 9,
            product_name: Some("PN".into()),
            edition_id: Some("Ed".into()),
            installation_type: Some("Client".into()),
            hal: Some("acpi".into()),
            product_type: Some("WinNT".into()),
            product_suite: Some("Term".into()),
            languages: Some(vec!["en-US".into(), "de-DE".into()]),
            default_language: Some("en-US".into()),
            system_root: Some("WINDOWS".into()),
            version: Some(WindowsVersion {
                major: 10,
                minor: 0,
                build: 19041,
                sp_build: 1,
                sp_level: 0,
            }),
        }),
        flags: Some("Pro".into()),
        wimboot: true,
    };
    assert_eq!(format::info::info_one(&img), golden("windows_fields.info3"));
}

fn dissect_rows() -> Vec<BlobView> {
    // (flags, stored size, offset, size, hash) in on-disk table order.
    let rows = [
        (
            0x6u8,
            678u64,
            498u64,
            1344u64,
            "daf685217bee0ab74a27f20d2a68cde503352c70",
        ),
        (0, 30, 208, 30, "8e2dbd4ff0c5e125b445ded476f5bb9637e115a6"),
        (0, 38, 238, 38, "0fb3109183dc351670bec54bebe6406ad016315e"),
        (0, 60, 276, 60, "1fc83a896287fe48f6d42d8d04f88f6dc90c0c45"),
        (0, 70, 336, 70, "0aaa8266648364d68b67be77c53f708a77fda84c"),
        (0, 92, 406, 92, "20a2094fa6be563831589738644c4acceb13c3a9"),
    ];
    rows.iter()
        .map(|&(flags, csize, offset, size, h)| BlobView {
            hash: digest(h),
            size,
            location: BlobLocation::Plain {
                compressed_size: csize,
                offset,
            },
            part_number: 1,
            refcount: 1,
            flags,
        })
        .collect()
}

#[test]
fn blobs_dissect_in_wimlib_order() {
    let rows = format::blobs::wimlib_order(&dissect_rows());
    assert_eq!(
        format::blobs::blobs(&rows),
        golden("ms-wimgapi_dissect_basic_xpress32k.wim.blobs")
    );
}

#[test]
fn header_dissect() {
    let h = HeaderView {
        magic: *b"MSWIM\0\0\0",
        header_size: 208,
        version: 0x10d00,
        flags: 0x20082,
        chunk_size: 32768,
        guid: guid("bf17a221aac449468556a6b1b32f98dc"),
        part_number: 1,
        total_parts: 1,
        image_count: 1,
        blob_table: ReshdrView {
            size: 300,
            flags: 2,
            offset: 1176,
            original_size: 300,
        },
        xml: ReshdrView {
            size: 812,
            flags: 2,
            offset: 1476,
            original_size: 812,
        },
        boot_metadata: ReshdrView::default(),
        boot_index: 0,
        integrity: ReshdrView::default(),
    };
    assert_eq!(
        format::header::header(&h),
        golden("ms-wimgapi_dissect_basic_xpress32k.wim.header")
    );
}

#[test]
fn detailed_entry_with_named_stream() {
    let sd = "010004a0140000002400000000000000400000000102000000000005200000002002000001050000000000051500000026e99ba761151af4bba43ce201020000020058000300000000101400ff011f0001010000000000051200000000101800ff011f000102000000000005200000002002000000102400ff011f0001050000000000051500000026e99ba761151af4bba43ce2e8030000";
    let sd: Vec<u8> = (0..sd.len() / 2)
        .map(|i| u8::from_str_radix(&sd[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    let rows = dissect_rows();
    let e = DirEntryView {
        path: "/ads.txt".into(),
        short_name: String::new(),
        attributes: 0x20,
        security_descriptor: Some(sd),
        creation_time: 133_421_322_490_000_000,
        last_write_time: 133_421_322_850_000_000,
        last_access_time: 133_421_322_850_000_000,
        reparse_tag: None,
        link_group_id: 0,
        link_count: 1,
        unix_data: None,
        object_id: None,
        streams: vec![
            StreamView {
                kind: StreamKind::Unnamed,
                blob: rows[1],
            },
            StreamView {
                kind: StreamKind::Named("spookystream".into()),
                blob: rows[2],
            },
        ],
    };
    let text = format::dir::detailed(&e);
    let g = golden("ms-wimgapi_dissect_basic_xpress32k.wim.dird1");
    assert!(g.contains(&text), "block not found in golden:\n{text}");
    // The block is followed by the next separator (or ends the file).
    let at = g.find(&text).unwrap() + text.len();
    assert!(g[at..].starts_with(format::dir::SEPARATOR));
}

#[test]
fn detailed_directory_has_empty_unnamed_stream() {
    let e = DirEntryView {
        path: "/".into(),
        short_name: String::new(),
        attributes: 0x10,
        security_descriptor: None,
        creation_time: 0,
        last_write_time: 0,
        last_access_time: 0,
        reparse_tag: None,
        link_group_id: 0,
        link_count: 1,
        unix_data: Some(UnixData {
            uid: 1000,
            gid: 1000,
            mode: 0o40700,
            rdev: 0,
        }),
        object_id: None,
        streams: vec![StreamView {
            kind: StreamKind::Unnamed,
            blob: BlobView::empty(),
        }],
    };
    let text = format::dir::detailed(&e);
    let g = golden("wimlib-tests_linux_xattrs_old.wim.dird1");
    // Same block apart from the three time lines.
    let strip = |s: &str| {
        s.lines()
            .filter(|l| !l.contains(" Time "))
            .take(13)
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip(&text), strip(&g));
}

#[test]
fn solid_blob_block() {
    let b = BlobView {
        hash: digest("c032adc1ff629c9b66f22749ad667e6beadf144b"),
        size: 1,
        location: BlobLocation::Solid {
            resource_uncompressed_size: 9,
            resource_compressed_size: 29,
            resource_offset: 208,
            offset_in_resource: 8,
        },
        part_number: 1,
        refcount: 2,
        flags: 0x10,
    };
    assert!(golden("wimlib_mwl_lzms.wim.blobs").contains(&format::blobs::blob(&b)));
}

#[test]
fn verify_success_tail() {
    let g = golden("ms-imagex_7zjb_archive1_lzx.wim.verify");
    assert!(g.starts_with(&format::verify::metadata_line(1, 1)));
    assert!(g.ends_with(&format::verify::success("ms-imagex_7zjb_archive1_lzx.wim")));
    assert!(g.contains(&format::verify::data_progress(1666, 3666)));
    let e = golden("ms-imagex_7zjb_archive1_lzx.wim.verify.stderr");
    assert_eq!(
        e,
        format!(
            "\r[WARNING] \"ms-imagex_7zjb_archive1_lzx.wim\" does not contain integrity information.  Skipping integrity check.\n"
        )
    );
}
