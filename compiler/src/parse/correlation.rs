//! The `correlation` section of a correlation rule (Sigma 2.1 correlation specification),
//! parsed and validated into the IR's [`Correlation`].
//!
//! ```yaml
//! correlation:
//!   type: event_count
//!   rules: [aws_console_login_failed]
//!   group-by: [sourceIPAddress]
//!   timespan: 10m
//!   condition: {gte: 10}
//! ```

use super::yaml::{Node, Value};
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{
    Alias, Correlation, CorrelationCondition, CorrelationOp, CorrelationType, parse_number,
};
use crate::source::Span;

/// Parses the `correlation` section.
pub fn parse_correlation(node: &Node) -> Result<Correlation, Diagnostic> {
    let invalid =
        |span: Span, message: String| Diagnostic::new(Code::InvalidCorrelation, span, message);
    if node.as_map().is_none() {
        return Err(
            invalid(node.span, format!("`correlation` is {}", node.kind_name()))
                .with_label("expected a mapping with type, rules, timespan, condition"),
        );
    }
    let required = |key: &str| {
        node.get(key).ok_or_else(|| {
            Diagnostic::new(
                Code::MissingKey,
                node.span,
                format!("correlation has no `{key}`"),
            )
            .with_label("in this correlation")
        })
    };
    let type_node = required("type")?;
    let kind = type_node
        .as_str()
        .and_then(CorrelationType::from_name)
        .ok_or_else(|| {
            invalid(type_node.span, "unknown correlation type".into()).with_help(
                "use event_count, value_count, temporal, temporal_ordered, value_sum, value_avg or \
             value_percentile",
            )
        })?;
    let rules = strings(required("rules")?)
        .ok_or_else(|| invalid(node.span, "`rules` must list rule ids or names".into()))?;
    let group_by = match node.get("group-by") {
        Some(g) => strings(g)
            .ok_or_else(|| invalid(g.span, "`group-by` must list field names".into()))?
            .into_iter()
            .map(|(s, _)| s)
            .collect(),
        None => Vec::new(),
    };
    let timespan_node = node.get("timespan").or_else(|| node.get("timeframe"));
    let timespan_node = timespan_node.ok_or_else(|| {
        Diagnostic::new(Code::MissingKey, node.span, "correlation has no `timespan`")
            .with_help("add e.g. `timespan: 5m`")
    })?;
    let timespan_secs = timespan_node
        .key_text()
        .and_then(parse_timespan)
        .ok_or_else(|| {
            invalid(timespan_node.span, "invalid timespan".into())
                .with_help("write a number and a unit: 30s, 5m, 1h, 2d, 1w")
        })?;
    let condition = match node.get("condition") {
        Some(c) => Some(parse_condition(c, kind)?),
        None if matches!(
            kind,
            CorrelationType::Temporal | CorrelationType::TemporalOrdered
        ) =>
        {
            None
        }
        None => {
            return Err(Diagnostic::new(
                Code::MissingKey,
                node.span,
                "correlation has no `condition`",
            )
            .with_help("add e.g. `condition: {gte: 10}`"));
        }
    };
    let aliases = match node.get("aliases") {
        Some(a) => parse_aliases(a)?,
        None => Vec::new(),
    };
    let generate = matches!(
        node.get("generate").map(|g| &g.value),
        Some(Value::Bool(true))
    );
    Ok(Correlation {
        kind,
        rules,
        group_by,
        timespan_secs,
        condition,
        aliases,
        generate,
    })
}

fn strings(node: &Node) -> Option<Vec<(String, Span)>> {
    match &node.value {
        Value::Seq(items) => items
            .iter()
            .map(|i| Some((i.key_text()?.to_string(), i.span)))
            .collect(),
        _ => Some(vec![(node.key_text()?.to_string(), node.span)]),
    }
}

/// Parses `30s`, `5m`, `1h`, `2d`, `1w` (a bare number is seconds).
pub fn parse_timespan(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().ok()?;
    let scale = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        "M" => 2_592_000,
        "y" => 31_536_000,
        _ => return None,
    };
    n.checked_mul(scale).filter(|&s| s > 0)
}

