//! Hand-built WIMs: every error kind the core reader raises, with its offset.

use wim_format::ondisk::blob_entry::RawBlobEntry;
use wim_format::ondisk::header::{RawHeader, WIM_MAGIC};
use wim_format::ondisk::reshdr::RawReshdr;
use wim_format::ondisk::solid::RawSolidHeader;
use wim_format::{Error, FormatErrorKind, ImageIndex, Limits, Sha1Digest, Wim};

struct B {
    data: Vec<u8>,
    header: RawHeader,
}

const META: u8 = 0x02;
const COMPRESSED: u8 = 0x04;
const SOLID: u8 = 0x10;

impl B {
    fn new() -> Self {
        B {
            data: vec![0; 208],
            header: RawHeader {
                magic: WIM_MAGIC,
                header_size: 208,
                version: 0x10D00,
                flags: 0,
                part_number: 1,
                total_parts: 1,
                image_count: 1,
                ..Default::default()
            },
        }
    }
    fn put(&mut self, bytes: &[u8]) -> u64 {
        let at = self.data.len() as u64;
        self.data.extend_from_slice(bytes);
        at
    }
    fn blob(&mut self, bytes: &[u8], flags: u8) -> RawBlobEntry {
        let at = self.put(bytes);
        RawBlobEntry {
            reshdr: RawReshdr {
                size_in_wim: bytes.len() as u64,
                flags,
                offset: at,
                uncompressed_size: bytes.len() as u64,
            },
            part_number: 1,
            ref_count: 1,
            hash: Sha1Digest::of(bytes).0,
        }
    }
    /// Writes the blob table and XML; returns (file, blob-table offset).
    fn finish(mut self, entries: &[RawBlobEntry]) -> (Vec<u8>, u64) {
        let mut t = Vec::new();
        for e in entries {
            t.extend_from_slice(&e.to_bytes());
        }
        let bt = self.put(&t);
        self.header.blob_table = RawReshdr {
            size_in_wim: t.len() as u64,
            flags: META,
            offset: bt,
            uncompressed_size: t.len() as u64,
        };
        let xml: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("<WIM></WIM>".encode_utf16().flat_map(|u| u.to_le_bytes()))
            .collect();
        let x = self.put(&xml);
        self.header.xml = RawReshdr {
            size_in_wim: xml.len() as u64,
            flags: META,
            offset: x,
            uncompressed_size: xml.len() as u64,
        };
        let h = self.header.to_bytes();
        self.data[..208].copy_from_slice(&h);
        (self.data, bt)
    }
}

fn meta_bytes() -> Vec<u8> {
    vec![8, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]
}

fn fmt_err(r: Result<Wim, Error>) -> (FormatErrorKind, Option<u64>) {
    match r {
        Err(Error::Format(f)) => (f.kind(), f.offset()),
        Err(e) => panic!("not a format error: {e}"),
        Ok(_) => panic!("opened"),
    }
}

fn good() -> (B, Vec<RawBlobEntry>) {
    let mut b = B::new();
    let m = b.blob(&meta_bytes(), META);
    let f = b.blob(b"hello world", 0);
    (b, vec![m, f])
}

#[test]
fn good_synthetic_wim_reads() {
    let (b, e) = good();
    let (file, _) = b.finish(&e);
    let w = Wim::from_read_at(file).unwrap();
    assert_eq!(w.blob_table().len(), 2);
    assert_eq!(
        w.read_blob(&Sha1Digest::of(b"hello world")).unwrap(),
        b"hello world"
    );
    assert_eq!(
        w.metadata_bytes(ImageIndex::new(1).unwrap()).unwrap(),
        meta_bytes()
    );
    let e = w.metadata_bytes(ImageIndex::new(2).unwrap()).unwrap_err();
    assert!(matches!(e, Error::Usage(_)));
    let e = w.read_blob(&Sha1Digest([9; 20])).unwrap_err();
    assert_eq!(e.format_kind(), Some(FormatErrorKind::MissingBlob));
}

