//! Applies a field item's modifiers to its values, giving a [`Matcher`].
//!
//! Values flow through the modifiers in the order they are written: placeholders are expanded,
//! encoders (`wide`, `utf16*`, `base64`, `base64offset`) turn text into bytes and bytes into
//! base64 variants, `windash` multiplies dash variants, and `contains`/`startswith`/`endswith`
//! finally place wildcards. Every value ends as a [`ValuePattern`].

use super::Context;
use super::encode::{base64, base64_offsets, encode_utf16, latin1, windash_variants};
use super::modifier::{Family, FieldKey, Modifier};
use super::placeholders::Placeholders;
use super::yaml::{Node, Value};
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{
    Combine, CompareOp, FieldPath, FieldRefKind, GlobToken, Matcher, RegexError, SigmaRegex,
    StrKind, StrMatch, TimePart, ValuePattern, escape_wildcards, glob_text, parse_number,
    parse_wildcards, windash_classes,
};
use crate::limits::{LARGE_REGEX_BYTES, MAX_VARIANTS};
use crate::source::Span;
use ipnet::IpNet;
use std::net::IpAddr;

/// What compiling a field item produced.
pub struct CompiledItem {
    /// The matcher.
    pub matcher: Matcher,
    /// Warnings about it.
    pub warnings: Vec<Diagnostic>,
}

/// Compiles one field item. `key_span` is where the key is written, `values` its value node.
pub fn compile_item(
    key: &FieldKey,
    key_span: Span,
    values: &Node,
    cx: &Context,
) -> Result<CompiledItem, Diagnostic> {
    let items: Vec<&Node> = match &values.value {
        Value::Seq(items) => items.iter().collect(),
        Value::Map(_) => {
            return Err(Diagnostic::new(
                Code::InvalidSearch,
                values.span,
                format!("the value of `{}` is a mapping", key_text(key)),
            )
            .with_label("expected a value or a list of values")
            .with_help(
                "nested mappings are not Sigma; use a dotted field name like `a.b: value`",
            ));
        }
        _ => vec![values],
    };
    if items.is_empty() {
        return Err(
            Diagnostic::new(Code::InvalidValue, values.span, "empty list of values")
                .with_label("a field needs at least one value"),
        );
    }
    let mut warnings = Vec::new();
    if let Some(nested) = items
        .iter()
        .find(|n| matches!(n.value, Value::Seq(_) | Value::Map(_)))
    {
        return Err(Diagnostic::new(
            Code::InvalidValue,
            nested.span,
            format!("a value of `{}` is {}", key_text(key), nested.kind_name()),
        )
        .with_label("expected a plain value"));
    }
    if items.len() > 1
        && let Some(null) = items.iter().find(|n| n.value == Value::Null)
    {
        warnings.push(
            Diagnostic::new(
                Code::NullInList,
                null.span,
                "`null` mixed into a list of values",
            )
            .with_label("matches a missing field, OR-ed with the other values")
            .with_help("put the null check in a search of its own for clarity"),
        );
    }
    let all = key.has(Modifier::All);
    if all && items.len() == 1 {
        let span = key
            .modifiers
            .iter()
            .find(|(m, _)| *m == Modifier::All)
            .map_or(key_span, |m| m.1);
        warnings.push(
            Diagnostic::new(Code::AllOnSingleValue, span, "`|all` on a single value")
                .with_label("changes nothing")
                .with_help("remove `|all`, or give a list of values"),
        );
    }
    let mut patterns = Vec::new();
    for item in &items {
        let mut variants = compile_value(key, item, cx)?;
        match variants.as_slice() {
            [ValuePattern::Placeholder(name)] => {
                warnings.push(placeholder_without_values(name, item.span));
            }
            [
                ValuePattern::Str(StrMatch {
                    kind: StrKind::Regex(regex),
                    ..
                }),
            ] if regex.memory_usage() >= LARGE_REGEX_BYTES => {
                warnings.push(huge_regex(regex.memory_usage(), item.span));
            }
            _ => {}
        }
        // Under `|all` every value must hold, but any variant of a value will do.
        if all && variants.len() > 1 {
            patterns.push(ValuePattern::AnyOf(variants));
        } else {
            patterns.append(&mut variants);
        }
    }
    let field = (!key.field.is_empty()).then(|| FieldPath::new(&key.field));
    let combine = if all { Combine::All } else { Combine::Any };
    let negate = key.has(Modifier::Neq);
    let span = Span::new(
        key_span.source,
        key_span.start,
        values.span.end.max(key_span.end),
    );
    let matcher = Matcher::new(field, patterns, combine, negate, span);
    Ok(CompiledItem { matcher, warnings })
}

