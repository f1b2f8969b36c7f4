//! The malformed-input suite: one test per corruption case of `wim_testdata::mutation`,
//! each asserting the specific error our reader gives for a full verification pass.
//!
//! `verify` below is the reader's whole pipeline, as `wimkit verify` runs it: open (with the
//! other split parts as references), the integrity table, the XML (and its image count
//! against the header), every image's metadata in strict mode (problem names refused), the
//! presence of every referenced blob, then every blob's SHA-1.

use wim_format::error::Unsupported;
use wim_format::metadata::ImageMetadata;
use wim_format::metadata::model::ImageTree;
use wim_format::wim::OpenOptions;
use wim_format::xml::WimInfo;
use wim_format::{Error, FormatErrorKind as K, ImageIndex};
use wim_testdata::mutation::Mutation;

/// Runs the full verification of `parts` (part 1 first) and returns the first error.
fn verify(parts: &[std::path::PathBuf]) -> Result<(), Error> {
    let wim = OpenOptions::new()
        .references(parts[1..].iter().cloned())
        .open(&parts[0])?;
    wim.check_integrity()?;
    let info = WimInfo::parse(&wim.xml_bytes()?, wim.limits())?;
    info.check_image_count(wim.image_count())?;
    if wim.header().part_number == 1 {
        for i in 1..=wim.image_count() {
            let ix = ImageIndex::new(i).ok_or_else(|| Error::format(K::BadHeader, "index 0"))?;
            let m = ImageMetadata::parse_strict(&wim.metadata_bytes(ix)?, wim.limits())?;
            for (hash, _) in ImageTree::from_metadata(&m)?.blob_references() {
                wim.entry(&hash)?;
            }
        }
    }
    wim.verify_blobs(&|_| {})?.into_result()
}

/// Applies `m`, writes the file(s) to a temporary directory and verifies them.
fn run(m: Mutation) -> Result<(), Error> {
    let tmp = tempfile::tempdir().unwrap();
    let parts = m.apply().write_to(tmp.path()).unwrap();
    verify(&parts)
}

/// Asserts that mutation `m` fails verification with format error kind `want`.
fn expect_kind(m: Mutation, want: K) {
    match run(m) {
        Err(e) => assert_eq!(
            e.format_kind(),
            Some(want),
            "{}: expected {want:?}, got: {e} ({e:?})",
            m.name()
        ),
        Ok(()) => panic!("{}: accepted, expected {want:?}", m.name()),
    }
}

/// Asserts that mutation `m` passes verification (a documented, deliberate acceptance).
fn expect_ok(m: Mutation) {
    if let Err(e) = run(m) {
        panic!("{}: expected to be accepted, got: {e}", m.name());
    }
}

#[test]
fn xml_encrypted_esd() {
    match run(Mutation::XmlEncryptedEsd) {
        Err(e @ Error::Unsupported(Unsupported::EncryptedEsd)) => {
            assert_eq!(e.to_string(), "encrypted ESD is not supported");
        }
        other => panic!("expected Unsupported::EncryptedEsd, got {other:?}"),
    }
}

#[test]
fn image_count_above_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let parts = wim_testdata::mutation::victim().build();
    let path = tmp.path().join("victim.wim");
    std::fs::write(&path, &parts.bytes).unwrap();
    let mut limits = wim_format::Limits::default();
    limits.max_images = 1;
    match OpenOptions::new().limits(limits).open(&path) {
        Err(Error::LimitExceeded {
            found: 2, limit: 1, ..
        }) => {}
        other => panic!("expected LimitExceeded for 2 images with max_images 1, got {other:?}"),
    }
}

#[test]
fn metadata_above_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let built = wim_testdata::mutation::victim().build();
    let path = tmp.path().join("victim.wim");
    std::fs::write(&path, &built.bytes).unwrap();
    let mut limits = wim_format::Limits::default();
    limits.max_metadata_bytes = 100;
    let wim = OpenOptions::new().limits(limits).open(&path).unwrap();
    match wim.metadata_bytes(ImageIndex::new(1).unwrap()) {
        Err(Error::LimitExceeded { limit: 100, .. }) => {}
        other => panic!("expected LimitExceeded for metadata above 100 bytes, got {other:?}"),
    }
}

