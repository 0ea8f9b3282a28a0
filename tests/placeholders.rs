//! Issue 18 #5: rules with `|expand` placeholders and no values are valid Sigma. `sigil check`
//! loads them with a warning naming the placeholder (exit 0); `sigil hunt` skips them with that
//! warning, and runs them when `--placeholders` gives the values.

use assert_cmd::Command;
use std::path::Path;

const RULE: &str = "title: Admin console login
id: 0b5c6a2e-7d0f-4c2a-9a57-1f3f6f1a9c51
level: medium
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventName: ConsoleLogin
    userIdentity.userName|expand: '%admins%'
  condition: selection
";

/// A rule that runs whatever the placeholders, so the hunt has something to run.
const OTHER_RULE: &str = "title: Any console login
id: 0b5c6a2e-7d0f-4c2a-9a57-1f3f6f1a9c52
level: low
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventName: ConsoleLogin
  condition: selection
";

const EVENT: &str = r#"{"eventVersion":"1.08","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","userIdentity":{"type":"IAMUser","userName":"alice"}}"#;

/// Runs `sigil ARGS` in `dir`: stdout, stderr, exit code.
fn sigil(dir: &Path, args: &[&str]) -> (String, String, i32) {
    let output = Command::cargo_bin("sigil")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    (
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
        output.status.code().unwrap_or(-1),
    )
}

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rule.yml"), RULE).unwrap();
    std::fs::write(dir.path().join("events.jsonl"), format!("{EVENT}\n")).unwrap();
    std::fs::write(dir.path().join("values.yml"), "admins: [alice, bob]\n").unwrap();
    dir
}

#[test]
fn check_loads_a_rule_whose_placeholder_has_no_values_with_a_warning() {
    let dir = setup();
    let (out, _, code) = sigil(dir.path(), &["check", "--color", "never", "rule.yml"]);
    assert!(
        out.contains("warning[placeholder_without_values]: placeholder `%admins%` has no values"),
        "{out}"
    );
    assert!(
        out.ends_with("1 rules loaded, 0 refused, 1 warnings\n"),
        "{out}"
    );
    assert_eq!(code, 0);
    let (out, _, code) = sigil(
        dir.path(),
        &["check", "--placeholders", "values.yml", "rule.yml"],
    );
    assert_eq!(out, "1 rules loaded, 0 refused, 0 warnings\n");
    assert_eq!(code, 0);
}

#[test]
fn hunt_skips_it_with_the_warning_unless_placeholders_give_the_values() {
    let dir = setup();
    std::fs::write(dir.path().join("other.yml"), OTHER_RULE).unwrap();
    let hunt = [
        "hunt",
        "-r",
        "rule.yml",
        "-r",
        "other.yml",
        "events.jsonl",
        "--format",
        "jsonl",
    ];
    let (out, err, code) = sigil(dir.path(), &hunt);
    assert_eq!(out.lines().count(), 1, "{out}{err}");
    assert!(out.contains("\"title\":\"Any console login\""), "{out}");
    assert!(
        err.contains(
            "warning: rule `Admin console login` is skipped: placeholder `%admins%` has no values"
        ),
        "{err}"
    );
    assert_eq!(code, 0, "{err}");
    let with_values = [&hunt[..], &["--placeholders", "values.yml"]].concat();
    let (out, err, code) = sigil(dir.path(), &with_values);
    assert_eq!(out.lines().count(), 2, "{out}{err}");
    assert!(out.contains("\"title\":\"Admin console login\""), "{out}");
    assert!(!err.contains("skipped"), "{err}");
    assert_eq!(code, 0, "{err}");
}
