//! `wimkit`: a wimlib-imagex-compatible command line for WIM, ESD and SWM files.
//!
//! parse (args) → run (cmd) → exit code. Exit codes are wimlib's error numbers
//! (see `error.rs`), 255 for usage errors, 0 on success and when stdout is closed
//! early by the reader (broken pipe, as ripgrep does).
#![forbid(unsafe_code)]

use std::io::Write;
use wimkit::{args, cmd};

fn main() {
    let code = match args::parse(std::env::args_os()) {
        Ok(plan) => match cmd::run(plan) {
            Ok(()) => 0,
            Err(e) => {
                let _ = std::io::stdout().flush();
                let text = e.render();
                if !text.is_empty() {
                    let _ = std::io::stderr().write_all(text.as_bytes());
                }
                e.exit_code()
            }
        },
        Err(e) => {
            use clap::error::ErrorKind;
            let _ = e.print();
            match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => 0,
                _ => 255,
            }
        }
    };
    std::process::exit(code);
}
