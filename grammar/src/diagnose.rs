//! Turning pest's parsing errors into messages about the tokens a rule author types.
//!
//! pest reports the position where parsing stopped and the grammar rules it tried there
//! (`positives`). Each rule is mapped to an [`Expected`] token, and the text at the position
//! to the token that was found, which gives "expected `and`, `or` or `)`, found `filter`".
//! A few situations get a message of their own because the generic one would mislead:
//! an unclosed `(` (reported at the parenthesis, not at the end), an unmatched `)`, a
//! wildcard outside `1 of`/`all of`, and operators from other languages (`&&`, `||`, `!`).

use std::collections::BTreeSet;

use pest::error::{Error, ErrorVariant, InputLocation};

use crate::ast::Span;
use crate::error::{ParseError, ParseErrorKind};
use crate::grammar::Rule;
use crate::nesting::{ParenBalance, is_name_char};

/// The longest found-token text quoted in a message; longer tokens are cut with `…`.
const MAX_QUOTED_CHARS: usize = 40;

/// Describes a pest parsing error in `condition` in user-facing terms.
pub(crate) fn syntax_error(
    condition: &str,
    error: &Error<Rule>,
    parens: &ParenBalance,
) -> ParseError {
    let position = match error.location {
        InputLocation::Pos(position) => position,
        InputLocation::Span((start, _)) => start,
    };
    let expected = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => expected_tokens(positives),
        ErrorVariant::CustomError { .. } => BTreeSet::new(),
    };
    let syntax = |span, message: String| ParseError::new(ParseErrorKind::Syntax, span, message);

    if condition[position..].trim_start().is_empty() {
        if let (Some(&paren), true) = (
            parens.unclosed.last(),
            expected.contains(&Expected::CloseParen),
        ) {
            return syntax(Span::new(paren, paren + 1), "unclosed `(`".into())
                .with_help("add a `)` to close it");
        }
        let end = Span::at(condition.trim_end().len());
        return syntax(
            end,
            format!("unexpected end of condition, expected {}", list(&expected)),
        );
    }

    let found = found_token(condition, position);
    let found_text = found.text(condition);
    if parens.first_unmatched_close == Some(found.start) {
        return syntax(found, "unmatched `)`".into())
            .with_help("remove it, or add the `(` it closes");
    }
    if found_text.contains('*') {
        return syntax(
            found,
            format!(
                "the pattern {} can only follow `1 of` or `all of`",
                quote(found_text)
            ),
        )
        .with_help(format!(
            "write `1 of {found_text}` (any of the matching detections) or `all of {found_text}`"
        ));
    }
    let error = syntax(
        found,
        format!("expected {}, found {}", list(&expected), quote(found_text)),
    );
    match foreign_operator_replacement(found_text) {
        Some(replacement) => {
            error.with_help(format!("Sigma writes this operator as `{replacement}`"))
        }
        None => error,
    }
}

/// A token the parser can expect, in the order messages list them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Expected {
    Identifier,
    Not,
    OpenParen,
    OneOf,
    AllOf,
    Of,
    OfTarget,
    And,
    Or,
    CloseParen,
    End,
}

impl Expected {
    /// How a message names the token.
    fn describe(self) -> &'static str {
        match self {
            Expected::Identifier => "an identifier",
            Expected::Not => "`not`",
            Expected::OpenParen => "`(`",
            Expected::OneOf => "`1 of`",
            Expected::AllOf => "`all of`",
            Expected::Of => "`of`",
            Expected::OfTarget => "`them` or an identifier pattern",
            Expected::And => "`and`",
            Expected::Or => "`or`",
            Expected::CloseParen => "`)`",
            Expected::End => "end of condition",
        }
    }

    /// The tokens that can start `rule`. Legacy pipe clauses are never suggested.
    fn starting(rule: Rule) -> &'static [Expected] {
        match rule {
            // pest reports a rule instead of its parts when none of them made progress.
            Rule::condition | Rule::expr => &[
                Expected::Identifier,
                Expected::Not,
                Expected::OpenParen,
                Expected::OneOf,
                Expected::AllOf,
            ],
            Rule::ident => &[Expected::Identifier],
            Rule::not_op => &[Expected::Not],
            Rule::group | Rule::paren_open => &[Expected::OpenParen],
            Rule::of_expr | Rule::all_kw | Rule::any_kw | Rule::count => {
                &[Expected::OneOf, Expected::AllOf]
            }
            Rule::of_kw => &[Expected::Of],
            Rule::them | Rule::pattern => &[Expected::OfTarget],
            Rule::and_op => &[Expected::And],
            Rule::or_op => &[Expected::Or],
            Rule::paren_close => &[Expected::CloseParen],
            Rule::EOI => &[Expected::End],
            Rule::binary_op
            | Rule::operand
            | Rule::quantifier
            | Rule::of_target
            | Rule::keyword
            | Rule::ident_char
            | Rule::pattern_char
            | Rule::WHITESPACE
            | Rule::pipe_clause
            | Rule::near_clause
            | Rule::aggregation => &[],
        }
    }
}

/// The user-facing tokens behind pest's `positives`, deduplicated and in message order.
fn expected_tokens(positives: &[Rule]) -> BTreeSet<Expected> {
    positives
        .iter()
        .flat_map(|&rule| Expected::starting(rule))
        .copied()
        .collect()
}

/// Joins token names as "a, b or c".
fn list(expected: &BTreeSet<Expected>) -> String {
    let names: Vec<&str> = expected.iter().map(|token| token.describe()).collect();
    match names.split_last() {
        None => "nothing more".to_owned(),
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// The token at `position`: a whole name or pattern (extended backwards too, so that `sel*`
/// is found whole when parsing stopped at its `*`), a run of `&` or `|`, or one character.
fn found_token(condition: &str, position: usize) -> Span {
    let is_pattern_char = |c: char| is_name_char(c) || c == '*';
    let (before, rest) = condition.split_at(position);
    let first = rest.chars().next().unwrap_or_default();
    let rest_after = if is_pattern_char(first) {
        rest.trim_start_matches(is_pattern_char)
    } else if first == '&' || first == '|' {
        rest.trim_start_matches(first)
    } else {
        &rest[first.len_utf8().min(rest.len())..]
    };
    let start = if is_pattern_char(first) {
        before.trim_end_matches(is_pattern_char).len()
    } else {
        position
    };
    Span::new(start, condition.len() - rest_after.len())
}

/// Quotes found text for a message: escaped, and cut if very long.
fn quote(text: &str) -> String {
    let mut quoted: String = text
        .chars()
        .take(MAX_QUOTED_CHARS)
        .flat_map(char::escape_debug)
        .collect();
    if text.chars().nth(MAX_QUOTED_CHARS).is_some() {
        quoted.push('…');
    }
    format!("`{quoted}`")
}

/// The Sigma keyword for an operator from C-like languages.
fn foreign_operator_replacement(token: &str) -> Option<&'static str> {
    match token {
        "&" | "&&" => Some("and"),
        "||" => Some("or"),
        "!" => Some("not"),
        _ => None,
    }
}
