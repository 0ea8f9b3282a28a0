//! Finding which of a pass's literals occur in a record.
//!
//! Most literals are anchored at a string's quotes ([`Anchor`]): `"consolelogin"` (an
//! equality), `"userIdentity` (a field key), `.exe"` (an `endswith`). They can only occur at
//! the start or end of one of the record's strings, so a [`StringTable`] finds them by looking
//! each string up: the record's strings are found from bitmasks of its quotes, 64 bytes at a
//! time, and each costs a few bit tests whatever the number of literals (see `strings`). The
//! other literals ([`Anchor::Anywhere`], and anchored ones with less than two bytes beside
//! their quote) are searched for over the bytes (see `unanchored`), except those that trigger
//! nothing (`false` in `"updatedetector" & false`): a rule is only looked at once one of its
//! triggers is seen, so they are deferred, and looked for (by `memmem`) only when a formula
//! asks for them.
//!
//! On 200 MB of CloudTrail with the SigmaHQ CloudTrail rules and the bundled pack (220
//! literals, 205 anchored), the two together ran at about 1 GB/s, where one DFA over all the
//! literals stepped through every byte at 800 MB/s (`benches/RESULTS.md`).

mod grams;
mod strings;
mod unanchored;

use memchr::memmem;
use sigil_compiler::Anchor;
use std::sync::Arc;
use strings::StringTable;
use unanchored::{Needle, Unanchored};

pub use unanchored::DFA_LITERAL_BYTES;

/// How a pass looks for its literals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SearchKind {
    /// Every literal is anchored: looked up in each string, nothing searched byte by byte.
    Strings,
    /// Strings looked up, and Teddy over the stubs of the unanchored literals.
    Stubs,
    /// Strings looked up, and a filter of four-byte grams over the unanchored literals (the
    /// shorter ones by Teddy or a DFA).
    Grams,
    /// Strings looked up, and a DFA over the unanchored literals.
    Dfa,
    /// Strings looked up, and a contiguous NFA over the unanchored literals (too many bytes
    /// for a DFA).
    Nfa,
    /// Narrowed to the rules that apply to the keys records have, each thread building its
    /// searches as it meets the records (see [narrowing](super::Prefilter#narrowing)).
    Narrowed,
}

impl std::fmt::Display for SearchKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SearchKind::Strings => "lookup of each string",
            SearchKind::Stubs => "Teddy search",
            SearchKind::Grams => "filter of four-byte grams",
            SearchKind::Dfa => "DFA",
            SearchKind::Nfa => "contiguous NFA",
            SearchKind::Narrowed => "search narrowed to the fields records have",
        })
    }
}

/// The search for a pass's literals.
#[derive(Debug)]
pub(super) struct LiteralSearch {
    /// The literals looked up per string.
    strings: StringTable,
    /// The others, but the deferred ones, which it reports by their place in `needles`. A
    /// pass rebuilt with the same ones shares it (see [`LiteralSearch::new`]).
    unanchored: Arc<Unanchored>,
    /// What `unanchored` looks for, in its order, each with its index in the pass.
    needles: Vec<Needle>,
    /// The deferred literals, by index, ascending.
    deferred: Vec<(usize, Deferred)>,
}

/// A literal looked for only when a formula asks for it.
#[derive(Debug)]
pub(super) struct Deferred {
    /// Over its bytes (lowercase unless cased).
    finder: memmem::Finder<'static>,
    cased: bool,
}

impl Deferred {
    /// Whether the literal occurs in `record`, whose lowercased copy `folded` makes once.
    pub(super) fn occurs(&self, record: &[u8], folded: &mut FoldedRecord) -> bool {
        let haystack = if self.cased {
            record
        } else {
            folded.of(record)
        };
        self.finder.find(haystack).is_some()
    }
}

/// A lowercased copy of the record being scanned, made on first use.
#[derive(Clone, Debug, Default)]
pub(super) struct FoldedRecord {
    bytes: Vec<u8>,
    ready: bool,
}

impl FoldedRecord {
    /// Forgets the copy: the next record is another one.
    pub(super) fn reset(&mut self) {
        self.ready = false;
    }

    /// `record` (the same since the last [`reset`](FoldedRecord::reset)) lowercased.
    pub(super) fn of(&mut self, record: &[u8]) -> &[u8] {
        if !self.ready {
            crate::blocks::lowercase_into(record, &mut self.bytes);
            self.ready = true;
        }
        &self.bytes
    }
}

/// The anchor under which a literal is looked up per string, if it is: anchored, with at
/// least two bytes of content when only one end is anchored (the table's key).
pub(super) fn string_anchor(literal: &[u8]) -> Option<Anchor> {
    let anchor = Anchor::of(literal);
    match anchor {
        Anchor::Whole => Some(anchor),
        Anchor::Start | Anchor::End if anchor.content(literal).len() >= 2 => Some(anchor),
        _ => None,
    }
}

