//! Fuzzes `sigil_grammar::parse`: it must never panic or overflow the stack, and an error's
//! span must lie on character boundaries of the input.
//!
//! Run from `grammar/fuzz`: `cargo +nightly fuzz run parse_condition`. Add any crash input
//! to `grammar/tests/limits.rs` as a regression test.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|condition: &str| {
    if let Err(error) = sigil_grammar::parse(condition) {
        assert!(condition.get(error.span.start..error.span.end).is_some());
    }
});
