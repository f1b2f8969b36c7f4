//! Random byte flips in every real fixture: open, verify and apply each mutant.
//!
//! For each file of `shared/testdata/real` (fixed seed per file), at least 2,000 mutants
//! are made by XOR-ing 1–8 bytes with non-zero values; half of the flips land in the
//! structures the reader parses (header, blob table, XML, integrity table, metadata
//! resources), the rest anywhere. Each mutant is opened from memory, its integrity table
//! and every blob are verified, and every image (at most 4) is applied into a fresh
//! directory of a sandbox. Requirements per mutant: no panic (a panic is caught only to
//! name the mutant, and fails the test), done within 10 s, and nothing created in the
//! sandbox or its parent besides the apply destination. Fixtures run on parallel threads.
//! `WIMKIT_BYTE_FLIP_MUTANTS` raises (never lowers below 2,000) the count per file;
//! `WIMKIT_BYTE_FLIP_ONLY=substring` restricts the run to matching fixtures (debugging).

use servicing::apply::{ApplyOptions, apply_image};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wim_format::wim::OpenOptions;
use wim_format::{ImageIndex, ReadAt};
use wim_testdata::prng::XorShift64;

const MIN_MUTANTS: u64 = 2000;
const MAX_SECONDS: u64 = 10;

/// Byte ranges of the structures the reader parses in the unmutated file.
fn structure_ranges(bytes: &[u8]) -> Vec<(u64, u64)> {
    let len = bytes.len() as u64;
    let mut out = vec![(0, 208.min(len))];
    let src: Arc<dyn ReadAt> = Arc::new(bytes.to_vec());
    let Ok(wim) = OpenOptions::new().open_source(src) else {
        return out;
    };
    let h = wim.header();
    let mut add = |off: u64, size: u64| {
        let end = off.saturating_add(size).min(len);
        if off < end {
            out.push((off, end));
        }
    };
    for r in [&h.blob_table, &h.xml, &h.integrity] {
        add(r.offset, r.size_in_wim);
    }
    for e in wim
        .blob_table()
        .entries()
        .iter()
        .filter(|e| e.is_metadata())
    {
        if let wim_format::blob_table::BlobLocation::Resource { reshdr, .. } = &e.location {
            add(reshdr.offset, reshdr.size_in_wim);
        }
    }
    out
}

fn mutate(orig: &[u8], ranges: &[(u64, u64)], rng: &mut XorShift64) -> Vec<u8> {
    let mut m = orig.to_vec();
    if m.is_empty() {
        return m;
    }
    let flips = 1 + rng.below(8);
    for _ in 0..flips {
        let pos = if rng.below(2) == 0 {
            let (a, b) = ranges[rng.below(ranges.len() as u64) as usize];
            a + rng.below(b - a)
        } else {
            rng.below(m.len() as u64)
        };
        let x = 1 + rng.below(255) as u8;
        m[pos as usize] ^= x;
    }
    m
}

fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Opens, verifies and applies one mutant. Errors are expected and ignored.
fn exercise(bytes: Vec<u8>, dest: &Path) {
    let src: Arc<dyn ReadAt> = Arc::new(bytes);
    let Ok(wim) = OpenOptions::new().open_source(src) else {
        return;
    };
    let _ = wim.check_integrity();
    let _ = wim.verify_blobs(&|_| {});
    for i in 1..=wim.image_count().min(4) {
        let Some(ix) = ImageIndex::new(i) else {
            continue;
        };
        let d = dest.join(i.to_string());
        let _ = apply_image(&wim, ix, &d, &ApplyOptions::default(), &|_| {});
    }
}

struct Outcome {
    mutants: u64,
    slowest: Duration,
    total: Duration,
}

