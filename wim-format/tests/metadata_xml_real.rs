//! Metadata and XML parsing over the real, uncompressed fixtures in
//! `../shared/testdata/real`, checked against `wimlib-imagex dir` / `info`.
//!
//! The container reader is written separately; this file has its own tiny, test-only
//! header/blob-table reader that only handles uncompressed WIMs.

use std::path::{Path, PathBuf};
use std::process::Command;
use wim_format::metadata::{ImageMetadata, WalkOptions, WalkOrder};
use wim_format::xml::WimInfo;
use wim_format::{FormatErrorKind, Limits, Sha1Digest};

fn real_dir() -> Option<PathBuf> {
    // `../shared` relative to the workspace root; helpers' worktrees sit one level deeper.
    let m = Path::new(env!("CARGO_MANIFEST_DIR"));
    let candidates = [
        m.join("../../shared/testdata/real"),
        m.join("../../../shared/testdata/real"),
    ];
    match candidates.iter().find(|d| d.is_dir()) {
        Some(d) => Some(d.clone()),
        None => {
            println!(
                "SKIP: {} not found; real-fixture tests not run",
                candidates[0].display()
            );
            None
        }
    }
}

fn u64_at(b: &[u8], p: usize) -> u64 {
    u64::from_le_bytes(b[p..p + 8].try_into().unwrap())
}

/// (size in WIM, flags, offset, original size)
fn reshdr(b: &[u8], p: usize) -> (u64, u8, u64, u64) {
    let mut s = [0u8; 8];
    s[..7].copy_from_slice(&b[p..p + 7]);
    (
        u64::from_le_bytes(s),
        b[p + 7],
        u64_at(b, p + 8),
        u64_at(b, p + 16),
    )
}

struct Fixture {
    name: String,
    path: PathBuf,
    xml: Vec<u8>,
    metadata: Vec<Vec<u8>>,
}

/// Every uncompressed `.wim` fixture with its XML and metadata resources.
fn uncompressed_fixtures(dir: &Path) -> Vec<Fixture> {
    let mut out = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.extension().and_then(|e| e.to_str()) != Some("wim") {
            continue;
        }
        let b = std::fs::read(&path).unwrap();
        if b.len() < 208 || &b[..8] != b"MSWIM\0\0\0" {
            continue;
        }
        let flags = u32::from_le_bytes(b[0x10..0x14].try_into().unwrap());
        if flags & 0x2 != 0 {
            continue; // compressed: needs the decoders
        }
        let (xs, _, xo, _) = reshdr(&b, 0x48);
        let xml = b[xo as usize..(xo + xs) as usize].to_vec();
        let (ts, _, to, _) = reshdr(&b, 0x30);
        let table = &b[to as usize..(to + ts) as usize];
        let mut metadata = Vec::new();
        for e in table.chunks_exact(50) {
            let (size, f, off, orig) = reshdr(e, 0);
            if f & 0x02 == 0 {
                continue;
            }
            assert_eq!(size, orig, "uncompressed metadata resource");
            let data = b[off as usize..(off + size) as usize].to_vec();
            let hash: [u8; 20] = e[30..50].try_into().unwrap();
            assert_eq!(Sha1Digest::of(&data), Sha1Digest(hash), "metadata SHA-1");
            metadata.push(data);
        }
        out.push(Fixture {
            name: path.file_name().unwrap().to_string_lossy().into_owned(),
            path,
            xml,
            metadata,
        });
    }
    out
}

