//! Stage 3, analysis: what a rule needs in a record's raw bytes before it can match (literal
//! extraction, for the engine's prefilter), and what its author should hear about it
//! (`report`: the `no_literal` warnings and the `sigil debug literals` dump).
//!
//! Every matcher gets a monotone [`Formula`] over literals that must occur in the raw JSON
//! record if the matcher holds, and every detection rule the formula of its condition. The
//! engine feeds all literals into one search, scans each record once, and evaluates only the
//! rules whose formula holds (DESIGN §3).
//!
//! The soundness contract: **if a rule matches a record without optional JSON escapes of
//! printable characters (`\u0041`, `\/`), its formula holds for that record's bytes with
//! ASCII case folded.** (The engine spells such escapes out before it scans.) False positives
//! are allowed, false negatives never. How each piece keeps it:
//!
//! - a string pattern needs its JSON-escaped literal, cut at non-ASCII and control characters,
//!   quoted where it is anchored (see `string_literals`); a `|re` needs its required literals
//!   (see `regex_literals`); a pattern with no piece of [`MIN_LITERAL_LEN`] bytes needs nothing;
//! - numbers, numeric strings, `null`, `exists`, `cidr`, comparisons, `fieldref` and time parts
//!   need no literal of their value, nor does a `|neq` matcher (it holds by absence); but a
//!   matcher left with nothing still needs its field's key when it cannot hold on a missing
//!   field (`EventID: 4688` needs `"EventID"`, case and all, see `string_literals`);
//! - values combine as the matcher does (OR, or AND under `|all`), encoded variants by OR;
//! - a value literal shorter than [`STRONG_LITERAL_LEN`] (`false`, `admin`) is joined by its
//!   field's key, since short words occur in most records;
//! - in a condition `and`/`or` stay and `N of` relaxes to an OR (an AND when all are needed);
//!   `not X` needs what X's *falsity* needs, by De Morgan: a matcher is false for free, except
//!   `field: null`, `|exists: false` and `|neq`, which are false only when the field is there
//!   (`not Image: null` needs `"Image"`).
//!
//! ```
//! use sigil_compiler::{Literals, RuleId, load_str};
//! let rule = "title: t\nlogsource: {product: aws}\ndetection:\n  sel:\n    \
//!             eventName: ConsoleLogin\n    errorCode|contains: [Denied, Unauthorized]\n  \
//!             filter:\n    userIdentity.type: Root\n  condition: sel and not filter\n";
//! let loaded = load_str("t.yml".as_ref(), rule, &Default::default());
//! let literals = Literals::extract(&loaded.rules);
//! assert_eq!(
//!     literals.render(literals.rule(RuleId(0))),
//!     r#"`"consolelogin"` & `"errorCode"` & (`denied` | `unauthorized`)"#
//! );
//! ```

mod anchor;
mod formula;
mod regex_literals;
mod report;
mod string_literals;

pub use anchor::Anchor;
pub use formula::{Formula, LiteralId};
pub use report::{dump_literals, no_literal_warnings};

use crate::ir::{
    Combine, Condition, Detection, FieldPath, Matcher, MatcherId, RuleId, RuleKind, RuleSet,
    SearchExpr, StrKind, ValuePattern,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Shortest literal worth looking for: shorter ones occur in nearly every record.
pub const MIN_LITERAL_LEN: usize = 3;

/// Shortest value literal selective on its own; a matcher whose value literals are all shorter
/// also needs its field's key.
pub const STRONG_LITERAL_LEN: usize = 8;

/// The deduplicated literals of a rule set and the formulas of its matchers and rules.
/// Serialised in compiled rule-set files (`compiled`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Literals {
    /// By [`LiteralId`]: JSON-escaped bytes (see [`Literals::literals`]).
    literals: Vec<Vec<u8>>,
    /// Per literal: whether it must occur with its exact case (see [`Literals::is_cased`]).
    cased: Vec<bool>,
    matchers: Vec<Needs>,
    rules: Vec<Formula>,
    /// Per rule: the formula over field keys only (see [`Literals::rule_keys`]).
    keys: Vec<Formula>,
}

