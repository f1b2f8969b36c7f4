//! Fuzz target bodies. Each `fn` takes the raw fuzz input and must never panic, hang or
//! allocate without bound. `fuzz_targets/*.rs` wrap them for libFuzzer; `tests/replay.rs`
//! replays `corpus/<target>/` and `regressions/<target>/` on stable.

use wim_compress::{CompressionKind, new_decompressor};

/// Splits a fuzz input into (chunk-size selector, output length, compressed bytes).
fn decode_params(data: &[u8], kind: CompressionKind) -> Option<(usize, usize, &[u8])> {
    let (&sel, rest) = data.split_first()?;
    let (len_bytes, src) = rest.split_at_checked(3)?;
    let (lo, hi) = kind.chunk_size_range();
    let lo_log = lo.trailing_zeros();
    let hi_log = hi.trailing_zeros().min(22); // keep fuzz memory small
    let log = lo_log + u32::from(sel) % (hi_log - lo_log + 1);
    let max_chunk = 1usize << log;
    let want = (usize::from(len_bytes[0]) | usize::from(len_bytes[1]) << 8 | usize::from(len_bytes[2]) << 16)
        % (max_chunk + 1);
    Some((max_chunk, want, src))
}

/// Decodes one chunk of `kind`; the result is ignored, only robustness matters.
pub fn decompress(kind: CompressionKind, data: &[u8]) {
    let Some((max_chunk, want, src)) = decode_params(data, kind) else { return };
    let Ok(mut d) = new_decompressor(kind, max_chunk) else { return };
    let mut out = vec![0xA5u8; want];
    let first = d.decompress(src, &mut out).map(|()| out.clone());
    // Independence from dirty output buffers: a second decode into different garbage
    // must give the same answer.
    out.fill(0x5A);
    let second = d.decompress(src, &mut out).map(|()| out);
    assert_eq!(first, second, "decoder output depends on the output buffer's old contents");
}

/// Limits small enough that a fuzz input cannot make the reader allocate much, yet large
/// enough for every real fixture.
fn fuzz_limits() -> wim_format::Limits {
    let mut l = wim_format::Limits::default();
    l.max_metadata_bytes = 16 << 20;
    l.max_xml_bytes = 1 << 20;
    l.max_blob_table_bytes = 4 << 20;
    l.max_chunk_size = 4 << 20;
    l.max_dentries = 100_000;
    l
}

/// Opens a whole WIM from memory under tight limits, parses every image's metadata,
/// reads the XML and verifies every blob and the integrity table.
pub fn open_wim(data: &[u8]) {
    let src: std::sync::Arc<dyn wim_format::ReadAt> = std::sync::Arc::new(data.to_vec());
    let Ok(wim) = wim_format::wim::OpenOptions::new()
        .limits(fuzz_limits())
        .open_source(src)
    else {
        return;
    };
    if let Ok(x) = wim.xml_bytes() {
        let _ = wim_format::xml::WimInfo::parse(&x, wim.limits());
    }
    let _ = wim.check_integrity();
    for i in 1..=wim.image_count().min(16) {
        let Some(ix) = wim_format::ImageIndex::new(i) else { continue };
        if let Ok(b) = wim.metadata_bytes(ix)
            && let Ok(m) = wim_format::metadata::ImageMetadata::parse(&b, wim.limits())
        {
            for e in m.tree().walk() {
                let _ = e.path;
            }
        }
    }
    let _ = wim.verify_blobs(&|_| {});
}
