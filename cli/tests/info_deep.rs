//! `wimkit info WIM IMAGE --deep` on a synthetic Windows tree captured by wimlib-imagex:
//! the OS version with UBR, and XML/hive disagreements flagged.

use std::path::Path;
use std::process::Command;

fn have(tool: &str) -> bool {
    Command::new(tool).arg("--help").output().is_ok()
}

fn run(cmd: &mut Command) -> String {
    let o = cmd.output().unwrap();
    assert!(
        o.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn checksum(b: &mut [u8]) {
    let x = servicing::properties::regf::base_block_checksum(b).unwrap();
    b[508..512].copy_from_slice(&x.to_le_bytes());
}

/// A minimal valid empty hive (root key `ROOT` with one security cell), made by hand:
/// hivex ships no empty hive and cannot create one.
fn empty_hive() -> Vec<u8> {
    let mut hbin = vec![0u8; 4096];
    hbin[..4].copy_from_slice(b"hbin");
    hbin[8..12].copy_from_slice(&4096u32.to_le_bytes());
    // Root nk at 0x20 (88 bytes), sk at 0x78 (48 bytes), then one free cell.
    let nk = 0x20usize;
    let sk = 0x78usize;
    hbin[nk..nk + 4].copy_from_slice(&(-88i32).to_le_bytes());
    let d = nk + 4;
    hbin[d..d + 2].copy_from_slice(b"nk");
    hbin[d + 2..d + 4].copy_from_slice(&0x2cu16.to_le_bytes()); // HIVE_ENTRY|NO_DELETE|COMP_NAME
    hbin[d + 28..d + 32].copy_from_slice(&u32::MAX.to_le_bytes()); // subkey list
    hbin[d + 32..d + 36].copy_from_slice(&u32::MAX.to_le_bytes()); // volatile list
    hbin[d + 40..d + 44].copy_from_slice(&u32::MAX.to_le_bytes()); // value list
    hbin[d + 44..d + 48].copy_from_slice(&(sk as u32).to_le_bytes()); // security
    hbin[d + 48..d + 52].copy_from_slice(&u32::MAX.to_le_bytes()); // class
    hbin[d + 72..d + 74].copy_from_slice(&4u16.to_le_bytes());
    hbin[d + 76..d + 80].copy_from_slice(b"ROOT");
    hbin[sk..sk + 4].copy_from_slice(&(-48i32).to_le_bytes());
    let s = sk + 4;
    hbin[s..s + 2].copy_from_slice(b"sk");
    hbin[s + 4..s + 8].copy_from_slice(&(sk as u32).to_le_bytes()); // flink
    hbin[s + 8..s + 12].copy_from_slice(&(sk as u32).to_le_bytes()); // blink
    hbin[s + 12..s + 16].copy_from_slice(&1u32.to_le_bytes()); // refcount
    hbin[s + 16..s + 20].copy_from_slice(&20u32.to_le_bytes()); // descriptor size
    hbin[s + 20] = 1; // SD revision
    hbin[s + 22..s + 24].copy_from_slice(&0x8000u16.to_le_bytes()); // self-relative
    let free = sk + 48;
    hbin[free..free + 4].copy_from_slice(&((4096 - free) as i32).to_le_bytes());
    let mut base = vec![0u8; 4096];
    base[..4].copy_from_slice(b"regf");
    base[4..8].copy_from_slice(&1u32.to_le_bytes());
    base[8..12].copy_from_slice(&1u32.to_le_bytes());
    base[20..24].copy_from_slice(&1u32.to_le_bytes());
    base[24..28].copy_from_slice(&5u32.to_le_bytes());
    base[32..36].copy_from_slice(&1u32.to_le_bytes());
    base[36..40].copy_from_slice(&(nk as u32).to_le_bytes());
    base[40..44].copy_from_slice(&4096u32.to_le_bytes());
    base[44..48].copy_from_slice(&1u32.to_le_bytes());
    checksum(&mut base);
    base.extend_from_slice(&hbin);
    base
}

fn hive(path: &Path, script: &str) {
    std::fs::write(path, empty_hive()).unwrap();
    let sc = path.with_extension("txt");
    std::fs::write(&sc, format!("{script}commit\n")).unwrap();
    run(Command::new("hivexsh")
        .arg("-w")
        .arg("-f")
        .arg(&sc)
        .arg(path));
    std::fs::remove_file(sc).unwrap();
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
    let mut pe = vec![0u8; 512];
    pe[..2].copy_from_slice(b"MZ");
    pe[0x3c] = 0x80;
    pe[0x80..0x84].copy_from_slice(b"PE\0\0");
    pe[0x84..0x86].copy_from_slice(&0xaa64u16.to_le_bytes());
    std::fs::write(cfg.join("../kernel32.dll"), pe).unwrap();
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
    let text = run(Command::new(wimkit)
        .arg("info")
        .arg(&wim)
        .arg("1")
        .arg("--deep"));
    assert!(
        text.contains("Version:                10.0.18362.1139\n"),
        "{text}"
    );
    assert!(text.contains("Architecture:           ARM64\n"), "{text}");
    assert!(text.contains("XML/hive disagreements: none\n"), "{text}");

    // A newer UBR in SOFTWARE than wimlib's SPBUILD (CSDBuildNumber): flagged.
    hive(&cfg.join("SOFTWARE"), &sw(1256));
    capture(&wim);
    let text = run(Command::new(wimkit)
        .arg("info")
        .arg(&wim)
        .arg("1")
        .arg("--deep"));
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
