//! Writing compact JSON objects by hand into a byte buffer: no intermediate values, no
//! allocation beyond the buffer itself.
//!
//! Values are written from the bytes of a log line, which the caller guarantees are valid
//! UTF-8. Strings are escaped with the short escapes (`\"`, `\\`, `\n`, `\r`, `\t`) and `\u00XX`
//! for other control characters. Numbers are written only when the text is a plain decimal
//! (`-?digits(.digits)?`); leading zeros are dropped so that CloudFront's status `000` becomes
//! the valid JSON number `0`.

/// Integer parts longer than this stay strings: they would not fit a 64-bit integer.
const MAX_INTEGER_DIGITS: usize = 18;

/// An object being written into a buffer; [`Object::close`] writes the closing brace.
pub(crate) struct Object<'a> {
    out: &'a mut Vec<u8>,
    empty: bool,
}

impl<'a> Object<'a> {
    /// Opens an object at the end of `out`.
    pub(crate) fn open(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        Object { out, empty: true }
    }

    /// Writes the member name `name` and the colon.
    fn key(&mut self, name: &str) {
        if !self.empty {
            self.out.push(b',');
        }
        self.empty = false;
        write_string(self.out, name.as_bytes());
        self.out.push(b':');
    }

    /// Writes a string member.
    pub(crate) fn string(&mut self, name: &str, value: &[u8]) {
        self.key(name);
        write_string(self.out, value);
    }

    /// Writes a number member if `value` is a plain decimal, else a string member.
    pub(crate) fn number(&mut self, name: &str, value: &[u8]) {
        self.key(name);
        if !write_number(self.out, value) {
            write_string(self.out, value);
        }
    }

    /// Writes a member whose value is already JSON.
    pub(crate) fn raw(&mut self, name: &str, json: &[u8]) {
        self.key(name);
        self.out.extend_from_slice(json);
    }

    /// Writes a member whose value is the text of `value`, which must be a JSON number.
    pub(crate) fn display_number(&mut self, name: &str, value: impl std::fmt::Display) {
        use std::io::Write as _;
        self.key(name);
        // Writing into a `Vec` cannot fail.
        let _ = write!(self.out, "{value}");
    }

    /// Writes the closing brace.
    pub(crate) fn close(self) {
        self.out.push(b'}');
    }
}

/// Writes `value` (valid UTF-8) as a JSON string.
pub(crate) fn write_string(out: &mut Vec<u8>, value: &[u8]) {
    out.push(b'"');
    // Most values need no escape: find out without branching per byte (this vectorizes).
    let plain = !value.iter().fold(false, |escape, &b| {
        escape | (b < 0x20) | (b == b'"') | (b == b'\\')
    });
    if plain {
        out.extend_from_slice(value);
        out.push(b'"');
        return;
    }
    let mut run = 0;
    for (at, &byte) in value.iter().enumerate() {
        let escape: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&value[run..at]);
        run = at + 1;
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(byte >> 4)]);
            out.push(HEX[usize::from(byte & 15)]);
        } else {
            out.extend_from_slice(escape);
        }
    }
    out.extend_from_slice(&value[run..]);
    out.push(b'"');
}

/// Writes `text` as a JSON number if it is a plain decimal (`-?digits(.digits)?`, at most
/// [`MAX_INTEGER_DIGITS`] significant integer digits); returns whether it did.
pub(crate) fn write_number(out: &mut Vec<u8>, text: &[u8]) -> bool {
    let (sign, unsigned) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let (integer, fraction) = match unsigned.iter().position(|&b| b == b'.') {
        Some(dot) => (&unsigned[..dot], Some(&unsigned[dot + 1..])),
        None => (unsigned, None),
    };
    let digits = |part: &[u8]| !part.is_empty() && part.iter().all(u8::is_ascii_digit);
    if !digits(integer) || fraction.is_some_and(|f| !digits(f)) {
        return false;
    }
    let zeros = integer.iter().take_while(|&&b| b == b'0').count();
    let integer = if zeros == integer.len() {
        &b"0"[..]
    } else {
        &integer[zeros..]
    };
    if integer.len() > MAX_INTEGER_DIGITS {
        return false;
    }
    if sign {
        out.push(b'-');
    }
    out.extend_from_slice(integer);
    if let Some(fraction) = fraction {
        out.push(b'.');
        out.extend_from_slice(fraction);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(text: &str) -> Option<String> {
        let mut out = Vec::new();
        write_number(&mut out, text.as_bytes()).then(|| String::from_utf8(out).unwrap())
    }

    #[test]
    fn numbers_are_plain_decimals_without_leading_zeros() {
        assert_eq!(number("000").as_deref(), Some("0"));
        assert_eq!(number("0.000").as_deref(), Some("0.000"));
        assert_eq!(number("-1").as_deref(), Some("-1"));
        assert_eq!(number("007").as_deref(), Some("7"));
        assert_eq!(number("-00.5").as_deref(), Some("-0.5"));
        assert_eq!(number("1234567890123456789"), None);
        for bad in ["", "-", "1.", ".5", "1e5", "1.2.3", "+1", "0x10", " 1"] {
            assert_eq!(number(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn strings_are_escaped() {
        let mut out = Vec::new();
        write_string(&mut out, "a\"b\\c\nd\u{1}é".as_bytes());
        assert_eq!(out, "\"a\\\"b\\\\c\\nd\\u0001é\"".as_bytes());
        let mut out = Vec::new();
        let mut object = Object::open(&mut out);
        object.string("cs(Host)", b"x");
        object.number("sc-status", b"200");
        object.number("port", b"-");
        object.close();
        assert_eq!(out, br#"{"cs(Host)":"x","sc-status":200,"port":"-"}"#);
    }
}