/// Literals deduplicated by their bytes and case rule, as they are extracted.
#[derive(Debug, Default)]
pub(crate) struct Interner {
    literals: Vec<Vec<u8>>,
    /// Per literal: whether it must occur with its exact case (see [`Literals::is_cased`]).
    cased: Vec<bool>,
    ids: HashMap<(Vec<u8>, bool), LiteralId>,
}

impl Interner {
    /// The formula "`literal` occurs" (lowercase ASCII, JSON-escaped bytes, any case).
    fn formula(&mut self, literal: Vec<u8>) -> Formula {
        self.intern(literal, false)
    }

    /// The formula "`literal` occurs with exactly this case" (JSON-escaped bytes).
    fn cased_formula(&mut self, literal: Vec<u8>) -> Formula {
        self.intern(literal, true)
    }

    fn intern(&mut self, literal: Vec<u8>, cased: bool) -> Formula {
        let key = (literal, cased);
        if let Some(&id) = self.ids.get(&key) {
            return Formula::Lit(id);
        }
        let id = LiteralId(self.literals.len() as u32);
        self.literals.push(key.0.clone());
        self.cased.push(cased);
        self.ids.insert(key, id);
        Formula::Lit(id)
    }
}

impl Literals {
    /// Extracts the literals and formulas of every matcher and rule of `rules`. Filter and
    /// correlation rules get `True` (the engine does not evaluate them per record).
    pub fn extract(rules: &RuleSet) -> Literals {
        let mut interner = Interner::default();
        let needs: Vec<Needs> = rules
            .matchers()
            .iter()
            .map(|m| Needs {
                truth: matcher_formula(m, &mut interner),
                falsity: matcher_falsity(m, &mut interner),
            })
            .collect();
        let key_needs: Vec<Needs> = rules
            .matchers()
            .iter()
            .map(|m| Needs {
                truth: matcher_keys(m, &mut interner),
                falsity: if m.negate {
                    matcher_keys(&plain(m), &mut interner)
                } else {
                    matcher_falsity(m, &mut interner)
                },
            })
            .collect();
        let of_rules = |needs: &[Needs]| -> Vec<Formula> {
            rules
                .rules()
                .iter()
                .map(|rule| match &rule.kind {
                    RuleKind::Detection(d) => condition_formula(d, &d.condition, needs, true),
                    RuleKind::Filter(_) | RuleKind::Correlation(_) => Formula::True,
                })
                .collect()
        };
        Literals {
            rules: of_rules(&needs),
            keys: of_rules(&key_needs),
            literals: interner.literals,
            cased: interner.cased,
            matchers: needs,
        }
    }

    /// Literals decoded from a compiled file, checked to fit `rules` (one formula per matcher
    /// and rule, every literal id in range).
    pub(crate) fn checked(self, rules: &RuleSet) -> Result<Literals, String> {
        let count = self.literals.len();
        let formulas = self.matchers.iter().flat_map(|n| [&n.truth, &n.falsity]);
        let mut in_range = true;
        for formula in formulas.chain(&self.rules).chain(&self.keys) {
            formula.visit_literals(&mut |id| in_range &= (id.0 as usize) < count);
        }
        let fits = self.cased.len() == count
            && self.matchers.len() == rules.matchers().len()
            && self.rules.len() == rules.len()
            && self.keys.len() == rules.len();
        if !(fits && in_range) {
            return Err("its literals do not fit its rules".into());
        }
        Ok(self)
    }

    /// All literals, indexed by [`LiteralId`]: JSON-escaped bytes, lowercase ASCII and to be
    /// matched ASCII case-insensitively unless [`is_cased`](Literals::is_cased).
    pub fn literals(&self) -> &[Vec<u8>] {
        &self.literals
    }

    /// One literal's bytes.
    pub fn literal(&self, id: LiteralId) -> &[u8] {
        &self.literals[id.0 as usize]
    }

    /// Whether a literal counts only with its exact case (the keys of fields, which the
    /// evaluator compares case-sensitively: `EventID` is not CloudTrail's `eventID`). Its bytes
    /// keep their case; an automaton that folds case must check the bytes it found. Every
    /// other literal is a value's, which string patterns find in values only: the engine may
    /// leave out its occurrences inside object keys.
    pub fn is_cased(&self, id: LiteralId) -> bool {
        self.cased[id.0 as usize]
    }

