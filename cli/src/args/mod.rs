//! Command line → validated [`Plan`].
//!
//! Syntax follows wimlib-imagex 1.13 (`wimlib-imagex info WIM [IMAGE] --header`, options
//! anywhere after the command, `--opt=VALUE` or `--opt VALUE`). Our additions:
//! `--json` on info, dir and verify. `wiminfo`, `wimdir`, `wimverify`, `wimapply` and
//! `wimextract` as argv[0] imply the command.

pub mod capture;
pub mod codec;
pub mod diff;
pub mod image;
pub mod service;
pub mod service_ops;
pub mod update;
pub mod write;

use crate::error::CliError;
use clap::{Args, Parser, Subcommand};
pub use image::ImageArg;
use std::ffi::OsString;
pub use write::{DeleteArgs, ExportArgs, JoinArgs, OptimizeArgs, SplitArgs};

/// `wimkit` command line.
#[derive(Debug, Parser)]
#[command(
    name = "wimkit",
    version,
    about = "Read and write Windows Imaging (WIM/ESD/SWM) files; wimlib-imagex-compatible",
    disable_help_subcommand = true
)]
pub struct Cli {
    /// Suppress progress output.
    #[arg(long, global = true)]
    pub quiet: bool,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The read-only commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show information about a WIM file or one of its images.
    Info(InfoArgs),
    /// List the files and directories of an image.
    Dir(DirArgs),
    /// Check a WIM file: header, tables, metadata and every blob's SHA-1.
    Verify(VerifyArgs),
    /// Extract a whole image (or all images) to a directory.
    Apply(ApplyArgs),
    /// Extract files or directories from an image.
    Extract(ExtractArgs),
    /// Copy images into a new or an existing WIM.
    Export(ExportArgs),
    /// Delete images from a WIM.
    Delete(DeleteArgs),
    /// Rebuild a WIM, dropping unreferenced data (optionally recompressing).
    Optimize(OptimizeArgs),
    /// Split a WIM into parts.
    Split(SplitArgs),
    /// Join split parts into one WIM.
    Join(JoinArgs),
    /// Capture a directory as a new WIM file.
    Capture(capture::CaptureArgs),
    /// Capture a directory as a new image of an existing WIM file.
    Append(capture::CaptureArgs),
    /// Add, delete or rename files in an image (wimlib-imagex update command language).
    Update(update::UpdateArgs),
    /// Servicing operations (wimkit extension).
    Service(service::ServiceArgs),
    /// Compare two images: paths added, removed, changed, and the bytes a transfer needs.
    Diff(diff::DiffArgs),
}

/// `info WIMFILE [IMAGE]`.
#[derive(Debug, Args)]
pub struct InfoArgs {
    /// The WIM file.
    pub wimfile: String,
    /// 1-based index or name of an image.
    pub image: Option<String>,
    /// New name of IMAGE.
    pub new_name: Option<String>,
    /// New description of IMAGE.
    pub new_desc: Option<String>,
    /// Mark IMAGE bootable (`0` clears the boot index).
    #[arg(long)]
    pub boot: bool,
    /// Set (or with an empty value delete) an XML property of IMAGE (repeatable).
    #[arg(long = "image-property", value_name = "NAME=VALUE")]
    pub image_property: Vec<String>,
    /// Write an integrity table when modifying.
    #[arg(long = "include-integrity")]
    pub include_integrity: bool,
    /// Print the raw header fields.
    #[arg(long)]
    pub header: bool,
    /// Print the raw XML data (UTF-16LE) to stdout.
    #[arg(long)]
    pub xml: bool,
    /// Verify the integrity table while opening.
    #[arg(long)]
    pub check: bool,
    /// Ignore the integrity table.
    #[arg(long, alias = "no-check")]
    pub nocheck: bool,
    /// Print the blob table.
    #[arg(long, alias = "lookup-table")]
    pub blobs: bool,
    /// Print JSON instead of wimlib's text (wimkit extension).
    #[arg(long)]
    pub json: bool,
    /// Derive the Windows properties from the image's hives and kernel32.dll and flag
    /// every disagreement with the XML (wimkit extension).
    #[arg(long)]
    pub deep: bool,
}

