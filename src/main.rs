//! `sigil`: a Sigma detection engine for AWS logs.
//!
//! The binary is a thin layer over the library crates: it parses arguments, calls
//! `sigil-compiler` and `sigil-engine`, and is the only place that talks to the terminal.

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            cli::exit::code(cli::exit::USAGE)
        }
    }
}
