//! `update WIMFILE [IMAGE]`: wimlib-imagex's update command language, all or nothing.

use super::ProgressMode;
use super::export::{open, select};
use crate::args::update::UpdateArgs;
use crate::error::{CliError, ErrorCode};
use servicing::error::UsageKind;
use servicing::progress::Event;
use servicing::update::command::{AddOptions, Defaults, decode_script, parse_script};
use servicing::update::{UpdateOptions, update_image};
use std::io::Read;
use std::path::Path;

/// Maps an update failure to wimlib's exit code and message.
pub fn update_error(e: &servicing::Error, wimfile: &str) -> CliError {
    let code = match e {
        servicing::Error::Usage(UsageKind::IsDirectory, _) => Some(ErrorCode::IsDirectory),
        servicing::Error::Usage(UsageKind::NotDirectory, _) => Some(ErrorCode::NotDir),
        servicing::Error::Usage(UsageKind::NotEmpty, _) => Some(ErrorCode::NotEmpty),
        servicing::Error::Usage(UsageKind::OverlayConflict, _) => Some(ErrorCode::InvalidOverlay),
        servicing::Error::Usage(UsageKind::PathDoesNotExist, _) => {
            Some(ErrorCode::PathDoesNotExist)
        }
        servicing::Error::Fs {
            op: servicing::error::FsOp::Stat,
            ..
        } => Some(ErrorCode::Stat),
        servicing::Error::Fs {
            op: servicing::error::FsOp::Read,
            ..
        } => Some(ErrorCode::Read),
        _ => None,
    };
    match code {
        Some(c) => CliError::lib(c, e.to_string()),
        None => super::export::op_error(e, wimfile),
    }
}

/// Picks the image: given, or the only one.
pub fn pick_image(wimfile: &str, image: Option<&str>) -> Result<wim_format::ImageIndex, CliError> {
    let wim = open(wimfile, &[])?;
    let count = wim.image_count();
    let text = match image {
        Some(t) => t.to_string(),
        None if count == 1 => "1".into(),
        None => {
            return Err(CliError::Usage(format!(
                "\"{wimfile}\" contains {count} images; Please select one."
            )));
        }
    };
    let v = select(&wim, &text, wimfile)?;
    match v.as_slice() {
        [one] => Ok(*one),
        _ => Err(CliError::Usage(
            "Please select a single image to update.".into(),
        )),
    }
}

/// Runs `update`.
pub fn run(a: &UpdateArgs, _progress: ProgressMode) -> Result<(), CliError> {
    let image = pick_image(&a.wimfile, a.image.as_deref())?;
    let defaults = Defaults {
        add: AddOptions {
            dereference: a.dereference,
            unix_data: a.unix_data,
            no_acls: a.no_acls,
            strict_acls: a.strict_acls,
            no_replace: a.no_replace,
            verbose: a.verbose,
        },
        force: a.force,
        recursive: a.recursive,
    };
    let text = match &a.command {
        Some(c) => c.clone(),
        None => {
            let mut b = Vec::new();
            std::io::stdin()
                .read_to_end(&mut b)
                .map_err(|e| CliError::lib(ErrorCode::Read, format!("standard input: {e}")))?;
            decode_script(&b)
        }
    };
    let commands = parse_script(&text, &defaults)
        .map_err(|e| CliError::lib(ErrorCode::InvalidParam, format!("update command {e}")))?;
    if a.command.is_some() && commands.len() > 1 {
        return Err(CliError::Usage(
            "--command may give only one update command".into(),
        ));
    }
    let mut scan = servicing::capture::scan::ScanOptions::default();
    if let Some(c) = &a.config {
        scan.config = servicing::capture::load_config(Path::new(c))
            .map_err(|m| CliError::lib(ErrorCode::InvalidCaptureConfig, m))?;
    }
    let opts = UpdateOptions {
        rebuild: a.rebuild,
        integrity: (a.check || a.include_integrity).then_some(true),
        threads: a.threads,
        scan,
        keep_metadata_on_replace: false,
        no_properties: false,
    };
    if a.check {
        let _ = wim_format::Wim::options()
            .verify_integrity(true)
            .open(&a.wimfile)
            .map_err(|e| crate::model::backend::lib_error(&a.wimfile, &e))?;
    }
    let events = |e: &Event| {
        if let Event::Warning(m) = e {
            eprintln!("[WARNING] {m}");
        }
    };
    update_image(Path::new(&a.wimfile), image, &commands, &opts, &events)
        .map_err(|e| update_error(&e, &a.wimfile))?;
    Ok(())
}
