//! Fields inside JSON-text columns (CloudTrail's `requestParameters`, GuardDuty's `service`):
//! the values at a path, and patterns on JSON values, as Sigil's evaluator reads them.
//!
//! The values at `a.b` are found as Sigil's `field` walk finds them: from the column's parsed
//! value, each key is taken from every object reached, arrays met on the way are walked
//! element by element, and at each object the rest of the path is also tried as one literal
//! key (`{"a.b": 1}`). Each step is a list expression:
//!
//! ```text
//! L0 = [json_parse(requestparameters)] without NULL
//! U0 = L0 with arrays replaced by their elements (ARRAY_DEPTH levels of arrays in arrays)
//! L1 = [member(u, "a") for u in U0] without NULL
//! L2 = [member(u, "b") for u in unwrap(L1)] without NULL
//! values = L2 ++ [member(u, "a.b") for u in U0] without NULL
//! ```
//!
//! A missing member is SQL `NULL` and dropped; a JSON `null` stays a value. A string pattern
//! then holds for a value that is a matching string, a number or boolean it equals, or an
//! array or object holding a matching string at any depth: the value's JSON text is cut into
//! tokens ([`crate::dialect::JSON_TOKENS`]: strings, with keys marked by their colon, numbers
//! and literals) and every string value, unquoted, is tested. Comparisons and `|cidr` test the
//! value and the elements of arrays, not the insides of objects.
//!
//! Arrays nested directly in arrays are walked [`ARRAY_DEPTH`] levels deep (Sigil walks any
//! depth); the strings inside arrays and objects are searched at any depth.

use crate::dialect::{JSON_TOKENS, JsonKind};
use crate::fieldref::{self, Term};
use crate::strings;
use crate::values::{self, boolean};
use crate::{Cx, Refusal};
use sigil_compiler::ValuePattern;

/// Levels of arrays directly inside arrays that are walked.
pub(crate) const ARRAY_DEPTH: usize = 2;

/// The list of JSON values at `keys` inside the JSON text `column`.
pub(crate) fn values_at(cx: &Cx, column: &str, keys: &[String]) -> String {
    let d = cx.d;
    walk(cx, present(cx, &d.list(&[d.json_parse(column)])), keys)
}

/// The values at `keys` from the values of `list`: each key taken from the values (arrays
/// among them walked first), and the rest of the keys tried as one literal key at each step.
/// Each step's list is bound to a variable once (`let u = ... in ...`, written as a
/// one-element list transformed), so that the SQL grows with the path, not its square.
fn walk(cx: &Cx, list: String, keys: &[String]) -> String {
    let d = cx.d;
    let Some((key, rest)) = keys.split_first() else {
        return list;
    };
    let unwrapped = unwrap(cx, &list, ARRAY_DEPTH);
    if rest.is_empty() {
        return members(cx, &unwrapped, key);
    }
    let var = cx.var("u");
    let deeper = walk(cx, members(cx, &var, key), rest);
    let literal = members(cx, &var, &keys.join("."));
    let body = d.concat(&deeper, &literal);
    d.element(&d.transform(&d.list(&[unwrapped]), &var, &body), "1")
}

/// `list` without its `NULL`s.
fn present(cx: &Cx, list: &str) -> String {
    let var = cx.var("j");
    cx.d.filter(list, &var, &format!("{var} IS NOT NULL"))
}

/// The members `key` of the values of `list` that have one.
fn members(cx: &Cx, list: &str, key: &str) -> String {
    let var = cx.var("j");
    present(
        cx,
        &cx.d.transform(list, &var, &cx.d.json_member(&var, key)),
    )
}

/// `list` with its arrays replaced by their elements, `depth` times.
fn unwrap(cx: &Cx, list: &str, depth: usize) -> String {
    let d = cx.d;
    (0..depth).fold(list.to_string(), |list, _| {
        let var = cx.var("j");
        let spread = format!(
            "CASE WHEN {} THEN {} ELSE {} END",
            d.json_is(&var, JsonKind::Array),
            d.json_elements(&var),
            d.list(std::slice::from_ref(&var))
        );
        d.flatten(&d.transform(&list, &var, &spread))
    })
}

/// Whether one of `patterns` holds for the JSON value `json` (the string patterns share one
/// look at the value, and one pass over its tokens when it is an array or object).
pub(crate) fn patterns(cx: &Cx, json: &str, patterns: &[&ValuePattern]) -> Result<String, Refusal> {
    let (strings, others): (Vec<&ValuePattern>, Vec<&ValuePattern>) = patterns
        .iter()
        .partition(|p| matches!(p, ValuePattern::Str(_)));
    let mut parts = Vec::new();
    if !strings.is_empty() {
        parts.push(string_patterns(cx, json, &strings)?);
    }
    for pattern in others {
        parts.push(other_pattern(cx, json, pattern)?);
    }
    Ok(any_of(parts))
}