fn key_text(key: &FieldKey) -> String {
    let mut text = key.field.clone();
    for (m, _) in &key.modifiers {
        text.push('|');
        text.push_str(m.name());
    }
    text
}

/// Compiles one scalar value into one or more patterns.
fn compile_value(
    key: &FieldKey,
    node: &Node,
    cx: &Context,
) -> Result<Vec<ValuePattern>, Diagnostic> {
    let invalid = |message: String| Diagnostic::new(Code::InvalidValue, node.span, message);
    match key.family() {
        Family::Exists => match &node.value {
            Value::Bool(b) => Ok(vec![ValuePattern::Exists(*b)]),
            Value::Str(s) if s.eq_ignore_ascii_case("true") => Ok(vec![ValuePattern::Exists(true)]),
            Value::Str(s) if s.eq_ignore_ascii_case("false") => {
                Ok(vec![ValuePattern::Exists(false)])
            }
            _ => Err(invalid(format!(
                "`|exists` takes true or false, not {}",
                node.kind_name()
            ))
            .with_help("write `field|exists: true`")),
        },
        Family::Compare => {
            let op = compare_op(key).expect("compare family has a compare modifier");
            number_of(node)
                .map(|n| vec![ValuePattern::Compare(op, n)])
                .ok_or_else(|| {
                    invalid(format!("expected a number, found {}", node.kind_name()))
                        .with_label("not a number")
                })
        }
        Family::Cidr => {
            let text =
                scalar_text(node).ok_or_else(|| invalid("expected a CIDR network".into()))?;
            parse_cidr(&text)
                .map(|net| vec![ValuePattern::Cidr(net)])
                .ok_or_else(|| {
                    Diagnostic::new(
                        Code::InvalidCidr,
                        node.span,
                        format!("`{text}` is not a network"),
                    )
                    .with_label("expected e.g. 10.0.0.0/8 or 2001:db8::/32")
                })
        }
        Family::FieldRef => match &node.value {
            Value::Str(s) if !s.is_empty() => {
                let kind = if key.has(Modifier::Contains) {
                    FieldRefKind::Contains
                } else if key.has(Modifier::StartsWith) {
                    FieldRefKind::StartsWith
                } else if key.has(Modifier::EndsWith) {
                    FieldRefKind::EndsWith
                } else {
                    FieldRefKind::Equals
                };
                Ok(vec![ValuePattern::FieldRef(FieldPath::new(s), kind)])
            }
            _ => Err(invalid(
                "`|fieldref` takes the name of another field".into(),
            )),
        },
        Family::TimePart => {
            let part = [
                (Modifier::Minute, TimePart::Minute),
                (Modifier::Hour, TimePart::Hour),
                (Modifier::Day, TimePart::Day),
                (Modifier::Week, TimePart::Week),
                (Modifier::Month, TimePart::Month),
                (Modifier::Year, TimePart::Year),
            ]
            .into_iter()
            .find(|(m, _)| key.has(*m))
            .map(|(_, p)| p)
            .expect("time family has a time modifier");
            match number_of(node) {
                Some(n) if n.fract() == 0.0 => Ok(vec![ValuePattern::TimePart(
                    part,
                    compare_op(key),
                    n as i64,
                )]),
                _ => Err(invalid(format!(
                    "expected a whole number, found {}",
                    node.kind_name()
                ))),
            }
        }
        Family::Regex => {
            let text = scalar_text(node).ok_or_else(|| invalid("`|re` takes a string".into()))?;
            let room = cx.regex_room.get();
            if room == 0 {
                return Err(regex_budget_spent(node.span, cx.regex_limit));
            }
            let regex = SigmaRegex::new(
                &text,
                key.has(Modifier::ReInsensitive),
                key.has(Modifier::ReMultiLine),
                key.has(Modifier::ReDotAll),
            )
            .map_err(|e| regex_diagnostic(&e, node.span))?;
            // The regex is dropped (its memory freed) when it does not fit.
            let left = room.checked_sub(regex.memory_usage());
            cx.regex_room.set(left.unwrap_or(0));
            if left.is_none() {
                return Err(regex_budget_spent(node.span, cx.regex_limit));
            }
            Ok(vec![ValuePattern::Str(StrMatch::regex(regex))])
        }
        Family::String | Family::Generic => string_patterns(key, node, cx.placeholders),
    }
}

