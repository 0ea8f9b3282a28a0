//! String matching with Sigma's semantics: case folding, wildcards, regular expressions.
//!
//! Matching is case-insensitive unless `|cased`. Folding maps ASCII letters to lowercase and
//! non-ASCII characters by Unicode's lowercase mapping, except that a non-ASCII character never
//! folds to an ASCII one (the Kelvin sign `K` stays itself and does not equal `k`). Folding
//! therefore never turns ASCII into non-ASCII or back, which makes an ASCII-only pattern
//! comparable byte by byte with `eq_ignore_ascii_case`, and keeps the prefilter's ASCII-folding
//! automaton sound.
//!
//! The module is split by kind of pattern: wildcards in `glob`, `|re` values in `regex`, and the
//! set of a matcher's patterns tried together in `set`.
//!
//! ```
//! use sigil_compiler::{StrMatch, fold_case};
//! let m = StrMatch::from_sigma_value("*\\cmd.exe", false).unwrap();
//! assert!(m.is_match("C:\\Windows\\System32\\CMD.EXE"));
//! assert_eq!(fold_case("ÉCOLE\u{212A}"), "école\u{212A}");
//! ```

use serde::{Deserialize, Serialize};
use std::borrow::Cow;

mod glob;
mod regex;
mod set;

use glob::glob_match;
pub use glob::{GlobToken, WINDASH, parse_wildcards, windash_classes};
pub(crate) use glob::{escape_wildcards, glob_text};
pub(crate) use regex::{RegexBudget, deferring_regexes};
pub use regex::{RegexError, SigmaRegex};
pub use set::{JoinedSearch, StrSet};

/// Folds case the Sigma way (see the module docs).
pub fn fold_case(text: &str) -> Cow<'_, str> {
    if text
        .bytes()
        .all(|b| b.is_ascii() && !b.is_ascii_uppercase())
    {
        return Cow::Borrowed(text);
    }
    if text.is_ascii() {
        return Cow::Owned(text.to_ascii_lowercase());
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else if c.to_lowercase().any(|l| l.is_ascii()) {
            out.push(c);
        } else {
            out.extend(c.to_lowercase());
        }
    }
    Cow::Owned(out)
}

/// How a string value must relate to the field's text.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum StrKind {
    /// Equal.
    Equals(String),
    /// Contains it.
    Contains(String),
    /// Starts with it.
    StartsWith(String),
    /// Ends with it.
    EndsWith(String),
    /// A wildcard pattern that is none of the above.
    Glob(Vec<GlobToken>),
    /// A regular expression (`|re`), matched anywhere unless anchored.
    Regex(SigmaRegex),
}

impl PartialEq for StrKind {
    fn eq(&self, other: &Self) -> bool {
        use StrKind::*;
        match (self, other) {
            (Equals(a), Equals(b))
            | (Contains(a), Contains(b))
            | (StartsWith(a), StartsWith(b))
            | (EndsWith(a), EndsWith(b)) => a == b,
            (Glob(a), Glob(b)) => a == b,
            (Regex(a), Regex(b)) => {
                (&a.source, a.case_insensitive, a.multi_line, a.dot_all)
                    == (&b.source, b.case_insensitive, b.multi_line, b.dot_all)
            }
            _ => false,
        }
    }
}

/// A string value of a rule, ready to test field text against.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StrMatch {
    /// What kind of comparison; literal text is pre-folded unless `cased`.
    pub kind: StrKind,
    /// `|cased`: compare exactly.
    pub cased: bool,
    /// For an equality to a value that reads as a JSON number: that number, so JSON numbers of
    /// the same value match (`'403'` matches `403` and `403.0`).
    pub number: Option<f64>,
    /// The rule wrote a YAML number (`403`, not `'403'`): strings holding a JSON number of the
    /// same value match too (`"403.0"`).
    pub numeric_strings: bool,
}

