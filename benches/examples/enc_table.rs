//! Our XPRESS/LZX encoders against libwim's (`wimlib_compress`) on a fixed sample of the wine
//! corpus (the first MIB MiB of the concatenated DLLs/EXEs, sorted by path), 32 KiB chunks,
//! one thread.
//!
//! Both tools compress the same chunks with one reusable context each (libwim's context is
//! created once per level, as wimlib itself does when writing a WIM). Speed is measured as
//! the CPU time of this thread (`/proc/thread-self/schedstat`, falling back to wall time), so
//! other processes on a busy machine disturb it little. Every configuration runs REPS times,
//! ours and libwim alternating, and the fastest run is kept.
//!
//! Run:
//! - `cargo run --release -p wimkit-benches --example enc_table [-- MIB [LEVELS...]]`:
//!   ratio table (size ours/libwim, < 1 = smaller; speed ours/libwim, > 1 = faster) of our
//!   LEVELS (default 1 20 35 50 70 100) against libwim at 20, 50 and 100.
//! - `cargo run --release -p wimkit-benches --example enc_table -- final [MIB [REPS]]`: the
//!   issue's table in Markdown (per codec: ours at 1, 20, 35, 50, 70, 100 and libwim at 20,
//!   50, 100: total compressed bytes, ratio to input and MB/s), then the acceptance checks.
//!
//! - `enc_table -- lzx|xpress MIB LEVELS... [vs LIBLEVELS...]`: the ratio table for one codec
//!   against chosen libwim levels.
//! - `enc_table -- worst xpress|lzx LEVEL [MIB [N]]`: the N chunks where ours is largest
//!   against libwim's at the same level; `LENS=CHUNK` also prints both XPRESS outputs' match
//!   code lengths for that chunk (which offset/length symbols each side uses).
//! - `enc_table -- buckets LEVEL LIBLEVEL [MIB]`: XPRESS time and size per chunk, summed by
//!   libwim's ratio (wall time, best of 3 per chunk): where time goes on barely
//!   compressible chunks.
//! - `enc_table -- ours xpress|lzx LEVEL [MIB]`: only our encoder, once (for profilers);
//!   `enc_table -- lib xpress|lzx LEVEL [MIB]`: only libwim's.
//!
//! Environment: `REPS` (default 3) repetitions per configuration; `CODECS=xpress|lzx` limits
//! the ratio table and the final table to one codec; `FILES=1` takes whole files and
//! restarts the chunks at each file (short last chunks, as a WIM stores them); `FILE=PATH`
//! measures one file instead of the corpus.
#![allow(missing_docs, unsafe_code)]

use libloading::{Library, Symbol};
use std::ffi::c_void;
use std::time::Instant;
use wim_compress::Compressor;
use wim_compress::lzx::LzxCompressor;
use wim_compress::xpress::XpressCompressor;

const CHUNK: usize = 32768;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Xpress = 1,
    Lzx = 2,
}

type CreateComp = unsafe extern "C" fn(i32, usize, u32, *mut *mut c_void) -> i32;
type Compress =
    unsafe extern "C" fn(*const c_void, usize, *mut c_void, usize, *mut c_void) -> usize;
type FreeComp = unsafe extern "C" fn(*mut c_void);

/// libwim.so.15, loaded at run time (bench-only oracle, never linked into the product).
struct LibWim {
    lib: Library,
}

/// One reusable libwim compressor context.
struct LibComp<'a> {
    lib: &'a LibWim,
    ctx: *mut c_void,
}

impl LibWim {
    fn load() -> Option<LibWim> {
        for name in ["libwim.so.15", "/usr/lib/x86_64-linux-gnu/libwim.so.15"] {
            // SAFETY: loading a system library whose initialisers are well behaved.
            if let Ok(lib) = unsafe { Library::new(name) } {
                return Some(LibWim { lib });
            }
        }
        eprintln!("SKIP: libwim.so.15 not found (apt-get install libwim15)");
        None
    }

