//! Correlation rule tests: example event sequences that must produce a correlation match, or
//! must not.
//!
//! They live in the rule file's `.tests.yml` beside the detection examples (which
//! [`crate::ruletest`] runs), under their own keys:
//!
//! ```yaml
//! correlation_matches:
//!   - name: forty 403s from one client in two minutes
//!     count: 1                  # optional: exactly this many matches (default: at least one)
//!     events:
//!       - event: {"client_ip": "192.0.2.7", "elb_status_code": 403, "time": "2026-10-01T00:00:00Z"}
//!         repeat: 40            # optional: the event this many times...
//!         every: 3s             # ...each this much later than the one before (default 1s)
//!       - {"client_ip": "192.0.2.7", "elb_status_code": 200, "time": "2026-10-01T00:03:00Z"}
//! correlation_non_matches:
//!   - name: nineteen 403s
//!     events:
//!       - event: {"client_ip": "192.0.2.7", "elb_status_code": 403, "time": "2026-10-01T00:00:00Z"}
//!         repeat: 19
//! ```
//!
//! Each event must hold its time in a field the engine reads (`eventTime`, `timestamp`,
//! `time`...; see [`crate::event_time_of`]); repeats are placed after it without rewriting the event.
//! A case's events run through every detection rule of the loaded rule set (no log source
//! routing: the examples are taken to be of the rules' own sources; filters are part of them) and every
//! correlation, in the order written; the case passes when the tested correlation rules (those
//! of the rule file) produce at least one match (`correlation_matches`, or exactly `count`) or
//! none (`correlation_non_matches`).

use super::{CorrelationMatch, Correlator};
use crate::eval::event_time;
use crate::input::InputSource;
use sigil_compiler::parse_timespan;
use sigil_compiler::{RuleId, RuleSet, SourceId};
use sigil_compiler::{YamlNode as Node, YamlValue as Value, parse_yaml as parse_documents};
use std::path::Path;

/// One correlation example: a sequence of events.
#[derive(Clone, Debug)]
pub struct CorrelationCase {
    /// The case's name.
    pub name: String,
    /// The events in order, as compact JSON, each with the time it is observed at.
    pub events: Vec<(String, jiff::Timestamp)>,
    /// Whether the correlation must match.
    pub must_match: bool,
    /// With `must_match`: exactly this many matches, if given.
    pub count: Option<usize>,
}

/// Reads the correlation cases of a test file (none if it has no correlation keys).
pub fn load_correlation_tests(path: &Path) -> Result<Vec<CorrelationCase>, String> {
    let fail = |message: String| format!("{}: {message}", path.display());
    let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    let docs = parse_documents(SourceId(0), &text).map_err(|d| fail(d.message))?;
    let Some(doc) = docs.first() else {
        return Ok(Vec::new());
    };
    let mut cases = Vec::new();
    for (key, must_match) in [
        ("correlation_matches", true),
        ("correlation_non_matches", false),
    ] {
        let Some(list) = doc.get(key) else { continue };
        let Value::Seq(items) = &list.value else {
            return Err(fail(format!("`{key}` must be a list of cases")));
        };
        for (i, item) in items.iter().enumerate() {
            let name = item
                .get("name")
                .and_then(Node::as_str)
                .map_or_else(|| format!("{key}[{i}]"), str::to_string);
            let case = read_case(item, &name, must_match)
                .map_err(|e| fail(format!("case `{name}`: {e}")))?;
            cases.push(case);
        }
    }
    Ok(cases)
}

fn read_case(item: &Node, name: &str, must_match: bool) -> Result<CorrelationCase, String> {
    let Some(Value::Seq(items)) = item.get("events").map(|e| &e.value) else {
        return Err("needs `events`, a list".into());
    };
    let count = match item.get("count") {
        Some(node) => match &node.value {
            Value::Number { value, .. } if *value >= 0.0 => Some(*value as usize),
            _ => return Err("`count` must be a number".into()),
        },
        None => None,
    };
    let mut events = Vec::new();
    for item in items {
        let (event, repeat, every) = match item.get("event") {
            Some(event) => {
                let repeat = match item.get("repeat").map(|r| &r.value) {
                    Some(Value::Number { value, .. }) if *value >= 1.0 => *value as u64,
                    Some(_) => return Err("`repeat` must be a positive number".into()),
                    None => 1,
                };
                let every = match item.get("every") {
                    Some(node) => node
                        .key_text()
                        .and_then(parse_timespan)
                        .ok_or("`every` must be a timespan such as 5s")?,
                    None => 1,
                };
                (event, repeat, every)
            }
            None => (item, 1, 1),
        };
        let json = event.to_json()?.to_string();
        let mut bytes = json.clone().into_bytes();
        let record = simd_json::to_borrowed_value(&mut bytes).map_err(|e| e.to_string())?;
        let time = event_time(&record).ok_or_else(|| format!("event has no time: {json}"))?;
        for k in 0..repeat {
            let offset = jiff::SignedDuration::from_secs((k * every) as i64);
            let at = time.checked_add(offset).map_err(|e| e.to_string())?;
            events.push((json.clone(), at));
        }
    }
    Ok(CorrelationCase {
        name: name.to_string(),
        events,
        must_match,
        count,
    })
}

/// The outcome of one correlation case.
#[derive(Clone, Debug)]
pub struct CorrelationCaseResult {
    /// The case.
    pub case: CorrelationCase,
    /// The matches of the tested correlation rules.
    pub matches: Vec<CorrelationMatch>,
}

impl CorrelationCaseResult {
    /// Whether the case passed.
    pub fn passed(&self) -> bool {
        match (self.case.must_match, self.case.count) {
            (true, Some(count)) => self.matches.len() == count,
            (true, None) => !self.matches.is_empty(),
            (false, _) => self.matches.is_empty(),
        }
    }
}

/// Runs correlation cases against `rules`; `tested` are the correlation rules whose matches
/// count (those of one rule file). Each case starts from nothing.
pub fn run_correlation_cases(
    rules: &RuleSet,
    tested: &[RuleId],
    cases: Vec<CorrelationCase>,
) -> Vec<CorrelationCaseResult> {
    let correlator = Correlator::new(rules);
    let detections: Vec<RuleId> = rules.detections().map(|(id, _)| id).collect();
    let mut evaluator = crate::eval::Evaluator::new(rules);
    let (mut matched, mut verdicts) = (Vec::new(), Vec::new());
    cases
        .into_iter()
        .map(|case| {
            let mut collector = correlator.collector();
            let input = InputSource::Path(case.name.clone().into());
            for (index, (event, time)) in case.events.iter().enumerate() {
                let mut bytes = event.clone().into_bytes();
                let Ok(record) = simd_json::to_borrowed_value(&mut bytes) else {
                    continue;
                };
                matched.clear();
                evaluator.matching_rules(&record, detections.iter().copied(), &mut matched);
                collector.record_value(
                    &matched,
                    Some(*time),
                    &record,
                    &input,
                    index as u64 + 1,
                    &mut verdicts,
                );
            }
            let matches = correlator
                .finish(collector.take())
                .into_iter()
                .filter(|m| tested.contains(&m.rule))
                .collect();
            CorrelationCaseResult { case, matches }
        })
        .collect()
}
