//! Synthetic Windows image trees for the image-properties tests: registry hives built
//! with `hivexsh` from a hand-made empty hive, stub `kernel32.dll` PE files for x86, x64
//! and ARM64, laid out under `<root>/System32/...` like a real installation.
//!
//! `hivexsh` is an external tool: when it is not installed, [`make_hive`] and
//! [`build_tree`] print a loud `SKIP:` line and return an [`std::io::ErrorKind::NotFound`]
//! error. Tests usually check up front with [`tools_or_skip`] and return early.

use std::io;
use std::path::Path;
use std::process::Command;

/// PE machine type of x86 (`IMAGE_FILE_MACHINE_I386`).
pub const MACHINE_X86: u16 = 0x14c;
/// PE machine type of x64 (`IMAGE_FILE_MACHINE_AMD64`).
pub const MACHINE_X64: u16 = 0x8664;
/// PE machine type of ARM64 (`IMAGE_FILE_MACHINE_ARM64`).
pub const MACHINE_ARM64: u16 = 0xaa64;

/// True when `tool` runs (`tool --help` can be started).
pub fn have(tool: &str) -> bool {
    Command::new(tool).arg("--help").output().is_ok()
}

/// True when every tool of `tools` runs; otherwise prints a loud
/// `SKIP: {test}: `tool` is not installed` line for the first missing one and returns false.
pub fn tools_or_skip(test: &str, tools: &[&str]) -> bool {
    for t in tools {
        if !have(t) {
            eprintln!("SKIP: {test}: `{t}` is not installed");
            println!("SKIP: {test}: `{t}` is not installed");
            return false;
        }
    }
    true
}

/// [`tools_or_skip`] for the tools every Windows-tree test needs: `hivexsh` (to build the
/// hives) and `wimlib-imagex` (the oracle).
pub fn hive_tools_or_skip(test: &str) -> bool {
    tools_or_skip(test, &["hivexsh", "wimlib-imagex"])
}

/// Captures `dir` into a new `wim` (one image named "img") with `wimlib-imagex capture`,
/// replacing any old file; the error carries wimlib's standard error.
pub fn wimlib_capture(dir: &Path, wim: &Path) -> io::Result<()> {
    let _ = std::fs::remove_file(wim);
    let out = Command::new("wimlib-imagex")
        .arg("capture")
        .arg(dir)
        .arg(wim)
        .arg("img")
        .output()?;
    if out.status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "wimlib-imagex capture: {}",
            String::from_utf8_lossy(&out.stderr)
        )))
    }
}

/// The regf base-block checksum: XOR of the first 127 little-endian dwords, with 0 mapped
/// to 1 and `0xFFFF_FFFF` to `0xFFFF_FFFE`. `None` when `block` is shorter than 508 bytes.
///
/// An independent implementation (this crate does not depend on the code under test).
pub fn base_block_checksum(block: &[u8]) -> Option<u32> {
    let b = block.get(..508)?;
    let x = b.chunks_exact(4).fold(0u32, |acc, c| {
        acc ^ u32::from_le_bytes([c[0], c[1], c[2], c[3]])
    });
    Some(match x {
        0xFFFF_FFFF => 0xFFFF_FFFE,
        0 => 1,
        v => v,
    })
}

/// Recomputes the base-block checksum of the hive file bytes `b` in place (bytes 508..512).
/// Does nothing when `b` is shorter than a base block's 512 bytes.
pub fn set_checksum(b: &mut [u8]) {
    if let (Some(x), Some(dst)) = (base_block_checksum(b), b.get_mut(508..512)) {
        dst.copy_from_slice(&x.to_le_bytes());
    }
}

fn put(b: &mut [u8], at: usize, v: &[u8]) {
    b[at..at + v.len()].copy_from_slice(v);
}