/// The error of a `|re` value for which the load has no memory left.
fn regex_budget_spent(span: Span, limit: usize) -> Diagnostic {
    let limit = match limit >> 20 {
        0 => format!("{} KiB", limit >> 10),
        mib => format!("{mib} MiB"),
    };
    Diagnostic::new(
        Code::RegexBudget,
        span,
        format!(
            "no memory left for this regex: the regexes of one load may take at most {limit} \
             (the files read together share it)"
        ),
    )
    .with_label("not compiled")
    .with_help(
        "load fewer rules with regexes at once, or use `contains`/`startswith`/`endswith` \
         values where a regex is not needed (each regex takes a few KiB at least)",
    )
}

/// The `huge_regex` warning of a `|re` value whose automaton takes `bytes`.
fn huge_regex(bytes: usize, span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::HugeRegex,
        span,
        format!("this regex compiles to a {} KiB automaton", bytes >> 10),
    )
    .with_label("matching it can be slow on long values")
    .with_help(
        "a large counted repetition (`{1000,}`, `(a|b){5000}`) makes a large automaton, and \
         the time to match grows with the value's length times its size: bound repetitions \
         more tightly, or anchor the regex on a literal",
    )
}

/// The S022 diagnostic of a `|re` value that was refused: what is wrong, and the fix for it.
fn regex_diagnostic(error: &RegexError, span: Span) -> Diagnostic {
    let (message, help) = match error {
        RegexError::Unsupported(_) => (
            "regular expression not supported",
            "Sigil runs regexes in linear time, without backtracking, so look-around and \
             backreferences are not supported: rewrite the regex without them"
                .to_string(),
        ),
        RegexError::TooBig(_) => (
            "regular expression too large",
            "bound its repetitions more tightly (`{5000}` on a group is 5000 copies of it), or \
             split it into several values"
                .to_string(),
        ),
        _ => (
            "invalid regular expression",
            "check its syntax (as the Rust regex crate reads it): brackets, escapes and \
             repetitions"
                .to_string(),
        ),
    };
    Diagnostic::new(Code::InvalidRegex, span, message)
        .with_label(error.to_string())
        .with_help(help)
}

/// An intermediate value on its way through the string modifiers.
enum Text {
    /// Sigma pattern syntax: wildcards live, escapes pending.
    Pattern(String),
    /// Encoded bytes (after `wide`/`utf16*`), not text yet.
    Bytes(Vec<u8>),
}

