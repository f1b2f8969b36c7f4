//! `wimkit capture` / `wimkit append`: exit codes, messages, XML properties,
//! deterministic output through the test hooks, interop with wimlib-imagex.

use std::path::Path;
use std::process::{Command, Output};
use wim_testdata::oracle;
use wim_testdata::tree::{SizeClass, make_fixture_tree};

fn wimkit(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_wimkit"));
    c.args(args);
    for (k, v) in envs {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn p(x: &Path) -> &str {
    x.to_str().unwrap()
}

#[test]
fn capture_append_and_errors() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("tree");
    make_fixture_tree(&src, SizeClass::Small).unwrap();
    let wim = t.path().join("a.wim");
    let o = wimkit(
        &["capture", p(&src), p(&wim), "--compress=fast", "--check"],
        &[],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let so = String::from_utf8_lossy(&o.stdout);
    assert!(
        so.starts_with(&format!("Scanning \"{}\"\n", p(&src))),
        "{so}"
    );
    assert!(so.contains("Archiving file data:"), "{so}");
    let o = wimkit(
        &[
            "append",
            p(&src),
            p(&wim),
            "Second",
            "the description",
            "--flags=Pro",
            "--image-property",
            "WINDOWS/VERSION/BUILD=123",
            "--image-property=WINDOWS/LANGUAGES/LANGUAGE[1]=en-US",
            "--boot",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let so = String::from_utf8_lossy(&o.stdout);
    assert!(
        so.contains("Setting the WINDOWS/VERSION/BUILD property of image 2 to \"123\"."),
        "{so}"
    );
    // Name collision: 11, file untouched.
    let before = std::fs::read(&wim).unwrap();
    let o = wimkit(&["append", p(&src), p(&wim), "Second"], &[]);
    assert_eq!(o.status.code(), Some(11));
    assert!(String::from_utf8_lossy(&o.stderr).contains("already an image named \"Second\""));
    assert_eq!(std::fs::read(&wim).unwrap(), before);
    // Missing source: 63.
    let o = wimkit(&["append", p(&t.path().join("nope")), p(&wim)], &[]);
    assert_eq!(
        o.status.code(),
        Some(63),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(std::fs::read(&wim).unwrap(), before);
    // Bad config: 14.
    let cfg = t.path().join("bad.ini");
    std::fs::write(&cfg, "[ExclusionList]\na/b\n").unwrap();
    let o = wimkit(
        &[
            "capture",
            p(&src),
            p(&t.path().join("c.wim")),
            &format!("--config={}", p(&cfg)),
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(14));
    // Bad compression type: usage error.
    let o = wimkit(
        &[
            "capture",
            p(&src),
            p(&t.path().join("c.wim")),
            "--compress=zip",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(255));
    // append to a missing file without --create: 47; with --create: works.
    let nw = t.path().join("new.wim");
    assert_eq!(
        wimkit(&["append", p(&src), p(&nw)], &[]).status.code(),
        Some(47)
    );
    assert!(
        wimkit(&["append", p(&src), p(&nw), "--create"], &[])
            .status
            .success()
    );
    if !oracle::require_wimlib("cli capture interop") {
        return;
    }
    oracle::verify(&wim, &[]).unwrap();
    let info = oracle::info(&wim, &[]).unwrap();
    assert!(info.contains("Image Count:    2"), "{info}");
    assert!(info.contains("Boot Index:     2"), "{info}");
    assert!(info.contains("Name:                   tree\n"), "{info}");
    assert!(
        info.contains("Description:            the description"),
        "{info}"
    );
    let xml = oracle::xml(&wim).unwrap();
    assert!(xml.contains("<FLAGS>Pro</FLAGS><WINDOWS><VERSION><BUILD>123</BUILD></VERSION><LANGUAGES><LANGUAGE>en-US</LANGUAGE></LANGUAGES></WINDOWS>"), "{xml}");
    let out = t.path().join("out");
    oracle::apply(&wim, "2", &out, &[]).unwrap();
    oracle::diff_trees(&src, &out).unwrap();
}

#[test]
fn hooks_make_output_reproducible() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("tree");
    make_fixture_tree(&src, SizeClass::Small).unwrap();
    let env = [
        ("WIMKIT_TEST_GUID", "00112233445566778899aabbccddeeff"),
        ("WIMKIT_TEST_TIME", "133000000000000000"),
    ];
    let mut outs = Vec::new();
    for (i, th) in ["2", "1", "2"].iter().enumerate() {
        let w = t.path().join(format!("{i}.wim"));
        let o = wimkit(
            &[
                "capture",
                p(&src),
                p(&w),
                "--solid",
                &format!("--threads={th}"),
                "--quiet",
            ],
            &env,
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        outs.push(std::fs::read(&w).unwrap());
    }
    // The first run may update access times (relatime); compare the later two runs
    // with each other and against threads=1.
    assert!(outs[1] == outs[2], "threads=1 and threads=2 differ");
    assert_eq!(
        &outs[1][0x18..0x28],
        &[
            0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd,
            0xee, 0xff
        ]
    );
}
