//! Synthetic Windows trees (hives made with `hivexsh`, stub kernel32.dll PEs), shared by
//! the capture tests. (Copied from `properties.rs`, which keeps its own copy.)
#![allow(dead_code)]

use servicing::properties::regf;
use std::path::Path;
use std::process::Command;

/// True when `tool` runs.
pub fn have(tool: &str) -> bool {
    Command::new(tool).arg("--help").output().is_ok()
}

pub fn checksum(b: &mut [u8]) {
    let x = regf::base_block_checksum(b).unwrap();
    b[508..512].copy_from_slice(&x.to_le_bytes());
}

/// A minimal valid empty hive (root key `ROOT` with one security cell), made by hand:
/// hivex ships no empty hive and cannot create one.
pub fn empty_hive() -> Vec<u8> {
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

/// Creates `path` as an empty hive and runs a hivexsh script on it.
pub fn make_hive(path: &Path, script: &str) {
    std::fs::write(path, empty_hive()).unwrap();
    let sc = path.with_extension("hivexsh");
    std::fs::write(&sc, format!("{script}\ncommit\n")).unwrap();
    let out = Command::new("hivexsh")
        .arg("-w")
        .arg("-f")
        .arg(&sc)
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "hivexsh failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn pe_stub(machine: u16) -> Vec<u8> {
    let mut b = vec![0u8; 512];
    b[..2].copy_from_slice(b"MZ");
    b[0x3c..0x40].copy_from_slice(&0x80u32.to_le_bytes());
    b[0x80..0x84].copy_from_slice(b"PE\0\0");
    b[0x84..0x86].copy_from_slice(&machine.to_le_bytes());
    b
}

#[derive(Clone)]
pub struct Spec {
    pub root: &'static str,
    pub machine: u16,
    pub product: &'static str,
    pub edition: &'static str,
    pub install_type: &'static str,
    pub build: u32,
    pub ubr: u32,
    pub csd_build: u32,
    pub csd_version: u32,
    pub display_version: &'static str,
    /// `Select\Current`; ControlSet001 always exists, ControlSet00N too when N != 1.
    pub current: u32,
    pub product_type: &'static str,
    pub suite: &'static [&'static str],
    pub hal: &'static str,
    pub languages: &'static [&'static str],
    pub install_language: &'static str,
}

pub fn spec() -> Spec {
    Spec {
        root: "Windows",
        machine: 0x8664,
        product: "Windows 10 Pro",
        edition: "Professional",
        install_type: "Client",
        build: 18362,
        ubr: 1139,
        csd_build: 1139,
        csd_version: 0x200,
        display_version: "19H2",
        current: 1,
        product_type: "WinNT",
        suite: &["Terminal Server", "Personal"],
        hal: "acpiapic",
        languages: &["en-US", "de-DE"],
        install_language: "0409",
    }
}

pub fn software_script(s: &Spec) -> String {
    format!(
        "add Microsoft\ncd Microsoft\nadd Windows NT\ncd Windows NT\nadd CurrentVersion\n\
         cd CurrentVersion\nsetval 11\nProductName\nstring:{}\nEditionID\nstring:{}\n\
         InstallationType\nstring:{}\nCurrentMajorVersionNumber\ndword:0x0a\n\
         CurrentMinorVersionNumber\ndword:0\nCurrentBuild\nstring:{b}\nCurrentBuildNumber\n\
         string:{b}\nUBR\ndword:{}\nDisplayVersion\nstring:{}\nCurrentVersion\nstring:6.3\n\
         CSDBuildNumber\nstring:{}",
        s.product,
        s.edition,
        s.install_type,
        s.ubr,
        s.display_version,
        s.csd_build,
        b = s.build
    )
}

pub fn multi_sz_hex(v: &[&str]) -> String {
    let mut b: Vec<u8> = Vec::new();
    for s in v {
        b.extend(s.encode_utf16().chain([0]).flat_map(u16::to_le_bytes));
    }
    b.extend([0, 0]);
    let h: Vec<String> = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("hex:7:{}", h.join(","))
}

pub fn control_set_script(s: &Spec, n: u32, csd_build: u32, hal: &str) -> String {
    let cs = format!("ControlSet{n:03}");
    let mut sc = format!(
        "cd \\ \nadd {cs}\ncd {cs}\nadd Control\ncd Control\nadd Windows\ncd Windows\n\
         setval 2\nCSDBuildNumber\ndword:{csd_build}\nCSDVersion\ndword:{}\ncd ..\n\
         add ProductOptions\ncd ProductOptions\nsetval 2\nProductType\nstring:{}\n\
         ProductSuite\n{}\ncd ..\nadd MUI\ncd MUI\nadd UILanguages\ncd UILanguages\n",
        s.csd_version,
        s.product_type,
        multi_sz_hex(s.suite)
    );
    for l in s.languages {
        sc += &format!("add {l}\n");
    }
    sc += &format!(
        "cd \\{cs}\\Control\nadd Nls\ncd Nls\nadd Language\ncd Language\nsetval 1\n\
         InstallLanguage\nstring:{}\ncd \\{cs}\\Control\nadd Class\ncd Class\n\
         add {{4D36E966-E325-11CE-BFC1-08002BE10318}}\n\
         cd {{4D36E966-E325-11CE-BFC1-08002BE10318}}\nadd 0000\ncd 0000\nsetval 1\n\
         MatchingDeviceId\nstring:{hal}\n",
        s.install_language
    );
    sc
}

pub fn system_script(s: &Spec) -> String {
    let mut sc = format!(
        "add Select\ncd Select\nsetval 2\nCurrent\ndword:{}\nDefault\ndword:{}\n",
        s.current, s.current
    );
    sc += &control_set_script(s, 1, s.csd_build, s.hal);
    if s.current != 1 {
        // A different control set holding different values: only resolving
        // Select\Current finds these.
        sc += &control_set_script(s, s.current, s.csd_build + 7, "acpipic_up");
    }
    sc
}

/// Builds the Windows tree of `s` under `dir`.
pub fn build_tree(dir: &Path, s: &Spec) {
    let sys32 = dir.join(s.root).join("System32");
    let cfg = sys32.join("config");
    std::fs::create_dir_all(&cfg).unwrap();
    std::fs::create_dir_all(dir.join("Program Files")).unwrap();
    std::fs::write(sys32.join("kernel32.dll"), pe_stub(s.machine)).unwrap();
    make_hive(&cfg.join("SOFTWARE"), &software_script(s));
    make_hive(&cfg.join("SYSTEM"), &system_script(s));
    for f in ["SOFTWARE.hivexsh", "SYSTEM.hivexsh"] {
        std::fs::remove_file(cfg.join(f)).unwrap();
    }
}
