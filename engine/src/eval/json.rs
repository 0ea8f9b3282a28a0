//! The two forms of a parsed record the evaluator reads: simd-json's DOM
//! ([`BorrowedValue`]) and its tape, read through [`TapeRecord`].
//!
//! The scanner parses records to a tape: it is one flat array of nodes, built without a
//! hash map or an allocation per object, so it is about twice as fast to build as the DOM.
//! The DOM is what a library user holding a parsed event usually has. [`Json`] is the little
//! the evaluator needs from either, so that both give the same answers: a value's kind, an
//! object's member by key, and the elements of an array or the values of an object.
//!
//! JSON as a hunter reads it (what jq, Python and serde show):
//!
//! - **Duplicate keys**: the last member of a name wins. `{"a":1,"a":2}` has `a` = 2, and the
//!   shadowed `1` is not among the object's values either. (RFC 8259 leaves this open; simd-json
//!   keeps every member.)
//! - **Numbers beyond 64 bits** (`123456789012345678901234567890`, `1e400`) are numbers:
//!   [`Kind::BigNumber`] with their text, compared as the nearest double (or ±infinity). The
//!   tape holds them when the scanner parsed the record (see the `parse` module); the DOM
//!   cannot, and simd-json refuses such a record to it.

use simd_json::prelude::*;
use simd_json::{BorrowedValue, StaticNode, tape};

/// What a JSON value is, with its content when it is a scalar.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind<'a> {
    /// A string (unescaped).
    Str(&'a str),
    /// A number that fits 64 bits, a boolean or null.
    Static(StaticNode),
    /// A number too large for 64 bits (an integer beyond `u64`/`i64`, or a value beyond the
    /// range of `f64`), as written in the record.
    BigNumber(&'a str),
    /// An array.
    Array,
    /// An object.
    Object,
}

/// A parsed JSON value the evaluator can read (implemented by `&BorrowedValue` and
/// [`TapeRecord`]).
pub trait Json<'a>: Copy {
    /// The value's kind.
    fn kind(self) -> Kind<'a>;

    /// The value of the last member named `key`, if the value is an object that has one.
    fn get(self, key: &str) -> Option<Self>;

    /// Whether `test` holds for an element, if the value is an array (`false` otherwise).
    fn any_element(self, test: impl FnMut(Self) -> bool) -> bool;

    /// Whether `test` holds for a member's value, if the value is an object (`false`
    /// otherwise). A member shadowed by a later one of the same name is not visited.
    fn any_member(self, test: impl FnMut(Self) -> bool) -> bool;
}

impl<'a, 'v: 'a> Json<'a> for &'a BorrowedValue<'v> {
    fn kind(self) -> Kind<'a> {
        match self {
            BorrowedValue::String(text) => Kind::Str(text),
            BorrowedValue::Static(node) => Kind::Static(*node),
            BorrowedValue::Array(_) => Kind::Array,
            BorrowedValue::Object(_) => Kind::Object,
        }
    }

    fn get(self, key: &str) -> Option<Self> {
        match self {
            // Small objects keep repeated keys in order; large ones kept the last value.
            BorrowedValue::Object(object) => object
                .iter()
                .filter(|(name, _)| *name == key)
                .last()
                .map(|(_, value)| value),
            _ => None,
        }
    }

    fn any_element(self, test: impl FnMut(Self) -> bool) -> bool {
        match self {
            BorrowedValue::Array(items) => items.iter().any(test),
            _ => false,
        }
    }

    fn any_member(self, test: impl FnMut(Self) -> bool) -> bool {
        let BorrowedValue::Object(object) = self else {
            return false;
        };
        if !may_repeat_keys(object.keys().map(AsRef::as_ref)) {
            return object.values().any(test);
        }
        let members: Vec<(&str, &BorrowedValue)> =
            object.iter().map(|(k, v)| (k.as_ref(), v)).collect();
        visible_members(&members, test)
    }
}

/// A record parsed to simd-json's tape, as the evaluator reads it: the last of repeated keys
/// wins, and numbers too large for 64 bits are [`Kind::BigNumber`] (see the module docs). The
/// scanner makes it; sinks see it through [`RecordView`](super::RecordView).
#[derive(Clone, Copy, Debug)]
pub(crate) struct TapeRecord<'t, 'i> {
    value: tape::Value<'t, 'i>,
    /// The texts of the record's big numbers: string nodes whose text lies here are numbers.
    big_numbers: &'i str,
}

impl<'t, 'i> TapeRecord<'t, 'i> {
    /// A record as simd-json parsed it (which has no big numbers).
    #[cfg(test)]
    pub(crate) fn new(value: tape::Value<'t, 'i>) -> Self {
        TapeRecord {
            value,
            big_numbers: "",
        }
    }

    /// A record whose string nodes with text inside `big_numbers` are big numbers.
    pub(crate) fn with_big_numbers(value: tape::Value<'t, 'i>, big_numbers: &'i str) -> Self {
        TapeRecord { value, big_numbers }
    }

    /// The same record's `value`.
    fn at(self, value: tape::Value<'t, 'i>) -> Self {
        TapeRecord { value, ..self }
    }

    /// Whether `text` is one of the big numbers.
    fn is_big_number(self, text: &str) -> bool {
        let range = self.big_numbers.as_bytes().as_ptr_range();
        !self.big_numbers.is_empty() && range.contains(&text.as_ptr())
    }
}

