//! One module per command; each takes its validated arguments and returns
//! `Result<(), CliError>` after writing to stdout/stderr.
//!
//! Progress policy: with `--quiet`, nothing. Otherwise, when stderr is a terminal, an
//! indicatif bar on stderr; when it is not (scripts, the compatibility tests),
//! wimlib-imagex's own `\r…done` lines on stdout, so output stays byte-compatible.

pub mod apply;
pub mod capture;
pub mod delete;
pub mod diff;
pub mod dir;
pub mod export;
pub mod extract;
pub mod info;
pub mod info_deep;
pub mod info_edit;
pub mod join;
pub mod optimize;
pub mod service;
pub mod service_ops;
pub mod split;
pub mod update;
pub mod verify;

use crate::args::{Command, Plan};
use crate::error::CliError;
use crate::model::Warning;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{IsTerminal, Write};

/// Runs a plan.
pub fn run(plan: Plan) -> Result<(), CliError> {
    let progress = ProgressMode::choose(plan.quiet);
    match plan.command {
        Command::Info(a) => info::run(&a, progress),
        Command::Dir(a) => dir::run(&a),
        Command::Verify(a) => verify::run(&a, progress),
        Command::Apply(a) => apply::run(&a, progress),
        Command::Extract(a) => extract::run(&a, progress),
        Command::Export(a) => export::run(&a, progress),
        Command::Delete(a) => delete::run(&a, progress),
        Command::Optimize(a) => optimize::run(&a, progress),
        Command::Split(a) => split::run(&a, progress),
        Command::Join(a) => join::run(&a, progress),
        Command::Capture(a) => capture::run(&a, false, progress),
        Command::Append(a) => capture::run(&a, true, progress),
        Command::Update(a) => update::run(&a, progress),
        Command::Service(a) => service::run(&a, progress),
        Command::Diff(a) => diff::run(&a),
    }
}

/// How to show progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    /// `--quiet`.
    Off,
    /// wimlib-style `\r` lines on stdout.
    Text,
    /// indicatif bar on stderr.
    Bar,
}

impl ProgressMode {
    /// Picks the mode from `--quiet` and whether stderr is a terminal.
    pub fn choose(quiet: bool) -> Self {
        if quiet {
            ProgressMode::Off
        } else if std::io::stderr().is_terminal() {
            ProgressMode::Bar
        } else {
            ProgressMode::Text
        }
    }
}

/// A byte-count progress bar on stderr.
pub fn new_bar(message: &'static str, total: u64) -> ProgressBar {
    let bar = ProgressBar::new(total);
    if let Ok(style) =
        ProgressStyle::with_template("{msg} [{bar:40}] {bytes}/{total_bytes} ({eta})")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(message);
    bar
}

/// Prints a wimlib-style warning (`\r[WARNING] …`) on stderr.
pub fn warn(w: &Warning) {
    let mut e = std::io::stderr().lock();
    let _ = write!(e, "\r[WARNING] {}\n", w.0);
}

/// Writes `s` to stdout (a closed pipe becomes [`CliError::BrokenPipe`]).
pub fn out(w: &mut impl Write, s: &str) -> Result<(), CliError> {
    w.write_all(s.as_bytes())?;
    Ok(())
}

/// The refusal of an option wimkit accepts for compatibility but does not implement
/// (exit code 68, "unsupported"), instead of silently ignoring it.
pub fn unsupported_option(name: &str) -> crate::error::CliError {
    crate::error::CliError::lib(
        crate::error::ErrorCode::Unsupported,
        format!("{name} is not supported by wimkit yet"),
    )
}
