//! `sigil test`, `sigil explain`, `sigil list` and `sigil debug`: output and exit codes.

use assert_cmd::Command;

const RULE: &str = "title: Console login without MFA
id: 0b5c6a2e-7d0f-4c2a-9a57-1f3f6f1a9c01
level: medium
tags: [attack.initial-access, attack.t1078.004]
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventName: ConsoleLogin
    additionalEventData.MFAUsed: 'No'
  filter_sso:
    userIdentity.type: AssumedRole
  condition: selection and not filter_sso
";

const TESTS: &str = "matches:
  - name: IAM user without MFA
    event: {eventVersion: '1.08', eventSource: signin.amazonaws.com, eventName: ConsoleLogin,
            userIdentity: {type: IAMUser}, additionalEventData: {MFAUsed: 'No'}}
non_matches:
  - name: with MFA
    event: {eventVersion: '1.08', eventSource: signin.amazonaws.com, eventName: ConsoleLogin,
            userIdentity: {type: IAMUser}, additionalEventData: {MFAUsed: 'Yes'}}
";

fn sigil(dir: &std::path::Path, args: &[&str]) -> (String, i32) {
    let output = Command::cargo_bin("sigil")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    (
        String::from_utf8(output.stdout).unwrap(),
        output.status.code().unwrap_or(-1),
    )
}

fn fixture(tests: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("login.yml"), RULE).unwrap();
    std::fs::write(dir.path().join("login.tests.yml"), tests).unwrap();
    dir
}

#[test]
fn test_passes_and_fails_with_the_failing_event() {
    let dir = fixture(TESTS);
    assert_eq!(
        sigil(dir.path(), &["test", "login.yml"]),
        (
            "ok   login.yml (2 cases)\n1 passed, 0 failed\n".to_string(),
            0
        )
    );
    let wrong = TESTS.replace("MFAUsed: 'Yes'", "MFAUsed: 'No'");
    let dir = fixture(&wrong);
    let (out, code) = sigil(dir.path(), &["test", "login.yml"]);
    assert_eq!(code, 1);
    assert!(out.starts_with("FAIL login.yml\n  case `with MFA`: expected no match, matched by: Console login without MFA\n    event: {\"eventVersion\":\"1.08\""), "{out}");
    assert!(out.ends_with("0 passed, 1 failed\n"), "{out}");
}

#[test]
fn test_can_require_examples() {
    let dir = fixture(TESTS);
    std::fs::remove_file(dir.path().join("login.tests.yml")).unwrap();
    assert_eq!(sigil(dir.path(), &["test", "login.yml"]).1, 0);
    let (out, code) = sigil(dir.path(), &["test", "--require-tests", "login.yml"]);
    assert_eq!(
        (out.as_str(), code),
        (
            "FAIL login.yml: no .tests.yml beside it\n0 passed, 1 failed\n",
            1
        )
    );
}

#[test]
fn explain_shows_every_search_and_matcher() {
    let dir = fixture(TESTS);
    std::fs::write(
        dir.path().join("event.json"),
        r#"{"eventName":"ConsoleLogin","userIdentity":{"type":"AssumedRole"},"additionalEventData":{"MFAUsed":"No"}}"#,
    )
    .unwrap();
    let (out, code) = sigil(dir.path(), &["explain", "-r", "login.yml", "event.json"]);
    let expected = r#"rule "Console login without MFA" (login.yml)
  search selection: true
    true  eventName [eq "consolelogin"]  (saw: "ConsoleLogin")
    true  additionalEventData.MFAUsed [eq "no"]  (saw: "No")
  search filter_sso: true
    true  userIdentity.type [eq "assumedrole"]  (saw: "AssumedRole")
  prefilter: passes (the rule's literals are present)
  condition (and selection (not filter_sso)): no match
"#;
    assert_eq!((out.as_str(), code), (expected, 1));
}

#[test]
fn list_filters_rules() {
    let dir = fixture(TESTS);
    let (out, code) = sigil(dir.path(), &["list", "login.yml", "--tag", "t1078"]);
    assert_eq!(code, 0);
    assert!(
        out.lines()
            .nth(1)
            .unwrap()
            .contains("medium         aws/cloudtrail      detection    Console login without MFA"),
        "{out}"
    );
    let (out, _) = sigil(dir.path(), &["list", "login.yml", "--level", "high"]);
    assert_eq!(out.lines().count(), 1, "only the header: {out}");
}

#[test]
fn debug_dumps_ast_and_ir() {
    let dir = fixture(TESTS);
    let (out, _) = sigil(dir.path(), &["debug", "ast", "a or b and not 1 of c*"]);
    assert_eq!(out, "(or a (and b (not (1-of \"c*\"))))\n");
    let (out, code) = sigil(dir.path(), &["debug", "ir", "login.yml"]);
    let expected = r#"rule 0 "Console login without MFA" [aws/cloudtrail] level=medium
  search selection = (and m0 m1)
  search filter_sso = m2
  condition = (and selection (not filter_sso))
matcher m0: eventName [eq "consolelogin"]
matcher m1: additionalEventData.MFAUsed [eq "no"]
matcher m2: userIdentity.type [eq "assumedrole"]
"#;
    assert_eq!((out.as_str(), code), (expected, 0));
}

#[test]
fn compile_shows_the_search_of_each_source() {
    let dir = fixture(TESTS);
    let waf = "title: Blocked\nlogsource: {product: aws, service: waf}\ndetection:\n  \
               sel: {action: BLOCK}\n  condition: sel\n";
    std::fs::write(dir.path().join("waf.yml"), waf).unwrap();
    let (out, code) = sigil(dir.path(), &["compile", "login.yml", "waf.yml"]);
    assert_eq!(code, 0, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    // Every literal of these rules is anchored at a string's quotes.
    assert!(
        lines[0].starts_with("2 rules (2 detections), 5 literals: 5 looked up in each string"),
        "{out}"
    );
    // CloudTrail's search holds its rule's literals and WAF's keys, WAF's the reverse;
    // the sources without rules look only for the keys of the two that have some.
    let search = |sources: &str| {
        lines
            .iter()
            .find(|line| line.starts_with(&format!("  records of {sources}")))
            .unwrap_or_else(|| panic!("no search for {sources}: {out}"))
    };
    assert!(
        search("cloudtrail:").contains("a search for 5 literals"),
        "{out}"
    );
    // (4 literals and CloudTrail's `insightDetails`, the key of its Insights events.)
    assert!(search("waf:").contains("a search for 5 literals"), "{out}");
    assert!(
        search("guardduty, route53, vpcflow,").contains(", unknown: a search for 5 literals"),
        "{out}"
    );
}