impl<'t, 'i: 't> Json<'t> for TapeRecord<'t, 'i> {
    fn kind(self) -> Kind<'t> {
        match self.value.value_type() {
            ValueType::String => {
                let text = self.value.into_string().unwrap_or_default();
                if self.is_big_number(text) {
                    Kind::BigNumber(text)
                } else {
                    Kind::Str(text)
                }
            }
            ValueType::Array => Kind::Array,
            ValueType::Object => Kind::Object,
            ValueType::Bool => {
                Kind::Static(StaticNode::Bool(self.value.as_bool().unwrap_or_default()))
            }
            ValueType::I64 => {
                Kind::Static(StaticNode::I64(self.value.as_i64().unwrap_or_default()))
            }
            ValueType::U64 => {
                Kind::Static(StaticNode::U64(self.value.as_u64().unwrap_or_default()))
            }
            ValueType::F64 => {
                Kind::Static(StaticNode::F64(self.value.as_f64().unwrap_or_default()))
            }
            _ => Kind::Static(StaticNode::Null),
        }
    }

    fn get(self, key: &str) -> Option<Self> {
        // Every member is looked at: a later one of the same name wins.
        let object = self.value.as_object()?;
        let mut found = None;
        for (name, value) in object.iter() {
            if name == key {
                found = Some(value);
            }
        }
        found.map(|value| self.at(value))
    }

    fn any_element(self, mut test: impl FnMut(Self) -> bool) -> bool {
        self.value
            .as_array()
            .is_some_and(|items| items.iter().any(|item| test(self.at(item))))
    }

    fn any_member(self, mut test: impl FnMut(Self) -> bool) -> bool {
        let Some(object) = self.value.as_object() else {
            return false;
        };
        if !may_repeat_keys(object.keys()) {
            return object.values().any(|value| test(self.at(value)));
        }
        let members: Vec<(&str, tape::Value<'t, 'i>)> = object.iter().collect();
        visible_members(&members, |value| test(self.at(value)))
    }
}

/// Whether some of `keys` may be equal: `false` only when they are certainly all different.
/// A key's length and first and last bytes pick one of 64 bits; no bit taken twice, no repeat.
fn may_repeat_keys<'k>(keys: impl Iterator<Item = &'k str>) -> bool {
    let mut seen = 0u64;
    for key in keys {
        let bytes = key.as_bytes();
        let first = bytes.first().copied().unwrap_or(0) as usize;
        let last = bytes.last().copied().unwrap_or(0) as usize;
        let bit = 1u64 << ((bytes.len() * 7 + first * 3 + last) % 64);
        if seen & bit != 0 {
            return true;
        }
        seen |= bit;
    }
    false
}

/// Whether `test` holds for the value of a member of `members` (in order) that no later member
/// of the same name shadows.
fn visible_members<V: Copy>(members: &[(&str, V)], mut test: impl FnMut(V) -> bool) -> bool {
    members.iter().enumerate().any(|(i, (name, value))| {
        !members[i + 1..].iter().any(|(later, _)| later == name) && test(*value)
    })
}

/// Why a record could not be evaluated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// The bytes are not valid JSON: what is wrong, and where.
    #[error("invalid JSON: {0}")]
    Json(String),
    /// The bytes are not UTF-8.
    #[error("invalid UTF-8 at byte {at} of the record")]
    InvalidUtf8 {
        /// Where the first invalid sequence starts.
        at: usize,
    },
    /// Valid JSON, but not an object.
    #[error("record is not a JSON object")]
    NotAnObject,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind, read through both forms of the same record.
    #[test]
    fn the_dom_and_the_tape_read_alike() {
        let text = br#"{"s":"a\"b","n":-3,"u":18446744073709551615,"f":1.5,"b":true,"z":null,"a":[1,[2]],"o":{"k":"v"},"s":"second"}"#;
        let mut dom_bytes = text.to_vec();
        let dom = simd_json::to_borrowed_value(&mut dom_bytes).unwrap();
        let mut tape_bytes = text.to_vec();
        let tape = simd_json::to_tape(&mut tape_bytes).unwrap();
        fn describe<'a>(value: impl Json<'a>) -> String {
            let mut out = format!("{:?}", value.kind());
            value.any_element(|item| {
                out += &format!(" [{}]", describe(item));
                false
            });
            value.any_member(|item| {
                out += &format!(" {{{}}}", describe(item));
                false
            });
            out
        }
        for key in ["s", "n", "u", "f", "b", "z", "a", "o", "missing"] {
            let (from_dom, from_tape) = (
                Json::get(&dom, key),
                Json::get(TapeRecord::new(tape.as_value()), key),
            );
            assert_eq!(from_dom.map(describe), from_tape.map(describe), "{key}");
        }
        assert_eq!(
            Json::get(TapeRecord::new(tape.as_value()), "s").map(Json::kind),
            Some(Kind::Str("second"))
        );
        let tape = TapeRecord::new(tape.as_value());
        assert!((&dom).any_element(|_| true) == tape.any_element(|_| true));
        // The shadowed value is not among the object's values, in either form.
        let mut values = (Vec::new(), Vec::new());
        (&dom).any_member(|v| {
            values.0.push(format!("{:?}", v.kind()));
            false
        });
        tape.any_member(|v| {
            values.1.push(format!("{:?}", v.kind()));
            false
        });
        assert_eq!(values.0, values.1);
        assert_eq!(values.0.len(), 8);
        assert!(!values.0.iter().any(|v| v.contains("a\\\"b")), "{values:?}");
    }
}
