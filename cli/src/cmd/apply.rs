//! `apply WIMFILE [IMAGE|all] TARGET [--ref=GLOB] [--unix-data] [--check]`.
//!
//! Calls `servicing::apply` directly. Output as wimlib-imagex 1.13 on Linux: on stdout
//! `Applying image N ("NAME") from "ABS_WIM" to directory "DIR"`, the `\r` progress
//! lines, `Done applying WIM image.`; warnings on stderr as `\r[WARNING] …`. With `all`
//! each image goes to `TARGET/NAME` (`TARGET/N` when the name is empty or not a plain
//! file name).

use super::{ProgressMode, new_bar, warn};
use crate::args::{ApplyArgs, ImageArg, expand_refs};
use crate::error::{CliError, ErrorCode};
use crate::model::{ImageSummary, Warning};
use servicing::apply::{ApplyOptions, apply_image};
use servicing::error::{FsOp, UsageKind};
use servicing::progress::Event;
use std::ffi::OsStr;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;
use wim_format::error::{FormatErrorKind, UsageError};
use wim_format::{ImageIndex, Wim};

/// Maps a reader error to wimlib's exit code and message.
pub fn wim_error(e: &wim_format::Error, wimfile: &str) -> CliError {
    use FormatErrorKind as K;
    let code = match e {
        wim_format::Error::Io { .. } => ErrorCode::Read,
        wim_format::Error::Format(f) => match f.kind() {
            K::NotAWim => ErrorCode::NotAWimFile,
            K::BadHeader => ErrorCode::InvalidHeader,
            K::BadVersion => ErrorCode::UnknownVersion,
            K::BadChunkSize => ErrorCode::InvalidChunkSize,
            K::BadResourceHeader | K::BadBlobTable => ErrorCode::InvalidLookupTableEntry,
            K::BadResource | K::Decompression => ErrorCode::Decompression,
            K::BadMetadata | K::CyclicTree | K::BadName | K::DuplicateName => {
                ErrorCode::InvalidMetadataResource
            }
            K::HashMismatch => ErrorCode::InvalidResourceHash,
            K::BadIntegrityTable => ErrorCode::Integrity,
            K::BadXml => ErrorCode::Xml,
            K::BadUtf16 => ErrorCode::InvalidUtf16String,
            K::SplitMismatch => ErrorCode::SplitInvalid,
            K::MissingBlob => ErrorCode::ResourceNotFound,
            K::Truncated => ErrorCode::UnexpectedEndOfFile,
            K::ImageCountMismatch => ErrorCode::ImageCount,
            _ => ErrorCode::InvalidMetadataResource,
        },
        wim_format::Error::LimitExceeded { .. } => ErrorCode::Nomem,
        wim_format::Error::Usage(UsageError::NoSuchImage(_)) => ErrorCode::InvalidImage,
        wim_format::Error::Usage(UsageError::NoSuchPath(_)) => ErrorCode::PathDoesNotExist,
        _ => ErrorCode::Unsupported,
    };
    CliError::lib(code, format!("\"{wimfile}\": {e}"))
}

/// Maps a servicing error to wimlib's exit code and message.
pub fn servicing_error(e: &servicing::Error, wimfile: &str) -> CliError {
    match e {
        servicing::Error::Wim(w) => wim_error(w, wimfile),
        servicing::Error::Fs { op, .. } => {
            let code = match op {
                FsOp::Mkdir => ErrorCode::Mkdir,
                FsOp::Open => ErrorCode::Open,
                _ => ErrorCode::Write,
            };
            CliError::lib(code, e.to_string())
        }
        servicing::Error::Usage(UsageKind::PathDoesNotExist, m) => CliError::Lib {
            code: ErrorCode::PathDoesNotExist,
            detail: vec![m.clone()],
            command_lines: vec![
                "Note: You can use the '--nullglob' option to ignore missing files.".into(),
                "Note: You can use `wimlib-imagex dir' to see what files and directories".into(),
                "      are in the WIM image.".into(),
            ],
        },
        servicing::Error::Usage(UsageKind::NotARegularFile, m) => {
            CliError::lib(ErrorCode::NotARegularFile, m.clone())
        }
        other => CliError::lib(ErrorCode::InvalidParam, other.to_string()),
    }
}

/// Opens the WIM (with references and optional integrity check) and lists its images.
pub fn open_wim(
    wimfile: &str,
    refs: &[String],
    check: bool,
) -> Result<(Wim, Vec<ImageSummary>), CliError> {
    let opts = wim_format::wim::OpenOptions::new()
        .verify_integrity(check)
        .references(refs.iter().map(std::path::PathBuf::from));
    let wim = match opts.open(wimfile) {
        Ok(w) => w,
        Err(wim_format::Error::Io { source, .. }) => {
            return Err(CliError::lib(
                ErrorCode::Open,
                format!("Can't open \"{wimfile}\" read-only: {source}"),
            ));
        }
        Err(e) => return Err(wim_error(&e, wimfile)),
    };
    let xml = wim.xml_bytes().map_err(|e| wim_error(&e, wimfile))?;
    let info = if xml.is_empty() {
        None
    } else {
        Some(
            wim_format::xml::WimInfo::parse(&xml, wim.limits())
                .map_err(|e| wim_error(&e, wimfile))?,
        )
    };
    let images = (1..=wim.image_count())
        .map(|i| ImageSummary {
            index: i,
            name: info
                .as_ref()
                .and_then(|x| ImageIndex::new(i).and_then(|ix| x.image(ix)))
                .and_then(|im| im.name())
                .unwrap_or_default(),
            ..Default::default()
        })
        .collect();
    Ok((wim, images))
}

