//! Literal extraction: what a rule needs in a record's raw bytes before it can match.
//!
//! Every matcher gets a monotone [`Formula`] over literals that must occur in the raw JSON
//! record if the matcher holds, and every detection rule the formula of its condition. The
//! engine feeds all literals into one automaton, scans each record once, and evaluates only the
//! rules whose formula holds (DESIGN §3).
//!
//! The soundness contract: **if a rule matches a record without optional JSON escapes (`\u`,
//! `\/`), its formula holds for that record's bytes with ASCII case folded.** False positives
//! are allowed, false negatives never. How each piece keeps it:
//!
//! - a string pattern needs its JSON-escaped literal, cut at non-ASCII and control characters,
//!   quoted where it is anchored (see `text`); a `|re` needs its required literals (see
//!   `regex`); a pattern with no piece of [`MIN_LITERAL_LEN`] bytes needs nothing;
//! - numbers, numeric strings, `null`, `exists`, `cidr`, comparisons, `fieldref` and time parts
//!   need no literal of their value, nor does a `|neq` matcher (it holds by absence); but a
//!   matcher left with nothing still needs its field's key when it cannot hold on a missing
//!   field (`EventID: 4688` needs `"EventID"`, case and all, see `text::field_key`);
//! - values combine as the matcher does (OR, or AND under `|all`), encoded variants by OR;
//! - in a condition `and`/`or` stay, `not X` needs nothing, and `N of` relaxes to an OR
//!   (an AND when all are needed).
//!
//! ```
//! use sigil_compiler::{load_str, RuleId};
//! use sigil_compiler::literals::Literals;
//! let rule = "title: t\nlogsource: {product: aws}\ndetection:\n  sel:\n    \
//!             eventName: ConsoleLogin\n    errorCode|contains: [Denied, Unauthorized]\n  \
//!             filter:\n    userIdentity.type: Root\n  condition: sel and not filter\n";
//! let loaded = load_str("t.yml".as_ref(), rule, &Default::default());
//! let literals = Literals::extract(&loaded.rules);
//! assert_eq!(
//!     literals.render(literals.rule(RuleId(0))),
//!     r#"`"consolelogin"` & (`denied` | `unauthorized`)"#
//! );
//! ```

mod formula;
mod regex;
mod report;
mod text;

pub use formula::{Formula, LiteralId};
pub use report::{dump, warnings};

use crate::ir::{
    Combine, Condition, Detection, Matcher, MatcherId, RuleId, RuleKind, SearchExpr, ValuePattern,
};
use crate::pattern::StrKind;
use crate::ruleset::RuleSet;
use std::collections::HashMap;

/// Shortest literal worth looking for: shorter ones occur in nearly every record.
pub const MIN_LITERAL_LEN: usize = 3;

/// The deduplicated literals of a rule set and the formulas of its matchers and rules.
#[derive(Clone, Debug, Default)]
pub struct Literals {
    interner: Interner,
    matchers: Vec<Formula>,
    rules: Vec<Formula>,
}

/// Literals deduplicated by their bytes and case rule.
#[derive(Clone, Debug, Default)]
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
        let matchers: Vec<Formula> = rules
            .matchers()
            .iter()
            .map(|m| matcher_formula(m, &mut interner))
            .collect();
        let rules = rules
            .rules()
            .iter()
            .map(|rule| match &rule.kind {
                RuleKind::Detection(d) => condition_formula(d, &d.condition, &matchers),
                RuleKind::Filter(_) | RuleKind::Correlation(_) => Formula::True,
            })
            .collect();
        Literals {
            interner,
            matchers,
            rules,
        }
    }

    /// All literals, indexed by [`LiteralId`]: JSON-escaped bytes, lowercase ASCII and to be
    /// matched ASCII case-insensitively unless [`is_cased`](Literals::is_cased).
    pub fn literals(&self) -> &[Vec<u8>] {
        &self.interner.literals
    }

    /// One literal's bytes.
    pub fn literal(&self, id: LiteralId) -> &[u8] {
        &self.interner.literals[id.0 as usize]
    }

    /// Whether a literal counts only with its exact case (the keys of fields, which the
    /// evaluator compares case-sensitively: `EventID` is not CloudTrail's `eventID`). Its bytes
    /// keep their case; an automaton that folds case must check the bytes it found.
    pub fn is_cased(&self, id: LiteralId) -> bool {
        self.interner.cased[id.0 as usize]
    }

    /// A matcher's formula.
    pub fn matcher(&self, id: MatcherId) -> &Formula {
        &self.matchers[id.0 as usize]
    }

    /// A rule's formula.
    pub fn rule(&self, id: RuleId) -> &Formula {
        &self.rules[id.0 as usize]
    }

    /// A formula with each literal shown in backquotes: `` `"consolelogin"` & `root` ``.
    pub fn render(&self, formula: &Formula) -> String {
        formula.render(&|id| format!("`{}`", String::from_utf8_lossy(self.literal(id))))
    }
}

