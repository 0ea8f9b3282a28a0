//! A matcher's string patterns, compiled to be tried together on one text.
//!
//! A keyword list or a field with many values tests every string it reaches against each of its
//! patterns. Tried one by one, each pattern folds the text and sets up a substring search again.
//! A [`StrSet`] instead splits its patterns by what they need:
//!
//! - uncased patterns whose text is ASCII are compared with the raw text ignoring ASCII case,
//!   without folding it: `contains` values all at once in one Aho-Corasick automaton, the others
//!   (equality, `startswith`, `endswith`) by a length check and a byte comparison;
//! - the rest (cased, non-ASCII, wildcard and regex patterns) are tested on the text folded once.
//!
//! Both give the answers [`StrMatch::is_match`] gives, because folding never maps ASCII to
//! non-ASCII or back (see the parent module): an ASCII pattern occurs in the folded text exactly
//! where it occurs, ignoring ASCII case, in the text.

use super::{StrKind, StrMatch, fold_case, parse_json_number};
use aho_corasick::AhoCorasick;
use memchr::memmem;

/// String patterns tested together; see the module docs.
///
/// ```
/// use sigil_compiler::{StrMatch, StrSet};
/// let patterns = ["*show ip*", "dir", "*.EXE"].map(|v| StrMatch::from_sigma_value(v, false).unwrap());
/// let set = StrSet::new(&patterns);
/// assert!(set.is_match("SHOW IP ROUTE"));
/// assert!(set.is_match("Dir"));
/// assert!(set.is_match("c:\\cmd.exe"));
/// assert!(!set.is_match("directory"));
/// ```
#[derive(Clone, Debug, Default)]
pub struct StrSet {
    /// Every pattern, in the order given.
    patterns: Vec<StrMatch>,
    /// The ASCII `contains` values of uncased patterns, matched ignoring ASCII case.
    contains: Option<AhoCorasick>,
    /// The ASCII equality, `startswith` and `endswith` values of uncased patterns.
    anchored: Vec<Anchored>,
    /// The patterns tested on the folded text (or the text, for cased ones and regexes).
    folded: Vec<StrMatch>,
    /// The values of the patterns that also match strings holding the same number.
    numbers: Vec<f64>,
    /// When `contains` alone decides the set: a search of its values lowercased that does not
    /// fold case (see [`StrSet::joinable`]).
    joinable: Option<JoinedSearch>,
}

/// A search of lowercase values in a text whose ASCII letters are lowercased (see
/// [`StrSet::joinable`]): neither folds case, so both run at SIMD speed.
#[derive(Clone, Debug)]
pub enum JoinedSearch {
    /// A few values ([`JoinedSearch::FEW`] at most), each by its own substring search.
    Few(Vec<memmem::Finder<'static>>),
    /// More, by one automaton.
    Many(AhoCorasick),
}

impl JoinedSearch {
    /// Most values searched for one by one.
    pub const FEW: usize = 4;

    fn new(values: &[String]) -> Option<JoinedSearch> {
        let lowercase = values.iter().map(|value| value.to_ascii_lowercase());
        if values.len() <= JoinedSearch::FEW {
            let finders = lowercase.map(|value| memmem::Finder::new(&value).into_owned());
            return Some(JoinedSearch::Few(finders.collect()));
        }
        AhoCorasick::new(lowercase).ok().map(JoinedSearch::Many)
    }

    /// Whether one of the values occurs in `text`.
    pub fn is_match(&self, text: &[u8]) -> bool {
        match self {
            JoinedSearch::Few(finders) => finders.iter().any(|f| f.find(text).is_some()),
            JoinedSearch::Many(automaton) => automaton.is_match(text),
        }
    }
}

/// An ASCII value compared with one end, or the whole, of a text.
#[derive(Clone, Debug)]
struct Anchored {
    kind: Anchor,
    /// Already folded: ASCII letters are lowercase.
    value: Box<str>,
}

#[derive(Clone, Copy, Debug)]
enum Anchor {
    Whole,
    Start,
    End,
}

impl Anchored {
    fn holds(&self, text: &str) -> bool {
        let (text, value) = (text.as_bytes(), self.value.as_bytes());
        let part = match self.kind {
            Anchor::Whole if text.len() == value.len() => text,
            Anchor::Start if text.len() >= value.len() => &text[..value.len()],
            Anchor::End if text.len() >= value.len() => &text[text.len() - value.len()..],
            _ => return false,
        };
        part.eq_ignore_ascii_case(value)
    }
}

impl StrSet {
    /// Compiles `patterns` to be tried together.
    pub fn new<'p>(patterns: impl IntoIterator<Item = &'p StrMatch>) -> StrSet {
        let mut set = StrSet::default();
        let mut contains = Vec::new();
        for pattern in patterns {
            set.patterns.push(pattern.clone());
            if pattern.numeric_strings
                && let Some(number) = pattern.number
            {
                set.numbers.push(number);
            }
            let ascii = |value: &str| !pattern.cased && value.is_ascii();
            let anchored = |kind, value: &str| Anchored {
                kind,
                value: value.into(),
            };
            match &pattern.kind {
                StrKind::Contains(value) if ascii(value) => contains.push(value.clone()),
                StrKind::Equals(value) if ascii(value) => {
                    set.anchored.push(anchored(Anchor::Whole, value))
                }
                StrKind::StartsWith(value) if ascii(value) => {
                    set.anchored.push(anchored(Anchor::Start, value))
                }
                StrKind::EndsWith(value) if ascii(value) => {
                    set.anchored.push(anchored(Anchor::End, value))
                }
                _ => set.folded.push(pattern.clone()),
            }
        }
        let joinable = !contains.is_empty()
            && contains.iter().all(|value| !value.contains('\0'))
            && set.anchored.is_empty()
            && set.folded.is_empty()
            && set.numbers.is_empty();
        if joinable {
            set.joinable = JoinedSearch::new(&contains);
        }
        if !contains.is_empty() {
            match AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build(&contains)
            {
                Ok(automaton) => set.contains = Some(automaton),
                // Too big for an automaton (not seen in practice): test them one by one.
                Err(_) => {
                    set.joinable = None;
                    set.folded
                        .extend(contains.into_iter().map(|value| StrMatch {
                            kind: StrKind::Contains(value),
                            cased: false,
                            number: None,
                            numeric_strings: false,
                        }))
                }
            }
        }
        set
    }

