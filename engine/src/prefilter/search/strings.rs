//! The strings of a JSON record, and the table that looks up the anchored literals in each.
//!
//! [`for_each_string`] finds the strings 64 bytes at a time from the bitmasks of a block's
//! quotes and of its backslashes (see `blocks`): a quote after an odd run of backslashes is
//! escaped. The unescaped quotes, paired in order from the start of the record (which is
//! outside any string), bound the record's strings: exactly its strings when it is valid JSON.
//! Invalid JSON may pair them otherwise, but it is never parsed, so it never matches.
//!
//! A [`StringTable`] then looks each string up: its whole content in a hash table of the
//! [`Anchor::Whole`] literals (after a bitset check on its length and end bytes), its first
//! bytes and its last in bitsets of the first and last bytes of the [`Anchor::Start`] and
//! [`Anchor::End`] literals, which are compared only when those match. The cost is per
//! string, whatever the number of literals. A literal of four bytes or more is indexed by
//! four, not two: two bytes (`om` of `.com"`, `ar` of `"arn:`) end too many of the strings of
//! logs, and each such hit costs a search and comparisons. The shorter literals are indexed
//! by two bytes, apart.
//!
//! A literal that counts only with its case is a key's: the compiler makes exactly the keys of
//! fields cased (see `Literals::is_cased`), and the evaluator finds a field by its key in an
//! object. Every other literal is a value's, which the evaluator compares with values, never
//! with keys. So a string that a colon follows (JSON whitespace allowed), an object key, is
//! looked up among the keys' literals only, and any other string among the values' only: half
//! the strings of a log are keys, and each is spared the values' look-ups. In invalid JSON a
//! string may be taken for what it is not, but such a record is never parsed, so it never
//! matches.

use crate::blocks::{Block, BlockVisitor, Escapes, Simd, try_for_each_block};
use hashbrown::HashTable;
use sigil_compiler::Anchor;
use std::ops::ControlFlow;

/// Calls `string(start, end)` with the bounds of the raw content (between the quotes, escapes
/// as they are) of every string of `record`, in order (see the module docs).
pub(super) fn for_each_string(record: &[u8], string: impl FnMut(usize, usize)) {
    let mut walk = StringWalk {
        open: None,
        escapes: Escapes::default(),
        string,
    };
    let _ = try_for_each_block(record, &mut walk);
}

/// [`for_each_string`]'s walk over the blocks of a record.
struct StringWalk<F> {
    /// One past the opening quote of the string the walk is in.
    open: Option<usize>,
    escapes: Escapes,
    /// Called with each string's bounds.
    string: F,
}

impl<F: FnMut(usize, usize)> BlockVisitor for StringWalk<F> {
    #[inline(always)]
    fn visit<S: Simd>(&mut self, base: usize, block: &Block<'_, S>) -> ControlFlow<()> {
        let mut quotes = block.mask(b'"') & !self.escapes.escaped(block.mask(b'\\'));
        while quotes != 0 {
            let at = base + quotes.trailing_zeros() as usize;
            quotes &= quotes - 1;
            match self.open.take() {
                None => self.open = Some(at + 1),
                Some(start) => (self.string)(start, at),
            }
        }
        ControlFlow::Continue(())
    }
}

/// The anchored literals of a pass, looked up per string of a record: those of object keys in
/// the strings a colon follows, the others in the other strings (see the module docs).
#[derive(Debug)]
pub(super) struct StringTable {
    /// The cased literals: the keys of fields.
    keys: Lookup,
    /// The other literals: values'.
    values: Lookup,
}

/// Anchored literals looked up in a string's content.
#[derive(Debug)]
struct Lookup {
    /// The literals (each with its index in the pass, see [`LiteralSearch`](super::LiteralSearch)).
    literals: Vec<Entry>,
    /// [`Anchor::Whole`] literals, by [`fold_hash`] of their content.
    whole: HashTable<u32>,
    /// The [`whole_key`]s of the whole literals' contents.
    whole_keys: KeySet,
    /// The longest whole literal's content.
    whole_longest: usize,
    /// [`Anchor::Start`] literals by their first bytes.
    starts: EndIndex,
    /// [`Anchor::End`] literals by their last bytes.
    ends: EndIndex,
}

