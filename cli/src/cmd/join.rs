//! `join OUT.wim PART...`.

use super::ProgressMode;
use super::export::op_error;
use crate::args::JoinArgs;
use crate::error::CliError;
use std::path::{Path, PathBuf};

/// Runs `join`.
pub fn run(a: &JoinArgs, _progress: ProgressMode) -> Result<(), CliError> {
    let parts: Vec<PathBuf> = a.parts.iter().map(PathBuf::from).collect();
    servicing::join::join(Path::new(&a.out), &parts, a.check).map_err(|e| op_error(&e, &a.out))?;
    Ok(())
}
