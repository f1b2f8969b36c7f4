//! Arguments of `wimkit service …` (wimkit extension: servicing operations).
//!
//! Other helpers add their subcommands to [`ServiceCommand`] here.

use clap::{Args, Subcommand};

/// `service SUBCOMMAND`.
#[derive(Debug, Args)]
pub struct ServiceArgs {
    /// The servicing operation.
    #[command(subcommand)]
    pub command: ServiceCommand,
}

/// The servicing operations.
#[derive(Debug, Subcommand)]
pub enum ServiceCommand {
    /// Apply update packages (folders with `files/` and an optional `commands` file) to an
    /// image, recording each in the image's XML.
    ApplyUpdate(ApplyUpdateArgs),
    /// Print the identity of a Windows update package (.msu or .cab), read-only.
    InspectPackage(InspectPackageArgs),
    /// Keep one image of a WIM/ESD or a media folder's install image, in place and
    /// crash-safe (verified temporary file, backup, rename).
    ExtractIndex(super::service_ops::ExtractIndexArgs),
    /// Rebuild a WIM with only its referenced data (optionally recompressed); reports the
    /// bytes saved.
    Optimize(super::service_ops::ServiceOptimizeArgs),
}

/// `service apply-update WIM IMAGE PACKAGE_DIR... --id ID`.
#[derive(Debug, Args)]
pub struct ApplyUpdateArgs {
    /// The WIM file.
    pub wimfile: String,
    /// 1-based index or name of the image.
    pub image: String,
    /// Package folders, applied in order.
    #[arg(required = true)]
    pub packages: Vec<String>,
    /// Update id recorded in the XML (one per package, or one for all: then `-N` is
    /// appended from the second package on).
    #[arg(long = "id", required = true)]
    pub ids: Vec<String>,
    /// Go on past a failing package (each package is then applied on its own); the exit
    /// status is non-zero when any failed.
    #[arg(long = "continue-on-error")]
    pub continue_on_error: bool,
    /// Write an integrity table.
    #[arg(long)]
    pub check: bool,
    /// Rebuild the WIM (temporary file + rename) instead of appending in place.
    #[arg(long)]
    pub rebuild: bool,
    /// Compression threads (0 = one per CPU).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
}

/// `service inspect-package FILE`.
#[derive(Debug, Args)]
pub struct InspectPackageArgs {
    /// The .msu or .cab file.
    pub file: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}
