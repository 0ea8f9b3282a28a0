//! The prefilter: one automaton over the literals of all rules, and per record the rules that
//! can match it.
//!
//! [`Literals`] gives every rule a monotone formula over "this literal occurs in the raw record".
//! A [`Prefilter`] puts all literals into ONE aho-corasick automaton (ASCII case-insensitive) and
//! indexes, per literal, the rules whose formula mentions it. For a record it:
//!
//! 1. bypasses itself (every rule is a candidate) if the record holds an optional JSON escape
//!    (`\u....` or `\/`), which could hide a literal;
//! 2. runs the automaton once over the raw bytes (as four interleaved streams), overlapping
//!    matches, setting one bit per literal seen (in a per-thread [`PrefilterScratch`]);
//! 3. evaluates the formulas of the rules triggered by a literal seen, and adds the rules that
//!    need no literal at all (formula `true`).
//!
//! Rules not triggered need not be evaluated: a rule's formula holds only if one of its
//! triggers occurs ([`Formula::triggers`](sigil_compiler::literals::Formula::triggers): for an
//! `and`, the literals of one operand suffice, so a field key every record holds triggers
//! nothing when a value beside it is rarer). The candidates come out in rule order.
//!
//! ```
//! use sigil_compiler::{RuleId, load_str};
//! use sigil_engine::prefilter::{Prefilter, Verdict};
//! let rules = "title: a\nlogsource: {product: aws}\ndetection:\n  sel: {eventName: StopLogging}\n  \
//!              condition: sel\n---\ntitle: b\nlogsource: {product: aws}\ndetection:\n  \
//!              sel: {eventName|contains: Delete}\n  condition: sel\n";
//! let loaded = load_str("r.yml".as_ref(), rules, &Default::default());
//! let prefilter = Prefilter::new(&loaded.rules, &[RuleId(0), RuleId(1)]);
//! let mut scratch = prefilter.scratch();
//! let mut candidates = Vec::new();
//! let record = br#"{"eventName":"DeleteTrail"}"#;
//! assert_eq!(prefilter.candidates(record, &mut scratch, &mut candidates), Verdict::Filtered);
//! assert_eq!(candidates, [RuleId(1)]);
//! let escaped = br#"{"eventName":"\u0053topLogging"}"#;
//! assert_eq!(prefilter.candidates(escaped, &mut scratch, &mut candidates), Verdict::Bypass);
//! ```
//!
//! # Soundness contract
//!
//! **If a rule matches a record, the rule is among the record's candidates** (or the record
//! bypasses the prefilter). False positives are allowed, false negatives never. The tests
//! `prefilter_soundness` (random rules and records) and `prefilter_real` (real and generated
//! logs) check it against the exact evaluator with the prefilter on and off.

mod escape;

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::dfa::DFA;
use aho_corasick::nfa::contiguous;
use aho_corasick::{AhoCorasickKind, Anchored, MatchKind};
use sigil_compiler::RuleId;
use sigil_compiler::RuleSet;
use sigil_compiler::literals::{Formula, LiteralId, Literals};

pub use escape::has_optional_escape;

/// Literal bytes up to which the automaton is built as a DFA (fastest, about 1 KiB of table
/// per literal byte at worst); above it, a contiguous NFA (compact, somewhat slower).
pub const DFA_LITERAL_BYTES: usize = 32 * 1024;

/// The literals of a rule set in one automaton, and which rules each literal triggers.
///
/// Built once per [`Engine`](crate::Engine), immutable, shared by all threads.
///
/// Contract: if a rule matches a record, its formula is true for that record (false positives
/// allowed, false negatives never), so [`Prefilter::candidates`] never leaves out a rule that
/// matches.
#[derive(Debug)]
pub struct Prefilter {
    literals: Literals,
    automaton: LiteralAutomaton,
    /// Per literal: the eligible rules it triggers (see [`Literals::triggers`]), ascending,
    /// without repeats.
    triggers: Vec<Vec<RuleId>>,
    /// Eligible rules whose formula is `true`, ascending.
    always: Vec<RuleId>,
    /// Number of rules in the rule set.
    rule_count: usize,
}

