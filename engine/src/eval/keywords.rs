//! Keyword matchers decided by one search over the record's strings joined.
//!
//! A keyword matcher (no field) tests every string value of the record, at any depth. Tested
//! one by one, a CloudTrail record's hundred strings cost a hundred automaton searches, each
//! with its set-up: 5 µs a record for `cisco_cli_local_accounts` (`username`, `aaa`), whose
//! literal `username` every CloudTrail record holds as a key. When the matcher's patterns are
//! all ASCII `contains` values ([`StrSet::joinable`](sigil_compiler::StrSet::joinable)), the record's string values are instead
//! joined once per record, a NUL after each, ASCII lowercased, and each such matcher is one
//! search of the join for its values lowercased.
//!
//! Why the answer is the same: a `contains` value matches no scalar but a string, the join
//! holds the strings that the matcher's walk ([`any_scalar`] over the record, objects
//! searched) meets, and a match cannot span a NUL, which no value of a joinable set holds; an
//! empty value matches any string, so a record without strings matches nothing. The values
//! are ASCII and match ignoring ASCII case, which is matching lowercase values in the
//! lowercased text.
//!
//! ```text
//! {"userIdentity":{"userName":"alice"},"eventName":"CreateUser","tags":["aaa"]}
//! joined: alice\0createuser\0aaa\0    (3 strings; the keys are not values)
//! ```

use super::json::{Json, Kind};
use super::value::any_scalar;
use sigil_compiler::{Combine, JoinedSearch, Matcher, ValuePattern};

/// The search deciding `matcher` over the joined strings of a record, if it has one: a
/// keyword matcher, any of its values, all of them string patterns that are
/// [`joinable`](sigil_compiler::StrSet::joinable).
pub(super) fn joined_search(matcher: &Matcher) -> Option<&JoinedSearch> {
    let keywords = matcher.field.is_none()
        && matcher.combine == Combine::Any
        && matcher
            .values
            .iter()
            .all(|value| matches!(value, ValuePattern::Str(_)));
    keywords.then(|| matcher.strings().joinable()).flatten()
}

/// The string values of the current record, joined (see the module docs); made on first use
/// for each record.
#[derive(Debug, Default)]
pub(super) struct JoinedStrings {
    /// Each string followed by a NUL, so empty exactly when the record has no string.
    bytes: Vec<u8>,
    /// The record they are of (the evaluator's generation); 0 before the first.
    generation: u32,
}

impl JoinedStrings {
    /// Whether `search` (a [`joined_search`]) finds a match in a string value of `record`,
    /// the record of evaluator generation `generation`.
    pub(super) fn is_match<'a>(
        &mut self,
        search: &JoinedSearch,
        record: impl Json<'a>,
        generation: u32,
    ) -> bool {
        if self.generation != generation {
            self.join(record);
            self.generation = generation;
        }
        !self.bytes.is_empty() && search.is_match(&self.bytes)
    }

    /// Forgets the record joined, so that the next generation number (which may repeat one
    /// seen before, once the evaluator starts over) joins its record afresh.
    pub(super) fn forget(&mut self) {
        self.generation = 0;
    }

    fn join<'a>(&mut self, record: impl Json<'a>) {
        self.bytes.clear();
        any_scalar(record, true, &mut |scalar| {
            if let Kind::Str(text) = scalar.kind() {
                let from = self.bytes.len();
                self.bytes.extend_from_slice(text.as_bytes());
                self.bytes[from..].make_ascii_lowercase();
                self.bytes.push(0);
            }
            false
        });
    }
}
