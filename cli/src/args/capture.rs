//! Arguments of `capture` and `append` (wimlib-imagex 1.13 syntax).

use super::codec::CodecArgs;
use clap::Args;

/// `capture|append SOURCE WIMFILE [NAME [DESCRIPTION]]`.
#[derive(Debug, Args, Clone)]
pub struct CaptureArgs {
    /// The directory to capture.
    pub source: String,
    /// The WIM file to write (capture) or add to (append).
    pub wimfile: String,
    /// Image name (default: the last component of SOURCE, made unique).
    pub name: Option<String>,
    /// Image description.
    pub description: Option<String>,
    /// Compression and output options.
    #[command(flatten)]
    pub codec: CodecArgs,
    /// Mark the new image bootable.
    #[arg(long)]
    pub boot: bool,
    /// Capture configuration file (exclusion lists).
    #[arg(long, value_name = "FILE")]
    pub config: Option<String>,
    /// Follow symbolic links.
    #[arg(long)]
    pub dereference: bool,
    /// Store UNIX owner, group, mode and special files.
    #[arg(long)]
    pub unix_data: bool,
    /// Do not capture security descriptors (none are captured on Linux).
    #[arg(long, alias = "noacls")]
    pub no_acls: bool,
    /// Fail when security descriptors cannot be read (none are read on Linux).
    #[arg(long)]
    pub strict_acls: bool,
    /// Rewrite absolute symbolic links inside SOURCE (the default).
    #[arg(long)]
    pub rpfix: bool,
    /// Capture absolute symbolic links as they are.
    #[arg(long)]
    pub norpfix: bool,
    /// Sets the FLAGS element (edition id).
    #[arg(long, value_name = "EDITIONID")]
    pub flags: Option<String>,
    /// Sets an XML property of the new image (NAME=VALUE; repeatable).
    #[arg(long, value_name = "NAME=VALUE")]
    pub image_property: Vec<String>,
    /// append: write a new file and rename it over the old one.
    #[arg(long)]
    pub rebuild: bool,
    /// append: create the WIM when it does not exist.
    #[arg(long)]
    pub create: bool,
    /// Print more (accepted, no effect).
    #[arg(long)]
    pub verbose: bool,
    /// SOURCE is a file (`-` = stdin) of `SOURCE [TARGET]` lines to capture together.
    #[arg(long)]
    pub source_list: bool,
    /// Reuse unchanged files' hashes from an image (not supported yet: refused).
    #[arg(long, value_name = "[WIM:]IMAGE")]
    pub update_of: Option<String>,
    /// Write a delta WIM: blobs present in these WIMs are left out (repeatable).
    #[arg(long, value_name = "WIMFILE")]
    pub delta_from: Vec<String>,
    /// Windows VSS snapshot (Windows only: refused).
    #[arg(long)]
    pub snapshot: bool,
}
