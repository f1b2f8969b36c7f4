//! A tiny deterministic PRNG (xorshift64*) so fixtures are identical on every machine.

/// xorshift64* generator. Same seed, same stream, on every platform.
#[derive(Debug, Clone)]
pub struct XorShift64 {
    state: u64,
}

impl XorShift64 {
    /// Creates a generator; a zero seed is replaced by a fixed non-zero constant.
    pub fn new(seed: u64) -> Self {
        XorShift64 {
            state: if seed == 0 {
                0x9E37_79B9_7F4A_7C15
            } else {
                seed
            },
        }
    }

    /// Next 64 pseudo-random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A value in `0..n` (`n` > 0; returns 0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// Fills `buf` with pseudo-random (incompressible) bytes.
    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }

    /// `len` incompressible bytes.
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut v = vec![0u8; len];
        self.fill(&mut v);
        v
    }

    /// `len` bytes of compressible, text-like data (words from a small vocabulary, lines).
    pub fn text(&mut self, len: usize) -> Vec<u8> {
        const WORDS: &[&str] = &[
            "the",
            "image",
            "windows",
            "resource",
            "blob",
            "table",
            "header",
            "metadata",
            "chunk",
            "stream",
            "directory",
            "file",
            "system32",
            "driver",
            "registry",
            "hive",
            "version",
            "update",
            "servicing",
            "package",
            "component",
            "manifest",
            "of",
            "and",
            "to",
            "in",
            "is",
            "a",
            "with",
            "for",
            "0x10D00",
            "LZX",
            "XPRESS",
            "LZMS",
        ];
        let mut out = Vec::with_capacity(len + 16);
        let mut col = 0usize;
        while out.len() < len {
            let w = WORDS[self.below(WORDS.len() as u64) as usize];
            out.extend_from_slice(w.as_bytes());
            col += w.len() + 1;
            if col > 72 {
                out.push(b'\n');
                col = 0;
            } else {
                out.push(b' ');
            }
        }
        out.truncate(len);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_seed_sensitive() {
        let a: Vec<u64> = (0..4)
            .map({
                let mut g = XorShift64::new(7);
                move |_| g.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..4)
            .map({
                let mut g = XorShift64::new(7);
                move |_| g.next_u64()
            })
            .collect();
        let c: Vec<u64> = (0..4)
            .map({
                let mut g = XorShift64::new(8);
                move |_| g.next_u64()
            })
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
        let t = XorShift64::new(1).text(1000);
        assert_eq!(t.len(), 1000);
        assert!(t.iter().all(|&b| b.is_ascii()));
    }
}