/// The literals anchored at one end of a string, by the bytes at that end.
#[derive(Debug)]
struct EndIndex {
    /// Those of [`LONG`] bytes or more, by the key of their [`LONG`] bytes at that end.
    long: KeyIndex,
    /// The shorter ones, by the key of their two bytes at that end.
    short: KeyIndex,
}

/// Bytes at its anchored end by which a start or end literal of that many bytes or more is
/// indexed.
const LONG: usize = 4;

impl EndIndex {
    /// The index of `literals` (each with at least two bytes) anchored at their `anchor` end.
    fn new(literals: Vec<(&[u8], u32)>, anchor: Anchor) -> EndIndex {
        let (mut long, mut short) = (Vec::new(), Vec::new());
        for (content, literal) in literals {
            match content.len() >= LONG {
                true => long.push((end_key(end_bytes(content, anchor, LONG)), literal)),
                false => short.push((end_key(end_bytes(content, anchor, 2)), literal)),
            }
        }
        EndIndex {
            long: KeyIndex::new(long),
            short: KeyIndex::new(short),
        }
    }

    /// Calls `found` with the index in the pass of each of the `literals` it holds that the
    /// raw `content` of a string (of two bytes or more) holds at its `anchor` end.
    #[inline(always)]
    fn find(
        &self,
        literals: &[Entry],
        content: &[u8],
        anchor: Anchor,
        found: &mut impl FnMut(usize),
    ) {
        if content.len() >= LONG && !self.long.entries.is_empty() {
            let key = end_key(end_bytes(content, anchor, LONG));
            self.long.find(key, literals, content, anchor, found);
        }
        if !self.short.entries.is_empty() {
            let key = end_key(end_bytes(content, anchor, 2));
            self.short.find(key, literals, content, anchor, found);
        }
    }
}

