//! Arguments of `diff` (wimkit extension).

use clap::Args;

/// `diff A.wim[:IMAGE] B.wim[:IMAGE] [--json]`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The first WIM, optionally `:IMAGE` (index or name; default 1).
    pub a: String,
    /// The second WIM, optionally `:IMAGE`.
    pub b: String,
    /// Additional split parts or delta bases of both WIMs (glob; repeatable).
    #[arg(long = "ref", value_name = "GLOB")]
    pub refs: Vec<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}