#[test]
fn duplicate_zero_hash_and_refcount0_metadata_are_skipped() {
    let (mut b, mut e) = good();
    let dup = e[1];
    let mut zero = b.blob(b"zzz", 0);
    zero.hash = [0; 20];
    let mut m0 = b.blob(b"other meta", META);
    m0.ref_count = 0;
    let mut other_part = b.blob(b"elsewhere", 0);
    other_part.part_number = 2;
    e.extend([dup, zero, m0, other_part]);
    let (file, _) = b.finish(&e);
    let w = Wim::from_read_at(file).unwrap();
    assert_eq!(w.blob_table().len(), 2);
    assert_eq!(w.blob_table().image_count(), 1);
    assert_eq!(w.blob_table().warnings().len(), 2);
}

#[test]
fn blob_table_errors() {
    // Not a multiple of 50 bytes.
    let (b, e) = good();
    let (mut file, bt) = b.finish(&e);
    let mut raw = RawHeader::parse(&file).unwrap();
    raw.blob_table.size_in_wim -= 1;
    raw.blob_table.uncompressed_size -= 1;
    file[..208].copy_from_slice(&raw.to_bytes());
    assert_eq!(
        fmt_err(Wim::from_read_at(file)),
        (FormatErrorKind::BadBlobTable, Some(bt + 50))
    );

    // Metadata with reference count 2.
    let (b, mut e) = good();
    e[0].ref_count = 2;
    let (file, bt) = b.finish(&e);
    assert_eq!(
        fmt_err(Wim::from_read_at(file)),
        (FormatErrorKind::BadBlobTable, Some(bt))
    );

    // Image count mismatch.
    let (mut b, e) = good();
    b.header.image_count = 2;
    let (file, bt) = b.finish(&e);
    assert_eq!(
        fmt_err(Wim::from_read_at(file)),
        (FormatErrorKind::ImageCountMismatch, Some(bt))
    );

    // Uncompressed resource whose sizes differ.
    let (b, mut e) = good();
    e[1].reshdr.uncompressed_size += 1;
    let (file, bt) = b.finish(&e);
    assert_eq!(
        fmt_err(Wim::from_read_at(file)),
        (FormatErrorKind::BadResourceHeader, Some(bt + 50))
    );

    // Resource past the end of the file.
    let (b, mut e) = good();
    e[1].reshdr.offset = 1 << 40;
    let (file, bt) = b.finish(&e);
    assert_eq!(
        fmt_err(Wim::from_read_at(file)),
        (FormatErrorKind::Truncated, Some(bt + 50))
    );
}

#[test]
fn hash_mismatch_has_blob_and_offset() {
    let (b, e) = good();
    let (mut file, _) = b.finish(&e);
    let off = e[1].reshdr.offset;
    file[off as usize] ^= 1;
    let w = Wim::from_read_at(file).unwrap();
    let h = Sha1Digest(e[1].hash);
    match w.read_blob(&h).unwrap_err() {
        Error::Format(f) => {
            assert_eq!(f.kind(), FormatErrorKind::HashMismatch);
            assert_eq!(f.offset(), Some(off));
            assert_eq!(f.context().blob, Some(h));
        }
        e => panic!("{e}"),
    }
    let r = w.verify_blobs(&|_| {}).unwrap();
    assert_eq!(r.failures.len(), 1);
    assert_eq!(r.failures[0].hash, h);
}

/// A compressed resource in an LZX WIM with a hand-built chunk table.
fn compressed(table: &[u32], chunks: &[&[u8]], usize_: u64) -> (Vec<u8>, u64, RawBlobEntry) {
    let mut b = B::new();
    b.header.flags = 0x2 | 0x40000;
    b.header.chunk_size = 32768;
    let m = b.blob(&meta_bytes(), META);
    let mut res = Vec::new();
    for t in table {
        res.extend_from_slice(&t.to_le_bytes());
    }
    for c in chunks {
        res.extend_from_slice(c);
    }
    let at = b.put(&res);
    let e = RawBlobEntry {
        reshdr: RawReshdr {
            size_in_wim: res.len() as u64,
            flags: COMPRESSED,
            offset: at,
            uncompressed_size: usize_,
        },
        part_number: 1,
        ref_count: 1,
        hash: [7; 20],
    };
    let (file, _) = b.finish(&[m, e]);
    (file, at, e)
}

