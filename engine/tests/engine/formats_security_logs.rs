//! The AWS security logs read since issue 25: EventBridge events unwrapped to the log of their
//! detail, Security Hub findings (bare, in `{"Findings":[...]}` batches, in EventBridge),
//! Network Firewall logs, and Route 53 public DNS query logs (text lines, CloudWatch Logs
//! exports and subscriptions). Each is hunted end to end from files written here: the rules of
//! its log match it with the inner event's field paths and time, `--stats` counts its records
//! under its own source, and the prefilter on or off gives the same matches.

use serde_json::{Value, json};
use sigil_engine::formats::{Envelope, Records, detect, detect_envelope};
use sigil_engine::{Engine, HuntStats, RecordSource, ScanOptions};
use std::path::{Path, PathBuf};

/// A GuardDuty finding as EventBridge delivers it (trimmed to the fields the tests read).
const GUARDDUTY_EVENT: &str = r#"{"version":"0","id":"c8c4daa7-a20c-2f03-0070-b7393dd542ad","detail-type":"GuardDuty Finding","source":"aws.guardduty","account":"111122223333","time":"2024-05-01T10:05:00Z","region":"us-east-1","resources":[],"detail":{"schemaVersion":"2.0","accountId":"111122223333","region":"us-east-1","id":"16afba5c5c43e07c9e3e5e2e544e95df","type":"CryptoCurrency:EC2/BitcoinTool.B!DNS","resource":{"resourceType":"Instance","instanceDetails":{"instanceId":"i-0123456789abcdef0"}},"severity":8,"createdAt":"2024-05-01T09:58:00.000Z","updatedAt":"2024-05-01T10:04:00.000Z","title":"EC2 instance is querying a domain name associated with Bitcoin activity."}}"#;

/// A CloudTrail management event as EventBridge delivers it: the envelope's time (10:00:03)
/// differs from the call's (`eventTime`, 10:00:01).
const CLOUDTRAIL_EVENT: &str = r#"{"version":"0","id":"6f2a9b1e-0000-4c1e-9d2c-111122223333","detail-type":"AWS API Call via CloudTrail","source":"aws.cloudtrail","account":"111122223333","time":"2024-05-01T10:00:03Z","region":"us-east-1","resources":[],"detail":{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/mallory","userName":"mallory"},"eventTime":"2024-05-01T10:00:01Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","requestParameters":{"name":"management-trail"},"eventType":"AwsApiCall","recipientAccountId":"111122223333"}}"#;

/// An ASFF finding (trimmed to the required fields and a few more).
fn finding(id: &str, label: &str, updated: &str) -> Value {
    json!({
        "SchemaVersion": "2018-10-08",
        "Id": id,
        "ProductArn": "arn:aws:securityhub:us-east-1::product/aws/securityhub",
        "GeneratorId": "aws-foundational-security-best-practices/v/1.0.0/S3.2",
        "AwsAccountId": "111122223333",
        "Types": ["Software and Configuration Checks/Industry and Regulatory Standards"],
        "CreatedAt": "2024-05-01T08:00:00.000Z",
        "UpdatedAt": updated,
        "Severity": {"Label": label, "Normalized": 90},
        "Title": "S3 buckets should prohibit public read access",
        "Description": "This control checks whether your S3 buckets allow public read access.",
        "Resources": [{"Type": "AwsS3Bucket", "Id": "arn:aws:s3:::public-bucket", "Partition": "aws", "Region": "us-east-1"}],
        "Compliance": {"Status": "FAILED"},
        "Workflow": {"Status": "NEW"},
        "RecordState": "ACTIVE"
    })
}

/// Security Hub's EventBridge event for two imported findings.
fn security_hub_event() -> String {
    json!({
        "version": "0", "id": "8e5622f9-d81c-4d81-612a-e7a7b1c2d3e4",
        "detail-type": "Security Hub Findings - Imported", "source": "aws.securityhub",
        "account": "111122223333", "time": "2024-05-01T11:00:00Z", "region": "us-east-1",
        "resources": ["arn:aws:securityhub:us-east-1:111122223333:finding/a"],
        "detail": {"findings": [
            finding("a", "CRITICAL", "2024-05-01T10:59:00.000Z"),
            finding("b", "LOW", "2024-05-01T10:59:30.000Z")
        ]}
    })
    .to_string()
}

