//! `update WIMFILE [IMAGE]`: wimlib-imagex's update command language.

use super::ProgressMode;
use crate::args::update::UpdateArgs;
use crate::error::CliError;

/// Runs `update`.
pub fn run(_a: &UpdateArgs, _progress: ProgressMode) -> Result<(), CliError> {
    Ok(())
}
