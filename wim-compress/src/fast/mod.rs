//! Fast paths with `unsafe` code. Each has a safe twin, selected instead by the `safe-only`
//! feature; tests compare the two. Every `unsafe` block states why it is sound.
#![allow(unsafe_code)]

pub(crate) mod lzx_bt;
