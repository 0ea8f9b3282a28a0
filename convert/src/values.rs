//! The values a rule's field finds in a row, and whether a value pattern holds for them:
//! Sigil's evaluator (`engine::eval`) restated over the table's columns.
//!
//! A field finds [`Values`]: a typed column (walking arrays of structs on the way, any element
//! will do), or JSON values inside a JSON-text column (see [`crate::json`]). On them:
//!
//! - `null` holds when no value is non-null, `|exists` when there is a value, even a JSON
//!   `null` (a typed column cannot tell a field holding `null` from a missing one: both are
//!   `NULL`, so there `|exists` asks for a value that is not null);
//! - every other pattern holds when some value matches it; how a value matches depends on
//!   what it is to Sigil ([`Content`]): strings take string patterns, numbers only equality
//!   to a number and comparisons, booleans only equality to `true`/`false`, text-log `-` is
//!   no value, CloudFront text is decoded first, an array matches when an element does.
//!
//! Every existence test is wrapped in `COALESCE(…, FALSE)`: SQL's unknown never reaches a
//! `NOT`, so `not selection` keeps Sigil's two-valued meaning.

use crate::fieldref::{self, Term};
use crate::strings::{self, double};
use crate::tables::{Content, Kind};
use crate::{Cx, Refusal, cidr, json};
use sigil_compiler::{CompareOp, FieldPath, StrKind, ValuePattern};

/// A plain decimal, as Sigil's text-log readers write numbers (at most 18 significant integer
/// digits, no exponent).
const PLAIN_DECIMAL: &str = r"\A-?0*[0-9]{1,18}(?:\.[0-9]+)?\z";

/// Text a number comparison accepts (Sigil's `parse_number`: digits, signs, points,
/// exponents).
pub(crate) const NUMBER_LIKE: &str = r"\A[-+.eE0-9]*[0-9][-+.eE0-9]*\z";

/// The values a field finds.
pub(crate) enum Values {
    /// A typed column (or struct member), inside the arrays walked to reach it.
    Typed {
        /// Arrays walked: list expression and element variable, outermost first.
        arrays: Vec<(String, String)>,
        /// The value, over the innermost variable.
        expr: String,
        /// What it holds.
        kind: Kind,
    },
    /// JSON values: a list of them, inside the arrays walked to reach the JSON-text column.
    Json {
        /// Arrays walked, as for [`Values::Typed`].
        arrays: Vec<(String, String)>,
        /// The list of JSON values.
        list: String,
    },
}

impl Values {
    /// The values `path` finds in the row.
    pub(crate) fn of(cx: &Cx, path: &FieldPath) -> Result<Values, Refusal> {
        let resolved = cx.table.resolve(cx.d, path, &|| cx.var("v"))?;
        if let Kind::Text(Content::Json) = resolved.kind {
            let keys = cx.json_keys(&resolved.json_path, path)?;
            let list = json::values_at(cx, &resolved.expr, &keys);
            return Ok(Values::Json {
                arrays: resolved.arrays,
                list,
            });
        }
        Ok(Values::Typed {
            arrays: resolved.arrays,
            expr: resolved.expr,
            kind: resolved.kind,
        })
    }

    /// Whether some value matches one of `patterns` (the patterns tested value by value:
    /// strings, comparisons, `|cidr`, `|fieldref`), in one pass over the values.
    pub(crate) fn any_matches(
        &self,
        cx: &Cx,
        patterns: &[&ValuePattern],
    ) -> Result<String, Refusal> {
        self.exists(cx, |value| match self {
            Values::Typed { kind, .. } => typed_any(cx, *kind, value, patterns),
            Values::Json { .. } => json::patterns(cx, value, patterns),
        })
    }

    /// Whether `pattern` holds for these values.
    pub(crate) fn holds(&self, cx: &Cx, pattern: &ValuePattern) -> Result<String, Refusal> {
        match pattern {
            ValuePattern::Null => Ok(format!("NOT {}", self.some_non_null(cx))),
            ValuePattern::Exists(true) => Ok(self.some_value(cx)),
            ValuePattern::Exists(false) => Ok(format!("NOT {}", self.some_value(cx))),
            ValuePattern::AnyOf(variants) => {
                let parts = variants
                    .iter()
                    .map(|v| self.holds(cx, v))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(format!("({})", parts.join(" OR ")))
            }
            _ => self.any_matches(cx, &[pattern]),
        }
    }

    /// Whether `test` holds for some scalar of these values (arrays walked, objects not
    /// searched), as `|fieldref` reads them.
    pub(crate) fn any_scalar(
        &self,
        cx: &Cx,
        test: &dyn Fn(Term) -> Result<String, Refusal>,
    ) -> Result<String, Refusal> {
        match self {
            Values::Typed { kind, .. } => {
                self.exists(cx, |value| scalar_terms(cx, *kind, value, test))
            }
            Values::Json { .. } => self.exists(cx, |value| json::any_scalar(cx, value, test)),
        }
    }

