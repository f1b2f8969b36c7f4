//! Running a program from a test and keeping what it printed and its exit code, whatever
//! the status (the CLI tests compare exit codes and error lines with wimlib-imagex's).

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

/// What a finished program printed and how it exited.
#[derive(Debug, Clone)]
pub struct Exit {
    /// Standard output, raw.
    pub stdout: Vec<u8>,
    /// Standard error (lossy UTF-8).
    pub stderr: String,
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
}

/// Runs `prog` with `args` in the working directory `dir` and waits for it; `Err` only when
/// it cannot be started.
pub fn run_in<A: AsRef<OsStr>>(prog: &str, dir: &Path, args: &[A]) -> std::io::Result<Exit> {
    let o = Command::new(prog).current_dir(dir).args(args).output()?;
    Ok(Exit {
        stdout: o.stdout,
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        code: o.status.code().unwrap_or(-1),
    })
}
