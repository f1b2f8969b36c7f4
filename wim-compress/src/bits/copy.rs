//! LZ77 match copy into the output buffer (codecs.md §1.5).

/// Copies `len` bytes from `pos − off` to `pos` in `out`, byte-wise semantics (the source may
/// overlap the destination). The caller has checked `1 <= off <= pos` and
/// `pos + len <= out.len()`.
///
/// Bytes of `out` at and after `pos + len` may be overwritten (with bytes of the same buffer)
/// when there is room: callers produce the output strictly in order, so they are rewritten
/// later, and no byte at or after the write position is ever read.
#[inline(always)]
pub(crate) fn copy_match(out: &mut [u8], pos: usize, off: usize, len: usize) {
    let end = pos + len;
    if off >= 8 && end + 8 <= out.len() {
        let mut s = pos - off;
        let mut d = pos;
        loop {
            let mut w = [0u8; 8];
            w.copy_from_slice(&out[s..s + 8]);
            out[d..d + 8].copy_from_slice(&w);
            d += 8;
            s += 8;
            if d >= end {
                break;
            }
        }
    } else if off == 1 {
        if let Some(&b) = out.get(pos.wrapping_sub(1))
            && let Some(dst) = out.get_mut(pos..end)
        {
            dst.fill(b);
        }
    } else if off >= len && len > 32 {
        out.copy_within(pos - off..pos - off + len, pos);
    } else {
        // Short copies (the common case here): a byte loop beats a `memmove` call.
        for i in pos..end {
            out[i] = out[i - off];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_bytewise_definition() {
        for size in [20usize, 40, 300] {
            for off in 1..18 {
                for len in 1..40 {
                    for pos in off..size {
                        if pos + len > size {
                            break;
                        }
                        let base: Vec<u8> = (0..size).map(|i| (i * 7 + 3) as u8).collect();
                        let mut want = base.clone();
                        for i in pos..pos + len {
                            want[i] = want[i - off];
                        }
                        let mut got = base.clone();
                        copy_match(&mut got, pos, off, len);
                        assert_eq!(
                            &got[..pos + len],
                            &want[..pos + len],
                            "off {off} len {len} pos {pos}"
                        );
                    }
                }
            }
        }
    }
}