#[test]
fn chunk_table_errors() {
    // Two chunks; the table says chunk 0 is empty.
    let (file, at, e) = compressed(&[0], &[&[1; 100]], 40000);
    let w = Wim::from_read_at(file).unwrap();
    match w.read_blob(&Sha1Digest(e.hash)).unwrap_err() {
        Error::Format(f) => {
            assert_eq!(f.kind(), FormatErrorKind::BadResource, "{f}");
            assert_eq!(f.offset(), Some(at));
        }
        e => panic!("{e}"),
    }
    // Chunk 1 compressed size above its uncompressed size (7232 bytes).
    let big = vec![1u8; 8000];
    let (file, at, e) = compressed(&[100], &[&[1; 100], &big], 40000);
    let w = Wim::from_read_at(file).unwrap();
    match w.read_blob(&Sha1Digest(e.hash)).unwrap_err() {
        Error::Format(f) => {
            assert_eq!(f.kind(), FormatErrorKind::BadResource, "{f}");
            assert_eq!(f.offset(), Some(at));
            assert_eq!(f.context().chunk, Some(1));
        }
        e => panic!("{e}"),
    }
    // Garbage compressed data: Decompression error with chunk and offset.
    let (file, at, e) = compressed(&[], &[&[0xAB; 50]], 1000);
    let w = Wim::from_read_at(file).unwrap();
    match w.read_blob(&Sha1Digest(e.hash)).unwrap_err() {
        Error::Format(f) => {
            assert_eq!(f.kind(), FormatErrorKind::Decompression, "{f}");
            assert_eq!(f.offset(), Some(at));
            assert_eq!(f.context().chunk, Some(0));
        }
        e => panic!("{e}"),
    }
    // Raw-stored chunk (compressed size == uncompressed size) reads without a codec.
    let data: Vec<u8> = (0..40000u32).map(|i| (i * 7) as u8).collect();
    let (mut file, _, mut e) = compressed(&[32768], &[&data[..32768], &data[32768..]], 40000);
    e.hash = Sha1Digest::of(&data).0;
    // Patch the hash into the blob table (second row).
    let raw = RawHeader::parse(&file).unwrap();
    let row = raw.blob_table.offset as usize + 50;
    file[row + 30..row + 50].copy_from_slice(&e.hash);
    let w = Wim::from_read_at(file).unwrap();
    assert_eq!(w.read_blob(&Sha1Digest(e.hash)).unwrap(), data);
}

#[test]
fn expansion_limit() {
    let (file, _, e) = compressed(&[], &[&[0xAB; 50]], 1 << 33);
    let w = Wim::from_read_at(file).unwrap();
    let err = w.open_blob(&Sha1Digest(e.hash)).unwrap_err();
    assert!(matches!(err, Error::LimitExceeded { .. }), "{err}");
}

/// A solid run in a version-0xE00 WIM: resource row + blob rows.
fn solid(
    format: u32,
    chunk: u32,
    sizes: &[u32],
    payload: &[u8],
    blobs: &[(u64, u64, [u8; 20])],
) -> (Vec<u8>, u64, u64) {
    let mut b = B::new();
    b.header.version = 0xE00;
    let m = b.blob(&meta_bytes(), META);
    let mut res = RawSolidHeader {
        uncompressed_size: payload.len() as u64,
        chunk_size: chunk,
        format,
    }
    .to_bytes()
    .to_vec();
    for s in sizes {
        res.extend_from_slice(&s.to_le_bytes());
    }
    res.extend_from_slice(payload);
    let at = b.put(&res);
    let mut rows = vec![
        m,
        RawBlobEntry {
            reshdr: RawReshdr {
                size_in_wim: res.len() as u64,
                flags: SOLID,
                offset: at,
                uncompressed_size: 1 << 32,
            },
            part_number: 1,
            ref_count: 1,
            hash: [0; 20],
        },
    ];
    for &(off, size, hash) in blobs {
        rows.push(RawBlobEntry {
            reshdr: RawReshdr {
                size_in_wim: size,
                flags: SOLID,
                offset: off,
                uncompressed_size: 0,
            },
            part_number: 1,
            ref_count: 1,
            hash,
        });
    }
    let (file, bt) = b.finish(&rows);
    (file, bt, at)
}