    /// The literal of a record's top-level `key` (`"eventVersion"`, with its case), added
    /// beside the rules' literals unless it is one of them; `None` if the key gives no usable
    /// literal. (It looks through the literals one by one: a rule set asks for a few keys.)
    pub fn top_level_key(&mut self, key: &str) -> Option<LiteralId> {
        let bytes = string_literals::field_key(&FieldPath::new(key))?;
        let known = (self.literals.iter().zip(&self.cased))
            .position(|(literal, &cased)| cased && *literal == bytes);
        let index = known.unwrap_or_else(|| {
            self.literals.push(bytes);
            self.cased.push(true);
            self.literals.len() - 1
        });
        Some(LiteralId(index as u32))
    }

    /// A matcher's formula.
    pub fn matcher(&self, id: MatcherId) -> &Formula {
        &self.matchers[id.0 as usize].truth
    }

    /// A rule's formula.
    pub fn rule(&self, id: RuleId) -> &Formula {
        &self.rules[id.0 as usize]
    }

    /// What a rule needs of the record's field keys alone: its formula with every matcher
    /// reduced to the key of its field (when the matcher cannot hold without its field), so a
    /// formula over cased key literals only. It holds whenever [`rule`](Literals::rule)
    /// holds, and tells which rules can apply to the keys a record has: with all of SigmaHQ
    /// forced onto CloudTrail, about 210 of 3,227 rules for each record.
    ///
    /// ```
    /// use sigil_compiler::{Literals, RuleId, load_str};
    /// let rule = "title: t\nlogsource: {product: windows}\ndetection:\n  sel:\n    \
    ///             Image|endswith: '\\mimikatz.exe'\n  filter:\n    User: null\n  \
    ///             condition: sel and not filter\n";
    /// let loaded = load_str("t.yml".as_ref(), rule, &Default::default());
    /// let literals = Literals::extract(&loaded.rules);
    /// assert_eq!(literals.render(literals.rule_keys(RuleId(0))), r#"`"User"` & `"Image"`"#);
    /// ```
    pub fn rule_keys(&self, id: RuleId) -> &Formula {
        &self.keys[id.0 as usize]
    }

    /// The literals that trigger a look at `formula` (see [`Formula::triggers`]), preferring
    /// long value literals to short ones and to field keys, which most records of a source
    /// hold, and literals that few rules mention to those that many do (`mentions`: per
    /// literal, by [`LiteralId`], the number of rules of the set looked at whose formulas
    /// mention it). Rules are written about rare events, so a value many of them share (a
    /// service's endpoint, `"kms.amazonaws.com"`) is common in the logs where one rule's own
    /// (an API call's name, `"schedulekeydeletion"`) is rare.
    ///
    /// ```
    /// use sigil_compiler::{Literals, RuleId, load_str};
    /// let rules = "title: a\nlogsource: {product: aws}\ndetection:\n  sel: {eventSource: \
    ///              kms.amazonaws.com, eventName: DisableKey}\n  condition: sel\n---\ntitle: b\n\
    ///              logsource: {product: aws}\ndetection:\n  sel: {eventSource: \
    ///              kms.amazonaws.com, eventName: PutKeyPolicy}\n  condition: sel\n";
    /// let loaded = load_str("r.yml".as_ref(), rules, &Default::default());
    /// let literals = Literals::extract(&loaded.rules);
    /// let mentions = literals.mentions(&[RuleId(0), RuleId(1)]);
    /// let triggers = literals.triggers(literals.rule(RuleId(0)), &mentions);
    /// assert_eq!(triggers.len(), 1);
    /// assert_eq!(literals.literal(triggers[0]), br#""disablekey""#);
    /// ```
    pub fn triggers(&self, formula: &Formula, mentions: &[u32]) -> Vec<LiteralId> {
        formula.triggers(&|id| {
            let cost = if self.is_cased(id) {
                64
            } else {
                1 + 64 / self.literal(id).len().clamp(1, 64) as u64
            };
            cost * u64::from(mentions.get(id.0 as usize).copied().unwrap_or(0).max(1))
        })
    }

