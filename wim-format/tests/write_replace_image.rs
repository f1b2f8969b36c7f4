//! `WimWriter::replace_image` (in-place update) and `append_to`.

use wim_format::metadata::model::{ImageTree, Inode};
use wim_format::write::writer::image_element;
use wim_format::{ImageIndex, Sha1Digest, Wim, WimWriter};

#[test]
fn replace_image_keeps_place_element_and_boot_and_fixes_refs() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("r.wim");
    let mut w = WimWriter::builder().boot_index(2).create(&p).unwrap();
    let mut t1 = ImageTree::new();
    let mut t2 = ImageTree::new();
    let hs = w.add_blob(b"shared").unwrap();
    let ho = w.add_blob(b"old only").unwrap();
    let r1 = t1.root();
    t1.add(r1, "s", Inode::file(Some(hs))).unwrap();
    let r2 = t2.root();
    t2.add(r2, "s", Inode::file(Some(hs))).unwrap();
    t2.add(r2, "o", Inode::file(Some(ho))).unwrap();
    w.add_image(&t1, image_element(Some("one"), None)).unwrap();
    let mut el = image_element(Some("two"), None);
    el.set_child_text("CUSTOM", "kept");
    w.add_image(&t2, el).unwrap();
    w.finish().unwrap();

    let old = Wim::open(&p).unwrap();
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&p)
        .unwrap();
    let mut w = WimWriter::builder().append_to(&old, f).unwrap();
    let two = ImageIndex::new(2).unwrap();
    let mut t = t2.clone();
    let o = t.lookup("/o").unwrap();
    t.remove(o).unwrap();
    let hn = w.add_blob(b"new data").unwrap();
    let root = t.root();
    t.add(root, "n", Inode::file(Some(hn))).unwrap();
    // A blob the writer does not have is refused.
    let mut bad = t.clone();
    bad.add(root, "x", Inode::file(Some(Sha1Digest::of(b"absent"))))
        .unwrap();
    assert!(w.replace_image(two, &bad, &t2.blob_references()).is_err());
    assert!(
        w.replace_image(ImageIndex::new(3).unwrap(), &t, &[])
            .is_err()
    );
    w.replace_image(two, &t, &t2.blob_references()).unwrap();
    drop(old);
    w.finish().unwrap();

    let wim = Wim::open(&p).unwrap();
    assert_eq!(wim.image_count(), 2);
    assert_eq!(wim.header().boot_index, 2);
    assert!(wim.entry(&Sha1Digest::of(b"old only")).is_err());
    assert_eq!(wim.entry(&Sha1Digest::of(b"shared")).unwrap().ref_count, 2);
    assert_eq!(
        wim.entry(&Sha1Digest::of(b"new data")).unwrap().ref_count,
        1
    );
    let xml = wim_format::xml::WimInfo::parse(&wim.xml_bytes().unwrap(), wim.limits()).unwrap();
    let e = xml.image(two).unwrap().element().clone();
    assert_eq!(e.text_at("NAME").as_deref(), Some("two"));
    assert_eq!(e.text_at("CUSTOM").as_deref(), Some("kept"));
    assert_eq!(e.text_at("FILECOUNT").as_deref(), Some("2"));
    assert_eq!(e.text_at("TOTALBYTES").as_deref(), Some("14"));
    let bytes = wim.metadata_bytes(two).unwrap();
    let meta = wim_format::metadata::ImageMetadata::parse(&bytes, wim.limits()).unwrap();
    let back = ImageTree::from_metadata(&meta).unwrap();
    assert!(back.lookup("/n").is_some() && back.lookup("/o").is_none());
    wim.verify_blobs(&|_| {}).unwrap().into_result().unwrap();
}
