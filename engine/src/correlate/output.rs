//! Correlation matches, and their JSON line.
//!
//! ```json
//! {"rule":{"id":"…","title":"…","level":"medium","tags":[…],"path":"rules/x.yml"},
//!  "group":{"client_ip":"45.141.32.55"},
//!  "window":{"start":"2026-10-01T00:10:00Z","end":"2026-10-01T00:12:30Z"},
//!  "aggregate":{"type":"event_count","value":40},
//!  "events":{"count":40,"first":[{"path":"alb.log","record":17},…]}}
//! ```
//!
//! `events.first` lists the contributing events in time order, at most
//! [`EVENTS_LISTED`]; `events.count` counts them all (for a correlation of correlations, the
//! base events of the inner matches).

use crate::sink::RuleJson;
use jiff::Timestamp;
use serde::Serialize;
use sigil_compiler::CorrelationType;
use sigil_compiler::{RuleId, RuleSet};

/// Most contributing events listed in a match.
pub const EVENTS_LISTED: usize = 100;

/// Where an event was found.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Location {
    /// The input (file path, or `-` for stdin).
    pub path: String,
    /// The 1-based record number within it.
    pub record: u64,
}

/// One correlation match: a group whose windows met the condition.
#[derive(Clone, Debug, PartialEq)]
pub struct CorrelationMatch {
    /// The correlation rule.
    pub rule: RuleId,
    /// The group: each `group-by` name with the group's value (`None`: the field was absent).
    pub group: Vec<(String, Option<String>)>,
    /// Time of the first event of the match.
    pub window_start: Timestamp,
    /// Time of the last window in which the condition held.
    pub window_end: Timestamp,
    /// The aggregate (count, distinct values, sum, average, percentile, rules seen) at its
    /// peak over the match's windows.
    pub value: f64,
    /// The first contributing events, at most [`EVENTS_LISTED`].
    pub events: Vec<Location>,
    /// All contributing events.
    pub event_count: u64,
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
struct MatchJson<'a> {
    rule: RuleJson<'a>,
    group: serde_json::Map<String, serde_json::Value>,
    window: WindowJson,
    aggregate: AggregateJson,
    events: EventsJson<'a>,
}

#[derive(Serialize)]
struct EventsJson<'a> {
    count: u64,
    first: &'a [Location],
}

/// The name of a correlation type as written in rules.
pub fn type_name(kind: CorrelationType) -> &'static str {
    match kind {
        CorrelationType::EventCount => "event_count",
        CorrelationType::ValueCount => "value_count",
        CorrelationType::Temporal => "temporal",
        CorrelationType::TemporalOrdered => "temporal_ordered",
        CorrelationType::ValueSum => "value_sum",
        CorrelationType::ValueAvg => "value_avg",
        CorrelationType::ValuePercentile => "value_percentile",
    }
}

/// A number as JSON: an integer when it is one.
fn json_number(value: f64) -> serde_json::Number {
    if value.fract() == 0.0 && value.abs() < 9.0e15 {
        serde_json::Number::from(value as i64)
    } else {
        serde_json::Number::from_f64(value).unwrap_or_else(|| serde_json::Number::from(0))
    }
}

/// Writes one correlation match of `rules` as a JSON line.
pub fn write_jsonl(out: &mut Vec<u8>, rules: &RuleSet, m: &CorrelationMatch) {
    let rule = rules.rule(m.rule);
    let meta = &rule.meta;
    let correlation = match &rule.kind {
        sigil_compiler::RuleKind::Correlation(c) => Some(c),
        _ => None,
    };
    let condition = correlation.and_then(|c| c.condition.as_ref());
    let kind = correlation.map_or(CorrelationType::EventCount, |c| c.kind);
    let rule_json = RuleJson::new(meta);
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
        percentile: (kind == CorrelationType::ValuePercentile).then(|| {
            condition
                .and_then(|c| c.percentile)
                .unwrap_or(super::plan::DEFAULT_PERCENTILE)
        }),
    };
    let line = MatchJson {
        rule: rule_json,
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
