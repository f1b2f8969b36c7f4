//! Update packages and fault injection, at library level.
//!
//! - A writer that fails after N bytes (disk full) at many N, in place and `--rebuild`:
//!   the WIM stays byte-identical, no journal or temporary file is left.
//! - A package with a missing source: all-or-nothing without `continue_on_error`; with
//!   it, the good packages are applied and recorded, the bad one is not.
//! - Replacing a file keeps its security descriptor, attributes and short name.
//! - A simulated crash mid-append is rolled back by `journal::recover`.
//! - (hivexsh + wimlib) a package replacing SOFTWARE with a new UBR moves SPBUILD.
//! - (wimlib) the update record survives `wimlib-imagex export` and `optimize`.

use servicing::update::journal::{self, Journal, Recovery};
use servicing::update::packages::{PackageResult, PackageSpec, applied_updates, apply_packages};
use servicing::update::{EditOutcome, SyncFile, UpdateOptions, update_with};
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use wim_format::header::Compression;
use wim_format::metadata::model::{ImageTree, Inode};
use wim_format::metadata::{FileAttributes, WimName};
use wim_format::write::WimOutput;
use wim_format::write::writer::image_element;
use wim_format::{ImageIndex, Wim, WimWriter};
use wim_testdata::windows;

fn one() -> ImageIndex {
    ImageIndex::new(1).unwrap()
}

/// Applies the one package in `dir` (recorded as `id`) to image 1 of `wim`.
fn apply_one(
    wim: &Path,
    dir: PathBuf,
    id: &str,
    opts: &UpdateOptions,
) -> (
    Vec<servicing::update::packages::PackageOutcome>,
    servicing::update::UpdateReport,
) {
    let specs = [PackageSpec { dir, id: id.into() }];
    apply_packages(wim, one(), &specs, false, opts, &|_| {}).unwrap()
}

const SD: [u8; 20] = [
    1, 0, 4, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];

/// A WIM (our writer, LZX) with /Windows/a.txt (security descriptor, HIDDEN|ARCHIVE,
/// short name A~1.TXT), /keep.bin, /dir/x.
fn base_wim(p: &Path) {
    let mut t = ImageTree::new();
    let sd = t.add_security_descriptor(&SD);
    let root = t.root();
    let win = t.add(root, "Windows", Inode::directory()).unwrap();
    let dir = t.add(root, "dir", Inode::directory()).unwrap();
    let mut w = WimWriter::builder()
        .compression(Compression::Lzx)
        .create(p)
        .unwrap();
    let h = w.add_blob(b"old content of a.txt").unwrap();
    let mut ino = Inode::file(Some(h));
    ino.security_id = Some(sd);
    ino.attributes = FileAttributes::HIDDEN | FileAttributes::ARCHIVE;
    let e = t.add(win, "a.txt", ino).unwrap();
    t.entry_mut(e).unwrap().short_name = WimName::from_str_lossless("A~1.TXT");
    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    let hb = w.add_blob(&big).unwrap();
    t.add(root, "keep.bin", Inode::file(Some(hb))).unwrap();
    let hx = w.add_blob(b"x").unwrap();
    t.add(dir, "x", Inode::file(Some(hx))).unwrap();
    w.add_image(&t, image_element(Some("img"), None)).unwrap();
    w.finish().unwrap();
}

fn package(root: &Path, name: &str, files: &[(&str, Vec<u8>)], commands: Option<&str>) -> PathBuf {
    let d = root.join(name);
    for (p, data) in files {
        let f = d.join("files").join(p);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, data).unwrap();
    }
    std::fs::create_dir_all(&d).unwrap();
    if let Some(c) = commands {
        std::fs::write(d.join("commands"), c).unwrap();
    }
    d
}

fn tree_of(p: &Path) -> ImageTree {
    let wim = Wim::open(p).unwrap();
    servicing::export::load_tree(&wim, one()).unwrap()
}

fn read_file(p: &Path, path: &str) -> Vec<u8> {
    let wim = Wim::open(p).unwrap();
    let t = servicing::export::load_tree(&wim, one()).unwrap();
    let e = t.lookup(path).unwrap_or_else(|| panic!("{path} missing"));
    match t.inode_of(e).unwrap().data {
        None => Vec::new(),
        Some(h) => {
            let en = wim.entry(&h).unwrap();
            let mut r = wim.open_entry(en).unwrap();
            let mut v = Vec::new();
            r.read_to_end(&mut v).unwrap();
            v
        }
    }
}