#[test]
fn every_mutation_has_a_test() {
    let src = include_str!("malformed.rs");
    for m in Mutation::all() {
        let name = m.name();
        assert!(
            src.contains(&format!("fn {name}()"))
                || src.contains(&format!("fn {name}_is_accepted()")),
            "mutation {name} has no test in malformed.rs"
        );
    }
}

#[test]
fn bad_magic() {
    expect_kind(Mutation::BadMagic, K::NotAWim);
}

#[test]
fn header_size_wrong() {
    expect_kind(Mutation::HeaderSizeWrong, K::BadHeader);
}

#[test]
fn unsupported_version() {
    expect_kind(Mutation::UnsupportedVersion, K::BadVersion);
}

#[test]
fn truncated_header() {
    expect_kind(Mutation::TruncatedHeader, K::Truncated);
}

#[test]
fn compression_flag_without_type() {
    expect_kind(Mutation::CompressionFlagWithoutType, K::BadHeader);
}

#[test]
fn two_compression_types() {
    expect_kind(Mutation::TwoCompressionTypes, K::BadHeader);
}

#[test]
fn lzms_in_non_solid_version() {
    expect_kind(Mutation::LzmsInNonSolidVersion, K::BadHeader);
}

#[test]
fn bad_chunk_size() {
    expect_kind(Mutation::BadChunkSize, K::BadChunkSize);
}

#[test]
fn image_count_too_high() {
    expect_kind(Mutation::ImageCountTooHigh, K::ImageCountMismatch);
}

#[test]
fn image_count_zero() {
    expect_kind(Mutation::ImageCountZero, K::ImageCountMismatch);
}

#[test]
fn boot_index_out_of_range() {
    expect_kind(Mutation::BootIndexOutOfRange, K::BadHeader);
}

#[test]
fn part_number_zero() {
    expect_kind(Mutation::PartNumberZero, K::BadHeader);
}

#[test]
fn part_number_above_total() {
    expect_kind(Mutation::PartNumberAboveTotal, K::BadHeader);
}

#[test]
fn blob_table_size_not_multiple() {
    expect_kind(Mutation::BlobTableSizeNotMultiple, K::BadBlobTable);
}

#[test]
fn blob_table_beyond_eof() {
    expect_kind(Mutation::BlobTableBeyondEof, K::Truncated);
}

#[test]
fn truncated_blob_table() {
    expect_kind(Mutation::TruncatedBlobTable, K::Truncated);
}

#[test]
fn blob_offset_beyond_eof() {
    expect_kind(Mutation::BlobOffsetBeyondEof, K::Truncated);
}

#[test]
fn blob_hash_mismatch() {
    expect_kind(Mutation::BlobHashMismatch, K::HashMismatch);
}

#[test]
fn blob_size_petabytes() {
    expect_kind(Mutation::BlobSizePetabytes, K::Truncated);
}

#[test]
fn uncompressed_size_mismatch() {
    expect_kind(Mutation::UncompressedSizeMismatch, K::BadResourceHeader);
}

#[test]
fn metadata_flag_missing() {
    expect_kind(Mutation::MetadataFlagMissing, K::ImageCountMismatch);
}

#[test]
fn metadata_refcount_two() {
    expect_kind(Mutation::MetadataRefcountTwo, K::BadBlobTable);
}

#[test]
fn metadata_hash_mismatch() {
    expect_kind(Mutation::MetadataHashMismatch, K::HashMismatch);
}

#[test]
fn metadata_size_petabytes() {
    expect_kind(Mutation::MetadataSizePetabytes, K::BadResourceHeader);
}

#[test]
fn metadata_truncated() {
    expect_kind(Mutation::MetadataTruncated, K::Truncated);
}

