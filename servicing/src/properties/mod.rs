//! Image properties derived from an image's contents (the `<IMAGE><WINDOWS>` XML data):
//! a read-only registry hive parser ([`regf`]), a PE machine reader ([`pe`]), an LCID table
//! ([`lcid`]) and the derivation itself ([`derive`]).
//!
//! ```ignore
//! let wim = wim_format::Wim::open("install.wim")?;
//! if let Some(p) = servicing::properties::derive_image_properties(&wim, image)? {
//!     println!("{}", p.version_string().unwrap_or_default()); // 10.0.18362.1139
//! }
//! ```

pub mod derive;
pub mod lcid;
pub mod pe;
pub mod regf;
pub mod system_root;

pub use derive::{
    ImageProperties, Mismatch, PropertiesError, SpBuildSource, compare_with_xml, derive_from_files,
    derive_from_metadata, derive_image_properties, find_system_root, lookup_ci,
};
pub use regf::{Hive, HiveError, HiveErrorKind, HiveLimits, RegValue};
