//! Alerts: matches made ready to deliver, each with a stable id.
//!
//! [`AlertSink`] is the engine [`Sink`] the watcher scans into: every match becomes an
//! [`Alert`], its JSON line the hunt's match record (the README's contract) with an `id` in
//! front:
//!
//! ```json
//! {"id":"5f0c…","rule":{…},"timestamp":"…","source":{"path":"trail.jsonl","record":17},"event":{…}}
//! ```
//!
//! The id is a digest of what the match is, not of when it was found: the rule (its `id`, or
//! its title and file), the input's name, the input's *instance* (for a file: its device,
//! inode and generation, so a rotated or truncated file does not reuse the ids of the one
//! before) and the record number. Scanning the same record again (after a restart, before its
//! position was saved) gives the same id, so a receiver drops duplicates by id. A correlation
//! match's id digests the rule, its group and its window start.
//!
//! ```
//! use sigil_watch::alert::match_id;
//! let a = match_id("rule-1", "trail.jsonl", "2049:77:0", 17);
//! assert_eq!(a, match_id("rule-1", "trail.jsonl", "2049:77:0", 17));
//! assert_ne!(a, match_id("rule-1", "trail.jsonl", "2049:77:1", 17));
//! assert_eq!(a.len(), 32);
//! ```

use sha2::{Digest, Sha256};
use sigil_compiler::{FieldPath, Rule, RuleSet};
use sigil_engine::correlate::CorrelationMatch;
use sigil_engine::{Batch, Jsonl, Layout, MatchRecord, RecordView, Sink, SinkError, TextOut};
use std::sync::Arc;

/// The fields that name an event's AWS account, most telling first (CloudTrail's, then
/// GuardDuty's and other JSON logs', then VPC Flow Logs').
pub const ACCOUNT_FIELDS: &[&str] = &[
    "recipientAccountId",
    "userIdentity.accountId",
    "accountId",
    "account-id",
];

/// The fields that name an event's AWS region.
pub const REGION_FIELDS: &[&str] = &["awsRegion", "region"];

