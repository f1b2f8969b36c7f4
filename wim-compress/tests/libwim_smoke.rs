//! Checks that the libwim oracle loads and round-trips (so later cross-checks are meaningful).
mod common;
use common::libwim::{Ctype, LibWim};

#[test]
fn libwim_oracle_round_trips() {
    let Some(lib) = LibWim::load() else { return };
    let data: Vec<u8> = (0..32768u32)
        .map(|i| (i % 251) as u8 ^ (i / 1000) as u8)
        .collect();
    for ct in [Ctype::Xpress, Ctype::Lzx, Ctype::Lzms] {
        let c = lib.compress(ct, 32768, 0, &data).expect("compressible");
        assert!(c.len() < data.len());
        let d = lib.decompress(ct, 32768, &c, data.len()).expect("decodes");
        assert_eq!(d, data, "{ct:?}");
    }
}
