//! Inputs the fuzzers found crashing, replayed by the ordinary test command (stable).
//! Each file in `tests/fuzz_regressions/` is opened and read completely; none may panic.

fn read_everything(data: &[u8]) {
    let src: std::sync::Arc<dyn wim_format::ReadAt> = std::sync::Arc::new(data.to_vec());
    let Ok(wim) = wim_format::wim::OpenOptions::new().open_source(src) else {
        return;
    };
    let _ = wim.xml_bytes();
    let _ = wim.check_integrity();
    for i in 1..=wim.image_count().min(16) {
        let Some(ix) = wim_format::ImageIndex::new(i) else {
            continue;
        };
        if let Ok(b) = wim.metadata_bytes(ix) {
            let _ = wim_format::metadata::ImageMetadata::parse(&b, wim.limits());
        }
    }
    let _ = wim.verify_blobs(&|_| {});
}

/// Found by the `open_wim` fuzz target in CI's 20 s smoke run: blob sizes near u64::MAX made
/// the progress total (`Σ size`) overflow in `for_each_blob_parallel`.
#[test]
fn r_open_wim_blob_size_sum_overflow() {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fuzz_regressions/open_wim_blob_size_sum_overflow.wim"
    );
    read_everything(&std::fs::read(p).unwrap());
}

/// Every regression file, whatever its name.
#[test]
fn all_regression_files() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuzz_regressions");
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        read_everything(&std::fs::read(e.unwrap().path()).unwrap());
        n += 1;
    }
    assert!(n >= 1);
}
