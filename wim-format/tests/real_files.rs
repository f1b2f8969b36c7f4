//! Integration tests over the real third-party WIMs in `../shared/testdata/real`.

use std::path::PathBuf;
use wim_format::wim::{IntegrityStatus, OpenOptions};
use wim_format::{Error, FormatErrorKind, ImageIndex, Wim};

fn real_dir() -> Option<PathBuf> {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/testdata/real");
    if d.is_dir() {
        Some(d)
    } else {
        println!("SKIP: {} is absent", d.display());
        None
    }
}

fn all_files(d: &std::path::Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("wim" | "swm")))
        .collect();
    v.sort();
    v
}

fn is_uncompressed(w: &Wim) -> bool {
    w.header().compression == wim_format::header::Compression::None
}

#[test]
fn every_good_file_opens_and_parses() {
    let Some(d) = real_dir() else { return };
    let mut n = 0;
    for p in all_files(&d) {
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if name.contains("__BAD") {
            continue;
        }
        let w = Wim::open(&p).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(w.image_count(), 1, "{name}");
        assert!(!w.blob_table().is_empty(), "{name}");
        let xml = w.xml_bytes().unwrap();
        assert_eq!(&xml[..2], &[0xFF, 0xFE], "{name}: XML BOM");
        if w.header().part_number == 1 {
            assert_eq!(w.blob_table().image_count(), 1, "{name}");
        }
        n += 1;
    }
    assert!(n >= 40, "only {n} files");
}

#[test]
fn uncompressed_files_verify_every_blob() {
    let Some(d) = real_dir() else { return };
    let mut checked = 0;
    for p in all_files(&d) {
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if name.contains("__BAD") {
            continue;
        }
        let w = Wim::open(&p).unwrap();
        if !is_uncompressed(&w) {
            continue;
        }
        let report = w.verify_blobs(&|_| {}).unwrap();
        assert!(report.failures.is_empty(), "{name}: {:?}", report.failures);
        assert_eq!(report.blobs as usize, w.blob_table().len());
        // Serial paths agree.
        for e in w.blob_table().entries() {
            let data = w.read_blob(&e.hash).unwrap();
            assert_eq!(data.len() as u64, e.size);
            let mut r = w.open_blob(&e.hash).unwrap();
            let mut v = Vec::new();
            std::io::Read::read_to_end(&mut r, &mut v).unwrap();
            assert_eq!(v, data, "{name}");
        }
        let meta = w.metadata_bytes(ImageIndex::new(1).unwrap()).unwrap();
        assert!(meta.len() >= 8);
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} uncompressed files");
}

fn kind_of(e: &Error) -> Option<FormatErrorKind> {
    e.format_kind()
}

#[test]
fn hash_mismatch_files() {
    let Some(d) = real_dir() else { return };
    for name in [
        "wimlib-tests_corrupted_file_1__BAD.wim",
        "7zip_bit7z_ko_test__BAD.wim",
    ] {
        let w = Wim::open(d.join(name)).unwrap();
        let report = w.verify_blobs(&|_| {}).unwrap();
        assert_eq!(report.failures.len(), 1, "{name}");
        let f = &report.failures[0];
        assert_eq!(
            kind_of(&f.error),
            Some(FormatErrorKind::HashMismatch),
            "{name}: {}",
            f.error
        );
        // The streaming reader reports it at EOF too.
        let mut r = w.open_blob(&f.hash).unwrap();
        let err = std::io::copy(&mut r, &mut std::io::sink()).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
        let inner = err.into_inner().unwrap().downcast::<Error>().unwrap();
        assert_eq!(kind_of(&inner), Some(FormatErrorKind::HashMismatch));
        let e = w.read_blob(&f.hash).unwrap_err();
        assert_eq!(kind_of(&e), Some(FormatErrorKind::HashMismatch));
    }
}

#[test]
fn magic_only_fails_cleanly() {
    let Some(d) = real_dir() else { return };
    let e = Wim::open(d.join("stub_fileformat_magic-only__BAD.wim")).unwrap_err();
    assert_eq!(kind_of(&e), Some(FormatErrorKind::Truncated), "{e}");
    assert!(e.to_string().contains("8 bytes"), "{e}");
}

