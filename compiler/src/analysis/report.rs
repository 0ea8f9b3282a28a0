//! What literal extraction tells people: `no_literal` warnings and the `sigil debug literals`
//! dump.
//!
//! A rule whose formula is `true` is evaluated on every record. Its warning points at the part
//! of the rule responsible: following the condition, the first operand that needs nothing
//! (every operand of an `and` does, so the first; of an `or` the first that does), down to a
//! `not`, or to a matcher and the value in it that has no literal.

use super::{Formula, Literals, condition_formula, search_formula, value_formula};
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{
    Condition, Detection, Matcher, RuleKind, RuleSet, SearchExpr, StrKind, ValuePattern,
};
use crate::source::Span;
use std::fmt::Write as _;

/// A `no_literal` warning for every detection rule the prefilter cannot rule out, pointing at
/// the matcher (or `not`) responsible.
pub fn no_literal_warnings(rules: &RuleSet) -> Vec<Diagnostic> {
    let report = Report {
        rules,
        literals: rules.literals(),
    };
    rules
        .iter()
        .filter(|(id, _)| *report.literals.rule(*id) == Formula::True)
        .filter_map(|(_, rule)| match &rule.kind {
            RuleKind::Detection(detection) => {
                let (span, label) = report.culprit(detection, &detection.condition, true);
                Some(
                    Diagnostic::new(
                        Code::NoLiteral,
                        span,
                        "no literal: this rule is evaluated on every record",
                    )
                    .with_label(label)
                    .with_help(
                        "the prefilter needs, in every branch of the condition, a string value \
                         of at least 3 ASCII characters or a field that must be present",
                    ),
                )
            }
            RuleKind::Filter(_) | RuleKind::Correlation(_) => None,
        })
        .collect()
}

/// The rules and their literals, to explain formulas.
struct Report<'r> {
    rules: &'r RuleSet,
    literals: &'r Literals,
}

impl Report<'_> {
    /// The span and reason of the first part of `condition` that needs no literal to hold
    /// (`truth`) or, under a `not`, to fail.
    fn culprit(&self, detection: &Detection, condition: &Condition, truth: bool) -> (Span, String) {
        let needs_nothing = |c: &&Condition| {
            condition_formula(detection, c, &self.literals.matchers, truth) == Formula::True
        };
        match condition {
            Condition::And(items) | Condition::Or(items) | Condition::AtLeast(_, items) => {
                match items.iter().find(needs_nothing) {
                    Some(item) => self.culprit(detection, item, truth),
                    None => (detection.condition_span, "always holds".into()),
                }
            }
            Condition::Not(inner) => self.culprit(detection, inner, !truth),
            Condition::Search(index) => {
                self.search_culprit(&detection.searches[*index].expr, truth)
            }
        }
    }

    fn search_culprit(&self, expr: &SearchExpr, truth: bool) -> (Span, String) {
        match expr {
            SearchExpr::And(items) | SearchExpr::Or(items) => {
                let needs_nothing = |e: &&SearchExpr| {
                    search_formula(e, &self.literals.matchers, truth) == Formula::True
                };
                let item = items.iter().find(needs_nothing).unwrap_or(&items[0]);
                self.search_culprit(item, truth)
            }
            SearchExpr::Matcher(id) => {
                let matcher = self.rules.matcher(*id);
                let reason = if truth {
                    matcher_reason(matcher)
                } else {
                    "under `not`: this fails on any record that lacks it, and what is absent \
                     cannot be searched for"
                        .into()
                };
                (matcher.span, reason)
            }
        }
    }
}

/// Why a matcher needs no literal.
fn matcher_reason(matcher: &Matcher) -> String {
    if matcher.negate {
        return "`|neq` holds when the value is absent".into();
    }
    let mut scratch = super::Interner::default();
    matcher
        .values
        .iter()
        .find(|v| value_formula(v, &mut scratch) == Formula::True)
        .map_or_else(|| "needs no literal".into(), value_reason)
}

fn value_reason(value: &ValuePattern) -> String {
    match value {
        ValuePattern::Null => "`null` matches a missing field".into(),
        ValuePattern::Exists(_) => "`|exists` only tests presence".into(),
        ValuePattern::Compare(..) => "a numeric comparison has no literal".into(),
        ValuePattern::Cidr(_) => "a network (`|cidr`) has no literal".into(),
        ValuePattern::FieldRef(..) => "`|fieldref` compares with another field".into(),
        ValuePattern::TimePart(..) => "a time part has no literal".into(),
        ValuePattern::AnyOf(_) => "a variant of this value has no literal".into(),
        ValuePattern::Placeholder(_) => "a placeholder without values holds for nothing".into(),
        ValuePattern::Str(m) if m.number.is_some() || m.numeric_strings => {
            "a number matches however it is written (403, 403.0, 4.03e2)".into()
        }
        ValuePattern::Str(m) if matches!(m.kind, StrKind::Regex(_)) => {
            "this regex requires no literal of at least 3 ASCII characters".into()
        }
        ValuePattern::Str(_) => "this value has no run of at least 3 ASCII characters".into(),
    }
}

/// Each detection rule's matchers with their formulas, and the rule's formula: the text of
/// `sigil debug literals`.
///
/// ```
/// let rule = "title: t\nlogsource: {product: aws}\ndetection:\n  sel:\n    \
///             eventName|startswith: Delete\n  condition: sel\n";
/// let loaded = sigil_compiler::load_str("t.yml".as_ref(), rule, &Default::default());
/// let text = sigil_compiler::dump_literals(&loaded.rules);
/// assert!(text.contains("formula: `\"delete`"));
/// ```
pub fn dump_literals(rules: &RuleSet) -> String {
    let literals = rules.literals();
    let mut out = String::new();
    for (id, rule) in rules.iter() {
        let _ = writeln!(out, "rule {}: {}", id.0, rule.meta.title);
        let RuleKind::Detection(detection) = &rule.kind else {
            let _ = writeln!(
                out,
                "  not a detection: evaluated after detection, no literals"
            );
            continue;
        };
        for search in &detection.searches {
            for matcher in search.expr.matchers() {
                let formula = literals.render(literals.matcher(matcher));
                let key = &rules.matcher(matcher).key;
                let _ = writeln!(out, "  {}: {key}\n    => {formula}", search.name);
            }
        }
        let _ = writeln!(out, "  formula: {}", literals.render(literals.rule(id)));
    }
    out
}
