//! SIGKILL during `wimkit update` (in place and `--rebuild`) at random moments (fixed
//! seed, delays spread over a measured complete run). After each kill and
//! `journal::recover` (which every update runs first), the WIM is byte-identical to the
//! original or holds the whole update (same tree as a complete run, every blob verified),
//! never a half.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use wim_format::{ImageIndex, Sha1Digest, Wim};
use wim_testdata::prng::XorShift64;

const WIMKIT: &str = env!("CARGO_BIN_EXE_wimkit");

/// (path, data digest) of every entry of image 1, after a full verification.
fn state(p: &Path) -> Result<Vec<(String, Option<Sha1Digest>)>, String> {
    let wim = Wim::open(p).map_err(|e| format!("open: {e}"))?;
    wim.verify_blobs(&|_| {})
        .and_then(|r| r.into_result())
        .map_err(|e| format!("verify: {e}"))?;
    let t = servicing::export::load_tree(&wim, ImageIndex::new(1).ok_or("0")?)
        .map_err(|e| format!("tree: {e}"))?;
    Ok(t.walk()
        .into_iter()
        .map(|e| (t.path(e), t.inode_of(e).and_then(|i| i.data)))
        .collect())
}

fn make_base(dir: &Path, wim: &Path) {
    let src = dir.join("base");
    std::fs::create_dir_all(src.join("d")).unwrap();
    std::fs::write(src.join("d/old.txt"), b"old").unwrap();
    std::fs::write(src.join("keep"), vec![5u8; 100_000]).unwrap();
    let st = Command::new(WIMKIT)
        .args(["capture"])
        .arg(&src)
        .arg(wim)
        .arg("--compress=lzx")
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success());
}

fn run(wim: &Path, script: &str, rebuild: bool) -> std::process::Child {
    let mut c = Command::new(WIMKIT);
    c.arg("update")
        .arg(wim)
        .arg("1")
        .arg(format!("--command={script}"));
    if rebuild {
        c.arg("--rebuild");
    }
    c.stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn sigkill_during_update_leaves_old_or_complete_state() {
    let t = tempfile::tempdir().unwrap();
    let wim = t.path().join("w.wim");
    make_base(t.path(), &wim);
    let before = std::fs::read(&wim).unwrap();
    let before_state = state(&wim).unwrap();
    // ~12 MB of poorly compressible data so that writing takes a while.
    let add = t.path().join("add");
    std::fs::create_dir_all(&add).unwrap();
    let mut rng = XorShift64::new(0x5eed_1234);
    for i in 0..6 {
        let v: Vec<u8> = (0..2_000_000).map(|_| rng.next_u64() as u8).collect();
        std::fs::write(add.join(format!("blob{i}.bin")), v).unwrap();
    }
    let script = format!("add '{}' /d", add.display());
    // Reference: complete runs (time them).
    let mut complete = Vec::new();
    let mut durations = Vec::new();
    for rebuild in [false, true] {
        let start = Instant::now();
        assert!(run(&wim, &script, rebuild).wait().unwrap().success());
        durations.push(start.elapsed());
        complete.push(state(&wim).unwrap());
        std::fs::write(&wim, &before).unwrap();
    }
    assert_eq!(complete[0], complete[1]);
    assert_ne!(complete[0], before_state);
    let mut rounds = 0;
    let (mut old, mut new) = (0, 0);
    let deadline = Instant::now() + Duration::from_secs(90);
    while rounds < 24 || (rounds < 40 && Instant::now() < deadline) {
        let rebuild = rounds % 3 == 2;
        let full = durations[usize::from(rebuild)].as_micros() as u64;
        let delay = Duration::from_micros(rng.next_u64() % (full + full / 5).max(1));
        let mut child = run(&wim, &script, rebuild);
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        servicing::update::journal::recover(&wim).unwrap();
        let bytes = std::fs::read(&wim).unwrap();
        if bytes == before {
            old += 1;
        } else {
            let s = state(&wim).unwrap_or_else(|e| panic!("round {rounds}: half-written WIM: {e}"));
            assert_eq!(s, complete[0], "round {rounds}: neither old nor complete");
            new += 1;
            std::fs::write(&wim, &before).unwrap();
        }
        rounds += 1;
    }
    eprintln!("{rounds} kills: {old} rolled back/untouched, {new} complete");
    assert!(rounds >= 24);
    assert!(old > 0, "no kill landed before completion");
}
