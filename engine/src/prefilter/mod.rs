//! The prefilter: one search for the literals of all rules (and a smaller one per log
//! source), and per record the rules that can match it.
//!
//! [`Literals`] gives every rule a monotone formula over "this literal occurs in the raw record".
//! A [`Prefilter`] builds ONE search for all literals (ASCII case-insensitive) and indexes, per
//! literal, the rules whose formula mentions it. Each log source whose rules are fewer also
//! gets a search for just their literals (see [Passes](Prefilter#passes)), so the literals of
//! rules that cannot apply to a record are not looked for. For a record it:
//!
//! 1. spells out the optional JSON escapes of printable characters (`\u0041`, `\/`), which
//!    could hide a literal, in a copy of the record that it scans instead;
//! 2. runs the search of the record's source (known, or presumed and checked) once over the
//!    raw bytes, setting one bit per literal seen (in a per-thread [`PrefilterScratch`]): the
//!    literals anchored at a string's quotes (`"consolelogin"`, `"userIdentity`) are looked up
//!    in each string of the record, the others found by Teddy, grams or an aho-corasick
//!    automaton, which leave out a value's literal found inside an object key (see `search`);
//! 3. evaluates the formulas of the rules triggered by a literal seen, and adds the rules that
//!    need no literal at all (formula `true`).
//!
//! Rules not triggered need not be evaluated: a rule's formula holds only if one of its
//! triggers occurs ([`Formula::triggers`](sigil_compiler::Formula::triggers): for an
//! `and`, the literals of one operand suffice, so a field key every record holds triggers
//! nothing when a value beside it is rarer). The candidates come out in rule order.
//!
//! ```
//! use sigil_compiler::{RuleId, load_str};
//! use sigil_engine::Prefilter;
//! let rules = "title: a\nlogsource: {product: aws}\ndetection:\n  sel: {eventName: StopLogging}\n  \
//!              condition: sel\n---\ntitle: b\nlogsource: {product: aws}\ndetection:\n  \
//!              sel: {eventName|contains: Delete}\n  condition: sel\n";
//! let loaded = load_str("r.yml".as_ref(), rules, &Default::default());
//! let prefilter = Prefilter::new(&loaded.rules, &[RuleId(0), RuleId(1)]);
//! let mut scratch = prefilter.scratch();
//! let mut candidates = Vec::new();
//! let record = br#"{"eventName":"DeleteTrail"}"#;
//! assert!(!prefilter.candidates(record, &mut scratch, &mut candidates, None));
//! assert_eq!(candidates, [RuleId(1)]);
//! let escaped = br#"{"eventName":"\u0053topLogging"}"#;
//! assert!(prefilter.candidates(escaped, &mut scratch, &mut candidates, None));
//! assert_eq!(candidates, [RuleId(0)]);
//! ```
//!
//! # Soundness contract
//!
//! **If a rule matches a record, the rule is among the record's candidates.** False positives
//! are allowed, false negatives never. A literal that does not count only with its exact case
//! is a value's (string patterns test values, never keys), so an occurrence of it that is
//! surely inside an object key may be left out. The tests `prefilter_soundness` (random rules and
//! records) and `prefilter_real` (real and generated logs) check it against the exact
//! evaluator with the prefilter on and off.

mod escape;
mod narrow;
mod search;

use sigil_compiler::RuleId;
use sigil_compiler::RuleSet;
use sigil_compiler::{Formula, LiteralId, Literals};

use crate::logsource::RecordSource;
use narrow::{Narrowed, Narrowing};
use search::{FoldedRecord, LiteralSearch, Wanted, string_anchor};
use std::sync::Arc;

pub use escape::spell_out_escapes;
pub use search::{DFA_LITERAL_BYTES, SearchKind};

