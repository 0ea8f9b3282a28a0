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
            any_string_holds(matcher, subject, record)
                || matcher
                    .values
                    .iter()
                    .filter(|pattern| !matches!(pattern, ValuePattern::Str(_)))
                    .any(|pattern| pattern_holds(pattern, subject, record))
        }
        Combine::All => matcher
            .values
            .iter()
            .all(|pattern| pattern_holds(pattern, subject, record)),
    };
    held != matcher.negate
}

/// Whether one of the matcher's string patterns holds: they are tried together
/// ([`Matcher::strings`]) on each scalar of the values.
fn any_string_holds<'a>(matcher: &Matcher, subject: Subject, record: impl Json<'a>) -> bool {
    let strings = matcher.strings();
    !strings.is_empty()
        && subject.any_value(record, &mut |value| {
            any_scalar(value, true, &mut |scalar| {
                any_str_matches(strings, scalar.kind())
            })
        })
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
    let any_scalar_at = |search_objects: bool, test: &mut dyn FnMut(Kind) -> bool| {
        subject.any_value(record, &mut |value| {
            any_scalar(value, search_objects, &mut |scalar: J| test(scalar.kind()))
        })
    };
    match pattern {
        ValuePattern::Null => !has_non_null_value(subject, record),
        ValuePattern::Exists(expected) => subject.any_value(record, &mut |_| true) == *expected,
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
        ValuePattern::AnyOf(variants) => variants
            .iter()
            .any(|variant| pattern_holds(variant, subject, record)),
    }
}
