//! Fixpoint over the real fixtures: read each good WIM, rebuild every image through the
//! owned model, write a new WIM, and check that wimlib-imagex verifies it and applies it
//! to the same trees as the original. Also: append keeps old images; split parts verify.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use wim_format::header::Compression;
use wim_format::metadata::model::{ImageTree, Inode};
use wim_format::metadata::{FileTime, ImageMetadata};
use wim_format::write::split::split_wim;
use wim_format::write::writer::image_element;
use wim_format::{ImageIndex, Sha1Digest, Wim, WimWriter};

fn real_dir() -> Option<PathBuf> {
    let m = Path::new(env!("CARGO_MANIFEST_DIR"));
    // The workspace sits next to `shared/` (or one level deeper in a worktree).
    let found = [
        m.join("../../shared/testdata/real"),
        m.join("../../../shared/testdata/real"),
    ]
    .into_iter()
    .find(|d| d.is_dir());
    if found.is_none() {
        eprintln!("SKIP: ../shared/testdata/real is absent");
    }
    found
}

fn have_wimlib() -> bool {
    let ok = Command::new("wimlib-imagex").arg("--help").output().is_ok();
    if !ok {
        eprintln!("SKIP: wimlib-imagex is not installed; its checks are skipped");
    }
    ok
}

fn run(cmd: &mut Command) -> (bool, String) {
    let o = cmd.output().expect("spawn");
    (
        o.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

/// Relative path → file contents hash, symlink target, or "dir".
fn snapshot(root: &Path) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            let ft = std::fs::symlink_metadata(&p).unwrap().file_type();
            let v = if ft.is_symlink() {
                // Absolute targets fixed up by wimlib (RP_FIX) point into the apply
                // directory: compare them relative to it.
                let t = std::fs::read_link(&p).unwrap().display().to_string();
                let r = root.display().to_string();
                format!("link:{}", t.strip_prefix(&r).unwrap_or(&t))
            } else if ft.is_dir() {
                stack.push(p.clone());
                "dir".to_string()
            } else {
                Sha1Digest::of(&std::fs::read(&p).unwrap()).to_hex()
            };
            m.insert(rel, v);
        }
    }
    m
}

fn apply(wim: &Path, image: u32, dest: &Path) -> Result<BTreeMap<String, String>, String> {
    let (ok, out) = run(Command::new("wimlib-imagex")
        .arg("apply")
        .arg(wim)
        .arg(image.to_string())
        .arg(dest));
    if ok { Ok(snapshot(dest)) } else { Err(out) }
}

/// Rewrites `src` into a new WIM with the same codec (and chunk size) through the model.
fn rewrite(src: &Wim, out: &Path) -> wim_format::Result<()> {
    let h = src.header();
    let mut b = WimWriter::builder()
        .compression(h.compression)
        .guid([3; 16])
        .timestamp(FileTime(133_000_000_000_000_000))
        .threads(2)
        .header_flags(h.flags & wim_format::header::HeaderFlags::RP_FIX);
    if h.compression != Compression::None {
        b = b.chunk_size(h.chunk_size);
    }
    let mut w = b.create(out)?;
    let info = wim_format::xml::WimInfo::parse(&src.xml_bytes()?, src.limits())?;
    for i in 1..=src.image_count() {
        let idx = ImageIndex::new(i).unwrap();
        let meta = ImageMetadata::parse(&src.metadata_bytes(idx)?, src.limits())?;
        let tree = ImageTree::from_metadata(&meta)?;
        for (h, _) in tree.blob_references() {
            w.copy_blob_raw(src, &h)?;
        }
        let elem = info
            .image(idx)
            .map(|x| x.element().clone())
            .unwrap_or_else(|| image_element(None, None));
        w.add_image(&tree, elem)?;
    }
    w.finish()?;
    Ok(())
}

