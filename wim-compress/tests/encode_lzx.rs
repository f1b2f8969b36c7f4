//! LZX encoder tests: round trips through our decoder and libwim's, determinism,
//! incompressible and tiny inputs, proptest round trips.
mod common;

use common::data::XorShift;
use common::enc::*;
use common::libwim::{Ctype, LibWim};
use proptest::prelude::*;
use wim_compress::lzx::{LzxCompressor, LzxDecompressor};

const CHUNKS: [usize; 3] = [32768, 262144, 1 << 21];

/// Compresses `data` chunk by chunk and checks every compressed chunk with both decoders.
/// Returns the total compressed bytes with raw fallback.
fn round_trip(lib: Option<&LibWim>, data: &[u8], chunk: usize, level: u32) -> usize {
    let c = LzxCompressor::new(chunk, level).unwrap();
    let d = LzxDecompressor::new(chunk).unwrap();
    common::enc::round_trip(lib, Ctype::Lzx, c, d, data, chunk, level)
}

#[test]
fn round_trips_levels_and_chunk_sizes() {
    let lib = LibWim::load();
    check_levels_and_chunks(
        &CHUNKS,
        |chunk, n| {
            let mut inputs = vec![("exe", executable(n)), ("mixed", mixed(n))];
            if chunk < 1 << 21 {
                // Keep the 2 MiB case to two inputs so the suite stays fast.
                inputs.push(("text", text(n, 1)));
                inputs.push(("zeros", vec![0u8; n]));
            }
            inputs
        },
        |data, chunk, level| round_trip(lib.as_ref(), data, chunk, level),
    );
}

#[test]
fn incompressible_and_tiny_inputs_return_none() {
    check_refusals(|level| LzxCompressor::new(32768, level).unwrap());
}

#[test]
fn deterministic_fresh_vs_reused() {
    check_deterministic(
        |level| LzxCompressor::new(32768, level).unwrap(),
        &executable(3 * 32768),
        32768,
    );
}

#[test]
fn long_matches_and_edge_lengths() {
    // Runs whose match lengths hit 17/18/272/273 and the u16 form.
    let lib = LibWim::load();
    let data = edge_length_runs();
    round_trip(lib.as_ref(), &data, 32768, 50);
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
        let mut c = LzxCompressor::new(32768, level).unwrap();
        let mut d = LzxDecompressor::new(32768).unwrap();
        prop_round_trip(&mut c, &mut d, &data)?;
    }
}

/// Records of 32-bit values whose offsets are multiples of 8 make aligned blocks pay off;
/// the encoder must pick block type 2 and still round-trip through both decoders.
#[test]
fn aligned_blocks_chosen_and_decodable() {
    let lib = LibWim::load();
    let mut r = XorShift(77);
    let mut data = Vec::new();
    let table: Vec<[u8; 8]> = (0..600).map(|_| (r.next() | 1).to_le_bytes()).collect();
    while data.len() < 32768 {
        // Copy an 8-byte record from a random earlier record: offsets are multiples of 8.
        let k = (r.next() % table.len() as u64) as usize;
        data.extend_from_slice(&table[k]);
    }
    data.truncate(32768);
    let mut c = LzxCompressor::new(32768, 50).unwrap();
    let comp = compress(&mut c, &data).expect("compressible");
    let block_type = u16::from_le_bytes([comp[0], comp[1]]) >> 13;
    assert_eq!(block_type, 2, "expected an aligned-offset block");
    round_trip(lib.as_ref(), &data, 32768, 50);
    round_trip(lib.as_ref(), &data, 32768, 20);
}
