//! `sigil`: a Sigma detection engine for AWS logs.
//!
//! The binary is a thin layer over the library crates: it parses arguments, calls
//! `sigil-compiler` and `sigil-engine`, and is the only place that talks to the terminal.

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    sigil_engine::input::quiet_caught_panics();
    let args = match cli::Cli::try_parse() {
        Ok(args) => args,
        Err(err) => {
            // `--help` and `--version` are not errors; everything else is a usage error (1).
            let _ = err.print();
            return cli::exit::code(if err.use_stderr() {
                cli::exit::USAGE
            } else {
                cli::exit::CLEAN
            });
        }
    };
    match cli::run(args) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            cli::exit::code(cli::exit::USAGE)
        }
    }
}
