//! `extract WIMFILE IMAGE PATH... [--dest-dir=DIR] [--to-stdout] [--ref=GLOB]
//! [--preserve-dir-structure] [--no-globs] [--nullglob]`.

use super::{ProgressMode, new_bar};
use crate::args::{ExtractArgs, ImageArg, expand_refs};
use crate::error::CliError;
use crate::model::backend::{self, ExtractRequest, OpenOptions};

/// Runs `extract`.
pub fn run(a: &ExtractArgs, progress: ProgressMode) -> Result<(), CliError> {
    let opts = OpenOptions {
        check_integrity: a.check,
        refs: expand_refs(&a.refs)?,
    };
    let wim = backend::open_info(&a.wimfile, &opts)?;
    let indices = ImageArg::parse(&a.image).resolve(&a.image, &a.wimfile, &wim.images)?;
    let [index] = indices.as_slice() else {
        return Err(CliError::Usage(
            "ERROR: extract needs a single image, not \"all\"".into(),
        ));
    };
    let req = ExtractRequest {
        index: *index,
        // wimlib-imagex extracts the whole image when no path is given.
        paths: if a.paths.is_empty() {
            vec!["/".to_string()]
        } else {
            a.paths.clone()
        },
        dest_dir: a.dest_dir.clone(),
        to_stdout: a.to_stdout,
        preserve_dir_structure: a.preserve_dir_structure,
        no_globs: a.no_globs,
        nullglob: a.nullglob,
        unix_data: a.unix_data,
    };
    let mut bar = None;
    let show = progress == ProgressMode::Bar && !a.to_stdout;
    let result = backend::extract(&a.wimfile, &opts, &req, &mut |done, total| {
        if show {
            bar.get_or_insert_with(|| new_bar("Extracting", total))
                .set_position(done);
        }
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    result
}