/// A minimal valid empty hive (root key `ROOT` with one security cell), made by hand:
/// hivex ships no empty hive and cannot create one. 8 KiB: base block + one hive bin.
pub fn empty_hive() -> Vec<u8> {
    let mut hbin = vec![0u8; 4096];
    put(&mut hbin, 0, b"hbin");
    put(&mut hbin, 8, &4096u32.to_le_bytes());
    // Root nk at 0x20 (88 bytes), sk at 0x78 (48 bytes), then one free cell.
    let nk = 0x20usize;
    let sk = 0x78usize;
    put(&mut hbin, nk, &(-88i32).to_le_bytes());
    let d = nk + 4;
    put(&mut hbin, d, b"nk");
    put(&mut hbin, d + 2, &0x2cu16.to_le_bytes()); // HIVE_ENTRY|NO_DELETE|COMP_NAME
    put(&mut hbin, d + 28, &u32::MAX.to_le_bytes()); // subkey list
    put(&mut hbin, d + 32, &u32::MAX.to_le_bytes()); // volatile list
    put(&mut hbin, d + 40, &u32::MAX.to_le_bytes()); // value list
    put(&mut hbin, d + 44, &(sk as u32).to_le_bytes()); // security
    put(&mut hbin, d + 48, &u32::MAX.to_le_bytes()); // class
    put(&mut hbin, d + 72, &4u16.to_le_bytes());
    put(&mut hbin, d + 76, b"ROOT");
    put(&mut hbin, sk, &(-48i32).to_le_bytes());
    let s = sk + 4;
    put(&mut hbin, s, b"sk");
    put(&mut hbin, s + 4, &(sk as u32).to_le_bytes()); // flink
    put(&mut hbin, s + 8, &(sk as u32).to_le_bytes()); // blink
    put(&mut hbin, s + 12, &1u32.to_le_bytes()); // refcount
    put(&mut hbin, s + 16, &20u32.to_le_bytes()); // descriptor size
    hbin[s + 20] = 1; // SD revision
    put(&mut hbin, s + 22, &0x8000u16.to_le_bytes()); // self-relative
    let free = sk + 48;
    put(&mut hbin, free, &((4096 - free) as i32).to_le_bytes());
    let mut base = vec![0u8; 4096];
    put(&mut base, 0, b"regf");
    put(&mut base, 4, &1u32.to_le_bytes()); // primary sequence
    put(&mut base, 8, &1u32.to_le_bytes()); // secondary sequence
    put(&mut base, 20, &1u32.to_le_bytes()); // major version
    put(&mut base, 24, &5u32.to_le_bytes()); // minor version
    put(&mut base, 32, &1u32.to_le_bytes()); // file format
    put(&mut base, 36, &(nk as u32).to_le_bytes()); // root cell
    put(&mut base, 40, &4096u32.to_le_bytes()); // hive bins data size
    put(&mut base, 44, &1u32.to_le_bytes()); // clustering factor
    set_checksum(&mut base);
    base.extend_from_slice(&hbin);
    base
}

/// Creates `path` (and its parent folders) as an empty hive and runs the `hivexsh -w`
/// script `script` on it (a final `commit` is appended). The script file is removed after.
///
/// Errors: `NotFound` (after a loud `SKIP:` line) when `hivexsh` is not installed; `Other`
/// with hivexsh's stderr when the script fails; any I/O error writing the files.
pub fn make_hive(path: &Path, script: &str) -> io::Result<()> {
    if !have("hivexsh") {
        eprintln!(
            "SKIP: hivexsh is not installed: cannot build {}",
            path.display()
        );
        println!(
            "SKIP: hivexsh is not installed: cannot build {}",
            path.display()
        );
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            "hivexsh is not installed",
        ));
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, empty_hive())?;
    let sc = path.with_extension("hivexsh");
    std::fs::write(&sc, format!("{script}\ncommit\n"))?;
    let out = Command::new("hivexsh")
        .arg("-w")
        .arg("-f")
        .arg(&sc)
        .arg(path)
        .output()?;
    std::fs::remove_file(&sc)?;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "hivexsh failed on {}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(())
}

