//! A small streaming JSON writer that appends to a `String`.
//!
//! Records are written field by field in the order AWS writes them, without building a DOM, so a
//! record costs no allocation beyond the growth of the reused output buffer. Nested objects and
//! arrays are written through closures, which keeps the braces balanced by construction:
//!
//! ```text
//! Obj::write(out, |o| {
//!     o.str("eventName", "AssumeRole");
//!     o.obj("userIdentity", |u| u.str("type", "AWSService"));
//! });
//! // {"eventName":"AssumeRole","userIdentity":{"type":"AWSService"}}
//! ```
//!
//! [`Obj::str_gson`] writes a string the way CloudTrail's Java serializer does for some fields:
//! `=`, `&`, `<`, `>` and `'` become `\u003d`, `\u0026`, `\u003c`, `\u003e`, `\u0027`.

use std::fmt::Write as _;

/// Appends `value` as a JSON string literal (with quotes) to `out`.
pub(crate) fn write_str(out: &mut String, value: &str) {
    write_escaped(out, value, false);
}

fn write_escaped(out: &mut String, value: &str, gson: bool) {
    out.push('"');
    let mut start = 0;
    for (index, byte) in value.bytes().enumerate() {
        let escape: Option<&str> = match byte {
            b'"' => Some("\\\""),
            b'\\' => Some("\\\\"),
            b'\n' => Some("\\n"),
            b'\r' => Some("\\r"),
            b'\t' => Some("\\t"),
            b'=' if gson => Some("\\u003d"),
            b'&' if gson => Some("\\u0026"),
            b'<' if gson => Some("\\u003c"),
            b'>' if gson => Some("\\u003e"),
            b'\'' if gson => Some("\\u0027"),
            0..=0x1f => None,
            _ => continue,
        };
        out.push_str(&value[start..index]);
        match escape {
            Some(text) => out.push_str(text),
            None => {
                let _ = write!(out, "\\u{byte:04x}");
            }
        }
        start = index + 1;
    }
    out.push_str(&value[start..]);
    out.push('"');
}

/// Writer for the members of one JSON object.
pub(crate) struct Obj<'a> {
    out: &'a mut String,
    empty: bool,
}

impl<'a> Obj<'a> {
    /// Writes a whole object to `out`, filling it with `fill`.
    pub(crate) fn write(out: &'a mut String, fill: impl FnOnce(&mut Obj<'_>)) {
        out.push('{');
        let mut obj = Obj { out, empty: true };
        fill(&mut obj);
        obj.out.push('}');
    }

    fn key(&mut self, key: &str) -> &mut String {
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
        self.out.push('"');
        self.out.push_str(key);
        self.out.push_str("\":");
        self.out
    }

    /// A string member.
    pub(crate) fn str(&mut self, key: &str, value: &str) {
        write_escaped(self.key(key), value, false);
    }

    /// A string member escaped as CloudTrail's Gson serializer does (`=` as `\u003d`, ...).
    pub(crate) fn str_gson(&mut self, key: &str, value: &str) {
        write_escaped(self.key(key), value, true);
    }

    /// A string member, or `null` when `value` is `None`.
    pub(crate) fn opt_str(&mut self, key: &str, value: Option<&str>) {
        match value {
            Some(value) => self.str(key, value),
            None => self.null(key),
        }
    }

    /// An integer member.
    pub(crate) fn int(&mut self, key: &str, value: i64) {
        let out = self.key(key);
        let _ = write!(out, "{value}");
    }

    /// A boolean member.
    pub(crate) fn bool(&mut self, key: &str, value: bool) {
        self.key(key).push_str(if value { "true" } else { "false" });
    }

    /// A `null` member.
    pub(crate) fn null(&mut self, key: &str) {
        self.key(key).push_str("null");
    }

    /// A member whose value is already-serialized JSON.
    pub(crate) fn raw(&mut self, key: &str, json: &str) {
        self.key(key).push_str(json);
    }

    /// A nested object member.
    pub(crate) fn obj(&mut self, key: &str, fill: impl FnOnce(&mut Obj<'_>)) {
        Obj::write(self.key(key), fill);
    }

    /// A nested array member.
    pub(crate) fn arr(&mut self, key: &str, fill: impl FnOnce(&mut Arr<'_>)) {
        Arr::write(self.key(key), fill);
    }
}

/// Writer for the elements of one JSON array.
pub(crate) struct Arr<'a> {
    out: &'a mut String,
    empty: bool,
}

impl<'a> Arr<'a> {
    /// Writes a whole array to `out`, filling it with `fill`.
    pub(crate) fn write(out: &'a mut String, fill: impl FnOnce(&mut Arr<'_>)) {
        out.push('[');
        let mut arr = Arr { out, empty: true };
        fill(&mut arr);
        arr.out.push(']');
    }

    fn next(&mut self) -> &mut String {
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
        self.out
    }

    /// A string element.
    pub(crate) fn str(&mut self, value: &str) {
        write_str(self.next(), value);
    }

    /// An object element.
    pub(crate) fn obj(&mut self, fill: impl FnOnce(&mut Obj<'_>)) {
        Obj::write(self.next(), fill);
    }
}

/// Serializes one object into a fresh `String` (for small values built once, such as policies).
pub(crate) fn object_string(fill: impl FnOnce(&mut Obj<'_>)) -> String {
    let mut out = String::new();
    Obj::write(&mut out, fill);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_nests() {
        let text = object_string(|o| {
            o.str("a", "q\"b\\\n\u{1}");
            o.str_gson("url", "x?a=1&b=<2>");
            o.arr("list", |a| {
                a.str("x");
                a.obj(|o| o.int("n", -3));
            });
            o.null("z");
        });
        assert_eq!(
            text,
            r#"{"a":"q\"b\\\n\u0001","url":"x?a\u003d1\u0026b\u003d\u003c2\u003e","list":["x",{"n":-3}],"z":null}"#
        );
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed["url"], "x?a=1&b=<2>");
    }
}
