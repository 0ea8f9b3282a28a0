//! Golden tests for `sigil debug literals`: every `tests/literals/*.yml` is loaded and its
//! [`dump`](sigil_compiler::literals::dump) and `no_literal` warnings must equal the `.literals`
//! file beside it. Run with `SIGIL_BLESS=1` to rewrite the expected files after an intended
//! change.

use sigil_compiler::literals::{dump, warnings};
use sigil_compiler::{LoadOptions, load_paths};
use std::path::Path;

fn render(path: &Path) -> String {
    let loaded = load_paths(&[path.to_path_buf()], &LoadOptions::default());
    assert_eq!(loaded.refused, 0, "{path:?}: {:?}", loaded.diagnostics);
    let mut text = dump(&loaded.rules);
    for warning in warnings(&loaded.rules) {
        let file = loaded.sources.get(warning.primary.span.source);
        let (line, column) = file.line_col(warning.primary.span.start);
        text.push_str(&format!(
            "warning[{}] {line}:{column}: {}: {}\n",
            warning.code.id(),
            warning.message,
            warning.primary.message
        ));
    }
    text
}

#[test]
fn every_dump_is_as_recorded() {
    let bless = std::env::var_os("SIGIL_BLESS").is_some();
    let mut cases: Vec<_> = std::fs::read_dir("tests/literals")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    cases.sort();
    assert!(!cases.is_empty());
    for case in cases {
        let text = render(&case);
        let expected_path = case.with_extension("literals");
        if bless {
            std::fs::write(&expected_path, &text).unwrap();
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        assert_eq!(text, expected, "{}", case.display());
    }
}