/// An event no other source reads: kept whole, as `service: eventbridge`.
const HEALTH_EVENT: &str = r#"{"version":"0","id":"7bf73129-1428-4cd3-a780-95db273d1602","detail-type":"AWS Health Event","source":"aws.health","account":"111122223333","time":"2024-05-01T12:00:00Z","region":"us-east-1","resources":[],"detail":{"eventArn":"arn:aws:health:global::event/RISK/AWS_RISK/AWS_RISK_CREDENTIALS_EXPOSED_REPORTED","service":"RISK","eventTypeCode":"AWS_RISK_CREDENTIALS_EXPOSED","eventTypeCategory":"issue"}}"#;

/// Network Firewall alert, flow and TLS log lines, as delivered to S3.
const FIREWALL_LINES: [&str; 3] = [
    r#"{"firewall_name":"egress-fw","availability_zone":"us-east-1a","event_timestamp":"1714557600","event":{"timestamp":"2024-05-01T10:00:00.123456+0000","flow_id":1234567890123456,"event_type":"alert","src_ip":"10.0.1.23","src_port":49152,"dest_ip":"203.0.113.80","dest_port":443,"proto":"TCP","app_proto":"tls","tls":{"sni":"pool.miner.example"},"alert":{"action":"blocked","signature_id":1000001,"rev":1,"signature":"Outbound TLS to a crypto mining pool","category":"Potential Corporate Privacy Violation","severity":1}}}"#,
    r#"{"firewall_name":"egress-fw","availability_zone":"us-east-1a","event_timestamp":"1714557601","event":{"timestamp":"2024-05-01T10:00:01.000000+0000","flow_id":1234567890123457,"event_type":"netflow","src_ip":"10.0.1.23","src_port":49153,"dest_ip":"198.51.100.9","dest_port":22,"proto":"TCP","netflow":{"pkts":12,"bytes":2048,"start":"2024-05-01T09:59:00.000000+0000","end":"2024-05-01T10:00:01.000000+0000","age":61,"min_ttl":63,"max_ttl":63}}}"#,
    r#"{"firewall_name":"egress-fw","availability_zone":"us-east-1a","event_timestamp":"1714557602","event":{"timestamp":"2024-05-01T10:00:02.000000+0000","src_ip":"10.0.1.23","src_port":49154,"dest_ip":"192.0.2.44","dest_port":443,"sni":"revoked.example","tls_error":{"error_message":"Revoked certificate"}}}"#,
];

/// Route 53 public DNS query log lines.
const ROUTE53_LINES: [&str; 2] = [
    "1.0 2024-05-01T10:10:00.000Z Z0123456789ABCDEFGHIJ www.example.com A NOERROR UDP FRA56-C1 192.0.2.53 198.51.100.0/24",
    "1.0 2024-05-01T10:10:01.500Z Z0123456789ABCDEFGHIJ x7f3kq9z.example.com TXT NXDOMAIN UDP FRA56-C1 192.0.2.53 -",
];

/// One rule per source, and one written for CloudTrail that names an envelope field (which an
/// unwrapped event does not have).
const RULES: &str = "\
title: gd crypto
logsource: {product: aws, service: guardduty}
detection:
  sel: {type|startswith: 'CryptoCurrency:'}
  condition: sel
---
title: ct stop logging
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventName: StopLogging}
  condition: sel
---
title: ct envelope field
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {detail-type: AWS API Call via CloudTrail}
  condition: sel
---
title: hub critical
logsource: {product: aws, service: securityhub}
detection:
  sel: {Severity.Label: CRITICAL, RecordState: ACTIVE}
  condition: sel
---
title: health exposed keys
logsource: {product: aws, service: eventbridge}
detection:
  sel: {detail.eventTypeCode: AWS_RISK_CREDENTIALS_EXPOSED}
  condition: sel
---
title: fw alert
logsource: {product: aws, service: networkfirewall}
detection:
  sel: {event.event_type: alert, event.alert.action: blocked}
  condition: sel
---
title: dns nxdomain
logsource: {product: aws, service: route53}
detection:
  sel: {rcode: NXDOMAIN}
  condition: sel
";

fn engine(prefilter: bool) -> Engine {
    let loaded = sigil_compiler::load_str("rules.yml".as_ref(), RULES, &Default::default());
    assert_eq!((loaded.refused, loaded.rules.len()), (0, 7));
    let options = ScanOptions {
        prefilter,
        ..ScanOptions::default()
    };
    Engine::new(loaded.rules, options)
}

/// The matches of a hunt over `inputs`, sorted, with its stats.
fn hunt(engine: &Engine, inputs: &[PathBuf]) -> (Vec<Value>, HuntStats) {
    let (mut matches, stats) = crate::support::hunt_matches(engine, inputs);
    matches.sort_by_key(|m| (m["rule"]["title"].to_string(), m["timestamp"].to_string()));
    (matches, stats)
}

