//! Two images with byte-identical metadata (same SHA-1): each keeps its own metadata row,
//! our reader assigns them to images in table order, and wimlib agrees.
use wim_format::metadata::model::{ImageTree, Inode};
use wim_format::write::writer::image_element;
use wim_format::{ImageIndex, Wim, WimWriter};

#[test]
fn identical_metadata_in_two_images() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("twins.wim");
    let mut w = WimWriter::builder()
        .compression(wim_format::header::Compression::None)
        .create(&path)
        .unwrap();
    let h = w.add_blob(b"same content in both images").unwrap();
    let mut t = ImageTree::new();
    let r = t.root();
    t.add(r, "a.txt", Inode::file(Some(h))).unwrap();
    w.add_image(&t, image_element(Some("one"), None)).unwrap();
    w.add_image(&t, image_element(Some("two"), None)).unwrap();
    w.finish().unwrap();

    let wim = Wim::open(&path).unwrap();
    assert_eq!(wim.image_count(), 2);
    let m1 = wim.metadata_bytes(ImageIndex::new(1).unwrap()).unwrap();
    let m2 = wim.metadata_bytes(ImageIndex::new(2).unwrap()).unwrap();
    assert_eq!(
        m1, m2,
        "the two images' metadata should be identical for this test"
    );
    wim.verify_blobs(&|_| {}).unwrap().into_result().unwrap();
    if wim_testdata::oracle::wimlib_available() {
        wim_testdata::oracle::verify(&path, &[]).unwrap();
        let info = wim_testdata::oracle::info(&path, &[]).unwrap();
        assert!(info.contains("Image Count:    2"), "{info}");
    } else {
        eprintln!("SKIP: wimlib-imagex not installed; wimlib check skipped");
    }
}