#[test]
fn solid_runs() {
    let payload: Vec<u8> = (0..100u8).collect();
    let h1 = Sha1Digest::of(&payload[..30]).0;
    let h2 = Sha1Digest::of(&payload[30..]).0;
    let (file, _, _) = solid(0, 64, &[64, 36], &payload, &[(0, 30, h1), (30, 70, h2)]);
    let w = Wim::from_read_at(file).unwrap();
    assert_eq!(w.read_blob(&Sha1Digest(h2)).unwrap(), &payload[30..]);
    let r = w.verify_blobs(&|_| {}).unwrap();
    assert!(r.failures.is_empty(), "{:?}", r.failures);
    assert_eq!(r.blobs, 3);

    // Overlap.
    let (file, bt, _) = solid(0, 64, &[64, 36], &payload, &[(0, 40, h1), (30, 70, h2)]);
    assert_eq!(
        fmt_err(Wim::from_read_at(file)),
        (FormatErrorKind::BadBlobTable, Some(bt + 150))
    );
    // Past the end of the resource.
    let (file, bt, _) = solid(0, 64, &[64, 36], &payload, &[(90, 20, h1)]);
    assert_eq!(
        fmt_err(Wim::from_read_at(file)),
        (FormatErrorKind::BadBlobTable, Some(bt + 100))
    );
    // Unknown format, bad chunk size, chunk sizes beyond the resource.
    let (file, _, at) = solid(9, 64, &[64, 36], &payload, &[(0, 30, h1)]);
    let w = Wim::from_read_at(file).unwrap();
    match w.read_blob(&Sha1Digest(h1)).unwrap_err() {
        Error::Format(f) => assert_eq!(
            (f.kind(), f.offset()),
            (FormatErrorKind::BadResource, Some(at + 12))
        ),
        e => panic!("{e}"),
    }
    let (file, _, at) = solid(0, 60, &[60, 40], &payload, &[(0, 30, h1)]);
    let w = Wim::from_read_at(file).unwrap();
    match w.read_blob(&Sha1Digest(h1)).unwrap_err() {
        Error::Format(f) => assert_eq!(
            (f.kind(), f.offset()),
            (FormatErrorKind::BadChunkSize, Some(at + 8))
        ),
        e => panic!("{e}"),
    }
    let (file, _, at) = solid(0, 64, &[64, 200], &payload, &[(0, 30, h1)]);
    let w = Wim::from_read_at(file).unwrap();
    match w.read_blob(&Sha1Digest(h1)).unwrap_err() {
        Error::Format(f) => assert_eq!(
            (f.kind(), f.offset()),
            (FormatErrorKind::BadResource, Some(at + 16))
        ),
        e => panic!("{e}"),
    }
    // Solid metadata is rejected.
    let mut b = B::new();
    b.header.version = 0xE00;
    let mut m = b.blob(&meta_bytes(), META | SOLID);
    m.reshdr.uncompressed_size = 0;
    let (file, bt) = b.finish(&[m]);
    assert_eq!(
        fmt_err(Wim::from_read_at(file)),
        (FormatErrorKind::BadBlobTable, Some(bt))
    );
}

#[test]
fn solid_flag_ignored_outside_version_e00() {
    let (mut b, mut e) = good();
    e[1].reshdr.flags = SOLID;
    b.header.version = 0x10D00;
    let (file, _) = b.finish(&e);
    let w = Wim::from_read_at(file).unwrap();
    assert_eq!(
        w.read_blob(&Sha1Digest::of(b"hello world")).unwrap(),
        b"hello world"
    );
}

#[test]
fn limits_are_charged() {
    let (b, e) = good();
    let (file, _) = b.finish(&e);
    let mut l = Limits::default();
    l.max_xml_bytes = 4;
    let w = wim_format::wim::OpenOptions::new()
        .limits(l)
        .open_source(std::sync::Arc::new(file.clone()))
        .unwrap();
    assert!(matches!(
        w.xml_bytes().unwrap_err(),
        Error::LimitExceeded { .. }
    ));
    let mut l = Limits::default();
    l.max_blob_table_bytes = 10;
    let e = wim_format::wim::OpenOptions::new()
        .limits(l)
        .open_source(std::sync::Arc::new(file.clone()))
        .unwrap_err();
    assert!(matches!(e, Error::LimitExceeded { .. }));
    let mut l = Limits::default();
    l.max_metadata_bytes = 4;
    let w = wim_format::wim::OpenOptions::new()
        .limits(l)
        .open_source(std::sync::Arc::new(file))
        .unwrap();
    assert!(matches!(
        w.metadata_bytes(ImageIndex::new(1).unwrap()).unwrap_err(),
        Error::LimitExceeded { .. }
    ));
}
