//! Correlation matches, as the sinks receive them (their JSON line is written by the JSONL
//! sink, [`write_correlation_json`](crate::write_correlation_json)).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sigil_compiler::CorrelationType;
use sigil_compiler::RuleId;

/// Most contributing events listed in a match.
pub const EVENTS_LISTED: usize = 100;

/// Where an event was found.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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

impl CorrelationMatch {
    /// Where the match is, for people: its group and number of events, such as
    /// `c-ip=45.141.32.55 (40 events)` (`-` for an absent group-by value).
    pub fn place(&self) -> String {
        let group: Vec<String> = self
            .group
            .iter()
            .map(|(name, value)| format!("{name}={}", value.as_deref().unwrap_or("-")))
            .collect();
        format!("{} ({} events)", group.join(" "), self.event_count)
    }
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
