//! `wimkit update` against `wimlib-imagex update` (the oracle): the same scripts on copies
//! of the same wimlib-captured WIM must give the same exit status, the same detailed
//! listing (paths, attributes, sizes, hashes, link counts; times, offsets and reference
//! counts excluded) and the same extracted tree (both applied by wimlib, diff_trees).
//! A failing script must leave our WIM byte-identical.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use wim_testdata::oracle;

const WIMKIT: &str = env!("CARGO_BIN_EXE_wimkit");

fn write(p: &Path, data: &[u8]) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, data).unwrap();
}

/// The base tree and the sources the scripts add (self-made).
fn fixtures(root: &Path) -> (PathBuf, PathBuf) {
    let base = root.join("base");
    write(&base.join("f1"), b"one\n");
    write(&base.join("d1/f2"), b"two two\n");
    write(&base.join("d1/sub/f3"), &vec![7u8; 70_000]);
    write(&base.join("d1/sub/deep/f4"), b"four\n");
    std::fs::create_dir_all(base.join("d2")).unwrap();
    write(&base.join("Windows/System32/a.dll"), &vec![1u8; 5000]);
    std::fs::hard_link(base.join("f1"), base.join("d1/f1link")).unwrap();
    std::os::unix::fs::symlink("f1", base.join("lnk")).unwrap();
    let src = root.join("src");
    write(&src.join("file"), b"new file\n");
    write(
        &src.join("big"),
        &(0..200_000u32)
            .map(|i| (i * 7 % 251) as u8)
            .collect::<Vec<_>>(),
    );
    write(&src.join("dirA/x/y"), b"xy\n");
    write(&src.join("dirA/z"), b"z\n");
    write(&src.join("dirB/f2"), b"replaced f2\n");
    write(&src.join("dirB/sub/f3"), b"replaced f3\n");
    write(&src.join("dirB/sub/new"), b"new in sub\n");
    write(&src.join("dirC/f2/inner"), b"dir where file is\n");
    write(&src.join("with space/a b"), b"spaced\n");
    write(&src.join("win/Windows/System32/a.dll"), &vec![2u8; 6000]);
    write(&src.join("win/Windows/System32/b.dll"), &[3u8; 100]);
    std::os::unix::fs::symlink("file", src.join("sl")).unwrap();
    (base, src)
}

fn scripts() -> Vec<(&'static str, String)> {
    let v: Vec<(&str, &str)> = vec![
        ("add-file-new", "add $S/file /newfile\n"),
        ("add-file-replace", "add $S/file /f1\n"),
        ("add-file-missing-parents", "add $S/file /a/b/c/file\n"),
        ("add-dir-new", "add $S/dirA /dirA\n"),
        ("add-dir-overlay", "add $S/dirB /d1\n"),
        ("add-dir-overlay-root", "add $S/win /\n"),
        ("add-no-replace-error", "add --no-replace $S/dirB /d1\n"),
        ("add-no-replace-ok", "add --no-replace $S/dirA /d2\n"),
        ("add-dir-onto-file", "add $S/dirA /f1\n"),
        ("add-file-onto-dir", "add $S/file /d1\n"),
        ("add-parent-is-file", "add $S/file /f1/x\n"),
        ("add-dir-file-conflict-in-overlay", "add $S/dirC /d1\n"),
        ("add-quoted", "add '$S/with space' \"/with space/x y\"\n"),
        ("add-symlink", "add $S/sl /sl\n"),
        ("add-big-and-hardlinked-replace", "add $S/big /d1/f1link\n"),
        ("delete-file", "delete /f1\n"),
        ("delete-dir-needs-recursive", "delete /d1\n"),
        ("delete-recursive", "delete --recursive /d1\n"),
        ("delete-missing", "delete /nope\n"),
        ("delete-force-missing", "delete --force /nope/x\n"),
        ("delete-root-recursive", "delete --recursive /\n"),
        ("rename-file", "rename /f1 /g1\n"),
        ("rename-file-onto-file", "rename /f1 /d1/f2\n"),
        ("rename-dir", "rename /d1/sub /moved\n"),
        ("rename-dir-onto-empty-dir", "rename /d1/sub /d2\n"),
        ("rename-dir-onto-nonempty", "rename /d2 /d1\n"),
        ("rename-file-onto-dir", "rename /f1 /d1\n"),
        ("rename-dir-onto-file", "rename /d1 /f1\n"),
        ("rename-into-self", "rename /d1 /d1/sub/x\n"),
        ("rename-missing-parent", "rename /f1 /nope/x\n"),
        ("rename-hardlinks", "rename /f1 /d1/f1link\n"),
        (
            "multi-with-comments",
            "# a comment\n\nadd $S/dirA /dirA\n   # indented comment\nrename /dirA/x /dirA/x2\ndelete /dirA/z\nadd $S/file '/dirA/x2/new file'\n",
        ),
        (
            "multi-failing-late",
            "add $S/dirA /dirA\ndelete /f1\nrename /nope /x\n",
        ),
        (
            "backslashes",
            "add $S/file \\d1\\sub\\fb\ndelete \\d1\\f2\n",
        ),
    ];
    v.into_iter().map(|(n, s)| (n, s.to_string())).collect()
}

