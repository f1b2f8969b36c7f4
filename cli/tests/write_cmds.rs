//! `wimkit export|delete|optimize|split|join|info` as commands: exit codes and messages
//! as wimlib-imagex 1.13, results checked with wimlib-imagex.

use std::path::Path;
use std::process::{Command, Output};
use wim_testdata::oracle;

const WIMKIT: &str = env!("CARGO_BIN_EXE_wimkit");

fn wimkit(args: &[&str]) -> Output {
    Command::new(WIMKIT).args(args).output().unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn commands_match_wimlib_exit_codes_and_results() {
    if !oracle::require_wimlib("wimkit write command tests") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let t = d.path().join("t");
    std::fs::create_dir_all(t.join("sub")).unwrap();
    std::fs::write(t.join("sub/f.txt"), b"hello").unwrap();
    std::fs::write(t.join("g.txt"), b"another blob, so the split has two parts").unwrap();
    let m = d.path().join("m.wim");
    oracle::capture(&t, &m, &["A"]).unwrap();
    oracle::run(&[
        "append".as_ref(),
        t.as_os_str(),
        m.as_os_str(),
        "B".as_ref(),
    ])
    .unwrap();

    let e = d.path().join("e.wim");
    assert!(wimkit(&["export", s(&m), "2", s(&e)]).status.success());
    let o = wimkit(&["export", s(&m), "2", s(&e)]);
    assert_eq!(o.status.code(), Some(11), "{o:?}");
    let o = wimkit(&["export", s(&m), "7", s(&e)]);
    assert_eq!(o.status.code(), Some(18), "{o:?}");
    let o = wimkit(&["export", s(&m), "1", s(&e), "--compress=xpress"]);
    assert_eq!(o.status.code(), Some(255), "{o:?}");
    assert!(
        wimkit(&["export", s(&m), "A", s(&e), "A2", "copy of A"])
            .status
            .success()
    );
    oracle::verify(&e, &[]).unwrap();
    let info = oracle::info(&e, &[]).unwrap();
    assert!(info.contains("Image Count:    2"), "{info}");
    assert!(info.contains("Description:            copy of A"), "{info}");

    let o = wimkit(&["info", s(&e), "1", "Renamed", "--boot"]);
    assert!(o.status.success(), "{o:?}");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("Setting the NAME property of image 1 to \"Renamed\"."),
        "{out}"
    );
    assert!(out.contains("Marking image 1 as bootable."), "{out}");
    let o = wimkit(&["info", s(&e), "2", "--image-property", "X/Y=z"]);
    assert!(o.status.success(), "{o:?}");
    let info = oracle::info(&e, &[]).unwrap();
    assert!(info.contains("Name:                   Renamed"), "{info}");
    assert!(info.contains("Boot Index:     1"), "{info}");
    assert!(oracle::xml(&e).unwrap().contains("<X><Y>z</Y></X>"));

    let sw = d.path().join("p.swm");
    assert!(wimkit(&["split", s(&e), s(&sw), "0.0001"]).status.success());
    let p2 = d.path().join("p2.swm");
    assert!(p2.exists());
    // Part 1 holds only the metadata (wimlib's rule), so there is a third part.
    let p3 = d.path().join("p3.swm");
    assert!(p3.exists());
    let j = d.path().join("j.wim");
    assert!(
        wimkit(&["join", s(&j), s(&sw), s(&p2), s(&p3)])
            .status
            .success()
    );
    oracle::verify(&j, &[]).unwrap();
    assert!(wimkit(&["delete", s(&j), "Renamed"]).status.success());
    assert!(
        wimkit(&["optimize", s(&j), "--compress=none", "--check"])
            .status
            .success()
    );
    oracle::verify(&j, &[]).unwrap();
    let info = oracle::info(&j, &[]).unwrap();
    assert!(info.contains("Image Count:    1"), "{info}");
    assert!(info.contains("Compression:    None"), "{info}");
    assert!(info.contains("Integrity info"), "{info}");
    assert!(wimkit(&["delete", s(&j), "all", "--soft"]).status.success());
    oracle::verify(&j, &[]).unwrap();
}
