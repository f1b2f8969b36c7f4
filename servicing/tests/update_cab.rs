//! CAB / MSU parsing with fixtures built by `gcab` from hand-written (self-made, not
//! Microsoft) `update.mum` files: uncompressed and MSZIP folders, multi-block payloads
//! compared byte for byte, MSU (a CAB holding the package CAB and an .xml), refusal of
//! such packages by `apply_packages`.

use servicing::package::cab::Cabinet;
use servicing::package::{inspect, parse_mum, sniff};
use servicing::update::UpdateOptions;
use servicing::update::packages::{PackageSpec, apply_packages};
use std::path::Path;
use std::process::Command;

fn gcab_or_skip(test: &str) -> bool {
    if Command::new("gcab").arg("--version").output().is_err() {
        eprintln!("SKIP: {test}: `gcab` is not installed (apt-get install gcab)");
        return false;
    }
    true
}

/// Self-made update.mum in the shape described in servicing-research.md §2.2.
const MUM: &str = r#"<?xml version="1.0" encoding="utf-8" standalone="yes"?>
<!-- self-made test fixture, not a Microsoft file -->
<assembly xmlns="urn:schemas-microsoft-com:asm.v3" manifestVersion="1.0" copyright="test">
  <assemblyIdentity name="Package_for_RollupFix" version="19041.3803.1.12" processorArchitecture="amd64" language="neutral" buildType="release" publicKeyToken="31bf3856ad364e35"/>
  <package identifier="KB5033372" releaseType="Security Update" restart="required">
    <parent buildCompare="EQ" revisionCompare="GE" integrate="separate" disposition="detect">
      <assemblyIdentity name="Microsoft-Windows-ProfessionalEdition" version="10.0.19041.1" processorArchitecture="amd64" language="neutral" buildType="release" publicKeyToken="31bf3856ad364e35"/>
    </parent>
  </package>
</assembly>
"#;

fn gcab(dir: &Path, out: &Path, compress: bool, files: &[&str]) {
    let mut c = Command::new("gcab");
    c.current_dir(dir).arg("-c");
    if compress {
        c.arg("-z");
    }
    c.arg(out).args(files);
    let o = c.output().unwrap();
    assert!(
        o.status.success(),
        "gcab: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn payload() -> Vec<u8> {
    // Mixed: repetitive text (long matches across the 32 KiB block boundaries) and noise.
    let mut v = Vec::new();
    let mut x = 12345u32;
    for i in 0..9000 {
        v.extend_from_slice(format!("line {} of the payload {}\n", i % 700, i % 13).as_bytes());
        if i % 50 == 0 {
            for _ in 0..300 {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                v.push((x >> 16) as u8);
            }
        }
    }
    v
}

#[test]
fn mum_identity() {
    let id = parse_mum(MUM.as_bytes()).unwrap();
    assert_eq!(id.name, "Package_for_RollupFix");
    assert_eq!(id.kb.as_deref(), Some("KB5033372"));
    assert_eq!(id.version, "19041.3803.1.12");
    assert_eq!(id.arch, "amd64");
    assert_eq!(id.language, "neutral");
    assert_eq!(id.release_type.as_deref(), Some("Security Update"));
    assert_eq!(
        id.cbs_identity(),
        "Package_for_RollupFix~31bf3856ad364e35~amd64~~19041.3803.1.12"
    );
    // KB from the name when there is no identifier.
    let m2 = r#"<assembly><assemblyIdentity name="Package_for_KB4589212" version="1.0.0.0" processorArchitecture="x86" language="en-US"/></assembly>"#;
    let id = parse_mum(m2.as_bytes()).unwrap();
    assert_eq!(id.kb.as_deref(), Some("KB4589212"));
    assert!(parse_mum(b"<notassembly/>").is_err());
    assert!(parse_mum(b"<assembly><x/>").is_err());
}

#[test]
fn cab_files_extract_exactly_uncompressed_and_mszip() {
    if !gcab_or_skip("cab_files_extract_exactly_uncompressed_and_mszip") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("update.mum"), MUM).unwrap();
    let data = payload();
    assert!(data.len() > 5 * 32768);
    std::fs::write(t.path().join("payload.bin"), &data).unwrap();
    std::fs::write(t.path().join("empty.txt"), b"").unwrap();
    for compress in [false, true] {
        let cab = t.path().join(format!("p{compress}.cab"));
        gcab(
            t.path(),
            &cab,
            compress,
            &["update.mum", "payload.bin", "empty.txt"],
        );
        let mut f = std::fs::File::open(&cab).unwrap();
        let c = Cabinet::parse(&mut f).unwrap();
        assert_eq!(c.files.len(), 3);
        assert_eq!(c.folders[0].compression & 0xF, u16::from(compress));
        let p = c.find("payload.bin").unwrap().clone();
        assert_eq!(
            c.read_file(&mut f, &p, u64::MAX).unwrap(),
            data,
            "compress={compress}"
        );
        let m = c.find("UPDATE.MUM").unwrap().clone();
        assert_eq!(c.read_file(&mut f, &m, u64::MAX).unwrap(), MUM.as_bytes());
        assert!(c.read_file(&mut f, &p, 100).is_err(), "limit not enforced");
        let id = inspect(&cab).unwrap();
        assert_eq!(id.container, "CAB");
        assert_eq!(id.kb.as_deref(), Some("KB5033372"));
        assert_eq!(sniff(&cab).as_deref(), Some("CAB"));
    }
}