    fn compressor(&self, kind: Kind, level: u32) -> Option<LibComp<'_>> {
        // SAFETY: wimlib_create_compressor has this C signature (wimlib.h); `ctx` is a valid
        // out-pointer.
        unsafe {
            let create: Symbol<CreateComp> = self.lib.get(b"wimlib_create_compressor\0").ok()?;
            let mut ctx: *mut c_void = std::ptr::null_mut();
            if create(kind as i32, CHUNK, level, &mut ctx) != 0 || ctx.is_null() {
                return None;
            }
            Some(LibComp { lib: self, ctx })
        }
    }
}

impl LibComp<'_> {
    /// Compressed size of `src` into `dst` (`dst.len() < src.len()`), 0 = did not shrink.
    fn compress(&mut self, src: &[u8], dst: &mut [u8]) -> usize {
        // SAFETY: wimlib_compress has this C signature; both buffers are valid for the
        // lengths passed; `ctx` is a live compressor for chunks of CHUNK >= src.len() bytes.
        unsafe {
            let Ok(f) = self.lib.lib.get::<Compress>(b"wimlib_compress\0") else {
                return 0;
            };
            f(
                src.as_ptr().cast(),
                src.len(),
                dst.as_mut_ptr().cast(),
                dst.len(),
                self.ctx,
            )
        }
    }
}

impl Drop for LibComp<'_> {
    fn drop(&mut self) {
        // SAFETY: `ctx` came from wimlib_create_compressor and is freed once.
        unsafe {
            if let Ok(free) = self.lib.lib.get::<FreeComp>(b"wimlib_free_compressor\0") {
                free(self.ctx);
            }
        }
    }
}

/// CPU seconds used by this thread so far (wall-clock fallback).
fn cpu_now() -> f64 {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    if let Ok(s) = std::fs::read_to_string("/proc/thread-self/schedstat")
        && let Some(ns) = s
            .split_whitespace()
            .next()
            .and_then(|x| x.parse::<u64>().ok())
    {
        return ns as f64 / 1e9;
    }
    START.get_or_init(Instant::now).elapsed().as_secs_f64()
}

/// File lengths of the sample when `FILES=1`: chunks then restart at every file, as in a
/// WIM (each file's last chunk is short), instead of running across file boundaries.
static FILE_LENS: std::sync::OnceLock<Vec<usize>> = std::sync::OnceLock::new();

/// The first `bytes` of the concatenated wine DLLs/EXEs (sorted by path); empty if absent.
/// With `FILES=1`: whole files until at least `bytes`; with `FILE=PATH`: that file's
/// first `bytes`.
fn sample(bytes: usize) -> Vec<u8> {
    if let Ok(path) = std::env::var("FILE") {
        let mut d = std::fs::read(path).unwrap_or_default();
        d.truncate(bytes);
        return d;
    }
    if std::env::var("FILES").is_ok_and(|v| v == "1") {
        let files = wimkit_benches::wine_pe_files(bytes);
        let _ = FILE_LENS.set(files.iter().map(Vec::len).collect());
        return files.concat();
    }
    wimkit_benches::wine_pe_sample(bytes)
}

/// The chunks of `data`: 32 KiB pieces, restarting at each file under `FILES=1`.
fn pieces(data: &[u8]) -> Vec<&[u8]> {
    let Some(lens) = FILE_LENS.get() else {
        return data.chunks(CHUNK).collect();
    };
    let mut out = Vec::new();
    let mut rest = data;
    for &n in lens {
        let (file, tail) = rest.split_at(n.min(rest.len()));
        out.extend(file.chunks(CHUNK));
        rest = tail;
    }
    out
}

/// (total compressed bytes with raw fallback, CPU seconds).
fn ours_once(kind: Kind, level: u32, data: &[u8]) -> (usize, f64) {
    let mut c = our_compressor(kind, level);
    let mut dst = vec![0u8; CHUNK];
    let pieces = pieces(data);
    let t = cpu_now();
    let mut total = 0;
    for piece in pieces {
        total += c
            .compress(piece, &mut dst[..piece.len()])
            .unwrap_or(piece.len());
    }
    (total, cpu_now() - t)
}

