//! A detection (searches and condition, the global filters the compiler folded in) as an SQL
//! `WHERE` predicate.
//!
//! Searches are And/Or trees of matchers; a matcher is the OR (or, under `|all`, the AND) of
//! its value patterns on its field's [`Values`], negated under `|neq`. The condition combines
//! searches with `AND`, `OR`, `NOT`, and `n of` as a sum of `CASE`s. Every matcher is `TRUE`
//! or `FALSE`, never `NULL`, so `NOT` means what it means to Sigil.
//!
//! ```text
//! selection:  {eventSource: cloudtrail.amazonaws.com, eventName: StopLogging}
//! condition:  selection
//! WHERE (COALESCE(translate("eventsource", …) = 'cloudtrail.amazonaws.com', FALSE)
//!    AND COALESCE(translate("eventname", …) = 'stoplogging', FALSE))
//! ```

use crate::values::Values;
use crate::{Cx, Refusal};
use sigil_compiler::{Combine, Condition, Detection, Matcher, RuleSet, SearchExpr, ValuePattern};

/// The predicate of `detection`, whose matchers live in `rules`.
pub(crate) fn predicate(
    cx: &Cx,
    rules: &RuleSet,
    detection: &Detection,
) -> Result<String, Refusal> {
    condition(cx, rules, detection, &detection.condition)
}

fn condition(
    cx: &Cx,
    rules: &RuleSet,
    detection: &Detection,
    condition: &Condition,
) -> Result<String, Refusal> {
    let all = |items: &[Condition]| -> Result<Vec<String>, Refusal> {
        items
            .iter()
            .map(|c| self::condition(cx, rules, detection, c))
            .collect()
    };
    Ok(match condition {
        Condition::And(items) => join(all(items)?, "AND", "TRUE"),
        Condition::Or(items) => join(all(items)?, "OR", "FALSE"),
        Condition::Not(inner) => format!("(NOT {})", self::condition(cx, rules, detection, inner)?),
        Condition::AtLeast(0, _) => "TRUE".into(),
        Condition::AtLeast(n, items) => {
            let counted: Vec<String> = all(items)?
                .into_iter()
                .map(|c| format!("CASE WHEN {c} THEN 1 ELSE 0 END"))
                .collect();
            format!("({} >= {n})", counted.join(" + "))
        }
        Condition::Search(index) => {
            let search = detection
                .searches
                .get(*index)
                .ok_or_else(|| Refusal::new("the condition names a search that does not exist"))?;
            search_expr(cx, rules, &search.expr)
                .map_err(|r| r.context(&format!("search `{}`", search.name)))?
        }
    })
}

fn search_expr(cx: &Cx, rules: &RuleSet, expr: &SearchExpr) -> Result<String, Refusal> {
    let all = |items: &[SearchExpr]| -> Result<Vec<String>, Refusal> {
        items.iter().map(|e| search_expr(cx, rules, e)).collect()
    };
    match expr {
        SearchExpr::And(items) => Ok(join(all(items)?, "AND", "TRUE")),
        SearchExpr::Or(items) => Ok(join(all(items)?, "OR", "FALSE")),
        SearchExpr::Matcher(id) => matcher(cx, rules.matcher(*id)),
    }
}

/// One matcher: `TRUE` or `FALSE` for every row.
fn matcher(cx: &Cx, matcher: &Matcher) -> Result<String, Refusal> {
    let field = matcher.field.as_ref().ok_or_else(|| {
        Refusal::new(
            "keywords search every value of the record, and a table holds only its columns",
        )
    })?;
    let values = Values::of(cx, field)?;
    let parts = match matcher.combine {
        Combine::Any => any_parts(cx, &values, &matcher.values),
        Combine::All => matcher
            .values
            .iter()
            .map(|pattern| values.holds(cx, pattern))
            .collect::<Result<Vec<_>, _>>(),
    }
    .map_err(|r| r.context(&format!("field `{}`", field.name)))?;
    // Each part is TRUE or FALSE (see `Values::holds`), and so is their combination.
    let held = match matcher.combine {
        Combine::Any => join(parts, "OR", "FALSE"),
        Combine::All => join(parts, "AND", "TRUE"),
    };
    Ok(if matcher.negate {
        format!("(NOT {held})")
    } else {
        held
    })
}

/// The parts of a matcher whose values are OR-ed: one per pattern about the whole field
/// (`null`, `exists`, a value's variants), and one pass over the values for all the others
/// (some value matches some pattern).
fn any_parts(cx: &Cx, values: &Values, patterns: &[ValuePattern]) -> Result<Vec<String>, Refusal> {
    let (whole, per_value): (Vec<&ValuePattern>, Vec<&ValuePattern>) =
        patterns.iter().partition(|p| {
            matches!(
                p,
                ValuePattern::Null | ValuePattern::Exists(_) | ValuePattern::AnyOf(_)
            )
        });
    let mut parts = whole
        .into_iter()
        .map(|pattern| values.holds(cx, pattern))
        .collect::<Result<Vec<_>, _>>()?;
    if !per_value.is_empty() {
        parts.push(values.any_matches(cx, &per_value)?);
    }
    Ok(parts)
}

/// `parts` joined by `op` in parentheses; `empty` when there are none.
fn join(parts: Vec<String>, op: &str, empty: &str) -> String {
    match parts.len() {
        0 => empty.to_string(),
        1 => parts.into_iter().next().expect("one part"),
        _ => format!("({})", parts.join(&format!(" {op} "))),
    }
}
