//! # wim-testdata
//!
//! Test fixtures for wimkit: paths to the real third-party WIMs in `../shared/testdata/real`
//! (tests skip loudly when absent), a synthetic WIM builder, and oracle helpers.
//!
//! This crate is deliberately independent of `wim-format`: it is a second, minimal writer
//! that serves as a test oracle for the project's reader.
//!
//! - [`real`]: locate the real WIM files (with a loud `SKIP:` when absent).
//! - [`builder`]: synthetic uncompressed (or raw-chunked / solid) WIM writer.
//! - [`mutation`]: corruption cases for the malformed-input suite.
//! - [`tree`]: deterministic on-disk fixture trees for interop tests.
//! - [`oracle`]: `wimlib-imagex` wrappers and a Rust directory-tree differ.
//! - [`sample`]: the bundled `sample/sample.wim` description.
//! - [`prng`]: the small deterministic xorshift PRNG used everywhere here.
//! - [`windows`]: synthetic Windows trees (hives via `hivexsh`, stub kernel32.dll PEs).
//! - [`exec`]: run a program and keep its output and exit code (CLI comparisons).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod builder;
pub mod exec;
pub mod mutation;
pub mod oracle;
pub mod prng;
pub mod real;
pub mod sample;
pub mod tree;
pub mod windows;