/// The literals of a rule set in one search per log source, and which rules each literal
/// triggers.
///
/// Built once per [`Engine`](crate::Engine), immutable, shared by all threads.
///
/// Contract: if a rule matches a record, its formula is true for that record (false positives
/// allowed, false negatives never), so [`Prefilter::candidates`] never leaves out a rule that
/// matches.
///
/// # Passes
///
/// A record is scanned by one pass: a search for the literals of the rules that apply to it,
/// so the literals of rules for other sources are not looked for. The first pass holds every
/// routed rule; each source whose rules differ from that set has its own. A record whose
/// source is known (from its file) gets its source's pass. A record whose source is not known
/// gets the pass of the source the scratch presumes (the last one parsed); that pass also looks
/// for the top-level keys that recognise the other sources ([`RecordSource::recognised_by`]),
/// and if the keys of a source with other rules are all there, the record is scanned again by
/// the first pass. A record detected as source `d` without those keys present can only be of a
/// source whose rules the presumed pass holds, so the presumption never loses a match.
///
/// # Narrowing
///
/// A set of rules whose unanchored literals are too many for a DFA (all of SigmaHQ forced onto
/// one log source: 14,000 of its 20,000 literals) is not scanned for all of them. Each rule
/// also has a formula over field keys alone ([`Literals::rule_keys`]), and a record is scanned
/// by a pass over the literals of the rules its keys allow: those the CloudTrail records' keys
/// allow come to about 1,200 literals, 460 of them for a DFA. The pass grows as records with
/// other keys are met; see the `narrow` module for how, and why no match is lost.
#[derive(Debug)]
pub struct Prefilter {
    literals: Literals,
    /// The first route (every routed rule), then one per other set of routed rules.
    routes: Vec<Route>,
    /// Per [`RecordSource`] (by index): the pass of its records.
    by_source: [usize; RecordSource::ALL.len()],
    /// Number of rules in the rule set.
    rule_count: usize,
}

/// How the records whose candidates come from one set of rules are scanned.
#[derive(Debug)]
enum Route {
    /// By one pass over all the rules' literals.
    Scanned(Box<Pass>),
    /// By a pass over the literals of the rules that apply to the keys records have, which
    /// each thread builds as it meets them (see [narrowing](Prefilter#narrowing)).
    Narrowed(Box<Narrowing>),
}

/// One search for the literals of some rules, and what each literal triggers.
#[derive(Debug)]
struct Pass {
    search: LiteralSearch,
    /// Per literal of the search: the literal it is.
    patterns: Vec<LiteralId>,
    /// One bit per literal (all of them, by [`LiteralId`]): deferred by the search.
    deferred: Vec<u64>,
    /// Per literal (all of them, by [`LiteralId`]): the rules of this pass it triggers (see
    /// [`Literals::triggers`]), ascending, without repeats.
    triggers: Vec<Vec<RuleId>>,
    /// The pass's rules whose formula is `true`, ascending.
    always: Vec<RuleId>,
    /// For a record of unknown source: the sources with rules this pass lacks, each with the
    /// formula its records' raw bytes satisfy (their recognising keys). `None` if records of
    /// no recognised source ([`RecordSource::Unknown`]) have rules this pass lacks: then the
    /// pass is used only for records known to be of its source.
    foreign: Option<Vec<(RecordSource, Formula)>>,
}

/// Per-thread scratch of a [`Prefilter`]: the literal bitset, the rule marks and the source
/// presumed for records of unknown source.
#[derive(Clone, Debug)]
pub struct PrefilterScratch {
    /// One bit per literal: seen in the current record.
    seen: Vec<u64>,
    /// The literals seen in the current record, in the order first seen.
    hits: Vec<LiteralId>,
    /// Per rule: the generation in which its formula was last evaluated.
    marks: Vec<u32>,
    generation: u32,
    /// The source presumed for the next record of unknown source.
    presumed: Option<RecordSource>,
    /// The current record with its optional escapes spelled out, if it has any.
    spelled: Vec<u8>,
    /// The scanned record lowercased, for the search of unanchored literals.
    folded: FoldedRecord,
    /// One bit per literal: deferred, looked for in the current record, and not there.
    missing: Vec<u64>,
    /// The deferred literals looked for in the current record.
    checked: Vec<LiteralId>,
    /// Per route that is narrowed: this thread's narrowed pass, once a record needed it.
    narrowed: Vec<Option<Narrowed>>,
    /// The keys seen in the current record, one bit per key of its route (for narrowing).
    keys_seen: Vec<u64>,
}

impl Prefilter {
    /// Extracts the literals of `rules` and builds one search; every record's candidates
    /// are taken from `eligible` (the detection rules the engine evaluates), whatever its
    /// source.
    pub fn new(rules: &RuleSet, eligible: &[RuleId]) -> Prefilter {
        Prefilter::routed(rules, &std::array::from_fn(|_| eligible.to_vec()))
    }

