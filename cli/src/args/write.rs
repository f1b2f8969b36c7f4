//! Arguments of the writing commands: export, delete, optimize, split, join.

use super::codec::CodecArgs;
use clap::Args;

/// Output options shared by export and optimize.
#[derive(Debug, Args, Clone, Default)]
pub struct OutputArgs {
    /// Compression and output options.
    #[command(flatten)]
    pub codec: CodecArgs,
    /// Decompress and recompress every blob.
    #[arg(long)]
    pub recompress: bool,
}

impl OutputArgs {
    /// The first given option that wimkit does not implement, for a clear refusal.
    pub fn unsupported(&self) -> Option<&'static str> {
        let c = &self.codec;
        [
            (c.no_solid_sort, "--no-solid-sort"),
            (c.wimboot, "--wimboot"),
            (c.unsafe_compact, "--unsafe-compact"),
        ]
        .into_iter()
        .find_map(|(on, name)| on.then_some(name))
    }
}

/// `export SRC_WIM SRC_IMAGE DEST_WIM [NAME [DESC]]`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The source WIM.
    pub src: String,
    /// 1-based index, name, or `all`.
    pub image: String,
    /// The destination WIM (appended to when it exists).
    pub dest: String,
    /// New image name.
    pub name: Option<String>,
    /// New image description.
    pub description: Option<String>,
    /// Mark the exported image bootable.
    #[arg(long)]
    pub boot: bool,
    /// Additional split parts or delta bases of the source (glob; repeatable).
    #[arg(long = "ref", value_name = "GLOB")]
    pub refs: Vec<String>,
    /// Existing DEST: rewrite it whole instead of appending in place.
    #[arg(long)]
    pub rebuild: bool,
    /// Write a delta WIM holding only the blobs this WIM lacks (repeatable).
    #[arg(long = "delta-from", value_name = "WIMFILE")]
    pub delta_from: Vec<String>,
    /// Output options.
    #[command(flatten)]
    pub out: OutputArgs,
}

/// `delete WIMFILE IMAGE|all`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The WIM file.
    pub wimfile: String,
    /// 1-based index, name, or `all`.
    pub image: String,
    /// Write an integrity table.
    #[arg(long, alias = "include-integrity")]
    pub check: bool,
    /// Only drop the metadata and XML, in place (no rebuild).
    #[arg(long)]
    pub soft: bool,
    /// In-place compaction (not supported yet: refused).
    #[arg(long)]
    pub unsafe_compact: bool,
}

/// `optimize WIMFILE`.
#[derive(Debug, Args)]
pub struct OptimizeArgs {
    /// The WIM file.
    pub wimfile: String,
    /// Output options.
    #[command(flatten)]
    pub out: OutputArgs,
}

/// `split WIMFILE SPLIT_WIM_PART_1 PART_SIZE_MB`.
#[derive(Debug, Args)]
pub struct SplitArgs {
    /// The WIM file.
    pub wimfile: String,
    /// First part (`x.swm`; the next ones are `x2.swm`, `x3.swm`, …).
    pub first: String,
    /// Maximum part size in MiB (fractional allowed).
    pub part_size: String,
    /// Write integrity tables.
    #[arg(long, alias = "include-integrity")]
    pub check: bool,
}

/// `join OUT_WIM PART...`.
#[derive(Debug, Args)]
pub struct JoinArgs {
    /// The WIM to write.
    pub out: String,
    /// Every part of the split set.
    #[arg(required = true)]
    pub parts: Vec<String>,
    /// Write an integrity table.
    #[arg(long, alias = "include-integrity")]
    pub check: bool,
}
