//! `WimWriter::remove_image` (in-place `--soft` delete) and `set_boot_index`.

use wim_format::metadata::model::{ImageTree, Inode};
use wim_format::write::writer::image_element;
use wim_format::{ImageIndex, Sha1Digest, Wim, WimWriter};

fn tree_with(w: &mut WimWriter<std::fs::File>, files: &[(&str, &[u8])]) -> ImageTree {
    let mut t = ImageTree::new();
    let root = t.root();
    for (name, data) in files {
        let h = w.add_blob(data).unwrap();
        t.add(root, name, Inode::file(Some(h))).unwrap();
    }
    t
}

#[test]
fn remove_image_renumbers_drops_refs_and_moves_boot() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("r.wim");
    let mut w = WimWriter::builder().boot_index(3).create(&p).unwrap();
    let t1 = tree_with(&mut w, &[("a", b"shared data"), ("b", b"only in one")]);
    let t2 = tree_with(&mut w, &[("a", b"shared data")]);
    let t3 = tree_with(&mut w, &[("c", b"only in three")]);
    w.add_image(&t1, image_element(Some("one"), None)).unwrap();
    w.add_image(&t2, image_element(Some("two"), None)).unwrap();
    w.add_image(&t3, image_element(Some("three"), None))
        .unwrap();
    w.finish().unwrap();

    let mut w = WimWriter::builder().append(&p).unwrap();
    assert_eq!(w.boot_index(), 3);
    let one = ImageIndex::new(1).unwrap();
    w.remove_image(one, &t1.blob_references()).unwrap();
    assert_eq!(w.boot_index(), 2);
    assert!(w.remove_image(ImageIndex::new(3).unwrap(), &[]).is_err());
    w.finish().unwrap();

    let wim = Wim::open(&p).unwrap();
    assert_eq!(wim.image_count(), 2);
    assert_eq!(wim.header().boot_index, 2);
    assert!(wim.entry(&Sha1Digest::of(b"only in one")).is_err());
    let shared = wim.entry(&Sha1Digest::of(b"shared data")).unwrap();
    assert_eq!(shared.ref_count, 1);
    let xml = wim_format::xml::WimInfo::parse(&wim.xml_bytes().unwrap(), wim.limits()).unwrap();
    let names: Vec<(u32, String)> = xml
        .images()
        .map(|i| (i.index(), i.name().unwrap_or_default()))
        .collect();
    assert_eq!(names, [(1, "two".to_string()), (2, "three".to_string())]);
    wim.verify_blobs(&|_| {}).unwrap().into_result().unwrap();

    // Removing the boot image clears the boot index; set_boot_index overrides.
    let mut w = WimWriter::builder().append(&p).unwrap();
    w.remove_image(ImageIndex::new(2).unwrap(), &t3.blob_references())
        .unwrap();
    assert_eq!(w.boot_index(), 0);
    w.set_boot_index(1);
    w.finish().unwrap();
    let wim = Wim::open(&p).unwrap();
    assert_eq!((wim.image_count(), wim.header().boot_index), (1, 1));
}