/// What the prefilter decided for one record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The record holds an optional JSON escape: every eligible rule is a candidate.
    Bypass,
    /// The candidates were computed (possibly none).
    Filtered,
}

/// Per-thread scratch of a [`Prefilter`]: the literal bitset and the rule marks.
#[derive(Clone, Debug)]
pub struct PrefilterScratch {
    /// One bit per literal: seen in the current record.
    seen: Vec<u64>,
    /// The literals seen in the current record, in the order first seen.
    hits: Vec<LiteralId>,
    /// Per rule: the generation in which its formula was last evaluated.
    marks: Vec<u32>,
    generation: u32,
}

impl Prefilter {
    /// Extracts the literals of `rules` and builds the automaton. Only `eligible` rules (the
    /// detection rules the engine evaluates) can become candidates.
    pub fn new(rules: &RuleSet, eligible: &[RuleId]) -> Prefilter {
        let literals = Literals::extract(rules);
        let mut triggers: Vec<Vec<RuleId>> = vec![Vec::new(); literals.literals().len()];
        let mut always = Vec::new();
        let mut eligible = eligible.to_vec();
        eligible.sort_unstable();
        eligible.dedup();
        for &rule in &eligible {
            match literals.rule(rule) {
                Formula::True => always.push(rule),
                Formula::False => {}
                formula => {
                    for id in literals.triggers(formula) {
                        let list = &mut triggers[id.0 as usize];
                        if list.last() != Some(&rule) {
                            list.push(rule);
                        }
                    }
                }
            }
        }
        let automaton = LiteralAutomaton::new(literals.literals());
        Prefilter {
            literals,
            automaton,
            triggers,
            always,
            rule_count: rules.len(),
        }
    }

    /// The literals and formulas.
    pub fn literals(&self) -> &Literals {
        &self.literals
    }

    /// The kind of automaton built (DFA or contiguous NFA).
    pub fn automaton_kind(&self) -> AhoCorasickKind {
        self.automaton.kind()
    }

    /// Heap memory used by the automaton, in bytes.
    pub fn memory_usage(&self) -> usize {
        self.automaton.memory_usage()
    }

    /// The eligible rules that need no literal: candidates for every record.
    pub fn always(&self) -> &[RuleId] {
        &self.always
    }

    /// Fresh scratch for one thread.
    pub fn scratch(&self) -> PrefilterScratch {
        PrefilterScratch {
            seen: vec![0; self.literals.literals().len().div_ceil(64)],
            hits: Vec::new(),
            marks: vec![0; self.rule_count],
            generation: 0,
        }
    }

    /// Puts into `candidates` (cleared first, then in rule order) the eligible rules that can
    /// match `record`, unless the record bypasses the prefilter (then `candidates` is left
    /// empty and every eligible rule must be evaluated).
    pub fn candidates(
        &self,
        record: &[u8],
        scratch: &mut PrefilterScratch,
        candidates: &mut Vec<RuleId>,
    ) -> Verdict {
        candidates.clear();
        if has_optional_escape(record) {
            return Verdict::Bypass;
        }
        self.scan(record, scratch);
        candidates.extend_from_slice(&self.always);
        scratch.next_generation();
        let PrefilterScratch {
            seen,
            hits,
            marks,
            generation,
        } = scratch;
        for &literal in hits.iter() {
            for &rule in &self.triggers[literal.0 as usize] {
                let mark = &mut marks[rule.0 as usize];
                if *mark == *generation {
                    continue;
                }
                *mark = *generation;
                if self.literals.rule(rule).holds(&mut |id| bit(seen, id)) {
                    candidates.push(rule);
                }
            }
        }
        for literal in hits.drain(..) {
            seen[literal.0 as usize / 64] = 0;
        }
        if candidates.len() > self.always.len() {
            candidates.sort_unstable();
        }
        Verdict::Filtered
    }

    /// Runs the automaton over `record`, recording each literal seen once.
    fn scan(&self, record: &[u8], scratch: &mut PrefilterScratch) {
        if self.literals.literals().is_empty() {
            return;
        }
        match &self.automaton {
            LiteralAutomaton::Dfa(dfa) => scan_streams(dfa, &self.literals, record, scratch),
            LiteralAutomaton::Nfa(nfa) => scan_streams(nfa, &self.literals, record, scratch),
        }
    }
}