    /// Per literal (by [`LiteralId`]), the number of `rules` whose formulas mention it, for
    /// [`triggers`](Literals::triggers).
    pub fn mentions(&self, rules: &[RuleId]) -> Vec<u32> {
        let mut mentions = vec![0; self.literals.len()];
        let mut last_rule: Vec<Option<RuleId>> = vec![None; self.literals.len()];
        for &rule in rules {
            self.rule(rule).visit_literals(&mut |id| {
                let last = &mut last_rule[id.0 as usize];
                if *last != Some(rule) {
                    *last = Some(rule);
                    mentions[id.0 as usize] += 1;
                }
            });
        }
        mentions
    }

    /// A formula with each literal shown in backquotes: `` `"consolelogin"` & `root` ``.
    pub fn render(&self, formula: &Formula) -> String {
        formula.render(&|id| format!("`{}`", String::from_utf8_lossy(self.literal(id))))
    }
}

/// What a matcher needs to hold, and what it needs to fail (see the module docs).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Needs {
    truth: Formula,
    falsity: Formula,
}

/// What a matcher needs to hold (see the module docs).
fn matcher_formula(matcher: &Matcher, interner: &mut Interner) -> Formula {
    if matcher.negate {
        return Formula::True;
    }
    let values = matcher.values.iter().map(|v| value_formula(v, interner));
    let formula = match matcher.combine {
        Combine::Any => Formula::or(values.collect::<Vec<_>>()),
        Combine::All => Formula::and(values.collect::<Vec<_>>()),
    };
    if !needs_field(matcher) || is_strong(&formula, interner) {
        return formula;
    }
    // Values without a literal (numbers, cidr, comparisons...) or with only short ones still
    // need their field.
    Formula::and([formula, key_formula(matcher, interner)])
}

/// What a matcher needs of the record's keys to hold: its field's key, unless it can hold
/// without its field (keywords, `null`, `|exists: false`, `|neq`).
fn matcher_keys(matcher: &Matcher, interner: &mut Interner) -> Formula {
    if matcher.negate || !needs_field(matcher) {
        return Formula::True;
    }
    key_formula(matcher, interner)
}

/// `matcher` without its `|neq`.
fn plain(matcher: &Matcher) -> Matcher {
    Matcher {
        negate: false,
        ..matcher.clone()
    }
}

/// What a matcher needs to fail: its field, when it holds on a missing field (`null`,
/// `|exists: false`, `|neq`); nothing otherwise, since any matcher fails on a record without it.
fn matcher_falsity(matcher: &Matcher, interner: &mut Interner) -> Formula {
    if matcher.negate {
        // `|neq` fails where the plain matcher holds.
        return matcher_formula(&plain(matcher), interner);
    }
    let holds_when_missing = match matcher.combine {
        Combine::Any => matcher.values.iter().any(holds_on_missing),
        Combine::All => matcher.values.iter().all(holds_on_missing),
    };
    if holds_when_missing && matcher.field.is_some() {
        key_formula(matcher, interner)
    } else {
        Formula::True
    }
}

/// The formula "the matcher's field key occurs" (`True` without a usable key).
fn key_formula(matcher: &Matcher, interner: &mut Interner) -> Formula {
    match &matcher.field {
        Some(path) => string_literals::field_key(path)
            .map_or(Formula::True, |bytes| interner.cased_formula(bytes)),
        None => Formula::True,
    }
}

/// Whether `formula` already rules out most records: it is `False`, or every way it can hold
/// takes a literal of at least [`STRONG_LITERAL_LEN`] bytes.
fn is_strong(formula: &Formula, interner: &Interner) -> bool {
    match formula {
        Formula::True => false,
        Formula::False => true,
        Formula::Lit(id) => interner.literals[id.0 as usize].len() >= STRONG_LITERAL_LEN,
        Formula::And(items) => items.iter().any(|f| is_strong(f, interner)),
        Formula::Or(items) => items.iter().all(|f| is_strong(f, interner)),
    }
}

