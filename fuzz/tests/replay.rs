//! Replays every corpus and regression input through the target bodies on stable Rust.
use std::path::Path;
use wim_compress::CompressionKind;

fn replay(target: &str, f: impl Fn(&[u8])) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut n = 0;
    for dir in [root.join("corpus").join(target), root.join("regressions").join(target)] {
        let Ok(rd) = std::fs::read_dir(&dir) else { continue };
        let mut files: Vec<_> = rd.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        files.sort();
        for p in files {
            let data = std::fs::read(&p).unwrap();
            f(&data);
            n += 1;
        }
    }
    println!("{target}: replayed {n} inputs");
    n
}

#[test]
fn xpress_decompress() {
    replay("xpress_decompress", |d| wimkit_fuzz::decompress(CompressionKind::Xpress, d));
}
#[test]
fn lzx_decompress() {
    replay("lzx_decompress", |d| wimkit_fuzz::decompress(CompressionKind::Lzx, d));
}
#[test]
fn lzms_decompress() {
    replay("lzms_decompress", |d| wimkit_fuzz::decompress(CompressionKind::Lzms, d));
}
#[test]
fn open_wim() {
    let n = replay("open_wim", wimkit_fuzz::open_wim);
    // The real third-party fixtures are a further seed corpus, read in place (never
    // copied into the repository).
    let real = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/testdata/real");
    let Ok(rd) = std::fs::read_dir(&real) else {
        println!("SKIP: {} not found; real fixtures not replayed", real.display());
        return;
    };
    let mut files: Vec<_> = rd.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    files.sort();
    let mut m = 0;
    for p in files.iter().filter(|p| p.is_file()) {
        wimkit_fuzz::open_wim(&std::fs::read(p).unwrap());
        m += 1;
    }
    println!("open_wim: replayed {m} real fixtures");
    assert!(n + m > 0);
}
