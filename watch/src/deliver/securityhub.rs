//! The Security Hub sink (`--security-hub`): one ASFF finding per match, imported with
//! `BatchImportFindings` (see [`sigil_aws::securityhub`]).
//!
//! [`finding`] makes the finding from the alert's match record (the README's contract):
//!
//! | ASFF | from |
//! |---|---|
//! | `Id` | the match id (a retry imports the same finding again, which updates it) |
//! | `GeneratorId` | the rule's `id` (its title when it has none) |
//! | `Title`, `Description` | the rule's title; what matched where (record and input, or a correlation's group, window and aggregate) |
//! | `Severity.Label` | the rule's level: `informational` → `INFORMATIONAL` … `critical` → `CRITICAL` (no level: `INFORMATIONAL`) |
//! | `Types` | the rule's ATT&CK tactic tags as `TTPs/<Tactic>` (`attack.defense-evasion` → `TTPs/Defense Evasion`); without any, `Unusual Behaviors/Sigma Rule Match` |
//! | `CreatedAt`, `UpdatedAt` | the event's time (a correlation's window end); the time of delivery when the event has none |
//! | `FirstObservedAt`, `LastObservedAt` | the event's time, or the correlation's window |
//! | `Resources` | the ARNs a CloudTrail event lists in `resources`, the S3 object the event came from (`AwsS3Object`), the event's account (`AwsAccount`, `AWS::::Account:<id>`); at least one: the input's name as `Other` |
//! | `ProductFields` | `sigil/match/id`, `sigil/rule/path`, `sigil/rule/level`, `sigil/source/path`, `sigil/source/record`, `sigil/event/account`, `sigil/event/region` |
//!
//! `AwsAccountId` is the account of the product findings are imported under (Security Hub
//! takes no other from a default product), so the event's own account is among the
//! resources. A batch Security Hub does not take in full (a call failing, or findings in
//! its `FailedFindings`) is tried again with backoff until it is: the watcher waits
//! meanwhile, nothing is committed past the batch, and each failure is reported with the
//! finding's id and Security Hub's reason.

use super::{Publish, Published, Publishing};
use crate::alert::{ACCOUNT_FIELDS, Alert, REGION_FIELDS, event_text};
use serde_json::Value;
use sigil_aws::securityhub::{Finding, FindingResource, SecurityHubPublisher};

/// Security Hub as a sink.
pub type SecurityHub = Published<SecurityHubPublisher>;

impl Publish for SecurityHubPublisher {
    fn name(&self) -> String {
        format!("securityhub {}", self.product_arn())
    }

    fn publish<'a>(&'a self, alerts: &'a [Alert]) -> Publishing<'a> {
        let findings: Vec<Finding> = alerts.iter().map(finding).collect();
        Box::pin(async move { SecurityHubPublisher::publish(self, &findings).await })
    }
}

/// The ASFF finding of an alert (see the module docs).
pub fn finding(alert: &Alert) -> Finding {
    let record: Value = serde_json::from_str(&alert.json).unwrap_or_default();
    let rule = &record["rule"];
    let text = |value: &Value| value.as_str().map(String::from);
    let title = text(&rule["title"]).unwrap_or_else(|| alert.rule.clone());
    let level = text(&rule["level"]);
    let event = &record["event"];
    let account = event_text(event, ACCOUNT_FIELDS);
    let region = event_text(event, REGION_FIELDS);
    let source = text(&record["source"]["path"]);
    let (first_seen, last_seen, description) = match record.get("window") {
        Some(window) => (
            text(&window["start"]),
            text(&window["end"]),
            correlation_description(&title, &record),
        ),
        None => (
            text(&record["timestamp"]),
            text(&record["timestamp"]),
            format!(
                "Sigma rule `{title}` matched record {} of {}.",
                record["source"]["record"],
                source.as_deref().unwrap_or("an input")
            ),
        ),
    };
    let mut product_fields = vec![("sigil/match/id".to_string(), alert.id.clone())];
    let mut field = |name: &str, value: Option<String>| {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            product_fields.push((format!("sigil/{name}"), value));
        }
    };
    field("rule/path", text(&rule["path"]));
    field("rule/level", level.clone());
    field("source/path", source.clone());
    field(
        "source/record",
        record["source"]["record"].as_u64().map(|n| n.to_string()),
    );
    field("event/account", account.clone());
    field("event/region", region.clone());
    Finding {
        id: alert.id.clone(),
        generator_id: text(&rule["id"]).unwrap_or_else(|| title.clone()),
        types: types(rule["tags"].as_array().map_or(&[][..], Vec::as_slice)),
        created_at: last_seen
            .clone()
            .unwrap_or_else(|| jiff::Timestamp::now().to_string()),
        first_observed_at: first_seen,
        last_observed_at: last_seen,
        severity: severity(level.as_deref()),
        title,
        description,
        resources: resources(event, source.as_deref(), account.as_deref(), region),
        product_fields,
    }
}

/// The description of a correlation match: its aggregate, group and number of events.
fn correlation_description(title: &str, record: &Value) -> String {
    let aggregate = &record["aggregate"];
    format!(
        "Sigma correlation `{title}`: {} {} over {} events of group {}, {} to {}.",
        aggregate["type"].as_str().unwrap_or("aggregate"),
        aggregate["value"],
        record["events"]["count"],
        record["group"],
        record["window"]["start"].as_str().unwrap_or("?"),
        record["window"]["end"].as_str().unwrap_or("?"),
    )
}

