//! The strings of a JSON record, and the table that looks up the anchored literals in each.
//!
//! [`for_each_string`] finds the strings 64 bytes at a time from the bitmasks of a block's
//! quotes and of its backslashes (see `blocks`): a quote after an odd run of backslashes is
//! escaped. The unescaped quotes, paired in order from the start of the record (which is
//! outside any string), bound the record's strings: exactly its strings when it is valid JSON.
//! Invalid JSON may pair them otherwise, but it is never parsed, so it never matches.
//!
//! A [`StringTable`] then looks each string up by at most five keys, each in a small
//! open-addressed table of the literals that have it (`KeyIndex`): its length with three of
//! its bytes for the [`Anchor::Whole`] literals, its first four bytes and its last four for the
//! [`Anchor::Start`] and [`Anchor::End`] literals of four bytes or more, its first two and last
//! two for the shorter ones. A literal is compared only when its key matches, and once found
//! in a record it is not compared again there. The cost is per string, whatever the number of
//! literals.
//!
//! ```text
//! literals  "consolelogin"  (whole)   "userIdentity (start)   .exe" (end)
//! string    "ConsoleLogin"  key: 12, c, e, n (length, first, middle, last byte, case folded)
//! string    "userIdentity"  key: user (first four bytes, case folded)
//! ```

use crate::blocks::{Escapes, mask, try_for_each_block};
use sigil_compiler::Anchor;
use std::ops::ControlFlow;

/// Calls `string(start, end)` with the bounds of the raw content (between the quotes, escapes
/// as they are) of every string of `record`, in order (see the module docs).
pub(super) fn for_each_string(record: &[u8], mut string: impl FnMut(usize, usize)) {
    let mut open = None;
    let mut escapes = Escapes::default();
    let _ = try_for_each_block(record, |base, block| {
        let mut quotes = mask(block, b'"') & !escapes.escaped(mask(block, b'\\'));
        while quotes != 0 {
            let at = base + quotes.trailing_zeros() as usize;
            quotes &= quotes - 1;
            match open.take() {
                None => open = Some(at + 1),
                Some(start) => string(start, at),
            }
        }
        ControlFlow::Continue(())
    });
}

/// The anchored literals of a pass, looked up per string.
#[derive(Debug)]
pub(super) struct StringTable {
    /// The literals, in the order given (the key indexes point here).
    literals: Vec<Entry>,
    /// [`Anchor::Whole`] literals by [`whole_key`].
    whole: KeyIndex,
    /// The longest whole literal's content.
    whole_longest: usize,
    /// [`Anchor::Start`] literals of four bytes or more by their first four ([`word_key`]).
    starts: KeyIndex,
    /// [`Anchor::End`] literals of four bytes or more by their last four.
    ends: KeyIndex,
    /// Start literals of two or three bytes by their first two ([`pair_key`]).
    short_starts: KeyIndex,
    /// End literals of two or three bytes by their last two.
    short_ends: KeyIndex,
}

/// One anchored literal.
#[derive(Debug)]
struct Entry {
    /// What a string's raw content must hold (equal, start or end with).
    content: Box<[u8]>,
    /// Whether the content must match with its case (else it is lowercase, and matches any).
    cased: bool,
    /// Its index in the pass.
    index: usize,
}

impl Entry {
    /// Whether `bytes` are this literal's content.
    fn is(&self, bytes: &[u8]) -> bool {
        if self.cased {
            *bytes == *self.content
        } else {
            bytes.eq_ignore_ascii_case(&self.content)
        }
    }
}