fn parse_condition(node: &Node, kind: CorrelationType) -> Result<CorrelationCondition, Diagnostic> {
    let invalid =
        |span: Span, message: &str| Diagnostic::new(Code::InvalidCorrelation, span, message);
    let entries = node.as_map().ok_or_else(|| {
        invalid(
            node.span,
            "the condition must be a mapping such as {gte: 10}",
        )
    })?;
    let mut condition = CorrelationCondition {
        field: None,
        comparisons: Vec::new(),
        percentile: None,
    };
    for (key, value) in entries {
        let name = key.key_text().unwrap_or_default();
        let op = match name {
            "gt" => CorrelationOp::Gt,
            "gte" => CorrelationOp::Gte,
            "lt" => CorrelationOp::Lt,
            "lte" => CorrelationOp::Lte,
            "eq" => CorrelationOp::Eq,
            "neq" => CorrelationOp::Neq,
            "field" => {
                condition.field = value.key_text().map(str::to_string);
                continue;
            }
            "percentile" => {
                let p = number(value).filter(|p| (0.0..=100.0).contains(p));
                if p.is_none() {
                    return Err(invalid(
                        value.span,
                        "the percentile must be a number from 0 to 100",
                    ));
                }
                condition.percentile = p;
                continue;
            }
            _ => {
                return Err(invalid(key.span, "unknown condition key").with_help(
                    "use gt, gte, lt, lte, eq, neq, and `field` for value aggregations",
                ));
            }
        };
        let n = number(value).ok_or_else(|| invalid(value.span, "expected a number"))?;
        condition.comparisons.push((op, n));
    }
    if condition.comparisons.is_empty() {
        return Err(
            invalid(node.span, "the condition has no comparison").with_help("add e.g. `gte: 10`")
        );
    }
    if condition.percentile.is_some() && kind != CorrelationType::ValuePercentile {
        return Err(invalid(
            node.span,
            "`percentile` belongs to value_percentile correlations only",
        ));
    }
    if kind == CorrelationType::ValuePercentile && condition.percentile.is_none() {
        // No specification or tool agrees on a default, and the percentile is what the rule
        // measures: refused rather than guessed.
        return Err(invalid(
            node.span,
            "a value_percentile correlation needs `percentile` in its condition",
        )
        .with_label("no `percentile` here")
        .with_help("add e.g. `percentile: 95` beside `field`"));
    }
    if kind.needs_field() && condition.field.is_none() {
        return Err(invalid(
            node.span,
            "this correlation type needs `field` in its condition",
        ));
    }
    Ok(condition)
}

fn number(node: &Node) -> Option<f64> {
    match &node.value {
        Value::Number { value, .. } => Some(*value),
        Value::Str(s) => parse_number(s),
        _ => None,
    }
}

fn parse_aliases(node: &Node) -> Result<Vec<Alias>, Diagnostic> {
    let invalid = || {
        Diagnostic::new(
            Code::InvalidCorrelation,
            node.span,
            "`aliases` must map alias -> {rule: field}",
        )
    };
    let entries = node.as_map().ok_or_else(invalid)?;
    entries
        .iter()
        .map(|(name, per_rule)| {
            let fields = per_rule
                .as_map()
                .ok_or_else(invalid)?
                .iter()
                .map(|(r, f)| Some((r.key_text()?.to_string(), f.key_text()?.to_string())))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(invalid)?;
            Ok(Alias {
                name: name.key_text().unwrap_or_default().to_string(),
                fields,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timespans() {
        assert_eq!(parse_timespan("30s"), Some(30));
        assert_eq!(parse_timespan("5m"), Some(300));
        assert_eq!(parse_timespan("1h"), Some(3600));
        assert_eq!(parse_timespan("2d"), Some(172_800));
        assert_eq!(parse_timespan("0m"), None);
        assert_eq!(parse_timespan("5 parsecs"), None);
    }

    fn condition(kind: CorrelationType, yaml: &str) -> Result<CorrelationCondition, String> {
        let docs = crate::parse::yaml::parse_documents(crate::SourceId(0), yaml).unwrap();
        parse_condition(&docs[0], kind).map_err(|d| d.message)
    }

    #[test]
    fn percentiles_are_checked() {
        let p = condition(
            CorrelationType::ValuePercentile,
            "{field: x, percentile: 99, gt: 5}",
        );
        assert_eq!(p.unwrap().percentile, Some(99.0));
        let too_big = condition(
            CorrelationType::ValuePercentile,
            "{field: x, percentile: 101, gt: 5}",
        );
        assert!(too_big.unwrap_err().contains("from 0 to 100"));
        let misplaced = condition(
            CorrelationType::ValueSum,
            "{field: x, percentile: 50, gt: 5}",
        );
        assert!(misplaced.unwrap_err().contains("value_percentile"));
        let missing = condition(CorrelationType::ValuePercentile, "{field: x, gt: 5}");
        assert!(missing.unwrap_err().contains("needs `percentile`"));
    }
}
