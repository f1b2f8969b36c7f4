//! Image properties derived from synthetic Windows trees: hives made with `hivexsh`, stub
//! kernel32.dll PEs, captured with `wimlib-imagex`, compared with the XML wimlib derived.

use servicing::properties::regf::{self, HiveErrorKind, RegValue};
use servicing::properties::{
    Hive, ImageProperties, PropertiesError, SpBuildSource, compare_with_xml,
    derive_image_properties,
};
use std::path::Path;
use std::process::Command;
use wim_format::xml::WimInfo;
use wim_format::{ImageIndex, Wim};
use wim_testdata::windows::{
    self, Spec, build_tree, have, make_hive, multi_sz_hex, pe_stub, set_checksum, software_script,
    spec,
};

use windows::hive_tools_or_skip as tools_or_skip;

/// Builds the tree under `dir` and captures it into `wim`.
fn build_and_capture(dir: &Path, wim: &Path, s: &Spec) {
    build_tree(dir, s).unwrap();
    capture(dir, wim);
}

fn capture(dir: &Path, wim: &Path) {
    windows::wimlib_capture(dir, wim).unwrap();
}

fn derive(wim_path: &Path) -> (ImageProperties, WimInfo, String) {
    let wim = Wim::open(wim_path).unwrap();
    let props = derive_image_properties(&wim, ImageIndex::new(1).unwrap())
        .unwrap()
        .expect("a Windows image");
    let xml = wim.xml_bytes().unwrap();
    let info = WimInfo::parse(&xml, wim.limits()).unwrap();
    let units: Vec<u16> = xml
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    (props, info, String::from_utf16_lossy(&units))
}

/// wimlib's `<WINDOWS>…</DISPLAYDESCRIPTION>` run of the XML text.
fn wimlib_windows_run(xml: &str) -> &str {
    let a = xml.find("<WINDOWS>").expect("wimlib wrote WINDOWS");
    let end_tag = "</DISPLAYDESCRIPTION>";
    let b = xml.find(end_tag).expect("wimlib wrote DISPLAYDESCRIPTION") + end_tag.len();
    &xml[a..b]
}

#[test]
fn derived_xml_equals_wimlibs_for_x86_x64_arm64() {
    if !tools_or_skip("derived_xml_equals_wimlibs_for_x86_x64_arm64") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    for (i, (machine, arch)) in [(0x14c, 0), (0x8664, 9), (0xaa64, 12)].iter().enumerate() {
        let mut s = spec();
        s.machine = *machine;
        if i == 2 {
            s.languages = &["zh-CN", "en-GB", "fr-FR"];
            s.install_language = "0804";
            s.root = "WINNT";
            s.suite = &["EnterpriseAndServer"];
            s.product_type = "ServerNT";
            s.install_type = "Server Core";
        }
        let dir = t.path().join(format!("tree{i}"));
        let wim = t.path().join(format!("w{i}.wim"));
        build_and_capture(&dir, &wim, &s);
        let (p, info, xml) = derive(&wim);
        assert_eq!(p.arch, Some(*arch));
        assert_eq!(p.system_root, s.root.to_uppercase());
        assert_eq!(
            p.xml_string(SpBuildSource::CsdBuildNumber),
            wimlib_windows_run(&xml),
            "our WINDOWS/FLAGS/DISPLAY* elements differ from wimlib's"
        );
        let img = info.image(ImageIndex::new(1).unwrap()).unwrap();
        let mism = compare_with_xml(&p, &img, SpBuildSource::CsdBuildNumber);
        assert!(mism.is_empty(), "{mism:?}");
        // Spot checks against the fixture itself (not only wimlib).
        assert_eq!(p.product_suite.as_deref(), Some(s.suite[0]));
        assert_eq!(p.languages.len(), s.languages.len());
        assert_eq!(p.version_string().as_deref(), Some("10.0.18362.1139"));
        assert_eq!(p.display_version.as_deref(), Some("19H2"));
    }
}

