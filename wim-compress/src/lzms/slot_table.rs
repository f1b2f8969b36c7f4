//! Offset-slot lookup for the LZMS encoder: table look-ups instead of a binary search
//! over the 799 slot bases (`codecs.md` §4.10).

use super::constants::{MAX_NUM_OFFSET_SLOTS, OFFSET_BASE, offset_slot};
use std::sync::OnceLock;

/// Offsets below this are looked up directly.
const SMALL: u32 = 1 << 14;
/// Above `SMALL`, every slot spans at least `2^MID_SHIFT` offsets (slots from 104 on
/// have at least 9 extra bits), so one table entry per `2^MID_SHIFT` offsets leaves at
/// most one slot boundary to step over.
const MID_SHIFT: u32 = 9;
const MID_END: u32 = 1 << 20;
/// Above `MID_END`, every slot spans at least `2^BIG_SHIFT` offsets (slots from 294 on
/// have at least 14 extra bits).
const BIG_SHIFT: u32 = 14;
const BIG_END: u32 = 1 << 30;

#[derive(Debug)]
struct Tables {
    small: Vec<u16>,
    mid: Vec<u16>,
    big: Vec<u16>,
}

fn tables() -> &'static Tables {
    static T: OnceLock<Tables> = OnceLock::new();
    T.get_or_init(|| {
        let small = (0..SMALL).map(|o| offset_slot(o.max(1)) as u16).collect();
        let mid = (0..MID_END >> MID_SHIFT)
            .map(|i| offset_slot((i << MID_SHIFT).max(1)) as u16)
            .collect();
        let big = (0..BIG_END >> BIG_SHIFT)
            .map(|i| offset_slot((i << BIG_SHIFT).max(1)) as u16)
            .collect();
        Tables { small, mid, big }
    })
}

/// Offset-slot finder (cheap to copy: a reference to shared tables).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SlotFinder {
    t: &'static Tables,
}

impl SlotFinder {
    pub(crate) fn new() -> Self {
        SlotFinder { t: tables() }
    }

    /// The offset slot of `off` (≥ 1), identical to [`offset_slot`].
    #[inline(always)]
    pub(crate) fn slot(&self, off: u32) -> usize {
        if off < SMALL {
            return self
                .t
                .small
                .get(off as usize)
                .map_or(0, |&s| usize::from(s));
        }
        let mut s = if off < MID_END {
            self.t.mid.get((off >> MID_SHIFT) as usize)
        } else if off < BIG_END {
            self.t.big.get((off >> BIG_SHIFT) as usize)
        } else {
            return offset_slot(off);
        }
        .map_or(0, |&s| usize::from(s));
        while s + 1 < MAX_NUM_OFFSET_SLOTS && OFFSET_BASE[s + 1] <= off {
            s += 1;
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_binary_search() {
        let f = SlotFinder::new();
        let mut probes: Vec<u32> = (1..70_000).collect();
        for &b in &OFFSET_BASE[..MAX_NUM_OFFSET_SLOTS] {
            for d in [0u32, 1, 2] {
                probes.push(b.saturating_sub(d).max(1));
                probes.push(b.saturating_add(d));
            }
        }
        let mut x = 12345u32;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            probes.push(x.max(1));
        }
        for o in probes {
            assert_eq!(f.slot(o), offset_slot(o), "offset {o}");
        }
    }
}