/// Writes the example files into `dir`: every source, each as AWS delivers it.
fn write_examples(dir: &Path) -> Vec<PathBuf> {
    let cloudwatch = json!({
        "messageType": "DATA_MESSAGE", "owner": "111122223333",
        "logGroup": "/aws/route53/example.com", "logStream": "Z0123456789ABCDEFGHIJ/FRA56-C1",
        "subscriptionFilters": ["to-firehose"],
        "logEvents": [
            {"id": "1", "timestamp": 1714558200000u64, "message": ROUTE53_LINES[0]},
            {"id": "2", "timestamp": 1714558201500u64, "message": ROUTE53_LINES[1]},
            {"id": "3", "timestamp": 1714557603000u64, "message": HEALTH_EVENT},
            {"id": "4", "timestamp": 1714557603000u64, "message": FIREWALL_LINES[0]},
        ]
    });
    let batch = json!({
        "Findings": [finding("c", "CRITICAL", "2024-05-01T09:00:00.000Z"), finding("d", "HIGH", "2024-05-01T09:00:01.000Z")],
        "NextToken": null
    });
    let files = [
        (
            "eventbridge.jsonl",
            [
                GUARDDUTY_EVENT,
                CLOUDTRAIL_EVENT,
                &security_hub_event(),
                HEALTH_EVENT,
            ]
            .join("\n"),
        ),
        (
            "findings.json",
            serde_json::to_string_pretty(&batch).unwrap(),
        ),
        (
            "finding.jsonl",
            finding("e", "MEDIUM", "2024-05-01T08:00:00.000Z").to_string(),
        ),
        ("firewall.log", FIREWALL_LINES.join("\n")),
        ("dns.log", ROUTE53_LINES.join("\n")),
        (
            "dns-export.log",
            format!("2024-05-01T10:10:02.000Z {}", ROUTE53_LINES[1]),
        ),
        ("cloudwatch.json", cloudwatch.to_string()),
    ];
    files
        .into_iter()
        .map(|(name, text)| {
            let path = dir.join(name);
            std::fs::write(&path, text + "\n").unwrap();
            path
        })
        .collect()
}

#[test]
fn every_source_is_hunted_with_the_inner_events_fields_and_time() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = write_examples(dir.path());
    let (matches, stats) = hunt(&engine(true), &inputs);
    assert_eq!(stats.bad_records, 0);
    let titles: Vec<&str> = matches
        .iter()
        .map(|m| m["rule"]["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "ct stop logging",
            "dns nxdomain",
            "dns nxdomain",
            "dns nxdomain",
            "fw alert",
            "fw alert",
            "gd crypto",
            "health exposed keys",
            "health exposed keys",
            "hub critical",
            "hub critical",
        ],
        "{matches:#?}"
    );
    let by_title = |title: &str| -> Vec<&Value> {
        matches
            .iter()
            .filter(|m| m["rule"]["title"] == title)
            .collect()
    };
    // The CloudTrail record is the event's detail: its own time, not the envelope's, and no
    // envelope member (so the rule naming `detail-type` never matched).
    let stop = by_title("ct stop logging")[0];
    assert_eq!(stop["timestamp"], "2024-05-01T10:00:01Z");
    assert_eq!(stop["event"]["userIdentity"]["userName"], "mallory");
    assert!(stop["event"].get("detail-type").is_none());
    let crypto = by_title("gd crypto")[0];
    assert_eq!(crypto["timestamp"], "2024-05-01T10:04:00Z");
    assert_eq!(crypto["event"]["resource"]["resourceType"], "Instance");
    // Security Hub: one from EventBridge, one from the batch; each the finding itself.
    let hub: Vec<(&Value, &Value)> = by_title("hub critical")
        .iter()
        .map(|m| (&m["event"]["Id"], &m["timestamp"]))
        .collect();
    assert_eq!(
        hub,
        [
            (&json!("c"), &json!("2024-05-01T09:00:00Z")),
            (&json!("a"), &json!("2024-05-01T10:59:00Z"))
        ]
    );
    // An event no source reads is the whole event, with its own time.
    let health = by_title("health exposed keys");
    assert_eq!(health[0]["event"]["source"], "aws.health");
    assert_eq!(health[0]["timestamp"], "2024-05-01T12:00:00Z");
    // From the S3 file and from the CloudWatch subscription, alike.
    for alert in by_title("fw alert") {
        assert_eq!(alert["timestamp"], "2024-05-01T10:00:00Z");
        assert_eq!(alert["event"]["firewall_name"], "egress-fw");
    }
    // Route 53: from the text file, the export, and the CloudWatch subscription.
    for dns in by_title("dns nxdomain") {
        assert_eq!(dns["event"]["query_name"], "x7f3kq9z.example.com");
        assert_eq!(dns["timestamp"], "2024-05-01T10:10:01.5Z");
        assert!(dns["event"].get("logGroup").is_none());
    }
    let per_source = |source: RecordSource| stats.records_per_source[source as usize];
    assert_eq!(per_source(RecordSource::GuardDuty), 1);
    assert_eq!(per_source(RecordSource::CloudTrail), 1);
    assert_eq!(per_source(RecordSource::SecurityHub), 5);
    assert_eq!(per_source(RecordSource::EventBridge), 2);
    assert_eq!(per_source(RecordSource::NetworkFirewall), 4);
    assert_eq!(per_source(RecordSource::Route53), 5);
    assert_eq!(per_source(RecordSource::CloudWatch), 0);
    assert_eq!(per_source(RecordSource::Unknown), 0);
}

