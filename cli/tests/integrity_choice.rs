//! `--check` / `--nocheck` / neither on commands that rewrite an existing WIM: the
//! integrity table is added, dropped or kept exactly as wimlib-imagex 1.13 does it, on
//! copies of the same file (presence read with `wimlib-imagex info --header`).

use std::path::Path;
use std::process::Command;
use wim_testdata::oracle;

const WIMKIT: &str = env!("CARGO_BIN_EXE_wimkit");

fn has_integrity(p: &Path) -> bool {
    let h = oracle::info(p, &["--header"]).unwrap();
    let line = h
        .lines()
        .find(|l| l.starts_with("Integrity Size"))
        .unwrap_or_else(|| panic!("no integrity line in {h}"))
        .to_string();
    !line.trim_end().ends_with("= 0")
}

/// `cmd` with `{W}` replaced by the WIM path and `{S}` by the source folder.
fn args(cmd: &[&str], wim: &Path, src: &Path) -> Vec<String> {
    cmd.iter()
        .map(|a| {
            a.replace("{W}", wim.to_str().unwrap())
                .replace("{S}", src.to_str().unwrap())
        })
        .collect()
}

#[test]
fn integrity_table_follows_wimlib_on_every_rewriting_command() {
    if !oracle::require_wimlib("integrity choice") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let src = d.path().join("src");
    std::fs::create_dir_all(src.join("sub")).unwrap();
    std::fs::write(src.join("a.txt"), "alpha ".repeat(5000)).unwrap();
    std::fs::write(src.join("sub/b.txt"), b"beta").unwrap();
    let with = d.path().join("with.wim");
    let without = d.path().join("without.wim");
    oracle::capture(&src, &with, &["A", "--check"]).unwrap();
    oracle::capture(&src, &without, &["A"]).unwrap();
    assert!(has_integrity(&with) && !has_integrity(&without));
    let other = d.path().join("other.wim");
    oracle::capture(&src.join("sub"), &other, &["O"]).unwrap();
    let other_s = other.to_str().unwrap().to_string();
    let commands: Vec<Vec<&str>> = vec![
        vec!["append", "{S}/sub", "{W}", "B"],
        vec!["append", "{S}/sub", "{W}", "B", "--rebuild"],
        vec!["info", "{W}", "1", "NewName"],
        vec!["optimize", "{W}"],
        vec!["export", other_s.as_str(), "1", "{W}"],
        vec!["delete", "{W}", "1"],
    ];
    let mut checked = 0;
    for base in [&with, &without] {
        for cmd in &commands {
            for flag in ["", "--check", "--nocheck"] {
                if cmd[0] == "delete" && flag == "--nocheck" {
                    continue; // wimlib's delete has no --nocheck (usage error, tested below)
                }
                let mut c = cmd.clone();
                if !flag.is_empty() {
                    c.push(flag);
                }
                let theirs = d.path().join("theirs.wim");
                let ours = d.path().join("ours.wim");
                std::fs::copy(base, &theirs).unwrap();
                std::fs::copy(base, &ours).unwrap();
                let t = Command::new("wimlib-imagex")
                    .args(args(&c, &theirs, &src))
                    .output()
                    .unwrap();
                let o = Command::new(WIMKIT)
                    .args(args(&c, &ours, &src))
                    .output()
                    .unwrap();
                let what = format!("{c:?} on {}", base.display());
                assert!(t.status.success(), "wimlib failed: {what}: {t:?}");
                assert!(o.status.success(), "wimkit failed: {what}: {o:?}");
                assert_eq!(
                    has_integrity(&ours),
                    has_integrity(&theirs),
                    "integrity table presence differs: {what}"
                );
                oracle::verify(&ours, &[]).unwrap();
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 2 * (5 * 3 + 2));
    // `delete --nocheck` is a usage error in both.
    let o = Command::new(WIMKIT)
        .args(["delete", with.to_str().unwrap(), "1", "--nocheck"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(255), "{o:?}");
}
