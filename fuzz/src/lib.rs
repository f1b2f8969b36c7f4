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
    let want = (usize::from(len_bytes[0])
        | usize::from(len_bytes[1]) << 8
        | usize::from(len_bytes[2]) << 16)
        % (max_chunk + 1);
    Some((max_chunk, want, src))
}

/// Decodes one chunk of `kind`; the result is ignored, only robustness matters.
pub fn decompress(kind: CompressionKind, data: &[u8]) {
    let Some((max_chunk, want, src)) = decode_params(data, kind) else {
        return;
    };
    let Ok(mut d) = new_decompressor(kind, max_chunk) else {
        return;
    };
    let mut out = vec![0xA5u8; want];
    let first = d.decompress(src, &mut out).map(|()| out.clone());
    // Independence from dirty output buffers: a second decode into different garbage
    // must give the same answer.
    out.fill(0x5A);
    let second = d.decompress(src, &mut out).map(|()| out);
    assert_eq!(
        first, second,
        "decoder output depends on the output buffer's old contents"
    );
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
        let Some(ix) = wim_format::ImageIndex::new(i) else {
            continue;
        };
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

/// Parses a WIM header from the input.
pub fn header(data: &[u8]) {
    let Ok(h) = wim_format::header::WimHeader::parse(data, &fuzz_limits()) else {
        return;
    };
    let _ = (
        h.is_split(),
        h.compression.kind(),
        h.version.is_solid(),
        format!("{h:?}"),
    );
}

/// A whole WIM file whose blob table is taken from the bytes right after the header:
/// the header is parsed from `data[..208]`, the table from `data[208..]` (a multiple of 50
/// bytes is not required), and solid-resource headers are read from the input itself.
pub fn blob_table(data: &[u8]) {
    let limits = fuzz_limits();
    let Ok(h) = wim_format::header::WimHeader::parse(data, &limits) else {
        return;
    };
    let Some(table) = data.get(208..) else { return };
    let Ok(t) = wim_format::blob_table::BlobTable::parse(table, 208, &h, 0, &data, &limits) else {
        return;
    };
    for e in t.entries() {
        assert!(t.get(&e.hash).is_some(), "entry not found by its own hash");
    }
    let _ = (t.image_count(), t.len(), t.warnings().len());
}

/// One uncompressed metadata resource (security data + dentry tree), lenient and strict.
pub fn metadata(data: &[u8]) {
    let limits = fuzz_limits();
    let lenient = wim_format::metadata::ImageMetadata::parse(data, &limits);
    let strict = wim_format::metadata::ImageMetadata::parse_strict(data, &limits);
    if strict.is_ok() {
        assert!(
            lenient.is_ok(),
            "strict parse accepted what lenient parse refused"
        );
    }
    let Ok(m) = lenient else { return };
    let t = m.tree();
    for e in t.walk() {
        let _ = (
            e.path.len(),
            m.security_descriptor_of(e.id).map(<[u8]>::len),
        );
    }
    for id in t.ids() {
        let _ = (
            t.path(id),
            t.depth(id),
            t.name_problem(id),
            t.dentry(id).reparse_info(),
        );
    }
    if let Ok(tree) = wim_format::metadata::model::ImageTree::from_metadata(&m) {
        let _ = tree.walk().len();
    }
}

/// The XML document: parse, and when accepted, serialise and parse again (a fixed point).
pub fn xml(data: &[u8]) {
    let limits = fuzz_limits();
    let Ok(info) = wim_format::xml::WimInfo::parse(data, &limits) else {
        return;
    };
    for im in info.images() {
        let _ = (
            im.name(),
            im.dir_count(),
            im.total_bytes(),
            im.windows().map(|w| w.languages()),
        );
    }
    let once = info.to_utf16le_bytes();
    let again = match wim_format::xml::WimInfo::parse(&once, &limits) {
        Ok(a) => a,
        Err(e) => panic!("our own XML output does not parse: {e}"),
    };
    assert_eq!(
        again.to_utf16le_bytes(),
        once,
        "XML serialisation is not a fixed point"
    );
}

/// An integrity table, checked against the input itself as the "file".
pub fn integrity(data: &[u8]) {
    let Ok(t) = wim_format::integrity::IntegrityTable::parse(data, 0) else {
        return;
    };
    let _ = t.verify(&data, data.len() as u64);
}

/// Compresses the input with `kind` (level and chunk size from the first two bytes) and
/// checks that our decoder gives back the same bytes.
pub fn roundtrip(kind: CompressionKind, data: &[u8]) {
    let Some((&[lvl, sel], payload)) = data.split_first_chunk::<2>() else {
        return;
    };
    let (lo, hi) = kind.chunk_size_range();
    let lo_log = lo.trailing_zeros();
    let hi_log = hi.trailing_zeros().min(18); // keep fuzz time and memory small
    let log = lo_log + u32::from(sel) % (hi_log - lo_log + 1);
    let chunk = 1usize << log;
    let level = 1 + u32::from(lvl) % 100;
    let Ok(mut c) = wim_compress::new_compressor(kind, chunk, level) else {
        panic!("{kind:?} compressor refused chunk size {chunk}, level {level}")
    };
    let Ok(mut d) = new_decompressor(kind, chunk) else {
        panic!("{kind:?} decompressor refused chunk size {chunk}")
    };
    let mut dst = vec![0u8; chunk];
    let mut out = vec![0u8; chunk];
    for piece in payload.chunks(chunk) {
        let dst = &mut dst[..piece.len()];
        let Some(n) = c.compress(piece, dst) else {
            continue;
        };
        assert!(
            n < piece.len(),
            "compressor claims {n} bytes for a {}-byte chunk",
            piece.len()
        );
        let out = &mut out[..piece.len()];
        if let Err(e) = d.decompress(&dst[..n], out) {
            panic!("{kind:?} level {level} chunk {chunk}: our output does not decode: {e:?}");
        }
        assert!(
            out == piece,
            "{kind:?} level {level} chunk {chunk}: round trip differs"
        );
    }
}

/// Reads every blob of a WIM twice: whole, and through the streaming reader in pieces
/// whose sizes come from the first 8 bytes of the input. Both must agree.
pub fn resource_reader_chunking(data: &[u8]) {
    use std::io::Read;
    let Some((seed, file)) = data.split_first_chunk::<8>() else {
        return;
    };
    let mut state = u64::from_le_bytes(*seed) | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let src: std::sync::Arc<dyn wim_format::ReadAt> = std::sync::Arc::new(file.to_vec());
    let Ok(wim) = wim_format::wim::OpenOptions::new()
        .limits(fuzz_limits())
        .open_source(src)
    else {
        return;
    };
    for e in wim.blob_table().entries().iter().take(16) {
        if e.size > 4 << 20 {
            continue;
        }
        let whole = wim.read_blob(&e.hash);
        let streamed = wim.open_entry(e).and_then(|mut r| {
            let mut got = Vec::new();
            let mut buf = vec![0u8; 70_000];
            loop {
                let want = 1 + (next() % 70_000) as usize;
                let n = r.read(&mut buf[..want])?;
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n]);
                if got.len() as u64 > e.size {
                    break;
                }
            }
            Ok(got)
        });
        match (&whole, &streamed) {
            (Ok(a), Ok(b)) => assert!(a == b, "blob {}: split reads differ", e.hash),
            (Ok(_), Err(err)) => panic!("blob {}: whole read ok, split read fails: {err}", e.hash),
            (Err(err), Ok(_))
                if err.format_kind() != Some(wim_format::FormatErrorKind::HashMismatch) =>
            {
                panic!("blob {}: split read ok, whole read fails: {err}", e.hash)
            }
            _ => {}
        }
    }
}