/// A 512-byte stub PE file (`MZ`, `e_lfanew` = 0x80, `PE\0\0`) with machine type `machine`
/// (see [`MACHINE_X86`], [`MACHINE_X64`], [`MACHINE_ARM64`]): all that the architecture
/// detection of `kernel32.dll` reads.
pub fn pe_stub(machine: u16) -> Vec<u8> {
    let mut b = vec![0u8; 512];
    put(&mut b, 0, b"MZ");
    put(&mut b, 0x3c, &0x80u32.to_le_bytes());
    put(&mut b, 0x80, b"PE\0\0");
    put(&mut b, 0x84, &machine.to_le_bytes());
    b
}

/// What a synthetic Windows tree holds. [`Spec::default`] (also [`spec`]) is a
/// Windows 10 Pro 19H2 x64 client (build 18362.1139).
#[derive(Debug, Clone)]
pub struct Spec {
    /// The system root folder name (`Windows`, `WINNT`, ...).
    pub root: &'static str,
    /// PE machine type of `System32/kernel32.dll`.
    pub machine: u16,
    /// SOFTWARE `ProductName`.
    pub product: &'static str,
    /// SOFTWARE `EditionID`.
    pub edition: &'static str,
    /// SOFTWARE `InstallationType`.
    pub install_type: &'static str,
    /// SOFTWARE `CurrentBuild` and `CurrentBuildNumber`.
    pub build: u32,
    /// SOFTWARE `UBR`.
    pub ubr: u32,
    /// SOFTWARE and SYSTEM `CSDBuildNumber` (ControlSet001; others get `csd_build + 7`).
    pub csd_build: u32,
    /// SYSTEM `CSDVersion`.
    pub csd_version: u32,
    /// SOFTWARE `DisplayVersion`.
    pub display_version: &'static str,
    /// `Select\Current`; ControlSet001 always exists, ControlSet00N too when N != 1.
    pub current: u32,
    /// SYSTEM `ProductOptions\ProductType`.
    pub product_type: &'static str,
    /// SYSTEM `ProductOptions\ProductSuite` (REG_MULTI_SZ).
    pub suite: &'static [&'static str],
    /// HAL `MatchingDeviceId` of ControlSet001 (other control sets get `acpipic_up`).
    pub hal: &'static str,
    /// SYSTEM `MUI\UILanguages` subkeys.
    pub languages: &'static [&'static str],
    /// SYSTEM `Nls\Language\InstallLanguage`.
    pub install_language: &'static str,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            root: "Windows",
            machine: MACHINE_X64,
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
}

/// The default [`Spec`] (Windows 10 Pro 19H2 x64).
pub fn spec() -> Spec {
    Spec::default()
}

/// The hivexsh script filling SOFTWARE's `Microsoft\Windows NT\CurrentVersion` from `s`.
/// The values follow the line `cd CurrentVersion`.
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

/// A REG_MULTI_SZ value of `v` in hivexsh's `hex:7:` input syntax (UTF-16LE strings,
/// each NUL-terminated, then a final NUL).
pub fn multi_sz_hex(v: &[&str]) -> String {
    let mut b: Vec<u8> = Vec::new();
    for s in v {
        b.extend(s.encode_utf16().chain([0]).flat_map(u16::to_le_bytes));
    }
    b.extend([0, 0]);
    let h: Vec<String> = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("hex:7:{}", h.join(","))
}

/// The hivexsh script creating SYSTEM's `ControlSet{n:03}` from `s`, with the given
/// `CSDBuildNumber` and HAL `MatchingDeviceId`.
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

