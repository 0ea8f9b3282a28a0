//! Writing matches: JSON lines (the stable contract), CSV, and an aligned table.
//!
//! The JSONL record is what other tools parse, so its shape is fixed:
//!
//! ```json
//! {"rule":{"id":"…","title":"…","level":"high","tags":["attack.t1562"],"path":"rules/x.yml"},
//!  "timestamp":"2023-07-10T12:00:01Z",
//!  "source":{"path":"logs/a.json.gz","record":17},
//!  "event":{…the original record…}}
//! ```
//!
//! The event is spliced in from the record's own bytes (compacted onto one line if it was
//! pretty-printed), never re-serialised, so it is exactly what the log held.

use jiff::Timestamp;
use serde::Serialize;
use sigil_compiler::{Rule, RuleMeta};
use std::borrow::Cow;
use std::io::Write;
use std::path::Path;

/// One match, as written by the sinks.
pub struct MatchRecord<'a> {
    /// The rule that matched.
    pub rule: &'a Rule,
    /// The rule's `rule` object, from [`rule_json`]: written once per rule, not per match.
    pub rule_json: &'a str,
    /// The event's time.
    pub timestamp: Option<Timestamp>,
    /// The input file (or `-` for stdin).
    pub path: &'a Path,
    /// 1-based record number within that file.
    pub record: u64,
    /// The record's raw bytes (a JSON object).
    pub event: &'a [u8],
}

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per match.
    Jsonl,
    /// Comma-separated values with a header line.
    Csv,
    /// Aligned columns for people.
    Table,
}

/// The `rule` object of a match record (detections and correlations alike).
#[derive(Serialize)]
pub(crate) struct RuleJson<'a> {
    id: Option<&'a str>,
    title: &'a str,
    level: Option<&'a str>,
    tags: &'a [String],
    path: Cow<'a, str>,
}

impl<'a> RuleJson<'a> {
    /// The `rule` object of a rule's metadata.
    pub(crate) fn new(meta: &'a RuleMeta) -> Self {
        RuleJson {
            id: meta.id.as_deref(),
            title: &meta.title,
            level: meta.level.map(|l| l.as_str()),
            tags: &meta.tags,
            path: meta.path.to_string_lossy(),
        }
    }
}

#[derive(Serialize)]
struct SourceJson<'a> {
    path: Cow<'a, str>,
    record: u64,
}

/// The `rule` object of a match record of a rule, as JSON (see [`MatchRecord::rule_json`]).
pub fn rule_json(meta: &RuleMeta) -> String {
    serde_json::to_string(&RuleJson::new(meta)).expect("serialising to a String cannot fail")
}

/// Writes one match as a JSON line.
pub fn write_jsonl(out: &mut Vec<u8>, m: &MatchRecord<'_>) {
    let source = SourceJson {
        path: m.path.to_string_lossy(),
        record: m.record,
    };
    out.extend_from_slice(b"{\"rule\":");
    out.extend_from_slice(m.rule_json.as_bytes());
    out.extend_from_slice(b",\"timestamp\":");
    match m.timestamp {
        // RFC 3339 text (`2023-07-10T12:00:01Z`) needs no escaping.
        Some(t) => write!(out, "\"{t}\"").expect("writing to a Vec cannot fail"),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"source\":");
    serde_json::to_writer(&mut *out, &source).expect("writing to a Vec cannot fail");
    out.extend_from_slice(b",\"event\":");
    out.extend_from_slice(&compact_json(m.event));
    out.extend_from_slice(b"}\n");
}

/// The CSV header line.
pub const CSV_HEADER: &str = "timestamp,level,rule_id,rule_title,path,record\n";

/// Writes one match as a CSV line.
pub fn write_csv(out: &mut Vec<u8>, m: &MatchRecord<'_>) {
    let meta = &m.rule.meta;
    let fields = [
        m.timestamp.map(|t| t.to_string()).unwrap_or_default(),
        meta.level.map(|l| l.to_string()).unwrap_or_default(),
        meta.id.clone().unwrap_or_default(),
        meta.title.clone(),
        m.path.display().to_string(),
        m.record.to_string(),
    ];
    let line: Vec<Cow<'_, str>> = fields.iter().map(|f| csv_field(f)).collect();
    out.extend_from_slice(line.join(",").as_bytes());
    out.push(b'\n');
}

fn csv_field(field: &str) -> Cow<'_, str> {
    if field.contains([',', '"', '\n', '\r']) {
        Cow::Owned(format!("\"{}\"", field.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(field)
    }
}

/// Writes one match as a table row (time, level, rule, location).
pub fn write_table_row(out: &mut Vec<u8>, m: &MatchRecord<'_>) {
    let meta = &m.rule.meta;
    let time = m
        .timestamp
        .map(|t| t.to_string())
        .unwrap_or_else(|| "-".into());
    let level = meta.level.map_or("-", |l| l.as_str());
    let _ = writeln!(
        out,
        "{time:<24} {level:<13} {:<50} {}:{}",
        truncate(&meta.title, 50),
        m.path.display(),
        m.record
    );
}

/// The table's header line.
pub fn table_header() -> String {
    format!(
        "{:<24} {:<13} {:<50} {}\n",
        "TIME", "LEVEL", "RULE", "SOURCE"
    )
}

fn truncate(text: &str, width: usize) -> Cow<'_, str> {
    if text.chars().count() <= width {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.chars().take(width - 1).chain(['…']).collect())
    }
}

/// A JSON document on one line: line breaks and indentation outside strings are dropped (JSON
/// strings cannot hold raw line breaks, so they are never touched).
pub fn compact_json(bytes: &[u8]) -> Cow<'_, [u8]> {
    let trimmed = bytes.trim_ascii();
    if memchr::memchr2(b'\n', b'\r', trimmed).is_none() {
        return Cow::Borrowed(trimmed);
    }
    let mut out = Vec::with_capacity(trimmed.len());
    let (mut in_string, mut escaped) = (false, false);
    for &b in trimmed {
        if in_string {
            out.push(b);
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
        } else if !b.is_ascii_whitespace() {
            in_string = b == b'"';
            out.push(b);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compaction_keeps_strings_intact() {
        let pretty = b"{\n  \"a\": \"x  y\",\n  \"b\": [1,\n 2]\n}\n";
        assert_eq!(&*compact_json(pretty), br#"{"a":"x  y","b":[1,2]}"#);
        let escaped = b"{\n \"a\": \"q\\\" \\\\\" ,\n \"b\": 1}";
        assert_eq!(&*compact_json(escaped), br#"{"a":"q\" \\","b":1}"#);
        assert!(matches!(compact_json(b"{\"a\": 1}"), Cow::Borrowed(_)));
    }

    #[test]
    fn csv_quotes_when_needed() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
