//! Writes the seed corpora of the wim-format targets into `corpus/<target>/`.
//!
//! Seeds come from small synthetic WIMs made by `wim-testdata`'s builder (committed) and
//! from the real fixtures (written only to the directory given as argument).
//! Run: `cargo run --release --example make_corpus [REAL_SEED_DIR]`.
use std::path::{Path, PathBuf};
use wim_testdata::builder::{HDR_FLAG_XPRESS, Image, Node, ResourceLayout, WimBuilder};

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target)
}

fn put(dir: &Path, name: &str, data: &[u8]) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(name), data).unwrap();
}

fn small_tree() -> WimBuilder {
    let img = Image::new(
        "seed",
        vec![
            Node::file("a.txt", b"hello hello hello hello world\n".repeat(20)),
            Node::dir("d", vec![Node::file("b", vec![7u8; 300]), Node::empty("e")]),
            Node::symlink("l", "a.txt"),
            Node::file("s.txt", b"x".to_vec()).with_stream("ads", b"alt".to_vec()),
            Node::hard_link("h1", 1, b"linked".to_vec()),
            Node::hard_link("h2", 1, b"linked".to_vec()),
        ],
    );
    WimBuilder::new().image(img)
}

fn synthetic() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    out.push(("synth_plain".to_string(), small_tree().build().bytes));
    let mut b = small_tree();
    b.layout = ResourceLayout::RawChunks {
        chunk_size: 4096,
        compression: HDR_FLAG_XPRESS,
    };
    out.push(("synth_chunked".to_string(), b.build().bytes));
    let mut b = small_tree();
    b.layout = ResourceLayout::Solid {
        chunk_size: 4096,
        format: 3,
    };
    out.push(("synth_solid".to_string(), b.build().bytes));
    let mut b = small_tree();
    b.integrity_chunk_size = Some(1024);
    out.push(("synth_integrity".to_string(), b.build().bytes));
    out
}

fn real() -> Vec<(String, Vec<u8>)> {
    wimkit_fuzz::real_fixtures()
        .into_iter()
        .map(|p| {
            let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
            (stem, std::fs::read(&p).unwrap())
        })
        .collect()
}

fn main() {
    // Synthetic seeds are committed under corpus/; seeds derived from the real fixtures
    // go to the directory given as argument (never into the repository: run-all.sh
    // passes a temporary directory), and are also derived in-process by tests/replay.rs.
    let real_out = std::env::args().nth(1).map(PathBuf::from);
    for (name, bytes) in synthetic() {
        for (target, seed) in wimkit_fuzz::derive_seeds(&bytes) {
            put(&corpus_dir(target), &name, &seed);
        }
    }
    if let Some(out) = real_out {
        for (name, bytes) in real() {
            for (target, seed) in wimkit_fuzz::derive_seeds(&bytes) {
                put(&out.join(target), &name, &seed);
            }
        }
    }
    let text = b"The quick brown fox jumps over the lazy dog. ".repeat(40);
    let mut bin = Vec::new();
    let mut s = 0x9E37_79B9_7F4A_7C15u64;
    for _ in 0..3000 {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        bin.push((s >> 56) as u8 & 0x3F);
    }
    for codec in ["xpress_roundtrip", "lzx_roundtrip", "lzms_roundtrip"] {
        put(
            &corpus_dir(codec),
            "text_l50",
            &[&[49u8, 0][..], &text].concat(),
        );
        put(
            &corpus_dir(codec),
            "text_l100_big",
            &[&[99u8, 3][..], &text].concat(),
        );
        put(
            &corpus_dir(codec),
            "bin_l20",
            &[&[19u8, 1][..], &bin].concat(),
        );
        put(
            &corpus_dir(codec),
            "zeros_l1",
            &[&[0u8, 2][..], &[0u8; 2000][..]].concat(),
        );
    }
}