#[test]
fn ubr_is_spbuild_and_follows_a_hive_change() {
    if !tools_or_skip("ubr_is_spbuild_and_follows_a_hive_change") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let mut s = spec();
    s.ubr = 1256; // newer than the stale CSDBuildNumber (1139)
    let dir = t.path().join("tree");
    let wim = t.path().join("a.wim");
    build_and_capture(&dir, &wim, &s);
    let (p, info, _) = derive(&wim);
    assert_eq!(p.spbuild(SpBuildSource::Ubr), Some(1256));
    assert_eq!(p.spbuild(SpBuildSource::CsdBuildNumber), Some(1139));
    assert_eq!(p.version_string().as_deref(), Some("10.0.18362.1256"));
    // wimlib wrote CSDBuildNumber: the comparison flags exactly SPBUILD.
    let img = info.image(ImageIndex::new(1).unwrap()).unwrap();
    let m = compare_with_xml(&p, &img, SpBuildSource::Ubr);
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(m[0].field, "WINDOWS/VERSION/SPBUILD");
    assert_eq!(m[0].xml.as_deref(), Some("1139"));
    assert_eq!(m[0].derived.as_deref(), Some("1256"));

    // Change UBR in the hive (hivexsh on the existing file), re-capture.
    let sw = dir.join("Windows/System32/config/SOFTWARE");
    let sc = t.path().join("ubr.hivexsh");
    std::fs::write(
        &sc,
        format!(
            "cd \\Microsoft\\Windows NT\\CurrentVersion\n{}\ncommit\n",
            software_script(&Spec {
                ubr: 1380,
                ..s.clone()
            })
            .split("cd CurrentVersion\n")
            .nth(1)
            .unwrap()
        ),
    )
    .unwrap();
    let out = Command::new("hivexsh")
        .args(["-w", "-f"])
        .arg(&sc)
        .arg(&sw)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    capture(&dir, &wim);
    let (p2, _, _) = derive(&wim);
    assert_eq!(p2.ubr, Some(1380));
    assert_eq!(p2.version_string().as_deref(), Some("10.0.18362.1380"));
    assert_eq!(
        p2.xml_elements(SpBuildSource::Ubr)[0]
            .text_at("VERSION/SPBUILD")
            .as_deref(),
        Some("1380")
    );
}

#[test]
fn control_set_is_resolved_through_select_current() {
    if !tools_or_skip("control_set_is_resolved_through_select_current") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let mut s = spec();
    s.current = 2;
    let dir = t.path().join("tree");
    let wim = t.path().join("a.wim");
    build_and_capture(&dir, &wim, &s);
    let (p, info, _) = derive(&wim);
    assert_eq!(p.control_set, 2);
    assert_eq!(p.hal.as_deref(), Some("acpipic_up"));
    assert_eq!(p.csd_build_number, Some(1146));
    // wimlib read ControlSet001: the comparison shows both differences.
    let img = info.image(ImageIndex::new(1).unwrap()).unwrap();
    let mut fields: Vec<_> = compare_with_xml(&p, &img, SpBuildSource::CsdBuildNumber)
        .into_iter()
        .map(|m| m.field)
        .collect();
    fields.sort();
    assert_eq!(fields, ["WINDOWS/HAL", "WINDOWS/VERSION/SPBUILD"]);
}

#[test]
fn dirty_hive_is_refused_with_its_path() {
    if !tools_or_skip("dirty_hive_is_refused_with_its_path") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("tree");
    let wim = t.path().join("a.wim");
    build_and_capture(&dir, &wim, &spec());
    let sw = dir.join("Windows/System32/config/SOFTWARE");
    let mut b = std::fs::read(&sw).unwrap();
    let seq = u32::from_le_bytes(b[4..8].try_into().unwrap());
    b[8..12].copy_from_slice(&(seq.wrapping_sub(1)).to_le_bytes());
    set_checksum(&mut b);
    std::fs::write(&sw, &b).unwrap();
    capture(&dir, &wim);
    let w = Wim::open(&wim).unwrap();
    let e = derive_image_properties(&w, ImageIndex::new(1).unwrap()).unwrap_err();
    match &e {
        PropertiesError::Hive { path, error } => {
            assert_eq!(path, "Windows/System32/config/SOFTWARE");
            assert_eq!(error.kind, HiveErrorKind::Dirty);
        }
        other => panic!("unexpected error {other:?}"),
    }
    let msg = e.to_string();
    assert!(msg.contains("SOFTWARE") && msg.contains("dirty"), "{msg}");
}

#[test]
fn non_windows_image_has_no_properties() {
    if !tools_or_skip("non_windows_image_has_no_properties") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("tree");
    std::fs::create_dir_all(dir.join("Windows/System")).unwrap();
    std::fs::write(dir.join("Windows/System/kernel32.dll"), pe_stub(0x14c)).unwrap();
    let wim = t.path().join("a.wim");
    capture(&dir, &wim);
    let w = Wim::open(&wim).unwrap();
    assert!(
        derive_image_properties(&w, ImageIndex::new(1).unwrap())
            .unwrap()
            .is_none()
    );
}

