//! THE CRASH TEST: `wimkit` appending (export into an existing WIM), deleting (rebuild and
//! `--soft`), optimizing and renaming is killed with SIGKILL at random moments (fixed
//! seed, random delays spanning the whole operation). After every kill the WIM must open
//! with our reader, verify (metadata + every blob's SHA-1), and hold either exactly its
//! old images (same names and metadata hashes) or exactly the completed new state.
//! `wimlib-imagex verify` checks a sample. Bounded: stops adding rounds after ~45 s.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use wim_format::{ImageIndex, Sha1Digest, Wim};
use wim_testdata::oracle;
use wim_testdata::prng::XorShift64;
use wim_testdata::tree::{SizeClass, make_fixture_tree};

const WIMKIT: &str = env!("CARGO_BIN_EXE_wimkit");

type State = Vec<(String, Sha1Digest)>;

/// Opens and fully verifies `p`, returning its images (name, metadata hash).
fn state_of(p: &Path) -> Result<State, String> {
    let wim = Wim::open(p).map_err(|e| format!("open: {e}"))?;
    let xml = servicing::export::src_xml(&wim).map_err(|e| format!("xml: {e}"))?;
    let mut out = Vec::new();
    for i in 1..=wim.image_count() {
        let ix = ImageIndex::new(i).ok_or("index 0")?;
        let bytes = wim
            .metadata_bytes(ix)
            .map_err(|e| format!("metadata {i}: {e}"))?;
        wim_format::metadata::ImageMetadata::parse_strict(&bytes, wim.limits())
            .map_err(|e| format!("metadata {i}: {e}"))?;
        let h = wim
            .blob_table()
            .metadata(ix)
            .map(|e| e.hash)
            .ok_or("no metadata entry")?;
        let name = xml.image(ix).and_then(|x| x.name()).unwrap_or_default();
        out.push((name, h));
    }
    wim.check_integrity()
        .map_err(|e| format!("integrity: {e}"))?;
    wim.verify_blobs(&|_| {})
        .and_then(|r| r.into_result())
        .map_err(|e| format!("verify: {e}"))?;
    Ok(out)
}

fn ops(src: &Path) -> Vec<(&'static str, Vec<String>)> {
    let s = src.display().to_string();
    vec![
        (
            "export-append",
            vec![
                "export".into(),
                s.clone(),
                "1".into(),
                "W".into(),
                "added".into(),
            ],
        ),
        (
            "export-append-solid",
            vec![
                "export".into(),
                s,
                "1".into(),
                "W".into(),
                "added2".into(),
                "--solid".into(),
            ],
        ),
        ("delete", vec!["delete".into(), "W".into(), "1".into()]),
        (
            "delete-soft",
            vec!["delete".into(), "W".into(), "2".into(), "--soft".into()],
        ),
        (
            "optimize",
            vec!["optimize".into(), "W".into(), "--recompress".into()],
        ),
        (
            "optimize-xpress-check",
            vec![
                "optimize".into(),
                "W".into(),
                "--compress=xpress".into(),
                "--check".into(),
            ],
        ),
        (
            "rename",
            vec![
                "info".into(),
                "W".into(),
                "2".into(),
                "renamed".into(),
                "new description".into(),
            ],
        ),
    ]
}

fn args_for(a: &[String], work: &Path) -> Vec<String> {
    a.iter()
        .map(|x| {
            if x == "W" {
                work.display().to_string()
            } else {
                x.clone()
            }
        })
        .collect()
}

fn run_to_end(a: &[String], work: &Path) -> Duration {
    let t = Instant::now();
    let st = Command::new(WIMKIT)
        .args(args_for(a, work))
        .arg("--quiet")
        .status()
        .unwrap();
    assert!(st.success(), "{a:?} failed: {st}");
    t.elapsed()
}