fn run_fixture(path: &Path, count: u64) -> Outcome {
    let orig = std::fs::read(path).unwrap();
    let ranges = structure_ranges(&orig);
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let seed = name
        .bytes()
        .fold(0xB17E_F11Bu64, |h, b| h.rotate_left(5) ^ u64::from(b));
    let mut rng = XorShift64::new(seed);
    // outer/ holds the sandbox and a canary directory; the sandbox holds only `out`.
    // On tmpfs when there is one: applies create thousands of small files.
    let shm = Path::new("/dev/shm");
    let outer = if shm.is_dir() {
        tempfile::tempdir_in(shm).or_else(|_| tempfile::tempdir())
    } else {
        tempfile::tempdir()
    }
    .unwrap();
    let sandbox = outer.path().join("sandbox");
    let canary = outer.path().join("canary");
    std::fs::create_dir_all(&sandbox).unwrap();
    std::fs::create_dir_all(&canary).unwrap();
    let outer_before = listing(outer.path());
    let dest = sandbox.join("out");
    let started = Instant::now();
    let mut slowest = Duration::ZERO;
    for k in 0..count {
        let m = mutate(&orig, &ranges, &mut rng);
        let t = Instant::now();
        let r = catch_unwind(AssertUnwindSafe(|| exercise(m, &dest)));
        let took = t.elapsed();
        assert!(r.is_ok(), "{name}: mutant {k} (seed 0x{seed:x}) panicked");
        assert!(
            took < Duration::from_secs(MAX_SECONDS),
            "{name}: mutant {k} (seed 0x{seed:x}) took {took:?}"
        );
        slowest = slowest.max(took);
        if took > Duration::from_secs(2) {
            println!("{name}: mutant {k} (seed 0x{seed:x}) took {took:?}");
        }
        assert_eq!(
            listing(&sandbox).iter().filter(|n| *n != "out").count(),
            0,
            "{name}: mutant {k} wrote {:?} next to the destination",
            listing(&sandbox)
        );
        assert_eq!(
            listing(outer.path()),
            outer_before,
            "{name}: mutant {k} wrote outside"
        );
        assert!(
            listing(&canary).is_empty(),
            "{name}: mutant {k} wrote into the canary"
        );
        if dest.exists() {
            std::fs::remove_dir_all(&dest).unwrap();
        }
    }
    Outcome {
        mutants: count,
        slowest,
        total: started.elapsed(),
    }
}

fn real_files() -> Option<Vec<PathBuf>> {
    wim_testdata::real::real_dir()?;
    Some(
        wim_testdata::real::real_files()
            .into_iter()
            .filter(|p| p.is_file())
            .collect(),
    )
}

#[test]
fn byte_flips_in_real_fixtures() {
    let only = std::env::var("WIMKIT_BYTE_FLIP_ONLY").ok();
    let Some(mut files) = real_files() else {
        println!("SKIP: shared/testdata/real not found; byte-flip test not run");
        return;
    };
    if let Some(only) = &only {
        // Debugging aid: run only the fixtures whose name contains this string.
        files.retain(|p| p.to_string_lossy().contains(only.as_str()));
    }
    assert!(!files.is_empty());
    let count = std::env::var("WIMKIT_BYTE_FLIP_MUTANTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(MIN_MUTANTS)
        .max(MIN_MUTANTS);
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(4);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let started = Instant::now();
    let results: Vec<(PathBuf, Outcome)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(p) = files.get(i) else { break };
                        mine.push((p.clone(), run_fixture(p, count)));
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let mut total = 0;
    for (p, o) in &results {
        println!(
            "{:>6} mutants in {:>7.2?} (slowest {:>7.2?}) {}",
            o.mutants,
            o.total,
            o.slowest,
            p.file_name().unwrap().to_string_lossy()
        );
        assert!(o.mutants >= MIN_MUTANTS);
        total += o.mutants;
    }
    assert_eq!(results.len(), files.len());
    println!(
        "byte flips: {total} mutants over {} fixtures in {:.1?} on {threads} threads",
        files.len(),
        started.elapsed()
    );
}
