//! Correlation rules (Sigma 2.1 correlation specification) as the IR holds them; `parse`
//! reads them from YAML, the engine evaluates them over base-rule matches.
//!
//! ```yaml
//! correlation:
//!   type: event_count
//!   rules: [aws_console_login_failed]
//!   group-by: [sourceIPAddress]
//!   timespan: 10m
//!   condition: {gte: 10}
//! ```
//!
//! ```
//! use sigil_compiler::CorrelationType;
//! assert_eq!(CorrelationType::from_name("value_count"), Some(CorrelationType::ValueCount));
//! assert!(CorrelationType::ValueCount.needs_field());
//! ```

use crate::source::Span;
use serde::{Deserialize, Serialize};

/// The aggregation a correlation computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CorrelationType {
    /// Number of matching events.
    EventCount,
    /// Number of distinct values of a field.
    ValueCount,
    /// All referenced rules matched within the timespan, in any order.
    Temporal,
    /// All referenced rules matched within the timespan, in the listed order.
    TemporalOrdered,
    /// Sum of a field.
    ValueSum,
    /// Average of a field.
    ValueAvg,
    /// A percentile of a field.
    ValuePercentile,
}

impl CorrelationType {
    /// The type named `name` in a rule (`event_count`, ...).
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "event_count" => CorrelationType::EventCount,
            "value_count" => CorrelationType::ValueCount,
            "temporal" => CorrelationType::Temporal,
            "temporal_ordered" => CorrelationType::TemporalOrdered,
            "value_sum" => CorrelationType::ValueSum,
            "value_avg" => CorrelationType::ValueAvg,
            "value_percentile" => CorrelationType::ValuePercentile,
            _ => return None,
        })
    }

    /// Whether the condition must name the field it aggregates.
    pub fn needs_field(self) -> bool {
        matches!(
            self,
            CorrelationType::ValueCount
                | CorrelationType::ValueSum
                | CorrelationType::ValueAvg
                | CorrelationType::ValuePercentile
        )
    }
}

/// A comparison in a correlation condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CorrelationOp {
    /// `gt`
    Gt,
    /// `gte`
    Gte,
    /// `lt`
    Lt,
    /// `lte`
    Lte,
    /// `eq`
    Eq,
    /// `neq`
    Neq,
}

/// A correlation's condition: every comparison must hold (two give a range).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CorrelationCondition {
    /// The aggregated field (`value_count`, `value_sum`...).
    pub field: Option<String>,
    /// The comparisons.
    pub comparisons: Vec<(CorrelationOp, f64)>,
    /// For `value_percentile`: which percentile.
    pub percentile: Option<f64>,
}

/// A field name that differs between the correlated rules.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alias {
    /// The alias used in `group-by`.
    pub name: String,
    /// Per rule (id or name): the field that alias stands for.
    pub fields: Vec<(String, String)>,
}

/// A parsed correlation.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Correlation {
    /// The aggregation.
    pub kind: CorrelationType,
    /// Referenced rules by id or name, with their spans.
    pub rules: Vec<(String, Span)>,
    /// Fields (or aliases) the events are grouped by.
    pub group_by: Vec<String>,
    /// The window length in seconds.
    pub timespan_secs: u64,
    /// The condition (optional for the temporal types, which default to "all rules matched").
    pub condition: Option<CorrelationCondition>,
    /// Field aliases.
    pub aliases: Vec<Alias>,
    /// Whether the referenced rules' own matches are also emitted.
    pub generate: bool,
}