fn string_patterns(
    key: &FieldKey,
    node: &Node,
    placeholders: &Placeholders,
) -> Result<Vec<ValuePattern>, Diagnostic> {
    let cased = key.has(Modifier::Cased);
    let transforms = key
        .modifiers
        .iter()
        .any(|(m, _)| m.family() == Family::String);
    let keyword = key.field.is_empty();
    let start = match &node.value {
        Value::Null if !transforms => return Ok(vec![ValuePattern::Null]),
        Value::Null => {
            return Err(Diagnostic::new(
                Code::InvalidValue,
                node.span,
                "`null` cannot take string modifiers",
            ));
        }
        Value::Number { value, text } if !transforms && !keyword => {
            let mut m = StrMatch::from_tokens(vec![GlobToken::Literal(text.clone())], cased);
            m.number = Some(*value);
            m.numeric_strings = true;
            return Ok(vec![ValuePattern::Str(m)]);
        }
        Value::Number { text, .. } => escape_wildcards(text),
        Value::Bool(b) => escape_wildcards(&b.to_string()),
        Value::Str(s) => s.clone(),
        Value::Seq(_) | Value::Map(_) => unreachable!("checked by the caller"),
    };
    let mut texts = vec![Text::Pattern(start)];
    let mut unresolved = None;
    // `|windash` is a dash class in the final pattern, whatever the number of dashes; only
    // before an encoder, which needs actual characters, are its spellings enumerated.
    let mut dash_classes = false;
    for (i, &(modifier, span)) in key.modifiers.iter().enumerate() {
        if modifier == Modifier::Windash && !encoded_after(key, i) {
            dash_classes = true;
            continue;
        }
        texts = apply(modifier, texts, span, placeholders, &mut unresolved)?;
        if texts.len() > MAX_VARIANTS {
            return Err(too_many_variants(node.span));
        }
    }
    // A placeholder without values leaves the value to be given: it stands for no value yet.
    if let Some(name) = unresolved {
        return Ok(vec![ValuePattern::Placeholder(name)]);
    }
    let wrap_keyword = keyword && !key.has(Modifier::StartsWith) && !key.has(Modifier::EndsWith);
    Ok(texts
        .into_iter()
        .map(|text| {
            let pattern = match text {
                Text::Pattern(p) => p,
                Text::Bytes(bytes) => escape_wildcards(&latin1(&bytes)),
            };
            let pattern = if wrap_keyword {
                wrap(&pattern, true, true)
            } else {
                pattern
            };
            let tokens = parse_wildcards(&pattern);
            let tokens = if dash_classes {
                windash_classes(tokens)
            } else {
                tokens
            };
            ValuePattern::Str(StrMatch::from_tokens(tokens, cased))
        })
        .collect())
}

/// Applies one modifier to every text; `|expand` puts the first placeholder that has no values
/// in `unresolved` (and drops the text it could not expand).
fn apply(
    modifier: Modifier,
    texts: Vec<Text>,
    span: Span,
    placeholders: &Placeholders,
    unresolved: &mut Option<String>,
) -> Result<Vec<Text>, Diagnostic> {
    let mut out = Vec::with_capacity(texts.len());
    for text in texts {
        match modifier {
            Modifier::Contains => out.push(map_pattern(text, |p| wrap(p, true, true))),
            Modifier::StartsWith => out.push(map_pattern(text, |p| wrap(p, false, true))),
            Modifier::EndsWith => out.push(map_pattern(text, |p| wrap(p, true, false))),
            Modifier::Expand => match text {
                Text::Pattern(p) => match placeholders.expand(&p) {
                    Ok(values) => out.extend(values.into_iter().map(Text::Pattern)),
                    Err(name) => {
                        unresolved.get_or_insert(name);
                    }
                },
                bytes => out.push(bytes),
            },
            // Only before an encoder (see `string_patterns`): every spelling, or an error.
            Modifier::Windash => match text {
                Text::Pattern(p) => {
                    let variants = windash_variants(&p, MAX_VARIANTS).ok_or_else(|| {
                        too_many_variants(span).with_label("`|windash` before an encoder")
                    })?;
                    out.extend(variants.into_iter().map(Text::Pattern));
                }
                bytes => out.push(bytes),
            },
            Modifier::Utf16Le | Modifier::Utf16Be | Modifier::Utf16 => {
                let plain = literal_of(&text, modifier, span)?;
                out.push(Text::Bytes(encode_utf16(&plain, modifier)));
            }
            Modifier::Base64 => {
                let bytes = bytes_of(&text, modifier, span)?;
                out.push(Text::Pattern(escape_wildcards(&base64(&bytes))));
            }
            Modifier::Base64Offset => {
                let bytes = bytes_of(&text, modifier, span)?;
                out.extend(
                    base64_offsets(&bytes)
                        .into_iter()
                        .map(|v| Text::Pattern(escape_wildcards(&v))),
                );
            }
            _ => out.push(text),
        }
    }
    Ok(out)
}

fn map_pattern(text: Text, f: impl Fn(&str) -> String) -> Text {
    match text {
        Text::Pattern(p) => Text::Pattern(f(&p)),
        Text::Bytes(b) => Text::Pattern(f(&escape_wildcards(&latin1(&b)))),
    }
}

