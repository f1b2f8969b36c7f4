//! `service extract-index` under SIGKILL (fixed seed, >= 20 kills at random moments
//! spanning the whole run) on an OS media folder: afterwards `sources/install.wim` holds
//! either the original (same bytes) or the finished single-image WIM (verified with our
//! reader, its tree equal to the source image's), plus at most one temporary file (and the
//! backup hard link), never a damaged file. Also: `service optimize`, `diff --json`,
//! `export --delta-from` through the binary.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use wim_format::metadata::model::ImageTree;
use wim_format::{ImageIndex, Wim};
use wim_testdata::oracle;
use wim_testdata::prng::XorShift64;
use wim_testdata::tree::{SizeClass, make_fixture_tree};

const WIMKIT: &str = env!("CARGO_BIN_EXE_wimkit");

fn wimkit(args: &[&str]) -> std::process::Output {
    let o = Command::new(WIMKIT).args(args).output().unwrap();
    assert!(
        o.status.success(),
        "wimkit {args:?}: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn tree_of(p: &Path, i: u32) -> ImageTree {
    let w = Wim::open(p).unwrap();
    servicing::export::load_tree(&w, ImageIndex::new(i).unwrap()).unwrap()
}

/// Opens and fully verifies `p`; returns its single image's tree.
fn finished(p: &Path) -> Result<ImageTree, String> {
    let w = Wim::open(p).map_err(|e| format!("open: {e}"))?;
    if w.image_count() != 1 {
        return Err(format!("{} images", w.image_count()));
    }
    let one = ImageIndex::new(1).ok_or("index")?;
    let b = w.metadata_bytes(one).map_err(|e| e.to_string())?;
    wim_format::metadata::ImageMetadata::parse_strict(&b, w.limits()).map_err(|e| e.to_string())?;
    w.verify_blobs(&|_| {})
        .and_then(|r| r.into_result())
        .map_err(|e| format!("verify: {e}"))?;
    servicing::export::load_tree(&w, one).map_err(|e| e.to_string())
}

#[test]
fn sigkill_during_extract_index_never_damages_install_wim() {
    let d = tempfile::tempdir().unwrap();
    let tree = d.path().join("tree");
    make_fixture_tree(&tree, SizeClass::Medium).unwrap();
    let mut rng = XorShift64::new(0x5EED_0E7C);
    std::fs::write(tree.join("big1.bin"), rng.text(3 << 19)).unwrap();
    let media = d.path().join("media");
    std::fs::create_dir_all(media.join("sources")).unwrap();
    let install = media.join("sources/install.wim");
    let inst = install.to_str().unwrap();
    let t = tree.to_str().unwrap();
    wimkit(&["capture", t, inst, "one", "--compress=xpress", "--quiet"]);
    std::fs::write(tree.join("big2.bin"), rng.text(3 << 19)).unwrap();
    wimkit(&["append", t, inst, "two", "--quiet"]);
    std::fs::write(tree.join("big3.bin"), rng.text(1 << 20)).unwrap();
    wimkit(&["append", t, inst, "three", "--quiet"]);
    let original = std::fs::read(&install).unwrap();
    let want = tree_of(&install, 2);
    let base = d.path().join("orig.wim");
    std::fs::write(&base, &original).unwrap();
    let m = media.to_str().unwrap();
    // Recompressing to LZX makes the run long enough to be interrupted everywhere.
    let args = [
        "service",
        "extract-index",
        m,
        "2",
        "--compress=lzx",
        "--quiet",
    ];

    let reset = || {
        for e in std::fs::read_dir(media.join("sources")).unwrap() {
            std::fs::remove_file(e.unwrap().path()).unwrap();
        }
        std::fs::copy(&base, &install).unwrap();
    };
    reset();
    let t0 = Instant::now();
    wimkit(&args);
    let full = t0.elapsed();
    assert_eq!(finished(&install).unwrap(), want);
    assert!(media.join("sources/install.wim.bak").exists());

    let (mut kills, mut saw_old, mut saw_new) = (0u32, 0u32, 0u32);
    let mut round = 0;
    while kills < 20 {
        round += 1;
        assert!(round < 200, "could not kill the run 20 times");
        reset();
        let max = (full.as_micros() as u64).max(1000);
        let delay = Duration::from_micros(rng.below(max));
        let mut child = Command::new(WIMKIT).args(args).spawn().unwrap();
        std::thread::sleep(delay);
        let running = child.try_wait().unwrap().is_none();
        let _ = child.kill(); // SIGKILL
        let st = child.wait().unwrap();
        if running {
            kills += 1;
        } else {
            assert!(st.success(), "extract-index failed on its own: {st}");
        }
        let names: Vec<String> = std::fs::read_dir(media.join("sources"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        let temps = names.iter().filter(|n| n.contains("wimkit-tmp")).count();
        let others: Vec<&String> = names
            .iter()
            .filter(|n| !n.contains("wimkit-tmp") && *n != "install.wim" && *n != "install.wim.bak")
            .collect();
        assert!(temps <= 1 && others.is_empty(), "round {round}: {names:?}");
        let now = std::fs::read(&install)
            .unwrap_or_else(|e| panic!("round {round}: install.wim missing after {delay:?}: {e}"));
        if now == original {
            saw_old += 1;
        } else {
            let tr = finished(&install)
                .unwrap_or_else(|e| panic!("round {round}: damaged after {delay:?}: {e}"));
            assert_eq!(tr, want, "round {round}");
            saw_new += 1;
        }
        // The backup, when present, is the original.
        let bak = media.join("sources/install.wim.bak");
        if bak.exists() {
            assert_eq!(std::fs::read(&bak).unwrap(), original, "round {round}");
        }
    }
    eprintln!(
        "extract-index: {kills} kills in {round} rounds, {saw_old} original, {saw_new} finished (full run {full:?})"
    );
    assert!(saw_old > 0, "no kill landed before the rename");
    if oracle::require_wimlib("extract-index result check") {
        reset();
        wimkit(&args);
        oracle::verify(&install, &[]).unwrap();
    }
}

#[test]
fn service_optimize_reports_savings_and_diff_and_delta_work_from_the_cli() {
    let d = tempfile::tempdir().unwrap();
    let tree = d.path().join("tree");
    make_fixture_tree(&tree, SizeClass::Small).unwrap();
    let a = d.path().join("a.wim");
    let (t, aw) = (tree.to_str().unwrap(), a.to_str().unwrap());
    wimkit(&["capture", t, aw, "one", "--quiet"]);
    std::fs::write(tree.join("added.txt"), vec![b'z'; 50_000]).unwrap();
    let b = d.path().join("b.wim");
    let bw = b.to_str().unwrap();
    wimkit(&["capture", t, bw, "two", "--quiet"]);
    // diff --json
    let o = wimkit(&["diff", &format!("{aw}:1"), bw, "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["added"], 1);
    assert_eq!(v["changes"][0]["path"], "/added.txt");
    assert_eq!(v["transfer"]["blobs"], 1);
    assert_eq!(v["transfer"]["uncompressed_bytes"], 50_000);
    // export --delta-from, then apply with --ref, and without it (a clean failure).
    let delta = d.path().join("delta.wim");
    let dw = delta.to_str().unwrap();
    wimkit(&["export", bw, "1", dw, "--delta-from", aw]);
    assert!(std::fs::metadata(&delta).unwrap().len() < std::fs::metadata(&b).unwrap().len());
    let full = d.path().join("full");
    wimkit(&["apply", bw, "1", full.to_str().unwrap()]);
    let out = d.path().join("out");
    wimkit(&["apply", dw, "1", out.to_str().unwrap(), "--ref", aw]);
    oracle::diff_trees(&full, &out).unwrap();
    let bad = Command::new(WIMKIT)
        .args(["apply", dw, "1", d.path().join("bad").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(!String::from_utf8_lossy(&bad.stderr).contains("panicked"));
    // service optimize: add then delete (soft) an image, optimize drops its data.
    wimkit(&["export", bw, "1", aw, "again"]);
    wimkit(&["delete", aw, "2", "--soft"]);
    let before = std::fs::metadata(&a).unwrap().len();
    let o = wimkit(&["service", "optimize", aw]);
    let after = std::fs::metadata(&a).unwrap().len();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(after < before, "{text}");
    assert!(
        text.contains(&format!("{} bytes saved", before - after)),
        "{text}"
    );
}
