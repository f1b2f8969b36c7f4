//! `extract WIMFILE IMAGE PATH... [--dest-dir=DIR] [--to-stdout] [--ref=GLOB]
//! [--preserve-dir-structure] [--no-globs] [--nullglob]`.
//!
//! Calls `servicing::extract` directly. `@LISTFILE` arguments read one path per line
//! (`#`/`;` comments and blank lines skipped; `@-` reads standard input); listed paths
//! are literal (no globs), as in wimlib. No path extracts the whole image.

use super::ProgressMode;
use super::apply::{Reporter, open_wim, servicing_error};
use crate::args::{ExtractArgs, ImageArg, expand_refs};
use crate::error::{CliError, ErrorCode};
use servicing::extract::{ExtractOptions, extract_paths, extract_to_writer};
use std::io::{Read, Write};
use std::path::Path;
use wim_format::ImageIndex;

/// Reads a list file (UTF-8, or UTF-16LE with BOM).
fn read_list(spec: &str) -> Result<Vec<String>, CliError> {
    let mut bytes = Vec::new();
    let r = if spec == "-" {
        std::io::stdin().read_to_end(&mut bytes).map(|_| ())
    } else {
        std::fs::File::open(spec).and_then(|mut f| f.read_to_end(&mut bytes).map(|_| ()))
    };
    r.map_err(|e| CliError::lib(ErrorCode::Open, format!("Can't open \"{spec}\": {e}")))?;
    let text = if bytes.starts_with(&[0xFF, 0xFE]) {
        let units: Vec<u16> = bytes[2..]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        String::from_utf8_lossy(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes)).into_owned()
    };
    Ok(text
        .lines()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with(';'))
        .map(|l| l.trim_matches('"').to_string())
        .collect())
}

/// Runs `extract`.
pub fn run(a: &ExtractArgs, progress: ProgressMode) -> Result<(), CliError> {
    let refs = expand_refs(&a.refs)?;
    let (wim, images) = open_wim(&a.wimfile, &refs, a.check)?;
    let indices = ImageArg::parse(&a.image).resolve(&a.image, &a.wimfile, &images)?;
    let [index] = indices.as_slice() else {
        return Err(CliError::Usage(
            "ERROR: extract needs a single image, not \"all\"".into(),
        ));
    };
    let Some(ix) = ImageIndex::new(*index) else {
        return Err(CliError::bare(ErrorCode::InvalidImage));
    };
    // Plain paths are globs unless --no-globs; listed paths are literal.
    let mut globbed = Vec::new();
    let mut literal = Vec::new();
    for p in &a.paths {
        match p.strip_prefix('@') {
            Some(list) => literal.extend(read_list(list)?),
            None => globbed.push(p.clone()),
        }
    }
    if a.paths.is_empty() {
        literal.push("/".to_string());
    }
    let base = ExtractOptions {
        unix_data: a.unix_data,
        preserve_dir_structure: a.preserve_dir_structure,
        globs: !a.no_globs,
        nullglob: a.nullglob,
    };
    let rep = Reporter::new(if a.to_stdout {
        ProgressMode::Off
    } else {
        progress
    });
    let sets = [
        (globbed, base),
        (
            literal,
            ExtractOptions {
                globs: false,
                ..base
            },
        ),
    ];
    for (paths, opts) in &sets {
        if paths.is_empty() {
            continue;
        }
        let r = if a.to_stdout {
            let stdout = std::io::stdout();
            let mut w = stdout.lock();
            let r = extract_to_writer(&wim, ix, paths, opts, &mut w, &|ev| rep.event(ev));
            w.flush()?;
            r.map(|_| ())
        } else {
            extract_paths(&wim, ix, paths, Path::new(&a.dest_dir), opts, &|ev| {
                rep.event(ev)
            })
            .map(|_| ())
        };
        rep.end_line();
        if let Err(e) = r {
            if let servicing::Error::Fs { source, .. } = &e
                && source.kind() == std::io::ErrorKind::BrokenPipe
            {
                return Err(CliError::BrokenPipe);
            }
            return Err(servicing_error(&e, &a.wimfile));
        }
    }
    if !a.to_stdout {
        let mut o = std::io::stdout().lock();
        writeln!(o, "Done extracting files.")?;
        o.flush()?;
    }
    Ok(())
}
