//! ESD → ESD export and optimize copy whole solid resources byte for byte when every
//! blob in them is exported and the codec and chunk size match (wimlib recompresses only
//! what it must). Oracles: the resource bytes of the wimlib-made source found unchanged
//! in our output, `wimlib-imagex verify`, and applied trees.

use std::path::Path;
use std::process::{Command, Output};
use wim_testdata::oracle;

const WIMKIT: &str = env!("CARGO_BIN_EXE_wimkit");

fn wimkit(args: &[&str]) -> Output {
    Command::new(WIMKIT).args(args).output().unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `(offset, compressed size)` of every solid resource, from `wimlib-imagex info --blobs`
/// lines `Solid resource    = U => C bytes @ offset O`.
fn solid_resources(wim: &Path) -> Vec<(u64, u64)> {
    let out = oracle::info(wim, &["--blobs"]).unwrap();
    let mut v: Vec<(u64, u64)> = out
        .lines()
        .filter_map(|l| l.strip_prefix("Solid resource    = "))
        .map(|r| {
            let (_, rest) = r.split_once(" => ").unwrap();
            let (c, o) = rest.split_once(" bytes @ offset ").unwrap();
            (o.trim().parse().unwrap(), c.trim().parse().unwrap())
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

fn hashes(wim: &Path) -> Vec<String> {
    let out = oracle::info(wim, &["--blobs"]).unwrap();
    let mut v: Vec<String> = out
        .lines()
        .filter(|l| l.starts_with("Hash"))
        .map(String::from)
        .collect();
    v.sort();
    v
}

fn tree(root: &Path, seed: u32) {
    std::fs::create_dir_all(root.join("d")).unwrap();
    let noise = wim_testdata::prng::XorShift64::new(seed.into()).bytes(80_000);
    std::fs::write(root.join("noise"), noise).unwrap();
    let text: String = (0..20_000).map(|i| format!("{seed} line {i}\n")).collect();
    std::fs::write(root.join("d/text"), text).unwrap();
}

#[test]
fn esd_export_and_optimize_copy_solid_resources_raw() {
    if !oracle::require_wimlib("raw solid export") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let (a, b) = (d.path().join("a"), d.path().join("b"));
    tree(&a, 1);
    tree(&b, 2);
    let esd = d.path().join("src.esd");
    oracle::capture(&a, &esd, &["A", "--solid"]).unwrap();
    oracle::run(&[
        "append".as_ref(),
        b.as_os_str(),
        esd.as_os_str(),
        "B".as_ref(),
        "--solid".as_ref(),
    ])
    .unwrap();
    let src_res = solid_resources(&esd);
    assert_eq!(src_res.len(), 2, "expected one solid resource per append");
    let src_bytes = std::fs::read(&esd).unwrap();

    let check_raw = |out: &Path| {
        let bytes = std::fs::read(out).unwrap();
        for (off, len) in &src_res {
            let r = &src_bytes[*off as usize..(*off + *len) as usize];
            assert!(
                bytes.windows(r.len()).any(|w| w == r),
                "solid resource at {off} ({len} bytes) was not copied raw into {}",
                out.display()
            );
        }
        assert_eq!(solid_resources(out).len(), src_res.len());
        oracle::verify(out, &[]).unwrap();
        assert_eq!(hashes(out), hashes(&esd));
        for (img, dir) in [("1", &a), ("2", &b)] {
            let t = d.path().join(format!(
                "x-{}-{img}",
                out.file_name().unwrap().to_str().unwrap()
            ));
            oracle::apply(out, img, &t, &[]).unwrap();
            oracle::diff_trees(dir, &t).unwrap();
        }
    };

    let e = d.path().join("e.esd");
    let o = wimkit(&["export", s(&esd), "all", s(&e)]);
    assert!(o.status.success(), "{o:?}");
    check_raw(&e);

    let e2 = d.path().join("e2.esd");
    let o = wimkit(&["export", s(&esd), "all", s(&e2), "--solid"]);
    assert!(o.status.success(), "{o:?}");
    check_raw(&e2);

    let opt = d.path().join("opt.esd");
    std::fs::copy(&esd, &opt).unwrap();
    let o = wimkit(&["optimize", s(&opt)]);
    assert!(o.status.success(), "{o:?}");
    check_raw(&opt);

    // --recompress really recompresses (so the raw check above can fail).
    let r = d.path().join("r.esd");
    let o = wimkit(&["export", s(&esd), "all", s(&r), "--recompress"]);
    assert!(o.status.success(), "{o:?}");
    oracle::verify(&r, &[]).unwrap();
    let rb = std::fs::read(&r).unwrap();
    let (off, len) = src_res[0];
    let first = &src_bytes[off as usize..(off + len) as usize];
    assert!(!rb.windows(first.len()).any(|w| w == first));

    // Exporting only image 2 cannot take resource 1 whole: still a valid ESD.
    let p = d.path().join("p.esd");
    let o = wimkit(&["export", s(&esd), "2", s(&p)]);
    assert!(o.status.success(), "{o:?}");
    oracle::verify(&p, &[]).unwrap();
    let t = d.path().join("p-out");
    oracle::apply(&p, "1", &t, &[]).unwrap();
    oracle::diff_trees(&b, &t).unwrap();
}
