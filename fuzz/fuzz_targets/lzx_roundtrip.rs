#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    wimkit_fuzz::roundtrip(wim_compress::CompressionKind::Lzx, data);
});