impl StrMatch {
    /// Builds a matcher from a Sigma string value with wildcards (`*`, `?`) and escapes
    /// (`\*`, `\?`, `\\`; a backslash before anything else is literal). Returns `None` for
    /// values that need no special handling beyond this (never, today; kept total for callers).
    pub fn from_sigma_value(value: &str, cased: bool) -> Option<StrMatch> {
        Some(StrMatch::from_tokens(parse_wildcards(value), cased))
    }

    /// Builds a matcher from wildcard tokens, reducing `x`, `x*`, `*x`, `*x*` to the
    /// equals/startswith/endswith/contains fast paths.
    pub fn from_tokens(tokens: Vec<GlobToken>, cased: bool) -> StrMatch {
        let fold = |s: String| if cased { s } else { fold_case(&s).into_owned() };
        let tokens: Vec<GlobToken> = tokens
            .into_iter()
            .map(|t| match t {
                GlobToken::Literal(s) => GlobToken::Literal(fold(s)),
                other => other,
            })
            .collect();
        let kind = match tokens.as_slice() {
            [] => StrKind::Equals(String::new()),
            [GlobToken::Literal(s)] => StrKind::Equals(s.clone()),
            [GlobToken::Star] => StrKind::Contains(String::new()),
            [GlobToken::Literal(s), GlobToken::Star] => StrKind::StartsWith(s.clone()),
            [GlobToken::Star, GlobToken::Literal(s)] => StrKind::EndsWith(s.clone()),
            [GlobToken::Star, GlobToken::Literal(s), GlobToken::Star] => {
                StrKind::Contains(s.clone())
            }
            _ => StrKind::Glob(tokens),
        };
        let number = match &kind {
            StrKind::Equals(s) => parse_json_number(s),
            _ => None,
        };
        StrMatch {
            kind,
            cased,
            number,
            numeric_strings: false,
        }
    }

    /// A `|re` matcher.
    pub fn regex(regex: SigmaRegex) -> StrMatch {
        StrMatch {
            kind: StrKind::Regex(regex),
            cased: true,
            number: None,
            numeric_strings: false,
        }
    }

    /// Tests a field's text.
    pub fn is_match(&self, text: &str) -> bool {
        if self.cased || matches!(self.kind, StrKind::Regex(_)) {
            return self.is_match_folded(text, text);
        }
        self.is_match_folded(text, &fold_case(text))
    }

    /// [`is_match`](StrMatch::is_match) for a caller that has already folded `text` with
    /// [`fold_case`] into `folded`, as one that tests many patterns against one text does.
    pub fn is_match_folded(&self, text: &str, folded: &str) -> bool {
        self.is_folded_text_match(text, folded)
            || (self.numeric_strings
                && self.number.is_some()
                && parse_json_number(text) == self.number)
    }

    /// Tests `text`, or `folded` (its [`fold_case`]) unless the pattern is cased or a regex.
    fn is_folded_text_match(&self, text: &str, folded: &str) -> bool {
        if let StrKind::Regex(re) = &self.kind {
            return re.is_match(text);
        }
        let text = if self.cased { text } else { folded };
        match &self.kind {
            StrKind::Equals(s) => text == s,
            StrKind::Contains(s) => text.contains(s.as_str()),
            StrKind::StartsWith(s) => text.starts_with(s.as_str()),
            StrKind::EndsWith(s) => text.ends_with(s.as_str()),
            StrKind::Glob(tokens) => glob_match(tokens, text),
            StrKind::Regex(_) => unreachable!("handled above"),
        }
    }

    /// Tests a JSON number: numerically when the value reads as a number, else as text.
    pub fn is_match_number(&self, value: f64, text: &str) -> bool {
        self.number.is_some_and(|n| n == value) || self.is_match(text)
    }
}

/// Parses text written exactly as a JSON number (`403`, `-1.5`, `4.03e2`; not `0403`, `+1`,
/// `1.` or `.5`): the form in which a rule string, or a field's string, counts as a number for
/// equality. Numbers beyond a double's range (`1e400`) give `None`.
pub fn parse_json_number(text: &str) -> Option<f64> {
    is_json_number(text)
        .then(|| text.parse::<f64>().ok())
        .flatten()
        .filter(|n| n.is_finite())
}

