//! `wimkit`: a wimlib-imagex-compatible command line for WIM, ESD and SWM files.
#![forbid(unsafe_code)]

fn main() {
    eprintln!("wimkit: not implemented yet");
    std::process::exit(1);
}
