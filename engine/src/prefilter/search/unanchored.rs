//! The literals that may occur anywhere in a record: `contains` values, keywords, pieces of
//! regexes, `true`.
//!
//! While they are few, Teddy (aho-corasick's packed SIMD searcher) looks for their first three
//! bytes, their stubs, in a lowercased copy of the record, and each place a stub occurs is
//! checked for the literals that start with it. Teddy takes a few dozen patterns at most and
//! does not fold case, hence the stubs and the copy. More literals are found by a filter of
//! one four-byte gram of each (see `grams`; the literals of three bytes by Teddy or a DFA)
//! while their bytes stay under [`DFA_LITERAL_BYTES`], else by one aho-corasick contiguous
//! NFA stepped over every byte.
//!
//! With all SigmaHQ rules narrowed to CloudTrail (about 460 of these literals), the grams
//! made the hunt's prefilter about 1.5x as fast as the DFA that held them all before
//! (`benches/RESULTS.md`, 2026-12-06).
//!
//! # Values found inside keys
//!
//! A literal that does not count only with its exact case is a value's: the evaluator tests
//! string patterns against values, never keys. So an occurrence of one inside an object key
//! is not reported: the keyword `username` is in the key `"userName"` of every CloudTrail
//! record, and counting it there made `cisco_cli_local_accounts` a candidate of 87 % of them.
//! [`ends_inside_key`] tells such an occurrence from what follows it, and only when it is
//! sure; see there why a value's occurrence is never taken for a key's.

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::dfa::DFA;
use aho_corasick::nfa::contiguous;
use aho_corasick::packed;
use aho_corasick::{Anchored, MatchKind, Span};

use super::grams::{GRAM, Grams, MAX_STEP};
use super::strings::is_key;
use super::{FoldedRecord, SearchKind};

/// Literal bytes up to which the literals are found by grams (with a DFA for the shortest), the
/// automaton's table being about 1 KiB per literal byte at worst; above it, by a contiguous
/// NFA (compact, slower), since grams would fill their bitset.
pub const DFA_LITERAL_BYTES: usize = 32 * 1024;

/// Most bytes after an occurrence read to tell whether it is inside a key (see
/// [`ends_inside_key`]): past them, it counts.
const KEY_TAIL: usize = 128;

/// Most stubs Teddy is given; more literals go into an automaton.
const MAX_STUBS: usize = 64;

/// Bytes of a stub (every literal has at least this many).
const STUB_LEN: usize = 3;

/// Most stubs Teddy is given beside grams that skip positions: two per bucket of slim Teddy.
/// Teddy's false hits grow with its stubs, and those of the literals too short for skipping
/// grams are often common in logs (`del`, `dir`, `era`). With every SigmaHQ rule on
/// CloudTrail, 14 stubs beside grams read every second position made the hunt about 4 %
/// faster than grams read every position beside 4 stubs; 21 stubs beside every third position
/// and 43 beside every fourth made it slower (`benches/RESULTS.md`, stop 35).
const MAX_STUBS_BESIDE_GRAMS: usize = 16;

/// One literal looked for anywhere.
#[derive(Clone, Debug)]
pub(super) struct Needle {
    /// Its JSON-escaped bytes: lowercase ASCII unless `cased`.
    pub(super) bytes: Box<[u8]>,
    /// Whether it counts only with its exact case.
    pub(super) cased: bool,
    /// Its index in the pass.
    pub(super) index: usize,
    /// Whether it is a value's literal that holds no quote, whose occurrences inside object
    /// keys do not count (see the module docs).
    value_only: bool,
}

impl Needle {
    /// The literal `bytes` (lowercase ASCII unless `cased`), reported as `index`.
    pub(super) fn new(bytes: &[u8], cased: bool, index: usize) -> Needle {
        Needle {
            bytes: bytes.into(),
            cased,
            index,
            value_only: !cased && !bytes.contains(&b'"'),
        }
    }

