//! Records made for the cases a converter gets wrong first: correlations at the edges of
//! their windows, and each of Sigil's semantic points (DESIGN §2).

use super::{Check, check, rules_with_matches, run_harness, sigil, text};
use std::path::Path;

/// 2026-10-01T00:00:00Z in seconds since the epoch.
const DAY_START: i64 = 1_790_812_800;

/// The base rules and correlations of [`windows_proof`]: every correlation type the converter
/// takes, with ranges, `lt` conditions (whose peak is the smallest value), no group-by, and
/// aliases left out (the bundled pack has them).
const WINDOW_RULES: &str = r#"
title: Probe
name: probe
logsource: {product: aws, service: cloudtrail}
detection: {sel: {eventName: Probe}, condition: sel}
---
title: Login
name: login
logsource: {product: aws, service: cloudtrail}
detection: {sel: {eventName: Login}, condition: sel}
---
title: Accepted flow
name: accepted
logsource: {product: aws, service: vpcflow}
detection: {sel: {action: ACCEPT}, condition: sel}
---
title: event_count gte 3
id: 00000000-0000-4000-8000-000000000001
correlation: {type: event_count, rules: [probe], group-by: [sourceIPAddress], timespan: 10s, condition: {gte: 3}}
---
title: event_count lt 2
id: 00000000-0000-4000-8000-000000000002
correlation: {type: event_count, rules: [probe], group-by: [sourceIPAddress], timespan: 10s, condition: {lt: 2}}
---
title: event_count from 2 to 3
id: 00000000-0000-4000-8000-000000000003
correlation: {type: event_count, rules: [probe], group-by: [sourceIPAddress], timespan: 10s, condition: {gte: 2, lte: 3}}
---
title: event_count eq 2, no group
id: 00000000-0000-4000-8000-000000000004
correlation: {type: event_count, rules: [probe, login], timespan: 10s, condition: {eq: 2}}
---
title: value_count of users
id: 00000000-0000-4000-8000-000000000005
correlation: {type: value_count, rules: [probe], group-by: [sourceIPAddress], timespan: 10s, condition: {field: userIdentity.userName, gte: 2}}
---
title: temporal probe and login
id: 00000000-0000-4000-8000-000000000006
correlation: {type: temporal, rules: [probe, login], group-by: [sourceIPAddress], timespan: 10s}
---
title: value_sum of bytes
id: 00000000-0000-4000-8000-000000000007
correlation: {type: value_sum, rules: [accepted], group-by: [srcaddr], timespan: 60s, condition: {field: bytes, gt: 1000}}
---
title: value_avg of bytes
id: 00000000-0000-4000-8000-000000000008
correlation: {type: value_avg, rules: [accepted], group-by: [srcaddr], timespan: 60s, condition: {field: bytes, gte: 550}}
---
title: value_percentile of bytes
id: 00000000-0000-4000-8000-000000000009
correlation: {type: value_percentile, rules: [accepted], group-by: [srcaddr], timespan: 60s, condition: {field: bytes, percentile: 50, gte: 600}}
---
title: value_percentile 95 under 1000
id: 00000000-0000-4000-8000-000000000010
correlation: {type: value_percentile, rules: [accepted], group-by: [srcaddr], timespan: 60s, condition: {field: bytes, percentile: 95, lt: 1000}}
---
title: temporal_ordered probe then login
id: 00000000-0000-4000-8000-000000000011
correlation: {type: temporal_ordered, rules: [probe, login], group-by: [sourceIPAddress], timespan: 10s}
---
title: temporal_ordered login, probe, probe, no group
id: 00000000-0000-4000-8000-000000000012
correlation: {type: temporal_ordered, rules: [login, probe, probe], timespan: 10s, condition: {gte: 2}}
"#;