/// Adds `*` at the start and/or end of a pattern unless one is already there.
///
/// Works on tokens, not text: a value ending in a lone backslash (`'\Temp\'`, a literal
/// backslash) must not turn the added `*` into an escaped star.
fn wrap(pattern: &str, start: bool, end: bool) -> String {
    let mut tokens = parse_wildcards(pattern);
    if start && tokens.first() != Some(&GlobToken::Star) {
        tokens.insert(0, GlobToken::Star);
    }
    if end && tokens.last() != Some(&GlobToken::Star) {
        tokens.push(GlobToken::Star);
    }
    glob_text(&tokens)
}

/// Whether an encoding modifier (`wide`, `utf16*`, `base64*`) comes after modifier `index`.
fn encoded_after(key: &FieldKey, index: usize) -> bool {
    key.modifiers[index + 1..].iter().any(|(m, _)| {
        matches!(
            m,
            Modifier::Utf16Le
                | Modifier::Utf16Be
                | Modifier::Utf16
                | Modifier::Base64
                | Modifier::Base64Offset
        )
    })
}

/// The error of a value whose modifiers multiply it past [`MAX_VARIANTS`] spellings.
fn too_many_variants(span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidValue,
        span,
        format!("this value expands to more than {MAX_VARIANTS} variants"),
    )
    .with_help(
        "`|expand` with many values, and `|windash` before an encoder, multiply a value's \
         spellings: split the value, or give fewer placeholder values",
    )
}

/// The comparison of `|lt`, `|lte`, `|gt` or `|gte`, if the key has one.
fn compare_op(key: &FieldKey) -> Option<CompareOp> {
    [
        (Modifier::Lt, CompareOp::Lt),
        (Modifier::Lte, CompareOp::Lte),
        (Modifier::Gt, CompareOp::Gt),
        (Modifier::Gte, CompareOp::Gte),
    ]
    .into_iter()
    .find(|(m, _)| key.has(*m))
    .map(|(_, op)| op)
}

/// The warning for a value whose placeholder has no values: the rule loads, but cannot run.
fn placeholder_without_values(name: &str, span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::PlaceholderWithoutValues,
        span,
        format!("placeholder `%{name}%` has no values: `sigil hunt` skips this rule"),
    )
    .with_label("used with `|expand`")
    .with_help("give its values in a YAML file passed with `--placeholders FILE`")
}

/// The literal text of a pattern, for encoders (wildcards cannot be encoded).
fn literal_of(text: &Text, modifier: Modifier, span: Span) -> Result<String, Diagnostic> {
    match text {
        Text::Bytes(b) => Ok(latin1(b)),
        Text::Pattern(p) => {
            let tokens = parse_wildcards(p);
            match tokens.as_slice() {
                [] => Ok(String::new()),
                [GlobToken::Literal(s)] => Ok(s.clone()),
                _ => Err(Diagnostic::new(
                    Code::InvalidModifierUse,
                    span,
                    format!("`{}` cannot encode a value with wildcards", modifier.name()),
                )
                .with_help("put `contains`/`startswith`/`endswith` after the encoding modifiers")),
            }
        }
    }
}

fn bytes_of(text: &Text, modifier: Modifier, span: Span) -> Result<Vec<u8>, Diagnostic> {
    match text {
        Text::Bytes(b) => Ok(b.clone()),
        Text::Pattern(_) => Ok(literal_of(text, modifier, span)?.into_bytes()),
    }
}

fn scalar_text(node: &Node) -> Option<String> {
    match &node.value {
        Value::Str(s) => Some(s.clone()),
        Value::Number { text, .. } => Some(text.clone()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn number_of(node: &Node) -> Option<f64> {
    match &node.value {
        Value::Number { value, .. } => Some(*value),
        Value::Str(s) => parse_number(s),
        _ => None,
    }
}

/// Parses `10.0.0.0/8`, `2001:db8::/32`, or a bare address (a host network).
pub fn parse_cidr(text: &str) -> Option<IpNet> {
    let text = text.trim();
    text.parse::<IpNet>()
        .ok()
        .map(|net| net.trunc())
        .or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_accepts_networks_and_addresses() {
        assert_eq!(parse_cidr("10.1.2.3/8").unwrap().to_string(), "10.0.0.0/8");
        assert_eq!(parse_cidr("::1").unwrap().to_string(), "::1/128");
        assert!(parse_cidr("10.0.0.0/33").is_none());
        assert!(parse_cidr("nope").is_none());
    }
}