/// `parts` joined with `OR`.
fn any_of(parts: Vec<String>) -> String {
    match parts.len() {
        1 => parts.into_iter().next().expect("one part"),
        _ => format!("({})", parts.join(" OR ")),
    }
}

/// String patterns on a JSON value: a matching string, a number or boolean one equals, or a
/// string inside an array or object.
fn string_patterns(cx: &Cx, json: &str, patterns: &[&ValuePattern]) -> Result<String, Refusal> {
    let d = cx.d;
    let strs: Vec<_> = patterns
        .iter()
        .map(|p| match p {
            ValuePattern::Str(m) => m,
            _ => unreachable!("string patterns only"),
        })
        .collect();
    let on = |text: &str| strings::any_matches(d, &strs, text);
    let numbers = |number: &str| -> Result<String, Refusal> {
        let parts = patterns
            .iter()
            .map(|p| values::number(number, p))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(any_of(parts))
    };
    let booleans = |text: &str| any_of(patterns.iter().map(|p| boolean(cx, text, p)).collect());
    let var = cx.var("t");
    let string_token = format!("{} AND NOT ({})", d.like(&var, "\"%"), d.like(&var, "%:"));
    let token = format!(
        "CASE WHEN {string_token} THEN {} WHEN {} THEN {} ELSE {} END",
        on(&d.json_unquote(&var))?,
        d.regex_match(&var, r"\A-?[0-9]"),
        numbers(&d.try_double(&var))?,
        booleans(&var)
    );
    let nested = d.any(
        &d.regex_find_all(&d.json_text(json), JSON_TOKENS),
        &var,
        &token,
    );
    // Containers first: telling a scalar's kind can cost as much as the container's size.
    Ok(format!(
        "CASE WHEN {} OR {} THEN {nested} WHEN {} THEN {} WHEN {} THEN {} WHEN {} THEN {} ELSE FALSE END",
        d.json_is(json, JsonKind::Array),
        d.json_is(json, JsonKind::Object),
        d.json_is(json, JsonKind::String),
        on(&d.json_string(json))?,
        d.json_is(json, JsonKind::Number),
        numbers(&d.json_number(json))?,
        d.json_is(json, JsonKind::Bool),
        booleans(&d.json_text(json)),
    ))
}

/// A pattern other than a string pattern on a JSON value.
fn other_pattern(cx: &Cx, json: &str, pattern: &ValuePattern) -> Result<String, Refusal> {
    let d = cx.d;
    match pattern {
        ValuePattern::Compare(..) | ValuePattern::Cidr(_) => {
            let var = cx.var("j");
            let element = format!(
                "CASE WHEN {} OR {} THEN FALSE WHEN {} THEN {} WHEN {} THEN {} ELSE FALSE END",
                d.json_is(&var, JsonKind::Array),
                d.json_is(&var, JsonKind::Object),
                d.json_is(&var, JsonKind::String),
                values::text(cx, &d.json_string(&var), pattern)?,
                d.json_is(&var, JsonKind::Number),
                values::number(&d.json_number(&var), pattern)?,
            );
            let scalars = unwrap(cx, &d.list(&[json.to_string()]), ARRAY_DEPTH);
            Ok(d.any(&scalars, &var, &element))
        }
        ValuePattern::FieldRef(other, how) => {
            any_scalar(cx, json, &|left| fieldref::holds(cx, &left, other, *how))
        }
        ValuePattern::TimePart(..) => Err(Refusal::new(
            "time modifiers on a field inside JSON text are not converted",
        )),
        ValuePattern::Placeholder(name) => Err(Refusal::new(format!(
            "placeholder %{name}% has no values (give them with --placeholders FILE)"
        ))),
        ValuePattern::Str(_)
        | ValuePattern::Null
        | ValuePattern::Exists(_)
        | ValuePattern::AnyOf(_) => {
            unreachable!("string and whole-field patterns are handled elsewhere")
        }
    }
}

/// Whether `test` holds for a scalar of the JSON value `json`: itself, or an element of an
/// array (not a member of an object).
pub(crate) fn any_scalar(
    cx: &Cx,
    json: &str,
    test: &dyn Fn(Term) -> Result<String, Refusal>,
) -> Result<String, Refusal> {
    let d = cx.d;
    let var = cx.var("j");
    let scalar = format!(
        "CASE WHEN {} OR {} OR {} THEN FALSE ELSE {} END",
        d.json_is(&var, JsonKind::Array),
        d.json_is(&var, JsonKind::Object),
        d.json_is(&var, JsonKind::Null),
        test(Term::json(d, &var))?
    );
    let scalars = unwrap(cx, &d.list(&[json.to_string()]), ARRAY_DEPTH);
    Ok(d.any(&scalars, &var, &scalar))
}
