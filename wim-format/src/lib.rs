//! # wim-format
//!
//! ## Overview
//! The Windows Imaging format (WIM, ESD, SWM) on disk: the 208-byte header, resource
//! headers and chunk tables, the blob (lookup) table, image metadata (security data and
//! the dentry tree), the UTF-16LE XML document, the integrity table and split sets.
//! Readers are lazy and borrow their source; every value read from disk is checked
//! against [`Limits`] before anything is allocated for it. Layout facts:
//! `../shared/docs/wim-format.md`.
//!
//! ## Example
//! ```ignore
//! use wim_format::Wim;
//! let wim = Wim::open("install.wim")?;
//! for image in wim.images() {
//!     println!("{} {}", image.index(), image.name());
//! }
//! # Ok::<(), wim_format::Error>(())
//! ```
//!
//! ## API structure
//! - `ondisk/`: raw layouts only (sizes, offsets), no meaning.
//! - [`header`], [`blob_table`], [`resource`], [`metadata`], [`xml`], [`integrity`],
//!   [`parts`]: validated views with meaning.
//! - [`Wim`]: the open file (or split set): images, metadata, blob access.
//! - [`Error`]: classified by actor; [`FormatErrorKind`] is the stable classification.
//!
//! ## Cargo features
//! - `mmap`: an opt-in memory-mapped [`source::ReadAt`] source.
//! - `__fuzz`: internals for fuzz targets; not a stable API.
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]
#![deny(missing_docs)]
// The shared cursor (bytes.rs) and on-disk parsers return `FormatError` by value on purpose:
// errors are rare and carry context; boxing happens in `Error::Format`.
#![allow(clippy::result_large_err)]

pub mod blob_table;
pub mod bytes;
pub mod digest;
pub mod error;
pub mod header;
pub mod integrity;
pub mod limits;
pub mod metadata;
pub mod ondisk;
pub mod parts;
pub mod resource;
pub mod source;
pub mod wim;
pub mod write;
pub mod xml;

pub use digest::{ImageIndex, Sha1Digest};
pub use error::{Error, FormatError, FormatErrorKind, Result};
pub use limits::Limits;
pub use source::ReadAt;
pub use wim::Wim;
pub use write::{WimWriter, WimWriterBuilder};
