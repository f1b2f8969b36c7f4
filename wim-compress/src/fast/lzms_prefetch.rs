//! Cache prefetch hints for the LZMS encoder's match finders.
//!
//! The finders know, one position ahead, which hash buckets and tree nodes they will read
//! next; a prefetch lets those cache misses overlap with the current position's work.
//! A hint never changes results, only timing. The safe twin (feature `safe-only`, or a
//! target without SSE) issues an ordinary load whose value is discarded.

/// Hints that `slice[i]` will be read soon; does nothing if `i` is out of bounds.
#[inline(always)]
pub(crate) fn prefetch<T: Copy>(slice: &[T], i: usize) {
    if let Some(x) = slice.get(i) {
        hint(x);
    }
}

#[cfg(all(target_arch = "x86_64", not(feature = "safe-only")))]
#[inline(always)]
#[allow(unsafe_code)]
fn hint<T: Copy>(x: &T) {
    use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
    // SAFETY: `_mm_prefetch` only requires SSE, which every x86_64 CPU has; it never
    // faults and does not access memory architecturally. `x` is a valid reference anyway.
    unsafe { _mm_prefetch::<_MM_HINT_T0>((x as *const T).cast::<i8>()) }
}

#[cfg(any(not(target_arch = "x86_64"), feature = "safe-only"))]
#[inline(always)]
fn hint<T: Copy>(x: &T) {
    std::hint::black_box(*x);
}

#[cfg(test)]
mod tests {
    use super::prefetch;

    #[test]
    fn prefetch_is_harmless_in_and_out_of_bounds() {
        let v: Vec<u32> = (0..1000).collect();
        for i in [0, 1, 999, 1000, usize::MAX] {
            prefetch(&v, i);
        }
        let e: [u8; 0] = [];
        prefetch(&e, 0);
        assert_eq!(v.iter().map(|&x| u64::from(x)).sum::<u64>(), 499_500);
    }
}
