//! `dir WIMFILE [IMAGE] [--path=PATH] [--detailed] [--one-file-only] [--ref=GLOB]`.

use super::{out, warn};
use crate::args::{DirArgs, ImageArg, expand_refs};
use crate::error::CliError;
use crate::format;
use crate::model::backend::{self, OpenOptions};
use crate::model::{DirEntryView, Warning};
use serde::Serialize;
use std::io::Write;

/// The usage text wimlib-imagex prints for `dir`.
pub const USAGE: &str = "Usage:\n    wimlib-imagex dir WIMFILE [IMAGE] [--path=PATH] [--detailed]\n\nSome uncommon options are not listed; see `man wimdir' for more details.\n";

#[derive(Serialize)]
struct JsonImage {
    index: u32,
    entries: Vec<DirEntryView>,
}

#[derive(Serialize)]
struct JsonDir {
    path: String,
    images: Vec<JsonImage>,
    warnings: Vec<String>,
}

/// Runs `dir`.
pub fn run(a: &DirArgs) -> Result<(), CliError> {
    let opts = OpenOptions {
        check_integrity: false,
        refs: expand_refs(&a.refs)?,
    };
    let opened = backend::open(&a.wimfile, &opts)?;
    let wim = opened.info()?;
    let indices = match &a.image {
        Some(text) => ImageArg::parse(text).resolve(text, &a.wimfile, &wim.images)?,
        None if wim.images.len() == 1 => vec![wim.images[0].index],
        None => {
            return Err(CliError::Usage(format!(
                "ERROR: \"{}\" contains {} images; Please select one (or all).\n{USAGE}",
                a.wimfile,
                wim.images.len()
            )));
        }
    };
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    let mut json = JsonDir {
        path: a.wimfile.clone(),
        images: Vec::new(),
        warnings: Vec::new(),
    };
    for index in indices {
        let mut entries = Vec::new();
        let mut warnings: Vec<Warning> = Vec::new();
        let r = opened.walk(
            index,
            &a.path,
            !a.one_file_only,
            &mut |e| {
                if a.json {
                    entries.push(e.clone());
                    Ok(())
                } else if a.detailed {
                    out(&mut w, &format::dir::detailed(e))
                } else {
                    out(&mut w, &format::dir::plain(e))
                }
            },
            &mut |wn| {
                if a.json {
                    warnings.push(wn);
                } else {
                    warn(&wn);
                }
            },
        );
        if let Err(e) = r {
            w.flush()?;
            return Err(e);
        }
        json.warnings.extend(warnings.into_iter().map(|w| w.0));
        if a.json {
            json.images.push(JsonImage { index, entries });
        }
    }
    if a.json {
        out(&mut w, &super::info::to_json(&json)?)?;
    }
    w.flush()?;
    Ok(())
}