/// One literal of a pass: its JSON-escaped bytes (lowercase ASCII unless it counts only with
/// its exact case), whether it does, and whether it may be deferred (it triggers nothing).
pub(super) struct Wanted<'a> {
    pub(super) bytes: &'a [u8],
    pub(super) cased: bool,
    pub(super) deferrable: bool,
}

impl LiteralSearch {
    /// The search for `literals`, which [`find`](LiteralSearch::find) reports by their index
    /// in this list. Deferrable literals that would be searched for byte by byte are deferred.
    /// If those searched for byte by byte are the ones `previous` searches for, in the same
    /// order, its automaton is shared rather than built again (a narrowed pass grows by rules
    /// whose literals are mostly anchored).
    pub(super) fn new<'a>(
        literals: impl IntoIterator<Item = Wanted<'a>>,
        previous: Option<&LiteralSearch>,
    ) -> LiteralSearch {
        let mut anchored = Vec::new();
        let mut needles = Vec::new();
        let mut deferred = Vec::new();
        for (index, literal) in literals.into_iter().enumerate() {
            let Wanted {
                bytes,
                cased,
                deferrable,
            } = literal;
            match string_anchor(bytes) {
                Some(anchor) => anchored.push((index, anchor, anchor.content(bytes), cased)),
                None if deferrable => {
                    let finder = memmem::Finder::new(bytes).into_owned();
                    deferred.push((index, Deferred { finder, cased }));
                }
                None => needles.push(Needle::new(bytes, cased, index)),
            }
        }
        let same = |other: &LiteralSearch| {
            other.needles.len() == needles.len()
                && (other.needles.iter().zip(&needles))
                    .all(|(a, b)| a.bytes == b.bytes && a.cased == b.cased)
        };
        let unanchored = match previous.filter(|previous| same(previous)) {
            Some(previous) => Arc::clone(&previous.unanchored),
            None => Arc::new(Unanchored::new(
                needles
                    .iter()
                    .enumerate()
                    .map(|(at, needle)| Needle::new(&needle.bytes, needle.cased, at))
                    .collect(),
            )),
        };
        LiteralSearch {
            strings: StringTable::new(anchored),
            unanchored,
            needles,
            deferred,
        }
    }

    /// Calls `found` with the index of every literal but the deferred ones that occurs in
    /// `record` (some more than once); `folded` is the record's lowercased copy.
    pub(super) fn find(
        &self,
        record: &[u8],
        folded: &mut FoldedRecord,
        found: &mut impl FnMut(usize),
    ) {
        if !self.strings.is_empty() {
            self.strings.find(record, found);
        }
        self.unanchored
            .find(record, folded, &mut |at| found(self.needles[at].index));
    }

    /// The literal of index `index` if it is deferred.
    pub(super) fn deferred(&self, index: usize) -> Option<&Deferred> {
        let at = self
            .deferred
            .binary_search_by_key(&index, |(i, _)| *i)
            .ok()?;
        Some(&self.deferred[at].1)
    }

    /// The number of deferred literals.
    pub(super) fn deferred_count(&self) -> usize {
        self.deferred.len()
    }

    /// How it looks for the literals.
    pub(super) fn kind(&self) -> SearchKind {
        self.unanchored.kind()
    }

    /// The number of literals looked up per string.
    pub(super) fn anchored_count(&self) -> usize {
        self.strings.len()
    }

    /// Heap memory used, in bytes.
    pub(super) fn memory_usage(&self) -> usize {
        let deferred: usize = self
            .deferred
            .iter()
            .map(|(_, d)| d.finder.needle().len() + size_of::<Deferred>())
            .sum();
        self.strings.memory_usage() + self.unanchored.memory_usage() + deferred
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn search(literals: &[&str], previous: Option<&LiteralSearch>) -> LiteralSearch {
        let wanted = literals.iter().map(|literal| Wanted {
            bytes: literal.as_bytes(),
            cased: false,
            deferrable: false,
        });
        LiteralSearch::new(wanted, previous)
    }

    fn found(search: &LiteralSearch, record: &[u8]) -> Vec<usize> {
        let mut found = Vec::new();
        search.find(record, &mut FoldedRecord::default(), &mut |i| found.push(i));
        found.sort_unstable();
        found.dedup();
        found
    }

    #[test]
    fn a_rebuilt_search_shares_the_automaton_and_reports_its_own_indexes() {
        let first = search(&["mimikatz", "\"console", "metasploit"], None);
        // One more anchored literal, before the others: the unanchored ones move up by one.
        let grown = search(
            &["\"consolelogin\"", "mimikatz", "\"console", "metasploit"],
            Some(&first),
        );
        assert!(Arc::ptr_eq(&first.unanchored, &grown.unanchored));
        let record = br#"{"eventName":"ConsoleLogin","x":"a Metasploit b"}"#;
        assert_eq!(found(&first, record), [1, 2]);
        assert_eq!(found(&grown, record), [0, 2, 3]);
        // Another unanchored literal: a search of its own.
        let other = search(&["mimikatz", "metasploit", "rubeus"], Some(&grown));
        assert!(!Arc::ptr_eq(&grown.unanchored, &other.unanchored));
        assert_eq!(found(&other, record), [1]);
    }
}
