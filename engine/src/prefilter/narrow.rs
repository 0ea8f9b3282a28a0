//! Narrowing: scanning a record for the literals of only the rules its keys allow.
//!
//! With every SigmaHQ rule forced onto CloudTrail, a record would be scanned for 20,000
//! literals, 14,000 of them unanchored (searched byte by byte, not looked up per string): too
//! many for a DFA, and the NFA that holds them runs at under 100 MB/s. Yet most of
//! those rules test fields CloudTrail never has (`Image`, `CommandLine`): a matcher that needs
//! its field cannot hold on a record whose raw bytes lack the field's key. So each rule also
//! has a formula over keys alone ([`Literals::rule_keys`]), and a narrowed route scans a record
//! for the literals of the rules whose key formula its keys satisfy: about 210 rules and 1,200
//! literals for each CloudTrail record, 460 of them in a DFA.
//!
//! A narrowed route has one pass, over the rules that applied to some record scanned so far
//! (starting with none), which the threads share and each copies. The pass also looks for
//! every key of the route's key formulas, so one scan tells the record's keys (as a bitset
//! over the route's keys, which is the same whatever their order in the record). If this set of
//! keys was met before, the pass already holds every rule they allow. If not, the rules they
//! allow are worked out; any the pass lacks are added, the pass is rebuilt and the record
//! scanned again. The pass only grows, so it is rebuilt at most once per rule; with all
//! SigmaHQ rules on 58 MB of CloudTrail, 9 times. Once its unanchored literals are too many
//! for a DFA, it takes every rule of the route and stops growing.
//!
//! Why no match is lost: a rule that matches a record has a true key formula for it, so it is
//! among the rules the record's keys allow, which the pass holds once the record's key set has
//! been met. A rule of the pass that the keys do not allow is a candidate only if its literals
//! are there, and the evaluator then rejects it: more work, never a lost match.

use hashbrown::HashSet;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use sigil_compiler::RuleId;
use sigil_compiler::{Formula, LiteralId, Literals};

use super::{
    DFA_LITERAL_BYTES, Pass, PrefilterScratch, bit, literal_bytes, set_bit, set_index_bit,
    wanted_literals,
};
use crate::logsource::RecordSource;

/// Key sets a thread remembers per route before it starts over (each costs a few words).
const MAX_KEY_SETS: usize = 4096;

/// A route whose passes are narrowed per thread (see the module docs).
#[derive(Debug)]
pub(super) struct Narrowing {
    /// What its passes are made of.
    pub(super) scope: Scope,
    /// Its rules whose formula is `true`.
    pub(super) always: Vec<RuleId>,
    /// The literals of all its rules and foreign keys.
    pub(super) literal_count: usize,
    /// The pass that has grown so far, shared by the threads (each scans with its own copy
    /// and takes the lock only for a key set it has not met).
    shared: Mutex<Narrowed>,
}

/// What the passes of a narrowed route are made of.
#[derive(Debug)]
pub(super) struct Scope {
    /// The route's rules, ascending.
    rules: Vec<RuleId>,
    /// The keys its rules' key formulas mention, ascending.
    keys: Vec<LiteralId>,
    /// The same keys, one bit per literal (for [`bit`]): tested for every literal a record
    /// holds, so kept small enough for the L1 cache, which `key_places` is not.
    key_bits: Vec<u64>,
    /// Per literal that is one of `keys`, its place there (the others' entries are unused).
    key_places: Vec<u32>,
    /// The foreign sources of its records (see [`Pass`]).
    pub(super) foreign: Option<Vec<(RecordSource, Formula)>>,
}

/// A pass for a narrowed route, and the key sets it is known to hold the rules of.
#[derive(Clone, Debug)]
pub(super) struct Narrowed {
    /// The rules the pass holds, ascending.
    rules: Vec<RuleId>,
    /// Key sets (see [`Scope::key_set`]) whose rules the pass holds.
    key_sets: HashSet<Box<[u64]>>,
    pass: Arc<Pass>,
}

