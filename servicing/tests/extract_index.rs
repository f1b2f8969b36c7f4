//! `service extract-index`: single-image output in place, verified, with backups; ESD
//! inputs and media folders.

use servicing::capture::scan::ScanOptions;
use servicing::capture::{CaptureRequest, ImageSpec, WriteMode, capture_to_file};
use servicing::export::{ExportOptions, WriteOptions, export_images, load_tree};
use servicing::extract_index::{ExtractIndexOptions, extract_index};
use servicing::progress::Event;
use std::path::Path;
use wim_format::header::Compression;
use wim_format::{ImageIndex, Wim, WimWriterBuilder};

fn no_events(_: &Event) {}

fn tree(dir: &Path, n: u32) {
    std::fs::create_dir_all(dir.join("d")).unwrap();
    for i in 0..10u32 {
        let body: Vec<u8> = (0..3000 + i * 50)
            .map(|k| (k * (i + n + 1)) as u8)
            .collect();
        std::fs::write(dir.join(format!("d/f{i}")), body).unwrap();
    }
    std::fs::write(dir.join(format!("only{n}")), format!("image {n}")).unwrap();
}

/// A 3-image XPRESS WIM.
fn three(t: &Path) -> std::path::PathBuf {
    let wim = t.join("three.wim");
    for n in 1..=3 {
        let src = t.join(format!("src{n}"));
        tree(&src, n);
        let req = CaptureRequest {
            source: src,
            wim: wim.clone(),
            mode: if n == 1 {
                WriteMode::Create
            } else {
                WriteMode::Append
            },
            builder: WimWriterBuilder::new().compression(Compression::Xpress),
            scan: ScanOptions::default(),
            image: ImageSpec::default(),
            solid_sort: false,
        };
        capture_to_file(&req, &no_events).unwrap();
    }
    wim
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn wim_in_place_with_backups() {
    let t = tempfile::tempdir().unwrap();
    let wim = three(t.path());
    let orig = std::fs::read(&wim).unwrap();
    let src = Wim::open(&wim).unwrap();
    let want = load_tree(&src, ImageIndex::new(2).unwrap()).unwrap();
    drop(src);
    let r = extract_index(&wim, 2, &ExtractIndexOptions::default()).unwrap();
    assert_eq!(r.output, wim);
    assert_eq!(r.source_images, 3);
    assert_eq!(
        r.backup.as_deref(),
        Some(t.path().join("three.wim.bak").as_path())
    );
    assert_eq!(std::fs::read(t.path().join("three.wim.bak")).unwrap(), orig);
    let w = Wim::open(&wim).unwrap();
    assert_eq!(w.image_count(), 1);
    assert_eq!(w.header().compression, Compression::Xpress);
    assert_eq!(load_tree(&w, ImageIndex::new(1).unwrap()).unwrap(), want);
    w.verify_blobs(&|_| {}).unwrap().into_result().unwrap();
    assert!(r.new_size < r.old_size);
    drop(w);
    // Again: the next backup name; then --no-backup adds none.
    extract_index(&wim, 1, &ExtractIndexOptions::default()).unwrap();
    assert!(t.path().join("three.wim.bak.1").exists());
    let r = extract_index(
        &wim,
        1,
        &ExtractIndexOptions {
            backup: false,
            ..ExtractIndexOptions::default()
        },
    )
    .unwrap();
    assert_eq!(r.backup, None);
    let n = names(t.path());
    assert_eq!(
        n.iter().filter(|x| x.starts_with("three.wim")).count(),
        3,
        "{n:?}"
    );
    assert!(!n.iter().any(|x| x.contains("tmp")), "{n:?}");
    // A bad index fails before anything changes.
    let before = std::fs::read(&wim).unwrap();
    let e = extract_index(&wim, 5, &ExtractIndexOptions::default()).unwrap_err();
    assert!(e.to_string().contains("image 5"), "{e}");
    assert_eq!(std::fs::read(&wim).unwrap(), before);
}

#[test]
fn media_folder_with_esd_becomes_install_wim() {
    let t = tempfile::tempdir().unwrap();
    let wim = three(t.path());
    let src = Wim::open(&wim).unwrap();
    let want = load_tree(&src, ImageIndex::new(3).unwrap()).unwrap();
    for (tag, backup) in [("keep", true), ("drop", false)] {
        let media = t.path().join(format!("media-{tag}"));
        std::fs::create_dir_all(media.join("sources")).unwrap();
        let esd = media.join("sources/install.esd");
        let all: Vec<ImageIndex> = (1..=3).filter_map(ImageIndex::new).collect();
        export_images(
            &src,
            &all,
            &esd,
            &ExportOptions {
                write: WriteOptions {
                    solid: true,
                    compression: Some(Compression::Lzms),
                    recompress: true,
                    ..WriteOptions::default()
                },
                ..ExportOptions::default()
            },
        )
        .unwrap();
        assert!(Wim::open(&esd).unwrap().header().version.is_solid());
        let r = extract_index(
            &media,
            3,
            &ExtractIndexOptions {
                backup,
                ..ExtractIndexOptions::default()
            },
        )
        .unwrap();
        let out = media.join("sources/install.wim");
        assert_eq!(r.output, out);
        let w = Wim::open(&out).unwrap();
        assert_eq!(w.image_count(), 1);
        assert_eq!(w.header().compression, Compression::Lzx);
        assert!(!w.header().version.is_solid());
        assert_eq!(load_tree(&w, ImageIndex::new(1).unwrap()).unwrap(), want);
        w.verify_blobs(&|_| {}).unwrap().into_result().unwrap();
        let n = names(&media.join("sources"));
        if backup {
            assert_eq!(n, ["install.esd", "install.wim"]);
            assert_eq!(r.backup.as_deref(), Some(esd.as_path()));
        } else {
            assert_eq!(n, ["install.wim"]);
            assert_eq!(r.removed.as_deref(), Some(esd.as_path()));
        }
        // Now the folder holds install.wim: a second run works on it in place.
        extract_index(&media, 1, &ExtractIndexOptions::default()).unwrap();
        assert!(media.join("sources/install.wim.bak").exists());
    }
    let e = extract_index(t.path(), 1, &ExtractIndexOptions::default()).unwrap_err();
    assert!(e.to_string().contains("sources/install.wim"), "{e}");
}
