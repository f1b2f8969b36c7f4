//! LZMS constants and slot tables (`codecs.md` §4.1, §4.4, §4.6, §4.10, Appendix A).
//!
//! The slot tables are generated at compile time from the run-length description of
//! §4.10; the tests compare them with the literal tables of the specification.

/// Number of length slots.
pub(crate) const NUM_LEN_SLOTS: usize = 54;
/// Number of offset slots for the largest chunks (≥ 128 MiB).
pub(crate) const MAX_NUM_OFFSET_SLOTS: usize = 799;
/// Number of literal symbols.
pub(crate) const NUM_LITERAL_SYMS: usize = 256;
/// Number of delta powers (spans 1, 2, 4, ..., 128).
pub(crate) const NUM_DELTA_POWER_SYMS: usize = 8;

/// Rebuild interval of the literal code.
pub(crate) const LITERAL_REBUILD: u32 = 1024;
/// Rebuild interval of the LZ offset code.
pub(crate) const LZ_OFFSET_REBUILD: u32 = 1024;
/// Rebuild interval of the length code.
pub(crate) const LENGTH_REBUILD: u32 = 512;
/// Rebuild interval of the delta offset code.
pub(crate) const DELTA_OFFSET_REBUILD: u32 = 1024;
/// Rebuild interval of the delta power code.
pub(crate) const DELTA_POWER_REBUILD: u32 = 512;

/// Longest codeword of any LZMS Huffman code.
pub(crate) const MAX_CODEWORD_LEN: u32 = 15;

/// Root-table bits of each code's decode table (literal, LZ offset, length, delta offset,
/// delta power).
pub(crate) const LITERAL_TABLE_BITS: u32 = 10;
pub(crate) const OFFSET_TABLE_BITS: u32 = 10;
pub(crate) const LENGTH_TABLE_BITS: u32 = 9;
pub(crate) const DELTA_POWER_TABLE_BITS: u32 = 7;

/// Probability-entry counts (state bits) of the decision classes (§4.4).
pub(crate) const NUM_MAIN_PROBS: usize = 16;
pub(crate) const NUM_MATCH_PROBS: usize = 32;
pub(crate) const NUM_LZ_PROBS: usize = 64;
pub(crate) const NUM_LZ_REP_PROBS: usize = 64;
pub(crate) const NUM_DELTA_PROBS: usize = 64;
pub(crate) const NUM_DELTA_REP_PROBS: usize = 64;

/// Largest chunk wimlib accepts (1 GiB).
pub(crate) const MAX_CHUNK_SIZE: usize = 1 << 30;

/// Run-length description of the length slots: (number of slots, extra bits).
const LEN_RUNS: [(usize, u8); 14] = [
    (26, 0),
    (4, 1),
    (6, 2),
    (4, 3),
    (5, 4),
    (2, 5),
    (1, 6),
    (1, 7),
    (1, 8),
    (1, 9),
    (1, 10),
    (1, 16),
    (1, 30),
    (0, 0),
];

/// Number of offset slots having each extra-bit count 0..=30 (§4.10).
const OFFSET_RUNS: [usize; 31] = [
    8, 0, 9, 7, 10, 15, 15, 20, 20, 30, 33, 40, 42, 45, 60, 73, 80, 85, 95, 105, 6, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 1,
];

const fn gen_len_tables() -> ([u32; NUM_LEN_SLOTS], [u8; NUM_LEN_SLOTS]) {
    let mut base = [0u32; NUM_LEN_SLOTS];
    let mut extra = [0u8; NUM_LEN_SLOTS];
    let mut slot = 0;
    let mut next = 1u32;
    let mut r = 0;
    while r < LEN_RUNS.len() {
        let (count, bits) = LEN_RUNS[r];
        let mut k = 0;
        while k < count {
            base[slot] = next;
            extra[slot] = bits;
            next += 1 << bits;
            slot += 1;
            k += 1;
        }
        r += 1;
    }
    assert!(slot == NUM_LEN_SLOTS);
    (base, extra)
}

