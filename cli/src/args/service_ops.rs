//! Arguments of `service extract-index` and `service optimize` (wimkit extensions).

use super::write::OutputArgs;
use clap::Args;

/// `service extract-index PATH INDEX [--compress=TYPE] [--no-backup]`.
#[derive(Debug, Args)]
pub struct ExtractIndexArgs {
    /// A WIM/ESD file, or an OS media folder holding sources/install.wim or
    /// sources/install.esd.
    pub path: String,
    /// 1-based index of the image to keep.
    pub index: u32,
    /// Compression type of the output (default: the WIM's own; LZX for an ESD).
    #[arg(long = "compress", value_name = "TYPE[:LEVEL]")]
    pub compress: Option<String>,
    /// Do not keep the original (a WIM's NAME.bak; an ESD input is removed).
    #[arg(long = "no-backup")]
    pub no_backup: bool,
    /// Compression threads (0 = one per CPU).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
}

/// `service optimize WIM [--recompress] [--compress=TYPE]`.
#[derive(Debug, Args)]
pub struct ServiceOptimizeArgs {
    /// The WIM file.
    pub wimfile: String,
    /// Output options.
    #[command(flatten)]
    pub out: OutputArgs,
}