fn theirs_once(lib: &LibWim, kind: Kind, level: u32, data: &[u8]) -> (usize, f64) {
    let Some(mut c) = lib.compressor(kind, level) else {
        return (0, f64::NAN);
    };
    let mut dst = vec![0u8; CHUNK];
    let pieces = pieces(data);
    let t = cpu_now();
    let mut total = 0;
    for piece in pieces {
        let n = c.compress(piece, &mut dst[..piece.len() - 1]);
        total += if n == 0 { piece.len() } else { n };
    }
    (total, cpu_now() - t)
}

/// One measured configuration.
#[derive(Debug, Clone, Copy)]
struct Row {
    lib: bool,
    level: u32,
    size: usize,
    secs: f64,
}

/// Runs every configuration `reps` times, alternating tools, keeping the fastest time.
fn measure(lib: &LibWim, kind: Kind, ours: &[u32], libs: &[u32], data: &[u8]) -> Vec<Row> {
    let reps: usize = std::env::var("REPS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let mut rows: Vec<Row> = libs
        .iter()
        .map(|&level| Row {
            lib: true,
            level,
            size: 0,
            secs: f64::INFINITY,
        })
        .chain(ours.iter().map(|&level| Row {
            lib: false,
            level,
            size: 0,
            secs: f64::INFINITY,
        }))
        .collect();
    // Interleave: lib L, ours L', lib L'', ... so drifting machine load hits both alike.
    let nl = libs.len();
    let mut order = Vec::new();
    for k in 0..rows.len().max(1) {
        if k < nl {
            order.push(k);
        }
        if k < ours.len() {
            order.push(nl + k);
        }
    }
    for _ in 0..reps.max(1) {
        for &k in &order {
            let r = &mut rows[k];
            let (s, t) = if r.lib {
                theirs_once(lib, kind, r.level, data)
            } else {
                ours_once(kind, r.level, data)
            };
            r.size = s;
            r.secs = r.secs.min(t);
        }
    }
    rows
}

/// `CODECS=xpress` (or `lzx`) limits the ratio table and the final table to one codec.
fn codec_wanted(name: &str) -> bool {
    std::env::var("CODECS").map_or(true, |c| c.to_lowercase().contains(&name.to_lowercase()))
}

fn ratio_table(lib: &LibWim, data: &[u8], our_levels: &[u32], lib_levels: &[u32], kinds: &[Kind]) {
    let mb = data.len() as f64 / 1e6;
    for (name, kind) in [("XPRESS", Kind::Xpress), ("LZX", Kind::Lzx)] {
        if !kinds.contains(&kind) || !codec_wanted(name) {
            continue;
        }
        let rows = measure(lib, kind, our_levels, lib_levels, data);
        let base: Vec<Row> = rows.iter().copied().filter(|r| r.lib).collect();
        for r in &base {
            println!(
                "{name:6} libwim L{:<3} size {:>10} ({:.4}) {:>7.1} MB/s",
                r.level,
                r.size,
                r.size as f64 / data.len() as f64,
                mb / r.secs
            );
        }
        for r in rows.iter().filter(|r| !r.lib) {
            let mut line = format!(
                "{name:6} ours   L{:<3} size {:>10} ({:.4}) {:>7.1} MB/s |",
                r.level,
                r.size,
                r.size as f64 / data.len() as f64,
                mb / r.secs
            );
            for b in &base {
                line += &format!(
                    " vs L{}: size x{:.4} speed x{:.2}",
                    b.level,
                    r.size as f64 / b.size as f64,
                    b.secs / r.secs
                );
            }
            println!("{line}");
        }
    }
}

fn final_table(lib: &LibWim, data: &[u8]) {
    let mb = data.len() as f64 / 1e6;
    let ours = [1u32, 20, 35, 50, 70, 100];
    let libs = [20u32, 50, 100];
    println!(
        "Sample: first {:.1} MB of the wine corpus (PE files sorted by path), 32 KiB chunks, \
         one thread, CPU time, best of REPS runs.\n",
        mb
    );
    println!("| Codec | Tool | Level | Compressed bytes | Ratio | MB/s |");
    println!("|---|---|---:|---:|---:|---:|");
    let mut checks = Vec::new();
    for (name, kind, speed_goal) in [("XPRESS", Kind::Xpress, 1.5), ("LZX", Kind::Lzx, 1.3)] {
        if !codec_wanted(name) {
            continue;
        }
        let rows = measure(lib, kind, &ours, &libs, data);
        for r in rows
            .iter()
            .filter(|r| r.lib)
            .chain(rows.iter().filter(|r| !r.lib))
        {
            println!(
                "| {name} | {} | {} | {} | {:.4} | {:.1} |",
                if r.lib { "libwim" } else { "wimkit" },
                r.level,
                r.size,
                r.size as f64 / data.len() as f64,
                mb / r.secs
            );
        }
        let find = |lib: bool, level: u32| rows.iter().find(|r| r.lib == lib && r.level == level);
        if let (Some(o), Some(t)) = (find(false, 50), find(true, 50)) {
            let (sr, vr) = (o.size as f64 / t.size as f64, t.secs / o.secs);
            checks.push(format!(
                "{name} L50: size x{sr:.4} (goal <= 1.00) speed x{vr:.2} (goal >= {speed_goal}) {}",
                if sr <= 1.0 && vr >= speed_goal {
                    "PASS"
                } else {
                    "FAIL"
                }
            ));
        }
        for &ll in &libs {
            let Some(t) = find(true, ll) else { continue };
            let winners: Vec<String> = rows
                .iter()
                .filter(|r| !r.lib && r.size < t.size && r.secs < t.secs)
                .map(|r| format!("L{}", r.level))
                .collect();
            checks.push(format!(
                "{name} libwim L{ll}: ours smaller and faster at {} {}",
                if winners.is_empty() {
                    "-".to_string()
                } else {
                    winners.join(", ")
                },
                if winners.is_empty() { "FAIL" } else { "PASS" }
            ));
        }
    }
    println!();
    for c in checks {
        println!("- {c}");
    }
}

/// Our encoder of `kind` at `level` for 32 KiB chunks.
fn our_compressor(kind: Kind, level: u32) -> Box<dyn Compressor> {
    match kind {
        Kind::Xpress => Box::new(XpressCompressor::new(CHUNK, level).unwrap()),
        Kind::Lzx => Box::new(LzxCompressor::new(CHUNK, level).unwrap()),
    }
}

/// Prints the `n` chunks where ours is largest against libwim (same level).
fn worst_chunks(lib: &LibWim, kind: Kind, level: u32, data: &[u8], n: usize) {
    let Some(mut theirs) = lib.compressor(kind, level) else {
        return;
    };
    let mut ours = our_compressor(kind, level);
    let mut dst = vec![0u8; CHUNK];
    let mut rows = Vec::new();
    let mut offset = 0usize;
    for (i, piece) in pieces(data).into_iter().enumerate() {
        let a = ours
            .compress(piece, &mut dst[..piece.len()])
            .unwrap_or(piece.len());
        let b = match theirs.compress(piece, &mut dst[..piece.len() - 1]) {
            0 => piece.len(),
            b => b,
        };
        if std::env::var("LENS")
            .ok()
            .and_then(|t| t.parse::<usize>().ok())
            == Some(i)
        {
            let mut o2 = vec![0u8; CHUNK];
            let a2 = ours.compress(piece, &mut o2[..piece.len()]).unwrap_or(0);
            let mut o3 = vec![0u8; CHUNK];
            let b2 = theirs.compress(piece, &mut o3[..piece.len() - 1]);
            if let Ok(dir) = std::env::var("DUMP") {
                // `DUMP=DIR`: the chunk and both outputs as files, for item-level comparison.
                let _ = std::fs::write(format!("{dir}/chunk.bin"), piece);
                let _ = std::fs::write(format!("{dir}/ours.bin"), &o2[..a2]);
                let _ = std::fs::write(format!("{dir}/libwim.bin"), &o3[..b2]);
            }
            for (name, o, n) in [("ours", &o2, a2), ("libwim", &o3, b2)] {
                let lens: Vec<u8> = o[..256].iter().flat_map(|&b| [b & 15, b >> 4]).collect();
                let used = lens[..256].iter().filter(|&&l| l > 0).count();
                println!(
                    "{name} {n} bytes: {used} literals coded; match code lengths by offset bits k (length headers 0..15):"
                );
                for k in 0..16 {
                    let row = &lens[256 + 16 * k..256 + 16 * k + 16];
                    println!("  k{k:2} {:?}", row);
                }
            }
        }
        if std::env::var("TRACE")
            .ok()
            .and_then(|t| t.parse::<usize>().ok())
            == Some(i)
        {
            use wim_compress::Decompressor;
            let mut d = wim_compress::lzx::LzxDecompressor::new(CHUNK).unwrap();
            let mut out = vec![0u8; piece.len()];
            let mut o2 = vec![0u8; CHUNK];
            let a2 = ours.compress(piece, &mut o2[..piece.len()]).unwrap();
            eprintln!("OURS {a2}");
            d.decompress(&o2[..a2], &mut out).unwrap();
            let b2 = theirs.compress(piece, &mut o2[..piece.len() - 1]);
            eprintln!("THEIRS {b2}");
            d.decompress(&o2[..b2], &mut out).unwrap();
        }
        rows.push((a as i64 - b as i64, i, offset, piece.len(), a, b));
        offset += piece.len();
    }
    let total: i64 = rows.iter().map(|r| r.0).sum();
    rows.sort_by_key(|r| std::cmp::Reverse(r.0));
    println!(
        "{kind:?} L{level}: ours - libwim = {total} bytes over {} chunks",
        rows.len()
    );
    println!("chunk offset len ours libwim diff");
    for r in rows.iter().take(n) {
        println!("{} {} {} {} {} {:+}", r.1, r.2, r.3, r.4, r.5, r.0);
    }
}

/// Per-chunk time and size by ratio bucket, ours against libwim (same level): where the
/// time goes on chunks that barely shrink or do not shrink at all.
fn chunk_buckets(lib: &LibWim, kind: Kind, level: u32, lib_level: u32, data: &[u8]) {
    let Some(mut theirs) = lib.compressor(kind, lib_level) else {
        return;
    };
    let mut ours = our_compressor(kind, level);
    let mut dst = vec![0u8; CHUNK];
    // Buckets by libwim's ratio: [<0.3, <0.5, <0.7, <0.9, <1.0, raw].
    let mut b = [[0f64; 6]; 6];
    for piece in pieces(data) {
        let mut ta = f64::INFINITY;
        let mut tb = f64::INFINITY;
        let (mut a, mut bb) = (0, 0);
        for _ in 0..3 {
            let t = Instant::now();
            a = ours
                .compress(piece, &mut dst[..piece.len()])
                .unwrap_or(piece.len());
            ta = ta.min(t.elapsed().as_secs_f64());
            let t = Instant::now();
            bb = match theirs.compress(piece, &mut dst[..piece.len() - 1]) {
                0 => piece.len(),
                x => x,
            };
            tb = tb.min(t.elapsed().as_secs_f64());
        }
        let r = bb as f64 / piece.len() as f64;
        let k = if bb >= piece.len() {
            5
        } else {
            [0.3, 0.5, 0.7, 0.9, 1.0]
                .iter()
                .position(|&x| r < x)
                .unwrap_or(4)
        };
        let row = &mut b[k];
        row[0] += 1.0;
        row[1] += piece.len() as f64;
        row[2] += a as f64;
        row[3] += bb as f64;
        row[4] += ta;
        row[5] += tb;
    }
    println!("bucket chunks in ours libwim ours_s lib_s speed_ratio");
    for (name, r) in ["<0.3", "<0.5", "<0.7", "<0.9", "<1.0", "raw"]
        .iter()
        .zip(&b)
    {
        println!(
            "{name} {} {} {} {} {:.4} {:.4} {:.2}",
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            r[5],
            r[5] / r[4]
        );
    }
}

/// `MODE xpress|lzx LEVEL MIB`: the codec (LZX unless `xpress`), the level (default 50) and
/// the sample size in MiB (default 8).
fn kind_level_mib(args: &[String]) -> (Kind, u32, usize) {
    let kind = if args.get(1).is_some_and(|a| a == "xpress") {
        Kind::Xpress
    } else {
        Kind::Lzx
    };
    let level = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(50);
    let mib = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(8);
    (kind, level, mib)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "ours") {
        // Profiling aid: `ours xpress|lzx LEVEL [MIB]` runs only our encoder once.
        let (kind, level, mib) = kind_level_mib(&args);
        let data = sample(mib << 20);
        let (s, t) = ours_once(kind, level, &data);
        println!(
            "{kind:?} L{level}: {s} bytes, {:.1} MB/s",
            data.len() as f64 / 1e6 / t
        );
        return;
    }
    let Some(lib) = LibWim::load() else { return };
    if args.first().is_some_and(|a| a == "lib") {
        // Profiling aid: `lib xpress|lzx LEVEL [MIB]` runs only libwim's encoder once.
        let (kind, level, mib) = kind_level_mib(&args);
        let data = sample(mib << 20);
        let (s, t) = theirs_once(&lib, kind, level, &data);
        println!(
            "libwim {kind:?} L{level}: {s} bytes, {:.1} MB/s",
            data.len() as f64 / 1e6 / t
        );
        return;
    }
    if args.first().is_some_and(|a| a == "buckets") {
        // `buckets LEVEL LIBLEVEL [MIB]`: per-chunk times by libwim's ratio (XPRESS).
        let level: u32 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(50);
        let ll: u32 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(50);
        let mib: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(8);
        if let Some(lib) = LibWim::load() {
            chunk_buckets(&lib, Kind::Xpress, level, ll, &sample(mib << 20));
        }
        return;
    }
    if args.first().is_some_and(|a| a == "worst") {
        // `worst xpress|lzx LEVEL [MIB [N]]`: the N chunks (default 10) where our output
        // is largest against libwim's at the same level (chunk index, file offset, sizes).
        let (kind, level, mib) = kind_level_mib(&args);
        let n: usize = args.get(4).and_then(|a| a.parse().ok()).unwrap_or(10);
        worst_chunks(&lib, kind, level, &sample(mib << 20), n);
        return;
    }
    if args.first().is_some_and(|a| a == "final") {
        let mib: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(32);
        if let Some(r) = args.get(2) {
            // SAFETY: single-threaded at this point; nothing else reads the environment.
            unsafe { std::env::set_var("REPS", r) };
        }
        let data = sample(mib << 20);
        if data.is_empty() {
            eprintln!("SKIP: /tmp/wim-corpus/wine absent");
            return;
        }
        final_table(&lib, &data);
        return;
    }
    // `lzx|xpress MIB OURS... [vs LIBS...]`: one codec, chosen libwim levels.
    let (kinds, args) = match args.first().map(String::as_str) {
        Some("lzx") => (vec![Kind::Lzx], args[1..].to_vec()),
        Some("xpress") => (vec![Kind::Xpress], args[1..].to_vec()),
        _ => (vec![Kind::Xpress, Kind::Lzx], args),
    };
    let vs = args.iter().position(|a| a == "vs").unwrap_or(args.len());
    let lib_levels: Vec<u32> = if vs < args.len() {
        args[vs + 1..]
            .iter()
            .filter_map(|a| a.parse().ok())
            .collect()
    } else {
        vec![20, 50, 100]
    };
    let args = &args[..vs];
    let mib: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(32);
    let our_levels: Vec<u32> = if args.len() > 1 {
        args[1..].iter().filter_map(|a| a.parse().ok()).collect()
    } else {
        vec![1, 20, 35, 50, 70, 100]
    };
    let data = sample(mib << 20);
    if data.is_empty() {
        eprintln!("SKIP: /tmp/wim-corpus/wine absent");
        return;
    }
    println!(
        "sample: {:.1} MB of wine PE files, 32 KiB chunks, one thread, CPU time",
        data.len() as f64 / 1e6
    );
    ratio_table(&lib, &data, &our_levels, &lib_levels, &kinds);
}