    /// Extracts the literals of `rules` and builds the passes: the candidates of a record of
    /// source `s` are taken from `routes[s as usize]` (the rules that apply to it).
    pub fn routed(rules: &RuleSet, routes: &[Vec<RuleId>; RecordSource::ALL.len()]) -> Prefilter {
        Prefilter::routed_narrowing(rules, routes, DFA_LITERAL_BYTES)
    }

    /// [`Prefilter::routed`], narrowing each set of rules whose literals come to more than
    /// `narrow_above` bytes (see [narrowing](Prefilter#narrowing)). `routed` narrows the sets
    /// too big for a DFA; tests narrow smaller ones.
    pub fn routed_narrowing(
        rules: &RuleSet,
        routes: &[Vec<RuleId>; RecordSource::ALL.len()],
        narrow_above: usize,
    ) -> Prefilter {
        let literals = rules.literals().clone();
        Prefilter::of_literals(literals, rules.len(), routes, narrow_above)
    }

    /// [`Prefilter::routed_narrowing`] for a caller that owns the literals of its `rule_count`
    /// rules (the engine takes them from its rule set rather than copy them).
    pub(crate) fn of_literals(
        mut literals: Literals,
        rule_count: usize,
        routes: &[Vec<RuleId>; RecordSource::ALL.len()],
        narrow_above: usize,
    ) -> Prefilter {
        let recognition: Vec<Formula> = RecordSource::ALL
            .iter()
            .map(|source| recognition_formula(&mut literals, *source))
            .collect();
        let routes = routes.clone().map(|mut route| {
            route.sort_unstable();
            route.dedup();
            route
        });
        let mut all: Vec<RuleId> = routes.iter().flatten().copied().collect();
        all.sort_unstable();
        all.dedup();
        let mut built = vec![Route::new(&literals, &all, Some(Vec::new()), narrow_above)];
        let mut sets = vec![all];
        let by_source = std::array::from_fn(|s| {
            if let Some(found) = sets.iter().position(|set| *set == routes[s]) {
                return found;
            }
            let holds = |other: &[RuleId]| other.iter().all(|r| routes[s].binary_search(r).is_ok());
            let unknown = RecordSource::Unknown as usize;
            let foreign = holds(&routes[unknown]).then(|| {
                RecordSource::ALL
                    .iter()
                    .filter(|t| !holds(&routes[**t as usize]))
                    .map(|t| (*t, recognition[*t as usize].clone()))
                    .collect()
            });
            built.push(Route::new(&literals, &routes[s], foreign, narrow_above));
            sets.push(routes[s].clone());
            built.len() - 1
        });
        Prefilter {
            literals,
            routes: built,
            by_source,
            rule_count,
        }
    }

    /// The literals and formulas.
    pub fn literals(&self) -> &Literals {
        &self.literals
    }

    /// How the first pass, which holds every rule's literals, looks for them.
    pub fn search_kind(&self) -> SearchKind {
        match &self.routes[0] {
            Route::Scanned(pass) => pass.search.kind(),
            Route::Narrowed(_) => SearchKind::Narrowed,
        }
    }

    /// The number of literals the first pass looks up in each string of a record, and of
    /// those it looks for only when a formula asks for them (see `search`); the others are
    /// searched for byte by byte. Zeros when narrowed.
    pub fn anchored_and_deferred(&self) -> (usize, usize) {
        match &self.routes[0] {
            Route::Scanned(pass) => (pass.search.anchored_count(), pass.search.deferred_count()),
            Route::Narrowed(_) => (0, 0),
        }
    }

    /// The number of literals of the first pass: those of every rule.
    pub fn literal_count(&self) -> usize {
        self.routes[0].literal_count()
    }

    /// Heap memory used by the searches built up front, in bytes (narrowed ones are built by
    /// each thread as it scans).
    pub fn memory_usage(&self) -> usize {
        self.routes
            .iter()
            .map(|route| match route {
                Route::Scanned(pass) => pass.search.memory_usage(),
                Route::Narrowed(_) => 0,
            })
            .sum()
    }

    /// The passes besides the first, one per set of rules some sources route to: the sources
    /// and the number of literals looked for.
    pub fn source_passes(&self) -> Vec<(Vec<RecordSource>, usize)> {
        (1..self.routes.len())
            .map(|route| {
                let sources = RecordSource::ALL
                    .into_iter()
                    .filter(|s| self.by_source[*s as usize] == route)
                    .collect();
                (sources, self.routes[route].literal_count())
            })
            .collect()
    }