/// Whether a value pattern holds on a missing field: `null` and `|exists: false`.
fn holds_on_missing(value: &ValuePattern) -> bool {
    match value {
        ValuePattern::Null | ValuePattern::Exists(false) => true,
        ValuePattern::AnyOf(variants) => variants.iter().any(holds_on_missing),
        _ => false,
    }
}

/// Whether `matcher` can only hold when its field is present: every value pattern but `null`
/// and `|exists: false` needs a value at the field (all of them under OR, one under `|all`).
fn needs_field(matcher: &Matcher) -> bool {
    match matcher.combine {
        Combine::Any => !matcher.values.iter().any(holds_on_missing),
        Combine::All => !matcher.values.iter().all(holds_on_missing),
    }
}

fn value_formula(value: &ValuePattern, interner: &mut Interner) -> Formula {
    match value {
        ValuePattern::Str(pattern) => match &pattern.kind {
            StrKind::Regex(re) => regex_literals::formula(re, interner),
            _ => string_literals::literal(pattern)
                .map_or(Formula::True, |bytes| interner.formula(bytes)),
        },
        ValuePattern::AnyOf(variants) => Formula::or(
            variants
                .iter()
                .map(|v| value_formula(v, interner))
                .collect::<Vec<_>>(),
        ),
        // Holds for no value until the placeholder is given values.
        ValuePattern::Placeholder(_) => Formula::False,
        ValuePattern::Null
        | ValuePattern::Exists(_)
        | ValuePattern::Compare(..)
        | ValuePattern::Cidr(_)
        | ValuePattern::FieldRef(..)
        | ValuePattern::TimePart(..) => Formula::True,
    }
}

/// What a condition needs to hold (`truth`) or to fail (`!truth`), given every matcher's needs.
fn condition_formula(
    detection: &Detection,
    condition: &Condition,
    matchers: &[Needs],
    truth: bool,
) -> Formula {
    let each = |items: &[Condition]| -> Vec<Formula> {
        items
            .iter()
            .map(|c| condition_formula(detection, c, matchers, truth))
            .collect()
    };
    // Failing an `and` takes one operand failing, failing an `or` takes all of them.
    let all = |items: &[Condition]| {
        if truth {
            Formula::and(each(items))
        } else {
            Formula::or(each(items))
        }
    };
    let any = |items: &[Condition]| {
        if truth {
            Formula::or(each(items))
        } else {
            Formula::and(each(items))
        }
    };
    match condition {
        Condition::And(items) => all(items),
        Condition::Or(items) => any(items),
        Condition::Not(inner) => condition_formula(detection, inner, matchers, !truth),
        // `0 of` always holds, `N of` more than there are never does.
        Condition::AtLeast(0, _) => constant(truth),
        Condition::AtLeast(n, items) if *n as usize > items.len() => constant(!truth),
        // All of them: it holds as an `and`. One of them: it fails as an `or` does.
        Condition::AtLeast(n, items) if *n as usize == items.len() => all(items),
        Condition::AtLeast(1, items) => any(items),
        // Otherwise it holds only if one operand holds, and fails only if one fails.
        Condition::AtLeast(_, items) => Formula::or(each(items)),
        Condition::Search(index) => match detection.searches.get(*index) {
            Some(search) => search_formula(&search.expr, matchers, truth),
            None => constant(!truth),
        },
    }
}

/// What a search needs to hold (`truth`) or to fail.
fn search_formula(expr: &SearchExpr, matchers: &[Needs], truth: bool) -> Formula {
    let each = |items: &[SearchExpr]| -> Vec<Formula> {
        items
            .iter()
            .map(|e| search_formula(e, matchers, truth))
            .collect()
    };
    match (expr, truth) {
        (SearchExpr::And(items), true) | (SearchExpr::Or(items), false) => {
            Formula::and(each(items))
        }
        (SearchExpr::Or(items), true) | (SearchExpr::And(items), false) => Formula::or(each(items)),
        (SearchExpr::Matcher(id), true) => matchers[id.0 as usize].truth.clone(),
        (SearchExpr::Matcher(id), false) => matchers[id.0 as usize].falsity.clone(),
    }
}

/// What a condition that is constantly `value` needs to hold: nothing if it does, the
/// impossible if it does not.
fn constant(value: bool) -> Formula {
    if value { Formula::True } else { Formula::False }
}