/// Literals by a 32-bit key (never 0): an open-addressed table with linear probing, at most a
/// quarter full, whose keys are an array of their own (4 bytes a slot, the runs of literals
/// beside it), so that the tables of a pass stay in the L1 cache and most look-ups end at their
/// first, empty, slot. A `hashbrown::HashTable` in its place was about 15 % slower over
/// CloudTrail (a load of its control bytes, then one of the slot).
#[derive(Debug)]
struct KeyIndex {
    /// Each slot's key; 0 is an empty slot. A power of two of them, so that a probe wraps
    /// around with a mask, not a division.
    keys: Box<[u32]>,
    /// Each slot's run of literals in `literals`.
    runs: Box<[(u32, u32)]>,
    /// 64 minus the number of bits of a slot's position.
    shift: u32,
    /// The literals of each key, one run per key; indexes into [`StringTable::literals`].
    literals: Vec<u32>,
}

impl KeyIndex {
    /// The index of `(key, literal)` pairs.
    fn new(mut keyed: Vec<(u32, u32)>) -> KeyIndex {
        keyed.sort_unstable();
        let keys = keyed.chunk_by(|a, b| a.0 == b.0).count();
        let size = (keys * 4).next_power_of_two().max(16);
        let mut index = KeyIndex {
            keys: vec![0; size].into(),
            runs: vec![(0, 0); size].into(),
            shift: 64 - size.trailing_zeros(),
            literals: Vec::with_capacity(keyed.len()),
        };
        for run in keyed.chunk_by(|a, b| a.0 == b.0) {
            let key = run[0].0;
            debug_assert_ne!(key, 0, "key 0 marks an empty slot");
            let from = index.literals.len() as u32;
            index
                .literals
                .extend(run.iter().map(|(_, literal)| *literal));
            let mut at = index.home(key);
            while index.keys[at] != 0 {
                at = (at + 1) & (size - 1);
            }
            index.keys[at] = key;
            index.runs[at] = (from, index.literals.len() as u32);
        }
        index
    }

    /// The slot where the search for `key` starts.
    #[inline]
    fn home(&self, key: u32) -> usize {
        (u64::from(key).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> self.shift) as usize
    }

    /// The literals keyed `key`.
    #[inline]
    fn get(&self, key: u32) -> &[u32] {
        let mut at = self.home(key);
        loop {
            match self.keys[at] {
                k if k == key => {
                    let (from, to) = self.runs[at];
                    return &self.literals[from as usize..to as usize];
                }
                0 => return &[],
                _ => at = (at + 1) & (self.keys.len() - 1),
            }
        }
    }

    /// Heap memory used, in bytes.
    fn memory_usage(&self) -> usize {
        self.keys.len() * (4 + 8) + self.literals.capacity() * size_of::<u32>()
    }
}

/// ASCII case folded for keys: `b | 0x20` (which also maps some punctuation together; every
/// match is checked afterwards). It leaves every byte non-zero, and so every key.
const FOLD: u8 = 0x20;

/// The key of a whole string's content: its length (modulo 256) and its first, middle and last
/// bytes, case folded; 1 for the empty string.
#[inline]
fn whole_key(content: &[u8]) -> u32 {
    let len = content.len();
    if len == 0 {
        return 1;
    }
    let byte = |at: usize| u32::from(content[at] | FOLD);
    (len as u32) << 24 | byte(len / 2) << 16 | byte(len - 1) << 8 | byte(0)
}

/// The key of four bytes, case folded.
#[inline]
fn word_key(four: &[u8]) -> u32 {
    let word = u32::from_le_bytes(four.try_into().expect("four bytes"));
    word | u32::from_le_bytes([FOLD; 4])
}

/// The key of the first two bytes of `two`, case folded.
#[inline]
fn pair_key(two: &[u8]) -> u32 {
    u32::from(u16::from_le_bytes([two[0] | FOLD, two[1] | FOLD]))
}

/// Which of the first 1,024 literals of a table (by their position in it) were found in the
/// record being looked up: they are not compared again. The others are compared each time.
#[derive(Default)]
struct Reported([u64; 16]);

impl Reported {
    #[inline]
    fn has(&self, literal: u32) -> bool {
        let word = self.0.get(literal as usize / 64);
        word.is_some_and(|word| word >> (literal % 64) & 1 == 1)
    }

