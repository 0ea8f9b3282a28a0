//! Standard outputs (issue 25): `sigil hunt --format ocsf` (OCSF 1.3.0 Detection Findings)
//! and `--format sarif` of `sigil check` and `sigil test` (SARIF 2.1.0, shape checked for
//! what code-scanning services require).

use serde_json::Value;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn sigil() -> std::process::Command {
    std::process::Command::new(assert_cmd::cargo::cargo_bin("sigil"))
}

/// Runs sigil with `args`; its exit code and stdout.
fn run(args: &[&str]) -> (Option<i32>, String) {
    let output = sigil().args(args).current_dir(root()).output().unwrap();
    (
        output.status.code(),
        String::from_utf8(output.stdout).unwrap(),
    )
}

fn lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[test]
fn ocsf_findings_are_detection_findings_of_every_match_correlations_included() {
    let (code, ocsf) = run(&["hunt", "-r", "rules", "corpus/samples", "--format", "ocsf"]);
    assert_eq!(code, Some(0));
    let (_, jsonl) = run(&["hunt", "-r", "rules", "corpus/samples", "--format", "jsonl"]);
    let (findings, matches) = (lines(&ocsf), lines(&jsonl));
    assert_eq!(findings.len(), matches.len());
    let mut uids = std::collections::HashSet::new();
    for (finding, m) in findings.iter().zip(&matches) {
        assert_eq!(finding["class_uid"], 2004);
        assert_eq!(finding["category_uid"], 2);
        assert_eq!(finding["activity_id"], 1);
        assert_eq!(finding["type_uid"], 200401);
        assert_eq!(finding["metadata"]["version"], "1.3.0");
        assert_eq!(finding["metadata"]["product"]["name"], "Sigil");
        assert!(finding["time"].as_i64().unwrap() > 1_600_000_000_000);
        let level = m["rule"]["level"].as_str();
        let severity = ["informational", "low", "medium", "high", "critical"]
            .iter()
            .position(|l| Some(*l) == level)
            .map_or(0, |i| i + 1);
        assert_eq!(finding["severity_id"], severity);
        let info = &finding["finding_info"];
        assert!(uids.insert(info["uid"].as_str().unwrap().to_string()));
        assert_eq!(info["title"], m["rule"]["title"]);
        assert_eq!(info["analytic"]["type_id"], 1);
        assert_eq!(info["analytic"]["uid"], m["rule"]["id"]);
        assert_eq!(info["types"], m["rule"]["tags"]);
        match m.get("event") {
            Some(event) => {
                let raw: Value =
                    serde_json::from_str(finding["raw_data"].as_str().unwrap()).unwrap();
                assert_eq!(&raw, event);
                assert_eq!(finding["unmapped"]["sigil"]["source"], m["source"]);
            }
            None => {
                assert_eq!(finding["count"], m["events"]["count"]);
                assert_eq!(finding["unmapped"]["sigil"]["group"], m["group"]);
            }
        }
    }
    let cloudtrail = findings
        .iter()
        .find(|f| {
            f["raw_data"]
                .as_str()
                .is_some_and(|r| r.contains("recipientAccountId"))
        })
        .expect("a CloudTrail match");
    assert_eq!(cloudtrail["cloud"]["provider"], "AWS");
    assert!(cloudtrail["cloud"]["account"]["uid"].is_string());
    assert!(cloudtrail["cloud"]["region"].is_string());
    assert!(
        findings.iter().any(|f| f.get("start_time").is_some()),
        "the sample's correlations give findings too"
    );
}

