//! Arguments of `update WIMFILE [IMAGE]` (wimlib-imagex update).

use clap::Args;

/// `update WIMFILE [IMAGE] [--command=CMD] [< CMDFILE]`.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The WIM file.
    pub wimfile: String,
    /// 1-based index or name of the image (optional when the WIM has one image).
    pub image: Option<String>,
    /// One update command (instead of reading commands from standard input).
    #[arg(long)]
    pub command: Option<String>,
    /// Default for every add command: follow symbolic links.
    #[arg(long)]
    pub dereference: bool,
    /// Default for every add command: store UNIX owner, group, mode and device data.
    #[arg(long = "unix-data")]
    pub unix_data: bool,
    /// Default for every add command: no security descriptors.
    #[arg(long = "no-acls", alias = "noacls")]
    pub no_acls: bool,
    /// Default for every add command: fail when security descriptors cannot be read.
    #[arg(long = "strict-acls")]
    pub strict_acls: bool,
    /// Default for every add command: never replace an existing file.
    #[arg(long = "no-replace")]
    pub no_replace: bool,
    /// Capture configuration file for every add command.
    #[arg(long)]
    pub config: Option<String>,
    /// Default for every delete command: no error when the path does not exist.
    #[arg(long)]
    pub force: bool,
    /// Default for every delete command: delete directories recursively.
    #[arg(long)]
    pub recursive: bool,
    /// Verify the integrity table first, and write one.
    #[arg(long)]
    pub check: bool,
    /// Write an integrity table.
    #[arg(long = "include-integrity")]
    pub include_integrity: bool,
    /// Compression threads (0 = one per CPU).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Rebuild the whole WIM (temporary file + rename) instead of appending.
    #[arg(long)]
    pub rebuild: bool,
    /// Accepted for compatibility (WIMBoot configuration); not used.
    #[arg(long = "wimboot-config")]
    pub wimboot_config: Option<String>,
    /// Print each command as it is run.
    #[arg(long)]
    pub verbose: bool,
}