    #[inline]
    fn add(&mut self, literal: u32) {
        if let Some(word) = self.0.get_mut(literal as usize / 64) {
            *word |= 1 << (literal % 64);
        }
    }
}

/// The part of a string's content that a literal of `len` bytes must be: all of it, its start
/// or its end (`None` when the content is shorter).
type Part = fn(&[u8], usize) -> Option<&[u8]>;

impl StringTable {
    /// The table of `literals`: each with its index in the pass, its anchor (not
    /// [`Anchor::Anywhere`]), its content (at least two bytes unless whole), and whether it
    /// counts only with its case.
    pub(super) fn new(literals: Vec<(usize, Anchor, &[u8], bool)>) -> StringTable {
        let mut keyed: [Vec<(u32, u32)>; 5] = Default::default();
        let [whole, starts, ends, short_starts, short_ends] = &mut keyed;
        let mut entries: Vec<Entry> = Vec::with_capacity(literals.len());
        let mut whole_longest = 0;
        for (index, anchor, content, cased) in literals {
            let literal = entries.len() as u32;
            let len = content.len();
            match anchor {
                Anchor::Whole => {
                    whole.push((whole_key(content), literal));
                    whole_longest = whole_longest.max(len);
                }
                Anchor::Start if len >= 4 => starts.push((word_key(&content[..4]), literal)),
                Anchor::Start => short_starts.push((pair_key(content), literal)),
                Anchor::End if len >= 4 => ends.push((word_key(&content[len - 4..]), literal)),
                Anchor::End => short_ends.push((pair_key(&content[len - 2..]), literal)),
                Anchor::Anywhere => unreachable!("only anchored literals are looked up per string"),
            }
            entries.push(Entry {
                content: content.into(),
                cased,
                index,
            });
        }
        let [whole, starts, ends, short_starts, short_ends] = keyed.map(KeyIndex::new);
        StringTable {
            literals: entries,
            whole,
            whole_longest,
            starts,
            ends,
            short_starts,
            short_ends,
        }
    }

    /// Whether it holds no literal.
    pub(super) fn is_empty(&self) -> bool {
        self.literals.is_empty()
    }

    /// The number of literals it holds.
    pub(super) fn len(&self) -> usize {
        self.literals.len()
    }

    /// Heap memory used, in bytes.
    pub(super) fn memory_usage(&self) -> usize {
        let contents: usize = self.literals.iter().map(|e| e.content.len()).sum();
        let indexes = [
            &self.whole,
            &self.starts,
            &self.ends,
            &self.short_starts,
            &self.short_ends,
        ];
        contents
            + self.literals.capacity() * size_of::<Entry>()
            + indexes.iter().map(|i| i.memory_usage()).sum::<usize>()
    }

    /// Calls `found` with the index of every literal that one of `record`'s strings holds
    /// where its anchor says (once for each of the first 1,024 literals, maybe more often for
    /// the others).
    pub(super) fn find(&self, record: &[u8], found: &mut impl FnMut(usize)) {
        let mut reported = Reported::default();
        for_each_string(record, |start, end| {
            self.find_in(&record[start..end], &mut reported, found);
        });
    }

