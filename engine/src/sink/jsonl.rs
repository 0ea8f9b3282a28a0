//! JSON lines: the match record contract (see the [sink docs](super)).
//!
//! The event is spliced in from the record's own bytes (compacted onto one line if it was
//! pretty-printed), never re-serialised, so it is exactly what the log held.

use super::MatchRecord;
use super::text::{Layout, TextSink};
use crate::correlate::{CorrelationMatch, type_name};
use serde::Serialize;
use sigil_compiler::CorrelationType;
use sigil_compiler::{Rule, RuleKind, RuleMeta, RuleSet};
use std::borrow::Cow;
use std::io::Write;
use std::sync::{Arc, OnceLock};

/// A sink writing JSON lines, one object per match (the contract in the README).
pub type JsonlSink<W> = TextSink<W, Jsonl>;

impl<W: Write> JsonlSink<W> {
    /// A sink writing the matches of `rules` to `out` as JSON lines.
    pub fn new(out: W, rules: &RuleSet) -> Self {
        TextSink::with_layout(out, Jsonl::new(rules))
    }
}

/// The JSON lines layout. Each rule's `rule` object is serialised at its first match, not
/// per match (nor up front: a hunt with thousands of rules matches few of them).
#[derive(Clone, Debug)]
pub struct Jsonl {
    /// Per rule (by `RuleId`): its `rule` object, once it matched.
    rule_json: Arc<[OnceLock<String>]>,
}

impl Jsonl {
    /// The layout for matches of `rules`.
    pub fn new(rules: &RuleSet) -> Jsonl {
        Jsonl {
            rule_json: rules.rules().iter().map(|_| OnceLock::new()).collect(),
        }
    }
}

impl Layout for Jsonl {
    fn matched(&self, out: &mut Vec<u8>, m: &MatchRecord<'_>) {
        let rule_json = self.rule_json[m.rule_id.0 as usize].get_or_init(|| {
            serde_json::to_string(&RuleJson::new(&m.rule.meta))
                .expect("serialising to a String cannot fail")
        });
        write_match_json(out, rule_json, m);
    }

    fn correlation(&self, out: &mut Vec<u8>, rule: &Rule, m: &CorrelationMatch) {
        write_correlation_json(out, rule, m);
    }
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
    /// A text log's raw line, so that nothing of the original is lost.
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<Cow<'a, str>>,
}

/// Writes one match as a JSON line; `rule_json` is the rule's `rule` object, serialised.
pub fn write_match_json(out: &mut Vec<u8>, rule_json: &str, m: &MatchRecord<'_>) {
    let source = SourceJson {
        path: m.input.name(),
        record: m.record,
        line: m.line.map(String::from_utf8_lossy),
    };
    out.extend_from_slice(b"{\"rule\":");
    out.extend_from_slice(rule_json.as_bytes());
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

/// A JSON document on one line: line breaks and indentation outside strings are dropped (JSON
/// strings cannot hold raw line breaks, so they are never touched).
///
/// ```
/// use sigil_engine::compact_json;
/// assert_eq!(&*compact_json(b"{\n  \"a\": \"x  y\"\n}\n"), br#"{"a":"x  y"}"#);
/// ```
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

#[derive(Serialize)]
struct WindowJson {
    start: String,
    end: String,
}

#[derive(Serialize)]
struct AggregateJson {
    #[serde(rename = "type")]
    kind: &'static str,
    value: serde_json::Number,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    percentile: Option<f64>,
}

#[derive(Serialize)]
struct CorrelationJson<'a> {
    rule: RuleJson<'a>,
    group: serde_json::Map<String, serde_json::Value>,
    window: WindowJson,
    aggregate: AggregateJson,
    events: EventsJson<'a>,
}

#[derive(Serialize)]
struct EventsJson<'a> {
    count: u64,
    first: &'a [crate::correlate::Location],
}

/// A number as JSON: an integer when it is one.
fn json_number(value: f64) -> serde_json::Number {
    if value.fract() == 0.0 && value.abs() < 9.0e15 {
        serde_json::Number::from(value as i64)
    } else {
        serde_json::Number::from_f64(value).unwrap_or_else(|| serde_json::Number::from(0))
    }
}

/// Writes one match of the correlation `rule` as a JSON line:
///
/// ```json
/// {"rule":{"id":"…","title":"…","level":"medium","tags":[…],"path":"rules/x.yml"},
///  "group":{"client_ip":"45.141.32.55"},
///  "window":{"start":"2026-10-01T00:10:00Z","end":"2026-10-01T00:12:30Z"},
///  "aggregate":{"type":"event_count","value":40},
///  "events":{"count":40,"first":[{"path":"alb.log","record":17},…]}}
/// ```
///
/// `events.first` lists the contributing events in time order, at most
/// [`EVENTS_LISTED`](crate::correlate::EVENTS_LISTED); `events.count` counts them all (for a
/// correlation of correlations, the base events of the inner matches).
pub fn write_correlation_json(out: &mut Vec<u8>, rule: &Rule, m: &CorrelationMatch) {
    let correlation = match &rule.kind {
        RuleKind::Correlation(c) => Some(c),
        _ => None,
    };
    let condition = correlation.and_then(|c| c.condition.as_ref());
    let kind = correlation.map_or(CorrelationType::EventCount, |c| c.kind);
    let group: serde_json::Map<String, serde_json::Value> = m
        .group
        .iter()
        .map(|(name, value)| (name.clone(), value.clone().into()))
        .collect();
    let aggregate = AggregateJson {
        kind: type_name(kind),
        value: json_number(m.value),
        field: condition.and_then(|c| c.field.clone()).filter(|_| {
            matches!(
                kind,
                CorrelationType::ValueCount
                    | CorrelationType::ValueSum
                    | CorrelationType::ValueAvg
                    | CorrelationType::ValuePercentile
            )
        }),
        percentile: condition
            .and_then(|c| c.percentile)
            .filter(|_| kind == CorrelationType::ValuePercentile),
    };
    let line = CorrelationJson {
        rule: RuleJson::new(&rule.meta),
        group,
        window: WindowJson {
            start: m.window_start.to_string(),
            end: m.window_end.to_string(),
        },
        aggregate,
        events: EventsJson {
            count: m.event_count,
            first: &m.events,
        },
    };
    serde_json::to_writer(&mut *out, &line).expect("writing to a Vec cannot fail");
    out.push(b'\n');
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
}