/// The hivexsh script of the whole SYSTEM hive of `s`: `Select` and ControlSet001, plus
/// `ControlSet{current:03}` holding different values (`CSDBuildNumber` + 7, HAL
/// `acpipic_up`) when `s.current != 1`.
pub fn system_script(s: &Spec) -> String {
    let mut sc = format!(
        "add Select\ncd Select\nsetval 2\nCurrent\ndword:{}\nDefault\ndword:{}\n",
        s.current, s.current
    );
    sc += &control_set_script(s, 1, s.csd_build, s.hal);
    if s.current != 1 {
        // A different control set holding different values: only resolving
        // Select\Current finds these.
        sc += &control_set_script(s, s.current, s.csd_build.saturating_add(7), "acpipic_up");
    }
    sc
}

/// Builds the Windows tree of `s` under `dir`: `<root>/System32/kernel32.dll` (a
/// [`pe_stub`]), `<root>/System32/config/{SOFTWARE,SYSTEM}` (via [`make_hive`]) and an
/// empty `Program Files`. Errors as [`make_hive`] (`NotFound` without hivexsh).
pub fn build_tree(dir: &Path, s: &Spec) -> io::Result<()> {
    let sys32 = dir.join(s.root).join("System32");
    let cfg = sys32.join("config");
    std::fs::create_dir_all(&cfg)?;
    std::fs::create_dir_all(dir.join("Program Files"))?;
    std::fs::write(sys32.join("kernel32.dll"), pe_stub(s.machine))?;
    make_hive(&cfg.join("SOFTWARE"), &software_script(s))?;
    make_hive(&cfg.join("SYSTEM"), &system_script(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_hive_checksum_and_layout() {
        let h = empty_hive();
        assert_eq!(h.len(), 8192);
        assert_eq!(&h[..4], b"regf");
        assert_eq!(&h[4096..4100], b"hbin");
        // The checksum makes the XOR of the first 128 dwords zero (no special case here).
        let x = h[..512].chunks_exact(4).fold(0u32, |a, c| {
            a ^ u32::from_le_bytes([c[0], c[1], c[2], c[3]])
        });
        assert_eq!(x, 0);
        assert_eq!(base_block_checksum(&h[..100]), None);
        // Special cases of the checksum.
        assert_eq!(base_block_checksum(&[0u8; 512]), Some(1));
        let mut ff = [0u8; 512];
        ff[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(base_block_checksum(&ff), Some(0xFFFF_FFFE));
    }

    #[test]
    fn pe_stub_machine() {
        let b = pe_stub(MACHINE_ARM64);
        assert_eq!(&b[..2], b"MZ");
        assert_eq!(u32::from_le_bytes(b[0x3c..0x40].try_into().unwrap()), 0x80);
        assert_eq!(&b[0x80..0x84], b"PE\0\0");
        assert_eq!(u16::from_le_bytes([b[0x84], b[0x85]]), 0xaa64);
    }

    #[test]
    fn multi_sz_is_utf16_double_nul() {
        assert_eq!(
            multi_sz_hex(&["a", "b"]),
            "hex:7:61,00,00,00,62,00,00,00,00,00"
        );
    }

    #[test]
    fn build_tree_layout() {
        if !tools_or_skip("build_tree_layout", &["hivexsh"]) {
            return;
        }
        let t = tempfile::tempdir().unwrap();
        build_tree(t.path(), &spec()).unwrap();
        let cfg = t.path().join("Windows/System32/config");
        let mut names: Vec<String> = std::fs::read_dir(&cfg)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["SOFTWARE", "SYSTEM"]);
        let sw = std::fs::read(cfg.join("SOFTWARE")).unwrap();
        assert_eq!(&sw[..4], b"regf");
        assert!(sw.windows(3).any(|w| w == b"UBR"));
        assert_eq!(
            std::fs::read(t.path().join("Windows/System32/kernel32.dll")).unwrap(),
            pe_stub(MACHINE_X64)
        );
        assert!(t.path().join("Program Files").is_dir());
    }
}
