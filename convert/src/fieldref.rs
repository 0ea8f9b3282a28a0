//! `|fieldref`: a field compared with the values of another field of the same record.
//!
//! As Sigil's evaluator does it: some scalar of the field and some scalar of the other field
//! (arrays walked, objects not searched) are the same value: numerically when either is a
//! JSON number and both read as numbers, otherwise as text folded for case (`contains`,
//! `startswith` and `endswith` compare folded texts, the other value being literal text).
//! Text that is ASCII is folded exactly as Sigil folds it; other text with the engine's
//! `lower`, which differs from Sigil's folding on a few characters (the Kelvin sign, the
//! dotted capital I, Spark's final sigma).

use crate::dialect::{Dialect, JsonKind};
use crate::values::{NUMBER_LIKE, Values};
use crate::{Cx, Refusal};
use sigil_compiler::{FieldPath, FieldRefKind};

/// One scalar as `|fieldref` reads it: SQL expressions for its text, its number (`NULL` when
/// it reads as none) and whether it is a JSON number.
pub(crate) struct Term {
    pub(crate) text: String,
    pub(crate) number: String,
    pub(crate) json_number: String,
}

impl Term {
    /// A string value.
    pub(crate) fn string(d: &dyn Dialect, text: &str) -> Term {
        Term {
            text: text.to_string(),
            number: parsed_number(d, text),
            json_number: "FALSE".into(),
        }
    }

    /// A number value (a numeric SQL expression).
    pub(crate) fn number(d: &dyn Dialect, number: &str) -> Term {
        Term {
            text: d.to_text(number),
            number: number.to_string(),
            json_number: "TRUE".into(),
        }
    }

    /// A boolean written `true`/`false`.
    pub(crate) fn boolean(text: &str) -> Term {
        Term {
            text: text.to_string(),
            number: "NULL".into(),
            json_number: "FALSE".into(),
        }
    }

    /// A JSON scalar (strings, numbers, booleans; `null` has no text).
    pub(crate) fn json(d: &dyn Dialect, json: &str) -> Term {
        let (string, number) = (
            d.json_is(json, JsonKind::String),
            d.json_is(json, JsonKind::Number),
        );
        Term {
            text: format!(
                "CASE WHEN {string} THEN {} WHEN {number} OR {} THEN {} END",
                d.json_string(json),
                d.json_is(json, JsonKind::Bool),
                d.json_text(json)
            ),
            number: format!(
                "CASE WHEN {number} THEN {} WHEN {string} THEN {} END",
                d.json_number(json),
                parsed_number(d, &d.json_string(json))
            ),
            json_number: number,
        }
    }
}

/// Sigil's `parse_number` of a text: digits, signs, points and exponents, trimmed.
fn parsed_number(d: &dyn Dialect, text: &str) -> String {
    let trimmed = format!("trim({text})");
    format!(
        "CASE WHEN {} THEN {} END",
        d.regex_match(&trimmed, NUMBER_LIKE),
        d.try_double(&trimmed)
    )
}

/// Whether `left` and some scalar of `other` hold `kind`.
pub(crate) fn holds(
    cx: &Cx,
    left: &Term,
    other: &FieldPath,
    kind: FieldRefKind,
) -> Result<String, Refusal> {
    Values::of(cx, other)
        .map_err(|r| r.context(&format!("`|fieldref {}`", other.name)))?
        .any_scalar(cx, &|right| Ok(compare(cx.d, left, &right, kind)))
}

fn compare(d: &dyn Dialect, left: &Term, right: &Term, kind: FieldRefKind) -> String {
    let (l, r) = (folded(d, &left.text), folded(d, &right.text));
    match kind {
        FieldRefKind::Equals => format!(
            "CASE WHEN {} OR {} THEN COALESCE({} = {}, FALSE) ELSE {l} = {r} END",
            left.json_number, right.json_number, left.number, right.number
        ),
        FieldRefKind::Contains => format!("{} > 0", d.position(&l, &r)),
        FieldRefKind::StartsWith => format!("substr({l}, 1, length({r})) = {r}"),
        FieldRefKind::EndsWith => format!(
            "(length({l}) >= length({r}) AND substr({l}, length({l}) - length({r}) + 1) = {r})"
        ),
    }
}

/// Text folded for case: exactly as Sigil for ASCII text, with `lower` otherwise.
fn folded(d: &dyn Dialect, text: &str) -> String {
    format!(
        "CASE WHEN {} THEN {} ELSE lower({text}) END",
        d.regex_match(text, r"\A[\x00-\x7F]*\z"),
        d.ascii_lower(text)
    )
}