/// The `width` bytes of `content` at its `anchor` end ([`Anchor::Start`] or [`Anchor::End`]).
fn end_bytes(content: &[u8], anchor: Anchor, width: usize) -> &[u8] {
    match anchor {
        Anchor::Start => &content[..width],
        _ => &content[content.len() - width..],
    }
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

/// Literals keyed by some bytes of their content (see [`end_key`]).
#[derive(Debug)]
struct KeyIndex {
    keys: KeySet,
    /// `(key, literal)` sorted by key; the literal is an index into [`Lookup::literals`].
    entries: Vec<(u64, u32)>,
}

impl KeyIndex {
    fn new(mut entries: Vec<(u64, u32)>) -> KeyIndex {
        entries.sort_unstable();
        KeyIndex {
            keys: KeySet::new(entries.iter().map(|(key, _)| *key)),
            entries,
        }
    }

    /// Heap memory used, in bytes.
    fn memory_usage(&self) -> usize {
        self.keys.words.len() * 8 + self.entries.capacity() * size_of::<(u64, u32)>()
    }

    /// Calls `found` with the index in the pass of each of the `literals` keyed `key` that
    /// the raw `content` of a string holds at its `anchor` end. (Inlined: a call for each
    /// probe of each string of a record costs more than the probe.)
    #[inline(always)]
    fn find(
        &self,
        key: u64,
        literals: &[Entry],
        content: &[u8],
        anchor: Anchor,
        found: &mut impl FnMut(usize),
    ) {
        if !self.keys.may_hold(key) {
            return;
        }
        let from = self.entries.partition_point(|(k, _)| *k < key);
        for &(_, literal) in self.entries[from..].iter().take_while(|(k, _)| *k == key) {
            let entry = &literals[literal as usize];
            let width = entry.content.len();
            if width <= content.len() && entry.is(end_bytes(content, anchor, width)) {
                found(entry.index);
            }
        }
    }
}

/// A set of keys with false positives: one bit per key's hash, in about 64 bits per key (at
/// least 4 Kibit, at most 64 Kibit), so that it stays in the L1 cache and mostly answers no.
#[derive(Debug)]
struct KeySet {
    words: Box<[u64]>,
    /// 64 minus the number of bits of a hash.
    shift: u32,
}

impl KeySet {
    fn new(keys: impl ExactSizeIterator<Item = u64> + Clone) -> KeySet {
        let bits = (keys.len() * 64)
            .next_power_of_two()
            .clamp(1 << 12, 1 << 16);
        let mut set = KeySet {
            words: vec![0; bits / 64].into(),
            shift: 64 - bits.trailing_zeros(),
        };
        for key in keys {
            let bit = set.bit(key);
            set.words[bit / 64] |= 1 << (bit % 64);
        }
        set
    }

    fn bit(&self, key: u64) -> usize {
        (key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> self.shift) as usize
    }

    /// Whether `key` may be in the set (it is not if this says no).
    fn may_hold(&self, key: u64) -> bool {
        let bit = self.bit(key);
        self.words[bit / 64] & (1 << (bit % 64)) != 0
    }
}

/// ASCII case folded for keys and hashes: `b | 0x20` (which also maps some punctuation
/// together; every match is checked afterwards).
const FOLD: u8 = 0x20;

/// The key of the two or [`LONG`] bytes at one end of a string, case folded.
#[inline]
fn end_key(bytes: &[u8]) -> u64 {
    match *bytes {
        // One OR of the word: folding each byte first was compiled into vector shuffles, which
        // measured slower.
        [a, b, c, d] => u64::from(u32::from_le_bytes([a, b, c, d]) | u32::from_ne_bytes([FOLD; 4])),
        [a, b] => u64::from(u16::from_le_bytes([a, b]) | u16::from_ne_bytes([FOLD; 2])),
        _ => unreachable!("two or {LONG} bytes"),
    }
}

/// The key of a whole string's content: its length and its end bytes, case folded.
fn whole_key(content: &[u8]) -> u64 {
    let first = content.first().map_or(0, |b| b | FOLD);
    let last = content.last().map_or(0, |b| b | FOLD);
    (content.len() as u64) << 16 | u64::from(first) << 8 | u64::from(last)
}

/// A hash of `bytes` that ignores ASCII case (FxHash's step over 8-byte words, each folded).
/// The last word is read overlapping the one before, or from pieces when there are fewer than
/// eight bytes, without copying.
fn fold_hash(bytes: &[u8]) -> u64 {
    const SEED: u64 = 0x517c_c1b7_2722_0a95;
    const FOLDED: u64 = 0x2020_2020_2020_2020;
    let step = |hash: u64, word: u64| (hash.rotate_left(5) ^ (word | FOLDED)).wrapping_mul(SEED);
    let word = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("eight bytes"));
    let half = |at: usize| {
        u64::from(u32::from_le_bytes(
            bytes[at..at + 4].try_into().expect("four bytes"),
        ))
    };
    let len = bytes.len();
    let mut hash = len as u64;
    match len {
        0 => {}
        1..4 => {
            let pieces = [bytes[0], bytes[len / 2], bytes[len - 1]];
            hash = step(
                hash,
                u64::from(u32::from_le_bytes([pieces[0], pieces[1], pieces[2], 0])),
            );
        }
        4..8 => hash = step(hash, half(0) | half(len - 4) << 32),
        _ => {
            let mut at = 0;
            while at + 8 < len {
                hash = step(hash, word(at));
                at += 8;
            }
            hash = step(hash, word(len - 8));
        }
    }
    hash
}

impl StringTable {
    /// The table of `literals`: each with its index in the pass, its anchor (not
    /// [`Anchor::Anywhere`]), its content (at least two bytes unless whole), and whether it
    /// counts only with its case, which only a key's literal does.
    pub(super) fn new(literals: Vec<(usize, Anchor, &[u8], bool)>) -> StringTable {
        let (keys, values) = literals.into_iter().partition(|literal| literal.3);
        StringTable {
            keys: Lookup::new(keys),
            values: Lookup::new(values),
        }
    }

    /// Whether it holds no literal.
    pub(super) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of literals it holds.
    pub(super) fn len(&self) -> usize {
        self.keys.literals.len() + self.values.literals.len()
    }

    /// Heap memory used, in bytes.
    pub(super) fn memory_usage(&self) -> usize {
        self.keys.memory_usage() + self.values.memory_usage()
    }

