//! Writer round trips: model → write → read with our reader → same tree, same blobs, for
//! every codec option; wimlib-imagex (verify/dir/info/apply) and 7zz agree on our output;
//! determinism across thread counts; integrity tables.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::Command;
use wim_format::header::{Compression, HeaderFlags};
use wim_format::metadata::dentry::{IO_REPARSE_TAG_SYMLINK, TAG_WIMLIB_UNIX_DATA, TaggedItem};
use wim_format::metadata::model::{ImageTree, Inode, ReparsePoint};
use wim_format::metadata::{FileTime, NamedStream, WimName};
use wim_format::write::writer::image_element;
use wim_format::{ImageIndex, Sha1Digest, Wim, WimWriter};

fn data(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let words: [&[u8]; 6] = [
        b"alpha ", b"beta ", b"gamma\n", b"delta ", b"wim ", b"chunk ",
    ];
    let mut v = Vec::with_capacity(n);
    while v.len() < n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if x.is_multiple_of(5) {
            v.push((x >> 24) as u8);
        } else {
            v.extend_from_slice(words[(x % 6) as usize]);
        }
    }
    v.truncate(n);
    v
}

/// The files of the sample image: (path, contents).
fn contents() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("small.txt", data(100, 1)),
        ("one.bin", vec![0x5A]),
        ("big.bin", data(200_000, 2)),
        ("chunk.bin", data(32768, 3)),
        ("dup.bin", data(200_000, 2)),
        ("ads", data(5000, 4)),
        (
            "reparse",
            wim_testdata::builder::symlink_reparse_data("small.txt"),
        ),
    ]
}

