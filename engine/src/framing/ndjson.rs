//! NDJSON framing: one record per line.
//!
//! Lines end at `\n`. Whitespace around the object, including the `\r` of a CRLF line end, is
//! not part of the record, and a line holding only whitespace is no record at all. Every other
//! line is one record slot, good or bad, and takes a number: the line must hold exactly one
//! object, so `{"a":1}{"b":2}` on one line is [`BadReason::TrailingData`] (a concatenated
//! file is detected as such and framed by the `document` framer instead).
//!
//! ```text
//! {"a":1}\r\n        record 1: `{"a":1}`
//!    \n              blank, not a record
//! [1,2]\n            record 2: bad, not an object
//!   {"b":[}\n        record 3: bad, mismatched bracket
//! ```
//!
//! A line longer than [`MAX_RECORD_BYTES`] is [`BadReason::TooLarge`] without being looked
//! at, whatever it holds; [`count_records`](super::count_records) applies the same rule, which
//! is what lets a file be split into chunks that number their records independently.

use std::ops::Range;

use super::scan::{find_byte, is_ws, object_is_sound, value_end};
use super::{
    BadReason, BadRecord, Counter, MAX_RECORD_BYTES, RawRecord, check_contents, scan_failure,
};

/// Whether `line` (without its `\n`) is a record slot: too long to look at, or not blank.
pub(super) fn is_record_line(line: &[u8]) -> bool {
    line.len() > MAX_RECORD_BYTES || line.iter().any(|&b| !is_ws(b))
}

/// The range of `line` without leading and trailing whitespace, if anything is left.
fn trimmed(line: &[u8]) -> Option<Range<usize>> {
    let first = line.iter().position(|&b| !is_ws(b))?;
    let last = line.iter().rposition(|&b| !is_ws(b))?;
    Some(first..last + 1)
}

/// Checks that `line`, an NDJSON line without its surrounding whitespace, is exactly one
/// sound object (see the [framing docs](super)): what [`records`](super::records) checks of
/// each line, and leaves to the caller of [`records_unchecked`](super::records_unchecked).
pub fn check_line(line: &[u8]) -> Result<(), BadReason> {
    if line.first() != Some(&b'{') {
        // Say what is wrong with the bytes before saying they are not an object: a line in
        // another encoding is not UTF-8 first of all.
        check_contents(line)?;
        return Err(match find_byte(0, line) {
            Some(at) => BadReason::Binary { at: at as u64 },
            None => BadReason::NotAnObject,
        });
    }
    if let Some(sound) = object_is_sound(line) {
        return match sound.ascii && line.len() <= MAX_RECORD_BYTES {
            true => Ok(()), // ASCII is valid UTF-8
            false => check_contents(line),
        };
    }
    match value_end(line, 0) {
        Ok(end) if end == line.len() => check_contents(line),
        Ok(end) => Err(BadReason::TrailingData { at: end as u64 }),
        Err(error) => Err(scan_failure(error, 0, true)),
    }
}

/// The NDJSON framer: the state of [`records`](super::records) over one buffer.
pub(super) struct Lines<'a> {
    buf: &'a [u8],
    pos: usize,
    counter: Counter,
    /// Whether each line is checked ([`check_line`]), or only its first byte.
    check: bool,
}

impl<'a> Lines<'a> {
    pub(super) fn new(buf: &'a [u8], counter: Counter, check: bool) -> Lines<'a> {
        Lines {
            buf,
            pos: 0,
            counter,
            check,
        }
    }

    /// The next record slot.
    pub(super) fn next(&mut self) -> Option<Result<RawRecord<'a>, BadRecord>> {
        while self.pos < self.buf.len() {
            let start = self.pos;
            let end = find_byte(b'\n', &self.buf[start..]).map_or(self.buf.len(), |n| start + n);
            self.pos = end + 1;
            let line = &self.buf[start..end];
            if line.len() > MAX_RECORD_BYTES {
                let (len, limit) = (line.len() as u64, MAX_RECORD_BYTES as u64);
                return Some(Err(self
                    .counter
                    .bad(start, BadReason::TooLarge { len, limit })));
            }
            if let Some(object) = trimmed(line) {
                return Some(self.frame(start + object.start..start + object.end));
            }
        }
        None
    }

    /// Numbers `buf[range]`, a trimmed line, as a record once it is checked ([`check_line`]),
    /// or unchecked if it starts with `{` and lines are not checked.
    fn frame(&mut self, range: Range<usize>) -> Result<RawRecord<'a>, BadRecord> {
        let line = &self.buf[range.clone()];
        let checked = if self.check {
            check_line(line)
        } else if line[0] == b'{' {
            return Ok(self.counter.number(self.buf, range, false));
        } else {
            check_line(line)
        };
        match checked {
            Ok(()) => Ok(self.counter.number(self.buf, range, true)),
            Err(reason) => Err(self.counter.bad(range.start, reason)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sound_line_is_checked_for_utf8_unless_it_is_ascii() {
        assert_eq!(check_line(br#"{"a":"x","b":[1]}"#), Ok(()));
        assert_eq!(check_line("{\"a\":\"\u{e9}\"}".as_bytes()), Ok(()));
        assert_eq!(
            check_line(b"{\"a\":\"\xc3\"}"),
            Err(BadReason::InvalidUtf8 { at: 6 })
        );
        // A byte that is not ASCII in the last block, padded.
        let mut line = br#"{"a":""#.to_vec();
        line.resize(70, b'x');
        line.extend_from_slice(b"\xff\"}");
        assert_eq!(check_line(&line), Err(BadReason::InvalidUtf8 { at: 70 }));
    }
}
