//! Text dumps of the IR, for `sigil debug ir` and golden tests.
//!
//! ```text
//! rule 0 "CloudTrail logging stopped" [aws/*/cloudtrail] level=high
//!   search selection = (and m0 m1)
//!   condition = selection
//! matcher m0: eventSource [eq "cloudtrail.amazonaws.com"]
//! ```

use super::{Condition, Detection, RuleKind, RuleSet, SearchExpr};
use std::fmt::Write;

/// Dumps every rule and then every matcher of a rule set.
pub fn dump_ir(rules: &RuleSet) -> String {
    let mut out = String::new();
    for (id, rule) in rules.iter() {
        let level = rule.meta.level.map_or("-", |l| l.as_str());
        let _ = writeln!(
            out,
            "rule {} {:?} [{}] level={level}",
            id.0, rule.meta.title, rule.meta.logsource
        );
        match &rule.kind {
            RuleKind::Detection(d) => dump_detection(&mut out, d),
            RuleKind::Filter(f) => {
                let names: Vec<&str> = f.rules.iter().map(|(n, _)| n.as_str()).collect();
                let _ = writeln!(out, "  filter for [{}]", names.join(", "));
                dump_detection(&mut out, &f.detection);
            }
            RuleKind::Correlation(c) => {
                let _ = writeln!(out, "  correlation {c:?}");
            }
        }
    }
    for (i, matcher) in rules.matchers().iter().enumerate() {
        let _ = writeln!(out, "matcher m{i}: {}", matcher.key);
    }
    out
}

fn dump_detection(out: &mut String, detection: &Detection) {
    for search in &detection.searches {
        let _ = writeln!(
            out,
            "  search {} = {}",
            search.name,
            search_expr(&search.expr)
        );
    }
    let _ = writeln!(out, "  condition = {}", condition_text(detection));
}

/// A detection's condition as an S-expression over search names: `(and selection (not filter))`.
pub fn condition_text(detection: &Detection) -> String {
    condition(&detection.condition, detection)
}

fn search_expr(expr: &SearchExpr) -> String {
    match expr {
        SearchExpr::Matcher(id) => format!("m{}", id.0),
        SearchExpr::And(items) => list("and", items.iter().map(search_expr)),
        SearchExpr::Or(items) => list("or", items.iter().map(search_expr)),
    }
}

fn condition(cond: &Condition, detection: &Detection) -> String {
    let sub = |c: &Condition| condition(c, detection);
    match cond {
        Condition::Search(i) => detection.searches[*i].name.clone(),
        Condition::Not(inner) => format!("(not {})", sub(inner)),
        Condition::And(items) => list("and", items.iter().map(sub)),
        Condition::Or(items) => list("or", items.iter().map(sub)),
        Condition::AtLeast(n, items) => list(&format!("at-least-{n}"), items.iter().map(sub)),
    }
}

fn list(op: &str, items: impl Iterator<Item = String>) -> String {
    let items: Vec<String> = items.collect();
    format!("({op} {})", items.join(" "))
}
