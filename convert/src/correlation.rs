//! Correlation rules as SQL: window functions over the base rules' events, giving the groups,
//! windows and values Sigil gives (`engine::correlate`).
//!
//! Sigil's windows slide: a window ends at every distinct event time `t` of a group and holds
//! the group's events with times in `[t - timespan, t]`; the condition is tested at every
//! window end, and firing windows that share events make one match, from its first event to
//! its last firing window end, reporting the peak value. In SQL:
//!
//! ```text
//! events    one row per record matched by a referenced rule (group values, time in µs,
//!           aggregated value, one 0/1 flag per referenced rule), records without a time left out
//! windows   per event, over (PARTITION BY group ORDER BY time RANGE BETWEEN timespan PRECEDING
//!           AND CURRENT ROW): the aggregate, the window's first time, and the events before
//!           the window and up to its end (peers included: all events of time t are in)
//! firing    the windows whose aggregate meets the condition, one per (group, time)
//! episodes  a firing window starts a new match unless it begins at or before the end of the
//!           previous firing window of its group (they share events); a running sum numbers them
//! result    per group and match: first window start, last window end, peak value, events
//! ```
//!
//! The aggregates: `event_count` is `COUNT(*)`, `value_count` the distinct non-null values,
//! `value_sum`/`value_avg` `SUM`/`AVG` of the values that read as numbers, `value_percentile`
//! the nearest rank of the sorted numbers, `temporal` the number of referenced rules with an
//! event in the window, `temporal_ordered` the longest prefix of the referenced rules that the
//! window's events match in time order (a query stops with an error when events of one group
//! and time matched different rules, whose input order a table does not hold). Correlations of
//! correlations, and group-by fields that are not plain columns, are refused.
//!
//! Result columns: the group-by names, `window_start_us`, `window_end_us` (microseconds since
//! the epoch), `value`, `events`.

use crate::fieldref::Term;
use crate::tables::{self, Content, Kind, Numeric, Table};
use crate::time::event_micros;
use crate::{Converter, Cx, Query, QueryKind, Refusal};
use sigil_compiler::{Correlation, CorrelationOp, CorrelationType};
use sigil_compiler::{FieldPath, RuleId, RuleKind};

