//! Replays every corpus and regression input through the target bodies on stable Rust.
use std::path::Path;
use wim_compress::CompressionKind;

/// Replays `corpus/<target>/`, `regressions/<target>/` and the seeds derived in-process
/// from the real fixtures (which are never copied into the repository); whole real files
/// also go through `open_wim`.
fn replay(target: &str, f: impl Fn(&[u8])) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut n = 0;
    let mut real = 0;
    for p in wimkit_fuzz::real_fixtures() {
        let bytes = std::fs::read(&p).unwrap();
        if target == "open_wim" {
            f(&bytes);
            real += 1;
        }
        for (t, seed) in wimkit_fuzz::derive_seeds(&bytes) {
            if t == target && (t != "open_wim") {
                f(&seed);
                real += 1;
            }
        }
    }
    for dir in [
        root.join("corpus").join(target),
        root.join("regressions").join(target),
    ] {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<_> = rd.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        files.sort();
        for p in files {
            let data = std::fs::read(&p).unwrap();
            f(&data);
            n += 1;
        }
    }
    println!("{target}: replayed {n} corpus/regression inputs and {real} real-fixture seeds");
    assert!(n > 0, "no corpus for {target}");
    n + real
}

#[test]
fn xpress_decompress() {
    replay("xpress_decompress", |d| {
        wimkit_fuzz::decompress(CompressionKind::Xpress, d)
    });
}
#[test]
fn lzx_decompress() {
    replay("lzx_decompress", |d| {
        wimkit_fuzz::decompress(CompressionKind::Lzx, d)
    });
}
#[test]
fn lzms_decompress() {
    replay("lzms_decompress", |d| {
        wimkit_fuzz::decompress(CompressionKind::Lzms, d)
    });
}
#[test]
fn open_wim() {
    replay("open_wim", wimkit_fuzz::open_wim);
}
#[test]
fn header() {
    replay("header", wimkit_fuzz::header);
}
#[test]
fn blob_table() {
    replay("blob_table", wimkit_fuzz::blob_table);
}
#[test]
fn metadata() {
    replay("metadata", wimkit_fuzz::metadata);
}
#[test]
fn xml() {
    replay("xml", wimkit_fuzz::xml);
}
#[test]
fn integrity() {
    replay("integrity", wimkit_fuzz::integrity);
}
#[test]
fn xpress_roundtrip() {
    replay("xpress_roundtrip", |d| {
        wimkit_fuzz::roundtrip(CompressionKind::Xpress, d)
    });
}
#[test]
fn lzx_roundtrip() {
    replay("lzx_roundtrip", |d| {
        wimkit_fuzz::roundtrip(CompressionKind::Lzx, d)
    });
}
#[test]
fn lzms_roundtrip() {
    replay("lzms_roundtrip", |d| {
        wimkit_fuzz::roundtrip(CompressionKind::Lzms, d)
    });
}
#[test]
fn resource_reader_chunking() {
    replay(
        "resource_reader_chunking",
        wimkit_fuzz::resource_reader_chunking,
    );
}
