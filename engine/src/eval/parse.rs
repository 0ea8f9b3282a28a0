//! Parsing a record to simd-json's tape, with what simd-json leaves out: numbers too large for
//! 64 bits, and messages that say what is wrong with a record that does not parse.
//!
//! # Numbers beyond 64 bits
//!
//! simd-json refuses a valid JSON number that fits neither `u64`, `i64` nor a finite `f64`
//! (`123456789012345678901234567890`, `18446744073709551616`, `1e400`). Such a record is still
//! evaluated: [`BigNumbers::rewrite`] replaces each such number in the parse buffer by `0` and
//! spaces (the same length, so every other byte stays where it was), the buffer is parsed
//! again, and [`BigNumbers::patch`] puts a string node holding the number's text back in place
//! of each `0`. The evaluator's view of the tape ([`TapeRecord`](super::TapeRecord)) tells
//! those nodes from real strings by where their text lives, and reads them as
//! [`Kind::BigNumber`](super::Kind::BigNumber).
//!
//! ```text
//! record   {"id":123456789012345678901234567890,"n":[1e400]}
//! buffer   {"id":0                             ,"n":[0    ]}     numbers: "123456789012345678901234567890" "1e400"
//! tape     Object, "id", String(→numbers[0..30]), "n", Array, String(→numbers[30..35])
//! ```

use simd_json::StaticNode;
use simd_json::tape::{Node, Tape};

use crate::framing::{is_ws, string_end};
use sigil_compiler::is_json_number;

/// The texts of a record's numbers too large for 64 bits, one after the other, and which
/// numbers of the record (counted in document order) they are. Reused from record to record.
#[derive(Debug, Default)]
pub(crate) struct BigNumbers {
    /// The texts, back to back.
    text: String,
    /// Per big number: its ordinal among the record's numbers and its range in `text`.
    found: Vec<(usize, std::ops::Range<usize>)>,
}

impl BigNumbers {
    /// The texts of the big numbers of the last record rewritten (empty when it had none).
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// Finds the numbers of `record` that are valid JSON but do not fit 64 bits, and replaces
    /// each in `buffer` (a copy of `record`, padded) by `0` and spaces. Returns whether there
    /// was one; `buffer` is untouched when not.
    pub(crate) fn rewrite(&mut self, record: &[u8], buffer: &mut [u8]) -> bool {
        self.text.clear();
        self.found.clear();
        let mut ordinal = 0;
        let mut pos = 0;
        while pos < record.len() {
            let byte = record[pos];
            if byte == b'"' {
                match string_end(record, pos) {
                    Some(end) => pos = end,
                    None => return false, // an unclosed string: the parser says so
                }
                continue;
            }
            if !(byte == b'-' || byte.is_ascii_digit()) {
                pos += 1;
                continue;
            }
            let end = record[pos..]
                .iter()
                .position(|&b| is_ws(b) || matches!(b, b',' | b'}' | b']' | b'"' | b'{' | b'['))
                .map_or(record.len(), |len| pos + len);
            let token = std::str::from_utf8(&record[pos..end]).unwrap_or_default();
            if is_json_number(token) && !fits_64_bits(token) {
                let start = self.text.len();
                self.text.push_str(token);
                self.found.push((ordinal, start..self.text.len()));
                buffer[pos] = b'0';
                buffer[pos + 1..end].fill(b' ');
            }
            ordinal += 1;
            pos = end;
        }
        !self.found.is_empty()
    }

    /// Puts the big numbers found by the last [`rewrite`](BigNumbers::rewrite) back into the
    /// tape parsed from the rewritten buffer, as string nodes of their text.
    pub(crate) fn patch<'i>(&'i self, tape: &mut Tape<'i>) {
        let mut found = self.found.iter().peekable();
        let mut ordinal = 0;
        for node in &mut tape.0 {
            let Some((wanted, range)) = found.peek() else {
                return;
            };
            if let Node::Static(StaticNode::I64(_) | StaticNode::U64(_) | StaticNode::F64(_)) = node
            {
                if ordinal == *wanted {
                    *node = Node::String(&self.text[range.clone()]);
                    found.next();
                }
                ordinal += 1;
            }
        }
    }
}

/// Whether simd-json reads the JSON number `text`: an integer that fits `i64` or `u64`, or a
/// number with a fraction or an exponent whose value is a finite `f64`.
fn fits_64_bits(text: &str) -> bool {
    if text.bytes().all(|b| b == b'-' || b.is_ascii_digit()) {
        text.parse::<i64>().is_ok() || text.parse::<u64>().is_ok()
    } else {
        text.parse::<f64>().is_ok_and(f64::is_finite)
    }
}