#[test]
fn prefilter_on_and_off_agree() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = write_examples(dir.path());
    let (on, on_stats) = hunt(&engine(true), &inputs);
    let (off, off_stats) = hunt(&engine(false), &inputs);
    assert_eq!(on, off);
    assert!(!on.is_empty());
    assert_eq!(on_stats.records_per_source, off_stats.records_per_source);
}

#[test]
fn files_are_recognised_from_their_content() {
    assert_eq!(
        detect_envelope(GUARDDUTY_EVENT.as_bytes()),
        Some(Envelope::EventBridge)
    );
    assert_eq!(
        detect_envelope(b"{\n  \"Findings\": [\n    {\"SchemaVersion\": \"2018-10-08\"}]}"),
        Some(Envelope::SecurityHub)
    );
    let dns = ROUTE53_LINES.join("\n");
    assert_eq!(detect(None, dns.as_bytes()).unwrap().name(), "route53");
    for json in [FIREWALL_LINES[0], GUARDDUTY_EVENT] {
        assert_eq!(detect(None, json.as_bytes()), None);
    }
}

/// A broken finding list fails its event alone; the next event is still read.
#[test]
fn a_broken_event_is_reported_and_the_rest_read() {
    let dir = tempfile::tempdir().unwrap();
    let broken = security_hub_event().replace(r#""findings":["#, r#""findings":[1,"#);
    let path = dir.path().join("eventbridge.jsonl");
    std::fs::write(&path, format!("{broken}\n{CLOUDTRAIL_EVENT}\n")).unwrap();
    let (matches, stats) = hunt(&engine(true), &[path]);
    assert_eq!(stats.bad_records, 1);
    assert_eq!(matches.len(), 1);
    assert_eq!(matches[0]["rule"]["title"], "ct stop logging");
    let mut records = Records::default();
    let error = Envelope::EventBridge
        .expand(broken.as_bytes(), &mut records)
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "EventBridge envelope: a finding is not an object"
    );
}

/// Every prefix of every envelope written here expands or fails with a reason, never panics,
/// and when the prefix is valid JSON so is every record it gives.
#[test]
fn truncated_envelopes_never_panic() {
    let batch = json!({"Findings": [finding("c", "HIGH", "2024-05-01T09:00:00.000Z")]}).to_string();
    let cases = [
        (Envelope::EventBridge, security_hub_event()),
        (Envelope::EventBridge, CLOUDTRAIL_EVENT.to_owned()),
        (Envelope::SecurityHub, batch),
    ];
    let mut records = Records::default();
    for (envelope, text) in cases {
        for end in 0..=text.len() {
            let prefix = &text.as_bytes()[..end];
            records.clear();
            let expanded = envelope.expand(prefix, &mut records);
            if expanded.is_ok() && serde_json::from_slice::<Value>(prefix).is_ok() {
                for record in records.iter() {
                    serde_json::from_slice::<Value>(record).unwrap();
                }
            }
        }
    }
}

/// EventBridge events saved as one JSON array (as test fixtures and `jq -s` write them) are
/// unwrapped as when they come one per line.
#[test]
fn an_array_of_events_is_unwrapped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.json");
    let array = format!("[\n  {GUARDDUTY_EVENT},\n  {CLOUDTRAIL_EVENT}\n]\n");
    std::fs::write(&path, array).unwrap();
    let (matches, stats) = hunt(&engine(true), &[path]);
    let titles: Vec<&Value> = matches.iter().map(|m| &m["rule"]["title"]).collect();
    assert_eq!(titles, [&json!("ct stop logging"), &json!("gd crypto")]);
    assert_eq!(
        stats.records_per_source[RecordSource::EventBridge as usize],
        0
    );
}