const fn gen_offset_tables() -> ([u32; MAX_NUM_OFFSET_SLOTS + 1], [u8; MAX_NUM_OFFSET_SLOTS]) {
    let mut base = [0u32; MAX_NUM_OFFSET_SLOTS + 1];
    let mut extra = [0u8; MAX_NUM_OFFSET_SLOTS];
    let mut slot = 0;
    let mut next = 1u32;
    let mut bits = 0;
    while bits < OFFSET_RUNS.len() {
        let mut k = 0;
        while k < OFFSET_RUNS[bits] {
            base[slot] = next;
            extra[slot] = bits as u8;
            next += 1 << bits;
            slot += 1;
            k += 1;
        }
        bits += 1;
    }
    assert!(slot == MAX_NUM_OFFSET_SLOTS);
    base[MAX_NUM_OFFSET_SLOTS] = next;
    (base, extra)
}

const LEN_TABLES: ([u32; NUM_LEN_SLOTS], [u8; NUM_LEN_SLOTS]) = gen_len_tables();
const OFFSET_TABLES: ([u32; MAX_NUM_OFFSET_SLOTS + 1], [u8; MAX_NUM_OFFSET_SLOTS]) =
    gen_offset_tables();

/// Smallest length of each length slot.
pub(crate) const LEN_BASE: [u32; NUM_LEN_SLOTS] = LEN_TABLES.0;
/// Extra bits of each length slot.
pub(crate) const LEN_EXTRA: [u8; NUM_LEN_SLOTS] = LEN_TABLES.1;
/// Smallest offset of each offset slot, plus one sentinel (one past the largest offset).
pub(crate) const OFFSET_BASE: [u32; MAX_NUM_OFFSET_SLOTS + 1] = OFFSET_TABLES.0;
/// Extra bits of each offset slot.
pub(crate) const OFFSET_EXTRA: [u8; MAX_NUM_OFFSET_SLOTS] = OFFSET_TABLES.1;

/// The offset slot containing `value` (≥ 1; values past the last slot map to slot 798).
pub(crate) fn offset_slot(value: u32) -> usize {
    // Number of bases <= value, minus one.
    OFFSET_BASE[..MAX_NUM_OFFSET_SLOTS]
        .partition_point(|&b| b <= value)
        .saturating_sub(1)
}

/// Number of offset slots (`N_off`) for a chunk of `size` uncompressed bytes (§4.6).
pub(crate) fn num_offset_slots(size: usize) -> usize {
    if size < 2 {
        return 0;
    }
    let last = u32::try_from(size - 1).unwrap_or(u32::MAX);
    1 + offset_slot(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_table_matches_spec() {
        assert_eq!(&LEN_BASE[..26], &(1..=26).collect::<Vec<u32>>()[..]);
        assert_eq!(&LEN_BASE[26..30], &[27, 29, 31, 33]);
        assert_eq!(&LEN_BASE[30..36], &[35, 39, 43, 47, 51, 55]);
        assert_eq!(&LEN_BASE[36..40], &[59, 67, 75, 83]);
        assert_eq!(&LEN_BASE[40..45], &[91, 107, 123, 139, 155]);
        assert_eq!(
            &LEN_BASE[45..],
            &[171, 203, 235, 299, 427, 683, 1195, 2219, 67755]
        );
        assert_eq!(LEN_EXTRA[52], 16);
        assert_eq!(LEN_EXTRA[53], 30);
        assert_eq!(LEN_BASE[53] as u64 + (1 << 30) - 1, 1_073_809_578);
    }

    #[test]
    fn offset_table_spot_checks() {
        assert_eq!(&OFFSET_BASE[..9], &[1, 2, 3, 4, 5, 6, 7, 8, 9]);
        assert_eq!(OFFSET_BASE[17], 45);
        assert_eq!(OFFSET_BASE[798], 106_685_605);
        assert_eq!(OFFSET_EXTRA[798], 30);
        assert_eq!(OFFSET_BASE[799], 0x465B_E4A5);
        assert_eq!(OFFSET_BASE[799], 1_180_427_429);
    }

    #[test]
    fn num_offset_slots_matches_spec() {
        let k = 1024;
        let m = 1024 * 1024;
        for (size, want) in [
            (32 * k, 142),
            (64 * k, 171),
            (128 * k, 203),
            (256 * k, 237),
            (512 * k, 275),
            (m, 317),
            (2 * m, 368),
            (4 * m, 430),
            (8 * m, 494),
            (16 * m, 565),
            (32 * m, 643),
            (64 * m, 729),
            (128 * m, 799),
            (1024 * m, 799),
            (2, 1),
            (3, 2),
            (4, 3),
            (5, 4),
            (10, 9),
            (100, 24),
            (4096, 83),
            (1, 0),
            (0, 0),
        ] {
            assert_eq!(num_offset_slots(size), want, "size {size}");
        }
    }
}