    /// Whether there is a value, even a JSON `null` (a typed column cannot hold one apart
    /// from a missing field: there, whether a value is present and not null).
    fn some_value(&self, cx: &Cx) -> String {
        match self {
            Values::Json { .. } => self
                .exists(cx, |_| Ok("TRUE".into()))
                .expect("presence tests never refuse"),
            Values::Typed { .. } => self.some_non_null(cx),
        }
    }

    /// Whether some value is present and not null.
    fn some_non_null(&self, cx: &Cx) -> String {
        let test = |value: &str| match self {
            Values::Typed { kind, .. } => Ok(present(*kind, value)),
            Values::Json { .. } => Ok(format!(
                "NOT ({})",
                cx.d.json_is(value, crate::dialect::JsonKind::Null)
            )),
        };
        self.exists(cx, test).expect("presence tests never refuse")
    }

    /// Whether `test` holds for some value (never `NULL`).
    fn exists(
        &self,
        cx: &Cx,
        test: impl Fn(&str) -> Result<String, Refusal>,
    ) -> Result<String, Refusal> {
        let (arrays, inner) = match self {
            Values::Typed { arrays, expr, .. } => (arrays, test(expr)?),
            Values::Json { arrays, list } => {
                let var = cx.var("j");
                (arrays, cx.d.any(list, &var, &test(&var)?))
            }
        };
        let quantified = arrays
            .iter()
            .rev()
            .fold(inner, |inner, (list, var)| cx.d.any(list, var, &inner));
        Ok(format!("COALESCE({quantified}, FALSE)"))
    }
}

/// Whether one of `patterns` holds for a typed value: the string patterns of a string value
/// together ([`strings::any_matches`]), the others one by one.
fn typed_any(
    cx: &Cx,
    kind: Kind,
    value: &str,
    patterns: &[&ValuePattern],
) -> Result<String, Refusal> {
    let d = cx.d;
    let text = match kind {
        Kind::Text(Content::Str) => Some(value.to_string()),
        Kind::Text(Content::Log) => Some(nullif_dash(value)),
        Kind::Text(Content::LogEncoded) => Some(d.percent_decode(&nullif_dash(value))),
        _ => None,
    };
    let (strings, others): (Vec<&ValuePattern>, Vec<&ValuePattern>) = patterns
        .iter()
        .partition(|p| text.is_some() && matches!(p, ValuePattern::Str(_)));
    let mut parts = others
        .into_iter()
        .map(|p| scalar(cx, kind, value, p))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(text) = text.filter(|_| !strings.is_empty()) {
        let strings: Vec<_> = strings
            .iter()
            .map(|p| match p {
                ValuePattern::Str(m) => m,
                _ => unreachable!("string patterns only"),
            })
            .collect();
        parts.push(strings::any_matches(d, &strings, &text)?);
    }
    Ok(format!("({})", parts.join(" OR ")))
}

/// Whether a typed value is present (text-log fields are absent when `-`).
fn present(kind: Kind, value: &str) -> String {
    match kind {
        Kind::Text(Content::Log | Content::LogEncoded | Content::LogNumber) => {
            format!("{} IS NOT NULL", nullif_dash(value))
        }
        _ => format!("{value} IS NOT NULL"),
    }
}

fn nullif_dash(value: &str) -> String {
    format!("NULLIF({value}, '-')")
}

/// Whether `pattern` holds for one typed value of `kind`.
pub(crate) fn scalar(
    cx: &Cx,
    kind: Kind,
    value: &str,
    pattern: &ValuePattern,
) -> Result<String, Refusal> {
    let d = cx.d;
    if let ValuePattern::FieldRef(other, how) = pattern
        && !matches!(kind, Kind::Array(_) | Kind::Struct(_))
    {
        return scalar_terms(cx, kind, value, &|left| {
            fieldref::holds(cx, &left, other, *how)
        });
    }
    match kind {
        Kind::Text(Content::Str) => text(cx, value, pattern),
        Kind::Text(Content::Log) => text(cx, &nullif_dash(value), pattern),
        Kind::Text(Content::LogEncoded) => {
            text(cx, &d.percent_decode(&nullif_dash(value)), pattern)
        }
        Kind::Text(Content::Bool) => Ok(boolean(cx, value, pattern)),
        Kind::Text(Content::Number) => number(&d.try_double(value), pattern),
        Kind::Text(Content::LogNumber) => {
            let value = nullif_dash(value);
            Ok(format!(
                "CASE WHEN {} THEN {} ELSE {} END",
                d.regex_match(&value, PLAIN_DECIMAL),
                number(&d.try_double(&value), pattern)?,
                text(cx, &value, pattern)?
            ))
        }
        Kind::Text(Content::Json) => unreachable!("JSON text is read as JSON values"),
        Kind::Number(_) => number(value, pattern),
        Kind::Struct(_) => match pattern {
            ValuePattern::Str(_) => Err(Refusal::new(
                "a string pattern on an object searches every value in it, and the table keeps \
                 only the documented members of that object",
            )),
            _ => Ok("FALSE".into()),
        },
        Kind::Array(element) => {
            let var = cx.var("a");
            let inner = scalar(cx, *element, &var, pattern)?;
            Ok(d.any(value, &var, &inner))
        }
        Kind::Opaque(_, why) => Err(Refusal::new(why)),
    }
}