/// The ASFF severity label of a Sigma level.
fn severity(level: Option<&str>) -> &'static str {
    match level {
        Some("low") => "LOW",
        Some("medium") => "MEDIUM",
        Some("high") => "HIGH",
        Some("critical") => "CRITICAL",
        _ => "INFORMATIONAL",
    }
}

/// ASFF types from Sigma tags: each ATT&CK tactic (`attack.credential-access`) as
/// `TTPs/Credential Access`; without any, `Unusual Behaviors/Sigma Rule Match`.
fn types(tags: &[Value]) -> Vec<String> {
    let mut types: Vec<String> = tags
        .iter()
        .filter_map(|tag| tag.as_str()?.strip_prefix("attack."))
        // Techniques, groups and software (`t1562.008`, `g0016`, `s0002`) have digits.
        .filter(|name| !name.is_empty() && !name.chars().any(|c| c.is_ascii_digit()))
        .map(|tactic| {
            let words: Vec<String> = tactic
                .split(['-', '_'])
                .map(|word| match word {
                    "and" => word.to_string(),
                    _ => word[..1].to_uppercase() + &word[1..],
                })
                .collect();
            format!("TTPs/{}", words.join(" "))
        })
        .collect();
    types.dedup();
    if types.is_empty() {
        types.push("Unusual Behaviors/Sigma Rule Match".into());
    }
    types
}

/// The resources of a finding (see the module docs), at most 32 (Security Hub's limit).
fn resources(
    event: &Value,
    source: Option<&str>,
    account: Option<&str>,
    region: Option<String>,
) -> Vec<FindingResource> {
    let resource = |kind: &str, id: String| FindingResource {
        kind: kind.into(),
        id,
        region: region.clone(),
    };
    let mut out: Vec<FindingResource> = event["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["ARN"].as_str())
        .map(|arn| resource("Other", arn.to_string()))
        .collect();
    if let Some(object) = source.and_then(|s| s.strip_prefix("s3://")) {
        out.push(resource("AwsS3Object", format!("arn:aws:s3:::{object}")));
    }
    if let Some(account) = account {
        out.push(resource("AwsAccount", format!("AWS::::Account:{account}")));
    }
    if out.is_empty() {
        out.push(resource("Other", source.unwrap_or("sigil").to_string()));
    }
    out.truncate(32);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(json: &str) -> Alert {
        Alert {
            id: "0123".into(),
            json: json.into(),
            subject: String::new(),
            rule: "fallback".into(),
        }
    }

    #[test]
    fn a_cloudtrail_match_names_its_rule_level_tactics_and_resources() {
        let f = finding(&alert(
            r#"{"id":"0123","rule":{"id":"r-1","title":"Trail stopped","level":"high",
            "tags":["attack.defense-evasion","attack.t1562.008","attack.command-and-control"],
            "path":"rules/stop.yml"},"timestamp":"2026-11-02T10:00:00Z",
            "source":{"path":"s3://trail/AWSLogs/a.json.gz","record":17},
            "event":{"recipientAccountId":"111122223333","awsRegion":"eu-west-1",
            "resources":[{"ARN":"arn:aws:cloudtrail:eu-west-1:111122223333:trail/t"}]}}"#,
        ));
        assert_eq!((f.generator_id.as_str(), f.severity), ("r-1", "HIGH"));
        assert_eq!(
            f.types,
            ["TTPs/Defense Evasion", "TTPs/Command and Control"]
        );
        assert_eq!(f.created_at, "2026-11-02T10:00:00Z");
        let ids: Vec<(&str, &str)> = f
            .resources
            .iter()
            .map(|r| (r.kind.as_str(), r.id.as_str()))
            .collect();
        assert_eq!(
            ids,
            [
                ("Other", "arn:aws:cloudtrail:eu-west-1:111122223333:trail/t"),
                ("AwsS3Object", "arn:aws:s3:::trail/AWSLogs/a.json.gz"),
                ("AwsAccount", "AWS::::Account:111122223333"),
            ]
        );
        assert!(
            f.resources
                .iter()
                .all(|r| r.region.as_deref() == Some("eu-west-1"))
        );
        assert!(
            f.description
                .contains("record 17 of s3://trail/AWSLogs/a.json.gz")
        );
        assert!(
            f.product_fields
                .contains(&("sigil/source/record".into(), "17".into()))
        );
    }

    #[test]
    fn a_correlation_without_level_or_tags_still_has_a_type_and_a_resource() {
        let f = finding(&alert(
            r#"{"id":"0123","rule":{"id":null,"title":"Burst","level":null,"tags":[],"path":"c.yml"},
            "group":{"c-ip":"45.141.32.55"},
            "window":{"start":"2026-10-01T00:43:45Z","end":"2026-10-01T00:44:36Z"},
            "aggregate":{"type":"event_count","value":40},"events":{"count":40,"first":[]}}"#,
        ));
        assert_eq!(
            (f.generator_id.as_str(), f.severity),
            ("Burst", "INFORMATIONAL")
        );
        assert_eq!(f.types, ["Unusual Behaviors/Sigma Rule Match"]);
        assert_eq!(f.first_observed_at.as_deref(), Some("2026-10-01T00:43:45Z"));
        assert_eq!(f.created_at, "2026-10-01T00:44:36Z");
        assert_eq!(f.resources.len(), 1);
        assert_eq!(f.resources[0].kind, "Other");
        assert!(f.description.contains("event_count 40 over 40 events"));
    }
}
