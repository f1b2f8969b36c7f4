//! Profiling driver: compresses a file in chunks with ours (or libwim with a 4th arg `lib`).
#[path = "../tests/common/libwim.rs"]
mod libwim;
use wim_compress::{Compressor, lzms::LzmsCompressor};
fn main() {
    let level: u32 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(50);
    let chunk: usize = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(131072);
    let file = std::env::args()
        .nth(3)
        .unwrap_or("/tmp/lzms_wine.bin".into());
    let lib = std::env::args().nth(4).is_some();
    let data = std::fs::read(file).unwrap();
    let mut total = 0;
    if lib {
        let l = libwim::LibWim::load().unwrap();
        for ch in data.chunks(chunk) {
            total += l
                .compress(libwim::Ctype::Lzms, chunk, level, ch)
                .map_or(ch.len(), |z| z.len());
        }
    } else {
        let mut c = LzmsCompressor::new(chunk, level).unwrap();
        let mut out = vec![0u8; chunk];
        for ch in data.chunks(chunk) {
            total += c.compress(ch, &mut out[..ch.len()]).unwrap_or(ch.len());
        }
    }
    println!("{} -> {}", data.len(), total);
}
