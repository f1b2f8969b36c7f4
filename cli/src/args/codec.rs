//! Compression and output-format options shared by the commands that write WIM data
//! (`capture`, `append`, `export`, `optimize`, `service optimize`), and their parsing in
//! wimlib-imagex 1.13's words.

use crate::error::{CliError, ErrorCode};
use clap::Args;
use wim_format::header::Compression;

/// `--compress`, `--chunk-size`, `--solid…`, `--threads`, the integrity and pipable
/// switches.
#[derive(Debug, Args, Clone, Default)]
pub struct CodecArgs {
    /// Compression type and optional level: none, XPRESS (fast), LZX (maximum, max), LZMS
    /// (recovery); TYPE[:LEVEL].
    #[arg(long, value_name = "TYPE[:LEVEL]")]
    pub compress: Option<String>,
    /// Chunk size (power of two; K/M/G or KiB/MiB/GiB suffixes).
    #[arg(long, value_name = "SIZE")]
    pub chunk_size: Option<String>,
    /// Solid (ESD) output: file data in LZMS solid resources.
    #[arg(long)]
    pub solid: bool,
    /// Codec of solid resources, TYPE[:LEVEL].
    #[arg(long, value_name = "TYPE[:LEVEL]")]
    pub solid_compress: Option<String>,
    /// Chunk size of solid resources (K/M/G suffixes).
    #[arg(long, value_name = "SIZE")]
    pub solid_chunk_size: Option<String>,
    /// Keep disk order in solid resources instead of sorting by file type.
    #[arg(long)]
    pub no_solid_sort: bool,
    /// Compression threads (0 = one per CPU).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub threads: usize,
    /// Write an integrity table (on append, also check the existing one).
    #[arg(long, alias = "include-integrity")]
    pub check: bool,
    /// Do not write an integrity table.
    #[arg(long, alias = "no-check")]
    pub nocheck: bool,
    /// Write a pipable WIM.
    #[arg(long)]
    pub pipable: bool,
    /// Write a non-pipable WIM (append/optimize: turns a pipable WIM into a normal one).
    #[arg(long)]
    pub not_pipable: bool,
    /// WIMBoot output (not supported yet: refused).
    #[arg(long)]
    pub wimboot: bool,
    /// In-place compaction (not supported yet: refused).
    #[arg(long)]
    pub unsafe_compact: bool,
}

impl CodecArgs {
    /// `--check` / `--nocheck` as a choice (`None`: keep the default); both at once is
    /// wimlib's invalid-parameter error (code 24).
    pub fn integrity(&self) -> Result<Option<bool>, CliError> {
        match (self.check, self.nocheck) {
            (true, true) => Err(CliError::bare(ErrorCode::InvalidParam)),
            (true, false) => Ok(Some(true)),
            (false, true) => Ok(Some(false)),
            (false, false) => Ok(None),
        }
    }

    /// `--pipable` / `--not-pipable` as a choice (`None`: keep the default).
    pub fn pipable_choice(&self) -> Option<bool> {
        if self.pipable {
            Some(true)
        } else if self.not_pipable {
            Some(false)
        } else {
            None
        }
    }

    /// The parsed `--compress`, with wimlib's warning for `recovery` already printed.
    pub fn compression(&self) -> Result<Option<CodecChoice>, CliError> {
        self.compress.as_deref().map(parse_compression).transpose()
    }

    /// The parsed `--chunk-size`.
    pub fn chunk_size(&self) -> Result<Option<u32>, CliError> {
        self.chunk_size.as_deref().map(parse_size).transpose()
    }

    /// The parsed `--solid-compress`.
    pub fn solid_compression(&self) -> Result<Option<CodecChoice>, CliError> {
        self.solid_compress
            .as_deref()
            .map(parse_compression)
            .transpose()
    }

    /// The parsed `--solid-chunk-size`.
    pub fn solid_chunk_size(&self) -> Result<Option<u32>, CliError> {
        self.solid_chunk_size.as_deref().map(parse_size).transpose()
    }
}

/// A parsed `TYPE[:LEVEL]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodecChoice {
    /// The compression type.
    pub ctype: Compression,
    /// The level, when one was given (always ≥ 1).
    pub level: Option<u32>,
}

