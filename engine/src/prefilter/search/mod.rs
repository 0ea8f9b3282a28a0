//! Finding which of a pass's literals occur in a record.
//!
//! Most literals are anchored at a string's quotes ([`Anchor`]): `"consolelogin"` (an
//! equality), `"userIdentity` (a field key), `.exe"` (an `endswith`). They can only occur at
//! the start or end of one of the record's strings, so a [`StringTable`] finds them by looking
//! each string up: the record's strings are found from bitmasks of its quotes, 64 bytes at a
//! time, and each costs a few bit tests whatever the number of literals (see `strings`). The
//! other literals ([`Anchor::Anywhere`], and anchored ones with less than two bytes beside
//! their quote) are searched for over the bytes (see `unanchored`).
//!
//! On 200 MB of CloudTrail with the SigmaHQ CloudTrail rules and the bundled pack (220
//! literals, 205 anchored), the two together ran at about 1 GB/s, where one DFA over all the
//! literals stepped through every byte at 800 MB/s (`benches/RESULTS.md`).

mod strings;
mod unanchored;

use sigil_compiler::literals::Anchor;
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
    /// The others.
    unanchored: Unanchored,
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

impl LiteralSearch {
    /// The search for `literals`: JSON-escaped bytes, each with whether it counts only with
    /// its exact case (else it is lowercase ASCII). Found literals are reported by their
    /// index in this list.
    pub(super) fn new<'a>(literals: impl IntoIterator<Item = (&'a [u8], bool)>) -> LiteralSearch {
        let mut anchored = Vec::new();
        let mut needles = Vec::new();
        for (index, (bytes, cased)) in literals.into_iter().enumerate() {
            match string_anchor(bytes) {
                Some(anchor) => anchored.push((index, anchor, anchor.content(bytes), cased)),
                None => needles.push(Needle {
                    bytes: bytes.into(),
                    cased,
                    index,
                }),
            }
        }
        LiteralSearch {
            strings: StringTable::new(anchored),
            unanchored: Unanchored::new(needles),
        }
    }

    /// Calls `found` with the index of every literal that occurs in `record` (some more than
    /// once); `folded` is scratch space.
    pub(super) fn find(&self, record: &[u8], folded: &mut Vec<u8>, found: &mut impl FnMut(usize)) {
        if !self.strings.is_empty() {
            self.strings.find(record, found);
        }
        self.unanchored.find(record, folded, found);
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
        self.strings.memory_usage() + self.unanchored.memory_usage()
    }
}
