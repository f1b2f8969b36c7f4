//! Hostile input must not make the reader allocate beyond the file's size class.
//!
//! A counting global allocator records the peak heap in use while each hostile file is
//! opened and read completely (every image's metadata, every blob, the integrity table).
//! The bound is a fixed allowance for codec contexts and chunk buffers plus a small
//! multiple of the file size: declared sizes (petabyte blobs, huge counts) must be
//! refused before anything is allocated for them. This file holds one test on purpose:
//! the allocator is process-wide.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use wim_format::wim::OpenOptions;

struct Counting;
static IN_USE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts bytes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            let now = IN_USE.fetch_add(l.size(), Ordering::Relaxed) + l.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        IN_USE.fetch_sub(l.size(), Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let q = unsafe { System.realloc(p, l, new) };
        if !q.is_null() {
            if new >= l.size() {
                let now = IN_USE.fetch_add(new - l.size(), Ordering::Relaxed) + new - l.size();
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                IN_USE.fetch_sub(l.size() - new, Ordering::Relaxed);
            }
        }
        q
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Opens and reads everything; errors are expected and ignored (only memory matters).
fn read_all(parts: &[std::path::PathBuf]) {
    let Ok(wim) = OpenOptions::new()
        .references(parts[1..].iter().cloned())
        .open(&parts[0])
    else {
        return;
    };
    let _ = wim.check_integrity();
    let _ = wim.xml_bytes();
    for i in 1..=wim.image_count() {
        let Some(ix) = wim_format::ImageIndex::new(i) else {
            continue;
        };
        if let Ok(b) = wim.metadata_bytes(ix) {
            let _ = wim_format::metadata::ImageMetadata::parse(&b, wim.limits());
        }
    }
    let _ = wim.verify_blobs(&|_| {});
}

/// Peak bytes allocated while running `f`, above what was in use before.
fn peak_of(f: impl FnOnce()) -> usize {
    let base = IN_USE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    f();
    PEAK.load(Ordering::Relaxed).saturating_sub(base)
}

/// Fixed allowance: codec contexts (LZMS tables ~1 MiB each), per-thread chunk buffers and
/// the parallel window for small files, plus 64 bytes per byte of file.
fn bound(file_len: u64) -> usize {
    (24usize << 20) + 64 * file_len as usize
}

#[test]
fn hostile_files_allocate_within_their_size_class() {
    // Warm up rayon's global pool so its one-time allocations are not charged to a file.
    rayon::broadcast(|_| ());
    let mut checked = 0;
    let mut report = Vec::new();
    if let Some(dir) = wim_testdata::real::real_dir() {
        for p in wim_testdata::real::real_files() {
            if !wim_testdata::real::is_bad(&p) {
                continue;
            }
            let len = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
            let peak = peak_of(|| read_all(std::slice::from_ref(&p)));
            report.push(format!(
                "{:>10} peak for {:>8} byte file {}",
                peak,
                len,
                p.display()
            ));
            assert!(
                peak <= bound(len),
                "{}: peak heap {peak} bytes exceeds bound {} for a {len}-byte file",
                p.display(),
                bound(len)
            );
            checked += 1;
        }
        let _ = dir;
    }
    let tmp = tempfile::tempdir().unwrap();
    for m in wim_testdata::mutation::Mutation::all() {
        let mutated = m.apply();
        let dir = tmp.path().join(m.name());
        std::fs::create_dir_all(&dir).unwrap();
        let parts = mutated.write_to(&dir).unwrap();
        let len: u64 = parts
            .iter()
            .map(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
            .sum();
        let peak = peak_of(|| read_all(&parts));
        report.push(format!(
            "{:>10} peak for {:>8} byte mutation {}",
            peak,
            len,
            m.name()
        ));
        assert!(
            peak <= bound(len),
            "mutation {}: peak heap {peak} bytes exceeds bound {} for {len} bytes of input",
            m.name(),
            bound(len)
        );
        checked += 1;
    }
    println!("{}", report.join("\n"));
    assert!(checked >= 40, "only {checked} hostile inputs checked");
}
