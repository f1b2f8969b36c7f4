//! Prints a table of our XPRESS/LZX encoders against libwim's (`wimlib_compress`) on a fixed
//! sample of the wine corpus: compressed size ratio (ours / libwim, < 1 = smaller) and speed
//! ratio (our MB/s / libwim MB/s, > 1 = faster), one thread.
//!
//! Run: `cargo run --release -p wimkit-benches --example enc_table [-- MIB [LEVELS...]]`
//! (default: 32 MiB sample, our levels 1 20 35 50 70 100 against libwim 20 50 100).
#![allow(missing_docs)]

#[path = "../../wim-compress/tests/common/libwim.rs"]
mod libwim;

use libwim::{Ctype, LibWim};
use std::path::{Path, PathBuf};
use std::time::Instant;
use wim_compress::Compressor;
use wim_compress::lzx::LzxCompressor;
use wim_compress::xpress::XpressCompressor;

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut ents: Vec<_> = rd.flatten().map(|e| e.path()).collect();
    ents.sort();
    for p in ents {
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|e| e == "dll" || e == "exe") {
            out.push(p);
        }
    }
}

/// The first `bytes` of the concatenated wine DLLs/EXEs (sorted by path).
pub fn sample(bytes: usize) -> Vec<u8> {
    let mut files = Vec::new();
    collect(Path::new("/tmp/wim-corpus/wine"), &mut files);
    let mut v = Vec::new();
    for f in files {
        if let Ok(d) = std::fs::read(&f) {
            v.extend_from_slice(&d);
        }
        if v.len() >= bytes {
            break;
        }
    }
    v.truncate(bytes);
    v
}

fn ours(kind: Ctype, chunk: usize, level: u32, data: &[u8]) -> (usize, f64) {
    let mut c: Box<dyn Compressor> = match kind {
        Ctype::Xpress => Box::new(XpressCompressor::new(chunk, level).unwrap()),
        _ => Box::new(LzxCompressor::new(chunk, level).unwrap()),
    };
    let mut dst = vec![0u8; chunk];
    let t = Instant::now();
    let mut total = 0;
    for piece in data.chunks(chunk) {
        total += c
            .compress(piece, &mut dst[..piece.len()])
            .unwrap_or(piece.len());
    }
    (total, t.elapsed().as_secs_f64())
}

fn theirs(lib: &LibWim, kind: Ctype, chunk: usize, level: u32, data: &[u8]) -> (usize, f64) {
    // The helper creates a context per call; time only whole runs (context creation is
    // cheap next to a 32 KiB chunk, and identical for every level).
    let t = Instant::now();
    let mut total = 0;
    for piece in data.chunks(chunk) {
        total += lib
            .compress(kind, chunk, level, piece)
            .map_or(piece.len(), |v| v.len());
    }
    (total, t.elapsed().as_secs_f64())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mib: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(32);
    let our_levels: Vec<u32> = if args.len() > 1 {
        args[1..].iter().filter_map(|a| a.parse().ok()).collect()
    } else {
        vec![1, 20, 35, 50, 70, 100]
    };
    let Some(lib) = LibWim::load() else { return };
    let data = sample(mib << 20);
    if data.is_empty() {
        eprintln!("SKIP: /tmp/wim-corpus/wine absent");
        return;
    }
    let mb = data.len() as f64 / 1e6;
    println!(
        "sample: {:.1} MB of wine PE files, 32 KiB chunks, one thread",
        mb
    );
    for (name, kind) in [("XPRESS", Ctype::Xpress), ("LZX", Ctype::Lzx)] {
        let chunk = 32768;
        let mut base = Vec::new();
        for lv in [20u32, 50, 100] {
            let (s, t) = theirs(&lib, kind, chunk, lv, &data);
            base.push((lv, s, t));
            println!(
                "{name:6} libwim L{lv:<3} size {:>10} ({:.4}) {:>7.1} MB/s",
                s,
                s as f64 / data.len() as f64,
                mb / t
            );
        }
        for &lv in &our_levels {
            let (s, t) = ours(kind, chunk, lv, &data);
            let mut line = format!(
                "{name:6} ours   L{lv:<3} size {:>10} ({:.4}) {:>7.1} MB/s |",
                s,
                s as f64 / data.len() as f64,
                mb / t
            );
            for &(blv, bs, bt) in &base {
                line += &format!(
                    " vs L{blv}: size x{:.4} speed x{:.2}",
                    s as f64 / bs as f64,
                    bt / t
                );
            }
            println!("{line}");
        }
    }
}
