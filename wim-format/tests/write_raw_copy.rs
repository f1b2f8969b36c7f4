//! `WimWriter::copy_blob_raw` of uncompressed resources: kept as they are when the
//! source WIM has the writer's codec and chunk size (its writer found them not to
//! shrink), recompressed otherwise; wimlib-imagex verifies the result.

use std::io::Cursor;
use std::process::Command;
use wim_format::blob_table::BlobLocation;
use wim_format::header::Compression;
use wim_format::metadata::ImageMetadata;
use wim_format::metadata::model::ImageTree;
use wim_format::write::writer::image_element;
use wim_format::{ImageIndex, Sha1Digest, Wim, WimWriter};
use wim_testdata::builder::{
    HDR_FLAG_COMPRESSION, HDR_FLAG_XPRESS, Image, Node, ResourceLayout, WimBuilder,
};

/// Compressible text.
fn text(n: usize) -> Vec<u8> {
    (0..n)
        .map(|i| b"the quick brown fox jumps over the lazy dog\n"[i % 44])
        .collect()
}

/// An XPRESS WIM (chunk size 32 KiB) whose file resources are all uncompressed.
fn source() -> (Vec<u8>, Vec<Vec<u8>>) {
    let files = vec![text(100_000), text(5000), b"x".to_vec()];
    let img = Image::new(
        "img",
        vec![
            Node::file("a.txt", files[0].clone()),
            Node::file("b.txt", files[1].clone()),
            Node::file("c", files[2].clone()),
        ],
    );
    let mut bytes = WimBuilder::new()
        .image(img)
        .resource_layout(ResourceLayout::Uncompressed)
        .build()
        .bytes;
    // Header flags (0x10) and chunk size (0x14): an XPRESS WIM with 32 KiB chunks.
    let flags = u32::from_le_bytes(bytes[0x10..0x14].try_into().unwrap())
        | HDR_FLAG_COMPRESSION
        | HDR_FLAG_XPRESS;
    bytes[0x10..0x14].copy_from_slice(&flags.to_le_bytes());
    bytes[0x14..0x18].copy_from_slice(&32768u32.to_le_bytes());
    (bytes, files)
}

fn reshdr(wim: &Wim, h: &Sha1Digest) -> wim_format::resource::ResourceHeader {
    match &wim.entry(h).unwrap().location {
        BlobLocation::Resource { reshdr, .. } => *reshdr,
        other => panic!("{other:?}"),
    }
}

#[test]
fn uncompressed_resources_stay_raw_only_under_the_same_codec() {
    let (bytes, files) = source();
    let src = Wim::from_read_at(bytes).unwrap();
    assert_eq!(src.header().compression, Compression::Xpress);
    let meta = ImageMetadata::parse(
        &src.metadata_bytes(ImageIndex::new(1).unwrap()).unwrap(),
        src.limits(),
    )
    .unwrap();
    let tree = ImageTree::from_metadata(&meta).unwrap();
    let big = Sha1Digest::of(&files[0]);
    assert!(!reshdr(&src, &big).is_compressed());
    for (c, cs, kept) in [
        (Compression::Xpress, 32768, true),
        (Compression::Xpress, 65536, false),
        (Compression::Lzx, 32768, false),
    ] {
        let mut w = WimWriter::builder()
            .compression(c)
            .chunk_size(cs)
            .build(Cursor::new(Vec::new()))
            .unwrap();
        for (h, _) in tree.blob_references() {
            w.copy_blob_raw(&src, &h).unwrap();
        }
        w.add_image(&tree, image_element(Some("img"), None))
            .unwrap();
        let (_, out) = w.finish_into_inner().unwrap();
        let out = out.into_inner();
        let wim = Wim::from_read_at(out.clone()).unwrap();
        let r = reshdr(&wim, &big);
        assert_eq!(!r.is_compressed(), kept, "{c:?} {cs}: {r:?}");
        if kept {
            assert_eq!(r.size_in_wim, files[0].len() as u64);
        } else {
            assert!(r.size_in_wim < files[0].len() as u64 / 4, "{r:?}");
        }
        for f in &files {
            assert_eq!(&wim.read_blob(&Sha1Digest::of(f)).unwrap(), f);
        }
        if Command::new("wimlib-imagex")
            .arg("--version")
            .output()
            .is_ok()
        {
            let d = tempfile::tempdir().unwrap();
            let p = d.path().join("out.wim");
            std::fs::write(&p, &out).unwrap();
            let o = Command::new("wimlib-imagex")
                .arg("verify")
                .arg(&p)
                .output()
                .unwrap();
            assert!(o.status.success(), "{c:?} {cs}: {o:?}");
        } else {
            println!("SKIP: wimlib-imagex not installed, verify not run");
        }
    }
}