    /// [`StringTable::find`] for the raw content of one string.
    #[inline]
    fn find_in(&self, content: &[u8], reported: &mut Reported, found: &mut impl FnMut(usize)) {
        let mut check = |literals: &[u32], part: Part| {
            for &literal in literals {
                if reported.has(literal) {
                    continue;
                }
                let entry = &self.literals[literal as usize];
                if part(content, entry.content.len()).is_some_and(|part| entry.is(part)) {
                    reported.add(literal);
                    found(entry.index);
                }
            }
        };
        let whole: Part = |content, _| Some(content);
        let start: Part = |content, len| content.get(..len);
        let end: Part = |content, len| Some(&content[content.len().checked_sub(len)?..]);
        let len = content.len();
        if len <= self.whole_longest {
            check(self.whole.get(whole_key(content)), whole);
        }
        if len >= 4 {
            check(self.starts.get(word_key(&content[..4])), start);
            check(self.ends.get(word_key(&content[len - 4..])), end);
        }
        if len >= 2 {
            check(self.short_starts.get(pair_key(content)), start);
            check(self.short_ends.get(pair_key(&content[len - 2..])), end);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(record: &[u8]) -> Vec<String> {
        let mut found = Vec::new();
        for_each_string(record, |start, end| {
            found.push(String::from_utf8_lossy(&record[start..end]).into_owned())
        });
        found
    }

    #[test]
    fn strings_are_bounded_by_unescaped_quotes() {
        assert_eq!(
            strings(br#"{"a":"x\"y","b\\":["\\\"",1,"", "z"]}"#),
            ["a", r#"x\"y"#, r#"b\\"#, r#"\\\""#, "", "z"]
        );
        // A string across a block boundary, and an escape whose backslash ends a block.
        let mut record = br#"{"k":""#.to_vec();
        record.resize(63, b'a');
        record.extend_from_slice(br#"\"b","c":"d"}"#);
        let long = format!("{}\\\"b", "a".repeat(63 - 6));
        assert_eq!(strings(&record), ["k", long.as_str(), "c", "d"]);
    }

    #[test]
    fn strings_of_random_records_are_their_strings() {
        let mut state = 11u64;
        let mut next = |n: u64| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) % n
        };
        for _ in 0..3000 {
            // Strings of escaped quotes and backslashes, long runs of them too, between
            // punctuation, so that quotes and escapes fall on every side of a block boundary.
            let mut record = b"{".to_vec();
            let mut expected = Vec::new();
            for _ in 0..next(12) {
                let mut content = Vec::new();
                for _ in 0..next(40) {
                    let piece: &[u8] =
                        [&b"a"[..], br#"\""#, br#"\\"#, br#"\\\""#, b"xyz"][next(5) as usize];
                    content.extend_from_slice(piece);
                }
                record.push(b'"');
                record.extend_from_slice(&content);
                record.extend_from_slice(br#"":[1, "#);
                expected.push(String::from_utf8(content).unwrap());
            }
            record.push(b'}');
            let found: Vec<String> = strings(&record)
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect();
            expected.retain(|s| !s.is_empty());
            assert_eq!(found, expected, "{}", String::from_utf8_lossy(&record));
        }
    }

    #[test]
    fn the_table_finds_literals_where_they_are_anchored() {
        let literals: [&[u8]; 6] = [
            br#""consolelogin""#,
            br#""userIdentity"#,
            br#".exe""#,
            br#""""#,
            br#""a\"b""#,
            br#""AB"#,
        ];
        let table = StringTable::new(
            literals
                .iter()
                .enumerate()
                .map(|(index, literal)| {
                    let anchor = Anchor::of(literal);
                    (
                        index,
                        anchor,
                        anchor.content(literal),
                        index == 1 || index == 5,
                    )
                })
                .collect(),
        );
        let found = |record: &[u8]| {
            let mut found = Vec::new();
            table.find(record, &mut |i| found.push(i));
            found.sort_unstable();
            found
        };
        assert_eq!(found(br#"{"eventName":"ConsoleLogin"}"#), [0]);
        assert_eq!(
            found(br#"{"x":"ConsoleLogin2","y":"aConsoleLogin"}"#),
            [] as [usize; 0]
        );
        assert_eq!(found(br#"{"userIdentity.type":"Root"}"#), [1]);
        assert_eq!(found(br#"{"useridentity":1,"ab":2}"#), [] as [usize; 0]);
        assert_eq!(found(br#"{"p":"C:\\x\\CMD.EXE","q":""}"#), [2, 3]);
        assert_eq!(found(br#"{"p":"A\"B","q":"ABc"}"#), [4, 5]);
        // Quotes escaped inside a string do not bound one.
        assert_eq!(found(br#"{"p":"x\"consolelogin\"y"}"#), [] as [usize; 0]);
    }

    /// What the table must find: each literal that one of the record's strings holds where
    /// its anchor says, compared one by one.
    fn reference(literals: &[(Anchor, Vec<u8>, bool)], record: &[u8]) -> Vec<usize> {
        let mut found = Vec::new();
        for_each_string(record, |start, end| {
            let content = &record[start..end];
            for (index, (anchor, literal, cased)) in literals.iter().enumerate() {
                let part = match anchor {
                    Anchor::Whole => Some(content),
                    Anchor::Start => content.get(..literal.len()),
                    _ => content
                        .len()
                        .checked_sub(literal.len())
                        .map(|from| &content[from..]),
                };
                let equal = |part: &[u8]| match cased {
                    true => part == &literal[..],
                    false => part.eq_ignore_ascii_case(literal),
                };
                if part.is_some_and(equal) {
                    found.push(index);
                }
            }
        });
        found.sort_unstable();
        found.dedup();
        found
    }

    #[test]
    fn the_table_finds_what_comparing_each_literal_finds() {
        let mut state = 5u64;
        let mut next = |n: usize| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as usize % n
        };
        // Pieces that fold alike (`a`/`A`, `@`/`` ` ``), an escaped quote, a two-byte letter.
        let pieces: [&[u8]; 7] = [b"a", b"A", b"b", b"@", b"`", br#"\""#, "\u{e9}".as_bytes()];
        for round in 0..60 {
            // Past 1,024 literals in some rounds, where found ones are compared again.
            let count = if round % 10 == 9 { 1100 } else { 1 + next(40) };
            let mut literals: Vec<(Anchor, Vec<u8>, bool)> = Vec::new();
            while literals.len() < count {
                let anchor = [Anchor::Whole, Anchor::Start, Anchor::End][next(3)];
                let mut content: Vec<u8> = Vec::new();
                let pieces_count = if next(20) == 0 { 150 } else { next(7) };
                for _ in 0..pieces_count {
                    content.extend_from_slice(pieces[next(pieces.len())]);
                }
                if anchor != Anchor::Whole && content.len() < 2 {
                    continue;
                }
                let cased = next(3) == 0;
                if !cased {
                    content.make_ascii_lowercase();
                }
                literals.push((anchor, content, cased));
            }
            let table = StringTable::new(
                literals
                    .iter()
                    .enumerate()
                    .map(|(index, (anchor, content, cased))| (index, *anchor, &content[..], *cased))
                    .collect(),
            );
            for _ in 0..30 {
                // Strings made from the literals (case changed, bytes added at either end)
                // and from the pieces alone.
                let mut record = b"{".to_vec();
                for _ in 0..next(12) {
                    let mut content: Vec<u8> = Vec::new();
                    if next(4) == 0 {
                        content.extend_from_slice(pieces[next(pieces.len())]);
                    }
                    if next(4) != 0 {
                        let mut literal = literals[next(literals.len())].1.clone();
                        if next(2) == 0 {
                            literal.make_ascii_uppercase();
                        }
                        content.extend_from_slice(&literal);
                    }
                    if next(4) == 0 {
                        content.extend_from_slice(pieces[next(pieces.len())]);
                    }
                    record.extend_from_slice(b"\"k\":\"");
                    record.extend_from_slice(&content);
                    record.extend_from_slice(b"\",");
                }
                record.push(b'}');
                let mut found = Vec::new();
                table.find(&record, &mut |index| found.push(index));
                found.sort_unstable();
                found.dedup();
                assert_eq!(
                    found,
                    reference(&literals, &record),
                    "{}",
                    String::from_utf8_lossy(&record)
                );
            }
        }
    }
}