/// Builds the sample image and adds its blobs to `w`.
fn sample<W: wim_format::write::WimOutput>(w: &mut WimWriter<W>) -> (ImageTree, Vec<Vec<u8>>) {
    let c = contents();
    let mut blobs = Vec::new();
    let mut d = std::collections::HashMap::new();
    for (name, bytes) in &c {
        let h = w.add_blob(bytes).unwrap();
        assert_eq!(h, Sha1Digest::of(bytes));
        d.insert(*name, h);
        blobs.push(bytes.clone());
    }
    let mut t = ImageTree::new();
    let sd = t.add_security_descriptor(&[
        1, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
    let root = t.root();
    let rino = t.entry(root).unwrap().inode;
    t.inode_mut(rino).unwrap().security_id = Some(sd);
    let dir = t.add(root, "Dir", Inode::directory()).unwrap();
    let sub = t.add(dir, "Sub dir é", Inode::directory()).unwrap();
    t.add(dir, "empty dir", Inode::directory()).unwrap();
    let mk = |h: Sha1Digest| {
        let mut i = Inode::file(Some(h));
        i.attributes = wim_format::metadata::FileAttributes::ARCHIVE;
        i.creation_time = FileTime(132_000_000_000_000_000);
        i.last_write_time = FileTime(132_000_000_010_000_000);
        i.last_access_time = FileTime(132_000_000_020_000_000);
        i
    };
    let small = t.add(dir, "small.txt", mk(d["small.txt"])).unwrap();
    t.entry_mut(small).unwrap().short_name = WimName::from_str_lossless("SMALL.TXT");
    t.add(root, "one.bin", mk(d["one.bin"])).unwrap();
    let big = t.add(sub, "big.bin", mk(d["big.bin"])).unwrap();
    let big_ino = t.entry(big).unwrap().inode;
    t.link(root, WimName::from_str_lossless("big-link.bin"), big_ino)
        .unwrap();
    t.add(root, "chunk.bin", mk(d["chunk.bin"])).unwrap();
    t.add(root, "dup.bin", mk(d["dup.bin"])).unwrap();
    t.add(root, "empty.txt", mk(Sha1Digest::EMPTY)).unwrap();
    let mut withads = mk(d["small.txt"]);
    withads.named_streams.push(NamedStream {
        name: WimName::from_str_lossless("stream"),
        hash: Some(d["ads"]),
    });
    withads.tagged_items.push(TaggedItem {
        tag: TAG_WIMLIB_UNIX_DATA,
        data: [1000u32, 1000, 0o100644, 0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect(),
    });
    t.add(root, "Zads.txt", withads).unwrap();
    let mut link = mk(Sha1Digest::EMPTY);
    link.data = None;
    link.reparse = Some(ReparsePoint {
        tag: IO_REPARSE_TAG_SYMLINK,
        data: Some(d["reparse"]),
        ..Default::default()
    });
    t.add(dir, "link", link).unwrap();
    (t, blobs)
}

fn tool(name: &str) -> bool {
    // Spawning is enough to know the tool exists (7zz has no --version).
    let ok = Command::new(name).arg("--help").output().is_ok();
    if !ok {
        eprintln!("SKIP: {name} is not installed; its checks are skipped");
    }
    ok
}

fn run(cmd: &mut Command) -> (bool, String) {
    let o = cmd.output().expect("spawn");
    let s = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    (o.status.success(), s)
}

fn wimlib_verify(path: &Path, refs: Option<&str>) {
    if !tool("wimlib-imagex") {
        return;
    }
    let mut c = Command::new("wimlib-imagex");
    c.arg("verify").arg(path);
    if let Some(r) = refs {
        c.arg(format!("--ref={r}"));
    }
    let (ok, out) = run(&mut c);
    assert!(ok, "wimlib-imagex verify {} failed:\n{out}", path.display());
}

fn sevenz_test(path: &Path) {
    if !tool("7zz") {
        return;
    }
    let (ok, out) = run(Command::new("7zz").arg("t").arg(path));
    assert!(ok, "7zz t {} failed:\n{out}", path.display());
}

fn write_sample(b: wim_format::WimWriterBuilder) -> (Vec<u8>, ImageTree, Vec<Vec<u8>>) {
    let mut w = b
        .guid([7; 16])
        .timestamp(FileTime(133_000_000_000_000_000))
        .build(Cursor::new(Vec::new()))
        .unwrap();
    let (t, blobs) = sample(&mut w);
    w.add_image(&t, image_element(Some("Sample"), Some("desc")))
        .unwrap();
    let (s, out) = w.finish_into_inner().unwrap();
    let bytes = out.into_inner();
    assert_eq!(s.file_size, bytes.len() as u64);
    assert_eq!(s.image_count, 1);
    (bytes, t, blobs)
}

fn check_read_back(bytes: &[u8], t: &ImageTree, blobs: &[Vec<u8>]) -> Wim {
    let wim = Wim::from_read_at(bytes.to_vec()).unwrap();
    assert!(!wim.header().flags.contains(HeaderFlags::WRITE_IN_PROGRESS));
    let one = ImageIndex::new(1).unwrap();
    let meta = wim.metadata_bytes(one).unwrap();
    assert_eq!(meta, t.to_metadata_bytes().unwrap(), "metadata differs");
    for b in blobs {
        assert_eq!(&wim.read_blob(&Sha1Digest::of(b)).unwrap(), b);
    }
    wim.verify_blobs(&|_| {}).unwrap().into_result().unwrap();
    let m = wim_format::metadata::ImageMetadata::parse_strict(&meta, wim.limits()).unwrap();
    let back = ImageTree::from_metadata(&m).unwrap();
    let paths = |t: &ImageTree| t.walk().iter().map(|&e| t.path(e)).collect::<Vec<_>>();
    assert_eq!(paths(&back), paths(t));
    // XML statistics.
    let info = wim_format::xml::WimInfo::parse(&wim.xml_bytes().unwrap(), wim.limits()).unwrap();
    let img = info.image(one).unwrap();
    assert_eq!(img.name().as_deref(), Some("Sample"));
    assert_eq!(img.dir_count(), Some(4));
    assert_eq!(img.file_count(), Some(9));
    let sizes: u64 = [100u64, 1, 200_000 * 2, 32768, 200_000, 100 + 5000]
        .iter()
        .sum::<u64>()
        + blobs[6].len() as u64;
    assert_eq!(img.total_bytes(), Some(sizes));
    assert_eq!(img.hard_link_bytes(), Some(200_000));
    assert_eq!(info.total_bytes(), Some(wim.header().xml.offset));
    assert_eq!(img.creation_time(), Some(FileTime(133_000_000_000_000_000)));
    wim
}

fn tmp(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    (d, p)
}

fn wimlib_dir_matches(path: &Path, t: &ImageTree) {
    if !tool("wimlib-imagex") {
        return;
    }
    let (ok, out) = run(Command::new("wimlib-imagex").arg("dir").arg(path).arg("1"));
    assert!(ok, "{out}");
    let mut got: Vec<String> = out.lines().map(str::to_string).collect();
    let mut want: Vec<String> = t.walk().iter().map(|&e| t.path(e)).collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
    let (ok, out) = run(Command::new("wimlib-imagex").arg("info").arg(path));
    assert!(ok, "{out}");
    assert!(out.contains("Image Count:    1"), "{out}");
    assert!(out.contains("File Count:             9"), "{out}");
    assert!(out.contains("Directory Count:        4"), "{out}");
}

fn all_codecs() -> Vec<(&'static str, wim_format::WimWriterBuilder)> {
    let b = WimWriter::builder;
    vec![
        ("none", b().compression(Compression::None)),
        ("xpress", b().compression(Compression::Xpress)),
        (
            "xpress4k",
            b().compression(Compression::Xpress).chunk_size(4096),
        ),
        ("lzx", b().compression(Compression::Lzx)),
        (
            "lzx64k",
            b().compression(Compression::Lzx).chunk_size(65536),
        ),
        ("lzms", b().compression(Compression::Lzms)),
        ("solid-lzms", b().solid(true)),
        (
            "solid-lzms-small-chunks",
            b().solid(true).solid_chunk_size(1 << 15),
        ),
        (
            "solid-xpress",
            b().compression(Compression::Xpress)
                .solid(true)
                .solid_compression(Compression::Xpress),
        ),
        (
            "solid-spill",
            b().solid(true)
                .solid_chunk_size(1 << 15)
                .solid_memory_budget(1),
        ),
        (
            "integrity",
            b().compression(Compression::Lzx).integrity(true),
        ),
    ]
}

#[test]
fn round_trip_every_codec() {
    for (name, b) in all_codecs() {
        let (bytes, t, blobs) = write_sample(b.threads(2));
        let wim = check_read_back(&bytes, &t, &blobs);
        let h = wim.header();
        if name.starts_with("solid") {
            assert_eq!(h.version.0, 0xE00, "{name}");
            assert!(wim.blob_table().entries().iter().any(|e| e.is_solid()));
        } else if name == "lzms" {
            assert_eq!(h.version.0, 0xE00);
        } else {
            assert_eq!(h.version.0, 0x10D00, "{name}");
        }
        // Blob table and XML are never compressed.
        assert!(!h.blob_table.is_compressed() && !h.xml.is_compressed());
        let (_d, p) = tmp(&format!("{name}.wim"), &bytes);
        wimlib_verify(&p, None);
        wimlib_dir_matches(&p, &t);
        if name == "integrity" {
            assert!(!h.integrity.is_zero());
            Wim::options().verify_integrity(true).open(&p).unwrap();
        }
        sevenz_test(&p);
    }
}

#[test]
fn deterministic_across_thread_counts() {
    for (name, b) in all_codecs() {
        let (a, _, _) = write_sample(b.clone().threads(1));
        let (c, _, _) = write_sample(b.clone().threads(3));
        assert!(a == c, "{name}: output differs between 1 and 3 threads");
    }
}

#[test]
fn wimlib_applies_our_output() {
    if !tool("wimlib-imagex") {
        return;
    }
    let (bytes, _t, blobs) = write_sample(WimWriter::builder().compression(Compression::Xpress));
    let (d, p) = tmp("apply.wim", &bytes);
    let dest = d.path().join("out");
    let (ok, out) = run(Command::new("wimlib-imagex")
        .arg("apply")
        .arg(&p)
        .arg("1")
        .arg(&dest));
    assert!(ok, "{out}");
    assert_eq!(
        std::fs::read(dest.join("Dir/Sub dir é/big.bin")).unwrap(),
        blobs[2]
    );
    assert_eq!(std::fs::read(dest.join("Dir/small.txt")).unwrap(), blobs[0]);
    assert_eq!(std::fs::read(dest.join("empty.txt")).unwrap().len(), 0);
    assert_eq!(
        std::fs::read_link(dest.join("Dir/link")).unwrap(),
        PathBuf::from("small.txt")
    );
}

#[test]
fn streaming_reader_input_and_duplicates() {
    let mut w = WimWriter::builder()
        .compression(Compression::Lzx)
        .guid([1; 16])
        .timestamp(FileTime(1))
        .build(Cursor::new(Vec::new()))
        .unwrap();
    let big = data(300_000, 9);
    let h1 = w
        .add_blob_from_reader(&mut &big[..], big.len() as u64)
        .unwrap();
    let h2 = w
        .add_blob_from_reader(&mut &big[..], big.len() as u64)
        .unwrap();
    assert_eq!(h1, h2);
    // Short and long inputs are refused.
    assert!(w.add_blob_from_reader(&mut &big[..10], 11).is_err());
    assert!(w.add_blob_from_reader(&mut &big[..10], 9).is_err());
    let mut t = ImageTree::new();
    let r = t.root();
    t.add(r, "a", Inode::file(Some(h1))).unwrap();
    t.add(r, "b", Inode::file(Some(h2))).unwrap();
    // A blob never added is refused.
    let mut bad = t.clone();
    bad.add(r, "c", Inode::file(Some(Sha1Digest([9; 20]))))
        .unwrap();
    assert!(w.add_image(&bad, image_element(None, None)).is_err());
    w.add_image(&t, image_element(None, None)).unwrap();
    let (s, out) = w.finish_into_inner().unwrap();
    assert_eq!(s.blobs_written, 1);
    let bytes = out.into_inner();
    let wim = Wim::from_read_at(bytes.clone()).unwrap();
    assert_eq!(wim.blob_table().len(), 2); // metadata + one blob
    let e = wim.entry(&h1).unwrap();
    assert_eq!(e.ref_count, 2);
    assert_eq!(wim.read_blob(&h1).unwrap(), big);
    let (_d, p) = tmp("dups.wim", &bytes);
    wimlib_verify(&p, None);
}

#[test]
fn copy_blob_raw_and_recompress() {
    let (src_bytes, t, blobs) = write_sample(WimWriter::builder().compression(Compression::Lzx));
    let src = Wim::from_read_at(src_bytes).unwrap();
    for (c, cs) in [
        (Compression::Lzx, 32768),
        (Compression::Xpress, 32768),
        (Compression::None, 0),
    ] {
        let mut b = WimWriter::builder().compression(c).guid([2; 16]);
        if cs != 0 {
            b = b.chunk_size(cs);
        }
        let mut w = b.build(Cursor::new(Vec::new())).unwrap();
        for e in src.blob_table().entries() {
            if !e.is_metadata() {
                w.copy_blob_raw(&src, &e.hash).unwrap();
            }
        }
        w.add_image(&t, image_element(Some("Sample"), Some("desc")))
            .unwrap();
        let (_, out) = w.finish_into_inner().unwrap();
        let bytes = out.into_inner();
        let wim = Wim::from_read_at(bytes.clone()).unwrap();
        for b in &blobs {
            assert_eq!(&wim.read_blob(&Sha1Digest::of(b)).unwrap(), b);
        }
        let (_d, p) = tmp("copy.wim", &bytes);
        wimlib_verify(&p, None);
    }
}

#[test]
fn header_rules() {
    let (bytes, _, _) = write_sample(
        WimWriter::builder()
            .compression(Compression::Xpress)
            .boot_index(1)
            .header_flags(HeaderFlags::RP_FIX),
    );
    let wim = Wim::from_read_at(bytes).unwrap();
    let h = wim.header();
    assert_eq!(h.boot_index, 1);
    assert_eq!(
        h.boot_metadata,
        match &wim
            .blob_table()
            .metadata(ImageIndex::new(1).unwrap())
            .unwrap()
            .location
        {
            wim_format::blob_table::BlobLocation::Resource { reshdr, .. } => *reshdr,
            _ => panic!(),
        }
    );
    assert!(h.flags.contains(HeaderFlags::RP_FIX));
    assert_eq!(h.guid.0, [7; 16]);
    assert_eq!(h.chunk_size, 32768);
    assert!(
        WimWriter::builder()
            .compression(Compression::Lzx)
            .chunk_size(1000)
            .build(Cursor::new(Vec::new()))
            .is_err()
    );
    assert!(
        WimWriter::builder()
            .pipable(true)
            .build(Cursor::new(Vec::new()))
            .is_err()
    );
}

/// Many small blobs share the compressor's workers (chunks of consecutive blobs are in
/// flight together): duplicates at every distance, blobs that do not shrink, a failed
/// source in the middle. Every thread count gives the same bytes, every blob reads back,
/// and duplicates take no space.
#[test]
fn pipelined_small_blobs_with_duplicates() {
    let mut blobs: Vec<Vec<u8>> = Vec::new();
    for i in 0..120u64 {
        let b = match i % 7 {
            // a repeat of a blob 1..=15 places back
            3 if i > 16 => blobs[(i - 1 - (i % 15)) as usize].clone(),
            // incompressible: stored raw
            5 => wim_testdata::prng::XorShift64::new(i).bytes(3000 + i as usize * 37),
            _ => data(1 + (i as usize * 1931) % 70_000, i),
        };
        blobs.push(b);
    }
    let write = |threads: usize| {
        let mut w = WimWriter::builder()
            .compression(Compression::Xpress)
            .chunk_size(4096)
            .threads(threads)
            .guid([9; 16])
            .timestamp(FileTime(133_000_000_000_000_000))
            .build(Cursor::new(Vec::new()))
            .unwrap();
        let mut t = ImageTree::new();
        let root = t.root();
        for (i, b) in blobs.iter().enumerate() {
            if i == 60 {
                // A source that ends early: an error, and nothing of it is kept.
                let short = vec![1u8; 10_000];
                let err = w.add_blob_from_reader(&mut &short[..], 20_000).unwrap_err();
                assert!(err.to_string().contains("20000"), "{err}");
            }
            let h = w.add_blob(b).unwrap();
            assert!(w.contains_blob(&h));
            assert_eq!(w.blob_size(&h), Some(b.len() as u64));
            t.add(root, &format!("f{i}"), Inode::file(Some(h))).unwrap();
        }
        w.add_image(&t, image_element(Some("p"), None)).unwrap();
        w.finish_into_inner().unwrap().1.into_inner()
    };
    let one = write(1);
    for threads in [2, 3, 5] {
        assert!(write(threads) == one, "{threads} threads differ from 1");
    }
    let wim = Wim::from_read_at(one.clone()).unwrap();
    let distinct: std::collections::HashSet<_> = blobs.iter().map(|b| Sha1Digest::of(b)).collect();
    assert_eq!(wim.blob_table().entries().len(), distinct.len() + 1); // + metadata
    for b in &blobs {
        assert_eq!(&wim.read_blob(&Sha1Digest::of(b)).unwrap(), b);
    }
    wim.verify_blobs(&|_| {}).unwrap().into_result().unwrap();
    // No space is lost to duplicates or to the failed source: resources are contiguous.
    let mut spans: Vec<(u64, u64)> = wim
        .blob_table()
        .entries()
        .iter()
        .filter_map(|e| match &e.location {
            wim_format::blob_table::BlobLocation::Resource { reshdr, .. } => {
                Some((reshdr.offset, reshdr.offset + reshdr.size_in_wim))
            }
            _ => None,
        })
        .collect();
    spans.sort();
    for w in spans.windows(2) {
        assert_eq!(w[0].1, w[1].0, "gap or overlap between resources");
    }
    let (_d, p) = tmp("pipelined.wim", &one);
    wimlib_verify(&p, None);
}

/// A solid resource of ~100 chunks whose memory budget is exceeded at various points:
/// the file must depend neither on the thread count (chunks in flight, when the budget
/// is found exceeded) nor on the budget (the data written behind a reserved table move
/// to their in-memory place on close).
#[test]
fn solid_output_is_independent_of_threads_and_budget() {
    let cs = 1u32 << 15;
    let blobs: Vec<Vec<u8>> = (0..25).map(|i| data(130_000 + i * 977, i as u64)).collect();
    let write = |threads: usize, budget: u64| {
        let mut w = WimWriter::builder()
            .compression(Compression::Xpress)
            .solid(true)
            .solid_compression(Compression::Xpress)
            .solid_chunk_size(cs)
            .solid_memory_budget(budget)
            .threads(threads)
            .guid([3; 16])
            .timestamp(FileTime(133_000_000_000_000_000))
            .build(Cursor::new(Vec::new()))
            .unwrap();
        let mut t = ImageTree::new();
        let root = t.root();
        for (i, b) in blobs.iter().enumerate() {
            let h = w.add_blob(b).unwrap();
            t.add(root, &format!("f{i}"), Inode::file(Some(h))).unwrap();
        }
        w.add_image(&t, image_element(Some("s"), None)).unwrap();
        w.finish_into_inner().unwrap().1.into_inner()
    };
    let one = write(1, 400_000);
    let wim = Wim::from_read_at(one.clone()).unwrap();
    for b in &blobs {
        assert_eq!(&wim.read_blob(&Sha1Digest::of(b)).unwrap(), b);
    }
    assert!(wim.blob_table().entries().iter().any(|e| e.is_solid()));
    let total: usize = blobs.iter().map(Vec::len).sum();
    let chunks = total.div_ceil(cs as usize);
    assert!(
        chunks > 64,
        "{chunks} chunks: the reservation (2 × chunks at the spill, at least 64) must matter"
    );
    for threads in [2, 3, 5] {
        assert!(
            write(threads, 400_000) == one,
            "{threads} threads differ from 1"
        );
    }
    for budget in [1, 100_000, 1_000_000, 2_000_000, u64::MAX] {
        assert!(write(2, budget) == one, "budget {budget} differs");
    }
}