/// The query of a correlation rule.
pub(crate) fn convert(converter: &Converter, correlation: &Correlation) -> Result<Query, Refusal> {
    let inputs = inputs(converter, correlation)?;
    let aggregated = aggregated_field(correlation);
    let mut selects = Vec::new();
    let mut services: Vec<&'static str> = Vec::new();
    // One SELECT per table, each record once whichever of the referenced rules it matched.
    let mut by_table: Vec<(&'static Table, Vec<(usize, RuleId)>)> = Vec::new();
    for (index, (rule, table)) in inputs.iter().enumerate() {
        match by_table.iter_mut().find(|(t, _)| std::ptr::eq(*t, *table)) {
            Some((_, rules)) => rules.push((index, *rule)),
            None => by_table.push((table, vec![(index, *rule)])),
        }
    }
    for (table, rules) in &by_table {
        let cx = converter.context(table);
        let reference = |rule: RuleId, name: &str| alias_for(converter, correlation, rule, name);
        let first = rules[0].1;
        let mut columns = Vec::new();
        for (i, name) in correlation.group_by.iter().enumerate() {
            let field = reference(first, name);
            check_same_field(converter, correlation, rules, name, &field)?;
            columns.push(format!("{} AS g{i}", group_value(&cx, &field)?));
        }
        columns.push(format!("{} AS ts", event_micros(&cx)));
        match &aggregated {
            Some(name) => {
                let field = reference(first, name);
                check_same_field(converter, correlation, rules, name, &field)?;
                let value = match correlation.kind {
                    CorrelationType::ValueCount => group_value(&cx, &field)?,
                    _ => number_value(&cx, &field)?,
                };
                columns.push(format!("{value} AS v"));
            }
            None => columns.push("NULL AS v".into()),
        }
        let mut predicates = Vec::new();
        let temporal = matches!(
            correlation.kind,
            CorrelationType::Temporal | CorrelationType::TemporalOrdered
        );
        for index in 0..inputs.len() {
            match rules.iter().find(|(i, _)| *i == index) {
                Some((_, rule)) => {
                    let predicate = converter
                        .detection_predicate(&cx, *rule)
                        .map_err(|r| r.context(&format!("`{}`", title(converter, *rule))))?;
                    // Which referenced rules a record matched matters to `temporal` only.
                    if temporal {
                        columns.push(format!(
                            "CASE WHEN {predicate} THEN 1 ELSE 0 END AS r{index}"
                        ));
                    }
                    predicates.push(format!("({predicate})"));
                }
                None if temporal => columns.push(format!("0 AS r{index}")),
                None => {}
            }
        }
        selects.push(format!(
            "  SELECT {}\n  FROM {}\n  WHERE {}",
            columns.join(",\n    "),
            converter.options().table_name(table),
            predicates.join("\n     OR ")
        ));
        services.push(table.service);
    }
    let cx = converter.context(inputs[0].1);
    let mut events = selects.join("\n  UNION ALL\n");
    if correlation.kind == CorrelationType::TemporalOrdered {
        events = ordered_events(&cx, correlation, inputs.len(), &events);
    }
    let sql = windows_query(&cx, correlation, inputs.len(), &events);
    Ok(Query {
        sql,
        services,
        kind: QueryKind::Correlation,
    })
}

/// The referenced rules and their tables.
fn inputs(
    converter: &Converter,
    correlation: &Correlation,
) -> Result<Vec<(RuleId, &'static Table)>, Refusal> {
    correlation
        .rules
        .iter()
        .map(|(reference, _)| {
            let rule = converter.named(reference).ok_or_else(|| {
                Refusal::new(format!("no loaded rule has id or name `{reference}`"))
            })?;
            let loaded = converter.rules().rule(rule);
            match loaded.kind {
                RuleKind::Detection(_) => {
                    Ok((rule, tables::for_logsource(&loaded.meta.logsource)?))
                }
                RuleKind::Correlation(_) => Err(Refusal::new(format!(
                    "`{reference}` is a correlation: correlations of correlations are not converted"
                ))),
                RuleKind::Filter(_) => Err(Refusal::new(format!(
                    "`{reference}` is a filter rule, which has no matches"
                ))),
            }
        })
        .collect()
}

fn title(converter: &Converter, rule: RuleId) -> String {
    converter.rules().rule(rule).meta.title.clone()
}

/// The field `name` (a group-by name or the aggregated field) stands for in `rule`'s events.
fn alias_for(converter: &Converter, correlation: &Correlation, rule: RuleId, name: &str) -> String {
    correlation
        .aliases
        .iter()
        .filter(|alias| alias.name == name)
        .flat_map(|alias| &alias.fields)
        .find(|(reference, _)| converter.named(reference) == Some(rule))
        .map_or_else(|| name.to_string(), |(_, field)| field.clone())
}

/// Refuses when two referenced rules of one table read `name` from different fields: their
/// records share one row, which can hold one value only.
fn check_same_field(
    converter: &Converter,
    correlation: &Correlation,
    rules: &[(usize, RuleId)],
    name: &str,
    field: &str,
) -> Result<(), Refusal> {
    if rules
        .iter()
        .any(|(_, rule)| alias_for(converter, correlation, *rule, name) != field)
    {
        return Err(Refusal::new(format!(
            "`{name}` names different fields in rules of the same log source"
        )));
    }
    Ok(())
}

/// The field a `value_*` correlation aggregates.
fn aggregated_field(correlation: &Correlation) -> Option<String> {
    matches!(
        correlation.kind,
        CorrelationType::ValueCount
            | CorrelationType::ValueSum
            | CorrelationType::ValueAvg
            | CorrelationType::ValuePercentile
    )
    .then(|| correlation.condition.as_ref().and_then(|c| c.field.clone()))
    .flatten()
}

/// A plain column (not inside an array, not inside JSON text) for `field`.
fn plain_column(cx: &Cx, field: &str) -> Result<(String, Kind), Refusal> {
    let path = FieldPath::new(field);
    let resolved = cx.table.resolve(cx.d, &path, &|| cx.var("v"))?;
    if !resolved.arrays.is_empty()
        || !resolved.json_path.is_empty()
        || matches!(
            resolved.kind,
            Kind::Text(Content::Json) | Kind::Struct(_) | Kind::Array(_)
        )
    {
        return Err(Refusal::new(format!(
            "`{field}` is not a plain column: correlations group and aggregate plain columns only"
        )));
    }
    Ok((resolved.expr, resolved.kind))
}

/// A field's value as Sigil's correlations read it: the text of the field's scalar.
fn group_value(cx: &Cx, field: &str) -> Result<String, Refusal> {
    let d = cx.d;
    let (column, kind) = plain_column(cx, field)?;
    Ok(match kind {
        Kind::Text(Content::Str | Content::Bool | Content::Number) => column,
        Kind::Text(Content::Log | Content::LogNumber) => format!("NULLIF({column}, '-')"),
        Kind::Text(Content::LogEncoded) => d.percent_decode(&format!("NULLIF({column}, '-')")),
        Kind::Number(Numeric::Int | Numeric::BigInt) => d.to_text(&column),
        Kind::Number(Numeric::Double) => {
            return Err(Refusal::new(format!(
                "`{field}` is a DOUBLE column, whose text differs between the engines and Sigil"
            )));
        }
        Kind::Opaque(_, why) => return Err(Refusal::new(why)),
        Kind::Text(Content::Json) | Kind::Struct(_) | Kind::Array(_) => {
            unreachable!("refused by plain_column")
        }
    })
}

/// A field's value as a number, as Sigil's `value_sum`/`value_avg`/`value_percentile` read it.
fn number_value(cx: &Cx, field: &str) -> Result<String, Refusal> {
    let d = cx.d;
    let (column, kind) = plain_column(cx, field)?;
    Ok(match kind {
        Kind::Number(_) => format!("CAST({column} AS DOUBLE)"),
        Kind::Opaque(_, why) => return Err(Refusal::new(why)),
        _ => Term::string(d, &group_value(cx, field)?).number,
    })
}

/// The message of a `temporal_ordered` query that cannot tell the order of its events.
const TIED_EVENTS: &str = "temporal_ordered: events of one group at the same time matched \
     different rules; Sigil takes them in input order, which the table does not hold";

/// The events of a `temporal_ordered` correlation, with, for each referenced rule `k`, the
/// column `l{k}`: on an event of rule `k`, the latest time at which a chain of events of rules
/// `0, 1, ..., k` (in time order, one event each, this one last) can start. A window ending
/// at `t` holds the first `k + 1` rules in order, as Sigil's greedy walk finds them, exactly
/// when some event of it has `l{k} >= t - timespan`.
///
/// Sigil orders events of the same time as they came in the input, which a table does not
/// hold. That order changes nothing when the events of a group at one time all matched the
/// same rules; when they did not, the query stops with an error ([`TIED_EVENTS`]) rather than
/// answer for some order.
fn ordered_events(cx: &Cx, correlation: &Correlation, inputs: usize, events: &str) -> String {
    let d = cx.d;
    let groups: String = (0..correlation.group_by.len())
        .map(|i| format!("g{i}, "))
        .collect();
    let partition = if groups.is_empty() {
        String::new()
    } else {
        format!("PARTITION BY {} ", groups.trim_end_matches(", "))
    };
    let bits: Vec<String> = (0..inputs)
        .map(|i| format!("r{i} * {}", 1u64 << i))
        .collect();
    let tie = format!("(PARTITION BY {groups}ts)");
    let mut sql = format!(
        "SELECT *, CASE WHEN r0 = 1 THEN ts END AS l0 FROM (\n  \
         SELECT *, MIN(bits) OVER {tie} AS low, MAX(bits) OVER {tie} AS high FROM (\n  \
         SELECT *, {} AS bits FROM (\n{events}\n  ) e WHERE ts IS NOT NULL) b) t\n  \
         WHERE CASE WHEN low = high THEN TRUE ELSE {} END",
        bits.join(" + "),
        d.fail(TIED_EVENTS)
    );
    for k in 1..inputs {
        sql = format!(
            "SELECT *, CASE WHEN r{k} = 1 THEN MAX(CASE WHEN r{p} = 1 THEN l{p} END)\n    \
             OVER ({partition}ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) END AS l{k}\n  \
             FROM ({sql}) c{k}",
            p = k - 1
        );
    }
    format!("  {sql}")
}

/// The windows, firing windows, matches and result over the `events` rows.
fn windows_query(cx: &Cx, correlation: &Correlation, inputs: usize, events: &str) -> String {
    let d = cx.d;
    let groups: Vec<String> = (0..correlation.group_by.len())
        .map(|i| format!("g{i}"))
        .collect();
    let partition = if groups.is_empty() {
        String::new()
    } else {
        format!("PARTITION BY {} ", groups.join(", "))
    };
    let span = i128::from(correlation.timespan_secs) * 1_000_000;
    let window = format!("({partition}ORDER BY ts RANGE BETWEEN {span} PRECEDING AND CURRENT ROW)");
    let (aggregate, comparisons) = aggregate(cx, correlation, inputs, &window);
    let condition: Vec<String> = comparisons
        .iter()
        .map(|(op, bound)| format!("value {} {}", operator(*op), crate::strings::double(*bound)))
        .collect();
    let peak = if comparisons
        .iter()
        .any(|(op, _)| !matches!(op, CorrelationOp::Lt | CorrelationOp::Lte))
    {
        "MAX"
    } else {
        "MIN"
    };
    let group_columns =
        |prefix: &str| -> String { groups.iter().map(|g| format!("{prefix}{g}, ")).collect() };
    let named: Vec<String> = correlation
        .group_by
        .iter()
        .zip(&groups)
        .map(|(name, g)| format!("{g} AS {}", d.ident(name)))
        .collect();
    let mut order: Vec<String> = vec!["window_start_us".into(), "window_end_us".into()];
    order.extend(correlation.group_by.iter().map(|name| d.ident(name)));
    format!(
        "WITH events AS (\n{events}\n),\n\
         windows AS (\n  SELECT {g}ts,\n    {aggregate} AS value,\n    MIN(ts) OVER {window} AS window_start,\n    \
         COUNT(*) OVER ({partition}ORDER BY ts RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS seen,\n    \
         COUNT(*) OVER ({partition}ORDER BY ts RANGE BETWEEN UNBOUNDED PRECEDING AND {after} PRECEDING) AS before\n  \
         FROM events WHERE ts IS NOT NULL\n),\n\
         firing AS (\n  SELECT DISTINCT {g}ts, value, window_start, seen, before FROM windows\n  WHERE {condition}\n),\n\
         episodes AS (\n  SELECT {g}ts, value, window_start, seen, before,\n    \
         SUM(CASE WHEN previous IS NULL OR window_start > previous THEN 1 ELSE 0 END)\n      \
         OVER ({partition}ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS episode\n  \
         FROM (SELECT {g}ts, value, window_start, seen, before,\n    LAG(ts) OVER ({partition}ORDER BY ts) AS previous FROM firing) f\n)\n\
         SELECT {named}MIN(window_start) AS window_start_us, MAX(ts) AS window_end_us,\n  \
         {peak}(value) AS value, MAX(seen) - MIN(before) AS events\n\
         FROM episodes\nGROUP BY {g}episode\nORDER BY {order}",
        g = group_columns(""),
        after = span + 1,
        condition = condition.join(" AND "),
        named = named.iter().map(|n| format!("{n}, ")).collect::<String>(),
        order = order.join(", "),
    )
}

/// The aggregate over `window` and the comparisons it must meet.
fn aggregate(
    cx: &Cx,
    correlation: &Correlation,
    inputs: usize,
    window: &str,
) -> (String, Vec<(CorrelationOp, f64)>) {
    let d = cx.d;
    let comparisons = match &correlation.condition {
        Some(condition) => condition.comparisons.clone(),
        None => vec![(CorrelationOp::Gte, inputs as f64)],
    };
    let aggregate = match correlation.kind {
        CorrelationType::EventCount => format!("COUNT(*) OVER {window}"),
        CorrelationType::ValueCount => d.distinct_count_over("v", window),
        CorrelationType::ValueSum => format!("SUM(v) OVER {window}"),
        CorrelationType::ValueAvg => format!("AVG(v) OVER {window}"),
        CorrelationType::ValuePercentile => {
            // Loading refuses a `value_percentile` without a percentile; Sigil's window
            // would have no value.
            let Some(percentile) = correlation.condition.as_ref().and_then(|c| c.percentile) else {
                return ("CAST(NULL AS DOUBLE)".into(), comparisons);
            };
            let count = format!("COUNT(v) OVER {window}");
            let rank = format!(
                "CAST(greatest(1, least({count}, ceil({} * {count} / 100.0))) AS INTEGER)",
                crate::strings::double(percentile)
            );
            format!(
                "CASE WHEN {count} > 0 THEN {} END",
                d.element(&d.sort(&d.list_over("v", window)), &rank)
            )
        }
        CorrelationType::Temporal => (0..inputs)
            .map(|i| format!("MAX(r{i}) OVER {window}"))
            .collect::<Vec<_>>()
            .join(" + "),
        CorrelationType::TemporalOrdered => {
            // The longest chain `l{k}` reaching back into the window (see `ordered_events`).
            let span = i128::from(correlation.timespan_secs) * 1_000_000;
            let steps: String = (1..=inputs)
                .rev()
                .map(|k| {
                    format!(
                        "WHEN MAX(l{}) OVER {window} >= ts - {span} THEN {k} ",
                        k - 1
                    )
                })
                .collect();
            format!("CASE {steps}ELSE 0 END")
        }
    };
    (aggregate, comparisons)
}

fn operator(op: CorrelationOp) -> &'static str {
    match op {
        CorrelationOp::Gt => ">",
        CorrelationOp::Gte => ">=",
        CorrelationOp::Lt => "<",
        CorrelationOp::Lte => "<=",
        CorrelationOp::Eq => "=",
        CorrelationOp::Neq => "<>",
    }
}