fn no_leftovers(dir: &Path) {
    for e in std::fs::read_dir(dir).unwrap() {
        let n = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            !n.contains("wimkit-journal") && !n.contains("wimkit-tmp"),
            "left behind: {n}"
        );
    }
}

/// Fails every write once `left` bytes have been written or after `calls_left` write
/// calls (a full disk); counts the bytes written and the write calls made.
struct FailAfter {
    inner: SyncFile,
    left: u64,
    calls_left: u64,
    written: std::sync::Arc<std::sync::atomic::AtomicU64>,
    calls: std::sync::Arc<std::sync::atomic::AtomicU64>,
}
impl Read for FailAfter {
    fn read(&mut self, b: &mut [u8]) -> io::Result<usize> {
        self.inner.read(b)
    }
}
impl Write for FailAfter {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        if self.left == 0 || self.calls_left == 0 {
            return Err(io::Error::new(
                io::ErrorKind::StorageFull,
                "disk full (simulated)",
            ));
        }
        let n = (b.len() as u64).min(self.left) as usize;
        let n = self.inner.write(&b[..n])?;
        self.left -= n as u64;
        self.calls_left -= 1;
        self.calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.written
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
impl Seek for FailAfter {
    fn seek(&mut self, p: io::SeekFrom) -> io::Result<u64> {
        self.inner.seek(p)
    }
}
impl WimOutput for FailAfter {
    fn set_len(&mut self, len: u64) -> io::Result<()> {
        self.inner.set_len(len)
    }
}

#[test]
fn disk_full_at_any_point_leaves_the_wim_byte_identical() {
    let t = tempfile::tempdir().unwrap();
    let wim = t.path().join("a.wim");
    base_wim(&wim);
    let before = std::fs::read(&wim).unwrap();
    let big: Vec<u8> = (0..400_000u32).map(|i| (i * 31 % 249) as u8).collect();
    let pkg = package(
        t.path(),
        "p",
        &[("Windows/a.txt", b"new".to_vec()), ("new/big.bin", big)],
        Some("delete /dir --recursive\n"),
    );
    let mut failures_seen = 0;
    for rebuild in [false, true] {
        // (bytes, calls) before the simulated full disk → (succeeded, bytes, calls).
        let attempt = |(limit, call_limit): (u64, u64)| {
            let written = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
            let calls = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
            let (w2, c2) = (written.clone(), calls.clone());
            let wrap = move |f: SyncFile| -> Box<dyn WimOutput> {
                Box::new(FailAfter {
                    inner: f,
                    left: limit,
                    calls_left: call_limit,
                    written: w2.clone(),
                    calls: c2.clone(),
                })
            };
            let opts = UpdateOptions {
                rebuild,
                keep_metadata_on_replace: true,
                ..Default::default()
            };
            let r = update_with(&wim, one(), &opts, &|_| {}, Some(&wrap), &mut |ed| {
                ed.run(&servicing::update::command::UpdateCommand::Add {
                    source: pkg.join("files"),
                    dest: "/".into(),
                    options: Default::default(),
                })?;
                ed.run(&servicing::update::command::UpdateCommand::Delete {
                    path: "/dir".into(),
                    force: false,
                    recursive: true,
                })?;
                Ok(EditOutcome {
                    value: (),
                    changed: true,
                })
            });
            (
                r.is_ok(),
                written.load(std::sync::atomic::Ordering::Relaxed),
                calls.load(std::sync::atomic::Ordering::Relaxed),
            )
        };
        // Measure a complete run, then fail at 16 points spread over its writes. The run's
        // byte count varies by a few bytes (the compressed metadata holds the update's
        // time), so the end is reached by counting write calls, not bytes.
        let (ok, total, calls) = attempt((u64::MAX, u64::MAX));
        assert!(
            ok && total > 1000 && calls > 2,
            "rebuild={rebuild}: {total} bytes"
        );
        assert_eq!(read_file(&wim, "/Windows/a.txt"), b"new");
        std::fs::write(&wim, &before).unwrap();
        let mut limits: Vec<(u64, u64)> = [0u64, 1, 207, 208]
            .into_iter()
            .chain((1..=10).map(|k| total * k / 11))
            .map(|b| (b, u64::MAX))
            .collect();
        limits.extend([(u64::MAX, calls - 1), (u64::MAX, calls - 2)]);
        for limit in limits {
            let (ok, _, _) = attempt(limit);
            assert!(
                !ok,
                "rebuild={rebuild} limit={limit:?} of {total} bytes / {calls} calls: should have failed"
            );
            failures_seen += 1;
            assert!(
                std::fs::read(&wim).unwrap() == before,
                "rebuild={rebuild} limit={limit:?}: WIM changed after a failed update"
            );
            no_leftovers(t.path());
        }
    }
    assert!(
        failures_seen >= 32,
        "only {failures_seen} injected failures hit"
    );
    // And the package itself applies when the disk is not full.
    let (out, _) = apply_one(&wim, pkg, "KB1", &UpdateOptions::default());
    assert!(matches!(out[0].result, PackageResult::Applied(_)));
}

#[test]
fn missing_source_is_all_or_nothing_unless_continue_on_error() {
    let t = tempfile::tempdir().unwrap();
    let wim = t.path().join("a.wim");
    base_wim(&wim);
    let before = std::fs::read(&wim).unwrap();
    let good = package(t.path(), "good", &[("good.txt", b"good".to_vec())], None);
    let bad = package(
        t.path(),
        "bad",
        &[("bad.txt", b"bad".to_vec())],
        Some("add does-not-exist.txt /x\n"),
    );
    let good2 = package(t.path(), "good2", &[], Some("rename /keep.bin /kept.bin\n"));
    let specs = vec![
        PackageSpec {
            dir: good.clone(),
            id: "G1".into(),
        },
        PackageSpec {
            dir: bad.clone(),
            id: "B1".into(),
        },
        PackageSpec {
            dir: good2.clone(),
            id: "G2".into(),
        },
    ];
    let opts = UpdateOptions::default();
    let e = apply_packages(&wim, one(), &specs, false, &opts, &|_| {});
    assert!(e.is_err());
    assert!(e.unwrap_err().to_string().contains("does-not-exist"));
    assert_eq!(
        std::fs::read(&wim).unwrap(),
        before,
        "all-or-nothing violated"
    );
    no_leftovers(t.path());

    let (out, _) = apply_packages(&wim, one(), &specs, true, &opts, &|_| {}).unwrap();
    assert!(matches!(out[0].result, PackageResult::Applied(s) if s.added == 1));
    assert!(matches!(&out[1].result, PackageResult::Failed(m) if m.contains("does-not-exist")));
    assert!(matches!(out[2].result, PackageResult::Applied(_)));
    let tr = tree_of(&wim);
    assert!(tr.lookup("/good.txt").is_some());
    assert!(tr.lookup("/bad.txt").is_none(), "failed package left files");
    assert!(tr.lookup("/kept.bin").is_some() && tr.lookup("/keep.bin").is_none());
    let w = Wim::open(&wim).unwrap();
    let xml = servicing::export::src_xml(&w).unwrap();
    let ids: Vec<String> = applied_updates(xml.image(one()).unwrap().element())
        .into_iter()
        .map(|u| u.id)
        .collect();
    assert_eq!(ids, ["G1", "G2"]);
    drop(w);
    // Same ids again: no-op for G1/G2 (the WIM is not rewritten when nothing changes).
    let now = std::fs::read(&wim).unwrap();
    let specs2 = vec![specs[0].clone(), specs[2].clone()];
    let (out, rep) = apply_packages(&wim, one(), &specs2, false, &opts, &|_| {}).unwrap();
    assert!(
        out.iter()
            .all(|o| o.result == PackageResult::AlreadyApplied)
    );
    assert!(!rep.written);
    assert_eq!(std::fs::read(&wim).unwrap(), now);
}

#[test]
fn replace_keeps_security_attributes_and_short_name() {
    let t = tempfile::tempdir().unwrap();
    let wim = t.path().join("a.wim");
    base_wim(&wim);
    let p = package(
        t.path(),
        "p",
        &[("Windows/a.txt", b"replaced".to_vec())],
        None,
    );
    let (out, _) = apply_one(&wim, p, "KB9", &UpdateOptions::default());
    assert!(matches!(out[0].result, PackageResult::Applied(s) if s.replaced == 1 && s.added == 0));
    let tr = tree_of(&wim);
    let e = tr.lookup("/Windows/a.txt").unwrap();
    let ino = tr.inode_of(e).unwrap();
    assert_eq!(
        ino.attributes,
        FileAttributes::HIDDEN | FileAttributes::ARCHIVE
    );
    let sd = ino
        .security_id
        .and_then(|i| tr.security_descriptors().get(i as usize));
    assert_eq!(sd.map(Vec::as_slice), Some(&SD[..]));
    assert_eq!(tr.entry(e).unwrap().short_name.to_string_lossy(), "A~1.TXT");
    assert_eq!(read_file(&wim, "/Windows/a.txt"), b"replaced");
    // wimupdate semantics (plain update): the scanned file's own metadata.
    let cmds = [servicing::update::command::UpdateCommand::Add {
        source: t.path().join("p/files/Windows/a.txt"),
        dest: "/Windows/a.txt".into(),
        options: Default::default(),
    }];
    servicing::update::update_image(&wim, one(), &cmds, &UpdateOptions::default(), &|_| {})
        .unwrap();
    let tr = tree_of(&wim);
    let e = tr.lookup("/Windows/a.txt").unwrap();
    assert_eq!(tr.inode_of(e).unwrap().security_id, None);
    assert!(tr.entry(e).unwrap().short_name.is_empty());
}

#[test]
fn crash_mid_append_is_rolled_back_by_recover() {
    let t = tempfile::tempdir().unwrap();
    let wim = t.path().join("a.wim");
    base_wim(&wim);
    let before = std::fs::read(&wim).unwrap();
    assert_eq!(journal::recover(&wim).unwrap(), Recovery::Clean);
    let j = Journal::begin(&wim).unwrap();
    // What a killed writer leaves: data after the end and a WRITE_IN_PROGRESS header.
    {
        let mut f = std::fs::OpenOptions::new().write(true).open(&wim).unwrap();
        f.seek(io::SeekFrom::End(0)).unwrap();
        f.write_all(&[0xAB; 10_000]).unwrap();
        f.seek(io::SeekFrom::Start(0x2C)).unwrap();
        f.write_all(&[0x40, 0, 0, 0]).unwrap();
    }
    std::mem::forget(j);
    assert_ne!(std::fs::read(&wim).unwrap(), before);
    assert_eq!(journal::recover(&wim).unwrap(), Recovery::RolledBack);
    assert_eq!(std::fs::read(&wim).unwrap(), before);
    no_leftovers(t.path());
    // A journal that does not belong to the file is refused, not applied.
    let j = Journal::begin(&wim).unwrap();
    std::mem::forget(j);
    let other = t.path().join("b.wim");
    base_wim(&other);
    std::fs::rename(&other, &wim).unwrap();
    let now = std::fs::read(&wim).unwrap();
    assert!(journal::recover(&wim).is_err());
    assert_eq!(std::fs::read(&wim).unwrap(), now);
}

#[test]
fn journal_is_never_partial_under_its_name() {
    // A writer killed while writing its journal leaves at most the staging file: the WIM
    // is untouched then, so recovery drops it instead of refusing a damaged journal.
    let t = tempfile::tempdir().unwrap();
    let wim = t.path().join("a.wim");
    base_wim(&wim);
    let before = std::fs::read(&wim).unwrap();
    let name = journal::journal_path(&wim);
    let staging = std::path::PathBuf::from(format!("{}.new", name.display()));
    std::fs::write(&staging, b"WIMKITJ1\x10").unwrap();
    assert_eq!(journal::recover(&wim).unwrap(), Recovery::Clean);
    assert!(!staging.exists());
    assert_eq!(std::fs::read(&wim).unwrap(), before);
    // A stale staging file does not stop the next update either, and a journal, once
    // begun, is whole under its name with no staging file left.
    std::fs::write(&staging, b"partial").unwrap();
    let j = Journal::begin(&wim).unwrap();
    assert!(!staging.exists());
    assert_eq!(std::fs::read(&name).unwrap().len(), 8 + 8 + 208 + 20);
    // A second update does not overwrite it.
    assert!(Journal::begin(&wim).is_err());
    j.commit().unwrap();
    no_leftovers(t.path());
    // A damaged journal under its name is still refused (it cannot come from a crash).
    std::fs::write(&name, b"WIMKITJ1").unwrap();
    assert!(journal::recover(&wim).is_err());
    assert_eq!(std::fs::read(&wim).unwrap(), before);
}

// ---- oracle tests (hivexsh, wimlib-imagex) ----

fn tools_or_skip(test: &str) -> bool {
    windows::tools_or_skip(test, &["hivexsh", "wimlib-imagex"])
}

/// Creates `path` as an empty hive and runs a hivexsh script on it.
fn make_hive(path: &Path, script: &str) {
    windows::make_hive(path, script).unwrap();
}

fn software(ubr: u32) -> String {
    format!(
        "add Microsoft\ncd Microsoft\nadd Windows NT\ncd Windows NT\nadd CurrentVersion\n\
         cd CurrentVersion\nsetval 7\nProductName\nstring:Windows 10 Pro\nEditionID\n\
         string:Professional\nInstallationType\nstring:Client\nCurrentMajorVersionNumber\n\
         dword:0x0a\nCurrentMinorVersionNumber\ndword:0\nCurrentBuild\nstring:19045\nUBR\n\
         dword:{ubr:#x}"
    )
}

fn xml_text(p: &Path) -> String {
    let w = Wim::open(p).unwrap();
    let b = w.xml_bytes().unwrap();
    let u: Vec<u16> = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16_lossy(&u)
}

fn wimlib(args: &[&str]) {
    let o = Command::new("wimlib-imagex").args(args).output().unwrap();
    assert!(
        o.status.success(),
        "wimlib-imagex {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn spbuild_follows_ubr_of_a_replaced_software_hive() {
    if !tools_or_skip("spbuild_follows_ubr_of_a_replaced_software_hive") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let tree = t.path().join("tree");
    let cfg = tree.join("Windows/System32/config");
    make_hive(&cfg.join("SOFTWARE"), &software(3000));
    std::fs::write(
        tree.join("Windows/System32/kernel32.dll"),
        windows::pe_stub(windows::MACHINE_X64),
    )
    .unwrap();
    let wim = t.path().join("w.wim");
    wimlib(&[
        "capture",
        tree.to_str().unwrap(),
        wim.to_str().unwrap(),
        "img",
    ]);
    // Baseline: derive from the hive (wimlib wrote no SPBUILD: no CSDBuildNumber).
    let pk = t.path().join("kb");
    make_hive(
        &pk.join("files/Windows/System32/config/SOFTWARE"),
        &software(4321),
    );
    let (_, rep) = apply_one(&wim, pk, "KB5034441", &UpdateOptions::default());
    assert!(rep.properties_refreshed);
    let x = xml_text(&wim);
    assert!(x.contains("<SPBUILD>4321</SPBUILD>"), "{x}");
    assert!(x.contains("<BUILD>19045</BUILD>"), "{x}");
    assert!(x.contains("<UPDATE ID=\"KB5034441\">"), "{x}");
    wimlib(&["verify", wim.to_str().unwrap()]);
    // A second package with another UBR moves it again.
    let pk2 = t.path().join("kb2");
    make_hive(
        &pk2.join("files/Windows/System32/config/SOFTWARE"),
        &software(4400),
    );
    let rebuild = UpdateOptions {
        rebuild: true,
        ..Default::default()
    };
    apply_one(&wim, pk2, "KB2", &rebuild);
    let x = xml_text(&wim);
    assert!(
        x.contains("<SPBUILD>4400</SPBUILD>") && !x.contains("4321</SPBUILD>"),
        "{x}"
    );
    assert!(x.contains("KB5034441") && x.contains("KB2"));
}

#[test]
fn update_record_survives_wimlib_export_and_optimize() {
    if !tools_or_skip("update_record_survives_wimlib_export_and_optimize") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let wim = t.path().join("a.wim");
    base_wim(&wim);
    let p = package(t.path(), "p", &[("n.txt", b"n".to_vec())], None);
    apply_one(&wim, p, "KB777", &UpdateOptions::default());
    let exported = t.path().join("e.wim");
    wimlib(&[
        "export",
        wim.to_str().unwrap(),
        "1",
        exported.to_str().unwrap(),
    ]);
    wimlib(&["optimize", wim.to_str().unwrap()]);
    for f in [&exported, &wim] {
        let w = Wim::open(f).unwrap();
        let xml = servicing::export::src_xml(&w).unwrap();
        let u = applied_updates(xml.image(one()).unwrap().element());
        assert_eq!(u.len(), 1, "{f:?}: {}", xml_text(f));
        assert_eq!(u[0].id, "KB777");
        assert_eq!(u[0].added, 1);
    }
}
