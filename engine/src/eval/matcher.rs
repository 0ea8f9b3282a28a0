//! Evaluating one matcher: its field's values against its value patterns.
//!
//! - `null` holds when no value at the field is non-null (the field is missing or null);
//!   `|exists: true` holds when the field is present, even as `null`.
//! - Every other pattern holds when any value at the field matches it (see the `value` module).
//!   String patterns also look at every value nested inside an object, as `contains` must on
//!   CloudTrail's `requestParameters` (DESIGN §2).
//! - Keywords (a matcher without a field) are string patterns on the whole record, so they
//!   search every string in it.
//! - The values combine with OR, or AND under `|all`; `|neq` negates the combination, so a
//!   missing or null field is "different" (as pySigma's `not field = value`).

use super::field::Subject;
use super::json::{Json, Kind};
use super::value::{
    any_scalar, any_str_matches, field_ref_holds, ip_in, number_of, str_matches, time_part,
};
use sigil_compiler::{Combine, Matcher, ValuePattern};

/// Whether `matcher` holds for `record`.
pub(super) fn holds<'a>(matcher: &Matcher, record: impl Json<'a>) -> bool {
    let subject = subject_of(matcher);
    let held = match matcher.combine {
        Combine::Any => {
            subject.any_value(record, &mut |value| {
                any_pattern_holds_on(matcher, value, record)
            }) || matcher
                .values
                .iter()
                .filter(|pattern| is_about_the_whole_field(pattern))
                .any(|pattern| pattern_holds(pattern, subject, record))
        }
        Combine::All => matcher
            .values
            .iter()
            .all(|pattern| pattern_holds(pattern, subject, record)),
    };
    held != matcher.negate
}

/// Whether one of the matcher's patterns that test values one by one holds for `value`, one
/// of the values at its field: the field is looked up once for all of them. The string
/// patterns are tried together ([`Matcher::strings`]) on each scalar of the value.
fn any_pattern_holds_on<'a, J: Json<'a>>(matcher: &Matcher, value: J, record: J) -> bool {
    let strings = matcher.strings();
    (!strings.is_empty()
        && any_scalar(value, true, &mut |scalar| {
            any_str_matches(strings, scalar.kind())
        }))
        || matcher
            .values
            .iter()
            .filter(|pattern| !matches!(pattern, ValuePattern::Str(_)))
            .any(|pattern| value_holds(pattern, value, record))
}

/// Whether `pattern` is about the field's values as a whole (`null`, `exists`, a set of
/// variants), not tested on each value by [`value_holds`].
fn is_about_the_whole_field(pattern: &ValuePattern) -> bool {
    matches!(
        pattern,
        ValuePattern::Null | ValuePattern::Exists(_) | ValuePattern::AnyOf(_)
    )
}

/// Where `matcher` looks.
pub(super) fn subject_of(matcher: &Matcher) -> Subject<'_> {
    match &matcher.field {
        Some(path) => Subject::Field(path),
        None => Subject::Record,
    }
}

fn has_non_null_value<'a>(subject: Subject, record: impl Json<'a>) -> bool {
    subject.any_value(record, &mut |value| {
        value.kind() != Kind::Static(simd_json::StaticNode::Null)
    })
}

/// Whether one value pattern holds for the values `subject` finds in `record`.
fn pattern_holds<'a, J: Json<'a>>(pattern: &ValuePattern, subject: Subject, record: J) -> bool {
    match pattern {
        ValuePattern::Null => !has_non_null_value(subject, record),
        ValuePattern::Exists(expected) => subject.any_value(record, &mut |_| true) == *expected,
        ValuePattern::AnyOf(variants) => variants
            .iter()
            .any(|variant| pattern_holds(variant, subject, record)),
        _ => subject.any_value(record, &mut |value| value_holds(pattern, value, record)),
    }
}

/// Whether `pattern` holds for `value`, one of the values at its field in `record`; `false`
/// for the patterns about the field as a whole ([`is_about_the_whole_field`]), which
/// [`pattern_holds`] tests instead.
fn value_holds<'a, J: Json<'a>>(pattern: &ValuePattern, value: J, record: J) -> bool {
    let any_scalar_at = |search_objects: bool, test: &mut dyn FnMut(Kind) -> bool| {
        any_scalar(value, search_objects, &mut |scalar: J| test(scalar.kind()))
    };
    match pattern {
        ValuePattern::Null | ValuePattern::Exists(_) | ValuePattern::AnyOf(_) => false,
        // A placeholder given no values stands for no value.
        ValuePattern::Placeholder(_) => false,
        ValuePattern::Str(m) => any_scalar_at(true, &mut |scalar| str_matches(m, scalar)),
        ValuePattern::Compare(op, bound) => any_scalar_at(false, &mut |scalar| {
            number_of(scalar).is_some_and(|n| op.holds(n, *bound))
        }),
        ValuePattern::Cidr(net) => any_scalar_at(false, &mut |scalar| ip_in(scalar, net)),
        ValuePattern::TimePart(part, op, expected) => any_scalar_at(false, &mut |scalar| {
            time_part(scalar, *part).is_some_and(|n| match op {
                Some(op) => op.holds(n as f64, *expected as f64),
                None => n == *expected,
            })
        }),
        ValuePattern::FieldRef(other, kind) => any_scalar_at(false, &mut |scalar| {
            Subject::Field(other).any_value(record, &mut |value| {
                any_scalar(value, false, &mut |other_scalar: J| {
                    field_ref_holds(*kind, scalar, other_scalar.kind())
                })
            })
        }),
    }
}
