//! `split WIMFILE PART1.swm PART_SIZE_MiB`.

use super::export::op_error;
use super::{ProgressMode, out};
use crate::args::SplitArgs;
use crate::error::CliError;
use std::path::Path;

/// Runs `split`.
pub fn run(a: &SplitArgs, progress: ProgressMode) -> Result<(), CliError> {
    let size = servicing::split::part_size_from_mib(&a.part_size).ok_or_else(|| {
        CliError::Usage(format!(
            "ERROR: The part size must be a positive number of MiB, not \"{}\"",
            a.part_size
        ))
    })?;
    servicing::split::split(Path::new(&a.wimfile), Path::new(&a.first), size)
        .map_err(|e| op_error(&e, &a.wimfile))?;
    if progress != ProgressMode::Off {
        out(
            &mut std::io::stdout().lock(),
            &format!("Finished splitting \"{}\"\n", a.wimfile),
        )?;
    }
    Ok(())
}
