//! `optimize WIMFILE [--recompress] [--compress=TYPE[:LEVEL]] [--chunk-size=N] [--solid]
//! [--check|--nocheck] [--threads=N]`.

use super::export::{op_error, write_options};
use super::{ProgressMode, out};
use crate::args::OptimizeArgs;
use crate::error::CliError;
use std::path::Path;

fn kib(n: u64) -> u64 {
    n / 1024
}

/// Runs `optimize`.
pub fn run(a: &OptimizeArgs, progress: ProgressMode) -> Result<(), CliError> {
    if let Some(name) = a.out.unsupported() {
        return Err(super::unsupported_option(name));
    }
    let wo = write_options(&a.out)?;
    let r = servicing::optimize::optimize(Path::new(&a.wimfile), &wo)
        .map_err(|e| op_error(&e, &a.wimfile))?;
    if progress != ProgressMode::Off {
        let mut o = std::io::stdout().lock();
        out(
            &mut o,
            &format!(
                "\"{}\" original size: {} KiB\n\"{}\" optimized size: {} KiB\nSpace saved: {} KiB\n",
                a.wimfile,
                kib(r.old_size),
                a.wimfile,
                kib(r.new_size),
                kib(r.old_size.saturating_sub(r.new_size))
            ),
        )?;
    }
    Ok(())
}