#[test]
fn corrupt_cabs_are_errors_not_panics() {
    if !gcab_or_skip("corrupt_cabs_are_errors_not_panics") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("update.mum"), MUM).unwrap();
    std::fs::write(t.path().join("payload.bin"), payload()).unwrap();
    let cab = t.path().join("c.cab");
    gcab(t.path(), &cab, true, &["update.mum", "payload.bin"]);
    let good = std::fs::read(&cab).unwrap();
    let mut x = 7u64;
    for round in 0..300 {
        let mut b = good.clone();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        match round % 3 {
            0 => b.truncate((x as usize) % good.len()),
            _ => {
                for k in 0..4 {
                    let i = ((x >> (k * 16)) as usize) % b.len();
                    b[i] ^= (x >> 3) as u8 | 1;
                }
            }
        }
        let p = t.path().join("bad.cab");
        std::fs::write(&p, &b).unwrap();
        let _ = inspect(&p); // must return, whatever it says
        if let Ok(c) = Cabinet::parse(&mut std::io::Cursor::new(&b)) {
            for f in c.files.clone() {
                let _ = c.read_file(&mut std::io::Cursor::new(&b), &f, 1 << 20);
            }
        }
    }
}

#[test]
fn msu_identity_and_refusal() {
    if !gcab_or_skip("msu_identity_and_refusal") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let inner = t.path().join("inner");
    std::fs::create_dir_all(&inner).unwrap();
    std::fs::write(inner.join("update.mum"), MUM).unwrap();
    std::fs::write(inner.join("payload.bin"), payload()).unwrap();
    let outer = t.path().join("outer");
    std::fs::create_dir_all(&outer).unwrap();
    gcab(
        &inner,
        &outer.join("Windows10.0-KB5033372-x64.cab"),
        true,
        &["update.mum", "payload.bin"],
    );
    std::fs::write(outer.join("Windows10.0-KB5033372-x64.xml"), "<unattend/>").unwrap();
    std::fs::write(outer.join("WSUSSCAN.cab"), b"not really").unwrap();
    let msu = t.path().join("Windows10.0-KB5033372-x64.msu");
    gcab(
        &outer,
        &msu,
        false,
        &[
            "WSUSSCAN.cab",
            "Windows10.0-KB5033372-x64.cab",
            "Windows10.0-KB5033372-x64.xml",
        ],
    );
    let id = inspect(&msu).unwrap();
    assert_eq!(id.container, "MSU (CAB)");
    assert_eq!(
        id.inner_cab.as_deref(),
        Some("Windows10.0-KB5033372-x64.cab")
    );
    assert_eq!(id.kb.as_deref(), Some("KB5033372"));
    assert_eq!(id.arch, "amd64");
    // Refused as an update package, naming CBS/CSI and the alternative.
    let wim = t.path().join("w.wim");
    {
        let tree = wim_format::metadata::model::ImageTree::new();
        let mut w = wim_format::WimWriter::builder().create(&wim).unwrap();
        w.add_image(
            &tree,
            wim_format::write::writer::image_element(Some("x"), None),
        )
        .unwrap();
        w.finish().unwrap();
    }
    let before = std::fs::read(&wim).unwrap();
    for pkg in [&msu, &outer.join("Windows10.0-KB5033372-x64.cab"), &inner] {
        let specs = [PackageSpec {
            dir: pkg.clone(),
            id: "X".into(),
        }];
        let e = apply_packages(
            &wim,
            wim_format::ImageIndex::new(1).unwrap(),
            &specs,
            false,
            &UpdateOptions::default(),
            &|_| {},
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("CBS/CSI") && e.contains("DISM"), "{e}");
        assert_eq!(std::fs::read(&wim).unwrap(), before);
    }
}
