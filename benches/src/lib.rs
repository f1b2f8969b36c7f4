//! Criterion benchmarks for wimkit live in `benches/`; see README.md. This library holds
//! what several of them share: the benchmark input drawn from the `wine` corpus
//! (`../shared/bench/corpus.sh`).

use std::path::{Path, PathBuf};

/// Where `corpus.sh` puts the wine corpus.
pub const WINE: &str = "/tmp/wim-corpus/wine";

/// The PE files (`.dll`, `.exe`) under `dir`, sorted by path.
pub fn pe_files(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        let mut ents: Vec<_> = rd.flatten().map(|e| e.path()).collect();
        ents.sort();
        for p in ents {
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|e| e == "dll" || e == "exe") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out
}

/// The first `bytes` of the wine PE files concatenated in path order, or of a few system
/// binaries when the corpus is absent (a line on stderr says so).
pub fn wine_sample(bytes: usize) -> Vec<u8> {
    let mut files = pe_files(Path::new(WINE));
    if files.is_empty() {
        eprintln!("NOTE: {WINE} absent (../shared/bench/corpus.sh); using /usr/bin binaries");
        files = [
            "/usr/bin/bash",
            "/usr/bin/gdb",
            "/usr/bin/perf",
            "/usr/bin/cargo",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
    }
    concat_first(&files, bytes)
}

/// The first `bytes` of the wine PE files concatenated in path order; empty when the corpus
/// is absent.
pub fn wine_pe_sample(bytes: usize) -> Vec<u8> {
    concat_first(&pe_files(Path::new(WINE)), bytes)
}

/// Whole wine DLLs/EXEs (sorted by path) until they hold at least `bytes`; empty if
/// the corpus is absent.
pub fn wine_pe_files(bytes: usize) -> Vec<Vec<u8>> {
    let mut total = 0;
    let mut out = Vec::new();
    for f in pe_files(Path::new(WINE)) {
        if total >= bytes {
            break;
        }
        if let Ok(d) = std::fs::read(f) {
            total += d.len();
            out.push(d);
        }
    }
    out
}

/// The first `bytes` of `files` concatenated (unreadable files are skipped).
fn concat_first(files: &[PathBuf], bytes: usize) -> Vec<u8> {
    let mut v = Vec::new();
    for f in files {
        if let Ok(d) = std::fs::read(f) {
            v.extend_from_slice(&d);
        }
        if v.len() >= bytes {
            break;
        }
    }
    v.truncate(bytes);
    v
}
