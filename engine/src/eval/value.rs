//! Testing one JSON value against one kind of pattern.
//!
//! Patterns test scalars. [`any_scalar`] brings a found value down to its scalars: an array
//! matches when any element does (nested arrays too); an object's values are searched (at any
//! depth) only when the caller asks, as string patterns do, otherwise an object matches nothing.
//!
//! How each scalar reads:
//!
//! | JSON     | string patterns                         | numbers (`lt`...)  | text (`fieldref`) |
//! |----------|-----------------------------------------|--------------------|-------------------|
//! | string   | the string                              | if it reads as one | the string        |
//! | number   | plain equality to a number only         | its value          | canonical text    |
//! | big number (beyond 64 bits) | plain equality, by value     | nearest double, ±inf | its text      |
//! | boolean  | plain equality to `'true'`/`'false'`    | none               | `true`/`false`    |
//! | `null`   | never matches                           | none               | none              |
//!
//! So `'403'` (or `403`) matches the JSON numbers 403 and 403.0 and `'true'` matches `true`, but
//! wildcards, `contains`, `startswith`, `endswith` and `re` apply to strings only: a number can
//! be written `403`, `403.0` or `4.03e2` in the raw record, so letting `contains: '40'` see a
//! number's text would break the prefilter's contract (DESIGN §3). A number's canonical text
//! (for `fieldref`) is its shortest round-trip decimal form, without a fraction when it is whole.

use super::MAX_DEPTH;
use super::json::{Json, Kind};
use super::time::parse_time;
use jiff::tz::TimeZone;
use sigil_compiler::{FieldRefKind, TimePart};
use sigil_compiler::{StrKind, StrMatch, StrSet, fold_case, parse_number};
use simd_json::StaticNode;
use std::borrow::Cow;
use std::net::IpAddr;

/// Calls `test` on each scalar of `value` (see the module docs), stopping at the first `true`.
/// With `search_objects`, the values of objects are searched recursively.
pub(super) fn any_scalar<'a, J: Json<'a>, F>(value: J, search_objects: bool, test: &mut F) -> bool
where
    F: FnMut(J) -> bool + ?Sized,
{
    scalars_from(value, search_objects, 0, test)
}

fn scalars_from<'a, J: Json<'a>, F>(
    value: J,
    search_objects: bool,
    depth: usize,
    test: &mut F,
) -> bool
where
    F: FnMut(J) -> bool + ?Sized,
{
    match value.kind() {
        Kind::Array | Kind::Object if depth >= MAX_DEPTH => false,
        Kind::Array => {
            value.any_element(|item| scalars_from(item, search_objects, depth + 1, test))
        }
        Kind::Object => {
            search_objects
                && value.any_member(|item| scalars_from(item, search_objects, depth + 1, test))
        }
        Kind::Static(_) | Kind::Str(_) | Kind::BigNumber(_) => test(value),
    }
}

/// Whether a string pattern matches a scalar (see the module docs).
pub(super) fn str_matches(pattern: &StrMatch, scalar: Kind) -> bool {
    let plain_equality = matches!(pattern.kind, StrKind::Equals(_));
    match scalar {
        Kind::Str(text) => pattern.is_match(text),
        Kind::Static(StaticNode::Bool(b)) => plain_equality && pattern.is_match(bool_text(b)),
        Kind::Static(node) => {
            let mut buffer = NumberBuffer::new();
            plain_equality
                && number_of_node(node).is_some_and(|n| {
                    let text = number_text(node, &mut buffer);
                    pattern.is_match_number(n, &text)
                })
        }
        // By value only: a rule's text equal to `1e400` is no finite number, so the prefilter
        // may look for it quoted, which this unquoted number is not.
        Kind::BigNumber(text) => {
            plain_equality
                && pattern
                    .number
                    .is_some_and(|n| Some(n) == big_number_value(text))
        }
        Kind::Array | Kind::Object => false,
    }
}

/// The value of a number too large for 64 bits: the nearest double, or ±infinity.
fn big_number_value(text: &str) -> Option<f64> {
    text.parse().ok()
}

/// Whether any pattern of `set` matches a scalar, as [`str_matches`] would tell one by one.
pub(super) fn any_str_matches(set: &StrSet, scalar: Kind) -> bool {
    match scalar {
        Kind::Str(text) => set.is_match(text),
        _ => set
            .patterns()
            .iter()
            .any(|pattern| str_matches(pattern, scalar)),
    }
}

/// The number a scalar holds: a JSON number, or a string that reads as a number.
pub(super) fn number_of(scalar: Kind) -> Option<f64> {
    match scalar {
        Kind::Str(text) => parse_number(text),
        Kind::Static(node) => number_of_node(node),
        Kind::BigNumber(text) => big_number_value(text),
        Kind::Array | Kind::Object => None,
    }
}

/// Whether a scalar is a string holding an IP address inside `net`.
pub(super) fn ip_in(scalar: Kind, net: &ipnet::IpNet) -> bool {
    match scalar {
        Kind::Str(text) => text.parse::<IpAddr>().is_ok_and(|ip| net.contains(&ip)),
        _ => false,
    }
}

