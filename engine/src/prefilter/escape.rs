//! Optional JSON escapes, spelled out before the prefilter scans a record.
//!
//! JSON must escape `"` and `\` inside strings and may escape anything else as `\u....` (and `/`
//! as `\/`). The literals are written in the mandatory form (`\"`, `\\`) and hold only printable
//! ASCII (control and non-ASCII characters cut them, see the compiler's `literals::text`). So a
//! record that spells a printable ASCII character with an optional escape is scanned as a copy
//! in which that character is written the mandatory way: every literal the record's values
//! hold is then in the copy's bytes. Escapes of other characters stay as they are: no literal
//! spans them. The walk steps from backslash to backslash, skipping the character each escapes,
//! so the `\u` inside `\\u` (an escaped backslash followed by a `u`) does not count.
//!
//! ```
//! use sigil_engine::spell_out_escapes;
//! let mut copy = Vec::new();
//! assert!(spell_out_escapes(br#"{"a":"\u0041\/\u0022\u00e9"}"#, &mut copy));
//! assert_eq!(copy, br#"{"a":"A/\"\u00e9"}"#);
//! assert!(!spell_out_escapes(br#"{"a":"C:\\users\\x \"q\" \u00e9 \n"}"#, &mut copy));
//! ```

use crate::blocks::{Block, BlockVisitor, Simd, try_for_each_block};
use std::ops::ControlFlow;

/// Writes into `copy` (cleared first) `record` with each optional escape of a printable ASCII
/// character (`\/`, and `\u0020` to `\u007f`) spelled the mandatory way: as the character
/// itself, or `\"` and `\\` for a quote and a backslash. Returns whether there was any; if not,
/// `copy` is left empty and the record is scanned as it is.
pub fn spell_out_escapes(record: &[u8], copy: &mut Vec<u8>) -> bool {
    copy.clear();
    if !may_hold_optional_escapes(record) {
        return false;
    }
    let mut copied = 0;
    let mut at = 0;
    while let Some(found) = memchr::memchr(b'\\', &record[at..]) {
        let backslash = at + found;
        let (spelled, len) = match record.get(backslash + 1) {
            Some(b'/') => (b'/', 2),
            Some(b'u') => match record.get(backslash + 2..backslash + 6).and_then(hex_ascii) {
                Some(byte) => (byte, 6),
                None => (0, 0),
            },
            Some(_) => (0, 0),
            None => break,
        };
        if len == 0 {
            at = backslash + 2;
            continue;
        }
        copy.extend_from_slice(&record[copied..backslash]);
        if matches!(spelled, b'"' | b'\\') {
            copy.push(b'\\');
        }
        copy.push(spelled);
        copied = backslash + len;
        at = copied;
    }
    if copied == 0 {
        return false;
    }
    copy.extend_from_slice(&record[copied..]);
    true
}

/// Whether `record` has a backslash before a `u` or a `/`, as every optional escape does (the
/// walk then tells which are escapes). Most records have none, though many have `\"`: a
/// check of whole blocks, where the walk stops at every backslash.
fn may_hold_optional_escapes(record: &[u8]) -> bool {
    try_for_each_block(record, &mut OptionalEscapes { carry: 0 }).is_break()
}

/// [`may_hold_optional_escapes`]'s walk over the blocks of a record: it breaks at the first
/// backslash before a `u` or a `/`.
struct OptionalEscapes {
    /// 1 when the last block ended with a backslash.
    carry: u64,
}

impl BlockVisitor for OptionalEscapes {
    #[inline(always)]
    fn visit<S: Simd>(&mut self, _: usize, block: &Block<'_, S>) -> ControlFlow<()> {
        let backslashes = block.mask(b'\\');
        let followed = backslashes << 1 | self.carry;
        self.carry = backslashes >> 63;
        if followed != 0 && followed & (block.mask(b'u') | block.mask(b'/')) != 0 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }
}

/// The printable ASCII character four hex digits name, if they name one.
fn hex_ascii(digits: &[u8]) -> Option<u8> {
    let &[b'0', b'0', high, low] = digits else {
        return None;
    };
    let digit = |byte: u8| char::from(byte).to_digit(16);
    let code = (digit(high)? << 4 | digit(low)?) as u8;
    (0x20..=0x7f).contains(&code).then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spelled(record: &str) -> Option<String> {
        let mut copy = Vec::new();
        spell_out_escapes(record.as_bytes(), &mut copy).then(|| String::from_utf8(copy).unwrap())
    }

    #[test]
    fn printable_ascii_is_spelled_out_and_the_rest_kept() {
        crate::blocks::at_every_level(|| {
            assert_eq!(
                spelled(r#""\u0053top\u004cogging""#).as_deref(),
                Some(r#""StopLogging""#)
            );
            assert_eq!(
                spelled(r#""a\u005cu0041""#).as_deref(),
                Some(r#""a\\u0041""#)
            );
            assert_eq!(
                spelled(r#""\u003D\u001f\u007F""#).as_deref(),
                Some("\"=\\u001f\u{7f}\"")
            );
            assert_eq!(spelled(r#""\\u0041\\/""#), None);
            assert_eq!(spelled(r#""\ud83d\ude00 \u00e9 \u12 \uzzzz \u""#), None);
            assert_eq!(spelled(r#"x\"#), None);
            assert_eq!(spelled(r#"\/"#).as_deref(), Some("/"));
            // An escape cut by the 64-byte blocks of the check.
            let long = format!("{}\\u0041", "x".repeat(63));
            assert_eq!(spelled(&long), Some(format!("{}A", "x".repeat(63))));
        });
    }
}