/// What a matcher needs (see the module docs).
fn matcher_formula(matcher: &Matcher, interner: &mut Interner) -> Formula {
    if matcher.negate {
        return Formula::True;
    }
    let values = matcher.values.iter().map(|v| value_formula(v, interner));
    let formula = match matcher.combine {
        Combine::Any => Formula::or(values.collect::<Vec<_>>()),
        Combine::All => Formula::and(values.collect::<Vec<_>>()),
    };
    if formula != Formula::True {
        return formula;
    }
    // Values without a literal (numbers, cidr, comparisons...) still need their field.
    match &matcher.field {
        Some(path) if needs_field(matcher) => {
            text::field_key(path).map_or(Formula::True, |bytes| interner.cased_formula(bytes))
        }
        _ => Formula::True,
    }
}

/// Whether `matcher` can only hold when its field is present: every value pattern but `null`
/// and `|exists: false` needs a value at the field (all of them under OR, one under `|all`).
fn needs_field(matcher: &Matcher) -> bool {
    fn needs(value: &ValuePattern) -> bool {
        match value {
            ValuePattern::Null | ValuePattern::Exists(false) => false,
            ValuePattern::AnyOf(variants) => variants.iter().all(needs),
            _ => true,
        }
    }
    match matcher.combine {
        Combine::Any => matcher.values.iter().all(needs),
        Combine::All => matcher.values.iter().any(needs),
    }
}

fn value_formula(value: &ValuePattern, interner: &mut Interner) -> Formula {
    match value {
        ValuePattern::Str(pattern) => match &pattern.kind {
            StrKind::Regex(re) => regex::formula(re, interner),
            _ => text::literal(pattern).map_or(Formula::True, |bytes| interner.formula(bytes)),
        },
        ValuePattern::AnyOf(variants) => Formula::or(
            variants
                .iter()
                .map(|v| value_formula(v, interner))
                .collect::<Vec<_>>(),
        ),
        ValuePattern::Null
        | ValuePattern::Exists(_)
        | ValuePattern::Compare(..)
        | ValuePattern::Cidr(_)
        | ValuePattern::FieldRef(..)
        | ValuePattern::TimePart(..) => Formula::True,
    }
}

/// What a condition needs, given every matcher's formula.
fn condition_formula(
    detection: &Detection,
    condition: &Condition,
    matchers: &[Formula],
) -> Formula {
    let each = |items: &[Condition]| -> Vec<Formula> {
        items
            .iter()
            .map(|c| condition_formula(detection, c, matchers))
            .collect()
    };
    match condition {
        Condition::And(items) => Formula::and(each(items)),
        Condition::Or(items) => Formula::or(each(items)),
        Condition::Not(_) => Formula::True,
        Condition::AtLeast(0, _) => Formula::True,
        Condition::AtLeast(n, items) if *n as usize > items.len() => Formula::False,
        Condition::AtLeast(n, items) if *n as usize == items.len() => Formula::and(each(items)),
        Condition::AtLeast(_, items) => Formula::or(each(items)),
        Condition::Search(index) => detection
            .searches
            .get(*index)
            .map_or(Formula::False, |search| {
                search_formula(&search.expr, matchers)
            }),
    }
}

fn search_formula(expr: &SearchExpr, matchers: &[Formula]) -> Formula {
    match expr {
        SearchExpr::And(items) => Formula::and(items.iter().map(|e| search_formula(e, matchers))),
        SearchExpr::Or(items) => Formula::or(items.iter().map(|e| search_formula(e, matchers))),
        SearchExpr::Matcher(id) => matchers[id.0 as usize].clone(),
    }
}
