//! Inputs shared by the codecs' unit tests.

/// One step of a xorshift64 generator (deterministic test noise).
pub(crate) fn xorshift(x: &mut u64) -> u64 {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    *x
}

/// 6000 bytes where every other byte is `Q` (0x51) and the others are noise without `Q`,
/// with `QQQ` (framed by bytes found nowhere else around it) at `p0` and at `p`, 2000 bytes
/// apart. Returns `(data, p0, p)`. Priced from the byte histogram, `Q` costs about one bit,
/// so the far 3-byte match at `p` loses to literals; at a flat literal cost it is taken.
pub(crate) fn frequent_byte_triples() -> (Vec<u8>, usize, usize) {
    const Q: u8 = 0x51;
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    let mut data: Vec<u8> = (0..6000)
        .map(|i| {
            let b = (xorshift(&mut x) >> 24) as u8;
            if i % 2 == 0 {
                Q
            } else if b == Q {
                0
            } else {
                b
            }
        })
        .collect();
    let (p0, p) = (1001usize, 3001usize);
    for (at, (before, after)) in [(p0, (1u8, 2u8)), (p, (3, 4))] {
        data[at - 1] = before;
        data[at..at + 3].fill(Q);
        data[at + 3] = after;
    }
    (data, p0, p)
}