#[test]
fn missing_blob() {
    expect_kind(Mutation::MissingBlob, K::MissingBlob);
}

#[test]
fn cyclic_directory() {
    expect_kind(Mutation::CyclicDirectory, K::CyclicTree);
}

#[test]
fn directory_is_own_child() {
    expect_kind(Mutation::DirectoryIsOwnChild, K::CyclicTree);
}

#[test]
fn subdir_offset_out_of_bounds() {
    expect_kind(Mutation::SubdirOffsetOutOfBounds, K::Truncated);
}

#[test]
fn subdir_offset_into_dentry() {
    expect_kind(Mutation::SubdirOffsetIntoDentry, K::Truncated);
}

#[test]
fn root_not_directory() {
    expect_kind(Mutation::RootNotDirectory, K::BadMetadata);
}

#[test]
fn dot_name() {
    expect_kind(Mutation::DotName, K::BadName);
}

#[test]
fn dot_dot_name() {
    expect_kind(Mutation::DotDotName, K::BadName);
}

#[test]
fn empty_name() {
    expect_kind(Mutation::EmptyName, K::BadName);
}

#[test]
fn name_with_slash() {
    expect_kind(Mutation::NameWithSlash, K::BadName);
}

#[test]
fn name_with_nul() {
    expect_kind(Mutation::NameWithNul, K::BadName);
}

#[test]
fn duplicate_names() {
    expect_kind(Mutation::DuplicateNames, K::DuplicateName);
}

#[test]
fn unpaired_high_surrogate() {
    expect_kind(Mutation::UnpairedHighSurrogate, K::BadUtf16);
}

#[test]
fn unpaired_low_surrogate() {
    expect_kind(Mutation::UnpairedLowSurrogate, K::BadUtf16);
}

#[test]
fn odd_name_length() {
    expect_kind(Mutation::OddNameLength, K::BadMetadata);
}

#[test]
fn name_length_beyond_dentry() {
    expect_kind(Mutation::NameLengthBeyondDentry, K::BadMetadata);
}

#[test]
fn dentry_length_too_small() {
    expect_kind(Mutation::DentryLengthTooSmall, K::BadMetadata);
}

#[test]
fn dentry_length_beyond_resource() {
    expect_kind(Mutation::DentryLengthBeyondResource, K::Truncated);
}

#[test]
fn security_length_too_large() {
    expect_kind(Mutation::SecurityLengthTooLarge, K::BadMetadata);
}

#[test]
fn security_count_huge() {
    expect_kind(Mutation::SecurityCountHuge, K::BadMetadata);
}

#[test]
fn security_size_overflow() {
    expect_kind(Mutation::SecuritySizeOverflow, K::BadMetadata);
}

#[test]
fn stream_count_too_large() {
    expect_kind(Mutation::StreamCountTooLarge, K::BadMetadata);
}

#[test]
fn stream_entry_length_zero() {
    expect_kind(Mutation::StreamEntryLengthZero, K::BadMetadata);
}

#[test]
fn hard_linked_directories() {
    expect_kind(Mutation::HardLinkedDirectories, K::BadMetadata);
}

#[test]
fn chunk_offset_outside_resource() {
    expect_kind(Mutation::ChunkOffsetOutsideResource, K::BadResource);
}

#[test]
fn chunk_table_not_increasing() {
    expect_kind(Mutation::ChunkTableNotIncreasing, K::BadResource);
}

#[test]
fn chunk_larger_than_chunk_size() {
    expect_kind(Mutation::ChunkLargerThanChunkSize, K::BadResource);
}

#[test]
fn chunk_size_zero() {
    expect_kind(Mutation::ChunkSizeZero, K::BadResource);
}

#[test]
fn chunked_resource_beyond_eof() {
    expect_kind(Mutation::ChunkedResourceBeyondEof, K::Truncated);
}

#[test]
fn solid_overlapping_blobs() {
    expect_kind(Mutation::SolidOverlappingBlobs, K::BadBlobTable);
}

