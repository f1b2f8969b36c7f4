//! LZX constants (codecs.md §3.2, §3.6, §3.7).

/// Smallest and largest window orders (32 KiB .. 2 MiB).
pub(crate) const MIN_WINDOW_ORDER: u32 = 15;
/// Largest window order.
pub(crate) const MAX_WINDOW_ORDER: u32 = 21;
/// Literal symbols.
pub(crate) const NUM_CHARS: usize = 256;
/// Length headers per offset slot.
pub(crate) const NUM_LEN_HEADERS: usize = 8;
/// Largest number of offset slots (2 MiB window).
pub(crate) const MAX_OFFSET_SLOTS: usize = 50;
/// Largest main alphabet.
pub(crate) const MAX_MAIN_SYMBOLS: usize = NUM_CHARS + NUM_LEN_HEADERS * MAX_OFFSET_SLOTS;
/// Length-code symbols (lengths 9..257).
pub(crate) const NUM_LEN_SYMBOLS: usize = 249;
/// Aligned-offset code symbols.
pub(crate) const NUM_ALIGNED_SYMBOLS: usize = 8;
/// Pretree symbols.
pub(crate) const NUM_PRE_SYMBOLS: usize = 20;
/// Longest codewords.
pub(crate) const MAX_MAIN_LEN: u32 = 16;
/// Longest length-code codeword.
pub(crate) const MAX_LEN_LEN: u32 = 16;
/// Longest aligned codeword.
pub(crate) const MAX_ALIGNED_LEN: u32 = 7;
/// Longest pretree codeword.
pub(crate) const MAX_PRE_LEN: u32 = 15;
/// Minimum match length.
pub(crate) const MIN_MATCH: usize = 2;
/// Default block size (is_default bit = 1).
pub(crate) const DEFAULT_BLOCK_SIZE: usize = 32768;
/// E8 translation size.
pub(crate) const E8_SIZE: i32 = 12_000_000;

/// Extra bits per offset slot (rule of §3.7), padded to 64 entries.
pub(crate) const EXTRA_BITS: [u8; 64] = {
    let mut t = [0u8; 64];
    let mut s = 4;
    while s < 64 {
        let e = (s - 2) / 2;
        t[s] = if s >= 36 {
            17
        } else if e > 16 {
            16
        } else {
            e as u8
        };
        s += 1;
    }
    t
};

/// Formatted position base per offset slot (running sums of 2^extra), padded to 64 entries.
pub(crate) const POSITION_BASE: [u32; 64] = {
    let mut t = [0u32; 64];
    let mut s = 1;
    while s < 64 {
        t[s] = t[s - 1] + (1u32 << EXTRA_BITS[s - 1]);
        s += 1;
    }
    t
};

/// Number of offset slots for a window order: the smallest n with base[n] >= window.
pub(crate) const fn num_offset_slots(order: u32) -> usize {
    let w = 1u32 << order;
    let mut n = 0;
    while POSITION_BASE[n] < w {
        n += 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_table_matches_codecs_md() {
        assert_eq!(&POSITION_BASE[..10], &[0, 1, 2, 3, 4, 6, 8, 12, 16, 24]);
        assert_eq!(&EXTRA_BITS[..10], &[0, 0, 0, 0, 1, 1, 2, 2, 3, 3]);
        assert_eq!(POSITION_BASE[29], 24576);
        assert_eq!(EXTRA_BITS[35], 16);
        assert_eq!(POSITION_BASE[36], 262144);
        assert_eq!(EXTRA_BITS[36], 17);
        assert_eq!(POSITION_BASE[49], 1966080);
        assert_eq!(POSITION_BASE[50], 2097152);
        let slots: Vec<usize> = (15..=21).map(num_offset_slots).collect();
        assert_eq!(slots, vec![30, 32, 34, 36, 38, 42, 50]);
    }
}
