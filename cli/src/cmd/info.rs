//! `info WIMFILE [IMAGE] [--header] [--xml] [--check] [--blobs] [--json]`.

use super::{ProgressMode, out};
use crate::args::{ImageArg, InfoArgs};
use crate::error::CliError;
use crate::format;
use crate::model::backend::{self, OpenOptions};
use serde::Serialize;
use std::io::Write;

/// Runs `info`.
pub fn run(a: &InfoArgs, progress: ProgressMode) -> Result<(), CliError> {
    if super::info_edit::wants_edit(a) {
        return super::info_edit::run(a, progress);
    }
    let opts = OpenOptions {
        check_integrity: false,
        refs: Vec::new(),
    };
    let opened = backend::open(&a.wimfile, &opts)?;
    if a.check && !a.nocheck {
        opened.check_integrity(&mut |abs_path, done, total| {
            if progress == ProgressMode::Off || a.json {
                return Ok(());
            }
            let mut o = std::io::stdout().lock();
            out(
                &mut o,
                &format::verify::integrity_progress(abs_path, done, total),
            )?;
            if done >= total {
                out(&mut o, "\n")?;
            }
            o.flush()?;
            Ok(())
        })?;
    }
    let wim = opened.info()?;
    let selected = match &a.image {
        // `info F all` prints the same as `info F`.
        Some(text) if ImageArg::parse(text) == ImageArg::All => None,
        Some(text) => Some(ImageArg::parse(text).resolve(text, &a.wimfile, &wim.images)?),
        None => None,
    };
    if a.deep {
        return super::info_deep::run(&opened, &wim, selected.as_deref());
    }
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    let special = a.header || a.xml || a.blobs;
    let rows = if a.blobs {
        format::blobs::wimlib_order(&opened.blobs())
    } else {
        Vec::new()
    };
    let split_note = a.blobs && wim.summary.total_parts > 1;
    if a.json {
        let mut j = serde_json::Map::new();
        let mut put = |k: &str, v: serde_json::Value| {
            j.insert(k.to_string(), v);
        };
        if a.header {
            put("header", to_value(&wim.header)?);
        }
        if a.xml {
            put("xml", serde_json::Value::String(utf16_text(&wim.xml)));
        }
        if a.blobs {
            put("blobs", to_value(&rows)?);
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
            if selected.is_none() {
                put("wim", to_value(&wim.summary)?);
            }
            put("images", to_value(&images)?);
        }
        out(&mut w, &to_json(&j)?)?;
        w.flush()?;
        return Ok(());
    }
    if a.header {
        out(&mut w, &format::header::header(&wim.header))?;
    }
    if a.xml {
        w.write_all(&wim.xml)?;
    }
    if a.blobs {
        out(&mut w, &format::blobs::blobs(&rows))?;
    }
    if !special {
        let updates = applied_updates_lines(&wim.xml);
        match &selected {
            Some(ix) => {
                for img in wim.images.iter().filter(|i| ix.contains(&i.index)) {
                    let t = format::info::info_one(img);
                    out(&mut w, &with_updates(t, updates.get(&img.index)))?;
                }
            }
            None if updates.is_empty() => {
                out(&mut w, &format::info::info_all(&wim.summary, &wim.images))?
            }
            None => {
                let mut o = format::info::wim_block(&wim.summary);
                o.push_str("Available Images:\n-----------------\n");
                for img in &wim.images {
                    let t = format::info::image_fields(img);
                    o.push_str(&with_updates(t, updates.get(&img.index)));
                }
                out(&mut w, &o)?;
            }
        }
    }
    w.flush()?;
    if split_note {
        eprint!(
            "{}",
            format::blobs::split_note(wim.summary.part_number, wim.summary.total_parts)
        );
    }
    Ok(())
}

/// The XML resource as text (UTF-16LE, BOM dropped; invalid units replaced).
fn utf16_text(b: &[u8]) -> String {
    let units: Vec<u16> = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let s = String::from_utf16_lossy(&units);
    s.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(s)
}

fn to_value<T: Serialize>(v: &T) -> Result<serde_json::Value, CliError> {
    serde_json::to_value(v).map_err(json_err)
}

fn json_err(e: serde_json::Error) -> CliError {
    CliError::lib(
        crate::error::ErrorCode::Write,
        format!("cannot encode JSON: {e}"),
    )
}

/// Pretty JSON plus newline.
pub fn to_json<T: Serialize>(v: &T) -> Result<String, CliError> {
    let mut s = serde_json::to_string_pretty(v).map_err(json_err)?;
    s.push('\n');
    Ok(s)
}

/// "Applied Updates:" values per image index, from wimkit's `WIMKIT/UPDATES` records
/// (only images that have some).
fn applied_updates_lines(xml: &[u8]) -> std::collections::HashMap<u32, String> {
    let mut m = std::collections::HashMap::new();
    let Ok(info) = wim_format::xml::WimInfo::parse(xml, &wim_format::Limits::default()) else {
        return m;
    };
    for (k, img) in info.images().enumerate() {
        let v = servicing::update::packages::applied_updates(img.element());
        if !v.is_empty() {
            let s: Vec<String> = v.iter().map(|u| format!("{} ({})", u.id, u.date)).collect();
            m.insert(k as u32 + 1, s.join(", "));
        }
    }
    m
}

/// Inserts the "Applied Updates:" line before "WIMBoot compatible:".
fn with_updates(text: String, line: Option<&String>) -> String {
    let Some(l) = line else { return text };
    match text.find("WIMBoot compatible:") {
        Some(at) => format!(
            "{}{:<24}{l}\n{}",
            &text[..at],
            "Applied Updates:",
            &text[at..]
        ),
        None => text,
    }
}