/// CloudTrail events for [`windows_proof`]: (seconds after the day's start, source address or
/// none, event name, user).
const WINDOW_EVENTS: &[(f64, Option<&str>, &str, &str)] = &[
    // The correlator's documented example: windows ending at 0 4 9 10 30.
    (0.0, Some("10.0.0.1"), "Probe", "alice"),
    (4.0, Some("10.0.0.1"), "Probe", "bob"),
    (9.0, Some("10.0.0.1"), "Probe", "alice"),
    (10.0, Some("10.0.0.1"), "Probe", "carol"),
    (30.0, Some("10.0.0.1"), "Probe", "bob"),
    // Exactly one timespan apart: both ends are inside a window.
    (0.0, Some("10.0.0.2"), "Probe", "dave"),
    (10.0, Some("10.0.0.2"), "Probe", "dave"),
    (20.0, Some("10.0.0.2"), "Login", "dave"),
    (31.0, Some("10.0.0.2"), "Probe", "erin"),
    (41.0, Some("10.0.0.2"), "Login", "erin"),
    // Events of the same time are all in the window that ends there.
    (5.0, Some("10.0.0.3"), "Probe", "frank"),
    (5.0, Some("10.0.0.3"), "Probe", "grace"),
    (5.0, Some("10.0.0.3"), "Probe", "frank"),
    (16.0, Some("10.0.0.3"), "Probe", "heidi"),
    // No source address: one group of its own.
    (1.0, None, "Probe", "ivan"),
    (2.0, None, "Probe", "judy"),
    // Login before probe.
    (3.0, Some("10.0.0.5"), "Login", "mallory"),
    (8.0, Some("10.0.0.5"), "Probe", "mallory"),
    // Fractions of a second, a microsecond past the timespan.
    (100.5, Some("10.0.0.6"), "Probe", "niaj"),
    (110.5, Some("10.0.0.6"), "Probe", "olivia"),
    (110.500001, Some("10.0.0.6"), "Probe", "peggy"),
    (120.500002, Some("10.0.0.6"), "Probe", "olivia"),
];

/// VPC flows for [`windows_proof`]: (start second, source address, bytes or `-`, action).
const WINDOW_FLOWS: &[(i64, &str, &str, &str)] = &[
    (0, "10.1.0.1", "500", "ACCEPT"),
    (30, "10.1.0.1", "600", "ACCEPT"),
    (59, "10.1.0.1", "700", "ACCEPT"),
    (0, "10.1.0.2", "2000", "ACCEPT"),
    (61, "10.1.0.2", "1", "ACCEPT"),
    (10, "10.1.0.2", "5000", "REJECT"),
    (20, "10.1.0.3", "-", "ACCEPT"),
    (40, "10.1.0.3", "900", "ACCEPT"),
];

/// Writes [`WINDOW_EVENTS`] and [`WINDOW_FLOWS`] in `dir`; returns the sources.
fn window_data(dir: &Path) -> Vec<(&'static str, String)> {
    // One CloudTrail envelope, as in the S3 layout, which every target's table reads.
    let mut records = Vec::new();
    for (i, (second, address, name, user)) in WINDOW_EVENTS.iter().enumerate() {
        let whole = second.floor() as i64;
        let micros = ((second - second.floor()) * 1e6).round() as i64;
        let time = jiff::Timestamp::from_second(DAY_START + whole).unwrap()
            + jiff::SignedDuration::from_micros(micros);
        let mut record = serde_json::json!({
            "eventVersion": "1.08",
            "eventSource": "test.amazonaws.com",
            "eventName": name,
            "eventTime": time.to_string(),
            "eventID": format!("event-{i}"),
            "userIdentity": {"type": "IAMUser", "userName": user},
        });
        if let Some(address) = address {
            record["sourceIPAddress"] = (*address).into();
        }
        records.push(record);
    }
    let mut flows = String::from(
        "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n",
    );
    for (second, address, bytes, action) in WINDOW_FLOWS {
        let start = DAY_START + second;
        flows.push_str(&format!(
            "2 111122223333 eni-0a1 {address} 10.2.0.1 443 50000 6 3 {bytes} {start} {} {action} OK\n",
            start + 5
        ));
    }
    let events = serde_json::json!({ "Records": records }).to_string();
    let (trail, flow_log) = (dir.join("trail/events.json"), dir.join("flows/flows.log"));
    for (path, content) in [(&trail, events), (&flow_log, flows)] {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    vec![
        ("cloudtrail", text(&trail).to_string()),
        ("vpcflow", text(&flow_log).to_string()),
    ]
}

/// Correlations of every type on events placed at the edges of their windows (one timespan
/// apart, at the same time, a microsecond past, without a group value): the queries must give
/// Sigil's groups, windows, values and event counts.
pub fn windows_proof(target: &str) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let sources = window_data(&data);
    let rules = dir.path().join("rules.yml");
    std::fs::write(&rules, WINDOW_RULES).unwrap();
    let queries = sigil(&[
        "convert",
        "--target",
        target,
        "--format",
        "jsonl",
        "-r",
        text(&rules),
    ]);
    let hunt = sigil(&["hunt", "--format", "jsonl", "-r", text(&rules), text(&data)]);
    let report = check(Check {
        target,
        sources: &sources,
        queries: vec![queries],
        hunts: vec![hunt],
        services: None,
        kind: Some("correlation"),
        references: Vec::new(),
    });
    let fired = rules_with_matches(&report);
    assert_eq!(fired, 12, "every correlation should fire on these events");
}