#[test]
fn sigkill_during_append_delete_optimize_leaves_a_valid_wim() {
    if !oracle::require_wimlib("crash test fixtures") {
        return;
    }
    let started = Instant::now();
    let d = tempfile::tempdir().unwrap();
    let tree = d.path().join("tree");
    make_fixture_tree(&tree, SizeClass::Medium).unwrap();
    let base = d.path().join("base.wim");
    oracle::capture(&tree, &base, &["one", "--compress=lzx"]).unwrap();
    std::fs::write(tree.join("docs/changed.txt"), b"second image").unwrap();
    oracle::run(&[
        "append".as_ref(),
        tree.as_os_str(),
        base.as_os_str(),
        "two".as_ref(),
    ])
    .unwrap();
    let small = d.path().join("small");
    make_fixture_tree(&small, SizeClass::Small).unwrap();
    std::fs::write(small.join("extra.txt"), b"source of the export").unwrap();
    let src = d.path().join("src.wim");
    oracle::capture(&small, &src, &["srcimg", "--compress=lzx"]).unwrap();
    let old = state_of(&base).unwrap();
    assert_eq!(old.len(), 2);

    // The completed state and duration of every operation.
    let ops = ops(&src);
    let work = d.path().join("work.wim");
    let mut done: Vec<(State, Duration)> = Vec::new();
    for (name, a) in &ops {
        std::fs::copy(&base, &work).unwrap();
        let t = run_to_end(a, &work);
        let s = state_of(&work).unwrap_or_else(|e| panic!("{name} (complete): {e}"));
        assert_ne!(s, old, "{name} changed nothing");
        oracle::verify(&work, &[]).unwrap_or_else(|e| panic!("{name} (complete): {e}"));
        done.push((s, t));
    }

    let mut rng = XorShift64::new(0xC0A5_11ED);
    let (mut kills, mut saw_old, mut saw_new, mut wimlib_checked) = (0u32, 0u32, 0u32, 0u32);
    let budget = Duration::from_secs(45);
    let mut round = 0u64;
    while kills < 50 || (started.elapsed() < budget && kills < 200) {
        if kills >= 50 && started.elapsed() >= budget {
            break;
        }
        round += 1;
        let k = rng.below(ops.len() as u64) as usize;
        let (name, a) = &ops[k];
        let (new_state, t) = &done[k];
        std::fs::copy(&base, &work).unwrap();
        let max = (t.as_micros() as u64 * 13 / 10).max(1000);
        let delay = Duration::from_micros(rng.below(max));
        let mut child = Command::new(WIMKIT)
            .args(args_for(a, &work))
            .arg("--quiet")
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let killed = child.try_wait().unwrap().is_none();
        let _ = child.kill(); // SIGKILL
        let st = child.wait().unwrap();
        if killed {
            kills += 1;
        } else {
            assert!(st.success(), "{name} failed on its own: {st}");
        }
        let s = state_of(&work)
            .unwrap_or_else(|e| panic!("round {round}: {name} killed after {delay:?}: {e}"));
        if s == old {
            saw_old += 1;
        } else if s == *new_state {
            saw_new += 1;
        } else {
            panic!(
                "round {round}: {name} killed after {delay:?}: images {s:?}, expected {old:?} or {new_state:?}"
            );
        }
        if round.is_multiple_of(5) {
            oracle::verify(&work, &[])
                .unwrap_or_else(|e| panic!("round {round}: {name} after {delay:?}: {e}"));
            wimlib_checked += 1;
        }
        // Leftover temporary files of killed rebuilds are harmless; clear them.
        for e in std::fs::read_dir(d.path()).unwrap().flatten() {
            if e.file_name().to_string_lossy().contains(".wimkit-tmp-") {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    eprintln!(
        "crash test: {round} rounds, {kills} SIGKILLs mid-operation, old state {saw_old}, new state {saw_new}, wimlib-verified {wimlib_checked}, {:?}",
        started.elapsed()
    );
    assert!(kills >= 50, "only {kills} kills landed mid-operation");
    assert!(saw_old > 0 && saw_new > 0);
}
