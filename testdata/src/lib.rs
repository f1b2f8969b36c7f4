//! # wim-testdata
//!
//! Test fixtures for wimkit: paths to the real third-party WIMs in `../shared/testdata/real`
//! (tests skip loudly when absent), a synthetic WIM builder, and oracle helpers.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
