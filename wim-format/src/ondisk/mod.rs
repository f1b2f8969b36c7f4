//! Raw on-disk layouts: sizes, field offsets and plain little-endian (de)serialisation.
//! No validation and no meaning here; see [`crate::header`], [`crate::blob_table`] and
//! [`crate::resource`] for the validated views. Layout facts: `wim-format.md` §2–5, 8, 10.

pub mod blob_entry;
pub mod header;
pub mod integrity;
pub mod pipable;
pub mod reshdr;
pub mod solid;