/// `dir WIMFILE [IMAGE]`.
#[derive(Debug, Args)]
pub struct DirArgs {
    /// The WIM file.
    pub wimfile: String,
    /// 1-based index, name, or `all`.
    pub image: Option<String>,
    /// List from this path inside the image.
    #[arg(long, default_value = "/")]
    pub path: String,
    /// Show timestamps, attributes, streams and hashes.
    #[arg(long)]
    pub detailed: bool,
    /// Show only the entry at --path, not its descendants.
    #[arg(long)]
    pub one_file_only: bool,
    /// Additional split parts or delta bases (glob; repeatable).
    #[arg(long = "ref", value_name = "GLOB")]
    pub refs: Vec<String>,
    /// Print JSON instead of wimlib's text (wimkit extension).
    #[arg(long)]
    pub json: bool,
}

/// `verify WIMFILE`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The WIM file.
    pub wimfile: String,
    /// Additional split parts or delta bases (glob; repeatable).
    #[arg(long = "ref", value_name = "GLOB")]
    pub refs: Vec<String>,
    /// Skip the integrity table check.
    #[arg(long, alias = "no-check")]
    pub nocheck: bool,
    /// Print a JSON result instead of wimlib's text (wimkit extension).
    #[arg(long)]
    pub json: bool,
}

/// `apply WIMFILE [IMAGE] TARGET`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The WIM file.
    pub wimfile: String,
    /// IMAGE then TARGET, or only TARGET when the WIM has one image.
    #[arg(num_args = 1..=2, required = true)]
    pub rest: Vec<String>,
    /// Additional split parts or delta bases (glob; repeatable).
    #[arg(long = "ref", value_name = "GLOB")]
    pub refs: Vec<String>,
    /// Restore UNIX owner, group, mode and special files.
    #[arg(long)]
    pub unix_data: bool,
    /// Verify the integrity table first.
    #[arg(long)]
    pub check: bool,
}

/// `extract WIMFILE IMAGE PATH...`.
#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// The WIM file.
    pub wimfile: String,
    /// 1-based index or name.
    pub image: String,
    /// Paths (globs unless --no-globs) inside the image; `@LISTFILE` reads a list.
    pub paths: Vec<String>,
    /// Destination directory (default: current directory).
    #[arg(long, default_value = ".")]
    pub dest_dir: String,
    /// Write regular files' data to standard output.
    #[arg(long)]
    pub to_stdout: bool,
    /// Additional split parts or delta bases (glob; repeatable).
    #[arg(long = "ref", value_name = "GLOB")]
    pub refs: Vec<String>,
    /// Recreate the full path of each extracted item under --dest-dir.
    #[arg(long)]
    pub preserve_dir_structure: bool,
    /// Treat paths literally.
    #[arg(long, alias = "no-wildcards")]
    pub no_globs: bool,
    /// Ignore paths that match nothing.
    #[arg(long)]
    pub nullglob: bool,
    /// Verify the integrity table first.
    #[arg(long)]
    pub check: bool,
    /// Restore UNIX data.
    #[arg(long)]
    pub unix_data: bool,
}

/// What to do, after validation.
#[derive(Debug)]
pub struct Plan {
    /// Suppress progress.
    pub quiet: bool,
    /// The command and its arguments.
    pub command: Command,
}