/// A `temporal_ordered` correlation whose events of one group at one time matched different
/// rules (Sigil takes them in input order, which a table does not hold): its query must stop
/// with an error saying so, never answer for some order; the same events without the tie are
/// answered as Sigil answers them.
pub fn ordered_ties_proof(target: &str) {
    let dir = tempfile::tempdir().unwrap();
    let trail = dir.path().join("trail/events.jsonl");
    std::fs::create_dir_all(trail.parent().unwrap()).unwrap();
    let rules = dir.path().join("rules.yml");
    std::fs::write(&rules, ORDERED_RULES).unwrap();
    let run = |login_second: u32| {
        let events: String = [("Probe", 0), ("Login", login_second)]
            .iter()
            .enumerate()
            .map(|(i, (name, second))| {
                format!(
                    "{{\"eventVersion\":\"1.08\",\"eventSource\":\"test.amazonaws.com\",\"eventName\":\"{name}\",\
                     \"eventTime\":\"2026-10-01T00:00:{second:02}Z\",\"eventID\":\"tie-{i}\",\"sourceIPAddress\":\"10.0.0.9\"}}\n"
                )
            })
            .collect();
        std::fs::write(&trail, events).unwrap();
        let queries = sigil(&[
            "convert",
            "--target",
            target,
            "--format",
            "jsonl",
            "-r",
            text(&rules),
        ]);
        let hunt = sigil(&[
            "hunt",
            "--format",
            "jsonl",
            "-r",
            text(&rules),
            text(&trail),
        ]);
        run_harness(Check {
            target,
            sources: &[("cloudtrail", text(&trail).to_string())],
            queries: vec![queries],
            hunts: vec![hunt],
            services: None,
            kind: Some("correlation"),
            references: Vec::new(),
        })
    };
    let (report, same) = run(1);
    assert!(same && rules_with_matches(&report) == 1, "{report}");
    let (report, same) = run(0);
    let error = report["rules"][0]["error"].as_str().unwrap_or_default();
    assert!(
        !same && error.contains("events of one group at the same time matched different rules"),
        "{report}"
    );
}

/// The rules of [`ordered_ties_proof`].
const ORDERED_RULES: &str = r#"
title: Probe
name: probe
logsource: {product: aws, service: cloudtrail}
detection: {sel: {eventName: Probe}, condition: sel}
---
title: Login
name: login
logsource: {product: aws, service: cloudtrail}
detection: {sel: {eventName: Login}, condition: sel}
---
title: probe then login
id: 00000000-0000-4000-8000-000000000021
correlation: {type: temporal_ordered, rules: [probe, login], group-by: [sourceIPAddress], timespan: 10s}
"#;

/// CloudTrail records for [`semantics_proof`], as JSON text (some spell characters with JSON
/// escapes on purpose), each with its `eventID`.
const SEMANTICS_RECORDS: &[&str] = &[
    r#"{"eventID":"kelvin","userAgent":"\u212Aey-tool","sourceIPAddress":"10.1.2.3"}"#,
    r#"{"eventID":"dotted-i","userAgent":"\u0130stanbul","sourceIPAddress":"010.1.2.3"}"#,
    r#"{"eventID":"ecole","userAgent":"\u00c9COLE","sourceIPAddress":"FD00::1"}"#,
    r#"{"eventID":"wildcards","userAgent":"a*b?c\\d","sourceIPAddress":"fd00:0:0:0:0:0:0:1"}"#,
    r#"{"eventID":"escaped","userAgent":"\u0041BC x/tool","sourceIPAddress":"::1","errorCode":"AccessDenied"}"#,
    r#"{"eventID":"digit","userAgent":"tool-\u0663","sourceIPAddress":"::ffff:10.1.2.3"}"#,
    r#"{"eventID":"one-char","userAgent":"\u00e9-x","eventName":"stoplogging"}"#,
    r#"{"eventID":"numbers","eventName":"StopLogging","requestParameters":{"port":443,"portText":"443.0","size":"1e3","enabled":true,"userName":"bob","note":null}}"#,
    r#"{"eventID":"arrays","requestParameters":{"items":[{"name":"a"},{"name":"target"}],"matrix":[[{"v":"deep"}]],"a.b":"dotted"}}"#,
    r#"{"eventID":"policy","requestParameters":{"policy":"{\"Effect\":\"Allow\"}","user":{"name":"bob"}},"userIdentity":{"type":"IAMUser","userName":"Bob"}}"#,
    r#"{"eventID":"fieldref","requestParameters":{"userName":"BOB"},"userIdentity":{"userName":"bob","type":"Root"},"readOnly":true}"#,
    r#"{"eventID":"plain","userAgent":"plain","readOnly":false,"resources":[{"ARN":"arn:aws:s3:::bucket","type":"AWS::S3::Bucket"}]}"#,
];

