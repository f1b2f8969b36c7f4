//! Each mutation changes the bytes where it says it does (the error kinds are asserted by the
//! reader crates).

use std::collections::HashSet;
use wim_testdata::builder::HEADER_LEN;
use wim_testdata::mutation::{Change, Mutation, victim};
use wim_testdata::oracle;

#[test]
fn at_least_forty_uniquely_named_cases() {
    let all = Mutation::all();
    assert!(all.len() >= 40, "only {} mutations", all.len());
    let names: HashSet<String> = all.iter().map(|m| m.name()).collect();
    assert_eq!(names.len(), all.len(), "duplicate names");
    let uniq: HashSet<Mutation> = all.iter().copied().collect();
    assert_eq!(uniq.len(), all.len(), "duplicate variants in all()");
    assert_eq!(Mutation::CyclicDirectory.name(), "cyclic_directory");
}

#[test]
fn each_mutation_changes_the_intended_region() {
    for m in Mutation::all() {
        let r = m.apply();
        let name = m.name();
        assert_eq!(r.parts.len(), r.baseline_parts.len(), "{name}");
        for (i, (p, b)) in r.parts.iter().zip(&r.baseline_parts).enumerate() {
            if i != r.changed_part {
                assert_eq!(p, b, "{name}: part {i} must be untouched");
            }
        }
        let got = &r.parts[r.changed_part];
        let base = &r.baseline_parts[r.changed_part];
        assert_ne!(got, base, "{name}: no change");
        match &r.change {
            Change::TruncatedTo(n) => {
                assert_eq!(got.len() as u64, *n, "{name}");
                assert!(
                    got.len() < base.len() && base.starts_with(got),
                    "{name}: not a prefix"
                );
            }
            Change::Bytes(range) => {
                assert!(range.start < range.end, "{name}: empty range");
                // Mutations that move resources also rewrite header reshdrs: for a target past
                // the header, look for the first difference past the header.
                let from = if range.start >= HEADER_LEN as u64 {
                    HEADER_LEN
                } else {
                    0
                };
                let first = (from
                    + got[from..]
                        .iter()
                        .zip(base[from..].iter())
                        .position(|(a, b)| a != b)
                        .unwrap_or(got.len().min(base.len()) - from))
                    as u64;
                assert!(
                    range.contains(&first),
                    "{name}: first difference at {first}, expected in {range:?}"
                );
            }
        }
    }
}

#[test]
fn mutations_are_deterministic() {
    for m in Mutation::all() {
        assert_eq!(m.apply().parts, m.apply().parts, "{}", m.name());
    }
}

#[test]
fn baseline_is_the_unmutated_build() {
    let m = Mutation::BadMagic;
    assert_eq!(m.apply().baseline_parts[0], victim().build().bytes);
    assert_eq!(&m.apply().bytes()[..8], b"MSWIX\0\0\0");
    let t = tempfile::tempdir().unwrap();
    let split = Mutation::SplitGuidMismatch.apply();
    let paths = split.write_to(t.path()).unwrap();
    assert_eq!(paths.len(), 2);
    assert_eq!(std::fs::read(&paths[1]).unwrap(), split.parts[1]);
    assert!(
        paths[0]
            .to_str()
            .unwrap()
            .ends_with("split_guid_mismatch.swm")
    );
}

/// Sanity check against the oracle: baselines verify, and a selection of mutations that
/// wimlib 1.13.5 is known to reject (see testdata/README.md) are rejected.
#[test]
fn wimlib_accepts_baselines_and_rejects_core_corruptions() {
    if !oracle::require_wimlib("wimlib_accepts_baselines_and_rejects_core_corruptions") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let run = |parts: &[Vec<u8>], tag: &str| {
        let p1 = t.path().join(format!("{tag}.wim"));
        std::fs::write(&p1, &parts[0]).unwrap();
        let mut args = Vec::new();
        if parts.len() > 1 {
            let p2 = t.path().join(format!("{tag}_2.swm"));
            std::fs::write(&p2, &parts[1]).unwrap();
            args.push(format!("--ref={}", p2.display()));
        }
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        oracle::verify(&p1, &a)
    };
    let reject = [
        Mutation::BadMagic,
        Mutation::UnsupportedVersion,
        Mutation::ImageCountTooHigh,
        Mutation::BlobHashMismatch,
        Mutation::MetadataHashMismatch,
        Mutation::CyclicDirectory,
        Mutation::DirectoryIsOwnChild,
        Mutation::ChunkOffsetOutsideResource,
        Mutation::ChunkLargerThanChunkSize,
        Mutation::SolidOverlappingBlobs,
        Mutation::XmlBroken,
        Mutation::XmlEncryptedEsd,
        Mutation::IntegrityHashMismatch,
        Mutation::SplitDuplicatePartNumber,
        Mutation::TruncatedBlobTable,
    ];
    let mut seen_bases = HashSet::new();
    for m in Mutation::all() {
        let r = m.apply();
        if seen_bases.insert(
            format!("{:?}", m.base().layout)
                + &m.base().integrity_chunk_size.is_some().to_string()
                + &r.parts.len().to_string(),
        ) {
            run(&r.baseline_parts, &format!("base_{}", m.name()))
                .unwrap_or_else(|e| panic!("baseline of {} rejected: {e}", m.name()));
        }
        if reject.contains(&m) {
            assert!(
                run(&r.parts, &m.name()).is_err(),
                "wimlib accepted {}",
                m.name()
            );
        }
    }
    assert!(seen_bases.len() >= 5, "{seen_bases:?}");
}