/// The `part` of the UTC time a scalar holds: an RFC 3339 string, or epoch seconds (or
/// milliseconds when above 10^11) as a number or a numeric string; see [`parse_time`].
pub(super) fn time_part(scalar: Kind, part: TimePart) -> Option<i64> {
    let timestamp = parse_time(scalar)?;
    let time = TimeZone::UTC.to_datetime(timestamp);
    Some(match part {
        TimePart::Minute => time.minute().into(),
        TimePart::Hour => time.hour().into(),
        TimePart::Day => time.day().into(),
        TimePart::Week => time.date().iso_week_date().week().into(),
        TimePart::Month => time.month().into(),
        TimePart::Year => time.year().into(),
    })
}

/// Whether `|fieldref` of `kind` holds between a field's scalar and the other field's: equality
/// as [`same_value`]; `contains`/`startswith`/`endswith` compare their texts case-insensitively
/// (the other value is literal text: its `*` and `?` are not wildcards).
pub(super) fn field_ref_holds(kind: FieldRefKind, scalar: Kind, other: Kind) -> bool {
    if kind == FieldRefKind::Equals {
        return same_value(scalar, other);
    }
    let (mut left_buffer, mut right_buffer) = (NumberBuffer::new(), NumberBuffer::new());
    let (Some(text), Some(other_text)) = (
        scalar_text(scalar, &mut left_buffer),
        scalar_text(other, &mut right_buffer),
    ) else {
        return false;
    };
    let (text, other_text) = (fold_case(&text), fold_case(&other_text));
    match kind {
        FieldRefKind::Contains => text.contains(other_text.as_ref()),
        FieldRefKind::StartsWith => text.starts_with(other_text.as_ref()),
        FieldRefKind::EndsWith => text.ends_with(other_text.as_ref()),
        FieldRefKind::Equals => unreachable!("handled above"),
    }
}

/// Whether two scalars hold the same value for `|fieldref`: by value when either is a JSON number
/// and both read as numbers, otherwise as text compared case-insensitively. `null` equals nothing.
pub(super) fn same_value(left: Kind, right: Kind) -> bool {
    if (is_json_number(left) || is_json_number(right))
        && let (Some(a), Some(b)) = (number_of(left), number_of(right))
    {
        return a == b;
    }
    let (mut left_buffer, mut right_buffer) = (NumberBuffer::new(), NumberBuffer::new());
    match (
        scalar_text(left, &mut left_buffer),
        scalar_text(right, &mut right_buffer),
    ) {
        (Some(a), Some(b)) => fold_case(&a) == fold_case(&b),
        _ => false,
    }
}

fn is_json_number(scalar: Kind) -> bool {
    matches!(scalar, Kind::BigNumber(_))
        || matches!(scalar, Kind::Static(node) if number_of_node(node).is_some())
}

/// The text a scalar reads as (see the module docs); `None` for `null`.
pub(super) fn scalar_text<'a>(
    scalar: Kind<'a>,
    buffer: &'a mut NumberBuffer,
) -> Option<Cow<'a, str>> {
    match scalar {
        Kind::Str(text) => Some(Cow::Borrowed(text)),
        Kind::Static(StaticNode::Bool(b)) => Some(Cow::Borrowed(bool_text(b))),
        Kind::Static(node) => number_of_node(node).map(|_| number_text(node, buffer)),
        Kind::BigNumber(text) => Some(Cow::Borrowed(text)),
        Kind::Array | Kind::Object => None,
    }
}

fn bool_text(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

/// The value of a JSON number node; `None` for booleans and `null`.
fn number_of_node(node: StaticNode) -> Option<f64> {
    match node {
        StaticNode::I64(n) => Some(n as f64),
        StaticNode::U64(n) => Some(n as f64),
        StaticNode::F64(n) => Some(n),
        _ => None,
    }
}

/// Stack space for a number's text, so that formatting common numbers does not allocate.
pub(super) struct NumberBuffer([u8; 32]);

impl NumberBuffer {
    pub(super) fn new() -> Self {
        NumberBuffer([0; 32])
    }
}

/// The canonical text of a number node (see the module docs), in `buffer` when it fits.
fn number_text<'a>(node: StaticNode, buffer: &'a mut NumberBuffer) -> Cow<'a, str> {
    let format = |out: &mut dyn std::io::Write| match node {
        StaticNode::I64(n) => write!(out, "{n}"),
        StaticNode::U64(n) => write!(out, "{n}"),
        StaticNode::F64(n) => write!(out, "{n}"),
        _ => Ok(()),
    };
    let capacity = buffer.0.len();
    let mut free = &mut buffer.0[..];
    if format(&mut free).is_ok() {
        let written = capacity - free.len();
        let text = std::str::from_utf8(&buffer.0[..written]).expect("numbers format as ASCII");
        return Cow::Borrowed(text);
    }
    let mut long = Vec::new();
    format(&mut long).expect("writing to a Vec cannot fail");
    Cow::Owned(String::from_utf8(long).expect("numbers format as ASCII"))
}
