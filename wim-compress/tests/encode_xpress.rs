//! XPRESS encoder tests: round trips through our decoder and libwim's, determinism,
//! incompressible and tiny inputs, proptest round trips.
mod common;

use common::enc::*;
use common::libwim::{Ctype, LibWim};
use proptest::prelude::*;
use wim_compress::xpress::{XpressCompressor, XpressDecompressor};

const CHUNKS: [usize; 3] = [4096, 32768, 65536];

/// Compresses `data` chunk by chunk and checks every compressed chunk with both decoders.
/// Returns the total compressed bytes with raw fallback.
fn round_trip(lib: Option<&LibWim>, data: &[u8], chunk: usize, level: u32) -> usize {
    let c = XpressCompressor::new(chunk, level).unwrap();
    let d = XpressDecompressor::new(chunk).unwrap();
    common::enc::round_trip(lib, Ctype::Xpress, c, d, data, chunk, level)
}

#[test]
fn round_trips_levels_and_chunk_sizes() {
    let lib = LibWim::load();
    check_levels_and_chunks(
        &CHUNKS,
        |_, n| {
            vec![
                ("exe", executable(n)),
                ("text", text(n, 1)),
                ("zeros", vec![0u8; n]),
                ("mixed", mixed(n)),
            ]
        },
        |data, chunk, level| round_trip(lib.as_ref(), data, chunk, level),
    );
}

#[test]
fn incompressible_and_tiny_inputs_return_none() {
    check_refusals(|level| XpressCompressor::new(32768, level).unwrap());
}

#[test]
fn deterministic_fresh_vs_reused() {
    check_deterministic(
        |level| XpressCompressor::new(32768, level).unwrap(),
        &executable(3 * 32768),
        32768,
    );
}

#[test]
fn long_matches_and_edge_lengths() {
    // Runs whose match lengths hit 17/18/272/273 and the u16 form.
    let lib = LibWim::load();
    let data = edge_length_runs();
    for &level in &LEVELS {
        round_trip(lib.as_ref(), &data, 65536, level);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn proptest_round_trip(
        data in prop::collection::vec(prop_oneof![Just(0u8), Just(b'a'), Just(b'b'), any::<u8>()], 0..6000),
        level in prop_oneof![Just(1u32), Just(20), Just(50), Just(100)],
    ) {
        let mut c = XpressCompressor::new(8192, level).unwrap();
        let mut d = XpressDecompressor::new(8192).unwrap();
        prop_round_trip(&mut c, &mut d, &data)?;
    }
}
