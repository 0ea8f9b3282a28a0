//! `--format ocsf`: each match as an OCSF Detection Finding, one JSON object per line.
//!
//! The schema followed is **OCSF 1.3.0**, class Detection Finding (`class_uid` 2004, category
//! Findings, `category_uid` 2), activity Create (`activity_id` 1, so `type_uid` 200401). A
//! finding says what the match record (the README's JSONL contract) says, field by field:
//!
//! | OCSF | from |
//! |---|---|
//! | `time` | the event's time in epoch milliseconds (a correlation: its window's end; no time: when it was written) |
//! | `severity_id`, `severity` | the rule's level: informational 1, low 2, medium 3, high 4, critical 5; no level 0 (Unknown) |
//! | `status_id`, `status` | 1, New |
//! | `message` | the rule's title |
//! | `metadata` | `version` 1.3.0; `product` `{name: Sigil, vendor_name: Sigil, version}` |
//! | `finding_info.uid` | the match id, as `sigil watch` makes it (rule, input, record; a correlation: rule, group, window start) |
//! | `finding_info.title`, `desc` | the rule's title and description |
//! | `finding_info.analytic` | `{name: title, uid: rule id, type_id: 1, type: Rule}` |
//! | `finding_info.types` | the rule's tags (`attack.t1562.008`...) |
//! | `finding_info.first_seen_time`, `last_seen_time` | the event's time, or the correlation's window |
//! | `cloud` | `{provider: AWS, account: {uid}, region}` when the event names an account or a region |
//! | `raw_data` | the matched event, its original text on one line (a text log: the JSON object of its fields) |
//! | `start_time`, `end_time`, `count` | a correlation's window and number of events |
//! | `unmapped.sigil` | what OCSF has no attribute for: the rule's file and level, the `source` (input and record), and a correlation's `group`, `window`, `aggregate` and first `events` |
//!
//! A correlation match is a finding of its own (the correlation rule is the analytic) whose
//! evidence is summarised, not embedded: its group, window and aggregate, and where its first
//! events are; those events' own findings come with them when the base rules have
//! `generate: true`.
//!
//! ```json
//! {"activity_id":1,"category_uid":2,"class_uid":2004,"type_uid":200401,"severity_id":4,
//!  "time":1793613600000,"metadata":{"version":"1.3.0","product":{"name":"Sigil",…}},
//!  "finding_info":{"uid":"5f0c…","title":"CloudTrail logging stopped",
//!                  "analytic":{"name":"CloudTrail logging stopped","uid":"6c3e…","type_id":1,"type":"Rule"},…},
//!  "cloud":{"provider":"AWS","account":{"uid":"111122223333"},"region":"us-east-1"},
//!  "raw_data":"{\"eventName\":\"StopLogging\",…}","unmapped":{"sigil":{…}}}
//! ```

use serde_json::{Value, json};
use sigil_compiler::{Rule, RuleSet};
use sigil_engine::correlate::CorrelationMatch;
use sigil_engine::{Jsonl, Layout, MatchRecord, TextOut, TextSink, compact_json};
use sigil_watch::alert::{
    ACCOUNT_FIELDS, REGION_FIELDS, correlation_id, event_text, match_id, rule_key,
};
use std::io::Write;

/// The OCSF schema version the findings declare.
pub const SCHEMA_VERSION: &str = "1.3.0";

/// A sink writing OCSF Detection Findings, one per line.
pub type OcsfSink<W> = TextSink<W, Ocsf>;

/// A sink writing the matches of `rules` to `out` as OCSF Detection Findings.
pub fn sink<W: Write>(out: W, rules: &RuleSet) -> OcsfSink<W> {
    TextSink::with_layout(
        out,
        Ocsf {
            jsonl: Jsonl::new(rules),
        },
    )
}

/// The OCSF layout: the match record, made into a Detection Finding.
#[derive(Clone, Debug)]
pub struct Ocsf {
    jsonl: Jsonl,
}

