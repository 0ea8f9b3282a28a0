//! JSON lines: the match record contract (see the [sink docs](super)).
//!
//! The event is spliced in from the record's own bytes (compacted onto one line if it was
//! pretty-printed), never re-serialised, so it is exactly what the log held.

use super::MatchRecord;
use super::text::{Layout, TextOut, TextSink};
use crate::correlate::{CorrelationMatch, type_name};
use crate::input::InputSource;
use jiff::Timestamp;
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
/// per match (nor up front: a hunt with thousands of rules matches few of them). A match's
/// `timestamp` and `source` are written once and reused for the next matches with the same
/// ones: a record often matches several rules.
#[derive(Clone, Debug)]
pub struct Jsonl {
    /// Per rule (by `RuleId`): its `rule` object, once it matched.
    rule_json: Arc<[OnceLock<String>]>,
    /// The last match's `timestamp` and `source`, written.
    last: Written,
}

impl Jsonl {
    /// The layout for matches of `rules`.
    pub fn new(rules: &RuleSet) -> Jsonl {
        Jsonl {
            rule_json: rules.rules().iter().map(|_| OnceLock::new()).collect(),
            last: Written::default(),
        }
    }
}

impl Layout for Jsonl {
    fn matched(&mut self, out: &mut TextOut, m: &MatchRecord<'_>) {
        let rule_json = self.rule_json[m.rule_id.0 as usize].get_or_init(|| {
            serde_json::to_string(&RuleJson::new(&m.rule.meta))
                .expect("serialising to a String cannot fail")
        });
        self.last.update(m);
        out.extend_from_slice(b"{\"rule\":");
        out.extend_from_slice(rule_json.as_bytes());
        out.extend_from_slice(&self.last.timestamp);
        out.extend_from_slice(&self.last.source);
        out.extend_from_slice(b",\"event\":");
        out.event(m);
        out.extend_from_slice(b"}\n");
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

/// A match record's `timestamp` and `source`, written, kept for the next matches. The
/// `source` is known by the input and the record number, which tell its line too; the inner
/// events of one record (a batch of findings) share it, each with a time of its own.
#[derive(Clone, Debug, Default)]
struct Written {
    /// The input of `path`.
    input: Option<InputSource>,
    /// The input's name as a JSON string.
    path: String,
    /// The record (in `input`) that `source` is for.
    record: Option<u64>,
    /// `,"source":{…}`
    source: Vec<u8>,
    /// The time that `timestamp` is for.
    time: Option<Option<Timestamp>>,
    /// `,"timestamp":…`
    timestamp: Vec<u8>,
}

impl Written {
    /// Makes it the `timestamp` and `source` of `m`, writing those that differ.
    fn update(&mut self, m: &MatchRecord<'_>) {
        if self.time != Some(m.timestamp) {
            self.time = Some(m.timestamp);
            self.timestamp.clear();
            self.timestamp.extend_from_slice(b",\"timestamp\":");
            match m.timestamp {
                // RFC 3339 text (`2023-07-10T12:00:01Z`) needs no escaping.
                Some(t) => write!(self.timestamp, "\"{t}\"").expect("writing to a Vec cannot fail"),
                None => self.timestamp.extend_from_slice(b"null"),
            }
        }
        if self.input.as_ref() != Some(m.input) {
            self.path = serde_json::to_string(&m.input.name())
                .expect("serialising to a String cannot fail");
            self.input = Some(m.input.clone());
            self.record = None;
        }
        if self.record != Some(m.record) {
            self.record = Some(m.record);
            self.source.clear();
            write_source(&mut self.source, &self.path, m);
        }
    }
}

/// Writes the `source` member of a match record, `path` being the input's name as a JSON
/// string.
fn write_source(out: &mut Vec<u8>, path: &str, m: &MatchRecord<'_>) {
    out.extend_from_slice(b",\"source\":{\"path\":");
    out.extend_from_slice(path.as_bytes());
    write!(out, ",\"record\":{}", m.record).expect("writing to a Vec cannot fail");
    if let Some(line) = m.line {
        // A text log's raw line, so that nothing of the original is lost.
        out.extend_from_slice(b",\"line\":");
        serde_json::to_writer(&mut *out, &String::from_utf8_lossy(line))
            .expect("writing to a Vec cannot fail");
    }
    out.push(b'}');
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

    /// Matches of two rules on records of two inputs (one event pretty-printed, one a text
    /// log's with its line, two inner events of one record with times of their own), in an
    /// order that returns to a record, a time and an input already seen: each line tells its
    /// own event, time and source, as a layout that keeps nothing would write them.
    #[test]
    fn what_is_kept_for_the_next_matches_is_never_another_matchs() {
        let rules = "title: a\nlogsource: {product: aws}\ndetection: {s: {x: 1}, condition: s}\n---\n\
                     title: b\nlogsource: {product: aws}\ndetection: {s: {x: 2}, condition: s}\n";
        let loaded = sigil_compiler::load_str("r.yml".as_ref(), rules, &Default::default());
        let inputs = [
            InputSource::Path("a.json".into()),
            InputSource::Url("s3://b/c \"d\".log".into()),
        ];
        let events: [&[u8]; 3] = [b"{\"x\":1}", b"{\n  \"x\": \"p  q\"\n}\n", b"{\"y\":3}"];
        let times = [
            None,
            Some(jiff::Timestamp::from_second(1_700_000_000).unwrap()),
        ];
        // (input, record, event, time, with a line, rule); a record has one line or none.
        let order = [
            (0, 1, 0, 1, false, 0),
            (0, 1, 0, 1, false, 1),
            (0, 1, 2, 0, false, 0),
            (0, 1, 1, 1, false, 1),
            (0, 2, 1, 1, false, 0),
            (1, 2, 2, 1, true, 0),
            (1, 2, 2, 1, true, 1),
            (0, 2, 1, 0, false, 1),
            (1, 3, 0, 0, false, 1),
        ];
        let mut layout = Jsonl::new(&loaded.rules);
        for (input, record, event, time, with_line, rule) in order {
            let rule_id = sigil_compiler::RuleId(rule);
            let m = MatchRecord {
                rule_id,
                rule: loaded.rules.rule(rule_id),
                timestamp: times[time],
                input: &inputs[input],
                record,
                event: events[event],
                line: with_line.then_some(&b"raw \xff line"[..]),
                shared: None,
            };
            let mut out = TextOut::default();
            layout.matched(&mut out, &m);
            let out = out.into_bytes();
            let line: serde_json::Value = serde_json::from_slice(&out).unwrap();
            let expected_time = m.timestamp.map(|t| t.to_string());
            assert_eq!(line["timestamp"].as_str(), expected_time.as_deref());
            assert_eq!(line["rule"]["title"], ["a", "b"][rule as usize]);
            assert_eq!(line["source"]["path"], *inputs[input].name());
            assert_eq!(line["source"]["record"], record);
            assert_eq!(
                line["source"]["line"].as_str(),
                with_line.then_some("raw \u{fffd} line")
            );
            assert_eq!(
                serde_json::to_vec(&line["event"]).unwrap(),
                &*compact_json(events[event]),
            );
            assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 1);
        }
    }

    #[test]
    fn compaction_keeps_strings_intact() {
        let pretty = b"{\n  \"a\": \"x  y\",\n  \"b\": [1,\n 2]\n}\n";
        assert_eq!(&*compact_json(pretty), br#"{"a":"x  y","b":[1,2]}"#);
        let escaped = b"{\n \"a\": \"q\\\" \\\\\" ,\n \"b\": 1}";
        assert_eq!(&*compact_json(escaped), br#"{"a":"q\" \\","b":1}"#);
        assert!(matches!(compact_json(b"{\"a\": 1}"), Cow::Borrowed(_)));
    }
}