    /// The rules that need no literal: candidates for every record.
    pub fn always(&self) -> &[RuleId] {
        self.routes[0].always()
    }

    /// Fresh scratch for one thread.
    pub fn scratch(&self) -> PrefilterScratch {
        PrefilterScratch {
            seen: vec![0; self.literals.literals().len().div_ceil(64)],
            hits: Vec::new(),
            marks: vec![0; self.rule_count],
            generation: 0,
            presumed: None,
            spelled: Vec::new(),
            folded: FoldedRecord::default(),
            missing: vec![0; self.literals.literals().len().div_ceil(64)],
            checked: Vec::new(),
            narrowed: (0..self.routes.len()).map(|_| None).collect(),
            keys_seen: Vec::new(),
        }
    }

    /// Puts into `candidates` (cleared first, then in rule order) the rules that can match
    /// `record`. `known` is the record's source when its file tells it; the candidates then
    /// come from the rules of that source. Returns whether the record held optional escapes,
    /// which were spelled out before the scan (see [`spell_out_escapes`]).
    pub fn candidates(
        &self,
        record: &[u8],
        scratch: &mut PrefilterScratch,
        candidates: &mut Vec<RuleId>,
        known: Option<RecordSource>,
    ) -> bool {
        candidates.clear();
        let mut spelled = std::mem::take(&mut scratch.spelled);
        let escaped = spell_out_escapes(record, &mut spelled);
        let scanned = if escaped { &spelled[..] } else { record };
        let pass = self.scan(scanned, scratch, known);
        candidates.extend_from_slice(&pass.always);
        scratch.next_generation();
        let PrefilterScratch {
            seen,
            hits,
            marks,
            generation,
            folded,
            missing,
            checked,
            ..
        } = scratch;
        // A deferred literal is looked for the first time a formula asks for it.
        let mut present = |id: LiteralId| {
            if bit(seen, id) {
                return true;
            }
            if bit(missing, id) {
                return false;
            }
            let Some(deferred) = pass.deferred(id) else {
                return false;
            };
            let found = deferred.occurs(scanned, folded);
            set_bit(if found { &mut *seen } else { &mut *missing }, id);
            checked.push(id);
            found
        };
        for &literal in hits.iter() {
            for &rule in &pass.triggers[literal.0 as usize] {
                let mark = &mut marks[rule.0 as usize];
                if *mark == *generation {
                    continue;
                }
                *mark = *generation;
                if self.literals.rule(rule).holds(&mut present) {
                    candidates.push(rule);
                }
            }
        }
        scratch.clear_hits();
        scratch.spelled = spelled;
        if candidates.len() > pass.always.len() {
            candidates.sort_unstable();
        }
        escaped
    }

    /// Runs the pass a record gets over it (see [Passes](Prefilter#passes)), recording each
    /// literal seen once; returns the pass.
    fn scan(
        &self,
        record: &[u8],
        scratch: &mut PrefilterScratch,
        known: Option<RecordSource>,
    ) -> PassRef<'_> {
        let chosen = known
            .or(scratch.presumed)
            .map_or(0, |s| self.by_source[s as usize]);
        // A known source is trusted; a presumed one is checked against the foreign keys, and a
        // pass that cannot be presumed gives way to the first.
        let (route, foreign) = match (known, self.routes[chosen].foreign()) {
            (Some(_), _) => (chosen, &[][..]),
            (None, Some(foreign)) => (chosen, &foreign[..]),
            (None, None) => (0, &[][..]),
        };
        let pass = self.scan_route(route, record, scratch);
        let seen = &scratch.seen;
        let Some(&(other, _)) = foreign
            .iter()
            .find(|(_, keys)| keys.holds(&mut |id| bit(seen, id)))
        else {
            return pass;
        };
        scratch.presumed = Some(other);
        scratch.clear_hits();
        self.scan_route(0, record, scratch)
    }

    /// Scans `record` by route `index`; returns the pass that scanned it.
    fn scan_route(
        &self,
        index: usize,
        record: &[u8],
        scratch: &mut PrefilterScratch,
    ) -> PassRef<'_> {
        match &self.routes[index] {
            Route::Scanned(pass) => {
                pass.scan(record, scratch);
                PassRef::Shared(pass)
            }
            Route::Narrowed(narrowing) => {
                PassRef::Narrowed(narrowing.scan(index, &self.literals, record, scratch))
            }
        }
    }
}

