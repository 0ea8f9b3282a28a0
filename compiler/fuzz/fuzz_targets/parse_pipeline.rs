//! Any text as a processing pipeline file: parsing never panics, and a problem points inside
//! the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigil_compiler::{Pipeline, SourceId};

fuzz_target!(|text: &str| {
    if let Err(diag) = Pipeline::parse(SourceId(0), text) {
        assert!(diag.primary.span.end <= text.len().max(diag.primary.span.start));
    }
});
