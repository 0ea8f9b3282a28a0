//! The raw-record literal of one string pattern.
//!
//! A string value of a record appears in the raw bytes JSON-escaped: `"` as `\"`, `\` as `\\`,
//! and everything else as itself, unless the writer used an optional escape (`\u....`, `\/`;
//! the engine spells those of printable characters out before it scans). Control characters (which JSON escapes in several
//! ways) and non-ASCII characters (which the prefilter, folding ASCII only, cannot fold) cut a literal
//! into pieces; each piece is a sure substring of the record, and the longest one is kept if it
//! has at least [`MIN_LITERAL_LEN`] bytes.
//!
//! A pattern anchored at the start or end of the string may keep the quote there: `startswith
//! 'Get'` needs `"get` in the record. That holds because such patterns (like every pattern but
//! plain equality) only match JSON strings; an equality keeps both quotes unless its value can
//! also match a JSON number or boolean (DESIGN §3).
//!
//! ```text
//! pattern                      literal
//! eq 'ConsoleLogin'            "consolelogin"
//! eq 'true'                    true            (also matches the JSON boolean)
//! eq '403'                     none            (matches 403.0, 4.03e2 ...)
//! contains 'C:\Temp'           c:\\temp
//! startswith 'Straße'          "stra
//! glob 'arn:*:role/Admin*'     :role/admin     (the longest run)
//! ```

use super::MIN_LITERAL_LEN;
use crate::ir::{FieldPath, GlobToken, StrKind, StrMatch, parse_json_number};

/// The literal (lowercase ASCII, JSON-escaped) a string pattern needs, if it has a usable one.
/// Regexes have none here: `regex_literals` handles them.
pub(super) fn literal(pattern: &StrMatch) -> Option<Vec<u8>> {
    if pattern.number.is_some() || pattern.numeric_strings {
        return None;
    }
    match &pattern.kind {
        StrKind::Equals(text) => {
            let quoted = !matches!(text.as_str(), "true" | "false" | "null")
                && parse_json_number(text).is_none();
            longest_piece(text.as_bytes(), quoted, quoted)
        }
        StrKind::Contains(text) => longest_piece(text.as_bytes(), false, false),
        StrKind::StartsWith(text) => longest_piece(text.as_bytes(), true, false),
        StrKind::EndsWith(text) => longest_piece(text.as_bytes(), false, true),
        StrKind::Glob(tokens) => {
            let last = tokens.len().saturating_sub(1);
            tokens
                .iter()
                .enumerate()
                .filter_map(|(i, token)| match token {
                    GlobToken::Literal(text) => longest_piece(text.as_bytes(), i == 0, i == last),
                    // A dash class cuts the value into its dash-free pieces.
                    GlobToken::Star | GlobToken::Question | GlobToken::Dash => None,
                })
                .max_by_key(Vec::len)
        }
        StrKind::Regex(_) => None,
    }
}

/// The literal of the key under which a record holds `path`'s first segment: `"EventID"` for
/// `EventID`, `"userIdentity` for `userIdentity.type` (whose first key may be `userIdentity` or,
/// read as one dotted key, `userIdentity.type`, see the evaluator's field walk). Keys are
/// compared case-sensitively by the evaluator, so the literal keeps its case.
pub(super) fn field_key(path: &FieldPath) -> Option<Vec<u8>> {
    let first = path.segments.first()?;
    piece(first.as_bytes(), true, path.segments.len() == 1, false)
}

/// The longest piece of `text` (escaped, lowercased, cut at control and non-ASCII bytes, with a
/// quote before it when `open` and after it when `close`) if it is long enough to be selective.
pub(super) fn longest_piece(text: &[u8], open: bool, close: bool) -> Option<Vec<u8>> {
    piece(text, open, close, true)
}

/// [`longest_piece`], lowercased only when `fold`.
fn piece(text: &[u8], open: bool, close: bool, fold: bool) -> Option<Vec<u8>> {
    let mut best: Vec<u8> = Vec::new();
    let mut piece: Vec<u8> = Vec::new();
    if open {
        piece.push(b'"');
    }
    for &byte in text {
        match byte {
            0x00..0x20 | 0x80.. => {
                if piece.len() > best.len() {
                    best = std::mem::take(&mut piece);
                }
                piece.clear();
            }
            b'"' | b'\\' => piece.extend([b'\\', byte]),
            _ if fold => piece.push(byte.to_ascii_lowercase()),
            _ => piece.push(byte),
        }
    }
    if close {
        piece.push(b'"');
    }
    if piece.len() > best.len() {
        best = piece;
    }
    (best.len() >= MIN_LITERAL_LEN).then_some(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn literal(value: &str) -> Option<String> {
        super::literal(&StrMatch::from_sigma_value(value, false).unwrap())
            .map(|bytes| String::from_utf8(bytes).unwrap())
    }

    #[test]
    fn equality_is_quoted_unless_it_can_be_a_scalar() {
        assert_eq!(literal("ConsoleLogin").as_deref(), Some("\"consolelogin\""));
        assert_eq!(literal("True").as_deref(), Some("true"));
        assert_eq!(literal("null").as_deref(), Some("null"));
        assert_eq!(literal("403"), None);
        assert_eq!(literal("4.03e2"), None);
        assert_eq!(literal("0403").as_deref(), Some("\"0403\""));
    }

    #[test]
    fn escapes_quotes_and_backslashes() {
        assert_eq!(
            literal("*C:\\Temp\\\"x*").as_deref(),
            Some("c:\\\\temp\\\\\\\"x")
        );
    }

    #[test]
    fn non_ascii_and_control_characters_cut_the_literal() {
        assert_eq!(literal("Straße*").as_deref(), Some("\"stra"));
        assert_eq!(literal("*\u{212A}elvin*").as_deref(), Some("elvin"));
        assert_eq!(literal("*ab\ncd*"), None);
        assert_eq!(literal("*éé*"), None);
    }

    #[test]
    fn field_keys_are_quoted_where_the_key_surely_ends() {
        let key =
            |name: &str| field_key(&FieldPath::new(name)).map(|b| String::from_utf8(b).unwrap());
        assert_eq!(key("EventID").as_deref(), Some("\"EventID\""));
        assert_eq!(key("userIdentity.type").as_deref(), Some("\"userIdentity"));
        assert_eq!(key("id").as_deref(), Some("\"id\""));
        assert_eq!(key("a.b"), None);
        assert_eq!(key("Stra\u{df}e.x").as_deref(), Some("\"Stra"));
    }

    #[test]
    fn globs_keep_their_longest_run() {
        assert_eq!(literal("arn:*:role/Admin*").as_deref(), Some(":role/admin"));
        assert_eq!(literal("ab?cdefg").as_deref(), Some("cdefg\""));
        assert_eq!(literal("abcd?e").as_deref(), Some("\"abcd"));
    }
}
