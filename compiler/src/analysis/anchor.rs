//! Where a literal sits in the JSON string that holds it.
//!
//! Literals are JSON-escaped: a quote inside a value is written `\"`, a backslash `\\`. So an
//! unescaped quote can only be at either end of a literal, and only where the extraction put
//! it: around an equality's value, before a `startswith` value or a field key, after an
//! `endswith` value (see `string_literals`). Such a quote is the string's own, and in a JSON text an
//! unescaped quote always opens or closes a string. A literal with a quote at its start can
//! therefore only occur at the start of a string of the record, one with a quote at its end
//! only at the end of one, which lets the engine find them by looking up each string of a
//! record instead of running an automaton over every byte.
//!
//! ```
//! use sigil_compiler::Anchor;
//! assert_eq!(Anchor::of(br#""consolelogin""#), Anchor::Whole);
//! assert_eq!(Anchor::of(br#""userIdentity"#), Anchor::Start);
//! assert_eq!(Anchor::of(br#"\\cmd.exe""#), Anchor::End);
//! assert_eq!(Anchor::of(br#"\"effect\""#), Anchor::Anywhere);
//! assert_eq!(Anchor::of(br#""a\"b\\""#), Anchor::Whole);
//! ```

/// Where a literal must sit in a JSON string of the record, if it is found there at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anchor {
    /// A whole string, both quotes included: `"consolelogin"` (an equality).
    Whole,
    /// The start of a string, its opening quote included: `"get` (a `startswith`, a key).
    Start,
    /// The end of a string, its closing quote included: `.exe"` (an `endswith`).
    End,
    /// Anywhere: `:assumed-role/` (a `contains`, a keyword, a piece of a regex), `true` (an
    /// equality that also matches a JSON boolean).
    Anywhere,
}

impl Anchor {
    /// The anchor of `literal` (JSON-escaped bytes): it starts with a quote, or ends with one
    /// that no backslash escapes.
    pub fn of(literal: &[u8]) -> Anchor {
        let opens = literal.first() == Some(&b'"');
        let closes = literal.len() > usize::from(opens)
            && literal.ends_with(b"\"")
            && escaping_backslashes(&literal[..literal.len() - 1]).is_multiple_of(2);
        match (opens, closes) {
            (true, true) => Anchor::Whole,
            (true, false) => Anchor::Start,
            (false, true) => Anchor::End,
            (false, false) => Anchor::Anywhere,
        }
    }

    /// The part of `literal` (whose anchor this is) that a string's raw content holds: the
    /// literal without its quotes.
    pub fn content(self, literal: &[u8]) -> &[u8] {
        match self {
            Anchor::Whole => &literal[1..literal.len() - 1],
            Anchor::Start => &literal[1..],
            Anchor::End => &literal[..literal.len() - 1],
            Anchor::Anywhere => literal,
        }
    }
}

/// The number of backslashes `bytes` ends with.
fn escaping_backslashes(bytes: &[u8]) -> usize {
    bytes.iter().rev().take_while(|&&b| b == b'\\').count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quote_escaped_by_an_odd_run_of_backslashes_is_not_an_anchor() {
        assert_eq!(Anchor::of(br#"abc\""#), Anchor::Anywhere);
        assert_eq!(Anchor::of(br#"abc\\""#), Anchor::End);
        assert_eq!(Anchor::of(br#"abc\\\""#), Anchor::Anywhere);
        assert_eq!(Anchor::of(br#""abc\""#), Anchor::Start);
        assert_eq!(Anchor::of(br#""\""#), Anchor::Start);
    }

    #[test]
    fn short_literals() {
        assert_eq!(Anchor::of(b""), Anchor::Anywhere);
        assert_eq!(Anchor::of(b"\""), Anchor::Start);
        assert_eq!(Anchor::content(Anchor::Start, b"\""), b"");
        assert_eq!(Anchor::of(b"\"\""), Anchor::Whole);
        assert_eq!(Anchor::of(b"a\""), Anchor::End);
        assert_eq!(Anchor::content(Anchor::Whole, b"\"\""), b"");
        assert_eq!(Anchor::content(Anchor::End, b"a\""), b"a");
    }
}