/// The automaton over all literals: a DFA while the literals are few, else a contiguous NFA.
#[derive(Debug)]
enum LiteralAutomaton {
    Dfa(DFA),
    Nfa(contiguous::NFA),
}

impl LiteralAutomaton {
    /// Builds the automaton for `literals` (ASCII case-insensitive, every match reported).
    fn new(literals: &[Vec<u8>]) -> LiteralAutomaton {
        let total: usize = literals.iter().map(Vec::len).sum();
        // Its start-byte skip loop only helps when candidate bytes are rare, and `"` is not.
        let built = if total <= DFA_LITERAL_BYTES {
            DFA::builder()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .prefilter(false)
                .build(literals)
                .map(LiteralAutomaton::Dfa)
        } else {
            contiguous::NFA::builder()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .prefilter(false)
                .build(literals)
                .map(LiteralAutomaton::Nfa)
        };
        built.expect("literals are few and short enough for an automaton")
    }

    fn kind(&self) -> AhoCorasickKind {
        match self {
            LiteralAutomaton::Dfa(_) => AhoCorasickKind::DFA,
            LiteralAutomaton::Nfa(_) => AhoCorasickKind::ContiguousNFA,
        }
    }

    fn memory_usage(&self) -> usize {
        match self {
            LiteralAutomaton::Dfa(dfa) => dfa.memory_usage(),
            LiteralAutomaton::Nfa(nfa) => nfa.memory_usage(),
        }
    }
}

/// Independent streams a scan steps in turn (see [`scan_streams`]).
const STREAMS: usize = 4;

/// Runs `automaton` over `record` as [`STREAMS`] independent streams stepped in turn, one over
/// each part of the record, so that the table look-ups of one stream overlap the others' (a
/// lone stream waits for every look-up before it can start the next). Each stream but the
/// first starts `max_pattern_len - 1` bytes before its part: every match ends in one part, and
/// a match ending in a part starts no earlier than that, so the streams together report every
/// match (those ending where two streams overlap twice, which the bitset absorbs).
fn scan_streams(
    automaton: &impl Automaton,
    literals: &Literals,
    record: &[u8],
    scratch: &mut PrefilterScratch,
) {
    let start = automaton
        .start_state(Anchored::No)
        .expect("unanchored searches are supported");
    let overlap = automaton.max_pattern_len().saturating_sub(1);
    let part = record.len() / STREAMS;
    let offsets: [usize; STREAMS] = std::array::from_fn(|k| (k * part).saturating_sub(overlap));
    let parts: [&[u8]; STREAMS] = std::array::from_fn(|k| {
        let end = if k + 1 == STREAMS {
            record.len()
        } else {
            (k + 1) * part
        };
        &record[offsets[k]..end]
    });
    let mut found = Found {
        automaton,
        literals,
        record,
        scratch,
    };
    let mut states = [start; STREAMS];
    let common = parts.iter().map(|p| p.len()).min().unwrap_or(0);
    for i in 0..common {
        let mut special = false;
        for (state, part) in states.iter_mut().zip(&parts) {
            *state = automaton.next_state(Anchored::No, *state, part[i]);
            special |= automaton.is_special(*state);
        }
        if special {
            for (&state, offset) in states.iter().zip(offsets) {
                found.matches(state, offset + i + 1);
            }
        }
    }
    for ((mut state, part), offset) in states.into_iter().zip(parts).zip(offsets) {
        for (i, &byte) in part.iter().enumerate().skip(common) {
            state = automaton.next_state(Anchored::No, state, byte);
            if automaton.is_special(state) {
                found.matches(state, offset + i + 1);
            }
        }
    }
}

/// What a scan needs to record the literals that end at a position.
struct Found<'a, A> {
    automaton: &'a A,
    literals: &'a Literals,
    record: &'a [u8],
    scratch: &'a mut PrefilterScratch,
}

