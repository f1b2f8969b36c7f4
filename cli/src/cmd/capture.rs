//! `capture SOURCE WIMFILE [NAME [DESC]]` and `append SOURCE WIMFILE [NAME [DESC]]`.
//!
//! stdout (unless `--quiet`): `Scanning "SRC"`, the codec line, wimlib's
//! `\rArchiving file data: …` progress lines (an indicatif bar on a terminal), and
//! `Setting the X property of image N to "V".` lines. Warnings go to stderr.
//!
//! Hidden test hooks: `WIMKIT_TEST_GUID` (32 hex digits) and `WIMKIT_TEST_TIME`
//! (FILETIME, decimal) fix the GUID and the XML times so two runs compare byte for byte.

use super::{ProgressMode, new_bar, out, warn};
use crate::args::capture::CaptureArgs;
use crate::cmd::apply::wim_error;
use crate::error::{CliError, ErrorCode};
use crate::model::Warning;
use servicing::capture::{self, CaptureRequest, ImageSpec, WriteMode, scan::ScanOptions};
use servicing::error::{FsOp, UsageKind};
use servicing::progress::Event;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;
use wim_format::WimWriterBuilder;
use wim_format::header::Compression;
use wim_format::metadata::FileTime;

fn unit(total: u64) -> (u32, &'static str) {
    if total >= 10 << 30 {
        (30, "GiB")
    } else if total >= 10 << 20 {
        (20, "MiB")
    } else if total >= 10 << 10 {
        (10, "KiB")
    } else {
        (0, "bytes")
    }
}

fn test_hooks(mut b: WimWriterBuilder) -> WimWriterBuilder {
    if let Ok(g) = std::env::var("WIMKIT_TEST_GUID")
        && g.len() == 32
    {
        let mut guid = [0u8; 16];
        let ok = (0..16).all(|i| {
            u8::from_str_radix(g.get(2 * i..2 * i + 2).unwrap_or("zz"), 16)
                .map(|v| guid[i] = v)
                .is_ok()
        });
        if ok {
            b = b.guid(guid);
        }
    }
    if let Ok(t) = std::env::var("WIMKIT_TEST_TIME")
        && let Ok(v) = t.parse::<u64>()
    {
        b = b.timestamp(FileTime(v));
    }
    b
}

fn capture_error(e: &servicing::Error, a: &CaptureArgs) -> CliError {
    match e {
        servicing::Error::Wim(w) => wim_error(w, &a.wimfile),
        servicing::Error::Fs { op, path, source } => {
            let code = match op {
                FsOp::Stat => ErrorCode::Stat,
                FsOp::ReadDir => ErrorCode::Opendir,
                FsOp::ReadLink => ErrorCode::Readlink,
                FsOp::Read => ErrorCode::Read,
                FsOp::Open => ErrorCode::Open,
                _ => ErrorCode::Write,
            };
            let what = match op {
                FsOp::Stat => "Can't read metadata",
                FsOp::ReadDir => "Failed to read directory",
                FsOp::ReadLink => "Failed to read symbolic link",
                FsOp::Read => "Error reading data",
                _ => "Failed to write",
            };
            CliError::lib(code, format!("\"{}\": {what}: {source}", path.display()))
        }
        servicing::Error::Usage(UsageKind::ImageNameCollision, m) => {
            CliError::lib(ErrorCode::ImageNameCollision, m.clone())
        }
        other => CliError::lib(ErrorCode::InvalidParam, other.to_string()),
    }
}

