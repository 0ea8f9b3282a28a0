//! The two forms of a parsed record the evaluator reads: simd-json's DOM
//! ([`BorrowedValue`]) and its tape ([`tape::Value`]).
//!
//! The scanner parses records to a tape: it is one flat array of nodes, built without a
//! hash map or an allocation per object, so it is about twice as fast to build as the DOM.
//! The DOM is what a library user holding a parsed event usually has. [`Json`] is the little
//! the evaluator needs from either, so that both give the same answers: a value's kind, an
//! object's member by key (the first one, if a key repeats), and the elements of an array or
//! the values of an object.

use simd_json::prelude::*;
use simd_json::{BorrowedValue, StaticNode, tape};

/// What a JSON value is, with its content when it is a scalar.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind<'a> {
    /// A string (unescaped).
    Str(&'a str),
    /// A number, boolean or null.
    Static(StaticNode),
    /// An array.
    Array,
    /// An object.
    Object,
}

/// A parsed JSON value the evaluator can read (implemented by `&BorrowedValue` and
/// `tape::Value`).
pub trait Json<'a>: Copy {
    /// The value's kind.
    fn kind(self) -> Kind<'a>;

    /// The value of the first member named `key`, if the value is an object that has one.
    fn get(self, key: &str) -> Option<Self>;

    /// Whether `test` holds for an element, if the value is an array (`false` otherwise).
    fn any_element(self, test: impl FnMut(Self) -> bool) -> bool;

    /// Whether `test` holds for a member's value, if the value is an object (`false`
    /// otherwise).
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
            BorrowedValue::Object(object) => object.get(key),
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
        match self {
            BorrowedValue::Object(object) => object.values().any(test),
            _ => false,
        }
    }
}

impl<'t, 'i: 't> Json<'t> for tape::Value<'t, 'i> {
    fn kind(self) -> Kind<'t> {
        match self.value_type() {
            ValueType::String => Kind::Str(self.into_string().unwrap_or_default()),
            ValueType::Array => Kind::Array,
            ValueType::Object => Kind::Object,
            ValueType::Bool => Kind::Static(StaticNode::Bool(self.as_bool().unwrap_or_default())),
            ValueType::I64 => Kind::Static(StaticNode::I64(self.as_i64().unwrap_or_default())),
            ValueType::U64 => Kind::Static(StaticNode::U64(self.as_u64().unwrap_or_default())),
            ValueType::F64 => Kind::Static(StaticNode::F64(self.as_f64().unwrap_or_default())),
            _ => Kind::Static(StaticNode::Null),
        }
    }

    fn get(self, key: &str) -> Option<Self> {
        tape::Value::get(&self, key)
    }

    fn any_element(self, test: impl FnMut(Self) -> bool) -> bool {
        self.as_array().is_some_and(|items| items.iter().any(test))
    }

    fn any_member(self, test: impl FnMut(Self) -> bool) -> bool {
        self.as_object()
            .is_some_and(|object| object.values().any(test))
    }
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
            let (from_dom, from_tape) = (Json::get(&dom, key), Json::get(tape.as_value(), key));
            assert_eq!(from_dom.map(describe), from_tape.map(describe), "{key}");
        }
        assert_eq!(
            Json::get(tape.as_value(), "s").map(Json::kind),
            Some(Kind::Str("a\"b"))
        );
        assert!((&dom).any_element(|_| true) == tape.as_value().any_element(|_| true));
    }
}

/// Why a record could not be evaluated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// The bytes are not valid JSON.
    #[error("invalid JSON: {0}")]
    Json(String),
    /// Valid JSON, but not an object.
    #[error("record is not a JSON object")]
    NotAnObject,
}
