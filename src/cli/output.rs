//! Writing to stdout: a closed pipe ends a command quietly, a failed write never passes
//! silently.
//!
//! Commands print through [`outln!`](crate::outln) instead of `println!` (which panics when
//! the reader of a pipe went away, as `sigil list | head -1` does).

use super::exit;
use std::fmt;
use std::io::{self, Write};

/// Writes one line to stdout (see [`text`]).
#[macro_export]
macro_rules! outln {
    () => {
        $crate::cli::output::text(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::cli::output::text(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Writes text to stdout, without a line break (see [`text`]).
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::output::text(format_args!($($arg)*))
    };
}

/// Writes `args` to stdout. If stdout was closed (a broken pipe), the process ends quietly
/// with exit code 0; if writing failed otherwise, it ends with an error and
/// [`exit::OUTPUT_ERROR`].
pub fn text(args: fmt::Arguments<'_>) {
    if let Err(error) = io::stdout().lock().write_fmt(args) {
        quit(&error);
    }
}

/// Ends the process after a failed write to stdout (see [`text`]).
pub fn quit(error: &io::Error) -> ! {
    if error.kind() == io::ErrorKind::BrokenPipe {
        std::process::exit(exit::CLEAN.into());
    }
    eprintln!("error: writing the output failed: {error}");
    std::process::exit(exit::OUTPUT_ERROR.into());
}