#[test]
fn integrity_tables() {
    let Some(d) = real_dir() else { return };
    let ok = OpenOptions::new()
        .verify_integrity(true)
        .open(d.join("wimlib_mwl_integrity_ok.wim"))
        .unwrap();
    assert_eq!(ok.check_integrity().unwrap(), IntegrityStatus::Ok);
    let e = OpenOptions::new()
        .verify_integrity(true)
        .open(d.join("wimlib_mwl_integrity__BAD.wim"))
        .unwrap_err();
    assert_eq!(kind_of(&e), Some(FormatErrorKind::BadIntegrityTable), "{e}");
    match &e {
        Error::Format(f) => assert_eq!(f.offset(), Some(208), "{e}"),
        _ => unreachable!(),
    }
    // Without the check it opens.
    let w = Wim::open(d.join("wimlib_mwl_integrity__BAD.wim")).unwrap();
    assert!(w.check_integrity().is_err());
    let plain = Wim::open(d.join("wimlib_mwl_lzx.wim")).unwrap();
    assert_eq!(plain.check_integrity().unwrap(), IntegrityStatus::Absent);
}

#[test]
fn split_pair_as_a_set() {
    let Some(d) = real_dir() else { return };
    let p1 = d.join("wimlib_mwl_split.swm");
    let p2 = d.join("wimlib_mwl_split2.swm");
    let alone1 = Wim::open(&p1).unwrap();
    let alone2 = Wim::open(&p2).unwrap();
    assert_eq!(alone1.header().total_parts, 2);
    assert_eq!(alone2.header().part_number, 2);
    assert_eq!(alone1.header().guid, alone2.header().guid);
    assert_eq!(alone2.blob_table().image_count(), 0);
    // The set: both orders, and the opened file repeated by a glob.
    for (main, refs) in [(&p1, vec![&p2]), (&p2, vec![&p1]), (&p1, vec![&p1, &p2])] {
        let w = OpenOptions::new()
            .references(refs.iter().map(|p| p.to_path_buf()))
            .open(main)
            .unwrap();
        assert_eq!(
            w.blob_table().len(),
            alone1.blob_table().len() + alone2.blob_table().len()
        );
        assert_eq!(w.blob_table().image_count(), 1);
        assert!(
            w.blob_table()
                .metadata(ImageIndex::new(1).unwrap())
                .is_some()
        );
        for e in alone2.blob_table().entries() {
            let got = w.blob_table().get(&e.hash).unwrap();
            assert_eq!(got.size, e.size);
        }
    }
    // Part 2 alone does not have the metadata.
    let e = alone2
        .metadata_bytes(ImageIndex::new(1).unwrap())
        .unwrap_err();
    assert_eq!(kind_of(&e), Some(FormatErrorKind::MissingBlob));
}

#[test]
fn split_part_with_foreign_guid_is_a_reference_and_incomplete_sets_fail() {
    let Some(d) = real_dir() else { return };
    // A split part together with an unrelated WIM: the WIM is a reference, the set is
    // incomplete only if another member was given.
    let w = OpenOptions::new()
        .reference(d.join("wimlib_mwl_lzx.wim"))
        .open(d.join("wimlib_mwl_split.swm"))
        .unwrap();
    assert_eq!(w.parts().len(), 2);
    // Build a fake part 2 of a 3-part set with the same GUID.
    let mut bytes = std::fs::read(d.join("wimlib_mwl_split2.swm")).unwrap();
    bytes[0x2A] = 3;
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("p2of3.swm");
    std::fs::write(&fake, &bytes).unwrap();
    let e = OpenOptions::new()
        .reference(&fake)
        .open(d.join("wimlib_mwl_split.swm"))
        .unwrap_err();
    assert_eq!(kind_of(&e), Some(FormatErrorKind::SplitMismatch), "{e}");
}

#[test]
fn compressed_files_parse_structurally() {
    let Some(d) = real_dir() else { return };
    for p in all_files(&d) {
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if name.contains("__BAD") {
            continue;
        }
        let w = Wim::open(&p).unwrap();
        if is_uncompressed(&w) {
            continue;
        }
        for e in w.blob_table().entries() {
            // Chunk layouts of every resource must be readable and consistent.
            if let wim_format::blob_table::BlobLocation::Resource { source, reshdr } = &e.location {
                let part = &w.parts()[*source];
                let l = wim_format::resource::ChunkLayout::read(
                    &*part.source,
                    reshdr,
                    &part.header,
                    w.limits(),
                )
                .unwrap_or_else(|err| panic!("{name}: {err}"));
                assert_eq!(l.uncompressed_size, e.size);
                let mut total = 0;
                for i in 0..l.num_chunks() {
                    let (_, clen) = l.chunk_file_range(i).unwrap();
                    assert!(clen > 0 && clen <= l.chunk_usize(i) as u64, "{name}");
                    total += l.chunk_usize(i) as u64;
                }
                assert_eq!(total, e.size);
            }
        }
    }
}
