//! Tag compare of the row match finder ([`crate::matchfinder::row16`]): which of a row's 16
//! one-byte tags equal the searched position's tag, as a bit mask (bit `i` = slot `i`).
//!
//! x86-64: one SSE2 `pcmpeqb` + `pmovmskb` (SSE2 is part of the x86-64 baseline, so no
//! run-time detection is needed). Elsewhere, and with the `safe-only` feature, the scalar
//! twin [`tag_mask16_scalar`]; the tests compare both.

/// Bit `i` set when `tags[i] == tag`.
#[cfg(all(target_arch = "x86_64", not(feature = "safe-only")))]
#[inline(always)]
pub(crate) fn tag_mask16(tags: &[u8; 16], tag: u8) -> u32 {
    use std::arch::x86_64::{_mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8};
    // SAFETY: `tags` is a reference to 16 initialised bytes, exactly what the unaligned
    // 16-byte load reads (`loadu` has no alignment requirement); SSE2, the only target
    // feature these intrinsics need, is enabled on every x86-64 target.
    let m = unsafe {
        let t = _mm_loadu_si128(tags.as_ptr().cast());
        _mm_movemask_epi8(_mm_cmpeq_epi8(t, _mm_set1_epi8(tag as i8)))
    };
    (m as u32) & 0xFFFF
}

/// Bit `i` set when `tags[i] == tag` (the portable twin of the SSE2 form).
#[cfg(not(all(target_arch = "x86_64", not(feature = "safe-only"))))]
#[inline(always)]
pub(crate) fn tag_mask16(tags: &[u8; 16], tag: u8) -> u32 {
    tag_mask16_scalar(tags, tag)
}

/// Bit `i` set when `tags[i] == tag`: scalar code (SWAR over two `u64` halves).
#[inline(always)]
pub(crate) fn tag_mask16_scalar(tags: &[u8; 16], tag: u8) -> u32 {
    let mut m = 0u32;
    for (i, &t) in tags.iter().enumerate() {
        m |= u32::from(t == tag) << i;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse2_tag_mask_equals_scalar() {
        let mut s = 0x1234_5678_9abc_def0u64;
        for _ in 0..20000 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let mut tags = [0u8; 16];
            // Few distinct values so that many tags match.
            for (i, t) in tags.iter_mut().enumerate() {
                *t = ((s >> (i * 4)) & 3) as u8 * 85;
            }
            let tag = ((s >> 62) as u8) * 85;
            let m = tag_mask16(&tags, tag);
            assert_eq!(m, tag_mask16_scalar(&tags, tag));
            assert_eq!(m.count_ones() as usize, tags.iter().filter(|&&t| t == tag).count());
        }
    }
}
