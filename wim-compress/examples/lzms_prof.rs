//! Profiling and benchmark driver for the LZMS encoder.
//!
//! `lzms_prof LEVEL[,LEVEL..] CHUNK FILE [ours|lib|both] [ROUNDS]`: compresses FILE in
//! CHUNK-byte chunks with ours and/or libwim's encoder, alternating (one reusable context
//! each per round; a level `A:B` pairs our level A with libwim's B), and prints sizes and
//! per-thread CPU time (from `/proc/thread-self/schedstat`, so other load on the machine
//! does not count).
#[path = "../tests/common/libwim.rs"]
mod libwim;
use wim_compress::{Compressor, lzms::LzmsCompressor};

/// CPU time of the calling thread, in seconds.
fn cpu() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(0.0, |ns| ns as f64 / 1e9)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // `A:B` pairs our level A with libwim's level B (a box check); `A` alone is `A:A`.
    let pairs: Vec<(u32, u32)> = args
        .get(1)
        .map_or("50", |s| s.as_str())
        .split(',')
        .filter_map(|s| {
            let mut it = s.split(':');
            let a = it.next()?.parse().ok()?;
            let b = it.next().map_or(Some(a), |b| b.parse().ok())?;
            Some((a, b))
        })
        .collect();
    let levels: Vec<u32> = pairs.iter().map(|p| p.0).collect();
    let chunk: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(131072);
    let file = args.get(3).cloned().unwrap_or("/tmp/lzms_wine.bin".into());
    let mode = args.get(4).cloned().unwrap_or("both".into());
    let rounds: usize = args.get(5).and_then(|s| s.parse().ok()).unwrap_or(1);
    let data = std::fs::read(&file).unwrap();
    let lib = libwim::LibWim::load();
    if mode == "diff" {
        // Per-chunk sizes, ours (checked by decoding it with libwim) against libwim, the chunks where ours is largest first.
        let l = lib.as_ref().unwrap();
        for &level in &levels {
            let mut c = LzmsCompressor::new(chunk, level).unwrap();
            let mut out = vec![0u8; chunk];
            let mut rows = Vec::new();
            for (i, ch) in data.chunks(chunk).enumerate() {
                let a = match c.compress(ch, &mut out[..ch.len()]) {
                    Some(a) => {
                        // Our output must decode (with libwim) to the chunk.
                        let back = l.decompress(libwim::Ctype::Lzms, chunk, &out[..a], ch.len());
                        assert!(back.as_deref() == Some(ch), "chunk {i} does not round-trip");
                        a
                    }
                    None => ch.len(),
                };
                let b = l
                    .compress(libwim::Ctype::Lzms, chunk, level, ch)
                    .map_or(ch.len(), |z| z.len());
                rows.push((a as i64 - b as i64, i, a, b));
            }
            rows.sort_by_key(|r| std::cmp::Reverse(r.0));
            for r in rows.iter().take(rounds.max(1)) {
                println!(
                    "L{level} chunk {:5} ours {:7} libwim {:7} diff {:+6}",
                    r.1, r.2, r.3, r.0
                );
            }
            let pos: i64 = rows.iter().filter(|r| r.0 > 0).map(|r| r.0).sum();
            let neg: i64 = rows.iter().filter(|r| r.0 < 0).map(|r| r.0).sum();
            println!("L{level} worse-chunk bytes {pos:+} better-chunk bytes {neg:+}");
        }
        return;
    }
    for &(level, lib_level) in &pairs {
        let (mut t_ours, mut t_lib, mut s_ours, mut s_lib) = (0.0, 0.0, 0usize, 0usize);
        for _ in 0..rounds {
            if mode != "lib" {
                let t = cpu();
                let mut c = LzmsCompressor::new(chunk, level).unwrap();
                let mut out = vec![0u8; chunk];
                s_ours = 0;
                for ch in data.chunks(chunk) {
                    s_ours += c.compress(ch, &mut out[..ch.len()]).unwrap_or(ch.len());
                }
                t_ours += cpu() - t;
            }
            if mode != "ours" {
                // One reusable context, as ours (and as wimlib keeps one per thread).
                let l = lib.as_ref().unwrap();
                let t = cpu();
                let mut lc =
                    libwim::LibCompressor::new(l, libwim::Ctype::Lzms, chunk, lib_level).unwrap();
                let mut out = Vec::new();
                s_lib = 0;
                for ch in data.chunks(chunk) {
                    s_lib += lc.compress_into(ch, &mut out).unwrap_or(ch.len());
                }
                drop(lc);
                t_lib += cpu() - t;
            }
        }
        println!(
            "chunk {:>6}K L{:<3} ours {:>10} {:7.3}s  libwim L{:<3} {:>10} {:7.3}s  size {:.4} speed {:.2}",
            chunk / 1024,
            level,
            s_ours,
            t_ours,
            lib_level,
            s_lib,
            t_lib,
            s_ours as f64 / s_lib.max(1) as f64,
            t_lib / t_ours.max(1e-9)
        );
    }
}
