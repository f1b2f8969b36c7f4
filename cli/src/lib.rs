//! # wimkit (CLI library part)
//!
//! ## Overview
//! The `wimkit` binary's internals, exposed as a library so the text formatters can be
//! unit- and golden-tested: [`args`] (clap → plan), [`cmd`] (one module per command),
//! [`model`] (plain data + the library adapter), [`format`] (exact wimlib-imagex 1.13
//! text), [`error`] (wimlib exit codes and error text).
//!
//! ## Example
//! ```
//! use wimkit::format::time::format_filetime;
//! assert_eq!(format_filetime(116_444_736_000_000_000), "Thu Jan 01 00:00:00 1970 UTC");
//! ```
//!
//! ## API structure
//! `main.rs` = parse → [`cmd::run`] → exit code. Not a stable API.
//!
//! ## Cargo features
//! None.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod args;
pub mod cmd;
pub mod error;
pub mod format;
pub mod model;