    /// Whether the set has no pattern.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Every pattern, in the order given.
    pub fn patterns(&self) -> &[StrMatch] {
        &self.patterns
    }

    /// When the set's `contains` values alone decide it (every pattern is an uncased ASCII
    /// `contains` value without a NUL byte): a search of them lowercased, for texts whose
    /// ASCII letters are lowercased. Then texts joined with a NUL after each, lowercased, hold a
    /// match exactly when one of them matches the set (a match cannot span a NUL), so one
    /// search over the join answers for all of them.
    ///
    /// ```
    /// use sigil_compiler::{StrMatch, StrSet};
    /// let patterns = ["*show IP*", "*dir*"].map(|v| StrMatch::from_sigma_value(v, false).unwrap());
    /// let set = StrSet::new(&patterns);
    /// let search = set.joinable().unwrap();
    /// assert!(search.is_match(b"a\0show ip route\0"));
    /// assert!(!search.is_match(b"show\0ip\0"));
    /// let equality = [StrMatch::from_sigma_value("dir", false).unwrap()];
    /// assert!(StrSet::new(&equality).joinable().is_none());
    /// ```
    pub fn joinable(&self) -> Option<&JoinedSearch> {
        self.joinable.as_ref()
    }

    /// Whether any pattern matches `text`, as [`StrMatch::is_match`] would tell one by one.
    pub fn is_match(&self, text: &str) -> bool {
        if self.contains.as_ref().is_some_and(|ac| ac.is_match(text))
            || self.anchored.iter().any(|a| a.holds(text))
            || (!self.numbers.is_empty()
                && parse_json_number(text).is_some_and(|n| self.numbers.contains(&n)))
        {
            return true;
        }
        if self.folded.is_empty() {
            return false;
        }
        let folded = fold_case(text);
        self.folded
            .iter()
            .any(|pattern| pattern.is_folded_text_match(text, &folded))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::SigmaRegex;

    fn patterns(values: &[&str], cased: bool) -> Vec<StrMatch> {
        values
            .iter()
            .map(|v| StrMatch::from_sigma_value(v, cased).unwrap())
            .collect()
    }

    /// The set's answer is the answer of the patterns one by one, for every text.
    fn agrees(patterns: &[StrMatch], texts: &[&str]) {
        let set = StrSet::new(patterns);
        for text in texts {
            let one_by_one = patterns.iter().any(|p| p.is_match(text));
            assert_eq!(set.is_match(text), one_by_one, "{text:?}");
        }
    }

    const TEXTS: &[&str] = &[
        "",
        "abc",
        "ABC",
        "xABCx",
        "ab",
        "Straße",
        "STRASSE",
        "\u{212A}elvin",
        "kelvin",
        "403",
        "403.0",
        "4.03e2",
        "a*c",
        "show IP route",
    ];

    #[test]
    fn answers_as_the_patterns_one_by_one() {
        agrees(&patterns(&["abc"], false), TEXTS);
        agrees(&patterns(&["abc*", "*BC", "*show ip*"], false), TEXTS);
        agrees(&patterns(&["*straße*", "kelvin", "*elvin"], false), TEXTS);
        agrees(&patterns(&["ABC", "*x"], true), TEXTS);
        agrees(&patterns(&["a?c", "a\\*c", "*", ""], false), TEXTS);
        let mut yaml_number = patterns(&["403"], false);
        yaml_number[0].numeric_strings = true;
        agrees(&yaml_number, TEXTS);
        let regex = StrMatch::regex(SigmaRegex::new("^x?AB", false, false, false).unwrap());
        agrees(&[regex], TEXTS);
        agrees(&[], TEXTS);
    }

    proptest::proptest! {
        /// Random wildcard values, cased or not, over letters that fold in every way (ASCII,
        /// non-ASCII, the Kelvin sign), against random texts over the same letters.
        #[test]
        fn random_sets_answer_as_their_patterns(
            values in proptest::collection::vec(("[aAkK\u{212A}ßé É*?0-9.]{0,5}", proptest::bool::ANY), 0..6),
            texts in proptest::collection::vec("[aAkK\u{212A}ßé É0-9.]{0,8}", 1..8),
        ) {
            let patterns: Vec<StrMatch> = values
                .iter()
                .map(|(value, cased)| {
                    let mut pattern = StrMatch::from_sigma_value(value, *cased).unwrap();
                    pattern.numeric_strings = value.len() % 2 == 0;
                    pattern
                })
                .collect();
            let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
            agrees(&patterns, &texts);
        }
    }

    #[test]
    fn ascii_values_skip_folding() {
        let set = StrSet::new(&patterns(&["*show ip*", "dir", "abc*", "*.exe"], false));
        assert!(set.folded.is_empty());
        assert_eq!(set.anchored.len(), 3);
        assert!(set.contains.is_some());
        assert!(set.is_match("SHOW IP"));
        assert!(set.is_match("ABCDEF"));
        assert!(set.is_match("CMD.EXE"));
        assert!(!set.is_match("show"));
    }
}
