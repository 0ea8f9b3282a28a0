//! Sigma filters (meta filter rules), applied as pySigma applies them: the filter's condition
//! is AND-ed onto the condition of every detection rule it names, when the rules are loaded.
//!
//! A filter names rules by `id` or `name`, and applies to a named rule only where its
//! `logsource` covers the rule's: every part of the filter's log source that is set equals the
//! rule's (a filter for `product: aws, service: cloudtrail` leaves a rule for `product: aws`
//! alone). Filters never apply to correlation rules. Several filters on one rule all hold.
//!
//! The filter's searches join the rule's detection under the name `search@filter` (the
//! filter's `name`, else its `id`, else its title), and the rule's condition becomes
//! `(rule condition) and (filter condition)`. A rule's IR therefore holds its filters, so
//! everything downstream sees them without knowing about filters: the evaluator, the literal
//! prefilter (whose formula for the rule is then the rule's AND the filter's, which can only
//! narrow it) and `sigil debug ir`.
//!
//! ```
//! use sigil_compiler::{Code, RuleId, RuleKind, load_str};
//! let rules = "title: logins\nname: logins\nlogsource: {product: aws, service: cloudtrail}\n\
//!              detection:\n  sel: {eventName: ConsoleLogin}\n  condition: sel\n---\n\
//!              title: not the office\nname: office\nlogsource: {product: aws}\nfilter:\n  \
//!              rules: [logins]\n  office: {sourceIPAddress: 10.0.0.1}\n  condition: not office\n";
//! let loaded = load_str("r.yml".as_ref(), rules, &Default::default());
//! let RuleKind::Detection(logins) = &loaded.rules.rule(RuleId(0)).kind else { panic!() };
//! assert_eq!(sigil_compiler::condition_text(logins), "(and sel (not office@office))");
//! ```

use super::{Condition, Detection, LogSource, Rule, RuleKind, RuleSet, Search};
use crate::diagnostic::{Code, Diagnostic};
use crate::source::Span;

impl LogSource {
    /// Whether a filter (or anything else scoped) of this log source covers a rule of log
    /// source `rule`: every part set here equals the rule's.
    ///
    /// ```
    /// use sigil_compiler::LogSource;
    /// let aws = LogSource { product: Some("aws".into()), ..LogSource::default() };
    /// let trail = LogSource { service: Some("cloudtrail".into()), ..aws.clone() };
    /// assert!(aws.covers(&trail));
    /// assert!(!trail.covers(&aws));
    /// ```
    pub fn covers(&self, rule: &LogSource) -> bool {
        let part =
            |mine: &Option<String>, theirs: &Option<String>| mine.is_none() || mine == theirs;
        part(&self.product, &rule.product)
            && part(&self.service, &rule.service)
            && part(&self.category, &rule.category)
    }
}

impl RuleSet {
    /// Applies every filter rule to the detection rules it names (see the module docs).
    /// Returns a `filter_not_applied` warning for each named rule a filter does not apply to.
    pub(crate) fn apply_filters(&mut self) -> Vec<Diagnostic> {
        let mut warnings = Vec::new();
        // Filters are read from a snapshot, so a filter's own detection is never filtered.
        let filters: Vec<Rule> = self
            .rules()
            .iter()
            .filter(|rule| matches!(rule.kind, RuleKind::Filter(_)))
            .cloned()
            .collect();
        for filter_rule in &filters {
            let RuleKind::Filter(filter) = &filter_rule.kind else {
                continue;
            };
            let label = filter_label(filter_rule);
            for (reference, span) in &filter.rules {
                for rule in self.rules_mut() {
                    if !names(reference, rule) {
                        continue;
                    }
                    let logsource = &filter_rule.meta.logsource;
                    let RuleKind::Detection(detection) = &mut rule.kind else {
                        if matches!(rule.kind, RuleKind::Correlation(_)) {
                            warnings.push(not_applied(
                                *span,
                                format!("`{reference}` is a correlation rule"),
                                "filters apply to detection rules only",
                            ));
                        }
                        continue;
                    };
                    if logsource.covers(&rule.meta.logsource) {
                        and_filter(detection, &filter.detection, &label);
                    } else {
                        warnings.push(not_applied(
                            *span,
                            format!(
                                "the filter's logsource {logsource} does not cover the log \
                                 source {} of `{reference}`",
                                rule.meta.logsource
                            ),
                            "a filter applies where every part of its logsource that is set \
                             equals the rule's",
                        ));
                    }
                }
            }
        }
        warnings
    }
}

/// Whether `reference` (a filter's entry in `rules`) names `rule`.
fn names(reference: &str, rule: &Rule) -> bool {
    Some(reference) == rule.meta.id.as_deref() || Some(reference) == rule.meta.name.as_deref()
}

/// How a filter's searches are named in the rules it applies to.
fn filter_label(filter: &Rule) -> String {
    let meta = &filter.meta;
    meta.name
        .clone()
        .or_else(|| meta.id.clone())
        .unwrap_or_else(|| meta.title.clone())
}

/// `detection` with `filter`'s searches added and its condition AND-ed on.
fn and_filter(detection: &mut Detection, filter: &Detection, label: &str) {
    let offset = detection.searches.len();
    detection
        .searches
        .extend(filter.searches.iter().map(|search| Search {
            name: format!("{}@{label}", search.name),
            ..search.clone()
        }));
    let own = std::mem::replace(&mut detection.condition, Condition::And(Vec::new()));
    detection.condition = Condition::And(vec![own, shifted(&filter.condition, offset)]);
}

/// `condition` with every search index moved up by `offset`.
fn shifted(condition: &Condition, offset: usize) -> Condition {
    let all = |items: &[Condition]| items.iter().map(|c| shifted(c, offset)).collect();
    match condition {
        Condition::And(items) => Condition::And(all(items)),
        Condition::Or(items) => Condition::Or(all(items)),
        Condition::AtLeast(n, items) => Condition::AtLeast(*n, all(items)),
        Condition::Not(inner) => Condition::Not(Box::new(shifted(inner, offset))),
        Condition::Search(index) => Condition::Search(index + offset),
    }
}

fn not_applied(span: Span, message: String, help: &str) -> Diagnostic {
    Diagnostic::new(
        Code::FilterNotApplied,
        span,
        format!("filter not applied: {message}"),
    )
    .with_label("named here")
    .with_help(help)
}