#[test]
fn solid_blob_beyond_resource() {
    expect_kind(Mutation::SolidBlobBeyondResource, K::BadBlobTable);
}

#[test]
fn solid_unknown_format() {
    expect_kind(Mutation::SolidUnknownFormat, K::BadResource);
}

#[test]
fn solid_chunk_size_zero() {
    expect_kind(Mutation::SolidChunkSizeZero, K::BadChunkSize);
}

#[test]
fn solid_chunk_above_chunk_size() {
    expect_kind(Mutation::SolidChunkAboveChunkSize, K::BadResource);
}

#[test]
fn solid_in_old_version() {
    expect_kind(Mutation::SolidInOldVersion, K::BadBlobTable);
}

#[test]
fn solid_size_petabytes() {
    expect_kind(Mutation::SolidSizePetabytes, K::BadResource);
}

#[test]
fn xml_truncated() {
    expect_kind(Mutation::XmlTruncated, K::BadXml);
}

#[test]
fn xml_broken() {
    expect_kind(Mutation::XmlBroken, K::BadXml);
}

#[test]
fn xml_extra_image() {
    expect_kind(Mutation::XmlExtraImage, K::ImageCountMismatch);
}

#[test]
fn xml_missing_image() {
    expect_kind(Mutation::XmlMissingImage, K::ImageCountMismatch);
}

#[test]
fn xml_odd_length() {
    expect_kind(Mutation::XmlOddLength, K::BadXml);
}

#[test]
fn xml_bad_index() {
    expect_kind(Mutation::XmlBadIndex, K::BadXml);
}

#[test]
fn xml_beyond_eof() {
    expect_kind(Mutation::XmlBeyondEof, K::Truncated);
}

#[test]
fn integrity_hash_mismatch() {
    expect_kind(Mutation::IntegrityHashMismatch, K::BadIntegrityTable);
}

#[test]
fn integrity_count_too_large() {
    expect_kind(Mutation::IntegrityCountTooLarge, K::BadIntegrityTable);
}

#[test]
fn integrity_chunk_size_zero() {
    expect_kind(Mutation::IntegrityChunkSizeZero, K::BadIntegrityTable);
}

#[test]
fn split_guid_mismatch() {
    expect_kind(Mutation::SplitGuidMismatch, K::SplitMismatch);
}

#[test]
fn split_duplicate_part_number() {
    expect_kind(Mutation::SplitDuplicatePartNumber, K::SplitMismatch);
}

#[test]
fn split_total_parts_mismatch() {
    expect_kind(Mutation::SplitTotalPartsMismatch, K::SplitMismatch);
}

/// Accepted on purpose: wimlib ignores the children of a non-directory with a warning; so does our reader (they are never visited).
#[test]
fn file_with_children_is_accepted() {
    expect_ok(Mutation::FileWithChildren);
}

/// Accepted on purpose: a backslash is a valid character in a WIM name (wimlib accepts it); apply neutralises it on the target.
#[test]
fn name_with_backslash_is_accepted() {
    expect_ok(Mutation::NameWithBackslash);
}

/// Accepted on purpose: an out-of-range security id means "no descriptor" (wimlib warns); security_id() returns None.
#[test]
fn security_id_out_of_range_is_accepted() {
    expect_ok(Mutation::SecurityIdOutOfRange);
}

/// Accepted on purpose: the hard-link group is rebuilt from the group id; wimlib accepts it too.
#[test]
fn hard_link_content_mismatch_is_accepted() {
    expect_ok(Mutation::HardLinkContentMismatch);
}

/// Accepted on purpose: tagged items are optional extras; a broken one is ignored (wimlib accepts it too).
#[test]
fn tagged_item_overrun_is_accepted() {
    expect_ok(Mutation::TaggedItemOverrun);
}

/// Accepted on purpose: the XML is UTF-16LE with or without its BOM (wimlib accepts it too).
#[test]
fn xml_missing_bom_is_accepted() {
    expect_ok(Mutation::XmlMissingBom);
}