/// `apply -`: the pipable WIM on standard input is spooled to an unlinked temporary
/// file (disk, not memory, in proportion to its size) and opened from there; a WIM that
/// is not pipable is refused as wimlib does (error 44).
pub fn open_stdin(refs: &[String], check: bool) -> Result<(Wim, Vec<ImageSummary>), CliError> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let path =
        std::env::temp_dir().join(format!(".wimkit-stdin-{}-{nanos}.wim", std::process::id()));
    let spool = (|| {
        let mut f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)?;
        std::io::copy(&mut std::io::stdin().lock(), &mut f)?;
        f.flush()
    })();
    let opened = spool
        .map_err(|e| {
            CliError::lib(
                ErrorCode::Read,
                format!("Error reading standard input: {e}"),
            )
        })
        .and_then(|()| open_wim(&path.display().to_string(), refs, check));
    let _ = std::fs::remove_file(&path);
    let (wim, images) = opened?;
    if !wim.header().pipable {
        return Err(CliError::lib(
            ErrorCode::NotPipable,
            "The WIM being read from file descriptor 0 is not pipable!",
        ));
    }
    Ok((wim, images))
}

/// The progress and warning printer shared by apply and extract.
pub struct Reporter {
    progress: ProgressMode,
    state: Mutex<(Option<indicatif::ProgressBar>, bool)>,
    message: &'static str,
}

impl std::fmt::Debug for Reporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reporter").finish_non_exhaustive()
    }
}

impl Reporter {
    /// A reporter for "Extracting file data" progress.
    pub fn new(progress: ProgressMode) -> Self {
        Reporter {
            progress,
            state: Mutex::new((None, false)),
            message: "Extracting file data",
        }
    }

    /// Handles one event.
    pub fn event(&self, ev: &Event) {
        match ev {
            Event::Warning(w) => {
                self.end_line();
                warn(&Warning(w.clone()));
            }
            Event::Progress { done, total } => {
                let Ok(mut g) = self.state.lock() else { return };
                match self.progress {
                    ProgressMode::Off => {}
                    ProgressMode::Bar => {
                        let b = g.0.get_or_insert_with(|| new_bar("Extracting", *total));
                        b.set_position(*done);
                    }
                    ProgressMode::Text => {
                        let (unit, shift) = crate::format::verify::unit_for(*total);
                        let pct = done.saturating_mul(100).checked_div(*total).unwrap_or(100);
                        let mut o = std::io::stdout().lock();
                        let _ = write!(
                            o,
                            "\r{}: {} {unit} of {} {unit} ({pct}%) done",
                            self.message,
                            done >> shift,
                            total >> shift
                        );
                        g.1 = done < total;
                        if done >= total {
                            let _ = writeln!(o);
                        }
                        let _ = o.flush();
                    }
                }
            }
        }
    }

    /// Ends an unfinished progress line / clears the bar.
    pub fn end_line(&self) {
        if let Ok(mut g) = self.state.lock() {
            if let Some(b) = g.0.take() {
                b.finish_and_clear();
            }
            if g.1 {
                let _ = writeln!(std::io::stdout().lock());
                g.1 = false;
            }
        }
    }
}

/// The subdirectory wimlib uses for image `index` named `name` with `all`.
pub fn image_dir_name(index: u32, name: &str) -> String {
    if servicing::safe_path::is_safe_component(OsStr::new(name)) {
        name.to_string()
    } else {
        index.to_string()
    }
}

/// Runs `apply`.
pub fn run(a: &ApplyArgs, progress: ProgressMode) -> Result<(), CliError> {
    let refs = expand_refs(&a.refs)?;
    let (image_text, target) = match a.rest.as_slice() {
        [target] => (None, target),
        [image, target] => (Some(image), target),
        _ => return Err(CliError::Usage("ERROR: wrong number of arguments".into())),
    };
    let (wim, images) = if a.wimfile == "-" {
        open_stdin(&refs, a.check)?
    } else {
        open_wim(&a.wimfile, &refs, a.check)?
    };
    let all = image_text.is_some_and(|t| ImageArg::parse(t) == ImageArg::All);
    let indices = match image_text {
        Some(t) => ImageArg::parse(t).resolve(t, &a.wimfile, &images)?,
        None if images.len() == 1 => vec![images[0].index],
        None => {
            return Err(CliError::Usage(format!(
                "ERROR: \"{}\" contains {} images; Please select one (or all).",
                a.wimfile,
                images.len()
            )));
        }
    };
    let abs_wim = if a.wimfile == "-" {
        "(null)".to_string() // wimlib prints this for a WIM read from a pipe
    } else {
        std::fs::canonicalize(&a.wimfile)
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| a.wimfile.clone())
    };
    let opts = ApplyOptions {
        unix_data: a.unix_data,
        rpfix: true,
    };
    let rep = Reporter::new(progress);
    for idx in indices {
        let name = images
            .iter()
            .find(|i| i.index == idx)
            .map(|i| i.name.clone())
            .unwrap_or_default();
        let dir = if all {
            format!(
                "{}/{}",
                target.trim_end_matches('/'),
                image_dir_name(idx, &name)
            )
        } else {
            target.clone()
        };
        {
            let mut o = std::io::stdout().lock();
            writeln!(
                o,
                "Applying image {idx} (\"{name}\") from \"{abs_wim}\" to directory \"{dir}\""
            )?;
            o.flush()?;
        }
        let Some(ix) = ImageIndex::new(idx) else {
            continue;
        };
        let r = apply_image(&wim, ix, Path::new(&dir), &opts, &|ev| rep.event(ev));
        rep.end_line();
        if let Err(e) = r {
            return Err(servicing_error(&e, &a.wimfile));
        }
        let mut o = std::io::stdout().lock();
        writeln!(o, "Done applying WIM image.")?;
        o.flush()?;
    }
    Ok(())
}
