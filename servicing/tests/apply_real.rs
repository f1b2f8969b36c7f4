//! Every readable real fixture applied by wimkit equals `wimlib-imagex apply` of it;
//! `__BAD` fixtures fail cleanly or are sanitised with warnings, never writing outside.

mod common;

use std::path::PathBuf;

#[test]
fn real_fixtures_match_wimlib() {
    if !wim_testdata::oracle::require_wimlib("real_fixtures_match_wimlib") {
        return;
    }
    let files = wim_testdata::real::good_files();
    if files.is_empty() {
        return; // SKIP printed by real_files()
    }
    let mut sets: Vec<Vec<PathBuf>> = files.into_iter().map(|f| vec![f]).collect();
    if let Some(split) = wim_testdata::real::split_set() {
        sets.push(split);
    }
    let tmp = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    let mut passed = 0;
    for (k, set) in sets.iter().enumerate() {
        let work = tmp.path().join(format!("w{k}"));
        std::fs::create_dir_all(&work).unwrap();
        match common::compare_with_wimlib(set, &work) {
            Ok(()) => passed += 1,
            Err(e) => failures.push(format!("{}: {e}", set[0].display())),
        }
    }
    println!(
        "{passed} of {} fixture sets match wimlib-imagex",
        sets.len()
    );
    assert!(
        failures.is_empty(),
        "{} fixture sets differ from wimlib-imagex:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn bad_fixtures_fail_cleanly_or_sanitise() {
    let files: Vec<PathBuf> = wim_testdata::real::real_files()
        .into_iter()
        .filter(|p| wim_testdata::real::is_bad(p))
        .collect();
    if files.is_empty() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    for (k, f) in files.iter().enumerate() {
        let box_dir = tmp.path().join(format!("box{k}"));
        let dest = box_dir.join("out");
        std::fs::create_dir_all(&box_dir).unwrap();
        let wim = wim_format::Wim::open(f);
        let res = wim.map_err(|e| e.to_string()).and_then(|w| {
            let n = w.image_count().max(1);
            let mut warnings = Vec::new();
            for i in 1..=n {
                let ix = wim_format::ImageIndex::new(i).unwrap();
                let s = servicing::apply::apply_image(
                    &w,
                    ix,
                    &dest.join(i.to_string()),
                    &Default::default(),
                    &|_| {},
                )
                .map_err(|e| e.to_string())?;
                warnings.extend(s.warnings);
            }
            Ok(warnings)
        });
        println!("{}: {res:?}", f.display());
        // Nothing but `out` may appear in the sandbox.
        let names: Vec<_> = std::fs::read_dir(&box_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(names.iter().all(|n| n == "out"), "{names:?}");
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        if name.contains("dotdot") {
            let w = res.as_ref().expect("dotdot fixture applies with a warning");
            assert!(w.iter().any(|w| w.contains("\".\" or \"..\"")), "{w:?}");
        }
        if name.contains("corrupted") || name.contains("ko_test") || name.contains("magic-only") {
            assert!(res.is_err(), "{name} must fail");
        }
    }
}