/// The formula a record's raw bytes satisfy when [`RecordSource::detect`] recognises it as
/// `source` (`true` for [`RecordSource::Unknown`]).
fn recognition_formula(literals: &mut Literals, source: RecordSource) -> Formula {
    let Some(recognition) = source.recognised_by() else {
        return Formula::True;
    };
    let mut key = |key: &&str| {
        literals
            .top_level_key(key)
            .map_or(Formula::True, Formula::Lit)
    };
    let all: Vec<Formula> = recognition.all.iter().map(&mut key).collect();
    let any: Vec<Formula> = recognition.any.iter().map(&mut key).collect();
    let any = if any.is_empty() {
        Formula::True
    } else {
        Formula::or(any)
    };
    Formula::and(all.into_iter().chain([any]))
}

impl Route {
    /// The route of records whose candidates come from `rules` (ascending, no repeats): a
    /// pass over their literals, or a narrowing if those come to more than `narrow_above`
    /// bytes.
    fn new(
        literals: &Literals,
        rules: &[RuleId],
        foreign: Option<Vec<(RecordSource, Formula)>>,
        narrow_above: usize,
    ) -> Route {
        let wanted = wanted_literals(literals, rules, &foreign, &[]);
        if literal_bytes(literals, &wanted) > narrow_above {
            Route::Narrowed(Box::new(Narrowing::new(
                literals,
                rules,
                foreign,
                wanted.len(),
            )))
        } else {
            Route::Scanned(Box::new(Pass::new(
                literals,
                rules,
                foreign,
                wanted,
                &[],
                None,
            )))
        }
    }

    /// The number of literals its records are scanned for (at most, when narrowed).
    fn literal_count(&self) -> usize {
        match self {
            Route::Scanned(pass) => pass.patterns.len(),
            Route::Narrowed(narrowing) => narrowing.literal_count,
        }
    }

    /// Its rules whose formula is `true`.
    fn always(&self) -> &[RuleId] {
        match self {
            Route::Scanned(pass) => &pass.always,
            Route::Narrowed(narrowing) => &narrowing.always,
        }
    }

    /// The foreign sources of its records (see [`Pass::foreign`]).
    fn foreign(&self) -> &Option<Vec<(RecordSource, Formula)>> {
        match self {
            Route::Scanned(pass) => &pass.foreign,
            Route::Narrowed(narrowing) => &narrowing.scope.foreign,
        }
    }
}

/// The literals a pass over `rules` looks for: those their formulas mention, the foreign
/// sources' keys, and `extra`; ascending.
fn wanted_literals(
    literals: &Literals,
    rules: &[RuleId],
    foreign: &Option<Vec<(RecordSource, Formula)>>,
    extra: &[LiteralId],
) -> Vec<LiteralId> {
    let mut wanted = vec![false; literals.literals().len()];
    let mut mark = |id: LiteralId| wanted[id.0 as usize] = true;
    for &rule in rules {
        literals.rule(rule).visit_literals(&mut mark);
    }
    for (_, keys) in foreign.iter().flatten() {
        keys.visit_literals(&mut mark);
    }
    extra.iter().copied().for_each(mark);
    (0..wanted.len() as u32)
        .map(LiteralId)
        .filter(|id| wanted[id.0 as usize])
        .collect()
}

/// The bytes of those of the literals `ids` that a pass searches for byte by byte (not looked
/// up per string), which bound the size of its automaton.
fn literal_bytes(literals: &Literals, ids: &[LiteralId]) -> usize {
    ids.iter()
        .map(|&id| literals.literal(id))
        .filter(|literal| string_anchor(literal).is_none())
        .map(<[u8]>::len)
        .sum()
}

