//! The exact evaluator: does a detection rule match a parsed record?
//!
//! This is the reference semantics of Sigil (DESIGN §2); the prefilter is proven against it, so
//! it favours exactness over speed. A rule's [`Condition`] combines its searches, each search is an
//! And/Or tree of shared [`Matcher`](sigil_compiler::Matcher)s, and each matcher tests the values
//! found at its field against its [`ValuePattern`](sigil_compiler::ValuePattern)s:
//!
//! - `field` finds the values at a dotted path (nested objects, literal dotted keys, arrays);
//! - `value` tests one JSON scalar against one kind of pattern;
//! - `matcher` ties the two together (`null`, `exists`, `|all`, `|neq`, keywords);
//! - [`Json`] is what it reads a record through: simd-json's DOM (`&BorrowedValue`) or its
//!   tape ([`TapeRecord`], what the scanner builds, about twice as fast to parse), with the same
//!   answers for both: the last of repeated keys wins, and numbers too large for 64 bits are
//!   numbers (`parse` module);
//! - [`explain()`] reports, for `sigil explain`, what every search and matcher saw.
//!
//! Matchers are shared between rules, so an [`Evaluator`] remembers each matcher's result for the
//! current record; starting a record forgets them all in O(1) by bumping a generation counter.

mod explain;
mod field;
mod json;
mod keywords;
mod matcher;
pub(crate) mod parse;
mod time;
mod value;

#[cfg(test)]
mod tests;

pub use explain::{Explanation, MatcherExplanation, SearchExplanation, explain};
pub use field::first_scalar;
pub(crate) use json::TapeRecord;
pub use json::{Json, Kind, RecordError};
pub use time::{event_time, event_time_of};

use keywords::JoinedStrings;
use sigil_compiler::{Condition, Detection, MatcherId, RuleId, RuleKind, RuleSet, SearchExpr};

// The deepest nesting the evaluator walks into is framing's limit, so every record that frames
// is walked whole; anything deeper is treated as not matching, so that hostile records cannot
// overflow the stack.
use crate::framing::MAX_DEPTH;

/// Evaluates detection rules against records, one record at a time.
///
/// It borrows the immutable [`RuleSet`] and owns per-thread scratch (the matcher memo), so each
/// worker thread makes its own. Filter and correlation rules never match here: they are applied
/// by later stages.
#[derive(Debug)]
pub struct Evaluator<'a> {
    rules: &'a RuleSet,
    /// Per matcher: `generation << 1 | result` when evaluated for the current record.
    memo: Vec<u32>,
    /// Identifies the current record in `memo`; never 0 once a record has started.
    generation: u32,
    /// The current record's strings, for the keyword matchers that search them joined.
    joined: JoinedStrings,
}

/// Largest generation that still fits `memo` entries next to the result bit.
const MAX_GENERATION: u32 = u32::MAX >> 1;

impl<'a> Evaluator<'a> {
    /// An evaluator for `rules`, with an empty memo.
    pub fn new(rules: &'a RuleSet) -> Self {
        Evaluator {
            rules,
            memo: vec![0; rules.matchers().len()],
            generation: 0,
            joined: JoinedStrings::default(),
        }
    }

    /// Starts a new record and tells whether detection rule `rule` matches it. Non-detection
    /// rules (filters, correlations) never match. (The tests' entry point; the engine asks
    /// [`matching_rules`](Evaluator::matching_rules).)
    #[cfg(test)]
    pub fn matches<'r>(&mut self, rule: RuleId, record: impl Json<'r>) -> bool {
        self.start_record();
        self.rule_holds(rule, record)
    }

    /// Starts a new record and appends to `out` (in the order given) every candidate rule that
    /// matches it. `out` is not cleared first.
    pub fn matching_rules<'r>(
        &mut self,
        record: impl Json<'r>,
        candidates: impl IntoIterator<Item = RuleId>,
        out: &mut Vec<RuleId>,
    ) {
        self.start_record();
        for rule in candidates {
            if self.rule_holds(rule, record) {
                out.push(rule);
            }
        }
    }

    /// Forgets every memoized matcher result.
    fn start_record(&mut self) {
        if self.generation == MAX_GENERATION {
            self.memo.fill(0);
            self.joined.forget();
            self.generation = 0;
        }
        self.generation += 1;
    }

    fn rule_holds<'r>(&mut self, rule: RuleId, record: impl Json<'r>) -> bool {
        match detection_of(self.rules, rule) {
            Some(detection) => self.condition_holds(detection, &detection.condition, record),
            None => false,
        }
    }

    fn condition_holds<'r>(
        &mut self,
        detection: &'a Detection,
        condition: &'a Condition,
        record: impl Json<'r>,
    ) -> bool {
        match condition {
            Condition::And(items) => items
                .iter()
                .all(|c| self.condition_holds(detection, c, record)),
            Condition::Or(items) => items
                .iter()
                .any(|c| self.condition_holds(detection, c, record)),
            Condition::Not(inner) => !self.condition_holds(detection, inner, record),
            Condition::AtLeast(n, items) => {
                let needed = *n as usize;
                needed == 0
                    || items
                        .iter()
                        .filter(|c| self.condition_holds(detection, c, record))
                        .nth(needed - 1)
                        .is_some()
            }
            Condition::Search(index) => detection
                .searches
                .get(*index)
                .is_some_and(|search| self.search_holds(&search.expr, record)),
        }
    }

    fn search_holds<'r>(&mut self, expr: &SearchExpr, record: impl Json<'r>) -> bool {
        match expr {
            SearchExpr::And(items) => items.iter().all(|e| self.search_holds(e, record)),
            SearchExpr::Or(items) => items.iter().any(|e| self.search_holds(e, record)),
            SearchExpr::Matcher(id) => self.matcher_holds(*id, record),
        }
    }

    /// A matcher's result for the current record, computed at most once per record.
    fn matcher_holds<'r>(&mut self, id: MatcherId, record: impl Json<'r>) -> bool {
        let slot = id.0 as usize;
        let entry = self.memo[slot];
        if entry >> 1 == self.generation {
            return entry & 1 == 1;
        }
        let matcher = self.rules.matcher(id);
        let held = match keywords::joined_search(matcher) {
            Some(search) => {
                let found = self.joined.is_match(search, record, self.generation);
                found != matcher.negate
            }
            None => matcher::holds(matcher, record),
        };
        self.memo[slot] = self.generation << 1 | u32::from(held);
        held
    }
}

/// The detection of a detection rule; `None` for filters and correlations.
fn detection_of(rules: &RuleSet, rule: RuleId) -> Option<&Detection> {
    match &rules.rule(rule).kind {
        RuleKind::Detection(detection) => Some(detection),
        RuleKind::Filter(_) | RuleKind::Correlation(_) => None,
    }
}