impl Layout for Ocsf {
    fn matched(&mut self, out: &mut TextOut, m: &MatchRecord<'_>) {
        let uid = match_id(&rule_key(m.rule), &m.input.name(), "", m.record);
        let mut source = json!({"path": m.input.name(), "record": m.record});
        if let Some(line) = m.line {
            source["line"] = String::from_utf8_lossy(line).into();
        }
        let raw = compact_json(m.event);
        let time = m.timestamp.map(|t| t.as_millisecond());
        let mut finding = base(m.rule, &uid, time, time);
        // The event is parsed only to find its account and region: one serde_json does not
        // read (a number beyond a double) still has its text in `raw_data`.
        if let Some(cloud) = serde_json::from_slice(&raw).ok().as_ref().and_then(cloud) {
            finding["cloud"] = cloud;
        }
        finding["raw_data"] = String::from_utf8_lossy(&raw).into();
        finding["unmapped"]["sigil"]["source"] = source;
        write_line(out, &finding);
    }

    fn correlation(&self, out: &mut Vec<u8>, rule: &Rule, m: &CorrelationMatch) {
        let mut line = Vec::new();
        self.jsonl.correlation(&mut line, rule, m);
        let record: Value = serde_json::from_slice(&line).expect("serde_json wrote it");
        let uid = correlation_id(&rule_key(rule), m);
        let (start, end) = (
            m.window_start.as_millisecond(),
            m.window_end.as_millisecond(),
        );
        let mut finding = base(rule, &uid, Some(start), Some(end));
        finding["start_time"] = start.into();
        finding["end_time"] = end.into();
        finding["count"] = m.event_count.into();
        for key in ["group", "window", "aggregate", "events"] {
            finding["unmapped"]["sigil"][key] = record[key].clone();
        }
        write_line(out, &finding);
    }
}

/// Writes `finding` as one JSON line.
fn write_line(out: &mut Vec<u8>, finding: &Value) {
    serde_json::to_writer(&mut *out, finding).expect("writing to a Vec cannot fail");
    out.push(b'\n');
}

/// The finding of a match of `rule` seen from `first_seen` to `last_seen` (epoch
/// milliseconds; its `time` the last, or now when unknown), without what the match adds.
fn base(rule: &Rule, uid: &str, first_seen: Option<i64>, last_seen: Option<i64>) -> Value {
    let meta = &rule.meta;
    let (severity_id, severity) = severity(meta.level.map(|l| l.as_str()));
    let time = last_seen.unwrap_or_else(|| jiff::Timestamp::now().as_millisecond());
    let mut info = json!({
        "uid": uid,
        "title": meta.title,
        "analytic": {"name": meta.title, "type_id": 1, "type": "Rule"},
        "types": meta.tags,
    });
    if let Some(id) = &meta.id {
        info["analytic"]["uid"] = id.as_str().into();
    }
    if let Some(desc) = &meta.description {
        info["desc"] = desc.as_str().into();
    }
    if let (Some(first), Some(last)) = (first_seen, last_seen) {
        info["first_seen_time"] = first.into();
        info["last_seen_time"] = last.into();
    }
    json!({
        "activity_id": 1,
        "activity_name": "Create",
        "category_uid": 2,
        "category_name": "Findings",
        "class_uid": 2004,
        "class_name": "Detection Finding",
        "type_uid": 2004 * 100 + 1,
        "type_name": "Detection Finding: Create",
        "severity_id": severity_id,
        "severity": severity,
        "status_id": 1,
        "status": "New",
        "time": time,
        "message": meta.title,
        "metadata": {
            "version": SCHEMA_VERSION,
            "product": {"name": "Sigil", "vendor_name": "Sigil", "version": env!("CARGO_PKG_VERSION")},
        },
        "finding_info": info,
        "unmapped": {"sigil": {"rule": {
            "path": meta.path.to_string_lossy(),
            "level": meta.level.map(|l| l.as_str()),
        }}},
    })
}

/// OCSF's severity of a Sigma level: its id and caption.
fn severity(level: Option<&str>) -> (u8, &'static str) {
    match level {
        Some("informational") => (1, "Informational"),
        Some("low") => (2, "Low"),
        Some("medium") => (3, "Medium"),
        Some("high") => (4, "High"),
        Some("critical") => (5, "Critical"),
        _ => (0, "Unknown"),
    }
}

/// The `cloud` object of an event that names its account or region.
fn cloud(event: &Value) -> Option<Value> {
    let (account, region) = (
        event_text(event, ACCOUNT_FIELDS),
        event_text(event, REGION_FIELDS),
    );
    if account.is_none() && region.is_none() {
        return None;
    }
    let mut cloud = json!({"provider": "AWS"});
    if let Some(account) = account {
        cloud["account"] = json!({ "uid": account });
    }
    if let Some(region) = region {
        cloud["region"] = region.into();
    }
    Some(cloud)
}
