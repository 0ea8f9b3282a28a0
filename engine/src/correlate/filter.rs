//! Global filters (Sigma filter rules): drop matches of the rules they name.
//!
//! A filter names rules by `id` or `name` and has a detection. A match of a named rule is
//! dropped when the filter's detection holds for the event, as the Sigma filters specification
//! describes ("suppress matches"; its example filter `condition: selection` removes the
//! administrator accounts it selects). A filter applies only to rules of its log source: every
//! part of the filter's `logsource` that is set must equal the rule's (a filter for
//! `product: aws, service: cloudtrail` does not touch a rule for `product: aws` only). Filters
//! never apply to correlation rules, but a dropped base match does not reach its correlations.
//!
//! pySigma differs in one respect: it appends a filter as `and (filter condition)`, so filters
//! written for it say `condition: not selection`. Sigil follows the specification's wording.

use crate::eval::{Evaluator, Json};
use sigil_compiler::{Detection, LogSource, RuleId, RuleKind, RuleSet};
use std::collections::HashMap;

/// The filters of a rule set, by the rule they apply to.
#[derive(Debug, Default)]
pub struct Filters<'r> {
    by_rule: HashMap<RuleId, Vec<&'r Detection>>,
}

impl<'r> Filters<'r> {
    /// Collects the filter rules of `rules`.
    pub fn new(rules: &'r RuleSet) -> Self {
        let mut by_rule: HashMap<RuleId, Vec<&'r Detection>> = HashMap::new();
        for (_, filter_rule) in rules.iter() {
            let RuleKind::Filter(filter) = &filter_rule.kind else {
                continue;
            };
            for (id, rule) in rules.iter() {
                let named = filter.rules.iter().any(|(reference, _)| {
                    Some(reference.as_str()) == rule.meta.id.as_deref()
                        || Some(reference.as_str()) == rule.meta.name.as_deref()
                });
                if named
                    && matches!(rule.kind, RuleKind::Detection(_))
                    && covers(&filter_rule.meta.logsource, &rule.meta.logsource)
                {
                    by_rule.entry(id).or_default().push(&filter.detection);
                }
            }
        }
        Filters { by_rule }
    }

    /// Whether there is no filter.
    pub fn is_empty(&self) -> bool {
        self.by_rule.is_empty()
    }

    /// Whether some filter applies to `rule`.
    pub fn applies(&self, rule: RuleId) -> bool {
        self.by_rule.contains_key(&rule)
    }

    /// Whether a filter drops `rule`'s match of `record`.
    pub fn drops<'a>(
        &self,
        evaluator: &mut Evaluator<'r>,
        rule: RuleId,
        record: impl Json<'a>,
    ) -> bool {
        self.by_rule.get(&rule).is_some_and(|detections| {
            detections
                .iter()
                .any(|detection| evaluator.detection_holds(detection, record))
        })
    }
}

/// Whether a filter of log source `filter` applies to a rule of log source `rule`.
fn covers(filter: &LogSource, rule: &LogSource) -> bool {
    let part = |f: &Option<String>, r: &Option<String>| f.is_none() || f == r;
    part(&filter.product, &rule.product)
        && part(&filter.service, &rule.service)
        && part(&filter.category, &rule.category)
}