/// Whether `text` is written exactly as a JSON number:
/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, whatever its magnitude.
pub fn is_json_number(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = usize::from(bytes.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let start = *i;
        while bytes.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    let int_start = i;
    if digits(&mut i) == 0 || (bytes[int_start] == b'0' && i - int_start > 1) {
        return false;
    }
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == bytes.len()
}

/// Parses a rule value that reads as a plain decimal number (`403`, `-1.5`, `4.03e2`).
pub fn parse_number(text: &str) -> Option<f64> {
    let t = text.trim();
    let plausible = !t.is_empty()
        && t.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
        && t.bytes().any(|b| b.is_ascii_digit());
    if !plausible {
        return None;
    }
    t.parse::<f64>().ok().filter(|n| n.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(value: &str) -> StrMatch {
        StrMatch::from_sigma_value(value, false).unwrap()
    }

    #[test]
    fn folding_never_crosses_the_ascii_boundary() {
        assert_eq!(fold_case("ABC"), "abc");
        assert_eq!(fold_case("ÄÖÜ"), "äöü");
        assert_eq!(fold_case("\u{212A}"), "\u{212A}");
        assert_eq!(fold_case("\u{17F}"), "\u{17F}");
        assert!(!m("k").is_match("\u{212A}"));
        assert!(!m("s").is_match("\u{17F}"));
        assert!(m("straße").is_match("STRAßE"));
    }

    #[test]
    fn wildcards_reduce_to_fast_paths() {
        assert!(matches!(m("abc").kind, StrKind::Equals(_)));
        assert!(matches!(m("abc*").kind, StrKind::StartsWith(_)));
        assert!(matches!(m("*abc").kind, StrKind::EndsWith(_)));
        assert!(matches!(m("*abc*").kind, StrKind::Contains(_)));
        assert!(matches!(m("a*c").kind, StrKind::Glob(_)));
        assert!(matches!(m("a\\*c").kind, StrKind::Equals(ref s) if s == "a*c"));
    }

    #[test]
    fn globs_match_whole_text() {
        assert!(m("a*c").is_match("abbbc"));
        assert!(m("a*c").is_match("ac"));
        assert!(!m("a*c").is_match("abcd"));
        assert!(m("a?c").is_match("abc"));
        assert!(!m("a?c").is_match("ac"));
        assert!(m("*a?c*x").is_match("zzabcx"));
        assert!(m("a*b*b").is_match("abbb"));
        assert!(!m("a*b*bc").is_match("abc"));
    }

    #[test]
    fn numeric_strings_match_numbers_by_value() {
        let m = m("403");
        assert!(m.is_match_number(403.0, "403"));
        assert!(!m.is_match_number(404.0, "404"));
        assert_eq!(parse_number("4.03e2"), Some(403.0));
        assert_eq!(parse_number("e"), None);
        assert_eq!(parse_number("inf"), None);
        assert_eq!(parse_json_number("4.03e2"), Some(403.0));
        assert_eq!(parse_json_number("-0.5"), Some(-0.5));
        for not_json in [
            "012345678901",
            "+1",
            "1.",
            ".5",
            "1e",
            "",
            "-",
            "0x10",
            " 1",
        ] {
            assert_eq!(parse_json_number(not_json), None, "{not_json}");
        }
        let mut yaml_number = StrMatch::from_sigma_value("403", false).unwrap();
        assert!(!yaml_number.is_match("403.0"));
        yaml_number.numeric_strings = true;
        assert!(yaml_number.is_match("403.0"));
    }

    #[test]
    fn regexes_are_case_sensitive_unless_asked() {
        let re = StrMatch::regex(SigmaRegex::new("^ab+c", false, false, false).unwrap());
        assert!(re.is_match("abbc-x"));
        assert!(!re.is_match("ABC"));
        let re = StrMatch::regex(SigmaRegex::new("ab+c", true, false, false).unwrap());
        assert!(re.is_match("xxABBC"));
        assert!(SigmaRegex::new("(a", false, false, false).is_err());
    }
}
