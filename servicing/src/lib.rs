//! # wimkit-servicing
//!
//! ## Overview
//! Operations built on `wim-format` and `wim-compress`: apply, extract, verify (and later
//! capture, export, delete, update, optimize, split/join, image properties).
//!
//! ## Example
//! See the `wimkit` CLI crate.
//!
//! ## API structure
//! One module per operation.
//!
//! ## Cargo features
//! None.
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]
#![deny(missing_docs)]

pub mod apply;
pub mod atomic;
pub mod capture;
pub mod delete;
pub mod delta;
pub mod diff;
pub mod error;
pub mod export;
pub mod extract;
pub mod extract_index;
pub mod info_edit;
pub mod join;
pub mod optimize;
pub mod package;
pub mod pipable;
pub mod progress;
pub mod properties;
pub mod safe_path;
pub mod split;
pub mod update;

pub use error::{Error, Result};
