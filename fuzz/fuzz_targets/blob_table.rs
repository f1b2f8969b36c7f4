#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    wimkit_fuzz::blob_table(data);
});