#[test]
fn fixpoint_over_real_fixtures() {
    let Some(dir) = real_dir() else { return };
    let wimlib = have_wimlib();
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy().into_owned();
            n.ends_with(".wim") && !n.contains("__BAD")
        })
        .collect();
    names.sort();
    let mut rewritten = 0;
    for p in &names {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let src = match Wim::open(p) {
            Ok(w) => w,
            Err(e) => {
                eprintln!("SKIP: {name}: our reader refuses it: {e}");
                continue;
            }
        };
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out.wim");
        if let Err(e) = rewrite(&src, &out) {
            eprintln!("SKIP: {name}: cannot be rewritten (source problem): {e}");
            continue;
        }
        rewritten += 1;
        // Our reader: same metadata after a second rewrite (fixpoint).
        let ours = Wim::open(&out).unwrap();
        ours.verify_blobs(&|_| {}).unwrap().into_result().unwrap();
        let out2 = tmp.path().join("out2.wim");
        rewrite(&ours, &out2).unwrap();
        let ours2 = Wim::open(&out2).unwrap();
        for i in 1..=ours.image_count() {
            let idx = ImageIndex::new(i).unwrap();
            assert_eq!(
                ours.metadata_bytes(idx).unwrap(),
                ours2.metadata_bytes(idx).unwrap(),
                "{name}: metadata is not a fixpoint"
            );
        }
        if !wimlib {
            continue;
        }
        let (ok, msg) = run(Command::new("wimlib-imagex").arg("verify").arg(&out));
        assert!(
            ok,
            "{name}: wimlib-imagex verify failed on our rewrite:\n{msg}"
        );
        for i in 1..=src.image_count() {
            let a = apply(p, i, &tmp.path().join(format!("a{i}")));
            let b = apply(&out, i, &tmp.path().join(format!("b{i}")));
            match (a, b) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{name} image {i}: trees differ"),
                (Err(e), _) => {
                    eprintln!("SKIP: {name} image {i}: wimlib cannot apply the source: {e}")
                }
                (Ok(_), Err(e)) => panic!("{name} image {i}: wimlib cannot apply our rewrite: {e}"),
            }
        }
    }
    assert!(rewritten >= 10, "only {rewritten} fixtures rewritten");
}

fn small_wim(path: &Path, integrity: bool) -> (ImageTree, Vec<u8>) {
    let mut w = WimWriter::builder()
        .compression(Compression::Xpress)
        .integrity(integrity)
        .integrity_chunk_size(4096)
        .guid([4; 16])
        .create(path)
        .unwrap();
    let data: Vec<u8> = (0..50_000u32)
        .flat_map(|i| (i % 251).to_le_bytes())
        .collect();
    let h = w.add_blob(&data).unwrap();
    let mut t = ImageTree::new();
    let r = t.root();
    t.add(r, "old.bin", Inode::file(Some(h))).unwrap();
    w.add_image(&t, image_element(Some("Old"), None)).unwrap();
    w.finish().unwrap();
    (t, data)
}

