//! `wimkit service apply-update`, `service inspect-package` and the `info` line.

use std::path::Path;
use std::process::{Command, Output};

const WIMKIT: &str = env!("CARGO_BIN_EXE_wimkit");

fn wimkit(args: &[&str]) -> Output {
    Command::new(WIMKIT).args(args).output().unwrap()
}

fn s(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn base(dir: &Path) -> String {
    let src = dir.join("src");
    std::fs::create_dir_all(src.join("d")).unwrap();
    std::fs::write(src.join("d/a"), b"a").unwrap();
    let wim = dir.join("w.wim");
    let o = wimkit(&[
        "capture",
        src.to_str().unwrap(),
        wim.to_str().unwrap(),
        "img",
    ]);
    assert!(o.status.success(), "{}", s(&o));
    wim.to_str().unwrap().to_string()
}

#[test]
fn apply_update_records_lists_and_is_idempotent() {
    let t = tempfile::tempdir().unwrap();
    let wim = base(t.path());
    let info_before = wimkit(&["info", &wim]);
    assert!(!s(&info_before).contains("Applied Updates"));
    let pkg = t.path().join("pkg");
    std::fs::create_dir_all(pkg.join("files/d")).unwrap();
    std::fs::write(pkg.join("files/d/a"), b"A2").unwrap();
    std::fs::write(pkg.join("files/new"), b"n").unwrap();
    std::fs::write(pkg.join("commands"), "# self-made\nrename /d /e\n").unwrap();
    let p = pkg.to_str().unwrap();
    let o = wimkit(&["service", "apply-update", &wim, "1", p, "--id", "KB42"]);
    assert!(o.status.success(), "{}", s(&o));
    assert!(
        s(&o).contains("Applied update \"KB42\": 1 added, 1 replaced"),
        "{}",
        s(&o)
    );
    let bytes = std::fs::read(&wim).unwrap();
    let o = wimkit(&["service", "apply-update", &wim, "1", p, "--id", "KB42"]);
    assert!(o.status.success());
    assert!(s(&o).contains("already applied"));
    assert_eq!(std::fs::read(&wim).unwrap(), bytes, "no-op rewrote the WIM");
    let info = s(&wimkit(&["info", &wim]));
    let line = info
        .lines()
        .find(|l| l.starts_with("Applied Updates:"))
        .unwrap();
    assert!(line.contains("KB42"), "{line}");
    let one = s(&wimkit(&["info", &wim, "1"]));
    assert!(one.contains("Applied Updates:"));
    let dir = s(&wimkit(&["dir", &wim, "1"]));
    assert!(dir.contains("/e/a") && dir.contains("/new") && !dir.contains("/d/a"));
    // Other fields are untouched by the extra line: the same as without it.
    let strip = |x: &str| -> Vec<String> {
        x.lines()
            .filter(|l| !l.starts_with("Applied Updates:"))
            .filter(|l| !l.starts_with("Last Modification Time") && !l.starts_with("Size:"))
            .filter(|l| !l.starts_with("Directory Count") && !l.starts_with("File Count"))
            .filter(|l| !l.starts_with("Total Bytes"))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(strip(&s(&info_before)), strip(&info));
}

#[test]
fn continue_on_error_reports_and_fails_at_the_end() {
    let t = tempfile::tempdir().unwrap();
    let wim = base(t.path());
    let good = t.path().join("good");
    std::fs::create_dir_all(good.join("files")).unwrap();
    std::fs::write(good.join("files/g"), b"g").unwrap();
    let bad = t.path().join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(bad.join("commands"), "delete /no/such/file\n").unwrap();
    let (g, b) = (good.to_str().unwrap(), bad.to_str().unwrap());
    let before = std::fs::read(&wim).unwrap();
    let o = wimkit(&[
        "service",
        "apply-update",
        &wim,
        "1",
        g,
        b,
        "--id",
        "G",
        "--id",
        "B",
    ]);
    assert!(!o.status.success());
    assert_eq!(
        std::fs::read(&wim).unwrap(),
        before,
        "all-or-nothing violated"
    );
    let o = wimkit(&[
        "service",
        "apply-update",
        &wim,
        "1",
        b,
        g,
        "--id",
        "B",
        "--id",
        "G",
        "--continue-on-error",
    ]);
    assert!(!o.status.success());
    let out = s(&o);
    assert!(
        out.contains("update \"B\" failed") && out.contains("Applied update \"G\""),
        "{out}"
    );
    let info = s(&wimkit(&["info", &wim]));
    let line = info
        .lines()
        .find(|l| l.starts_with("Applied Updates:"))
        .unwrap();
    assert!(line.contains("G (") && !line.contains("B ("), "{line}");
}

#[test]
fn windows_packages_are_refused_and_inspected() {
    if Command::new("gcab").arg("--version").output().is_err() {
        eprintln!("SKIP: windows_packages_are_refused_and_inspected: gcab missing");
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let wim = base(t.path());
    let d = t.path().join("c");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(
        d.join("update.mum"),
        r#"<?xml version="1.0"?><!-- self-made --><assembly xmlns="urn:schemas-microsoft-com:asm.v3"><assemblyIdentity name="Package_for_ServicingStack_3570" version="19041.3570.1.1" processorArchitecture="arm64" language="neutral" publicKeyToken="31bf3856ad364e35"/><package identifier="KB5031539" releaseType="Update"/></assembly>"#,
    )
    .unwrap();
    let cab = t.path().join("ssu.cab");
    let o = Command::new("gcab")
        .current_dir(&d)
        .args(["-c", "-z"])
        .arg(&cab)
        .arg("update.mum")
        .output()
        .unwrap();
    assert!(o.status.success());
    let c = cab.to_str().unwrap();
    let o = wimkit(&["service", "inspect-package", c]);
    assert!(o.status.success(), "{}", s(&o));
    let out = s(&o);
    for want in [
        "Package_for_ServicingStack_3570",
        "KB5031539",
        "19041.3570.1.1",
        "arm64",
        "neutral",
    ] {
        assert!(out.contains(want), "{want} missing in {out}");
    }
    let before = std::fs::read(&wim).unwrap();
    let o = wimkit(&["service", "apply-update", &wim, "1", c, "--id", "X"]);
    assert_eq!(o.status.code(), Some(68));
    let err = s(&o);
    assert!(err.contains("CBS/CSI") && err.contains("DISM"), "{err}");
    assert_eq!(std::fs::read(&wim).unwrap(), before);
    let o = wimkit(&["service", "inspect-package", wim.as_str()]);
    assert!(!o.status.success());
}