/// What is wrong with `record`, which simd-json refused with `error`, in words: the kind of
/// mistake, where it is, and the text there.
pub(crate) fn describe_error(error: &simd_json::Error, record: &[u8]) -> String {
    use simd_json::ErrorType as E;
    let number = matches!(error.error(), E::InvalidNumber | E::InvalidExponent);
    let (at, token) = token_at(record, error.index().min(record.len()), number);
    let token = || token.clone();
    match error.error() {
        E::InvalidNumber | E::InvalidExponent => format!("invalid number `{}` at byte {at}", token()),
        E::ExpectedTrue
        | E::ExpectedFalse
        | E::ExpectedNull
        | E::InternalError
        | E::UnexpectedCharacter => format!(
            "unexpected `{}` at byte {at} (a value is a string, number, object, array, true, false or null)",
            token()
        ),
        E::ExpectedObjectKey | E::ExpectedObjectContent | E::KeyMustBeAString | E::BadKeyType => {
            format!("expected a quoted key at byte {at}, found `{}`", token())
        }
        E::ExpectedObjectColon => format!("expected `:` after the key, at byte {at}"),
        E::ExpectedMapComma | E::ExpectedArrayComma | E::ExpectedMapEnd | E::ExpectedArrayContent => {
            format!("expected `,` or a closing bracket at byte {at}, found `{}`", token())
        }
        E::InvalidEscape | E::InvalidUnicodeEscape | E::InvalidUnicodeCodepoint => {
            "invalid escape sequence in a string (`\\` must be followed by one of \"\\/bfnrt or uXXXX, \
             and \\uXXXX must be a valid code point)"
                .to_owned()
        }
        E::InvalidUtf8 => "invalid UTF-8".to_owned(),
        E::DepthLimitExceeded => format!("nesting deeper than {} levels", super::MAX_DEPTH),
        _ => match control_in_string(record) {
            Some((at, byte)) => format!(
                "unescaped control character 0x{byte:02x} inside a string at byte {at} (JSON \
                 strings must escape it)"
            ),
            None => format!("invalid JSON near byte {at}"),
        },
    }
}

/// The token at `record[at]` (up to the next delimiter, at most 24 characters), for messages,
/// and where it starts: with `number`, the start of the number `at` is inside.
fn token_at(record: &[u8], at: usize, number: bool) -> (usize, String) {
    let number_byte = |b: &u8| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E');
    let back = record[..at]
        .iter()
        .rev()
        .take_while(|b| number_byte(b))
        .count();
    let start = if number { at - back } else { at };
    let rest = &record[start..];
    let delimiter = |b: &u8| is_ws(*b) || matches!(b, b',' | b':' | b'}' | b']');
    let len = rest.iter().position(delimiter).unwrap_or(rest.len());
    let len = len.clamp(1.min(rest.len()), 24);
    let text = String::from_utf8_lossy(&rest[..len])
        .escape_debug()
        .to_string();
    (start, text)
}

/// The first raw control character inside a string of `record`, and where it is.
fn control_in_string(record: &[u8]) -> Option<(usize, u8)> {
    let mut pos = 0;
    while pos < record.len() {
        if record[pos] != b'"' {
            pos += 1;
            continue;
        }
        let end = string_end(record, pos).unwrap_or(record.len());
        if let Some(offset) = record[pos + 1..end].iter().position(|&b| b < 0x20) {
            let at = pos + 1 + offset;
            return Some((at, record[at]));
        }
        pos = end;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_error(record: &str) -> String {
        let mut bytes = record.as_bytes().to_vec();
        let error = simd_json::to_tape(&mut bytes).expect_err("an invalid record");
        describe_error(&error, record.as_bytes())
    }

    #[test]
    fn messages_name_the_mistake_not_the_parser() {
        for (record, message) in [
            (r#"{"a":01}"#, "invalid number `01` at byte 5"),
            (r#"{"a":NaN}"#, "unexpected `NaN` at byte 5"),
            (r#"{"a":tru}"#, "unexpected `tru` at byte 5"),
            (r#"{"a":1,}"#, "expected a quoted key at byte 7"),
            (r#"{a:1}"#, "expected a quoted key at byte 1, found `a`"),
            (r#"{"a" 1}"#, "expected `:` after the key"),
            (
                r#"{"a":[1,2}"#,
                "expected `,` or a closing bracket at byte 9",
            ),
            (r#"{"a":"x\q"}"#, "invalid escape sequence"),
            (
                "{\"a\":\"x\ty\"}",
                "unescaped control character 0x09 inside a string at byte 7",
            ),
        ] {
            let got = parse_error(record);
            assert!(got.contains(message), "{record}: {got}");
            for raw in ["InvalidNumber", "InternalError", "Expected", "Syntax"] {
                assert!(!got.contains(raw), "{record}: {got}");
            }
        }
    }

    #[test]
    fn only_valid_numbers_beyond_64_bits_are_rewritten() {
        let record = br#"{"s":"123456789012345678901234567890","a":1,"b":123456789012345678901234567890,"c":[1e400,-9223372036854775809,18446744073709551615,1.5e308,01]}"#;
        let mut buffer = record.to_vec();
        let mut numbers = BigNumbers::default();
        assert!(numbers.rewrite(record, &mut buffer));
        assert_eq!(
            numbers.text(),
            "1234567890123456789012345678901e400-9223372036854775809"
        );
        assert_eq!(
            numbers.found.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            [1, 2, 3]
        );
        assert_eq!(buffer.len(), record.len());
        let blank = |len: usize| format!("0{}", " ".repeat(len - 1));
        let expected = format!(
            r#""b":{},"c":[{},{},18446744073709551615,1.5e308,01]"#,
            blank(30),
            blank(5),
            blank(20)
        );
        assert!(
            String::from_utf8_lossy(&buffer).contains(&expected),
            "{}",
            String::from_utf8_lossy(&buffer)
        );
        let mut plain = br#"{"a":1}"#.to_vec();
        assert!(!numbers.rewrite(br#"{"a":1}"#, &mut plain));
    }
}
