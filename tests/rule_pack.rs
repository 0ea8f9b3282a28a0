//! The bundled rule pack (`rules/`): every rule loads without a warning and passes its own
//! example events, and every rule file has at least one matching and one non-matching example
//! (`sigil check rules/` and `sigil test --require-tests rules/`, as a user would run them).

use assert_cmd::Command;

fn sigil(args: &[&str]) -> (String, i32) {
    let output = Command::cargo_bin("sigil")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    (
        String::from_utf8(output.stdout).unwrap(),
        output.status.code().unwrap_or(-1),
    )
}

#[test]
fn the_bundled_rules_load_cleanly() {
    let (out, code) = sigil(&["check", "--color", "never", "rules"]);
    let summary = out.lines().last().unwrap();
    assert!(
        summary.ends_with(" rules loaded, 0 refused, 0 warnings"),
        "{out}"
    );
    let loaded: usize = summary.split(' ').next().unwrap().parse().unwrap();
    assert!(loaded >= 60, "the pack holds at least 60 rules: {summary}");
    assert_eq!(code, 0);
}

#[test]
fn every_bundled_rule_passes_its_examples() {
    let (out, code) = sigil(&["test", "--require-tests", "rules"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.lines().last().unwrap().ends_with(" passed, 0 failed"),
        "{out}"
    );
}
