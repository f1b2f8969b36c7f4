//! Deterministic on-disk fixture trees for interop tests.

use crate::prng::XorShift64;
use std::path::Path;

/// How much data [`make_fixture_tree`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeClass {
    /// About 300 KB of file data.
    Small,
    /// About 4 MB of file data.
    Medium,
    /// About 24 MB of file data.
    Large,
}

impl SizeClass {
    fn unit(self) -> usize {
        match self {
            SizeClass::Small => 16 * 1024,
            SizeClass::Medium => 200 * 1024,
            SizeClass::Large => 1200 * 1024,
        }
    }
}

/// Seed of the fixture PRNG.
pub const FIXTURE_SEED: u64 = 0x5EED_F1C5_0000_0001;

/// Creates the fixture tree under `dir` (created if missing). Contents: text-like and PRNG
/// files, duplicate contents, empty files, hard links, symlinks (relative, absolute,
/// dangling, to a directory), a 255-byte name, Unicode names (incl. an astral-plane
/// character), a 40-level deep directory chain, an empty directory. Deterministic.
pub fn make_fixture_tree(dir: &Path, size: SizeClass) -> std::io::Result<()> {
    use std::fs;
    let mut rng = XorShift64::new(FIXTURE_SEED);
    let u = size.unit();
    fs::create_dir_all(dir)?;
    let w = |p: &str, data: &[u8]| -> std::io::Result<()> {
        let path = dir.join(p);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(path, data)
    };
    // Compressible and incompressible data.
    for i in 0..6 {
        let t = rng.text(u * (i + 1) / 2);
        w(&format!("docs/text_{i}.txt"), &t)?;
    }
    for i in 0..4 {
        let b = rng.bytes(u * (i + 1) / 2);
        w(&format!("bin/random_{i}.bin"), &b)?;
    }
    // Duplicates (same content, separate inodes).
    let dup = rng.text(u);
    w("dup/one.txt", &dup)?;
    w("dup/two.txt", &dup)?;
    w("dup/nested/three.txt", &dup)?;
    // Zeros (very compressible), and odd sizes around chunk boundaries.
    w("bin/zeros.bin", &vec![0u8; u])?;
    for (i, n) in [1usize, 2, 4095, 4096, 4097, 32767, 32768, 32769]
        .iter()
        .enumerate()
    {
        let b = rng.bytes(*n);
        w(&format!("sizes/s{i}_{n}.bin"), &b)?;
    }
    // Empty files and an empty directory.
    w("empty/empty1", b"")?;
    w("empty/empty2", b"")?;
    fs::create_dir_all(dir.join("empty/emptydir"))?;
    // Hard links.
    let hl = rng.bytes(u / 3 + 7);
    w("links/hard_a", &hl)?;
    replace_with_hard_link(&dir.join("links/hard_a"), &dir.join("links/hard_b"))?;
    replace_with_hard_link(&dir.join("links/hard_a"), &dir.join("docs/hard_c"))?;
    // Symlinks.
    symlink("hard_a", &dir.join("links/sym_rel"))?;
    symlink("../docs", &dir.join("links/sym_dir"))?;
    symlink("/etc/hostname", &dir.join("links/sym_abs"))?;
    symlink("does/not/exist", &dir.join("links/sym_dangling"))?;
    // Long name (255 bytes) and Unicode names.
    let long: String = "L".repeat(251) + ".txt";
    w(&format!("names/{long}"), b"long name\n")?;
    w("names/caf\u{e9}.txt", b"e acute\n")?;
    w("names/\u{65e5}\u{672c}\u{8a9e}.txt", b"cjk\n")?;
    w("names/emoji_\u{1F600}.txt", b"astral plane\n")?;
    w("names/Case.txt", b"upper\n")?;
    w("names/case.txt", b"lower\n")?;
    w("names/with space & sym#bols!.txt", b"punct\n")?;
    // Deep directories.
    let mut deep = String::from("deep");
    for i in 0..40 {
        deep.push_str(&format!("/d{i:02}"));
    }
    w(
        &format!("{deep}/bottom.txt"),
        b"bottom of a 40-level chain\n",
    )?;
    Ok(())
}

fn replace_with_hard_link(src: &Path, dst: &Path) -> std::io::Result<()> {
    if let Some(p) = dst.parent() {
        std::fs::create_dir_all(p)?;
    }
    if dst.exists() {
        std::fs::remove_file(dst)?;
    }
    std::fs::hard_link(src, dst)
}

fn symlink(target: &str, at: &Path) -> std::io::Result<()> {
    if at.symlink_metadata().is_ok() {
        std::fs::remove_file(at)?;
    }
    std::os::unix::fs::symlink(target, at)
}
