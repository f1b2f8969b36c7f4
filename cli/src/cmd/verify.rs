//! `verify WIMFILE [--ref=GLOB] [--nocheck] [--json]`.
//!
//! stdout: wimlib's progress layout (`\r…done` lines, "Verifying metadata for image
//! …", the success line) unless `--quiet`; an indicatif bar on stderr instead of the
//! `\r` lines when stderr is a terminal. Warnings are printed on stderr after a
//! successful run; on failure stderr gets exactly one `ERROR: …` line.

use super::{ProgressMode, new_bar, out, warn};
use crate::args::{VerifyArgs, expand_refs};
use crate::error::CliError;
use crate::format::verify as fmt;
use crate::model::Warning;
use crate::model::backend::{self, OpenOptions, VerifyEvent};
use std::io::Write;

/// Runs `verify`.
pub fn run(a: &VerifyArgs, progress: ProgressMode) -> Result<(), CliError> {
    let opts = OpenOptions {
        check_integrity: false,
        refs: expand_refs(&a.refs)?,
    };
    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    let mut bar: Option<indicatif::ProgressBar> = None;
    let mut in_progress_line = false;
    let mut warnings: Vec<String> = Vec::new();
    let text = progress == ProgressMode::Text && !a.json;
    let lines = progress != ProgressMode::Off && !a.json;
    let result = backend::verify(&a.wimfile, &opts, !a.nocheck, &mut |ev| {
        match ev {
            VerifyEvent::NoIntegrity => warnings.push(format!(
                "\"{}\" does not contain integrity information.  Skipping integrity check.",
                a.wimfile
            )),
            VerifyEvent::Warning(wn) => warnings.push(wn.0),
            VerifyEvent::IntegrityProgress {
                abs_path,
                done,
                total,
            } => {
                if text {
                    out(&mut w, &fmt::integrity_progress(&abs_path, done, total))?;
                    if done >= total {
                        out(&mut w, "\n")?;
                    }
                } else if progress == ProgressMode::Bar && !a.json {
                    let b = bar.get_or_insert_with(|| new_bar("Verifying integrity", total));
                    b.set_position(done);
                    if done >= total {
                        b.finish_and_clear();
                        bar = None;
                    }
                }
            }
            VerifyEvent::Metadata { index, count } => {
                if lines {
                    out(&mut w, &fmt::metadata_line(index, count))?;
                }
            }
            VerifyEvent::SplitHint => {
                if lines {
                    out(&mut w, fmt::SPLIT_NOTE)?;
                }
            }
            VerifyEvent::DataProgress { done, total } => {
                if text {
                    out(&mut w, &fmt::data_progress(done, total))?;
                    in_progress_line = done < total;
                    if done >= total {
                        out(&mut w, "\n")?;
                    }
                } else if progress == ProgressMode::Bar && !a.json {
                    let b = bar.get_or_insert_with(|| new_bar("Verifying file data", total));
                    b.set_position(done);
                }
            }
        }
        w.flush()?;
        Ok(())
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if in_progress_line {
        let _ = out(&mut w, "\n");
    }
    match result {
        Ok(()) => {
            if a.json {
                out(
                    &mut w,
                    &super::info::to_json(&serde_json::json!({
                        "path": a.wimfile, "ok": true, "warnings": warnings
                    }))?,
                )?;
            } else if lines {
                out(&mut w, &fmt::success(&a.wimfile))?;
            }
            w.flush()?;
            if !a.json {
                for wn in warnings {
                    warn(&Warning(wn));
                }
            }
            Ok(())
        }
        Err(CliError::BrokenPipe) => Err(CliError::BrokenPipe),
        Err(e) => {
            let message = e.message();
            if a.json {
                let _ = out(
                    &mut w,
                    &super::info::to_json(&serde_json::json!({
                        "path": a.wimfile, "ok": false, "error_code": e.exit_code(),
                        "error": message, "warnings": warnings
                    }))?,
                );
            }
            let _ = w.flush();
            let CliError::Lib { code, .. } = e else {
                return Err(e);
            };
            let prefix = format!("\"{}\": ", a.wimfile);
            let what = message.strip_prefix(&prefix).unwrap_or(&message);
            Err(CliError::lib(
                code,
                format!("\"{}\" failed verification: {what}", a.wimfile),
            ))
        }
    }
}