impl Pass {
    /// The pass over `patterns` (the [`wanted_literals`] of `rules` with `extra`, which are
    /// ascending, without repeats), triggering `rules`. The literals that trigger none of
    /// them, nor tell a foreign source, nor are `extra`, are only needed by formulas, and may
    /// be deferred (see `search`). A `previous` pass may lend its automaton (see
    /// [`LiteralSearch::new`]).
    fn new(
        literals: &Literals,
        rules: &[RuleId],
        foreign: Option<Vec<(RecordSource, Formula)>>,
        patterns: Vec<LiteralId>,
        extra: &[LiteralId],
        previous: Option<&Pass>,
    ) -> Pass {
        let mut triggers: Vec<Vec<RuleId>> = vec![Vec::new(); literals.literals().len()];
        let mentions = literals.mentions(rules);
        let mut always = Vec::new();
        for &rule in rules {
            match literals.rule(rule) {
                Formula::True => always.push(rule),
                Formula::False => {}
                formula => {
                    for id in literals.triggers(formula, &mentions) {
                        let list = &mut triggers[id.0 as usize];
                        if list.last() != Some(&rule) {
                            list.push(rule);
                        }
                    }
                }
            }
        }
        let mut eager: Vec<bool> = triggers.iter().map(|rules| !rules.is_empty()).collect();
        for (_, keys) in foreign.iter().flatten() {
            keys.visit_literals(&mut |id| eager[id.0 as usize] = true);
        }
        for id in extra {
            eager[id.0 as usize] = true;
        }
        let wanted = patterns.iter().map(|&id| Wanted {
            bytes: literals.literal(id),
            cased: literals.is_cased(id),
            deferrable: !eager[id.0 as usize],
        });
        let search = LiteralSearch::new(wanted, previous.map(|pass| &pass.search));
        let mut deferred = vec![0; triggers.len().div_ceil(64)];
        for (index, id) in patterns.iter().enumerate() {
            if search.deferred(index).is_some() {
                set_bit(&mut deferred, *id);
            }
        }
        Pass {
            search,
            patterns,
            deferred,
            triggers,
            always,
            foreign,
        }
    }

    /// The search for `id` if it is one of this pass's deferred literals.
    fn deferred(&self, id: LiteralId) -> Option<&search::Deferred> {
        if !bit(&self.deferred, id) {
            return None;
        }
        let index = self.patterns.binary_search(&id).ok()?;
        self.search.deferred(index)
    }

    /// Runs the search over `record`, recording each literal seen once.
    fn scan(&self, record: &[u8], scratch: &mut PrefilterScratch) {
        if self.patterns.is_empty() {
            return;
        }
        let PrefilterScratch {
            seen, hits, folded, ..
        } = scratch;
        folded.reset();
        self.search.find(record, folded, &mut |pattern| {
            let id = self.patterns[pattern];
            if set_bit(seen, id) {
                hits.push(id);
            }
        });
    }
}

/// The pass that scanned a record: one of the prefilter's, or one a thread narrowed.
enum PassRef<'p> {
    Shared(&'p Pass),
    Narrowed(Arc<Pass>),
}

impl std::ops::Deref for PassRef<'_> {
    type Target = Pass;

    fn deref(&self) -> &Pass {
        match self {
            PassRef::Shared(pass) => pass,
            PassRef::Narrowed(pass) => pass,
        }
    }
}

impl PrefilterScratch {
    /// Presumes that the next records of unknown source are of `source` (the source of the
    /// last record parsed), which picks the pass that scans them.
    pub fn presume(&mut self, source: RecordSource) {
        self.presumed = Some(source);
    }

    /// Forgets the literals seen, and the deferred ones looked for.
    fn clear_hits(&mut self) {
        for literal in self.hits.drain(..) {
            self.seen[literal.0 as usize / 64] = 0;
        }
        for literal in self.checked.drain(..) {
            self.seen[literal.0 as usize / 64] = 0;
            self.missing[literal.0 as usize / 64] = 0;
        }
    }

    fn next_generation(&mut self) {
        if self.generation == u32::MAX {
            self.marks.fill(0);
            self.generation = 0;
        }
        self.generation += 1;
    }
}

/// Whether literal `id`'s bit is set in `seen`.
fn bit(seen: &[u64], id: LiteralId) -> bool {
    seen[id.0 as usize / 64] & (1u64 << (id.0 % 64)) != 0
}

/// Sets literal `id`'s bit in `bits`; returns whether it was clear.
fn set_bit(bits: &mut [u64], id: LiteralId) -> bool {
    set_index_bit(bits, id.0 as usize)
}

/// Sets bit `index` of `bits`; returns whether it was clear.
fn set_index_bit(bits: &mut [u64], index: usize) -> bool {
    let (word, mask) = (&mut bits[index / 64], 1u64 << (index % 64));
    let clear = *word & mask == 0;
    *word |= mask;
    clear
}