/// Maps a command invoked as `wim<command>` (argv[0]) to its subcommand name.
pub fn command_from_argv0(argv0: &str) -> Option<&'static str> {
    let base = argv0.rsplit(['/', '\\']).next().unwrap_or(argv0);
    let base = base.strip_suffix(".exe").unwrap_or(base);
    match base {
        "wiminfo" => Some("info"),
        "wimdir" => Some("dir"),
        "wimverify" => Some("verify"),
        "wimapply" => Some("apply"),
        "wimextract" => Some("extract"),
        "wimexport" => Some("export"),
        "wimdelete" => Some("delete"),
        "wimoptimize" => Some("optimize"),
        "wimsplit" => Some("split"),
        "wimjoin" => Some("join"),
        "wimcapture" => Some("capture"),
        "wimappend" => Some("append"),
        _ => None,
    }
}

/// Parses the process arguments (with argv[0] dispatch) into a [`Plan`].
pub fn parse<I: IntoIterator<Item = OsString>>(args: I) -> Result<Plan, clap::Error> {
    let mut v: Vec<OsString> = args.into_iter().collect();
    if let Some(first) = v.first()
        && let Some(cmd) = command_from_argv0(&first.to_string_lossy())
    {
        v[0] = OsString::from("wimkit");
        v.insert(1, OsString::from(cmd));
    }
    let cli = Cli::try_parse_from(v)?;
    Ok(Plan {
        quiet: cli.quiet,
        command: cli.command,
    })
}

/// Expands `--ref` globs; a glob that matches nothing is kept as a literal path (so
/// opening it reports wimlib's "Can't open" error, as wimlib-imagex does).
pub fn expand_refs(globs: &[String]) -> Result<Vec<String>, CliError> {
    let mut out = Vec::new();
    for g in globs {
        let mut matched = Vec::new();
        if let Ok(paths) = glob::glob(g) {
            for p in paths.flatten() {
                matched.push(p.to_string_lossy().into_owned());
            }
        }
        if matched.is_empty() {
            out.push(g.clone());
        } else {
            matched.sort();
            out.extend(matched);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Plan {
        match parse(args.iter().map(OsString::from)) {
            Ok(p) => p,
            Err(e) => panic!("parse failed: {e}"),
        }
    }

    #[test]
    fn info_options_anywhere() {
        let plan = p(&["wimkit", "info", "--header", "a.wim", "2", "--blobs"]);
        match plan.command {
            Command::Info(a) => {
                assert!(a.header && a.blobs);
                assert_eq!(a.wimfile, "a.wim");
                assert_eq!(a.image.as_deref(), Some("2"));
            }
            other => panic!("wrong command {other:?}"),
        }
    }

    #[test]
    fn dir_path_equals_syntax_and_refs() {
        let plan = p(&[
            "wimkit",
            "dir",
            "a.swm",
            "1",
            "--path=/x",
            "--ref=b*.swm",
            "--ref",
            "c.swm",
        ]);
        match plan.command {
            Command::Dir(a) => {
                assert_eq!(a.path, "/x");
                assert_eq!(a.refs, vec!["b*.swm", "c.swm"]);
            }
            other => panic!("wrong command {other:?}"),
        }
    }

    #[test]
    fn argv0_dispatch() {
        let plan = p(&["/usr/bin/wiminfo", "a.wim"]);
        assert!(matches!(plan.command, Command::Info(_)));
        assert_eq!(command_from_argv0("wimkit"), None);
    }

    #[test]
    fn apply_image_optional() {
        let plan = p(&["wimkit", "apply", "a.wim", "out"]);
        match plan.command {
            Command::Apply(a) => assert_eq!(a.rest, vec!["out"]),
            other => panic!("wrong command {other:?}"),
        }
        assert!(parse(["wimkit", "apply", "a.wim"].map(OsString::from)).is_err());
    }

    #[test]
    fn quiet_is_global() {
        assert!(p(&["wimkit", "verify", "a.wim", "--quiet"]).quiet);
    }

    #[test]
    fn unmatched_ref_kept_literal() {
        let r = expand_refs(&["/nonexistent-dir-xyz/*.swm".to_string()]);
        assert_eq!(r, Ok(vec!["/nonexistent-dir-xyz/*.swm".to_string()]));
    }
}