/// The first of `fields` (dotted paths, such as [`ACCOUNT_FIELDS`]) that holds a non-empty
/// string or a number in the JSON `event`, as text.
///
/// ```
/// use sigil_watch::alert::{ACCOUNT_FIELDS, event_text};
/// let event = serde_json::json!({"userIdentity": {"accountId": "111122223333"}});
/// assert_eq!(event_text(&event, ACCOUNT_FIELDS).as_deref(), Some("111122223333"));
/// ```
pub fn event_text(event: &serde_json::Value, fields: &[&str]) -> Option<String> {
    fields.iter().find_map(|path| {
        let value = path.split('.').try_fold(event, |v, key| v.get(key))?;
        match value {
            serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    })
}

/// One match, ready to deliver.
#[derive(Clone, Debug, PartialEq)]
pub struct Alert {
    /// Its stable id (32 hex digits).
    pub id: String,
    /// Its JSON line (without the newline): the match record with `id` in front.
    pub json: String,
    /// A one-line summary for people (an SNS subject, at most 100 characters): the level,
    /// the rule's title, and the account and region when the event names them.
    pub subject: String,
    /// The rule's title.
    pub rule: String,
}

/// The id of a match of rule `rule` (its stable key, see [`rule_key`]) in record `record` of
/// the input named `input`, instance `instance` (see the module docs).
pub fn match_id(rule: &str, input: &str, instance: &str, record: u64) -> String {
    let mut digest = Sha256::new();
    for part in [rule, input, instance, &record.to_string()] {
        digest.update(part.as_bytes());
        digest.update([0]);
    }
    hex::encode(&digest.finalize()[..16])
}

/// The id of a correlation match of the rule whose key (see [`rule_key`]) is `rule`: a
/// digest of the rule, the group and the window's start.
pub fn correlation_id(rule: &str, m: &CorrelationMatch) -> String {
    let group = serde_json::to_string(&m.group).unwrap_or_default();
    match_id(rule, &group, &m.window_start.to_string(), 0)
}

/// A rule's stable key for match ids: its `id`, or its title and file.
pub fn rule_key(rule: &Rule) -> String {
    match &rule.meta.id {
        Some(id) => id.clone(),
        None => format!("{}\0{}", rule.meta.title, rule.meta.path.display()),
    }
}

/// The summary of a match for people: `[high] CloudTrail logging stopped (111122223333
/// us-east-1)`, cut to 100 characters (SNS's limit for a subject), printable ASCII only.
pub fn subject(rule: &Rule, account: Option<&str>, region: Option<&str>) -> String {
    let level = rule.meta.level.map_or("-", |l| l.as_str());
    let mut text = format!("[{level}] {}", rule.meta.title);
    let place: Vec<&str> = [account, region].into_iter().flatten().collect();
    if !place.is_empty() {
        text.push_str(&format!(" ({})", place.join(" ")));
    }
    let mut ascii: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect();
    if ascii.len() > 100 {
        ascii.truncate(97);
        ascii.push_str("...");
    }
    ascii
}

/// Puts `"id":"…"` in front of a JSON object's members (`line` starts with `{`).
fn with_id(id: &str, mut line: Vec<u8>) -> String {
    if line.last() == Some(&b'\n') {
        line.pop();
    }
    let rest = String::from_utf8_lossy(line.get(1..).unwrap_or_default());
    format!("{{\"id\":\"{id}\",{rest}")
}

/// The engine sink that turns matches into [`Alert`]s (see the module docs).
///
/// Set the instance of the input about to be scanned with [`AlertSink::instance`]; take the
/// alerts of what was scanned with [`AlertSink::take`].
#[derive(Debug)]
pub struct AlertSink {
    /// Per rule: its key for match ids.
    keys: Arc<[String]>,
    layout: Jsonl,
    instance: Arc<str>,
    alerts: Vec<Alert>,
}

/// The per-batch side of an [`AlertSink`].
#[derive(Debug)]
pub struct AlertBatch {
    keys: Arc<[String]>,
    layout: Jsonl,
    instance: Arc<str>,
    alerts: Vec<Alert>,
}

impl AlertSink {
    /// A sink for the matches of `rules`.
    pub fn new(rules: &RuleSet) -> AlertSink {
        AlertSink {
            keys: rules.rules().iter().map(rule_key).collect(),
            layout: Jsonl::new(rules),
            instance: Arc::from(""),
            alerts: Vec::new(),
        }
    }

    /// Sets the instance of the input scanned next (see the module docs).
    pub fn instance(&mut self, instance: &str) {
        if *self.instance != *instance {
            self.instance = Arc::from(instance);
        }
    }

    /// The alerts written since the last call.
    pub fn take(&mut self) -> Vec<Alert> {
        std::mem::take(&mut self.alerts)
    }
}

impl Batch for AlertBatch {
    fn matched(&mut self, m: &MatchRecord<'_>, record: &RecordView<'_>) -> Result<(), SinkError> {
        let key = &self.keys[m.rule_id.0 as usize];
        let id = match_id(key, &m.input.name(), &self.instance, m.record);
        let mut line = TextOut::default();
        line.reserve(m.event.len() + 512);
        self.layout.matched(&mut line, m);
        let line = line.into_bytes();
        let account = ACCOUNT_FIELDS
            .iter()
            .find_map(|f| record.first_scalar(&FieldPath::new(f)));
        let region = REGION_FIELDS
            .iter()
            .find_map(|f| record.first_scalar(&FieldPath::new(f)));
        self.alerts.push(Alert {
            subject: subject(m.rule, account.as_deref(), region.as_deref()),
            json: with_id(&id, line),
            id,
            rule: m.rule.meta.title.clone(),
        });
        Ok(())
    }
}

impl Sink for AlertSink {
    type Batch = AlertBatch;

    fn batch(&mut self) -> AlertBatch {
        AlertBatch {
            keys: Arc::clone(&self.keys),
            layout: self.layout.clone(),
            instance: Arc::clone(&self.instance),
            alerts: Vec::new(),
        }
    }

    fn write(&mut self, batch: AlertBatch) -> Result<(), SinkError> {
        self.alerts.extend(batch.alerts);
        Ok(())
    }

    fn correlation(&mut self, rule: &Rule, m: &CorrelationMatch) -> Result<(), SinkError> {
        let id = correlation_id(&self.keys[m.rule.0 as usize], m);
        let mut line = Vec::new();
        self.layout.correlation(&mut line, rule, m);
        self.alerts.push(Alert {
            subject: subject(rule, None, None),
            json: with_id(&id, line),
            id,
            rule: rule.meta.title.clone(),
        });
        Ok(())
    }
}