    /// Whether its occurrence that ends at `end` in `record` counts: not if it is a value's
    /// literal inside an object key.
    pub(super) fn counts_at(&self, record: &[u8], end: usize) -> bool {
        !(self.value_only && ends_inside_key(record, end))
    }
}

/// Whether the bytes of `record` just before `end`, which an occurrence of a quote-free
/// literal ends at, are surely inside an object key (`record` being a JSON object): only
/// string bytes (no quote, backslash, JSON punctuation or whitespace) follow up to a quote,
/// which is not just after a backslash and is followed by a colon, JSON whitespace allowed.
///
/// Why a value's occurrence never passes (for a record that does not parse, no rule matches
/// and a left-out candidate changes nothing):
/// - inside a string value, the first quote that no backslash precedes is the string's end,
///   and a colon never follows a value;
/// - inside `true`, `false`, `null` or a number, whitespace or punctuation comes before any
///   quote.
///
/// ```text
/// {"userName":"x"}             username  inside a key
/// {"a":"username:"}            username  not: a colon before any quote
/// {"a":"{\"username\":1}"}     username  not: a backslash before the quote
/// ```
///
/// It reads at most [`KEY_TAIL`] bytes: a long string full of a literal costs no more than
/// that per occurrence.
fn ends_inside_key(record: &[u8], end: usize) -> bool {
    let rest = &record[end..record.len().min(end + KEY_TAIL)];
    let stop = rest.iter().position(|byte| {
        matches!(
            byte,
            b'"' | b'\\' | b',' | b':' | b'{' | b'}' | b'[' | b']' | b' ' | b'\t' | b'\n' | b'\r'
        )
    });
    let Some(quote) = stop.filter(|&at| rest[at] == b'"') else {
        return false;
    };
    if record[..end + quote].last() == Some(&b'\\') {
        return false;
    }
    is_key(rest, quote)
}

/// How the literals that may occur anywhere are looked for.
#[derive(Debug)]
pub(super) enum Unanchored {
    /// There are none.
    None,
    /// Teddy over their stubs.
    Stubs(Stubs),
    /// Grams of those long enough for the grams' step, and the search of the others.
    Grams(Box<Grams>, Box<Unanchored>),
    /// An automaton over all of them.
    Automaton(Box<LiteralAutomaton>),
}

impl Unanchored {
    /// The search for `needles` (each at least [`STUB_LEN`] bytes long).
    pub(super) fn new(needles: Vec<Needle>) -> Unanchored {
        if needles.is_empty() {
            return Unanchored::None;
        }
        let bytes: usize = needles.iter().map(|n| n.bytes.len()).sum();
        let long = needles.iter().any(|n| n.bytes.len() >= GRAM);
        match Stubs::new(&needles, MAX_STUBS) {
            Some(stubs) => Unanchored::Stubs(stubs),
            None if long && bytes <= DFA_LITERAL_BYTES => Unanchored::grams(needles),
            None => Unanchored::Automaton(Box::new(LiteralAutomaton::new(needles))),
        }
    }

    /// Grams of the `needles` long enough for them, and a search of the others. The grams read
    /// every `step`-th position of a record, for the widest step whose shorter literals Teddy
    /// takes with few stubs (see [`Unanchored::grams_at`]), and every position if there is
    /// none.
    fn grams(needles: Vec<Needle>) -> Unanchored {
        (2..=MAX_STEP)
            .rev()
            .find_map(|step| Unanchored::grams_at(&needles, step))
            .unwrap_or_else(|| {
                let (long, short) = needles.into_iter().partition(|n| n.bytes.len() >= GRAM);
                Unanchored::Grams(
                    Box::new(Grams::new(long, 1)),
                    Box::new(Unanchored::new(short)),
                )
            })
    }

