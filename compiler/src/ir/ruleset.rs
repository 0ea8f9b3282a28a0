//! The loaded rules in flat vectors: rules by [`RuleId`], matchers by [`MatcherId`].
//!
//! Identical matchers (same field, values and modifiers) are stored once and shared by every
//! rule that uses them, so the engine evaluates each at most once per record.

use super::{Detection, Matcher, MatcherId, Rule, RuleId, RuleKind, SearchExpr};
use std::collections::HashMap;

/// Loaded rules and their shared matchers. Immutable once built; `Send + Sync`.
#[derive(Debug, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    matchers: Vec<Matcher>,
    by_key: HashMap<String, MatcherId>,
}

impl RuleSet {
    /// Adds a rule whose detection refers to `local` matchers by their index in that vector.
    pub fn add(&mut self, mut rule: Rule, local: Vec<Matcher>) -> RuleId {
        let ids: Vec<MatcherId> = local.into_iter().map(|m| self.intern(m)).collect();
        match &mut rule.kind {
            RuleKind::Detection(d) => remap_detection(d, &ids),
            RuleKind::Filter(f) => remap_detection(&mut f.detection, &ids),
            RuleKind::Correlation(_) => {}
        }
        self.rules.push(rule);
        RuleId(self.rules.len() as u32 - 1)
    }

    fn intern(&mut self, matcher: Matcher) -> MatcherId {
        if let Some(&id) = self.by_key.get(&matcher.key) {
            return id;
        }
        let id = MatcherId(self.matchers.len() as u32);
        self.by_key.insert(matcher.key.clone(), id);
        self.matchers.push(matcher);
        id
    }

    /// All rules, indexed by [`RuleId`].
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// All rules, to change in place (ids stay).
    pub(crate) fn rules_mut(&mut self) -> &mut [Rule] {
        &mut self.rules
    }

    /// One rule.
    pub fn rule(&self, id: RuleId) -> &Rule {
        &self.rules[id.0 as usize]
    }

    /// All matchers, indexed by [`MatcherId`].
    pub fn matchers(&self) -> &[Matcher] {
        &self.matchers
    }

    /// One matcher.
    pub fn matcher(&self, id: MatcherId) -> &Matcher {
        &self.matchers[id.0 as usize]
    }

    /// Rules with their ids.
    pub fn iter(&self) -> impl Iterator<Item = (RuleId, &Rule)> {
        self.rules
            .iter()
            .enumerate()
            .map(|(i, r)| (RuleId(i as u32), r))
    }

    /// The detection rules with their ids (not correlations or filters).
    pub fn detections(&self) -> impl Iterator<Item = (RuleId, &Rule)> {
        self.iter()
            .filter(|(_, rule)| matches!(rule.kind, RuleKind::Detection(_)))
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether there are no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Keeps only the rules for which `keep` is true (matchers stay; ids are renumbered).
    pub fn retain(&mut self, keep: impl FnMut(&Rule) -> bool) {
        self.rules.retain(keep);
    }
}

fn remap_detection(detection: &mut Detection, ids: &[MatcherId]) {
    for search in &mut detection.searches {
        remap(&mut search.expr, ids);
    }
}

fn remap(expr: &mut SearchExpr, ids: &[MatcherId]) {
    match expr {
        SearchExpr::Matcher(id) => *id = ids[id.0 as usize],
        SearchExpr::And(items) | SearchExpr::Or(items) => {
            items.iter_mut().for_each(|e| remap(e, ids))
        }
    }
}
