//! The committed `sample/sample.wim` is exactly what `make-sample` generates, is small, and
//! wimlib accepts it.

use wim_testdata::oracle;
use wim_testdata::sample::{sample_builder, sample_bytes, sample_path};

#[test]
fn regenerating_gives_identical_bytes() {
    let committed = std::fs::read(sample_path()).expect("sample/sample.wim is committed");
    let fresh = sample_bytes();
    assert!(fresh.len() < 1 << 20, "sample too large: {}", fresh.len());
    assert!(fresh.len() > 200_000, "sample too small: {}", fresh.len());
    assert!(
        committed == fresh,
        "sample/sample.wim is stale: run `cargo run -p wim-testdata --bin make-sample`"
    );
}

#[test]
fn sample_verifies_and_applies() {
    if !oracle::require_wimlib("sample_verifies_and_applies") {
        return;
    }
    let path = sample_path();
    oracle::verify(&path, &[]).unwrap();
    let info = oracle::info(&path, &[]).unwrap();
    assert!(info.contains("Image Count:    2"), "{info}");
    assert!(info.contains("Boot Index:     1"), "{info}");
    assert!(
        info.contains("GUID:           0x77696d6b69742d73616d706c652d3031"),
        "{info}"
    );
    let t = tempfile::tempdir().unwrap();
    for (i, img) in sample_builder().images.iter().enumerate() {
        let exp = t.path().join(format!("exp{i}"));
        img.write_to_dir(&exp).unwrap();
        let got = t.path().join(format!("got{i}"));
        oracle::apply(&path, &(i + 1).to_string(), &got, &["--unix-data"]).unwrap();
        let opts = oracle::DiffOptions {
            modes: true,
            ..Default::default()
        };
        oracle::diff_trees_with(&exp, &got, &opts).unwrap();
    }
}
