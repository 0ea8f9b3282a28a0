//! One string pattern of a rule (equality, `contains`, wildcards, `|re`) as an SQL predicate
//! on a text expression, with Sigil's folding of case.
//!
//! Uncased patterns whose text is ASCII compare with the value's ASCII letters lowercased
//! (Sigil folds nothing else into ASCII, [`sigil_compiler::fold_case`]):
//!
//! ```text
//! eventName: StopLogging          translate(eventname, 'AB…Z', 'ab…z') = 'stoplogging'
//! userAgent|contains: 'S3 Browser' translate(useragent, …) LIKE '%s3 browser%' ESCAPE '\'
//! eventName|cased: Stop*          eventname LIKE 'Stop%' ESCAPE '\'
//! ```
//!
//! Uncased patterns with other letters become a regex in which each character is the class of
//! every character Sigil folds to it (`é` is `[Éé]`): the engines' own `lower` differs from
//! Sigil's folding (and from each other's) outside ASCII. `|re` values go through
//! [`crate::regex`]. A pattern written as a YAML number also matches a string holding that
//! number (`'403.0'`), as Sigil's does.

use crate::Refusal;
use crate::dialect::Dialect;
use crate::regex;
use regex_syntax::hir::{ClassUnicode, ClassUnicodeRange, Dot, Hir, Look};
use sigil_compiler::{GlobToken, StrKind, StrMatch, WINDASH, fold_case};
use std::collections::HashMap;
use std::sync::OnceLock;

/// Text that reads as a JSON number (Sigil's `parse_json_number`), for numeric strings.
const JSON_NUMBER: &str = r"\A-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?\z";

/// A double as an SQL literal that every engine reads as `DOUBLE` and that rounds back to the
/// same value (`4.03e2`).
pub(crate) fn double(n: f64) -> String {
    format!("{n:e}")
}

/// Whether one of `patterns` matches the text `text`: uncased ASCII equalities together in one
/// `IN` list (the text folded once), the others one by one.
pub(crate) fn any_matches(
    d: &dyn Dialect,
    patterns: &[&StrMatch],
    text: &str,
) -> Result<String, Refusal> {
    let (plain, others): (Vec<&StrMatch>, Vec<&StrMatch>) = patterns.iter().partition(|p| {
        !p.cased && !p.numeric_strings && matches!(&p.kind, StrKind::Equals(s) if s.is_ascii())
    });
    let mut parts = others
        .into_iter()
        .map(|p| matches(d, p, text))
        .collect::<Result<Vec<_>, _>>()?;
    if plain.len() > 1 {
        let values: Vec<String> = plain
            .iter()
            .map(|p| match &p.kind {
                StrKind::Equals(s) => d.string(s),
                _ => unreachable!("equalities only"),
            })
            .collect();
        parts.push(format!(
            "{} IN ({})",
            d.ascii_lower(text),
            values.join(", ")
        ));
    } else if let Some(p) = plain.first() {
        parts.push(matches(d, p, text)?);
    }
    Ok(match parts.len() {
        1 => parts.remove(0),
        _ => format!("({})", parts.join(" OR ")),
    })
}

/// Whether `pattern` matches the text `text` (an SQL string expression, not `NULL`).
pub(crate) fn matches(d: &dyn Dialect, pattern: &StrMatch, text: &str) -> Result<String, Refusal> {
    let mut test = text_matches(d, pattern, text)?;
    if pattern.numeric_strings
        && let Some(number) = pattern.number
    {
        test = format!(
            "({test} OR ({} AND {} = {}))",
            d.regex_match(text, JSON_NUMBER),
            d.try_double(text),
            double(number)
        );
    }
    Ok(test)
}

fn text_matches(d: &dyn Dialect, pattern: &StrMatch, text: &str) -> Result<String, Refusal> {
    let tokens = match &pattern.kind {
        StrKind::Regex(re) => {
            let translated = regex::translate(
                &re.source,
                re.case_insensitive,
                re.multi_line,
                re.dot_all,
                d.regex_flavour(),
            )
            .map_err(|why| Refusal::new(format!("`{}`: {why}", re.source)))?;
            return Ok(d.regex_match(text, &translated));
        }
        StrKind::Equals(s) => vec![GlobToken::Literal(s.clone())],
        StrKind::StartsWith(s) => vec![GlobToken::Literal(s.clone()), GlobToken::Star],
        StrKind::EndsWith(s) => vec![GlobToken::Star, GlobToken::Literal(s.clone())],
        StrKind::Contains(s) => vec![
            GlobToken::Star,
            GlobToken::Literal(s.clone()),
            GlobToken::Star,
        ],
        StrKind::Glob(tokens) => tokens.clone(),
    };
    // `LIKE` has no character classes: a `|windash` dash, or (uncased) a letter outside ASCII,
    // makes the pattern a regex.
    let needs_classes = tokens.iter().any(|t| match t {
        GlobToken::Literal(s) => !pattern.cased && !s.is_ascii(),
        GlobToken::Dash => true,
        GlobToken::Star | GlobToken::Question => false,
    });
    if needs_classes {
        let hir = glob_regex(&tokens, pattern.cased);
        let translated = regex::write(&hir, d.regex_flavour()).map_err(Refusal::new)?;
        return Ok(d.regex_match(text, &translated));
    }
    let subject = if pattern.cased {
        text.to_string()
    } else {
        d.ascii_lower(text)
    };
    Ok(match tokens.as_slice() {
        [] => format!("{subject} = ''"),
        [GlobToken::Literal(s)] => format!("{subject} = {}", d.string(s)),
        _ => d.like(&subject, &like_pattern(&tokens)),
    })
}