    /// Grams read every `step`-th position for the `needles` long enough for that, and Teddy
    /// over the others; `None` when no needle is long enough, or the others have more than
    /// [`MAX_STUBS_BESIDE_GRAMS`] stubs or Teddy cannot take them.
    fn grams_at(needles: &[Needle], step: usize) -> Option<Unanchored> {
        let (long, short): (Vec<Needle>, Vec<Needle>) =
            (needles.iter().cloned()).partition(|n| n.bytes.len() >= Grams::shortest(step));
        if long.is_empty() {
            return None;
        }
        let short = match short.is_empty() {
            true => Unanchored::None,
            false => Unanchored::Stubs(Stubs::new(&short, MAX_STUBS_BESIDE_GRAMS)?),
        };
        Some(Unanchored::Grams(
            Box::new(Grams::new(long, step)),
            Box::new(short),
        ))
    }

    /// Calls `found` with the index of every literal in `record` (some more than once);
    /// `folded` is the record's lowercased copy.
    pub(super) fn find(
        &self,
        record: &[u8],
        folded: &mut FoldedRecord,
        found: &mut impl FnMut(usize),
    ) {
        match self {
            Unanchored::None => {}
            Unanchored::Stubs(stubs) => stubs.find(record, folded, found),
            Unanchored::Grams(grams, short) => {
                grams.find(record, found);
                short.find(record, folded, found);
            }
            Unanchored::Automaton(automaton) => automaton.find(record, found),
        }
    }

    /// How it looks for them.
    pub(super) fn kind(&self) -> SearchKind {
        match self {
            Unanchored::None => SearchKind::Strings,
            Unanchored::Stubs(_) => SearchKind::Stubs,
            Unanchored::Grams(..) => SearchKind::Grams,
            Unanchored::Automaton(automaton) => match **automaton {
                LiteralAutomaton::Dfa(..) => SearchKind::Dfa,
                LiteralAutomaton::Nfa(..) => SearchKind::Nfa,
            },
        }
    }

    /// Heap memory used, in bytes.
    pub(super) fn memory_usage(&self) -> usize {
        match self {
            Unanchored::None => 0,
            Unanchored::Stubs(stubs) => stubs.searcher.memory_usage(),
            Unanchored::Grams(grams, short) => grams.memory_usage() + short.memory_usage(),
            Unanchored::Automaton(automaton) => match &**automaton {
                LiteralAutomaton::Dfa(dfa, _) => dfa.memory_usage(),
                LiteralAutomaton::Nfa(nfa, _) => nfa.memory_usage(),
            },
        }
    }
}

/// Teddy over the literals' stubs (see the module docs).
#[derive(Debug)]
pub(super) struct Stubs {
    searcher: packed::Searcher,
    /// Per stub (Teddy's pattern): the literals that start with it.
    needles: Vec<Vec<Needle>>,
}

impl Stubs {
    /// Teddy over the stubs of `needles`, if there are at most `most` of them and the CPU
    /// has it. The stubs are counted before Teddy is built.
    fn new(needles: &[Needle], most: usize) -> Option<Stubs> {
        let mut stubs: Vec<[u8; STUB_LEN]> = Vec::new();
        let mut by_stub: Vec<Vec<Needle>> = Vec::new();
        for needle in needles {
            let stub = std::array::from_fn(|i| needle.bytes[i].to_ascii_lowercase());
            let at = stubs.iter().position(|s| *s == stub).unwrap_or_else(|| {
                stubs.push(stub);
                by_stub.push(Vec::new());
                stubs.len() - 1
            });
            by_stub[at].push(needle.clone());
        }
        if stubs.len() > most {
            return None;
        }
        let searcher = packed::Config::new()
            .match_kind(packed::MatchKind::LeftmostFirst)
            .builder()
            .extend(&stubs)
            .build()?;
        Some(Stubs {
            searcher,
            needles: by_stub,
        })
    }

    /// Finds every stub in `record` lowercased (`folded`). Stubs all have the same length and
    /// differ, so at most one occurs at a position, and a search resumed just past each
    /// occurrence meets every one.
    fn find(&self, record: &[u8], folded: &mut FoldedRecord, found: &mut impl FnMut(usize)) {
        let folded = folded.of(record);
        let mut at = 0;
        while let Some(stub) = self.searcher.find_in(folded, Span::from(at..folded.len())) {
            let start = stub.start();
            for needle in &self.needles[stub.pattern().as_usize()] {
                let text = if needle.cased { record } else { folded };
                if text[start..].starts_with(&needle.bytes)
                    && needle.counts_at(record, start + needle.bytes.len())
                {
                    found(needle.index);
                }
            }
            at = start + 1;
        }
    }
}

