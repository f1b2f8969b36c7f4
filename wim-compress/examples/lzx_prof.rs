//! Profiling driver for the LZX decoder against libwim's.
//!
//! `lzx_prof [CHUNK] [ROUNDS] [MiB]`: takes the first MiB (default 32) of the DLLs in
//! `/tmp/wim-corpus/wine`, compresses it with libwim (level 50) in CHUNK-byte chunks (cached
//! in /tmp), checks our decoder against the input, then decodes all chunks ROUNDS times with
//! ours and with a persistent libwim context, alternating, and prints the best per-thread
//! CPU time of each (from `/proc/thread-self/schedstat`).
#![allow(unsafe_code)]
#[path = "../tests/common/libwim.rs"]
mod libwim;
use libloading::{Library, Symbol};
use std::ffi::c_void;
use wim_compress::{Decompressor, lzx::LzxDecompressor};

fn cpu() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(0.0, |ns| ns as f64 / 1e9)
}

fn walk(dir: &std::path::Path, files: &mut Vec<std::path::PathBuf>) {
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let (p, ft) = (e.path(), e.file_type());
            match ft {
                Ok(t) if t.is_dir() => walk(&p, files),
                Ok(t) if t.is_file() => files.push(p),
                _ => {}
            }
        }
    }
}

fn corpus(limit: usize) -> Vec<u8> {
    let mut files = Vec::new();
    walk(std::path::Path::new("/tmp/wim-corpus/wine"), &mut files);
    files.sort();
    let mut data = Vec::new();
    for f in files {
        if data.len() >= limit {
            break;
        }
        if let Ok(b) = std::fs::read(&f) {
            data.extend_from_slice(&b);
        }
    }
    data.truncate(limit);
    data
}

/// (uncompressed length, compressed bytes or empty when stored).
fn chunks(chunk: usize, mib: usize) -> (Vec<u8>, Vec<(usize, Vec<u8>)>) {
    let data = corpus(mib << 20);
    let cache = format!("/tmp/lzx_prof_{chunk}_{mib}.bin");
    let mut out = Vec::new();
    if let Ok(c) = std::fs::read(&cache) {
        let mut p = 0;
        while p < c.len() {
            let ul = u32::from_le_bytes(c[p..p + 4].try_into().unwrap()) as usize;
            let cl = u32::from_le_bytes(c[p + 4..p + 8].try_into().unwrap()) as usize;
            out.push((ul, c[p + 8..p + 8 + cl].to_vec()));
            p += 8 + cl;
        }
        return (data, out);
    }
    let lib = libwim::LibWim::load().unwrap();
    let mut c = Vec::new();
    for ch in data.chunks(chunk) {
        let z = lib
            .compress(libwim::Ctype::Lzx, chunk, 50, ch)
            .unwrap_or_default();
        c.extend_from_slice(&(ch.len() as u32).to_le_bytes());
        c.extend_from_slice(&(z.len() as u32).to_le_bytes());
        c.extend_from_slice(&z);
        out.push((ch.len(), z));
    }
    std::fs::write(&cache, c).unwrap();
    (data, out)
}

type CreateDec = unsafe extern "C" fn(i32, usize, *mut *mut c_void) -> i32;
type Decompress =
    unsafe extern "C" fn(*const c_void, usize, *mut c_void, usize, *mut c_void) -> i32;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let chunk: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(32768);
    let rounds: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10);
    let mib: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(32);
    let mode = args.get(4).cloned().unwrap_or("both".into());
    let (data, zs) = chunks(chunk, mib);
    let mut ours = LzxDecompressor::new(chunk).unwrap();
    let mut out = vec![0u8; chunk];
    // Correctness first.
    for ((ul, z), orig) in zs.iter().zip(data.chunks(chunk)) {
        if z.is_empty() {
            continue;
        }
        ours.decompress(z, &mut out[..*ul]).unwrap();
        assert_eq!(&out[..*ul], orig);
    }
    // SAFETY: loading a system library whose initialisers are well behaved.
    let lib = unsafe { Library::new("libwim.so.15") }.unwrap();
    // SAFETY: the symbol has the C signature `CreateDec` (wimlib.h).
    let create: Symbol<CreateDec> = unsafe { lib.get(b"wimlib_create_decompressor\0") }.unwrap();
    // SAFETY: the symbol has the C signature `Decompress` (wimlib.h).
    let dec: Symbol<Decompress> = unsafe { lib.get(b"wimlib_decompress\0") }.unwrap();
    let mut ctx: *mut c_void = std::ptr::null_mut();
    // SAFETY: `ctx` is a valid out-pointer; 2 = LZX. The context lives until exit.
    assert_eq!(unsafe { create(2, chunk, &mut ctx) }, 0);
    let (mut best_o, mut best_l) = (f64::MAX, f64::MAX);
    for _ in 0..rounds {
        if mode != "lib" {
            let t = cpu();
            for (ul, z) in &zs {
                if !z.is_empty() {
                    ours.decompress(z, &mut out[..*ul]).unwrap();
                }
            }
            best_o = best_o.min(cpu() - t);
        }
        if mode != "ours" {
            let t = cpu();
            for (ul, z) in &zs {
                if !z.is_empty() {
                    // SAFETY: `z` and `out[..ul]` are valid for the lengths passed; `ctx`
                    // was created for this chunk size.
                    let r = unsafe {
                        dec(
                            z.as_ptr().cast(),
                            z.len(),
                            out.as_mut_ptr().cast(),
                            *ul,
                            ctx,
                        )
                    };
                    assert_eq!(r, 0);
                }
            }
            best_l = best_l.min(cpu() - t);
        }
    }
    println!(
        "LZX {}K x{}: ours {:.4}s libwim {:.4}s ratio {:.3}",
        chunk / 1024,
        zs.len(),
        best_o,
        best_l,
        best_o / best_l
    );
}