/// A wildcard pattern as a `LIKE` pattern escaped with `\`.
fn like_pattern(tokens: &[GlobToken]) -> String {
    let mut out = String::new();
    for token in tokens {
        match token {
            GlobToken::Star => out.push('%'),
            GlobToken::Question => out.push('_'),
            GlobToken::Literal(s) => {
                for c in s.chars() {
                    if matches!(c, '%' | '_' | '\\') {
                        out.push('\\');
                    }
                    out.push(c);
                }
            }
            GlobToken::Dash => unreachable!("dash classes are written as regexes"),
        }
    }
    out
}

/// A wildcard pattern as a regex, anchored at both ends: `*` any run of characters, `?` one
/// character, a dash one of [`WINDASH`]; uncased (the pattern's text folded, the value's not),
/// each character the class of the characters Sigil folds to it.
fn glob_regex(tokens: &[GlobToken], cased: bool) -> Hir {
    let any = || Hir::dot(Dot::AnyChar);
    let class = |chars: &[char]| {
        let matching = chars
            .iter()
            .flat_map(|&c| if cased { vec![c] } else { unfolded(c) });
        let ranges = matching.map(|u| ClassUnicodeRange::new(u, u));
        Hir::class(regex_syntax::hir::Class::Unicode(ClassUnicode::new(ranges)))
    };
    let mut parts = vec![Hir::look(Look::Start)];
    for token in tokens {
        match token {
            GlobToken::Star => parts.push(Hir::repetition(regex_syntax::hir::Repetition {
                min: 0,
                max: None,
                greedy: true,
                sub: Box::new(any()),
            })),
            GlobToken::Question => parts.push(any()),
            GlobToken::Dash => parts.push(class(&WINDASH)),
            GlobToken::Literal(s) => parts.extend(s.chars().map(|c| class(&[c]))),
        }
    }
    parts.push(Hir::look(Look::End));
    Hir::concat(parts)
}

/// Every character that Sigil's folding maps to `folded` (itself included).
fn unfolded(folded: char) -> Vec<char> {
    if folded.is_ascii() {
        return vec![folded, folded.to_ascii_uppercase()];
    }
    static PREIMAGES: OnceLock<HashMap<char, Vec<char>>> = OnceLock::new();
    let preimages = PREIMAGES.get_or_init(|| {
        let mut map: HashMap<char, Vec<char>> = HashMap::new();
        let mut buffer = [0u8; 4];
        for c in (0x80..=0x10FFFF).filter_map(char::from_u32) {
            let folded = fold_case(c.encode_utf8(&mut buffer));
            let mut chars = folded.chars();
            if let (Some(f), None) = (chars.next(), chars.next())
                && f != c
            {
                map.entry(f).or_default().push(c);
            }
        }
        map
    });
    let mut all = vec![folded];
    all.extend(preimages.get(&folded).into_iter().flatten().copied());
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Target;

    fn sql(value: &str, cased: bool, target: Target) -> String {
        let pattern = StrMatch::from_sigma_value(value, cased).unwrap();
        matches(target.dialect(), &pattern, "x").unwrap()
    }

    #[test]
    fn ascii_patterns_compare_lowercased_ascii() {
        let eq = sql("StopLogging", false, Target::DuckDb);
        assert!(
            eq.starts_with("lower(replace(") && eq.ends_with("= 'stoplogging'"),
            "{eq}"
        );
        let like = sql("*100%_x\\*", false, Target::Athena);
        assert!(like.ends_with(r"LIKE '%100\%\_x*' ESCAPE '\'"), "{like}");
        assert_eq!(sql("Stop*", true, Target::Spark), "x LIKE 'Stop%'");
    }

    #[test]
    fn other_letters_become_classes() {
        let re = sql("*é*", false, Target::DuckDb);
        assert!(re.starts_with("regexp_matches(x, '\\A"), "{re}");
        assert!(re.contains("[Éé]") || re.contains("[éÉ]"), "{re}");
        assert!(unfolded('k').contains(&'K') && !unfolded('k').contains(&'\u{212A}'));
    }

    #[test]
    fn windash_dashes_are_classes() {
        let tokens = || sigil_compiler::windash_classes(sigil_compiler::parse_wildcards("* -C*"));
        let pattern = StrMatch::from_tokens(tokens(), false);
        let re = matches(Target::DuckDb.dialect(), &pattern, "x").unwrap();
        assert!(re.starts_with("regexp_matches(x, '\\A"), "{re}");
        assert!(re.contains('\u{2015}') && re.contains("[Cc]"), "{re}");
        let pattern = StrMatch::from_tokens(tokens(), true);
        let cased = matches(Target::DuckDb.dialect(), &pattern, "x").unwrap();
        assert!(
            cased.contains('\u{2015}') && !cased.contains("[Cc]"),
            "{cased}"
        );
    }

    #[test]
    fn yaml_numbers_match_numeric_strings() {
        let mut pattern = StrMatch::from_sigma_value("403", false).unwrap();
        pattern.numeric_strings = true;
        let sql = matches(Target::Athena.dialect(), &pattern, "x").unwrap();
        assert!(sql.contains("TRY_CAST(x AS DOUBLE) = 4.03e2"), "{sql}");
    }
}
