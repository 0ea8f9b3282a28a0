//! `sigil hunt` with the bundled rules on the AWS security logs added by issue 25, each file
//! written as AWS delivers it: EventBridge events (a CloudTrail call, Security Hub findings, an
//! AWS Health event), Network Firewall alerts and Route 53 public DNS query lines. The bundled
//! rules of each log fire, `--stats` counts the records under their own sources, and
//! `--no-prefilter` gives the same matches.

use assert_cmd::Command;
use serde_json::{Value, json};
use std::path::Path;

fn write_examples(dir: &Path) {
    let cloudtrail = json!({
        "version": "0", "id": "1", "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.cloudtrail", "account": "111122223333", "time": "2026-12-01T08:00:03Z",
        "region": "us-east-1", "resources": [],
        "detail": {"eventVersion": "1.08", "eventTime": "2026-12-01T08:00:01Z",
            "eventSource": "cloudtrail.amazonaws.com", "eventName": "StopLogging",
            "awsRegion": "us-east-1", "userIdentity": {"type": "IAMUser", "userName": "mallory"},
            "requestParameters": {"name": "trail"}}
    });
    let finding = |label: &str| {
        json!({"SchemaVersion": "2018-10-08", "Id": label, "AwsAccountId": "111122223333",
            "ProductArn": "arn:aws:securityhub:us-east-1::product/aws/securityhub",
            "Types": ["Software and Configuration Checks"], "Title": "S3.2",
            "CreatedAt": "2026-12-01T07:00:00.000Z", "UpdatedAt": "2026-12-01T08:10:00.000Z",
            "Severity": {"Label": label}, "RecordState": "ACTIVE",
            "Workflow": {"Status": "NEW"}, "Compliance": {"Status": "FAILED"}})
    };
    let security_hub = json!({
        "version": "0", "id": "2", "detail-type": "Security Hub Findings - Imported",
        "source": "aws.securityhub", "account": "111122223333", "time": "2026-12-01T08:11:00Z",
        "region": "us-east-1", "resources": [],
        "detail": {"findings": [finding("CRITICAL"), finding("LOW")]}
    });
    let health = json!({
        "version": "0", "id": "3", "detail-type": "AWS Health Event", "source": "aws.health",
        "account": "111122223333", "time": "2026-12-01T08:20:00Z", "region": "us-east-1",
        "resources": [], "detail": {"service": "RISK", "eventTypeCategory": "issue",
            "eventTypeCode": "AWS_RISK_CREDENTIALS_EXPOSED"}
    });
    let events = [cloudtrail, security_hub, health].map(|event| event.to_string());
    std::fs::write(dir.join("eventbridge.jsonl"), events.join("\n")).unwrap();
    let alert = json!({
        "firewall_name": "egress-fw", "availability_zone": "us-east-1a",
        "event_timestamp": "1796112900",
        "event": {"timestamp": "2026-12-01T08:15:00.000000+0000", "event_type": "alert",
            "src_ip": "10.0.1.23", "dest_ip": "203.0.113.80", "dest_port": 443, "proto": "TCP",
            "alert": {"action": "allowed", "signature_id": 1, "signature": "callback",
                "severity": 1}}
    });
    std::fs::write(dir.join("firewall.log"), format!("{alert}\n")).unwrap();
    let dns = "1.0 2026-12-01T08:15:02.130Z Z0123456789 example.com AXFR NOTIMP TCP FRA56-C1 198.51.100.23 -\n\
               1.0 2026-12-01T08:15:03.000Z Z0123456789 example.com A NOERROR UDP FRA56-C1 198.51.100.23 -\n";
    std::fs::write(dir.join("dns.log"), dns).unwrap();
}

/// The (rule title, event time) of each match, sorted, and the `--stats` report.
fn hunt(dir: &Path, extra: &[&str]) -> (Vec<(String, String)>, String) {
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let output = Command::cargo_bin("sigil")
        .unwrap()
        .arg("hunt")
        .arg("-r")
        .arg(rules)
        .arg(dir)
        .args(["--format", "jsonl", "--stats"])
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let mut matches: Vec<(String, String)> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let m: Value = serde_json::from_str(line).unwrap();
            let title = m["rule"]["title"].as_str().unwrap().to_owned();
            (title, m["timestamp"].as_str().unwrap().to_owned())
        })
        .collect();
    matches.sort();
    (matches, stderr)
}

#[test]
fn the_bundled_rules_fire_on_each_security_log() {
    let dir = tempfile::tempdir().unwrap();
    write_examples(dir.path());
    let (matches, stats) = hunt(dir.path(), &[]);
    let expected = [
        ("AWS CloudTrail logging stopped", "2026-12-01T08:00:01Z"),
        (
            "AWS Health reports exposed access keys",
            "2026-12-01T08:20:00Z",
        ),
        (
            "Active critical or high Security Hub finding",
            "2026-12-01T08:10:00Z",
        ),
        (
            "DNS zone transfer attempted against Route 53",
            "2026-12-01T08:15:02.13Z",
        ),
        (
            "Network Firewall stateful rule alerted on traffic it let through",
            "2026-12-01T08:15:00Z",
        ),
    ]
    .map(|(title, time)| (title.to_owned(), time.to_owned()));
    assert_eq!(matches, expected, "{stats}");
    assert!(
        stats.contains(
            "sources:  aws/cloudtrail 1, aws/route53 2, aws/networkfirewall 1, \
             aws/securityhub 2, aws/eventbridge 1\n"
        ),
        "{stats}"
    );
    assert!(stats.contains(" 0 malformed"), "{stats}");
    let (unfiltered, _) = hunt(dir.path(), &["--no-prefilter"]);
    assert_eq!(unfiltered, matches);
}
