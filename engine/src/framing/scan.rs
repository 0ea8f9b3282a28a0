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
use crate::blocks::{Block, BlockVisitor, Escapes, Simd, try_for_each_block};
use std::ops::ControlFlow;

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
    /// The buffer ended inside the value: inside a string (`in_string`), or before a bracket
    /// closed.
    Truncated {
        /// Whether it ended inside a string.
        in_string: bool,
    },
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
        b'"' => string_end(buf, start).ok_or(ScanError::Truncated { in_string: true }),
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
            return Err(ScanError::Truncated { in_string: false });
        };
        match byte {
            b'"' => {
                pos = string_end(buf, pos).ok_or(ScanError::Truncated { in_string: true })?;
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

/// Whether `buf` is one object whose walk ([`value_end`]) ends exactly at the end of `buf`: a
/// quick check of what the walk would find, 64 bytes at a time from the bitmasks of a block's
/// quotes, backslashes and brackets, that answers `None` whenever it is not sure (a backslash
/// outside a string, nesting deeper than 64), leaving the walk to say what is wrong. When it is
/// sure, it also tells whether every byte is ASCII, and so valid UTF-8.
///
/// Inside a string a backslash escapes the next byte, as in [`string_end`]: the escaped bytes
/// of a block are found from its backslashes, in order. The bytes inside strings are then the
/// prefix XOR of the unescaped quotes (with the state the block before ended in), and the
/// brackets outside them are matched on a bit stack as the walk matches them.
pub(crate) fn object_is_sound(buf: &[u8]) -> Option<Sound> {
    if buf.first() != Some(&b'{') {
        return None;
    }
    let mut state = Structure {
        len: buf.len(),
        ..Structure::default()
    };
    let sure = try_for_each_block(buf, &mut state).is_continue() && state.closed;
    sure.then_some(Sound {
        ascii: state.high_bits == 0,
    })
}

/// What the quick check tells of a sound object.
pub(crate) struct Sound {
    /// Whether every byte is ASCII.
    pub(crate) ascii: bool,
}

/// Where the quick structural check is, between blocks.
#[derive(Default)]
struct Structure {
    /// The length of the buffer.
    len: usize,
    /// All ones when the last block ended inside a string.
    inside: u64,
    /// The backslashes' escapes (inside strings: one outside stops the check).
    escapes: Escapes,
    /// Bit `d`: the container at depth `d + 1` is an object.
    kinds: u64,
    depth: u32,
    /// Whether the object has closed, at the last byte.
    closed: bool,
    /// The bytes that are not ASCII, of all blocks so far ORed together.
    high_bits: u64,
}

impl BlockVisitor for Structure {
    /// Checks the block at `base`; breaks where the check is not sure the buffer is one sound
    /// object.
    #[inline(always)]
    fn visit<S: Simd>(&mut self, base: usize, block: &Block<'_, S>) -> ControlFlow<()> {
        self.high_bits |= block.high_bits();
        let backslashes = block.mask(b'\\');
        let escaped = self.escapes.escaped(backslashes);
        let inside = block.prefix_xor(block.mask(b'"') & !escaped) ^ self.inside;
        self.inside = 0u64.wrapping_sub(inside >> 63);
        if backslashes & !inside != 0 {
            return ControlFlow::Break(());
        }
        let brackets = block.mask(b'{') | block.mask(b'}') | block.mask(b'[') | block.mask(b']');
        let mut rest = brackets & !inside;
        while rest != 0 {
            let at = rest.trailing_zeros();
            rest &= rest - 1;
            if self.closed {
                return ControlFlow::Break(());
            }
            match block.bytes[at as usize] {
                byte @ (b'{' | b'[') if self.depth < u64::BITS => {
                    let bit = 1 << self.depth;
                    self.kinds = self.kinds & !bit | u64::from(byte == b'{') << self.depth;
                    self.depth += 1;
                }
                byte @ (b'}' | b']') if self.depth > 0 => {
                    let opened_object = self.kinds >> (self.depth - 1) & 1 == 1;
                    if opened_object != (byte == b'}') {
                        return ControlFlow::Break(());
                    }
                    self.depth -= 1;
                    self.closed = self.depth == 0;
                    if self.closed && base + at as usize + 1 != self.len {
                        return ControlFlow::Break(());
                    }
                }
                _ => return ControlFlow::Break(()),
            }
        }
        ControlFlow::Continue(())
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

#[cfg(test)]
mod tests {
    use super::*;

    /// What the walk says of `buf` as one NDJSON object: whether it ends exactly at the end.
    fn walk_is_sound(buf: &[u8]) -> bool {
        buf.first() == Some(&b'{') && value_end(buf, 0) == Ok(buf.len())
    }

    #[test]
    fn the_quick_check_agrees_with_the_walk_on_sound_objects() {
        crate::blocks::at_every_level(|| {
            let sound: [&[u8]; 6] = [
                br#"{}"#,
                br#"{"a":"x}\"y","b":[1,{"c":2}],"d":"\\"}"#,
                br#"{"a":"\\\"]","b":[[],{}],"c":"[{"}"#,
                br#"{ "a" : [ 1 , "2" , { "b" : null } ] }"#,
                br#"{"policy":"{\"Statement\":[{\"Effect\":\"Allow\"}]}"}"#,
                br#"{"k":"\u00e9\"\\\/"}"#,
            ];
            for buf in sound {
                assert!(
                    object_is_sound(buf).is_some(),
                    "{}",
                    String::from_utf8_lossy(buf)
                );
                assert!(walk_is_sound(buf));
            }
            // Across blocks: a long string whose escapes fall on both sides of a boundary.
            for pad in 50..80 {
                let mut buf = br#"{"a":""#.to_vec();
                buf.extend(std::iter::repeat_n(b'x', pad));
                buf.extend_from_slice(br#"\\\"\\","b":[{}]}"#);
                assert!(
                    object_is_sound(&buf).is_some(),
                    "{}",
                    String::from_utf8_lossy(&buf)
                );
                assert!(walk_is_sound(&buf));
            }
        });
    }

    #[test]
    fn the_quick_check_is_never_sure_where_the_walk_is_not() {
        crate::blocks::at_every_level(|| {
            let mut state = 3u64;
            let mut next = |n: u64| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state % n
            };
            let pieces: [&[u8]; 14] = [
                b"{",
                b"}",
                b"[",
                b"]",
                b"\\",
                br#"\""#,
                br#"\\"#,
                b"\"",
                b"\"",
                b":",
                b",",
                b"a1 ",
                "\u{e9}".as_bytes(),
                b"\xff",
            ];
            let mut sure = 0;
            for _ in 0..200_000 {
                let mut buf = b"{".to_vec();
                for _ in 0..next(60) {
                    buf.extend_from_slice(pieces[next(pieces.len() as u64) as usize]);
                }
                if next(2) == 0 {
                    buf.push(b'}');
                }
                if let Some(sound) = object_is_sound(&buf) {
                    sure += 1;
                    assert!(walk_is_sound(&buf), "{}", String::from_utf8_lossy(&buf));
                    assert_eq!(sound.ascii, buf.is_ascii(), "{buf:?}");
                }
            }
            assert!(sure > 100, "the check must be sure of some: {sure}");
        });
    }
}
