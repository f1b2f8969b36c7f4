//! `dir WIMFILE [IMAGE] [--path=PATH] [--detailed] [--one-file-only] [--ref=GLOB]`.

use super::{out, warn};
use crate::args::{DirArgs, ImageArg, expand_refs};
use crate::error::CliError;
use crate::format;
use crate::model::DirEntryView;
use crate::model::backend::{self, OpenOptions};
use std::io::Write;

/// The usage text wimlib-imagex prints for `dir`.
pub const USAGE: &str = "Usage:\n    wimlib-imagex dir WIMFILE [IMAGE] [--path=PATH] [--detailed]\n\nSome uncommon options are not listed; see `man wimdir' for more details.\n";

/// Runs `dir`.
pub fn run(a: &DirArgs) -> Result<(), CliError> {
    let opts = OpenOptions {
        check_integrity: false,
        refs: expand_refs(&a.refs)?,
    };
    let wim = backend::open_info(&a.wimfile, &opts)?;
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
    let mut json: Vec<DirEntryView> = Vec::new();
    for index in indices {
        backend::walk(
            &a.wimfile,
            &opts,
            index,
            &a.path,
            !a.one_file_only,
            &mut |e| {
                if a.json {
                    json.push(e.clone());
                    Ok(())
                } else if a.detailed {
                    out(&mut w, &format::dir::detailed(e))
                } else {
                    out(&mut w, &format::dir::plain(e))
                }
            },
            &mut |wn| warn(&wn),
        )?;
    }
    if a.json {
        out(&mut w, &super::info::to_json(&json)?)?;
    }
    w.flush()?;
    Ok(())
}
