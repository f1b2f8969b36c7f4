//! `verify WIMFILE [--ref=GLOB] [--nocheck] [--json]`.

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
    let result = backend::verify(&a.wimfile, &opts, !a.nocheck, &mut |ev| {
        match ev {
            VerifyEvent::NoIntegrity => {
                let msg = format!(
                    "\"{}\" does not contain integrity information.  Skipping integrity check.",
                    a.wimfile
                );
                warnings.push(msg.clone());
                warn(&Warning(msg));
            }
            VerifyEvent::Warning(wn) => {
                warnings.push(wn.0.clone());
                warn(&wn);
            }
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
                } else if progress == ProgressMode::Bar {
                    let b = bar.get_or_insert_with(|| new_bar("Verifying integrity", total));
                    b.set_position(done);
                    if done >= total {
                        b.finish_and_clear();
                        bar = None;
                    }
                }
            }
            VerifyEvent::Metadata { index, count } => {
                if !a.json {
                    out(&mut w, &fmt::metadata_line(index, count))?;
                }
            }
            VerifyEvent::SplitHint => {
                if !a.json {
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
                } else if progress == ProgressMode::Bar {
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
    let _ = in_progress_line;
    match result {
        Ok(()) => {
            if a.json {
                out(
                    &mut w,
                    &super::info::to_json(&serde_json::json!({
                        "path": a.wimfile, "ok": true, "warnings": warnings
                    }))?,
                )?;
            } else {
                out(&mut w, &fmt::success(&a.wimfile))?;
            }
            w.flush()?;
            Ok(())
        }
        Err(CliError::Lib {
            code,
            detail,
            mut command_lines,
        }) => {
            if a.json {
                let _ = out(
                    &mut w,
                    &super::info::to_json(&serde_json::json!({
                        "path": a.wimfile, "ok": false, "error_code": code.code(),
                        "error": detail, "warnings": warnings
                    }))?,
                );
            }
            command_lines.push(String::new());
            command_lines.push(fmt::failure_line(&a.wimfile));
            Err(CliError::Lib {
                code,
                detail,
                command_lines,
            })
        }
        Err(e) => Err(e),
    }
}