#[test]
fn hivexsh_hives_parse_like_hivexget_reads_them() {
    if !have("hivexsh") || !have("hivexget") {
        eprintln!("SKIP: hivexsh_hives_parse_like_hivexget_reads_them: hivex tools missing");
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let path = t.path().join("h");
    // Many subkeys (forces large subkey lists), a 1000-byte binary value (hivexsh input lines are limited to about 4 KB; big-data cells are covered by the unit tests), every value type.
    // (hivexsh mis-parses `qword:` input, so the QWORD is entered as `hex:11:`.)
    let mut sc = String::from("add Many\ncd Many\n");
    for i in 0..1500 {
        sc += &format!("add k{i:04}\n");
    }
    let big: Vec<String> = (0..1000u32).map(|i| format!("{:02x}", i % 253)).collect();
    sc += &format!(
        "cd \\ \nadd Vals\ncd Vals\nsetval 7\nS\nstring:hello world\nE\nexpandstring:%windir%\n\
         D\ndword:0x473\nQ\nhex:11:ef,cd,ab,89,67,45,23,01\nM\n{}\nB\nhex:3:{}\nBE\nhex:5:00,00,04,73\n",
        multi_sz_hex(&["one", "two"]),
        big.join(",")
    );
    make_hive(&path, &sc).unwrap();
    let data = std::fs::read(&path).unwrap();
    let h = Hive::parse(&data).unwrap();
    let stats = regf::walk(&h).unwrap();
    assert_eq!(stats.keys, 1 + 1 + 1500 + 1);
    let many = h.open_key("MANY").unwrap().unwrap();
    let names: Vec<String> = many.subkeys().unwrap().iter().map(|k| k.name()).collect();
    let want: Vec<String> = (0..1500).map(|i| format!("k{i:04}")).collect();
    assert_eq!(names, want);
    assert!(h.open_key("many\\K1499").unwrap().is_some());
    let v = |n: &str| h.value("Vals", n).unwrap().unwrap();
    assert_eq!(v("S"), RegValue::Sz("hello world".into()));
    assert_eq!(v("E"), RegValue::ExpandSz("%windir%".into()));
    assert_eq!(v("D"), RegValue::Dword(0x473));
    assert_eq!(v("Q"), RegValue::Qword(0x0123_4567_89ab_cdef));
    assert_eq!(v("M"), RegValue::MultiSz(vec!["one".into(), "two".into()]));
    assert_eq!(v("BE"), RegValue::DwordBigEndian(0x473));
    let want_big: Vec<u8> = (0..1000u32).map(|i| (i % 253) as u8).collect();
    assert_eq!(v("B"), RegValue::Binary(want_big));
    // hivexget as the oracle for the strings and numbers.
    let get = |k: &str, n: &str| {
        let o = Command::new("hivexget")
            .arg(&path)
            .arg(k)
            .arg(n)
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    };
    assert_eq!(get("\\Vals", "S"), "hello world");
    assert_eq!(get("\\Vals", "D"), "1139");
    // The cell chain of every hive bin is consistent.
    let cells = h.cells().unwrap();
    assert!(cells.iter().filter(|c| c.2).count() > 1500);
    // The shipped hivex test hive written by Windows XP regedit, if present.
    // (`../../shared` from the main checkout; `../../../shared` from a worktree under wt/.)
    let base = Path::new(env!("CARGO_MANIFEST_DIR"));
    let special = ["../../shared", "../../../shared"]
        .iter()
        .map(|p| base.join(p).join("testdata/hives/special"))
        .find(|p| p.exists())
        .unwrap_or_else(|| base.join("../../shared/testdata/hives/special"));
    match std::fs::read(&special) {
        Ok(d) => {
            let h = Hive::parse(&d).unwrap();
            let names: Vec<String> = h
                .root()
                .unwrap()
                .subkeys()
                .unwrap()
                .iter()
                .map(|k| k.name())
                .collect();
            // As `hivexsh ls` prints them (it stops at the embedded NUL).
            assert_eq!(names, ["abcd_äöüß", "weird™", "zero\0key"]);
            regf::walk(&h).unwrap();
        }
        Err(_) => eprintln!("SKIP: shared hive fixture {} absent", special.display()),
    }
}