/// The detailed listing without what legitimately differs between two writers.
fn listing(wim: &Path) -> String {
    let d = oracle::dir_detailed(wim, "1", "/").unwrap_or_else(|e| panic!("dir {wim:?}: {e}"));
    d.lines()
        .filter(|l| {
            let t = l.trim_start();
            !(t.starts_with("Creation Time")
                || t.starts_with("Last Write Time")
                || t.starts_with("Last Access Time")
                || t.starts_with("Offset in WIM")
                || t.starts_with("Compressed size")
                || t.starts_with("Reference Count")
                || t.starts_with("Link Group ID")
                || t.starts_with("Flags")
                || t.starts_with("Part Number"))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn run_update(bin: &[&str], wim: &Path, script: &str) -> i32 {
    let mut c = Command::new(bin[0]);
    c.args(&bin[1..])
        .arg(wim)
        .arg("1")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut ch = c.spawn().unwrap();
    ch.stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    ch.wait().unwrap().code().unwrap_or(-1)
}

#[test]
fn same_result_as_wimlib_update() {
    if !oracle::require_wimlib("update compatibility") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (base, src) = fixtures(tmp.path());
    let base_wim = tmp.path().join("base.wim");
    oracle::capture(&base, &base_wim, &["--compress=lzx"]).unwrap();
    let mut failures = Vec::new();
    let mut checked = 0;
    for (name, script) in scripts() {
        let script = script.replace("$S", &src.display().to_string());
        let a = tmp.path().join(format!("{name}.wimlib.wim"));
        let b = tmp.path().join(format!("{name}.wimkit.wim"));
        std::fs::copy(&base_wim, &a).unwrap();
        std::fs::copy(&base_wim, &b).unwrap();
        let ra = run_update(&["wimlib-imagex", "update"], &a, &script);
        let rb = run_update(&[WIMKIT, "update"], &b, &script);
        if ra != rb {
            failures.push(format!("{name}: exit {ra} (wimlib) vs {rb} (wimkit)"));
            continue;
        }
        if rb != 0 && std::fs::read(&b).unwrap() != std::fs::read(&base_wim).unwrap() {
            failures.push(format!("{name}: failed update changed the WIM"));
        }
        let (la, lb) = (listing(&a), listing(&b));
        if la != lb {
            failures.push(format!(
                "{name}: listings differ\n--- wimlib\n{la}\n--- wimkit\n{lb}"
            ));
            continue;
        }
        if let Err(e) = oracle::verify(&b, &[]) {
            failures.push(format!("{name}: wimlib verify of ours failed: {e}"));
        }
        let (xa, xb) = (
            tmp.path().join(format!("{name}.xa")),
            tmp.path().join(format!("{name}.xb")),
        );
        oracle::apply(&a, "1", &xa, &[]).unwrap();
        oracle::apply(&b, "1", &xb, &[]).unwrap();
        if let Err(e) = oracle::diff_trees(&xa, &xb) {
            failures.push(format!("{name}: extracted trees differ: {e}"));
        }
        checked += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(checked >= 30, "only {checked} scripts compared");
}

#[test]
fn rebuild_and_command_option_match_in_place() {
    if !oracle::require_wimlib("update --rebuild") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (base, src) = fixtures(tmp.path());
    let base_wim = tmp.path().join("base.wim");
    oracle::capture(&base, &base_wim, &["--compress=xpress"]).unwrap();
    let a = tmp.path().join("a.wim");
    let b = tmp.path().join("b.wim");
    std::fs::copy(&base_wim, &a).unwrap();
    std::fs::copy(&base_wim, &b).unwrap();
    let cmd = format!("--command=add '{}/dirB' /d1", src.display());
    let st = Command::new(WIMKIT)
        .args(["update"])
        .arg(&a)
        .arg(&cmd)
        .status()
        .unwrap();
    assert!(st.success());
    let st = Command::new(WIMKIT)
        .args(["update"])
        .arg(&b)
        .arg(&cmd)
        .arg("--rebuild")
        .status()
        .unwrap();
    assert!(st.success());
    assert_eq!(listing(&a), listing(&b));
    assert!(std::fs::metadata(&b).unwrap().len() < std::fs::metadata(&a).unwrap().len());
    oracle::verify(&b, &[]).unwrap();
    // UTF-16LE script with BOM on stdin.
    let c = tmp.path().join("c.wim");
    std::fs::copy(&base_wim, &c).unwrap();
    let mut mine = Command::new(WIMKIT)
        .arg("update")
        .arg(&c)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let mut u = vec![0xFF, 0xFE];
    for x in "delete /f1\r\nrename /d2 /d3\r\n".encode_utf16() {
        u.extend_from_slice(&x.to_le_bytes());
    }
    mine.stdin.take().unwrap().write_all(&u).unwrap();
    assert!(mine.wait().unwrap().success());
    let l = oracle::dir_listing(&c, "1").unwrap();
    assert!(l.contains(&"/d3".to_string()) && !l.contains(&"/f1".to_string()));
}
