//! `wimkit info WIM IMAGE --deep` on a synthetic Windows tree captured by wimlib-imagex:
//! the OS version with UBR, and XML/hive disagreements flagged.

use std::path::Path;
use std::process::Command;
use wim_testdata::windows::{self, have};

fn run(cmd: &mut Command) -> String {
    let o = cmd.output().unwrap();
    assert!(
        o.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn hive(path: &Path, script: &str) {
    windows::make_hive(path, script).unwrap();
}

#[test]
fn info_deep_shows_ubr_and_flags_disagreements() {
    if !have("hivexsh") || !have("wimlib-imagex") {
        eprintln!("SKIP: info_deep: needs hivexsh and wimlib-imagex");
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let cfg = t.path().join("tree/Windows/System32/config");
    std::fs::create_dir_all(&cfg).unwrap();
    std::fs::write(
        cfg.join("../kernel32.dll"),
        windows::pe_stub(windows::MACHINE_ARM64),
    )
    .unwrap();
    let sw = |ubr: u32| {
        format!(
            "add Microsoft\ncd Microsoft\nadd Windows NT\ncd Windows NT\nadd CurrentVersion\n\
             cd CurrentVersion\nsetval 6\nProductName\nstring:Windows 10 Pro\nEditionID\n\
             string:Professional\nCurrentMajorVersionNumber\ndword:10\n\
             CurrentMinorVersionNumber\ndword:0\nCurrentBuild\nstring:18362\nUBR\ndword:{ubr}\n"
        )
    };
    hive(&cfg.join("SOFTWARE"), &sw(1139));
    hive(
        &cfg.join("SYSTEM"),
        "add ControlSet001\ncd ControlSet001\nadd Control\ncd Control\nadd Windows\n\
         cd Windows\nsetval 1\nCSDBuildNumber\ndword:1139\n",
    );
    let wim = t.path().join("a.wim");
    let capture = |wim: &Path| {
        let _ = std::fs::remove_file(wim);
        run(Command::new("wimlib-imagex")
            .arg("capture")
            .arg(t.path().join("tree"))
            .arg(wim)
            .arg("img"));
    };
    capture(&wim);
    let wimkit = env!("CARGO_BIN_EXE_wimkit");
    let deep = || {
        run(Command::new(wimkit)
            .arg("info")
            .arg(&wim)
            .arg("1")
            .arg("--deep"))
    };
    let text = deep();
    assert!(
        text.contains("Version:                10.0.18362.1139\n"),
        "{text}"
    );
    assert!(text.contains("Architecture:           ARM64\n"), "{text}");
    assert!(text.contains("XML/hive disagreements: none\n"), "{text}");

    // A newer UBR in SOFTWARE than wimlib's SPBUILD (CSDBuildNumber): flagged.
    hive(&cfg.join("SOFTWARE"), &sw(1256));
    capture(&wim);
    let text = deep();
    assert!(
        text.contains("Version:                10.0.18362.1256\n"),
        "{text}"
    );
    assert!(text.contains("XML/hive disagreements: 1\n"), "{text}");
    assert!(
        text.contains("MISMATCH WINDOWS/VERSION/SPBUILD: XML has 1139, image files say 1256"),
        "{text}"
    );
}