impl<A: Automaton> Found<'_, A> {
    /// Sets the bits of the literals that end in `state` (none unless it is a match state) at
    /// `end` in the record. The automaton folds case, so a cased literal counts only if the
    /// bytes found are exactly its own.
    fn matches(&mut self, state: StateID, end: usize) {
        if !self.automaton.is_match(state) {
            return;
        }
        for index in 0..self.automaton.match_len(state) {
            let id = LiteralId(self.automaton.match_pattern(state, index).as_u32());
            let word = &mut self.scratch.seen[id.0 as usize / 64];
            let mask = 1u64 << (id.0 % 64);
            if *word & mask != 0 {
                continue;
            }
            if self.literals.is_cased(id) {
                let literal = self.literals.literal(id);
                if self.record[end - literal.len()..end] != *literal {
                    continue;
                }
            }
            *word |= mask;
            self.scratch.hits.push(id);
        }
    }
}

impl PrefilterScratch {
    fn next_generation(&mut self) {
        if self.generation == u32::MAX {
            self.marks.fill(0);
            self.generation = 0;
        }
        self.generation += 1;
    }
}

fn bit(seen: &[u64], id: LiteralId) -> bool {
    seen[id.0 as usize / 64] & (1u64 << (id.0 % 64)) != 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use aho_corasick::AhoCorasick;
    use sigil_compiler::load_str;

    /// The literals the streams report, sorted.
    fn streams(automaton: &LiteralAutomaton, literals: &Literals, record: &[u8]) -> Vec<u32> {
        let mut scratch = PrefilterScratch {
            seen: vec![0; literals.literals().len().div_ceil(64)],
            hits: Vec::new(),
            marks: Vec::new(),
            generation: 0,
        };
        match automaton {
            LiteralAutomaton::Dfa(dfa) => scan_streams(dfa, literals, record, &mut scratch),
            LiteralAutomaton::Nfa(nfa) => scan_streams(nfa, literals, record, &mut scratch),
        }
        let mut ids: Vec<u32> = scratch.hits.iter().map(|id| id.0).collect();
        ids.sort_unstable();
        ids
    }

    /// The literals a plain overlapping search reports (cased ones with their exact bytes),
    /// sorted and deduplicated.
    fn reference(literals: &Literals, record: &[u8]) -> Vec<u32> {
        let searcher = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(literals.literals())
            .unwrap();
        let mut ids: Vec<u32> = searcher
            .find_overlapping_iter(record)
            .filter(|m| {
                let id = LiteralId(m.pattern().as_u32());
                !literals.is_cased(id) || record[m.range()] == *literals.literal(id)
            })
            .map(|m| m.pattern().as_u32())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    #[test]
    fn the_streams_find_what_one_search_finds() {
        let rule = "title: t\nlogsource: {product: aws}\ndetection:\n  sel:\n    \
                    eventName: ConsoleLogin\n    a|contains: [login, abc, bcd, ogi]\n    \
                    EventName: 4688\n  condition: sel\n";
        let loaded = load_str("t.yml".as_ref(), rule, &Default::default());
        let literals = Literals::extract(&loaded.rules);
        assert_eq!(literals.literals().len(), 7, "{:?}", literals.literals());
        let dfa = LiteralAutomaton::new(literals.literals());
        let nfa = LiteralAutomaton::Nfa(
            contiguous::NFA::builder()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .build(literals.literals())
                .unwrap(),
        );
        // Every cut of a literal by the middle, records shorter than a literal, the empty
        // one, and a key whose case differs from the rule's field.
        let mut records: Vec<Vec<u8>> = vec![b"".to_vec(), b"ab".to_vec(), b"abcd".to_vec()];
        for pad in 0..40 {
            for body in [
                &br#"{"eventName":"ConsoleLogin","EventName":1}"#[..],
                br#"{"eventname":"ConsoleLogin","eventName":1}"#,
            ] {
                let mut record = vec![b'x'; pad];
                record.extend_from_slice(body);
                record.extend(std::iter::repeat_n(b'y', 40 - pad));
                records.push(record);
            }
        }
        for record in &records {
            let expected = reference(&literals, record);
            assert_eq!(streams(&dfa, &literals, record), expected);
            assert_eq!(streams(&nfa, &literals, record), expected);
        }
    }
}