/// Asserts what SARIF 2.1.0 and code-scanning services require of a log; returns its results.
fn sarif_results(log: &Value) -> &Vec<Value> {
    assert_eq!(log["version"], "2.1.0");
    assert!(log["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "Sigil");
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let results = run["results"].as_array().unwrap();
    for result in results {
        assert!(
            rules.contains(&result["ruleId"].as_str().unwrap()),
            "{result}"
        );
        assert!(["error", "warning", "note"].contains(&result["level"].as_str().unwrap()));
        assert!(!result["message"]["text"].as_str().unwrap().is_empty());
        let location = &result["locations"][0]["physicalLocation"];
        assert!(location["artifactLocation"]["uri"].is_string());
        assert!(location["region"]["startLine"].as_u64().unwrap() >= 1);
        assert!(location["region"]["startColumn"].as_u64().unwrap() >= 1);
    }
    results
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    std::fs::write(dir.join(name), text).unwrap();
    dir.join(name).to_str().unwrap().to_string()
}

const RULE: &str = "title: trail stopped\nid: 6c3e9b0a-0000-4000-8000-000000000001\nlevel: high\n\
    logsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    \
    eventName|startwith: StopLogging\n  condition: sel\n";

#[test]
fn check_writes_each_diagnostic_as_a_sarif_result_at_its_span() {
    let dir = tempfile::tempdir().unwrap();
    let rule = write(dir.path(), "stop.yml", RULE);
    let (code, out) = run(&["check", "--format", "sarif", &rule]);
    assert_eq!(code, Some(1));
    let log: Value = serde_json::from_str(&out).unwrap();
    let results = sarif_results(&log);
    let result = results.iter().find(|r| r["ruleId"] == "S020").unwrap();
    assert_eq!(result["level"], "error");
    assert!(
        result["message"]["text"]
            .as_str()
            .unwrap()
            .contains("did you mean `startswith`")
    );
    let location = &result["locations"][0]["physicalLocation"];
    assert_eq!(
        location["artifactLocation"]["uri"],
        format!("file://{rule}")
    );
    // `eventName|startwith` is on line 7; the modifier starts at column 15.
    assert_eq!(location["region"]["startLine"], 7);
    assert_eq!(location["region"]["startColumn"], 15);
    assert_eq!(location["region"]["endColumn"], 24);
    // A clean rule: a log with no results.
    let good = write(
        dir.path(),
        "good.yml",
        &RULE.replace("startwith", "startswith"),
    );
    let (code, out) = run(&["check", "--format", "sarif", &good]);
    assert_eq!(code, Some(0));
    assert!(sarif_results(&serde_json::from_str(&out).unwrap()).is_empty());
}

#[test]
fn test_writes_each_failed_example_as_a_sarif_result_at_its_case() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "stop.yml",
        &RULE.replace("startwith", "startswith"),
    );
    write(
        dir.path(),
        "stop.tests.yml",
        "matches:\n  - name: stopped\n    event: {eventVersion: '1.08', eventSource: cloudtrail.amazonaws.com, eventName: StopLogging}\n  \
         - name: deleted, wrongly expected\n    event: {eventVersion: '1.08', eventSource: cloudtrail.amazonaws.com, eventName: DeleteTrail}\n\
         non_matches:\n  - name: started\n    event: {eventVersion: '1.08', eventSource: cloudtrail.amazonaws.com, eventName: StartLogging}\n",
    );
    let folder = dir.path().to_str().unwrap();
    let (code, out) = run(&["test", "--format", "sarif", folder]);
    assert_eq!(code, Some(1));
    let log: Value = serde_json::from_str(&out).unwrap();
    let results = sarif_results(&log);
    assert_eq!(results.len(), 1, "{results:?}");
    let result = &results[0];
    assert_eq!(result["ruleId"], "test_failed");
    let text = result["message"]["text"].as_str().unwrap();
    assert!(
        text.contains("case `deleted, wrongly expected`: expected a match"),
        "{text}"
    );
    assert!(text.contains("DeleteTrail"), "{text}");
    let location = &result["locations"][0]["physicalLocation"];
    assert!(
        location["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .ends_with("/stop.tests.yml")
    );
    assert_eq!(location["region"]["startLine"], 4);
    // The same run as text says the same.
    let (_, text) = run(&["test", folder]);
    assert!(text.contains("FAIL") && text.contains("event: {"), "{text}");
}

#[test]
fn an_ocsf_finding_keeps_the_events_text_where_json_numbers_exceed_a_double() {
    let dir = tempfile::tempdir().unwrap();
    let rule = write(
        dir.path(),
        "stop.yml",
        &RULE.replace("startwith", "startswith"),
    );
    let event = r#"{"eventVersion":"1.08","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","big":123456789012345678901234567890,"huge":1e400,"awsRegion":"eu-west-1"}"#;
    let log = write(dir.path(), "trail.jsonl", &format!("{event}\n"));
    let (code, out) = run(&["hunt", "-r", &rule, &log, "--format", "ocsf"]);
    assert_eq!(code, Some(0));
    let findings = lines(&out);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0]["raw_data"], event);
    assert_eq!(findings[0]["severity_id"], 4);
    assert_eq!(
        findings[0]["finding_info"]["analytic"]["uid"],
        "6c3e9b0a-0000-4000-8000-000000000001"
    );
}
