//! Any text as a rule file: loading never panics, whatever the YAML or the rule says.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigil_compiler::{LoadOptions, load_str};

fuzz_target!(|text: &str| {
    let loaded = load_str("fuzz.yml".as_ref(), text, &LoadOptions::default());
    // Every diagnostic must point inside its file.
    for diag in &loaded.diagnostics {
        let file = loaded.sources.get(diag.primary.span.source);
        assert!(diag.primary.span.end <= file.text.len().max(diag.primary.span.start));
        let _ = file.line_col(diag.primary.span.start);
    }
});
