//! `service extract-index` and `service optimize` (wimkit extensions).
//!
//! extract-index output names: a `.wim` input is replaced in place and the original kept
//! as `NAME.bak` (or `NAME.bak.N`); an `.esd` input (or a media folder holding only
//! `sources/install.esd`) becomes `install.wim` beside it (LZX unless `--compress`), and
//! the `.esd` is kept as the backup, or removed with `--no-backup`.

use super::export::{op_error, write_options};
use super::{ProgressMode, out};
use crate::args::codec::parse_compression;
use crate::args::service_ops::{ExtractIndexArgs, ServiceOptimizeArgs};
use crate::error::CliError;
use servicing::export::WriteOptions;
use servicing::extract_index::{ExtractIndexOptions, extract_index as run_extract};
use std::path::Path;

/// Runs `service extract-index`.
pub fn extract_index(a: &ExtractIndexArgs, progress: ProgressMode) -> Result<(), CliError> {
    let mut write = WriteOptions {
        threads: a.threads,
        ..WriteOptions::default()
    };
    if let Some(c) = &a.compress {
        let choice = parse_compression(c)?;
        write.compression = Some(choice.ctype);
        write.level = choice.level.unwrap_or(0);
    }
    let opts = ExtractIndexOptions {
        write,
        backup: !a.no_backup,
    };
    let r = run_extract(Path::new(&a.path), a.index, &opts).map_err(|e| op_error(&e, &a.path))?;
    if progress != ProgressMode::Off {
        let mut o = std::io::stdout().lock();
        let mut s = format!(
            "Kept image {} of {} from \"{}\" ({} bytes) in \"{}\" ({} bytes), verified.\n",
            r.image,
            r.source_images,
            r.source.display(),
            r.old_size,
            r.output.display(),
            r.new_size
        );
        match (&r.backup, &r.removed) {
            (Some(b), _) => s += &format!("Original kept as \"{}\".\n", b.display()),
            (None, Some(x)) => s += &format!("Removed \"{}\".\n", x.display()),
            (None, None) => s += "No backup kept.\n",
        }
        out(&mut o, &s)?;
    }
    Ok(())
}

/// Runs `service optimize`.
pub fn optimize(a: &ServiceOptimizeArgs, progress: ProgressMode) -> Result<(), CliError> {
    let wo = write_options(&a.out)?;
    let r = servicing::optimize::optimize(Path::new(&a.wimfile), &wo)
        .map_err(|e| op_error(&e, &a.wimfile))?;
    if progress != ProgressMode::Off {
        let mut o = std::io::stdout().lock();
        let saved = i128::from(r.old_size) - i128::from(r.new_size);
        out(
            &mut o,
            &format!(
                "\"{}\": {} images, {} bytes before, {} bytes after, {} bytes saved\n",
                a.wimfile, r.image_count, r.old_size, r.new_size, saved
            ),
        )?;
    }
    Ok(())
}
