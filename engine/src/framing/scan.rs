//! Byte-level scanning shared by the framers: whitespace, strings, and the structural walk that
//! finds where a JSON value ends.
//!
//! The walk is not a parser. It knows exactly four things about JSON: strings (which may contain
//! any byte, with `\` escaping the next one), the brackets `{ } [ ]`, whitespace, and that
//! anything else is scalar text. That is enough to find value boundaries, check that brackets
//! balance and match, and bound nesting, at the speed of a search for `"` and `\` inside
//! strings. Whether the bytes between the brackets are valid JSON is left to the parser that
//! reads the record later.
//!
//! ```text
//! {"a":"x}\"y","b":[1,{"c":2}]}   ,   {...
//! ^ start       string: `}` and `\"` are inside it
//!                                 ^ value_end returns this index (one past the `}`)
//! ```
//!
//! Nesting is tracked with a fixed bit stack of [`MAX_DEPTH`] bits (1 = object, 0 = array), so
//! the walk is iterative, allocation-free, and cannot exhaust the call stack however deep the
//! input. Past the bound it keeps counting depth without checking bracket kinds, so that a
//! too-deep value still has a known end and framing can continue after it.

use super::MAX_DEPTH;

/// JSON whitespace.
pub(crate) fn is_ws(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r')
}

/// The index of the first non-whitespace byte at or after `pos` (or `buf.len()`).
pub(crate) fn skip_ws(buf: &[u8], mut pos: usize) -> usize {
    while pos < buf.len() && is_ws(buf[pos]) {
        pos += 1;
    }
    pos
}

/// The index of the first `needle` in `hay`.
pub(crate) fn find_byte(needle: u8, hay: &[u8]) -> Option<usize> {
    memchr::memchr(needle, hay)
}

/// The index of the last `needle` in `hay`.
pub(crate) fn rfind_byte(needle: u8, hay: &[u8]) -> Option<usize> {
    memchr::memrchr(needle, hay)
}

/// The index of the first `"` or `\` in `hay`: the only bytes that matter inside a string.
fn find_quote_or_escape(hay: &[u8]) -> Option<usize> {
    memchr::memchr2(b'"', b'\\', hay)
}

/// Why a value has no well-formed end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScanError {
    /// The buffer ended inside the value (an open string or bracket).
    Truncated,
    /// A closing bracket at this index does not match the open one, or closes nothing.
    Mismatched(usize),
    /// The value nests deeper than [`MAX_DEPTH`]; it ends at this index.
    TooDeep(usize),
}

/// Bytes that interrupt the walk outside strings.
const STRUCTURAL: [bool; 256] = {
    let mut table = [false; 256];
    table[b'"' as usize] = true;
    table[b'{' as usize] = true;
    table[b'}' as usize] = true;
    table[b'[' as usize] = true;
    table[b']' as usize] = true;
    table
};

/// One past the end of the JSON value that starts at `buf[start]` (a non-whitespace byte).
///
/// Strings end at their closing quote, objects and arrays at their matching bracket, and any
/// other text (numbers, `true`, garbage) at the next whitespace, comma, bracket or quote.
pub(crate) fn value_end(buf: &[u8], start: usize) -> Result<usize, ScanError> {
    match buf[start] {
        b'"' => string_end(buf, start).ok_or(ScanError::Truncated),
        b'{' | b'[' => container_end(buf, start),
        b'}' | b']' => Err(ScanError::Mismatched(start)),
        _ => Ok(buf[start..]
            .iter()
            .position(|&b| STRUCTURAL[b as usize] || b == b',' || is_ws(b))
            .map_or(buf.len(), |len| start + len)),
    }
}

/// One past the closing quote of the string whose opening quote is `buf[start]`.
pub(crate) fn string_end(buf: &[u8], start: usize) -> Option<usize> {
    let mut pos = start + 1;
    loop {
        pos += find_quote_or_escape(&buf[pos.min(buf.len())..])?;
        if buf[pos] == b'"' {
            return Some(pos + 1);
        }
        pos += 2; // the backslash and the byte it escapes
    }
}

/// The structural walk over an object or array starting at `buf[start]`.
fn container_end(buf: &[u8], start: usize) -> Result<usize, ScanError> {
    const WORDS: usize = MAX_DEPTH.div_ceil(64);
    let mut kinds = [0u64; WORDS]; // bit d: the container at depth d + 1 is an object
    let mut depth = 0usize;
    let mut too_deep = false;
    let mut pos = start;
    loop {
        while pos < buf.len() && !STRUCTURAL[buf[pos] as usize] {
            pos += 1;
        }
        let Some(&byte) = buf.get(pos) else {
            return Err(ScanError::Truncated);
        };
        match byte {
            b'"' => {
                pos = string_end(buf, pos).ok_or(ScanError::Truncated)?;
                continue;
            }
            b'{' | b'[' if depth < MAX_DEPTH => {
                let (word, bit) = (depth / 64, depth % 64);
                kinds[word] = kinds[word] & !(1 << bit) | u64::from(byte == b'{') << bit;
                depth += 1;
            }
            b'{' | b'[' => {
                too_deep = true;
                depth += 1;
            }
            _ => {
                if depth <= MAX_DEPTH {
                    let d = depth - 1;
                    let opened_object = kinds[d / 64] >> (d % 64) & 1 == 1;
                    if opened_object != (byte == b'}') {
                        return Err(ScanError::Mismatched(pos));
                    }
                }
                depth -= 1;
                if depth == 0 {
                    return if too_deep {
                        Err(ScanError::TooDeep(pos + 1))
                    } else {
                        Ok(pos + 1)
                    };
                }
            }
        }
        pos += 1;
    }
}

/// Parses an object member's `"key" :` at `pos` (the key's opening quote): the key's raw bytes
/// (escapes left as written) and the index where the value starts. `None` when the bytes at
/// `pos` are not a key followed by a colon.
pub(crate) fn member(buf: &[u8], pos: usize) -> Option<(&[u8], usize)> {
    let key_end = string_end(buf, pos)?;
    let colon = skip_ws(buf, key_end);
    (buf.get(colon) == Some(&b':')).then(|| (&buf[pos + 1..key_end - 1], skip_ws(buf, colon + 1)))
}
