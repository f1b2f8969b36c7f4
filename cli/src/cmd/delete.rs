//! `delete WIMFILE IMAGE|all [--check] [--soft]`.

use super::ProgressMode;
use super::export::{op_error, open, select};
use crate::args::DeleteArgs;
use crate::error::CliError;
use servicing::delete::{DeleteOptions, delete_images};
use std::path::Path;

/// Runs `delete`.
pub fn run(a: &DeleteArgs, _progress: ProgressMode) -> Result<(), CliError> {
    if a.unsafe_compact {
        return Err(super::unsupported_option("--unsafe-compact"));
    }
    let wim = open(&a.wimfile, &[])?;
    let images = select(&wim, &a.image, &a.wimfile)?;
    drop(wim);
    let opts = DeleteOptions {
        soft: a.soft,
        integrity: a.check,
        threads: 0,
    };
    delete_images(Path::new(&a.wimfile), &images, &opts).map_err(|e| op_error(&e, &a.wimfile))
}