/// wimlib-imagex's message for an unknown compression type.
const INVALID_TYPE_HELP: &str = "Available compression types:\n\n    none\n    xpress (alias: \"fast\")\n    lzx    (alias: \"maximum\") (default for capture)\n    lzms   (alias: \"recovery\")\n";

/// wimlib-imagex's warning for `--compress=recovery` (non-solid LZMS, unlike DISM).
const RECOVERY_WARNING: &str = "Warning: use of '--compress=recovery' is discouraged because it behaves\n   differently from DISM.  Instead, you typically want to use '--solid' to\n   create a solid LZMS-compressed WIM or \"ESD file\", similar to DISM's\n   /compress:recovery.  But if you really want *non-solid* LZMS compression,\n   then you may suppress this warning by specifying '--compress=lzms' instead\n   of '--compress=recovery'.\n";

/// Parses `TYPE[:LEVEL]` (case-insensitive names and aliases, positive level), printing
/// wimlib's warning on stderr for the `recovery` alias.
pub fn parse_compression(s: &str) -> Result<CodecChoice, CliError> {
    let (t, level) = match s.split_once(':') {
        Some((t, l)) => {
            let n: u32 = l.parse().ok().filter(|&n| n > 0).ok_or_else(|| {
                CliError::Usage(
                    "ERROR: Compression level must be a positive integer! e.g. --compress=lzx:80"
                        .into(),
                )
            })?;
            (t, Some(n))
        }
        None => (s, None),
    };
    let ctype = match t.to_ascii_lowercase().as_str() {
        "none" => Compression::None,
        "xpress" | "fast" => Compression::Xpress,
        "lzx" | "maximum" | "max" => Compression::Lzx,
        "lzms" => Compression::Lzms,
        "recovery" => {
            eprint!("{RECOVERY_WARNING}");
            Compression::Lzms
        }
        _ => {
            return Err(CliError::Usage(format!(
                "ERROR: Invalid compression type \"{t}\"!\n{INVALID_TYPE_HELP}"
            )));
        }
    };
    Ok(CodecChoice { ctype, level })
}

/// Parses a chunk size with an optional K/M/G (KiB/MiB/GiB) suffix.
pub fn parse_size(s: &str) -> Result<u32, CliError> {
    let lower = s.trim().to_ascii_lowercase();
    let (num, shift) = [
        ("kib", 10),
        ("mib", 20),
        ("gib", 30),
        ("k", 10),
        ("m", 20),
        ("g", 30),
    ]
    .iter()
    .find_map(|(suf, sh)| lower.strip_suffix(suf).map(|n| (n, *sh)))
    .unwrap_or((lower.as_str(), 0));
    num.trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1 << shift))
        .and_then(|n| u32::try_from(n).ok())
        .filter(|&n| n > 0)
        .ok_or_else(|| {
            CliError::Usage(
                "ERROR: Invalid chunk size specification; must be a positive integer\n       with optional K, M, or G suffix"
                    .into(),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_suffixes_and_refuse_junk() {
        assert_eq!(parse_size("32K").ok(), Some(32 << 10));
        assert_eq!(parse_size("2MiB").ok(), Some(2 << 20));
        assert_eq!(parse_size("1g").ok(), Some(1 << 30));
        assert_eq!(parse_size("131072").ok(), Some(131072));
        for bad in ["0", "abc", "4G", "-1", "99999999999999999999K", ""] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn compression_names_levels_and_errors() {
        let c = |s| parse_compression(s).ok();
        assert_eq!(
            c("MAX:80"),
            Some(CodecChoice {
                ctype: Compression::Lzx,
                level: Some(80)
            })
        );
        assert_eq!(c("fast").map(|c| c.ctype), Some(Compression::Xpress));
        assert_eq!(
            c("lzms").map(|c| (c.ctype, c.level)),
            Some((Compression::Lzms, None))
        );
        assert_eq!(c("none").map(|c| c.ctype), Some(Compression::None));
        for bad in ["lzx:0", "lzx:x", "zip", "lzx:-3"] {
            assert!(parse_compression(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn check_and_nocheck_together_are_invalid() {
        let mut a = CodecArgs {
            check: true,
            ..CodecArgs::default()
        };
        assert_eq!(a.integrity().ok(), Some(Some(true)));
        a.nocheck = true;
        assert_eq!(a.integrity().map_err(|e| e.exit_code()).err(), Some(24));
        a.check = false;
        assert_eq!(a.integrity().ok(), Some(Some(false)));
    }
}
