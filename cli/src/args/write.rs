//! Arguments of the writing commands: export, delete, optimize, split, join.

use clap::Args;

/// Output options shared by export and optimize.
#[derive(Debug, Args, Clone, Default)]
pub struct OutputArgs {
    /// Compression type (none, xpress/fast, lzx/maximum, lzms/recovery), optional `:LEVEL`.
    #[arg(long = "compress", value_name = "TYPE[:LEVEL]")]
    pub compress: Option<String>,
    /// Chunk size in bytes (power of two).
    #[arg(long = "chunk-size", value_name = "SIZE")]
    pub chunk_size: Option<u32>,
    /// Decompress and recompress every blob.
    #[arg(long)]
    pub recompress: bool,
    /// Write file data into solid resources (ESD, LZMS by default).
    #[arg(long)]
    pub solid: bool,
    /// Compression threads (0 = one per CPU).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Write an integrity table.
    #[arg(long, alias = "include-integrity")]
    pub check: bool,
    /// Do not write an integrity table.
    #[arg(long, alias = "no-check")]
    pub nocheck: bool,
    /// Write a pipable WIM.
    #[arg(long)]
    pub pipable: bool,
    /// Write a non-pipable WIM (optimize: turns a pipable WIM into a normal one).
    #[arg(long)]
    pub not_pipable: bool,
    /// Codec of solid resources, TYPE[:LEVEL] (with --solid).
    #[arg(long, value_name = "TYPE[:LEVEL]")]
    pub solid_compress: Option<String>,
    /// Chunk size of solid resources (K/M/G suffixes; with --solid).
    #[arg(long, value_name = "SIZE")]
    pub solid_chunk_size: Option<String>,
    /// Keep the order of solid data (not supported yet: refused).
    #[arg(long)]
    pub no_solid_sort: bool,
    /// WIMBoot output (not supported yet: refused).
    #[arg(long)]
    pub wimboot: bool,
    /// In-place compaction (not supported yet: refused).
    #[arg(long)]
    pub unsafe_compact: bool,
}

impl OutputArgs {
    /// The first given option that wimkit does not implement, for a clear refusal.
    pub fn unsupported(&self) -> Option<&'static str> {
        [
            (self.no_solid_sort, "--no-solid-sort"),
            (self.wimboot, "--wimboot"),
            (self.unsafe_compact, "--unsafe-compact"),
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
