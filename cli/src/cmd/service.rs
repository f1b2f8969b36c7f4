//! `service …`: servicing operations (wimkit extension).

use super::ProgressMode;
use crate::args::service::{ServiceArgs, ServiceCommand};
use crate::error::CliError;

/// Runs `service`.
pub fn run(a: &ServiceArgs, _progress: ProgressMode) -> Result<(), CliError> {
    match &a.command {
        ServiceCommand::ApplyUpdate(_) => Ok(()),
        ServiceCommand::InspectPackage(_) => Ok(()),
        ServiceCommand::ExtractIndex(x) => super::service_ops::extract_index(x, _progress),
        ServiceCommand::Optimize(x) => super::service_ops::optimize(x, _progress),
    }
}
