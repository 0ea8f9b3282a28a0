//! Golden error tests: `errors.txt` lists conditions with the error each must produce.
//!
//! Each case is a block of lines: `> CONDITION`, then carets under the error's span with its
//! kind and byte range, the message, and the help if any. Blocks are separated by blank lines;
//! lines starting with `#` before the first block are a header. To regenerate the expectations
//! after a deliberate change, run with `SIGIL_BLESS=1` and review the diff.

use std::fmt::Write as _;
use std::path::Path;

use sigil_grammar::{ParseError, parse};

const GOLDEN: &str = "tests/errors.txt";

#[test]
fn errors_match_golden_file() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(GOLDEN);
    let golden = std::fs::read_to_string(&path).unwrap();
    let (header, blocks) = split_golden(&golden);
    let mut rendered = header.to_owned();
    let mut mismatches = Vec::new();
    for block in blocks {
        let condition = block
            .lines()
            .next()
            .and_then(|line| line.strip_prefix("> "))
            .unwrap_or_else(|| panic!("a case starts with `> CONDITION`: {block:?}"));
        let actual = render_case(condition);
        if actual.trim_end() != block.trim_end() {
            mismatches.push(format!("expected:\n{block}\nactual:\n{actual}"));
        }
        rendered.push_str(&actual);
        rendered.push('\n');
    }
    if std::env::var_os("SIGIL_BLESS").is_some() {
        std::fs::write(&path, rendered.trim_end().to_owned() + "\n").unwrap();
        return;
    }
    assert!(
        mismatches.is_empty(),
        "{} case(s) differ:\n\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

/// Splits the golden file into its `#` header and its case blocks.
fn split_golden(golden: &str) -> (&str, Vec<&str>) {
    let body_start = golden.find("\n>").map_or(0, |offset| offset + 1);
    let (header, body) = golden.split_at(body_start);
    let blocks = body
        .split("\n\n")
        .map(str::trim)
        .filter(|block| !block.is_empty())
        .collect();
    (header, blocks)
}

/// Renders the outcome of parsing `condition` as a golden block.
fn render_case(condition: &str) -> String {
    let mut out = format!("> {condition}\n");
    match parse(condition) {
        Ok(expr) => writeln!(out, "  parsed: {expr}").unwrap(),
        Err(error) => render_error(&mut out, condition, &error),
    }
    out
}

/// Carets under the span (at least one, for an empty span), then kind, range, message, help.
fn render_error(out: &mut String, condition: &str, error: &ParseError) {
    let column = condition[..error.span.start].chars().count();
    let width = error.span.text(condition).chars().count().max(1);
    let ParseError {
        kind,
        span,
        message,
        help,
    } = error;
    writeln!(
        out,
        "  {}{} {kind:?} {span}",
        " ".repeat(column),
        "^".repeat(width)
    )
    .unwrap();
    writeln!(out, "  error: {message}").unwrap();
    if let Some(help) = help {
        writeln!(out, "  help: {help}").unwrap();
    }
}
