//! `info WIMFILE [IMAGE] [--header] [--xml] [--check] [--blobs] [--json]`.

use super::out;
use crate::args::{ImageArg, InfoArgs};
use crate::error::CliError;
use crate::format;
use crate::model::backend::{self, OpenOptions};
use serde::Serialize;
use std::io::Write;

#[derive(Serialize)]
struct JsonInfo<'a> {
    wim: &'a crate::model::WimSummary,
    images: Vec<&'a crate::model::ImageSummary>,
}

/// Runs `info`.
pub fn run(a: &InfoArgs) -> Result<(), CliError> {
    let opts = OpenOptions {
        check_integrity: a.check && !a.nocheck,
        refs: Vec::new(),
    };
    let wim = backend::open_info(&a.wimfile, &opts)?;
    let selected = match &a.image {
        Some(text) => Some(ImageArg::parse(text).resolve(text, &a.wimfile, &wim.images)?),
        None => None,
    };
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    let special = a.header || a.xml || a.blobs;
    if a.header {
        out(&mut w, &format::header::header(&wim.header))?;
    }
    if a.xml {
        w.write_all(&wim.xml)?;
    }
    if a.blobs {
        let rows = format::blobs::wimlib_order(&backend::blobs(&a.wimfile)?);
        if a.json {
            out(&mut w, &to_json(&rows)?)?;
        } else {
            out(&mut w, &format::blobs::blobs(&rows))?;
        }
        if wim.summary.total_parts > 1 {
            w.flush()?;
            eprint!(
                "{}",
                format::blobs::split_note(wim.summary.part_number, wim.summary.total_parts)
            );
        }
    }
    if !special {
        let images: Vec<_> = match &selected {
            Some(ix) => wim
                .images
                .iter()
                .filter(|i| ix.contains(&i.index))
                .collect(),
            None => wim.images.iter().collect(),
        };
        if a.json {
            let j = JsonInfo {
                wim: &wim.summary,
                images,
            };
            out(&mut w, &to_json(&j)?)?;
        } else if selected.is_some() {
            for img in images {
                out(&mut w, &format::info::info_one(img))?;
            }
        } else {
            out(&mut w, &format::info::info_all(&wim.summary, &wim.images))?;
        }
    }
    w.flush()?;
    Ok(())
}

/// Pretty JSON plus newline.
pub fn to_json<T: Serialize>(v: &T) -> Result<String, CliError> {
    let mut s = serde_json::to_string_pretty(v).map_err(|e| {
        CliError::lib(
            crate::error::ErrorCode::Write,
            format!("cannot encode JSON: {e}"),
        )
    })?;
    s.push('\n');
    Ok(s)
}
