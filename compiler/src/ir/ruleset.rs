//! The loaded rules in flat vectors: rules by [`RuleId`], matchers by [`MatcherId`].
//!
//! Identical matchers (same field, values and modifiers) are stored once and shared by every
//! rule that uses them, so the engine evaluates each at most once per record.

use super::{Detection, Matcher, MatcherId, Rule, RuleId, RuleKind, SearchExpr, ValuePattern};
use crate::analysis::Literals;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::OnceLock;

/// Loaded rules and their shared matchers. Immutable once built; `Send + Sync`. Serialised in
/// compiled rule-set files (`compiled`), without the index used to share matchers while rules
/// are added.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct RuleSet {
    rules: Vec<Rule>,
    matchers: Vec<Matcher>,
    #[serde(skip)]
    by_key: HashMap<String, MatcherId>,
    /// The rules' literals, once extracted (or read from a compiled file); every change to
    /// the rules drops them.
    #[serde(skip)]
    literals: OnceLock<Literals>,
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
        self.literals.take();
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
        self.literals.take();
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

    /// What each matcher and rule needs in a record's bytes ([`Literals::extract`]), extracted
    /// on the first call and kept until the rules change. A set read from a compiled file
    /// comes with them.
    pub fn literals(&self) -> &Literals {
        self.literals.get_or_init(|| Literals::extract(self))
    }

    /// Takes the rules' [`literals`](RuleSet::literals) out of the set (extracting them if need
    /// be), for a caller that keeps them with the rules.
    pub fn take_literals(&mut self) -> Literals {
        self.literals
            .take()
            .unwrap_or_else(|| Literals::extract(self))
    }

    /// Keeps literals read from a compiled file, already checked against these rules.
    pub(crate) fn keep_literals(&mut self, literals: Literals) {
        self.literals = OnceLock::from(literals);
    }

    /// Keeps only the rules for which `keep` is true (matchers stay; ids are renumbered).
    pub fn retain(&mut self, keep: impl FnMut(&Rule) -> bool) {
        self.rules.retain(keep);
        self.literals.take();
    }

    /// The `|expand` placeholders a rule uses that were given no values, each once, in the
    /// order written. A rule with any is loaded (it is valid Sigma) but cannot run until they
    /// have values: those values stand for no value at all.
    ///
    /// ```
    /// let rule = "title: t\nlogsource: {product: aws}\ndetection:\n  sel:\n    \
    ///             userName|expand: '%admins%'\n  condition: sel\n";
    /// let loaded = sigil_compiler::load_str("t.yml".as_ref(), rule, &Default::default());
    /// let rule = sigil_compiler::RuleId(0);
    /// assert_eq!(loaded.rules.placeholders_without_values(rule), ["admins"]);
    /// ```
    pub fn placeholders_without_values(&self, rule: RuleId) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        let detection = match &self.rule(rule).kind {
            RuleKind::Detection(d) => d,
            RuleKind::Filter(f) => &f.detection,
            RuleKind::Correlation(_) => return names,
        };
        let matchers = detection.searches.iter().flat_map(|s| s.expr.matchers());
        for id in matchers {
            for value in &self.matcher(id).values {
                placeholders_in(value, &mut names);
            }
        }
        names
    }

    /// Removes the rules that use placeholders without values (see
    /// [`placeholders_without_values`](RuleSet::placeholders_without_values)), for a caller
    /// about to run the rules; returns each removed rule with those placeholders. Ids are
    /// renumbered.
    pub fn remove_rules_needing_placeholders(&mut self) -> Vec<(Rule, Vec<String>)> {
        let mut anywhere = Vec::new();
        let values = self.matchers.iter().flat_map(|m| &m.values);
        values.for_each(|value| placeholders_in(value, &mut anywhere));
        if anywhere.is_empty() {
            return Vec::new();
        }
        let needs: Vec<Vec<String>> = (0..self.rules.len() as u32)
            .map(|i| {
                let names = self.placeholders_without_values(RuleId(i));
                names.into_iter().map(str::to_string).collect()
            })
            .collect();
        let mut removed = Vec::new();
        let rules = std::mem::take(&mut self.rules);
        for (rule, names) in rules.into_iter().zip(needs) {
            if names.is_empty() {
                self.rules.push(rule);
            } else {
                removed.push((rule, names));
            }
        }
        if !removed.is_empty() {
            self.literals.take();
        }
        removed
    }
}

fn placeholders_in<'v>(value: &'v ValuePattern, names: &mut Vec<&'v str>) {
    match value {
        ValuePattern::Placeholder(name) if !names.contains(&name.as_str()) => names.push(name),
        ValuePattern::AnyOf(variants) => variants.iter().for_each(|v| placeholders_in(v, names)),
        _ => {}
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