/// The real third-party fixtures (`shared/testdata/real`, found by walking up from this
/// crate), files below 2 MiB, sorted; prints a `SKIP:` line and returns none when absent.
pub fn real_fixtures() -> Vec<std::path::PathBuf> {
    let mut dir = Some(std::path::Path::new(env!("CARGO_MANIFEST_DIR")));
    while let Some(d) = dir {
        let cand = d.join("shared/testdata/real");
        if cand.is_dir() {
            let mut files: Vec<_> = std::fs::read_dir(&cand)
                .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
                .unwrap_or_default();
            files.retain(|p| {
                p.is_file()
                    && p.extension().is_some_and(|e| e == "wim" || e == "swm")
                    && std::fs::metadata(p).is_ok_and(|m| m.len() < 2 << 20)
            });
            files.sort();
            return files;
        }
        dir = d.parent();
    }
    println!(
        "SKIP: shared/testdata/real not found above {}",
        env!("CARGO_MANIFEST_DIR")
    );
    Vec::new()
}

/// Seeds for each target derived from one WIM file: (target name, input).
pub fn derive_seeds(bytes: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    let mut out = Vec::new();
    let Some(head) = bytes.get(..208) else {
        return out;
    };
    out.push(("header", head.to_vec()));
    let src: std::sync::Arc<dyn wim_format::ReadAt> = std::sync::Arc::new(bytes.to_vec());
    let Ok(wim) = wim_format::wim::OpenOptions::new().open_source(src) else {
        return out;
    };
    let h = wim.header();
    let range = |r: &wim_format::resource::ResourceHeader| {
        let start = usize::try_from(r.offset).ok()?;
        let end = start.checked_add(usize::try_from(r.size_in_wim).ok()?)?;
        bytes.get(start..end)
    };
    if let Some(t) = range(&h.blob_table) {
        out.push(("blob_table", [head, t].concat()));
    }
    if let Ok(x) = wim.xml_bytes() {
        out.push(("xml", x));
    }
    if let Some(ix) = wim_format::ImageIndex::new(1)
        && let Ok(m) = wim.metadata_bytes(ix)
        && m.len() < 64 << 10
    {
        out.push(("metadata", m));
    }
    if !h.integrity.is_zero()
        && let Some(t) = range(&h.integrity)
    {
        out.push(("integrity", t.to_vec()));
    }
    if bytes.len() < 64 << 10 {
        out.push(("open_wim", bytes.to_vec()));
        let seed = 0x1234_5678_9abc_def0u64.to_le_bytes();
        out.push(("resource_reader_chunking", [&seed[..], bytes].concat()));
    }
    out
}
