//! Run-time binding to Debian's `libwim.so.15` (wimlib), used ONLY by tests and benches as
//! an oracle for our codecs. Never linked into the product: it is `dlopen`ed here.
#![allow(unsafe_code, dead_code)]

use libloading::{Library, Symbol};
use std::ffi::c_void;

/// wimlib's compression-type numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ctype {
    Xpress = 1,
    Lzx = 2,
    Lzms = 3,
}

type CreateDec = unsafe extern "C" fn(i32, usize, *mut *mut c_void) -> i32;
type Decompress =
    unsafe extern "C" fn(*const c_void, usize, *mut c_void, usize, *mut c_void) -> i32;
type FreeDec = unsafe extern "C" fn(*mut c_void);
type CreateComp = unsafe extern "C" fn(i32, usize, u32, *mut *mut c_void) -> i32;
type Compress =
    unsafe extern "C" fn(*const c_void, usize, *mut c_void, usize, *mut c_void) -> usize;
type FreeComp = unsafe extern "C" fn(*mut c_void);

/// The loaded library.
pub struct LibWim {
    lib: Library,
}

impl LibWim {
    /// Loads libwim.so.15; `None` (after printing a loud SKIP line) if absent.
    pub fn load() -> Option<LibWim> {
        for name in ["libwim.so.15", "/usr/lib/x86_64-linux-gnu/libwim.so.15"] {
            // SAFETY: loading a system library whose initialisers are well behaved.
            if let Ok(lib) = unsafe { Library::new(name) } {
                return Some(LibWim { lib });
            }
        }
        eprintln!(
            "SKIP: libwim.so.15 not found (apt-get install libwim15); libwim cross-checks skipped"
        );
        None
    }

    /// Decompresses one chunk with wimlib; `None` if wimlib reports failure.
    pub fn decompress(
        &self,
        ctype: Ctype,
        max_chunk: usize,
        src: &[u8],
        out_len: usize,
    ) -> Option<Vec<u8>> {
        // SAFETY: symbols have the C signatures documented in wimlib.h; buffers are valid
        // for the lengths passed; the context is freed before return.
        unsafe {
            let create: Symbol<CreateDec> = self.lib.get(b"wimlib_create_decompressor\0").ok()?;
            let dec_fn: Symbol<Decompress> = self.lib.get(b"wimlib_decompress\0").ok()?;
            let free: Symbol<FreeDec> = self.lib.get(b"wimlib_free_decompressor\0").ok()?;
            let mut ctx: *mut c_void = std::ptr::null_mut();
            if create(ctype as i32, max_chunk, &mut ctx) != 0 {
                return None;
            }
            let mut out = vec![0u8; out_len];
            let r = dec_fn(
                src.as_ptr().cast(),
                src.len(),
                out.as_mut_ptr().cast(),
                out_len,
                ctx,
            );
            free(ctx);
            (r == 0).then_some(out)
        }
    }

    /// Compresses one chunk with wimlib at `level` (0 = default); `None` if it did not
    /// shrink below `src.len()` (wimlib's "store raw" answer).
    pub fn compress(
        &self,
        ctype: Ctype,
        max_chunk: usize,
        level: u32,
        src: &[u8],
    ) -> Option<Vec<u8>> {
        // SAFETY: as in `decompress`.
        unsafe {
            let create: Symbol<CreateComp> = self.lib.get(b"wimlib_create_compressor\0").ok()?;
            let comp_fn: Symbol<Compress> = self.lib.get(b"wimlib_compress\0").ok()?;
            let free: Symbol<FreeComp> = self.lib.get(b"wimlib_free_compressor\0").ok()?;
            let mut ctx: *mut c_void = std::ptr::null_mut();
            if create(ctype as i32, max_chunk, level, &mut ctx) != 0 {
                return None;
            }
            let avail = src.len().saturating_sub(1);
            let mut out = vec![0u8; avail.max(1)];
            let n = comp_fn(
                src.as_ptr().cast(),
                src.len(),
                out.as_mut_ptr().cast(),
                avail,
                ctx,
            );
            free(ctx);
            if n == 0 {
                return None;
            }
            out.truncate(n);
            Some(out)
        }
    }
}

/// One reusable libwim compressor context (as wimlib itself keeps one per thread while
/// writing a WIM), for fair speed comparisons. Freed on drop.
pub struct LibCompressor<'a> {
    lib: &'a LibWim,
    ctx: *mut c_void,
    max_chunk: usize,
}

impl<'a> LibCompressor<'a> {
    /// A context for chunks of up to `max_chunk` bytes at `level`; `None` on failure.
    pub fn new(lib: &'a LibWim, ctype: Ctype, max_chunk: usize, level: u32) -> Option<Self> {
        // SAFETY: as in `LibWim::compress`; the context is freed in `Drop`.
        unsafe {
            let create: Symbol<CreateComp> = lib.lib.get(b"wimlib_create_compressor\0").ok()?;
            let mut ctx: *mut c_void = std::ptr::null_mut();
            if create(ctype as i32, max_chunk, level, &mut ctx) != 0 {
                return None;
            }
            Some(LibCompressor {
                lib,
                ctx,
                max_chunk,
            })
        }
    }

    /// Compresses `src` (at most `max_chunk` bytes) into `out` (resized as needed); returns
    /// the compressed size, or `None` when it did not shrink (wimlib's "store raw").
    pub fn compress_into(&mut self, src: &[u8], out: &mut Vec<u8>) -> Option<usize> {
        if src.len() > self.max_chunk || src.is_empty() {
            return None;
        }
        let avail = src.len() - 1;
        out.resize(avail.max(1), 0);
        // SAFETY: the symbol has the C signature documented in wimlib.h; `src` and `out` are
        // valid for the lengths passed; `ctx` is a live context created by `new`.
        let n = unsafe {
            let comp_fn: Symbol<Compress> = self.lib.lib.get(b"wimlib_compress\0").ok()?;
            comp_fn(
                src.as_ptr().cast(),
                src.len(),
                out.as_mut_ptr().cast(),
                avail,
                self.ctx,
            )
        };
        (n != 0).then_some(n)
    }
}

impl Drop for LibCompressor<'_> {
    fn drop(&mut self) {
        // SAFETY: `ctx` was created by `wimlib_create_compressor` and is freed once.
        unsafe {
            if let Ok(free) = self.lib.lib.get::<FreeComp>(b"wimlib_free_compressor\0") {
                free(self.ctx);
            }
        }
    }
}
