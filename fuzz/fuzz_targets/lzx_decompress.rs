#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    wimkit_fuzz::decompress(wim_compress::CompressionKind::Lzx, data);
});