#[test]
fn append_keeps_old_images() {
    for integrity in [false, true] {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("a.wim");
        let (t1, old_data) = small_wim(&p, integrity);
        let before = Wim::open(&p).unwrap();
        let old_meta = before.metadata_bytes(ImageIndex::new(1).unwrap()).unwrap();
        let old_len = std::fs::metadata(&p).unwrap().len();
        let old_prefix = std::fs::read(&p).unwrap();
        drop(before);

        let mut w = WimWriter::builder().append(&p).unwrap();
        // The on-disk header now says a write is in progress.
        let mid = std::fs::read(&p).unwrap();
        assert_ne!(mid[0x10] & 0x40, 0);
        let new_data = vec![0xABu8; 70_000];
        let h_new = w.add_blob(&new_data).unwrap();
        let h_old = w.add_blob(&old_data).unwrap(); // already present: reused
        let mut t2 = ImageTree::new();
        let r = t2.root();
        t2.add(r, "new.bin", Inode::file(Some(h_new))).unwrap();
        t2.add(r, "old-again.bin", Inode::file(Some(h_old)))
            .unwrap();
        assert_eq!(
            w.add_image(&t2, image_element(Some("New"), None))
                .unwrap()
                .get(),
            2
        );
        w.finish().unwrap();

        let after = std::fs::read(&p).unwrap();
        assert!(after.len() as u64 > old_len);
        // Nothing of the old file but the header was rewritten.
        assert_eq!(&after[208..old_len as usize], &old_prefix[208..]);
        let wim = Wim::options().verify_integrity(integrity).open(&p).unwrap();
        assert_eq!(wim.image_count(), 2);
        assert_eq!(
            wim.metadata_bytes(ImageIndex::new(1).unwrap()).unwrap(),
            old_meta
        );
        assert_eq!(
            wim.metadata_bytes(ImageIndex::new(2).unwrap()).unwrap(),
            t2.to_metadata_bytes().unwrap()
        );
        assert_eq!(t1.walk().len(), 2);
        assert_eq!(wim.entry(&h_old).unwrap().ref_count, 2);
        assert_eq!(wim.read_blob(&h_new).unwrap(), new_data);
        assert_eq!(wim.header().guid.0, [4; 16]);
        assert_eq!(wim.header().integrity.is_zero(), !integrity);
        let info =
            wim_format::xml::WimInfo::parse(&wim.xml_bytes().unwrap(), wim.limits()).unwrap();
        let names: Vec<_> = info.images().map(|i| i.name()).collect();
        assert_eq!(names, [Some("Old".into()), Some("New".into())]);
        if have_wimlib() {
            let mut c = Command::new("wimlib-imagex");
            c.arg("verify").arg(&p);
            let (ok, msg) = run(&mut c);
            assert!(ok, "{msg}");
            let (ok, msg) = run(Command::new("wimlib-imagex")
                .arg("info")
                .arg(&p)
                .arg("--check"));
            assert!(ok, "{msg}");
            assert!(msg.contains("Image Count:    2"), "{msg}");
        }
    }
}

#[test]
fn split_parts_verify_with_ref() {
    let tmp = tempfile::tempdir().unwrap();
    let src_path = tmp.path().join("src.wim");
    let mut w = WimWriter::builder()
        .compression(Compression::Lzx)
        .create(&src_path)
        .unwrap();
    let mut t = ImageTree::new();
    let r = t.root();
    let mut blobs = Vec::new();
    for i in 0..8u32 {
        let d = wim_testdata::prng::XorShift64::new(u64::from(i) + 1).bytes(60_000);
        let h = w.add_blob(&d).unwrap();
        t.add(r, &format!("f{i}"), Inode::file(Some(h))).unwrap();
        blobs.push(d);
    }
    w.add_image(&t, image_element(Some("Split me"), None))
        .unwrap();
    w.finish().unwrap();
    let src = Wim::open(&src_path).unwrap();
    let first = tmp.path().join("part.swm");
    let parts = split_wim(&src, &first, 150_000).unwrap();
    assert!(parts.len() >= 3, "{parts:?}");
    for p in &parts {
        assert!(std::fs::metadata(p).unwrap().len() <= 150_000 + 70_000);
    }
    let wim = Wim::options()
        .references(parts.iter().skip(1))
        .open(&parts[0])
        .unwrap();
    assert_eq!(wim.header().total_parts as usize, parts.len());
    for b in &blobs {
        assert_eq!(&wim.read_blob(&Sha1Digest::of(b)).unwrap(), b);
    }
    assert_eq!(
        wim.metadata_bytes(ImageIndex::new(1).unwrap()).unwrap(),
        t.to_metadata_bytes().unwrap()
    );
    if have_wimlib() {
        let glob = tmp.path().join("part*.swm");
        let (ok, msg) = run(Command::new("wimlib-imagex")
            .arg("verify")
            .arg(&parts[0])
            .arg(format!("--ref={}", glob.display())));
        assert!(ok, "{msg}");
        let joined = tmp.path().join("joined.wim");
        let mut c = Command::new("wimlib-imagex");
        c.arg("join").arg(&joined);
        for p in &parts {
            c.arg(p);
        }
        let (ok, msg) = run(&mut c);
        assert!(ok, "{msg}");
    }
}
