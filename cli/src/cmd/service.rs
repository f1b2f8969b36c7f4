//! `service …`: servicing operations (wimkit extension).

use super::ProgressMode;
use crate::args::service::{ServiceArgs, ServiceCommand};
use crate::error::CliError;

/// Runs `service`.
pub fn run(a: &ServiceArgs, _progress: ProgressMode) -> Result<(), CliError> {
    match &a.command {
        ServiceCommand::ApplyUpdate(_) => Ok(()),
        ServiceCommand::InspectPackage(_) => Ok(()),
    }
}