/// Runs `capture` (`append` = false) or `append`.
pub fn run(a: &CaptureArgs, append: bool, progress: ProgressMode) -> Result<(), CliError> {
    let c = &a.codec;
    let refused = [
        (a.update_of.is_some(), "--update-of"),
        (c.wimboot, "--wimboot"),
        (a.snapshot, "--snapshot"),
        (c.unsafe_compact, "--unsafe-compact"),
    ];
    if let Some((_, name)) = refused.iter().find(|(on, _)| *on) {
        return Err(super::unsupported_option(name));
    }
    let integrity = c.integrity()?;
    let to_stdout = a.wimfile == "-";
    let progress = if to_stdout {
        ProgressMode::Off
    } else {
        progress
    };
    let exists = !to_stdout && std::path::Path::new(&a.wimfile).exists();
    // An existing pipable WIM stays pipable on append (rewritten), as in wimlib.
    let pipable = to_stdout
        || c.pipable
        || (append
            && exists
            && !c.not_pipable
            && wim_format::Wim::open(&a.wimfile).is_ok_and(|w| w.header().pipable));
    let mode = if !append || (!exists && a.create) {
        WriteMode::Create
    } else if !exists {
        return Err(CliError::lib(
            ErrorCode::Open,
            format!(
                "Can't open \"{}\" read-only: No such file or directory",
                a.wimfile
            ),
        ));
    } else if a.rebuild {
        WriteMode::AppendRebuild
    } else {
        WriteMode::Append
    };
    let mut b = WimWriterBuilder::new();
    let mut ctype = Compression::Lzx;
    if c.solid {
        ctype = Compression::Lzms;
        b = b.solid(true);
    }
    let compression = c.compression()?;
    if let Some(choice) = compression {
        ctype = choice.ctype;
        if let Some(l) = choice.level {
            b = b.level(l);
        }
    }
    b = b.compression(ctype);
    if let Some(cs) = c.chunk_size()? {
        b = b.chunk_size(cs);
    }
    if let Some(choice) = c.solid_compression()? {
        b = b.solid_compression(choice.ctype);
        if let Some(l) = choice.level
            && compression.is_none()
        {
            b = b.level(l);
        }
    }
    if let Some(cs) = c.solid_chunk_size()? {
        b = b.solid_chunk_size(cs);
    }
    let threads = c.threads;
    b = b.threads(threads);
    if let Some(on) = integrity {
        b = b.integrity(on);
    }
    b = test_hooks(b);
    let config = match &a.config {
        Some(p) => match capture::load_config(std::path::Path::new(p)) {
            Ok(c) => c,
            Err(m) => {
                return Err(CliError::lib(ErrorCode::InvalidCaptureConfig, m));
            }
        },
        None => capture::config::CaptureConfig::default_exclusions(),
    };
    for w in &config.warnings {
        warn(&Warning(w.clone()));
    }
    let mut properties = Vec::new();
    for p in &a.image_property {
        let Some((k, v)) = p.split_once('=') else {
            return Err(CliError::Usage(format!(
                "ERROR: '--image-property' argument must be in the form NAME=VALUE (given \"{p}\")"
            )));
        };
        properties.push((k.to_string(), v.to_string()));
    }
    let source_list = if a.source_list {
        let bytes = if a.source == "-" {
            let mut v = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut v).map(|_| v)
        } else {
            std::fs::read(&a.source)
        }
        .map_err(|e| {
            CliError::lib(
                ErrorCode::Open,
                format!("Can't open \"{}\" for reading: {e}", a.source),
            )
        })?;
        let text = capture::config::decode_text(&bytes);
        Some(capture::parse_source_list(&text).map_err(|m| {
            CliError::lib(
                ErrorCode::InvalidParam,
                format!("\"{}\": invalid source list: {m}", a.source),
            )
        })?)
    } else {
        None
    };
    let req = CaptureRequest {
        source: PathBuf::from(&a.source),
        wim: PathBuf::from(&a.wimfile),
        mode,
        builder: b,
        scan: ScanOptions {
            unix_data: a.unix_data,
            dereference: a.dereference,
            rpfix: !a.norpfix,
            config,
        },
        image: ImageSpec {
            name: a.name.clone(),
            description: a.description.clone(),
            flags: a.flags.clone(),
            properties: properties.clone(),
            boot: a.boot,
            source_list,
            delta_from: a.delta_from.iter().map(PathBuf::from).collect(),
        },
        solid_sort: c.solid && !c.no_solid_sort,
    };
    let quiet = progress == ProgressMode::Off;
    let stdout = std::io::stdout();
    if !quiet {
        let mut w = stdout.lock();
        out(&mut w, &format!("Scanning \"{}\"\n", a.source))?;
    }
    struct Ui {
        bar: Option<indicatif::ProgressBar>,
        started: bool,
        last_pct: u64,
    }
    let ui = Mutex::new(Ui {
        bar: None,
        started: false,
        last_pct: u64::MAX,
    });
    let nthreads = if threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        threads
    };
    let codec_line = if c.solid {
        "Using LZMS compression (solid)".to_string()
    } else {
        format!("Using {} compression", ctype.name())
    };
    let on_event = |ev: &Event| match ev {
        Event::Warning(m) => warn(&Warning(m.clone())),
        Event::Progress { done, total } => {
            if quiet {
                return;
            }
            let Ok(mut u) = ui.lock() else { return };
            let mut w = std::io::stdout().lock();
            if !u.started {
                u.started = true;
                let _ = writeln!(
                    w,
                    "{codec_line} with {nthreads} thread{}",
                    if nthreads == 1 { "" } else { "s" }
                );
            }
            if progress == ProgressMode::Bar {
                let b = u
                    .bar
                    .get_or_insert_with(|| new_bar("Archiving file data", *total));
                b.set_position(*done);
                if done >= total {
                    b.finish_and_clear();
                }
                return;
            }
            let pct = (*done)
                .saturating_mul(100)
                .checked_div(*total)
                .unwrap_or(100);
            if pct == u.last_pct && done < total {
                return;
            }
            u.last_pct = pct;
            let (sh, name) = unit(*total);
            let _ = write!(
                w,
                "\rArchiving file data: {} {name} of {} {name} ({pct}%) done",
                done >> sh,
                total >> sh
            );
            if done >= total {
                let _ = writeln!(w);
            }
            let _ = w.flush();
        }
    };
    let report = if pipable {
        capture::capture_pipable(&req, integrity, &on_event)
    } else {
        capture::capture_to_file(&req, &on_event)
    }
    .map_err(|e| capture_error(&e, a))?;
    if !quiet {
        let mut w = stdout.lock();
        if let Some(f) = &a.flags {
            out(
                &mut w,
                &format!(
                    "Setting the FLAGS property of image {} to \"{f}\".\n",
                    report.index
                ),
            )?;
        }
        for (k, v) in &properties {
            out(
                &mut w,
                &format!(
                    "Setting the {k} property of image {} to \"{v}\".\n",
                    report.index
                ),
            )?;
        }
        w.flush()?;
    }
    Ok(())
}
