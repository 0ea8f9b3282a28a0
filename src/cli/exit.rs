//! Exit codes, as documented in the README.

use std::process::ExitCode;

/// Everything ran cleanly.
pub const CLEAN: u8 = 0;
/// A usage error, or a rule that could not be loaded.
pub const USAGE: u8 = 1;
/// Some input could not be read (matches were still written).
pub const INPUT_ERRORS: u8 = 2;
/// The output could not be written (a full disk, an I/O error): the command stopped, and
/// matches after the failure were not written.
pub const OUTPUT_ERROR: u8 = 3;

/// The process exit code for one of the codes above.
pub fn code(value: u8) -> ExitCode {
    ExitCode::from(value)
}