    /// Calls `found` with the index of every literal that one of `record`'s strings holds
    /// where its anchor says: a key's literal in a key, a value's in any other string.
    pub(super) fn find(&self, record: &[u8], found: &mut impl FnMut(usize)) {
        for_each_string(record, |start, end| {
            let content = &record[start..end];
            // Two inlined copies of the look-up, so that each has its own branch history.
            match is_key(record, end) {
                true => self.keys.find_in(content, found),
                false => self.values.find_in(content, found),
            }
        });
    }
}

/// Whether the string of `json` whose closing quote is at `quote` is an object key: a colon
/// follows it, JSON whitespace allowed.
pub(super) fn is_key(json: &[u8], quote: usize) -> bool {
    json[quote + 1..]
        .iter()
        .find(|byte| !matches!(byte, b' ' | b'\t' | b'\n' | b'\r'))
        == Some(&b':')
}

impl Lookup {
    /// The lookup of `literals` (as [`StringTable::new`] takes them).
    fn new(literals: Vec<(usize, Anchor, &[u8], bool)>) -> Lookup {
        let mut whole = HashTable::new();
        let (mut whole_keys, mut starts, mut ends) = (Vec::new(), Vec::new(), Vec::new());
        let mut entries: Vec<Entry> = Vec::with_capacity(literals.len());
        for (index, anchor, content, cased) in literals {
            let literal = entries.len() as u32;
            match anchor {
                Anchor::Whole => {
                    whole.insert_unique(fold_hash(content), literal, |&l: &u32| {
                        fold_hash(&entries[l as usize].content)
                    });
                    whole_keys.push(whole_key(content));
                }
                Anchor::Start => starts.push((content, literal)),
                Anchor::End => ends.push((content, literal)),
                Anchor::Anywhere => unreachable!("only anchored literals are looked up per string"),
            }
            entries.push(Entry {
                content: content.into(),
                cased,
                index,
            });
        }
        let whole_longest = whole_keys.iter().map(|key| (key >> 16) as usize).max();
        Lookup {
            whole,
            whole_keys: KeySet::new(whole_keys.into_iter()),
            whole_longest: whole_longest.unwrap_or(0),
            starts: EndIndex::new(starts, Anchor::Start),
            ends: EndIndex::new(ends, Anchor::End),
            literals: entries,
        }
    }

    /// Heap memory used, in bytes.
    fn memory_usage(&self) -> usize {
        let contents: usize = self.literals.iter().map(|e| e.content.len()).sum();
        let key_indexes = [&self.starts, &self.ends].map(|i| [&i.long, &i.short]);
        let key_index_bytes: usize = key_indexes.iter().flatten().map(|i| i.memory_usage()).sum();
        contents
            + self.literals.capacity() * size_of::<Entry>()
            + self.whole.capacity() * size_of::<u32>()
            + self.whole_keys.words.len() * 8
            + key_index_bytes
    }

