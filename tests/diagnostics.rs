//! Golden tests for diagnostics: every `tests/diagnostics/*.yml` is checked with
//! `sigil check --color never`, and the output must equal its snapshot in
//! `tests/snapshots/diagnostics__every_diagnostic_renders_as_recorded@<file>.snap`.
//! A file named after a code (`S020_unknown_modifier.yml`) must also produce that code.
//! After an intended change, review the new output with `cargo insta review` (or run with
//! `INSTA_UPDATE=always` and read the diff of the snapshots before committing them).

use assert_cmd::Command;
use std::path::Path;

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
    insta::glob!("diagnostics/*.yml", |case| {
        // The path as a user would type it from the package root, as the output shows it.
        let relative = case
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap_or(case);
        let path = relative.to_str().unwrap();
        let (text, code) = check(&["check", "--color", "never", path]);
        insta::assert_snapshot!(text);
        let name = case.file_stem().unwrap().to_str().unwrap();
        if let Some(code_id) = name.split('_').next().filter(|c| c.starts_with('S')) {
            let (json, _) = check(&["check", "--format", "json", path]);
            assert!(
                json.contains(&format!("\"code\":\"{code_id}\"")),
                "{path} must produce {code_id}, got:\n{json}"
            );
            assert_eq!(code, 1, "{path}: a refused rule exits 1");
        }
    });
}

/// Every golden case has its snapshot and every snapshot its case: a renamed or deleted `.yml`
/// must not leave a snapshot that nothing checks.
#[test]
fn every_snapshot_has_its_case() {
    let prefix = "diagnostics__every_diagnostic_renders_as_recorded@";
    let snapshots: Vec<String> = std::fs::read_dir("tests/snapshots")
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter_map(|name| {
            Some(
                name.strip_prefix(prefix)?
                    .strip_suffix(".snap")?
                    .to_string(),
            )
        })
        .collect();
    assert!(!snapshots.is_empty());
    for case in &snapshots {
        assert!(
            Path::new("tests/diagnostics").join(case).exists(),
            "snapshot of {case}, which is gone"
        );
    }
    let cases = std::fs::read_dir("tests/diagnostics")
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".yml"))
        .count();
    assert_eq!(cases, snapshots.len());
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