/// One rule per semantic point on [`SEMANTICS_RECORDS`], with the number of records Sigil
/// matches (the queries must match the same records).
const SEMANTICS_RULES: &[(&str, &str, u64)] = &[
    ("kelvin is not k", "userAgent|contains: key", 0),
    ("dotted I is not i", "userAgent|startswith: i", 0),
    ("non-ASCII folds", "userAgent: école", 1),
    ("escaped wildcards", r"userAgent: 'a\*b\?c\\d'", 1),
    ("JSON escapes", "userAgent|startswith: abc", 1),
    ("unicode digit", r"userAgent|re: 'tool-\d'", 1),
    ("regex i folds kelvin", "userAgent|re|i: '^k'", 1),
    ("question mark", "userAgent: '?-x'", 1),
    ("cased", "eventName|cased: StopLogging", 1),
    ("cidr v4", "sourceIPAddress|cidr: 10.0.0.0/8", 1),
    ("cidr v6", "sourceIPAddress|cidr: 'fc00::/7'", 2),
    ("json number", "requestParameters.port: 443", 1),
    ("json number text", "requestParameters.port: '443.0'", 1),
    (
        "no startswith on numbers",
        "requestParameters.port|startswith: '44'",
        0,
    ),
    ("numeric string", "requestParameters.portText: 443", 1),
    ("compare a string", "requestParameters.size|gte: 1000", 1),
    ("json boolean", "requestParameters.enabled: 'true'", 1),
    (
        "no contains on booleans",
        "requestParameters.enabled|contains: ru",
        0,
    ),
    ("json null exists", "requestParameters.note|exists: true", 1),
    ("json null is null", "requestParameters.note: null", 12),
    (
        "keys are not searched",
        "requestParameters|contains: username",
        0,
    ),
    ("array walk", "requestParameters.items.name: target", 1),
    ("nested arrays", "requestParameters.matrix.v: deep", 1),
    ("dotted key", "requestParameters.a.b: dotted", 1),
    (
        "contains in JSON text",
        r#"requestParameters|contains: '"Allow"'"#,
        1,
    ),
    ("object search", "requestParameters|contains: bob", 3),
    (
        "fieldref",
        "requestParameters.userName|fieldref: userIdentity.userName",
        1,
    ),
    ("all", "userAgent|contains|all: [tool, x/]", 1),
    ("windash", "userAgent|windash|contains: '-tool'", 1),
    ("boolean column", "readOnly: 'false'", 1),
    ("array of structs", "resources.ARN|endswith: ':bucket'", 1),
    ("struct member", "userIdentity.type: root", 1),
    ("absent is null", "errorCode: null", 11),
    ("neq", "userAgent|neq: plain", 11),
];

/// Every semantic point of DESIGN §2 on records made for it (case folding outside ASCII,
/// escapes, numbers, booleans, nulls, arrays, dotted keys, JSON text, regex classes, CIDR
/// spellings, field references...): the queries must match exactly the records Sigil matches.
pub fn semantics_proof(target: &str) {
    let dir = tempfile::tempdir().unwrap();
    let records: String = SEMANTICS_RECORDS
        .iter()
        .map(|r| {
            // CloudTrail's recognisable fields, and a time.
            let fill = r#"{"eventVersion":"1.08","eventSource":"test.amazonaws.com","eventTime":"2026-10-01T00:00:00Z","#;
            format!("{fill}{}\n", &r[1..])
        })
        .collect();
    let trail = dir.path().join("trail/records.jsonl");
    std::fs::create_dir_all(trail.parent().unwrap()).unwrap();
    std::fs::write(&trail, records).unwrap();
    let rules: Vec<String> = SEMANTICS_RULES
        .iter()
        .enumerate()
        .map(|(i, (title, selection, _))| {
            format!(
                "title: {title}\nid: 00000000-0000-4000-9000-{i:012}\nlogsource: {{product: aws, service: cloudtrail}}\n\
                 detection:\n  selection:\n    {selection}\n  condition: selection\n"
            )
        })
        .collect();
    let rules_file = dir.path().join("rules.yml");
    std::fs::write(&rules_file, rules.join("---\n")).unwrap();
    let queries = sigil(&[
        "convert",
        "--target",
        target,
        "--format",
        "jsonl",
        "-r",
        text(&rules_file),
    ]);
    assert!(
        !queries.contains(r#""error""#),
        "every rule converts: {queries}"
    );
    let hunt = sigil(&[
        "hunt",
        "--format",
        "jsonl",
        "-r",
        text(&rules_file),
        text(&trail),
    ]);
    let report = check(Check {
        target,
        sources: &[("cloudtrail", text(&trail).to_string())],
        queries: vec![queries],
        hunts: vec![hunt],
        services: None,
        kind: None,
        references: Vec::new(),
    });
    let matched = rules_with_matches(&report);
    assert!(
        matched >= 25,
        "most points should match some record, not {matched}"
    );
}
