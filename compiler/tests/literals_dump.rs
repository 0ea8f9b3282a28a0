//! Golden tests for `sigil debug literals`: every `tests/literals/*.yml` is loaded, and its
//! [`dump_literals`](sigil_compiler::dump_literals) and `no_literal` warnings must equal its
//! snapshot in `tests/snapshots/literals_dump__every_dump_is_as_recorded@<file>.snap`. After an
//! intended change, review the new output with `cargo insta review`.

use sigil_compiler::{Code, LoadOptions, dump_literals, load_paths};
use std::path::Path;

fn render(path: &Path) -> String {
    let loaded = load_paths(&[path.to_path_buf()], &LoadOptions::default());
    assert_eq!(loaded.refused, 0, "{path:?}: {:?}", loaded.diagnostics);
    let mut text = dump_literals(&loaded.rules);
    let warnings = loaded
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::NoLiteral);
    for warning in warnings {
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
    insta::glob!("literals/*.yml", |case| {
        insta::assert_snapshot!(render(case));
    });
}