/// An automaton over the literals (ASCII case-insensitive, every match reported), and per
/// pattern its needle.
#[derive(Debug)]
pub(super) enum LiteralAutomaton {
    /// While the literals come to at most [`DFA_LITERAL_BYTES`].
    Dfa(DFA, Vec<Needle>),
    /// Above that: compact, slower.
    Nfa(contiguous::NFA, Vec<Needle>),
}

impl LiteralAutomaton {
    /// A DFA over `needles` while their bytes are at most [`DFA_LITERAL_BYTES`], else an NFA.
    fn new(needles: Vec<Needle>) -> LiteralAutomaton {
        let patterns: Vec<&[u8]> = needles.iter().map(|n| &n.bytes[..]).collect();
        let total: usize = patterns.iter().map(|p| p.len()).sum();
        // Its start-byte skip loop only helps when candidate bytes are rare, and they are not.
        let built = if total <= DFA_LITERAL_BYTES {
            DFA::builder()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .prefilter(false)
                .build(&patterns)
                .map(|dfa| LiteralAutomaton::Dfa(dfa, needles))
        } else {
            contiguous::NFA::builder()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .prefilter(false)
                .build(&patterns)
                .map(|nfa| LiteralAutomaton::Nfa(nfa, needles))
        };
        built.expect("literals are few and short enough for an automaton")
    }

    /// Reports every literal of `record` to `found`. The DFA is stepped as [`DFA_STREAMS`]
    /// streams; the NFA, whose steps branch on its failure links, as one (four streams halved
    /// its speed on the 20,000 literals of all SigmaHQ rules).
    fn find(&self, record: &[u8], found: &mut impl FnMut(usize)) {
        match self {
            LiteralAutomaton::Dfa(dfa, needles) => scan_streams::<_, DFA_STREAMS>(
                dfa,
                record,
                &mut Matches {
                    needles,
                    record,
                    found,
                },
            ),
            LiteralAutomaton::Nfa(nfa, needles) => scan_streams::<_, 1>(
                nfa,
                record,
                &mut Matches {
                    needles,
                    record,
                    found,
                },
            ),
        }
    }
}

/// Independent streams a DFA scan steps in turn (see [`scan_streams`]).
const DFA_STREAMS: usize = 4;

/// Runs `automaton` over `record` as `STREAMS` independent streams stepped in turn, one over
/// each part of the record, so that the table look-ups of one stream overlap the others' (a
/// lone stream waits for every look-up before it can start the next). Each stream but the
/// first starts `max_pattern_len - 1` bytes before its part: every match ends in one part, and
/// a match ending in a part starts no earlier than that, so the streams together report every
/// match (those ending where two streams overlap twice).
fn scan_streams<A: Automaton, const STREAMS: usize>(
    automaton: &A,
    record: &[u8],
    matches: &mut Matches<'_, impl FnMut(usize)>,
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
                matches.report(automaton, state, offset + i + 1);
            }
        }
    }
    for ((mut state, part), offset) in states.into_iter().zip(parts).zip(offsets) {
        for (i, &byte) in part.iter().enumerate().skip(common) {
            state = automaton.next_state(Anchored::No, state, byte);
            if automaton.is_special(state) {
                matches.report(automaton, state, offset + i + 1);
            }
        }
    }
}

/// Where an automaton's matches go.
struct Matches<'a, F> {
    /// Per pattern of the automaton: its needle.
    needles: &'a [Needle],
    record: &'a [u8],
    found: &'a mut F,
}