fn wimlib(args: &[&str]) -> Option<String> {
    match Command::new("wimlib-imagex").args(args).output() {
        Ok(o) if o.status.success() => Some(String::from_utf8_lossy(&o.stdout).into_owned()),
        Ok(o) => panic!(
            "wimlib-imagex {args:?} failed: {}",
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(_) => None,
    }
}

#[test]
fn every_image_parses_and_paths_match_wimlib_dir() {
    let Some(dir) = real_dir() else { return };
    let fixtures = uncompressed_fixtures(&dir);
    assert!(
        fixtures.len() >= 15,
        "expected the uncompressed fixtures, found {}",
        fixtures.len()
    );
    let mut compared = 0;
    for f in &fixtures {
        assert!(!f.metadata.is_empty(), "{}: no metadata resource", f.name);
        for (i, md) in f.metadata.iter().enumerate() {
            let m = ImageMetadata::parse(md, &Limits::default())
                .unwrap_or_else(|e| panic!("{} image {}: {e}", f.name, i + 1));
            let opts = WalkOptions {
                order: WalkOrder::Collated,
                skip_flagged: true,
            };
            let ours: Vec<String> = m.tree().walk_with(opts).map(|e| e.path).collect();
            // Every path we produce can be looked up again.
            for p in &ours {
                assert!(m.tree().lookup(p).is_some(), "{}: lookup({p:?})", f.name);
            }
            let img = (i + 1).to_string();
            let Some(out) = wimlib(&["dir", f.path.to_str().unwrap(), &img]) else {
                println!(
                    "SKIP: wimlib-imagex not found; path lists of {} not compared",
                    f.name
                );
                continue;
            };
            let theirs: Vec<&str> = out.lines().collect();
            assert_eq!(ours, theirs, "{} image {}", f.name, i + 1);
            compared += 1;
        }
    }
    println!("compared {compared} images with wimlib-imagex dir");
}

#[test]
fn strict_mode_flags_only_the_duplicate_fixture() {
    let Some(dir) = real_dir() else { return };
    for f in uncompressed_fixtures(&dir) {
        for md in &f.metadata {
            let r = ImageMetadata::parse_strict(md, &Limits::default());
            if f.name == "7zip_bit7z_duplicate_names.wim" {
                let e = r.unwrap_err();
                assert_eq!(e.format_kind(), Some(FormatErrorKind::DuplicateName), "{e}");
                let lenient = ImageMetadata::parse(md, &Limits::default()).unwrap();
                let flagged = lenient
                    .tree()
                    .ids()
                    .filter(|&id| lenient.tree().name_problem(id).is_some())
                    .count();
                assert_eq!(flagged, 2, "two duplicates in that fixture");
            } else {
                r.unwrap_or_else(|e| panic!("{}: {e}", f.name));
            }
        }
    }
}

#[test]
fn xml_parses_round_trips_and_matches_wimlib_info() {
    let Some(dir) = real_dir() else { return };
    let fixtures = uncompressed_fixtures(&dir);
    for f in &fixtures {
        let info = WimInfo::parse(&f.xml, &Limits::default())
            .unwrap_or_else(|e| panic!("{}: {e}", f.name));
        assert_eq!(info.image_count() as usize, f.metadata.len(), "{}", f.name);
        let again = WimInfo::parse(&info.to_utf16le_bytes(), &Limits::default()).unwrap();
        assert_eq!(info, again, "{}: XML round trip", f.name);
        let Some(out) = wimlib(&["info", f.path.to_str().unwrap()]) else {
            println!(
                "SKIP: wimlib-imagex not found; XML of {} not compared",
                f.name
            );
            continue;
        };
        let field = |key: &str| -> Vec<String> {
            out.lines()
                .filter_map(|l| l.strip_prefix(key))
                .map(|v| v.trim().to_string())
                .collect()
        };
        let names: Vec<String> = info
            .images()
            .map(|i| i.name().unwrap_or_default())
            .collect();
        assert_eq!(names, field("Name:"), "{}", f.name);
        let ctimes: Vec<String> = info
            .images()
            .map(|i| i.creation_time().unwrap().to_string())
            .collect();
        assert_eq!(ctimes, field("Creation Time:"), "{}", f.name);
        let mtimes: Vec<String> = info
            .images()
            .map(|i| i.last_modification_time().unwrap().to_string())
            .collect();
        assert_eq!(mtimes, field("Last Modification Time:"), "{}", f.name);
        let files: Vec<String> = info
            .images()
            .map(|i| i.file_count().unwrap().to_string())
            .collect();
        assert_eq!(files, field("File Count:"), "{}", f.name);
    }
}

#[test]
fn detailed_fields_match_wimlib_dir_detailed() {
    let Some(dir) = real_dir() else { return };
    let mut records = 0;
    for f in uncompressed_fixtures(&dir) {
        let m = ImageMetadata::parse(&f.metadata[0], &Limits::default()).unwrap();
        let Some(out) = wimlib(&["dir", "--detailed", f.path.to_str().unwrap(), "1"]) else {
            println!("SKIP: wimlib-imagex not found");
            return;
        };
        // Each record starts with `Full Path = "..."`; compare a few fields per record.
        for rec in out
            .split("----------------------------------------------------------------------------")
        {
            let get = |k: &str| {
                rec.lines().find_map(|l| {
                    l.strip_prefix(k)
                        .map(|v| v.trim_start().trim_start_matches('=').trim().to_string())
                })
            };
            let Some(path) = get("Full Path") else {
                continue;
            };
            let path = path.trim_matches('"').to_string();
            let id = m
                .tree()
                .lookup(&path)
                .unwrap_or_else(|| panic!("{}: {path}", f.name));
            let d = m.tree().dentry(id);
            records += 1;
            assert_eq!(
                get("Creation Time"),
                Some(d.creation_time().to_string()),
                "{} {path}",
                f.name
            );
            assert_eq!(
                get("Last Write Time"),
                Some(d.last_write_time().to_string()),
                "{} {path}",
                f.name
            );
            assert_eq!(
                get("Last Access Time"),
                Some(d.last_access_time().to_string()),
                "{} {path}",
                f.name
            );
            assert_eq!(
                get("Attributes"),
                Some(format!("0x{:08x}", d.attributes().bits())),
                "{} {path}",
                f.name
            );
            assert_eq!(
                get("Short Name"),
                Some(format!("\"{}\"", d.short_name())),
                "{} {path}",
                f.name
            );
            assert_eq!(
                get("Link Count"),
                Some(m.tree().link_count(id).to_string()),
                "{} {path}",
                f.name
            );
            if let Some(sd) = get("Security Descriptor") {
                let ours: String = m
                    .security_descriptor_of(id)
                    .unwrap_or_default()
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                assert_eq!(sd, ours, "{} {path}", f.name);
            }
        }
    }
    println!("compared {records} dentries with wimlib-imagex dir --detailed");
    assert!(records > 300, "only {records} records compared");
}