    /// Calls `found` with the index in the pass of every literal that the raw `content` of a
    /// string holds where its anchor says.
    #[inline(always)]
    fn find_in(&self, content: &[u8], found: &mut impl FnMut(usize)) {
        if content.len() <= self.whole_longest && self.whole_keys.may_hold(whole_key(content)) {
            for &literal in self.whole.iter_hash(fold_hash(content)) {
                let entry = &self.literals[literal as usize];
                if entry.is(content) {
                    found(entry.index);
                }
            }
        }
        if content.len() >= 2 {
            self.starts
                .find(&self.literals, content, Anchor::Start, found);
            self.ends.find(&self.literals, content, Anchor::End, found);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::random;

    fn strings(record: &[u8]) -> Vec<String> {
        let mut found = Vec::new();
        for_each_string(record, |start, end| {
            found.push(String::from_utf8_lossy(&record[start..end]).into_owned())
        });
        found
    }

    #[test]
    fn strings_are_bounded_by_unescaped_quotes() {
        crate::blocks::at_every_level(|| {
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
        });
    }

    #[test]
    fn strings_of_random_records_are_their_strings() {
        crate::blocks::at_every_level(|| {
            let mut next = random(11);
            for _ in 0..3000 {
                // Strings of escaped quotes and backslashes, long runs of them too, between
                // punctuation, so that quotes and escapes fall on every side of a block boundary.
                let mut record = b"{".to_vec();
                let mut expected = Vec::new();
                for _ in 0..next(12) {
                    let mut content = Vec::new();
                    for _ in 0..next(40) {
                        let piece: &[u8] =
                            [&b"a"[..], br#"\""#, br#"\\"#, br#"\\\""#, b"xyz"][next(5)];
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
        });
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
        assert_eq!(found(br#"{"p":"A\"B","ABc" :1}"#), [4, 5]);
        // Quotes escaped inside a string do not bound one.
        assert_eq!(found(br#"{"p":"x\"consolelogin\"y"}"#), [] as [usize; 0]);
        // A key's literal is found in keys only (whitespace before the colon allowed), a
        // value's in values only.
        assert_eq!(found(b"{\"userIdentity\"\n\t :1}"), [1]);
        assert_eq!(
            found(br#"{"a":"userIdentity","b":["userIdentity"]}"#),
            [] as [usize; 0]
        );
        assert_eq!(found(br#"{"consolelogin":1,"AB":{"ConsoleLogin":2}}"#), [5]);
        assert_eq!(found(br#"{"a":["ConsoleLogin"],"consolelogin" :1}"#), [0]);
    }

    /// What the table must find: each literal that one of `strings` (raw contents, and whether
    /// each is an object key) holds where its anchor says, a key's literal (cased) in a key and
    /// a value's in a value, compared one by one.
    fn reference(literals: &[(Anchor, Vec<u8>, bool)], strings: &[(Vec<u8>, bool)]) -> Vec<usize> {
        let mut found = Vec::new();
        for (content, is_key) in strings {
            for (index, (anchor, literal, cased)) in literals.iter().enumerate() {
                let part = match anchor {
                    Anchor::Whole => Some(&content[..]),
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
                if cased == is_key && part.is_some_and(equal) {
                    found.push(index);
                }
            }
        }
        found.sort_unstable();
        found.dedup();
        found
    }

    #[test]
    fn the_table_finds_what_comparing_each_literal_finds() {
        crate::blocks::at_every_level(|| {
            let mut next = random(5);
            // Pieces that fold alike (`a`/`A`, `@`/`` ` ``), an escaped quote, a two-byte letter.
            let pieces: [&[u8]; 7] = [b"a", b"A", b"b", b"@", b"`", br#"\""#, "\u{e9}".as_bytes()];
            let spaces: [&[u8]; 4] = [b"", b"", b" ", b"\n\t "];
            for round in 0..60 {
                // Over a thousand literals in some rounds, which fill the key bitsets.
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
                        .map(|(index, (anchor, content, cased))| {
                            (index, *anchor, &content[..], *cased)
                        })
                        .collect(),
                );
                for _ in 0..30 {
                    // Members whose keys and values are made from the literals (case changed,
                    // bytes added at either end) and from the pieces alone; a value is a string or
                    // an array of one, and whitespace may surround the colon.
                    let string = |next: &mut dyn FnMut(usize) -> usize| {
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
                        content
                    };
                    let mut record = b"{".to_vec();
                    let mut strings = Vec::new();
                    for member in 0..next(12) {
                        let (key, value) = (string(&mut next), string(&mut next));
                        if member > 0 {
                            record.push(b',');
                        }
                        let array = next(3) == 0;
                        record.push(b'"');
                        record.extend_from_slice(&key);
                        record.push(b'"');
                        record.extend_from_slice(spaces[next(spaces.len())]);
                        record.push(b':');
                        record.extend_from_slice(spaces[next(spaces.len())]);
                        record.extend_from_slice(if array { b"[\"" } else { b"\"" });
                        record.extend_from_slice(&value);
                        record.extend_from_slice(if array { b"\"]" } else { b"\"" });
                        record.extend_from_slice(spaces[next(spaces.len())]);
                        strings.extend([(key, true), (value, false)]);
                    }
                    record.push(b'}');
                    let mut found = Vec::new();
                    table.find(&record, &mut |index| found.push(index));
                    found.sort_unstable();
                    found.dedup();
                    assert_eq!(
                        found,
                        reference(&literals, &strings),
                        "{}",
                        String::from_utf8_lossy(&record)
                    );
                }
            }
        });
    }
}
