//! `apply WIMFILE [IMAGE|all] TARGET [--ref=GLOB] [--unix-data] [--check]`.

use super::{ProgressMode, new_bar};
use crate::args::{ApplyArgs, ImageArg, expand_refs};
use crate::error::CliError;
use crate::model::backend::{self, OpenOptions};

/// Runs `apply`.
pub fn run(a: &ApplyArgs, progress: ProgressMode) -> Result<(), CliError> {
    let opts = OpenOptions {
        check_integrity: a.check,
        refs: expand_refs(&a.refs)?,
    };
    let wim = backend::open_info(&a.wimfile, &opts)?;
    let (image_text, target) = match a.rest.as_slice() {
        [target] => (None, target),
        [image, target] => (Some(image), target),
        _ => return Err(CliError::Usage("ERROR: wrong number of arguments".into())),
    };
    let indices = match image_text {
        Some(t) => ImageArg::parse(t).resolve(t, &a.wimfile, &wim.images)?,
        None if wim.images.len() == 1 => vec![wim.images[0].index],
        None => {
            return Err(CliError::Usage(format!(
                "ERROR: \"{}\" contains {} images; Please select one (or all).",
                a.wimfile,
                wim.images.len()
            )));
        }
    };
    let mut bar = None;
    let result = backend::apply(
        &a.wimfile,
        &opts,
        &indices,
        target,
        a.unix_data,
        &mut |done, total| {
            if progress == ProgressMode::Bar {
                bar.get_or_insert_with(|| new_bar("Applying", total))
                    .set_position(done);
            }
        },
    );
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    result
}
