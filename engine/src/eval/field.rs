//! Finding the values at a field path in a record.
//!
//! A path `a.b.c` walks nested objects key by key (keys are case-sensitive). Some logs have keys
//! that contain dots, so at each object the rest of the path is also tried as one literal key:
//! in `{"a": {"b.c": 1}}` and `{"a.b.c": 1}` the path `a.b.c` finds `1` too. An array met on the
//! way is walked element by element (nested arrays too), so `{"a": [{"b": 1}, {"b": 2}]}` has the
//! values `1` and `2` at `a.b`. The value at the end of the path is reported as it is, even an
//! array or an object: whether it matches is for the pattern to say.
//!
//! ```text
//! record                               path    values found
//! {"a": {"b": 1}}                      a.b     1
//! {"a": [{"b": 1}, [{"b": 2}]]}        a.b     1, 2
//! {"a.b": 1, "a": {"b": 2}}            a.b     2, 1
//! {"a": {"b": [1, 2]}}                 a.b     [1, 2]
//! ```

use super::MAX_DEPTH;
use super::json::{Json, Kind};
use sigil_compiler::FieldPath;

/// Where a matcher looks: one field, or (for keywords) the whole record.
#[derive(Clone, Copy, Debug)]
pub(super) enum Subject<'p> {
    /// The values at a field path.
    Field(&'p FieldPath),
    /// The record itself, as one value.
    Record,
}

impl Subject<'_> {
    /// Calls `visit` on each value found in `record`, stopping at (and returning) the first
    /// `true`. Values nested deeper than [`MAX_DEPTH`] are not visited.
    pub(super) fn any_value<'a, J: Json<'a>>(
        self,
        record: J,
        visit: &mut impl FnMut(J) -> bool,
    ) -> bool {
        match self {
            Subject::Field(path) => walk(record, path, 0, 0, 0, visit),
            Subject::Record => visit(record),
        }
    }
}

/// Walks `path` from its segment `segment`, which starts at byte `offset` of `path.name`.
fn walk<'a, J: Json<'a>>(
    value: J,
    path: &FieldPath,
    segment: usize,
    offset: usize,
    depth: usize,
    visit: &mut impl FnMut(J) -> bool,
) -> bool {
    if segment == path.segments.len() {
        return visit(value);
    }
    if depth >= MAX_DEPTH {
        return false;
    }
    match value.kind() {
        Kind::Array => {
            value.any_element(|item| walk(item, path, segment, offset, depth + 1, visit))
        }
        Kind::Object => {
            let key = path.segments[segment].as_str();
            let by_segment = value.get(key).is_some_and(|child| {
                let next = offset + key.len() + 1;
                walk(child, path, segment + 1, next, depth + 1, visit)
            });
            by_segment || {
                // The rest of the path as one literal key (when it has a dot in it).
                let last = path.segments.len();
                segment + 1 < last
                    && path
                        .name
                        .get(offset..)
                        .and_then(|rest| value.get(rest))
                        .is_some_and(|child| {
                            walk(child, path, last, path.name.len(), depth + 1, visit)
                        })
            }
        }
        Kind::Static(_) | Kind::Str(_) | Kind::BigNumber(_) => false,
    }
}

/// The first scalar found at `path` in `record`, as text: a string's content, a number as
/// written by simd-json (`403`, `1.5`), `true`/`false`. JSON null counts as no value; an array at
/// the end of the path is searched for its first scalar element. Used to read the fields a
/// correlation groups by or aggregates.
pub fn first_scalar<'a>(record: impl Json<'a>, path: &FieldPath) -> Option<String> {
    let mut found = None;
    Subject::Field(path).any_value(record, &mut |value| {
        found = scalar_text(value, 0);
        found.is_some()
    });
    found
}

/// A scalar's text, searching arrays (depth-first) for their first scalar.
fn scalar_text<'a>(value: impl Json<'a>, depth: usize) -> Option<String> {
    match value.kind() {
        Kind::Str(text) | Kind::BigNumber(text) => Some(text.to_string()),
        Kind::Static(simd_json::StaticNode::Null) => None,
        Kind::Static(node) => Some(node.to_string()),
        Kind::Array if depth < MAX_DEPTH => {
            let mut found = None;
            value.any_element(|item| {
                found = scalar_text(item, depth + 1);
                found.is_some()
            });
            found
        }
        Kind::Array | Kind::Object => None,
    }
}
