//! Writing pipable WIMs: `capture|append|export|optimize --pipable`, WIMFILE `-` (stdout)
//! and `apply -` (stdin). Oracles: `wimlib-imagex verify`, `wimlib-imagex apply - DIR`
//! fed from a pipe, and a tree diff of every extraction against the source.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use wim_testdata::oracle;

const WIMKIT: &str = env!("CARGO_BIN_EXE_wimkit");

fn wimkit(args: &[&str]) -> Output {
    Command::new(WIMKIT)
        .args(args)
        .env("WIMKIT_TEST_GUID", "00112233445566778899aabbccddeeff")
        .env("WIMKIT_TEST_TIME", "133000000000000000")
        .output()
        .unwrap()
}

fn ok(o: Output) -> Output {
    assert!(o.status.success(), "{o:?}");
    o
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Runs `prog args` with `input` on stdin.
fn piped(prog: &str, args: &[&str], input: &[u8]) -> Output {
    let mut c = Command::new(prog)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut i = c.stdin.take().unwrap();
    let data = input.to_vec();
    let t = std::thread::spawn(move || {
        let _ = i.write_all(&data);
    });
    let o = c.wait_with_output().unwrap();
    t.join().unwrap();
    o
}

/// A tree with incompressible, compressible, multi-chunk, tiny, empty and duplicate files.
fn tree(root: &Path) {
    std::fs::create_dir_all(root.join("a/b")).unwrap();
    let noise = wim_testdata::prng::XorShift64::new(0x1234_5678).bytes(150_000);
    std::fs::write(root.join("noise.bin"), &noise).unwrap();
    let text: String = (0..40_000).map(|i| format!("line {i}\n")).collect();
    std::fs::write(root.join("a/text.txt"), &text).unwrap();
    std::fs::write(root.join("a/b/copy.txt"), &text).unwrap();
    std::fs::write(root.join("a/b/tiny"), b"hi").unwrap();
    std::fs::write(root.join("empty"), b"").unwrap();
}

fn magic(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap()[..8].to_vec()
}

fn applied_by_wimlib_from_pipe(wim: &[u8], dir: &Path) {
    let o = piped("wimlib-imagex", &["apply", "-", "1", s(dir)], wim);
    assert!(o.status.success(), "wimlib apply - failed: {o:?}");
}

fn applied_by_us_from_pipe(wim: &[u8], dir: &Path) {
    let o = piped(WIMKIT, &["apply", "-", "1", s(dir)], wim);
    assert!(o.status.success(), "wimkit apply - failed: {o:?}");
}

#[test]
fn capture_pipable_every_codec_verifies_and_applies_from_a_pipe() {
    if !oracle::require_wimlib("pipable capture") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let src = d.path().join("src");
    tree(&src);
    for codec in ["none", "xpress", "lzx", "lzms"] {
        let w = d.path().join(format!("{codec}.wim"));
        ok(wimkit(&[
            "capture",
            s(&src),
            s(&w),
            "--pipable",
            &format!("--compress={codec}"),
        ]));
        assert_eq!(magic(&w), b"WLPWM\0\0\0", "{codec}");
        oracle::verify(&w, &[]).unwrap();
        let info = oracle::info(&w, &[]).unwrap();
        assert!(info.contains("Pipable"), "{codec}: {info}");
        let bytes = std::fs::read(&w).unwrap();
        let o1 = d.path().join(format!("wl-{codec}"));
        applied_by_wimlib_from_pipe(&bytes, &o1);
        oracle::diff_trees(&src, &o1).unwrap();
        let o2 = d.path().join(format!("us-pipe-{codec}"));
        applied_by_us_from_pipe(&bytes, &o2);
        oracle::diff_trees(&src, &o2).unwrap();
        let o3 = d.path().join(format!("us-file-{codec}"));
        ok(wimkit(&["apply", s(&w), "1", s(&o3)]));
        oracle::diff_trees(&src, &o3).unwrap();
        ok(wimkit(&["verify", s(&w)]));
    }
}

#[test]
fn capture_to_stdout_equals_the_pipable_file_and_is_deterministic() {
    if !oracle::require_wimlib("pipable stdout capture") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let src = d.path().join("src");
    tree(&src);
    // A first read of the files may update their access times (relatime), which the
    // image records: read them once before comparing outputs.
    ok(wimkit(&["capture", s(&src), "-", "img"]));
    let a = ok(wimkit(&["capture", s(&src), "-", "img", "--threads=1"])).stdout;
    let b = ok(wimkit(&["capture", s(&src), "-", "img", "--threads=2"])).stdout;
    assert!(a == b, "stdout output depends on the thread count");
    let f = d.path().join("f.wim");
    ok(wimkit(&["capture", s(&src), s(&f), "img", "--pipable"]));
    assert!(
        std::fs::read(&f).unwrap() == a,
        "--pipable file differs from stdout"
    );
    // Nothing but the WIM on stdout.
    assert_eq!(&a[..8], b"WLPWM\0\0\0");
    let out = d.path().join("out");
    applied_by_wimlib_from_pipe(&a, &out);
    oracle::diff_trees(&src, &out).unwrap();
    // The leading header has no tables, the trailing one does (wimlib's layout).
    assert!(a[0x30..0x60].iter().all(|&b| b == 0));
    assert_eq!(&a[a.len() - 208..a.len() - 200], b"WLPWM\0\0\0");
    assert!(
        a[a.len() - 208 + 0x30..a.len() - 208 + 0x48]
            .iter()
            .any(|&b| b != 0)
    );
}

#[test]
fn pipable_check_writes_a_valid_integrity_table() {
    if !oracle::require_wimlib("pipable integrity") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let src = d.path().join("src");
    tree(&src);
    let w = d.path().join("c.wim");
    ok(wimkit(&["capture", s(&src), s(&w), "--pipable", "--check"]));
    let h = oracle::info(&w, &["--header"]).unwrap();
    assert!(!h.contains("Integrity Size              = 0\n"), "{h}");
    let v = oracle::verify(&w, &[]).unwrap();
    assert!(
        !(v.stdout.clone() + &v.stderr).contains("does not contain integrity"),
        "{v:?}"
    );
    // A flipped byte inside the checked range must be caught by the integrity check.
    let mut bytes = std::fs::read(&w).unwrap();
    bytes[300] ^= 0x55;
    let bad = d.path().join("bad.wim");
    std::fs::write(&bad, &bytes).unwrap();
    assert!(oracle::verify(&bad, &[]).is_err());
}

#[test]
fn pipable_solid_is_refused_like_wimlib() {
    if !oracle::require_wimlib("pipable solid refusal") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let src = d.path().join("src");
    tree(&src);
    let w = d.path().join("x.wim");
    let o = wimkit(&["capture", s(&src), s(&w), "--pipable", "--solid"]);
    let wl = oracle::run(&[
        "capture".as_ref(),
        src.as_os_str(),
        d.path().join("y.wim").as_os_str(),
        "--pipable".as_ref(),
        "--solid".as_ref(),
    ]);
    let wl = wl.unwrap_err();
    assert!(
        wl.contains("Solid compression is unsupported in pipable WIMs"),
        "{wl}"
    );
    assert_eq!(o.status.code(), Some(24), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("Solid compression is unsupported in pipable WIMs"),
        "{err}"
    );
    let n = d.path().join("n.wim");
    ok(wimkit(&["capture", s(&src), s(&n)]));
    let o = wimkit(&["export", s(&n), "1", s(&w), "--pipable", "--solid"]);
    assert_eq!(o.status.code(), Some(24), "{o:?}");
    assert!(!w.exists());
}

#[test]
fn export_optimize_append_keep_or_change_pipability_like_wimlib() {
    if !oracle::require_wimlib("pipable export/optimize/append") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let src = d.path().join("src");
    tree(&src);
    // ESD made by wimlib, exported to stdout: pipable, non-solid, applies from a pipe.
    let esd = d.path().join("s.esd");
    oracle::capture(&src, &esd, &["--solid"]).unwrap();
    let o = ok(wimkit(&["export", s(&esd), "all", "-"])).stdout;
    let e = d.path().join("e.wim");
    std::fs::write(&e, &o).unwrap();
    oracle::verify(&e, &[]).unwrap();
    let out = d.path().join("o1");
    applied_by_wimlib_from_pipe(&o, &out);
    oracle::diff_trees(&src, &out).unwrap();

    // Optimize keeps a pipable WIM pipable (as wimlib does), --not-pipable undoes it.
    let ours = d.path().join("p.wim");
    ok(wimkit(&["capture", s(&src), s(&ours), "A", "--pipable"]));
    let theirs = d.path().join("pw.wim");
    std::fs::copy(&ours, &theirs).unwrap();
    oracle::run(&["optimize".as_ref(), theirs.as_os_str()]).unwrap();
    assert_eq!(magic(&theirs), b"WLPWM\0\0\0");
    ok(wimkit(&["optimize", s(&ours), "--recompress"]));
    assert_eq!(magic(&ours), b"WLPWM\0\0\0");
    oracle::verify(&ours, &[]).unwrap();

    // Append to a pipable WIM keeps it pipable; the new image applies from a pipe.
    ok(wimkit(&["append", s(&src.join("a")), s(&ours), "B"]));
    assert_eq!(magic(&ours), b"WLPWM\0\0\0");
    oracle::verify(&ours, &[]).unwrap();
    let info = oracle::info(&ours, &[]).unwrap();
    assert!(info.contains("Image Count:    2"), "{info}");
    let bytes = std::fs::read(&ours).unwrap();
    let out = d.path().join("o2");
    let o = piped("wimlib-imagex", &["apply", "-", "2", s(&out)], &bytes);
    assert!(o.status.success(), "{o:?}");
    oracle::diff_trees(&src.join("a"), &out).unwrap();

    // Export into an existing pipable WIM keeps it pipable.
    ok(wimkit(&["export", s(&esd), "1", s(&ours), "C"]));
    assert_eq!(magic(&ours), b"WLPWM\0\0\0");
    oracle::verify(&ours, &[]).unwrap();
    assert!(
        oracle::info(&ours, &[])
            .unwrap()
            .contains("Image Count:    3")
    );

    // Export of a pipable source to a new file is not pipable unless asked.
    let plain = d.path().join("plain.wim");
    ok(wimkit(&["export", s(&ours), "all", s(&plain)]));
    assert_eq!(magic(&plain), b"MSWIM\0\0\0");
    let piped_copy = d.path().join("piped.wim");
    ok(wimkit(&[
        "export",
        s(&plain),
        "all",
        s(&piped_copy),
        "--pipable",
    ]));
    assert_eq!(magic(&piped_copy), b"WLPWM\0\0\0");
    oracle::verify(&piped_copy, &[]).unwrap();

    ok(wimkit(&["optimize", s(&ours), "--not-pipable"]));
    assert_eq!(magic(&ours), b"MSWIM\0\0\0");
    oracle::verify(&ours, &[]).unwrap();

    // Append --pipable turns a normal WIM into a pipable one.
    ok(wimkit(&["append", s(&src), s(&plain), "D", "--pipable"]));
    assert_eq!(magic(&plain), b"WLPWM\0\0\0");
    oracle::verify(&plain, &[]).unwrap();
}

#[test]
fn apply_from_stdin_refuses_a_non_pipable_wim_like_wimlib() {
    if !oracle::require_wimlib("apply - refusal") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let src = d.path().join("src");
    tree(&src);
    let n = d.path().join("n.wim");
    oracle::capture(&src, &n, &[]).unwrap();
    let bytes = std::fs::read(&n).unwrap();
    let theirs = piped(
        "wimlib-imagex",
        &["apply", "-", s(&d.path().join("x"))],
        &bytes,
    );
    let ours = piped(WIMKIT, &["apply", "-", s(&d.path().join("y"))], &bytes);
    assert_eq!(theirs.status.code(), Some(44));
    assert_eq!(ours.status.code(), Some(44), "{ours:?}");
}

#[test]
fn seven_zip_treats_our_pipable_wims_as_it_treats_wimlibs() {
    let have = Command::new("7zz")
        .arg("i")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !have || !oracle::require_wimlib("7zz on pipable WIMs") {
        println!("SKIP: 7zz on pipable WIMs: 7zz or wimlib-imagex missing");
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let src = d.path().join("src");
    tree(&src);
    let theirs = d.path().join("t.wim");
    oracle::capture(&src, &theirs, &["--pipable"]).unwrap();
    let ours = d.path().join("o.wim");
    ok(wimkit(&["capture", s(&src), s(&ours), "--pipable"]));
    let t = |p: &PathBuf| {
        Command::new("7zz")
            .args(["t", s(p)])
            .output()
            .unwrap()
            .status
            .success()
    };
    // 7-Zip 23+ does not open pipable WIMs at all (wimlib's are refused too); whatever
    // it does, ours must be treated the same way.
    assert_eq!(t(&ours), t(&theirs));
}

#[test]
fn split_of_a_pipable_wim_gives_pipable_parts_like_wimlib() {
    if !oracle::require_wimlib("pipable split") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let src = d.path().join("src");
    tree(&src);
    let w = d.path().join("p.wim");
    oracle::capture(&src, &w, &["--pipable"]).unwrap();
    let theirs = d.path().join("t.swm");
    oracle::run(&[
        "split".as_ref(),
        w.as_os_str(),
        theirs.as_os_str(),
        "0.02".as_ref(),
    ])
    .unwrap();
    let ours = d.path().join("o.swm");
    ok(wimkit(&["split", s(&w), s(&ours), "0.02"]));
    let count = |stem: &str| {
        std::fs::read_dir(d.path())
            .unwrap()
            .filter(|e| {
                let n = e.as_ref().unwrap().file_name();
                let n = n.to_str().unwrap();
                n.starts_with(stem) && n.ends_with(".swm")
            })
            .count()
    };
    assert!(count("t") >= 4, "the fixture should give several parts");
    assert_eq!(count("o"), count("t"), "part count differs from wimlib's");
    let mut all = Vec::new();
    for n in 1..=count("o") {
        let p = if n == 1 {
            ours.clone()
        } else {
            d.path().join(format!("o{n}.swm"))
        };
        assert_eq!(magic(&p), b"WLPWM\0\0\0", "{}", p.display());
        all.extend(std::fs::read(&p).unwrap());
    }
    let refs = format!("--ref={}", d.path().join("o*.swm").display());
    oracle::verify(&ours, &[&refs]).unwrap();
    // The parts concatenated in order form a stream wimlib applies from a pipe.
    let out = d.path().join("out");
    applied_by_wimlib_from_pipe(&all, &out);
    oracle::diff_trees(&src, &out).unwrap();
    let j = d.path().join("j.wim");
    let mut args = vec!["join".to_string(), s(&j).to_string(), s(&ours).to_string()];
    for n in 2..=count("o") {
        args.push(s(&d.path().join(format!("o{n}.swm"))).to_string());
    }
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    ok(wimkit(&a));
    oracle::verify(&j, &[]).unwrap();
}

/// `(offset, compressed size, uncompressed size)` of every compressed non-metadata
/// resource listed by `wimlib-imagex info --blobs`.
fn compressed_resources(wim: &Path) -> Vec<(u64, u64, u64)> {
    let out = oracle::info(wim, &["--blobs"]).unwrap();
    let mut v = Vec::new();
    for block in out.split("\n\n") {
        let field = |name: &str| {
            block
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .map(|r| r.trim().trim_end_matches(" bytes").parse::<u64>().unwrap())
        };
        let flags = block.lines().find(|l| l.starts_with("Flags")).unwrap_or("");
        if flags.contains("COMPRESSED") && !flags.contains("METADATA") {
            v.push((
                field("Offset in WIM     = ").unwrap(),
                field("Compressed size   = ").unwrap(),
                field("Uncompressed size = ").unwrap(),
            ));
        }
    }
    v
}

#[test]
fn pipable_sources_are_copied_without_recompression_and_edited_like_wimlib() {
    if !oracle::require_wimlib("pipable edits") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let src = d.path().join("src");
    tree(&src);
    let p = d.path().join("p.wim");
    oracle::capture(&src, &p, &["A", "--pipable", "--check"]).unwrap();
    oracle::run(&[
        "append".as_ref(),
        src.join("a").as_os_str(),
        p.as_os_str(),
        "B".as_ref(),
    ])
    .unwrap();
    // Export to a normal WIM: the first chunk of every compressed pipable resource
    // (after its u32 size prefix) is found verbatim in the output.
    let n = d.path().join("n.wim");
    ok(wimkit(&["export", s(&p), "all", s(&n)]));
    assert_eq!(magic(&n), b"MSWIM\0\0\0");
    oracle::verify(&n, &[]).unwrap();
    let pb = std::fs::read(&p).unwrap();
    let nb = std::fs::read(&n).unwrap();
    let res = compressed_resources(&p);
    assert!(!res.is_empty());
    for (off, _, _) in &res {
        let o = *off as usize;
        let len = u32::from_le_bytes(pb[o..o + 4].try_into().unwrap()) as usize;
        let chunk = &pb[o + 4..o + 4 + len];
        assert!(
            nb.windows(len).any(|w| w == chunk),
            "chunk at {off} was recompressed"
        );
    }
    // In-place edits rewrite the pipable WIM, keeping it pipable; integrity handling
    // follows wimlib's (kept by default, dropped by --nocheck).
    for (k, (args, check_name)) in [
        (vec!["info", "{W}", "1", "Renamed"], true),
        (vec!["info", "{W}", "2", "Other", "--nocheck"], false),
        (vec!["delete", "{W}", "2", "--soft"], false),
    ]
    .into_iter()
    .enumerate()
    {
        let theirs = d.path().join("t.wim");
        let ours = d.path().join("o.wim");
        std::fs::copy(&p, &theirs).unwrap();
        std::fs::copy(&p, &ours).unwrap();
        let sub =
            |w: &Path| -> Vec<String> { args.iter().map(|a| a.replace("{W}", s(w))).collect() };
        let t = Command::new("wimlib-imagex")
            .args(sub(&theirs))
            .output()
            .unwrap();
        assert!(t.status.success(), "{args:?}: {t:?}");
        let o = Command::new(WIMKIT).args(sub(&ours)).output().unwrap();
        assert!(o.status.success(), "{args:?}: {o:?}");
        assert_eq!(magic(&ours), b"WLPWM\0\0\0", "{args:?}");
        oracle::verify(&ours, &[]).unwrap();
        let header = |w: &Path| {
            let h = oracle::info(w, &["--header"]).unwrap();
            h.contains("Integrity Size              = 0\n")
        };
        assert_eq!(header(&ours), header(&theirs), "{args:?}: integrity");
        let (ti, oi) = (
            oracle::info(&theirs, &[]).unwrap(),
            oracle::info(&ours, &[]).unwrap(),
        );
        let names = |i: &str| -> Vec<String> {
            i.lines()
                .filter(|l| l.starts_with("Name:") || l.starts_with("Image Count"))
                .map(String::from)
                .collect()
        };
        assert_eq!(names(&oi), names(&ti), "{args:?}");
        if check_name {
            assert!(oi.contains("Renamed"));
        }
        let bytes = std::fs::read(&ours).unwrap();
        let out = d.path().join(format!("x{k}"));
        applied_by_wimlib_from_pipe(&bytes, &out);
        oracle::diff_trees(&src, &out).unwrap();
    }
    // wimupdate on a pipable WIM: rewritten, still pipable, the file is there.
    let u = d.path().join("u.wim");
    std::fs::copy(&p, &u).unwrap();
    let cmd = format!("--command=add {} /added", s(&src.join("a/b/tiny")));
    ok(wimkit(&["update", s(&u), "1", &cmd]));
    assert_eq!(magic(&u), b"WLPWM\0\0\0");
    oracle::verify(&u, &[]).unwrap();
    assert!(
        oracle::dir_listing(&u, "1")
            .unwrap()
            .iter()
            .any(|l| l == "/added"),
        "update did not add the file"
    );
}