impl<F: FnMut(usize)> Matches<'_, F> {
    /// Reports the literals that end in `state` (none unless it is a match state) at `end` in
    /// the record. The automaton folds case, so a cased literal counts only if the bytes found
    /// are exactly its own.
    ///
    /// Kept out of line: inlined into the scan loop, it made the AWS hunt about 10% slower.
    #[inline(never)]
    fn report(&mut self, automaton: &impl Automaton, state: StateID, end: usize) {
        if !automaton.is_match(state) {
            return;
        }
        for index in 0..automaton.match_len(state) {
            let needle = &self.needles[automaton.match_pattern(state, index).as_usize()];
            if needle.cased && self.record[end - needle.bytes.len()..end] != *needle.bytes
                || !needle.counts_at(self.record, end)
            {
                continue;
            }
            (self.found)(needle.index);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aho_corasick::AhoCorasick;

    /// The needles each search finds in `record`, sorted and deduplicated.
    fn found(search: &Unanchored, record: &[u8]) -> Vec<usize> {
        let mut found = Vec::new();
        search.find(record, &mut FoldedRecord::default(), &mut |i| found.push(i));
        found.sort_unstable();
        found.dedup();
        found
    }

    /// The content of each key of `record` (its quotes left out), read from the start of the
    /// record: a string is a key when a colon follows it, JSON whitespace allowed.
    fn keys(record: &[u8]) -> Vec<std::ops::Range<usize>> {
        let mut keys = Vec::new();
        let mut at = 0;
        while let Some(open) = record[at..].iter().position(|&b| b == b'"') {
            let open = at + open;
            let mut close = open + 1;
            while close < record.len() && record[close] != b'"' {
                close += if record[close] == b'\\' { 2 } else { 1 };
            }
            let after = record.get(close + 1..).unwrap_or_default();
            if after.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b':') {
                keys.push(open + 1..close);
            }
            at = close + 1;
            if at >= record.len() {
                break;
            }
        }
        keys
    }

    /// What a plain overlapping search finds (cased needles with their exact bytes), but the
    /// occurrences of value literals inside keys.
    fn reference(needles: &[Needle], record: &[u8]) -> Vec<usize> {
        let searcher = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(needles.iter().map(|n| &n.bytes[..]))
            .unwrap();
        let keys = keys(record);
        let in_key = |range: std::ops::Range<usize>| {
            keys.iter()
                .any(|key| key.start <= range.start && range.end <= key.end)
        };
        let mut found: Vec<usize> = searcher
            .find_overlapping_iter(record)
            .filter(|m| {
                let needle = &needles[m.pattern().as_usize()];
                (!needle.cased || record[m.range()] == *needle.bytes)
                    && (needle.cased || !in_key(m.range()))
            })
            .map(|m| m.pattern().as_usize())
            .collect();
        found.sort_unstable();
        found.dedup();
        found
    }

    #[test]
    fn every_search_finds_what_one_overlapping_search_finds() {
        let needles: Vec<Needle> = [
            ("login", false),
            ("ogi", false),
            ("abc", false),
            ("bcd", false),
            ("abcdef", false),
            ("EventName", true),
            ("\\\"effect\\\"", false),
            // Their rarest grams are not their first four bytes.
            ("abc{{}", false),
            ("nt(x)", false),
            ("true", false),
            // Long enough for grams read every fourth position, one with its rarest
            // windows at several offsets.
            ("consolelogin", false),
            ("x{(abc)}yz", false),
        ]
        .into_iter()
        .enumerate()
        .map(|(index, (bytes, cased))| Needle::new(bytes.as_bytes(), cased, index))
        .collect();
        let stepping = (1..=MAX_STEP).map(|step| {
            Unanchored::grams_at(&needles, step).expect("Teddy takes the shorter literals")
        });
        let searches = [
            Unanchored::new(needles.clone()),
            Unanchored::grams(needles.clone()),
            Unanchored::Automaton(Box::new(LiteralAutomaton::new(needles.clone()))),
            Unanchored::Automaton(Box::new(LiteralAutomaton::Nfa(
                contiguous::NFA::builder()
                    .ascii_case_insensitive(true)
                    .build(needles.iter().map(|n| &n.bytes[..]))
                    .unwrap(),
                needles.clone(),
            ))),
        ]
        .into_iter()
        .chain(stepping)
        .collect::<Vec<_>>();
        assert!(matches!(searches[0], Unanchored::Stubs(_)));
        // The widest step, since Teddy takes the literals shorter than seven bytes.
        assert!(matches!(&searches[1], Unanchored::Grams(grams, _) if grams.step() == MAX_STEP));
        // Every cut of a literal by a stream's start, records shorter than a literal, the
        // empty one, a key whose case differs from the cased literal, and bytes that fold to
        // the same gram as a literal's (`@` and `` ` ``, `[` and `{`).
        let mut records: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"ab".to_vec(),
            b"abcd".to_vec(),
            b"LOGIN".to_vec(),
            b"l@gin \\\"Effect\\\" \\\"effect\\[ eVENTnAME EventName".to_vec(),
        ];
        for pad in 0..40 {
            for body in [
                &br#"{"eventName":"ConsoleLOGIN","EventName":"ABCDEF"}"#[..],
                br#"{"x":"{\"Effect\":1}","eventname":1}"#,
                br#"{"x":"ABC{{}","y":"cou NT(X)"}"#,
                // Value literals inside keys only, then inside values that look like keys.
                br#"{"LogIn":1,"abcdef" :{"bcd":2},"a":true,":nt(x)":3}"#,
                br#"{"a":"login:","b":"{\"abcdef\":2}","c":["ogi"],"d":"x\\"}"#,
            ] {
                let mut record = vec![b'x'; pad];
                record.extend_from_slice(body);
                record.extend(std::iter::repeat_n(b'y', 40 - pad));
                records.push(record);
            }
        }
        for record in &records {
            let expected = reference(&needles, record);
            for search in &searches {
                assert_eq!(found(search, record), expected, "{:?}", search.kind());
            }
        }
    }

    /// A JSON object whose keys and string values are made of pieces of the `needles` (in
    /// either case) and random bytes, escaped as JSON wants. Keys hold letters only: an
    /// occurrence in a key with an escape or a space is one the search cannot be sure of, and
    /// so reports (see [`ends_inside_key`]), where the reference does not.
    fn random_record(needles: &[Needle], random: &mut impl FnMut(usize) -> usize) -> Vec<u8> {
        let text = |random: &mut dyn FnMut(usize) -> usize| {
            let mut text = Vec::new();
            for _ in 0..random(6) {
                if random(2) == 0 {
                    let needle = &needles[random(needles.len())].bytes;
                    let piece = &needle[random(needle.len())..];
                    match random(2) {
                        0 => text.extend_from_slice(piece),
                        _ => text.extend(piece.to_ascii_uppercase()),
                    }
                } else {
                    text.push(b"aAbB:{ \"\\"[random(9)]);
                }
            }
            text
        };
        let mut record = b"{".to_vec();
        for member in 0..random(6) {
            if member > 0 {
                record.push(b',');
            }
            let key = text(random);
            record.push(b'"');
            record.extend(key.iter().filter(|b| b.is_ascii_alphabetic()));
            record.extend_from_slice([&b"\":"[..], b"\" : "][random(2)]);
            match random(4) {
                0 => record.extend_from_slice(b"12"),
                1 => record.extend_from_slice(b"true"),
                _ => {
                    record.push(b'"');
                    for byte in text(random) {
                        if matches!(byte, b'"' | b'\\') {
                            record.push(b'\\');
                        }
                        record.push(byte);
                    }
                    record.push(b'"');
                }
            }
        }
        record.push(b'}');
        record
    }

    #[test]
    fn random_literals_in_random_records_are_found_at_every_step() {
        // Few letters, so that literals overlap and share grams and stubs; quotes, colons
        // and a backslash, so that occurrences fall inside keys and escapes.
        const BYTES: &[u8] = b"abcdeABCDE\"\":\\ {}";
        let mut random = crate::testing::random(0x9e37_79b9_7f4a_7c15);
        let mut searched = [0usize; MAX_STEP + 1];
        for _ in 0..200 {
            let count = 1 + random(120);
            let needles: Vec<Needle> = (0..count)
                .map(|index| {
                    let len = STUB_LEN + random(10);
                    let bytes: Vec<u8> = (0..len).map(|_| BYTES[random(BYTES.len())]).collect();
                    let cased = random(4) == 0;
                    let bytes = match cased {
                        true => bytes,
                        false => bytes.to_ascii_lowercase(),
                    };
                    Needle::new(&bytes, cased, index)
                })
                .collect();
            let stepping = (1..=MAX_STEP).filter_map(|step| {
                let search = Unanchored::grams_at(&needles, step)?;
                searched[step] += 1;
                Some(search)
            });
            let searches: Vec<Unanchored> = [
                Unanchored::new(needles.clone()),
                Unanchored::grams(needles.clone()),
            ]
            .into_iter()
            .chain(stepping)
            .collect();
            for _ in 0..20 {
                let record = random_record(&needles, &mut random);
                let expected = reference(&needles, &record);
                for search in &searches {
                    assert_eq!(
                        found(search, &record),
                        expected,
                        "{:?} {:?} {needles:?}",
                        search.kind(),
                        String::from_utf8_lossy(&record)
                    );
                }
            }
        }
        // Each step met sets of literals it could take.
        assert!(searched.iter().skip(1).all(|&n| n > 20), "{searched:?}");
    }

    #[test]
    fn grams_skip_positions_when_few_stubs_are_left_for_teddy() {
        // `short` literals of four bytes and `five` of five, each with a stub of its own,
        // beside one long literal and one of three bytes.
        let step_of = |short: usize, five: usize| {
            let literals = (0..short)
                .map(|i| format!("{i:03}x"))
                .chain((0..five).map(|i| format!("{:03}yy", 100 + i)))
                .chain(["consolelogin".to_string(), "abc".to_string()]);
            let needles = (literals.enumerate())
                .map(|(index, literal)| Needle::new(literal.as_bytes(), false, index))
                .collect();
            match Unanchored::grams(needles) {
                Unanchored::Grams(grams, _) => grams.step(),
                other => panic!("{:?}", other.kind()),
            }
        };
        assert_eq!(step_of(0, 0), MAX_STEP);
        assert_eq!(step_of(0, MAX_STUBS_BESIDE_GRAMS - 1), MAX_STEP);
        assert_eq!(step_of(5, MAX_STUBS_BESIDE_GRAMS), 2);
        assert_eq!(step_of(MAX_STUBS_BESIDE_GRAMS, 0), 1);
    }

    #[test]
    fn an_occurrence_is_inside_a_key_only_when_that_is_sure() {
        let far = format!(r#"{{"username{}":1}}"#, "x".repeat(KEY_TAIL));
        let near = format!(r#"{{"username{}":1}}"#, "x".repeat(KEY_TAIL - 3));
        let cases: [(&str, &str, bool); 11] = [
            (r#"{"userName":"x"}"#, "username", true),
            (r#"{"o":{"userName" :1}}"#, "username", true),
            (r#"{"a":"username:"}"#, "username", false),
            (r#"{"a":"{\"username\":1}"}"#, "username", false),
            (r#"{"a":"username"}"#, "username", false),
            (r#"{"a":["username",":"]}"#, "username", false),
            (r#"{"a":true,":b":1}"#, "true", false),
            // Keys it cannot be sure of count: a space or an escape before the quote.
            (r#"{"username x":1}"#, "username", false),
            (r#"{"username\u0041":1}"#, "username", false),
            // The quote and colon within `KEY_TAIL` bytes, and past them.
            (&near, "username", true),
            (&far, "username", false),
        ];
        for (record, literal, inside) in cases {
            let end = record.to_ascii_lowercase().find(literal).unwrap() + literal.len();
            assert_eq!(ends_inside_key(record.as_bytes(), end), inside, "{record}");
        }
    }
}