impl Narrowing {
    /// The narrowing of the route over `rules` (ascending), which look for `literal_count`
    /// literals in all.
    pub(super) fn new(
        literals: &Literals,
        rules: &[RuleId],
        foreign: Option<Vec<(RecordSource, Formula)>>,
        literal_count: usize,
    ) -> Narrowing {
        let mut keys = Vec::new();
        for &rule in rules {
            literals
                .rule_keys(rule)
                .visit_literals(&mut |id| keys.push(id));
        }
        keys.sort_unstable();
        keys.dedup();
        let mut key_bits = vec![0; literals.literals().len().div_ceil(64)];
        let mut key_places = vec![0; literals.literals().len()];
        for (place, &key) in keys.iter().enumerate() {
            set_bit(&mut key_bits, key);
            key_places[key.0 as usize] = place as u32;
        }
        let always = rules
            .iter()
            .copied()
            .filter(|&rule| *literals.rule(rule) == Formula::True)
            .collect();
        let scope = Scope {
            rules: rules.to_vec(),
            keys,
            key_bits,
            key_places,
            foreign,
        };
        let empty = scope.narrowed(literals, Vec::new(), HashSet::new(), None);
        Narrowing {
            scope,
            always,
            literal_count,
            shared: Mutex::new(empty),
        }
    }

    /// Scans `record` with this thread's pass for the route (number `index`), updated first
    /// if the record's keys allow rules it lacks; returns the pass.
    pub(super) fn scan(
        &self,
        index: usize,
        literals: &Literals,
        record: &[u8],
        scratch: &mut PrefilterScratch,
    ) -> Arc<Pass> {
        let pass = Arc::clone(
            &scratch.narrowed[index]
                .get_or_insert_with(|| self.shared().clone())
                .pass,
        );
        pass.scan(record, scratch);
        let mut keys = std::mem::take(&mut scratch.keys_seen);
        self.scope.key_set(&scratch.hits, &mut keys);
        let local = scratch.narrowed[index].as_mut().expect("set above");
        let known = local.key_sets.contains(&keys[..]);
        if !known {
            let mut shared = self.shared();
            if !shared.key_sets.contains(&keys[..]) {
                self.admit(&mut shared, literals, &keys, &scratch.seen);
            }
            *local = shared.clone();
        }
        scratch.keys_seen = keys;
        let current = Arc::clone(&scratch.narrowed[index].as_ref().expect("set above").pass);
        if Arc::ptr_eq(&current, &pass) {
            return pass;
        }
        scratch.clear_hits();
        current.scan(record, scratch);
        current
    }

    /// Adds to the shared pass the rules that `keys` (a record's key set, whose literals are
    /// `seen`) allow, rebuilding it if it lacked some, and remembers the key set.
    fn admit(&self, shared: &mut Narrowed, literals: &Literals, keys: &[u64], seen: &[u64]) {
        if shared.key_sets.len() == MAX_KEY_SETS {
            shared.key_sets.clear();
        }
        shared.key_sets.insert(keys.into());
        let allowed = self
            .scope
            .rules
            .iter()
            .copied()
            .filter(|&rule| literals.rule_keys(rule).holds(&mut |id| bit(seen, id)));
        let mut rules = shared.rules.clone();
        rules.extend(allowed);
        rules.sort_unstable();
        rules.dedup();
        if rules.len() > shared.rules.len() {
            let key_sets = std::mem::take(&mut shared.key_sets);
            *shared = self
                .scope
                .narrowed(literals, rules, key_sets, Some(&shared.pass));
        }
    }

    /// The pass all threads share, which they copy.
    fn shared(&self) -> MutexGuard<'_, Narrowed> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Scope {
    /// Makes `set` the key set of a record whose literals found are `hits`: one bit per key
    /// of the route, set for those among `hits`.
    fn key_set(&self, hits: &[LiteralId], set: &mut Vec<u64>) {
        set.clear();
        set.resize(self.keys.len().div_ceil(64), 0);
        for &id in hits {
            if bit(&self.key_bits, id) {
                set_index_bit(set, self.key_places[id.0 as usize] as usize);
            }
        }
    }

    /// A pass over `rules` and this route's keys, or over all the route's rules once `rules`
    /// have too many unanchored literals for a DFA; it shares the automaton of `previous` if
    /// it can (see [`Pass::new`]).
    fn narrowed(
        &self,
        literals: &Literals,
        rules: Vec<RuleId>,
        key_sets: HashSet<Box<[u64]>>,
        previous: Option<&Pass>,
    ) -> Narrowed {
        let mut wanted = wanted_literals(literals, &rules, &self.foreign, &self.keys);
        let rules = if literal_bytes(literals, &wanted) > DFA_LITERAL_BYTES {
            wanted = wanted_literals(literals, &self.rules, &self.foreign, &self.keys);
            self.rules.clone()
        } else {
            rules
        };
        let pass = Pass::new(
            literals,
            &rules,
            self.foreign.clone(),
            wanted,
            &self.keys,
            previous,
        );
        Narrowed {
            rules,
            key_sets,
            pass: Arc::new(pass),
        }
    }
}