/// A pattern on a string value.
pub(crate) fn text(cx: &Cx, value: &str, pattern: &ValuePattern) -> Result<String, Refusal> {
    let d = cx.d;
    match pattern {
        ValuePattern::Str(m) => strings::matches(d, m, value),
        ValuePattern::Compare(op, bound) => Ok(format!(
            "{} {} {}",
            Term::string(d, value).number,
            operator(*op),
            double(*bound)
        )),
        ValuePattern::Cidr(net) => {
            let regex = cidr::regex(net).map_err(Refusal::new)?;
            Ok(d.regex_match(value, &regex))
        }
        other => Err(not_per_value(other)),
    }
}

/// The refusal for a pattern that [`scalar`] does not test value by value.
fn not_per_value(pattern: &ValuePattern) -> Refusal {
    match pattern {
        ValuePattern::TimePart(..) => {
            Refusal::new("time modifiers (`|minute`...`|year`) are not converted")
        }
        ValuePattern::Placeholder(name) => Refusal::new(format!(
            "placeholder %{name}% has no values (give them with --placeholders FILE)"
        )),
        _ => unreachable!("field references and whole-field patterns are handled elsewhere"),
    }
}

/// Whether `test` holds for a scalar of a typed value (an array's elements, not an object's
/// members).
fn scalar_terms(
    cx: &Cx,
    kind: Kind,
    value: &str,
    test: &dyn Fn(Term) -> Result<String, Refusal>,
) -> Result<String, Refusal> {
    let d = cx.d;
    match kind {
        Kind::Text(Content::Str) => test(Term::string(d, value)),
        Kind::Text(Content::Log) => test(Term::string(d, &nullif_dash(value))),
        Kind::Text(Content::LogEncoded) => {
            test(Term::string(d, &d.percent_decode(&nullif_dash(value))))
        }
        Kind::Text(Content::Bool) => test(Term::boolean(value)),
        Kind::Text(Content::Number) => test(Term::number(d, &d.try_double(value))),
        Kind::Text(Content::LogNumber) => {
            let value = nullif_dash(value);
            let decimal = d.regex_match(&value, PLAIN_DECIMAL);
            test(Term {
                text: value.clone(),
                number: format!("CASE WHEN {decimal} THEN {} END", d.try_double(&value)),
                json_number: decimal,
            })
        }
        Kind::Text(Content::Json) => unreachable!("JSON text is read as JSON values"),
        Kind::Number(_) => test(Term::number(d, value)),
        Kind::Struct(_) => Ok("FALSE".into()),
        Kind::Array(element) => {
            let var = cx.var("a");
            Ok(d.any(value, &var, &scalar_terms(cx, *element, &var, test)?))
        }
        Kind::Opaque(_, why) => Err(Refusal::new(why)),
    }
}

/// A pattern on a number (`value` is a numeric SQL expression).
pub(crate) fn number(value: &str, pattern: &ValuePattern) -> Result<String, Refusal> {
    Ok(match pattern {
        ValuePattern::Str(m) => match (&m.kind, m.number) {
            (StrKind::Equals(_), Some(n)) => format!("{value} = {}", double(n)),
            _ => "FALSE".into(),
        },
        ValuePattern::Compare(op, bound) => {
            format!("{value} {} {}", operator(*op), double(*bound))
        }
        ValuePattern::Cidr(_) => "FALSE".into(),
        other => return Err(not_per_value(other)),
    })
}

/// A pattern on a boolean written `true`/`false`.
pub(crate) fn boolean(cx: &Cx, value: &str, pattern: &ValuePattern) -> String {
    match pattern {
        ValuePattern::Str(m) if matches!(m.kind, StrKind::Equals(_)) => {
            let held: Vec<String> = ["true", "false"]
                .into_iter()
                .filter(|text| m.is_match(text))
                .map(|text| cx.d.string(text))
                .collect();
            if held.is_empty() {
                "FALSE".into()
            } else {
                format!("{value} IN ({})", held.join(", "))
            }
        }
        _ => "FALSE".into(),
    }
}

/// The SQL operator of a comparison.
pub(crate) fn operator(op: CompareOp) -> &'static str {
    match op {
        CompareOp::Lt => "<",
        CompareOp::Lte => "<=",
        CompareOp::Gt => ">",
        CompareOp::Gte => ">=",
    }
}
