//! Golden tests for diagnostics: every `tests/diagnostics/*.yml` is checked with
//! `sigil check --color never`, and the output must equal the `.stdout` file beside it.
//! A file named after a code (`S020_unknown_modifier.yml`) must also produce that code.
//! Run with `SIGIL_BLESS=1` to rewrite the expected files after an intended change.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn cases() -> Vec<PathBuf> {
    let dir = Path::new("tests/diagnostics");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("tests/diagnostics exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    cases.sort();
    cases
}

fn check(args: &[&str]) -> (String, i32) {
    let output = Command::cargo_bin("sigil")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    let code = output.status.code().unwrap_or(-1);
    (String::from_utf8(output.stdout).unwrap(), code)
}

#[test]
fn every_diagnostic_renders_as_recorded() {
    let bless = std::env::var_os("SIGIL_BLESS").is_some();
    let mut failures = Vec::new();
    for case in cases() {
        let path = case.to_str().unwrap();
        let (text, code) = check(&["check", "--color", "never", path]);
        let expected_path = case.with_extension("stdout");
        if bless {
            std::fs::write(&expected_path, &text).unwrap();
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if text != expected {
            failures.push(format!(
                "{path}:\n--- expected\n{expected}\n--- got\n{text}"
            ));
        }
        let name = case.file_stem().unwrap().to_str().unwrap();
        if let Some(code_id) = name.split('_').next().filter(|c| c.starts_with('S')) {
            let (json, _) = check(&["check", "--format", "json", path]);
            assert!(
                json.contains(&format!("\"code\":\"{code_id}\"")),
                "{path} must produce {code_id}, got:\n{json}"
            );
            assert_eq!(code, 1, "{path}: a refused rule exits 1");
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn an_error_in_a_nested_value_carries_its_own_line_and_column() {
    let (json, _) = check(&[
        "check",
        "--format",
        "json",
        "tests/diagnostics/S023_invalid_cidr.yml",
    ]);
    // The bad network is the second item of a list inside a search: line 9, column 9.
    assert!(json.contains("\"line\":9,\"column\":9"), "{json}");
}

#[test]
fn a_missing_file_is_reported_and_exits_1() {
    let (text, code) = check(&[
        "check",
        "--color",
        "never",
        "tests/diagnostics/no-such-file.yml",
    ]);
    assert!(
        text.contains("error[S001]: cannot read rule file"),
        "{text}"
    );
    assert_eq!(code, 1);
}

#[test]
fn clean_rules_exit_0_with_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let rule = dir.path().join("ok.yml");
    std::fs::write(
        &rule,
        "title: ok\nid: 7f0c6d7e-1b1a-4d0e-9a1e-0000000000ff\nlevel: low\n\
         logsource: {product: aws, service: cloudtrail}\n\
         detection:\n  sel: {eventName: StopLogging}\n  condition: sel\n",
    )
    .unwrap();
    let (text, code) = check(&["check", rule.to_str().unwrap()]);
    assert_eq!(text, "1 rules loaded, 0 refused, 0 warnings\n");
    assert_eq!(code, 0);
}
