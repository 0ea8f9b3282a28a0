//! A pre-pass that bounds nesting before the recursive parser sees the condition.
//!
//! pest recurses once per parenthesis level and the Pratt parser once per `not`, so a hostile
//! condition such as 10,000 `(` or 10,000 `not`s would overflow the stack. This pass walks
//! the text once, iteratively, and measures the nesting depth the parser would reach: each
//! `(` opens a level until its `)`, and each `not` opens a level until its operand ends (at
//! the next identifier or at the `)` closing a group that started after it). For example
//! `not (not a) and b` reaches depth 3 at `a`. A condition deeper than [`MAX_DEPTH`] is
//! refused with [`ParseErrorKind::TooDeep`].
//!
//! The pass is deliberately simple: it does not validate anything, it only over-approximates
//! the parser's depth (a `(` inside a legacy `| count(...)` clause counts too). As a by-product
//! it reports unbalanced parentheses, for the "unclosed `(`" and "unmatched `)`" errors.

use crate::ast::Span;
use crate::error::{ParseError, ParseErrorKind};

/// The deepest nesting of parentheses and `not`s a condition may have.
///
/// SigmaHQ's rules nest at most 2 parentheses deep. The bound keeps the recursive parser, and
/// every recursive walk over the tree, far from the end of even a small thread stack: an
/// unoptimized build spends about 4.5 KiB of stack per parenthesis level inside pest, so 32
/// levels take under 150 KiB, and 64 would overflow a 256 KiB stack.
pub const MAX_DEPTH: usize = 32;

/// The unbalanced parentheses of a condition, as byte offsets.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct ParenBalance {
    /// The `(`s never closed, outermost first.
    pub(crate) unclosed: Vec<usize>,
    /// The first `)` that closes nothing.
    pub(crate) first_unmatched_close: Option<usize>,
}

/// Checks the nesting of `condition` and reports its unbalanced parentheses.
pub(crate) fn check_nesting(condition: &str) -> Result<ParenBalance, ParseError> {
    // One entry per open `(`: its offset and the `not`s pending outside it.
    let mut open_groups: Vec<(usize, usize)> = Vec::new();
    let mut pending_nots = 0;
    let mut depth = 0;
    let mut first_unmatched_close = None;
    for word in Words::new(condition) {
        match word.text {
            "(" => {
                open_groups.push((word.start, pending_nots));
                pending_nots = 0;
                depth += 1;
            }
            ")" => {
                // The group is an operand: it ends the `not`s pending outside it.
                let outer_nots = match open_groups.pop() {
                    Some((_, nots)) => nots + 1,
                    None => {
                        first_unmatched_close.get_or_insert(word.start);
                        0
                    }
                };
                depth -= pending_nots + outer_nots;
                pending_nots = 0;
            }
            text if text.eq_ignore_ascii_case("not") => {
                pending_nots += 1;
                depth += 1;
            }
            text if text.eq_ignore_ascii_case("and") || text.eq_ignore_ascii_case("or") => {}
            _ => {
                // An operand such as an identifier ends the pending `not`s.
                depth -= pending_nots;
                pending_nots = 0;
            }
        }
        if depth > MAX_DEPTH {
            return Err(too_deep(word.span()));
        }
    }
    Ok(ParenBalance {
        unclosed: open_groups.into_iter().map(|(offset, _)| offset).collect(),
        first_unmatched_close,
    })
}

/// The error for a condition that nests too deeply, pointing at the token that went too deep.
fn too_deep(span: Span) -> ParseError {
    ParseError::new(
        ParseErrorKind::TooDeep,
        span,
        format!(
            "the condition nests too deeply: more than {MAX_DEPTH} levels of parentheses \
             and `not`"
        ),
    )
    .with_help("name the inner parts as separate detections and combine those")
}

/// A token of the pre-pass: a run of name characters or a single other character.
struct Word<'a> {
    start: usize,
    text: &'a str,
}

impl Word<'_> {
    fn span(&self) -> Span {
        Span::new(self.start, self.start + self.text.len())
    }
}

/// Splits a condition into [`Word`]s, skipping whitespace.
struct Words<'a> {
    condition: &'a str,
    offset: usize,
}

impl<'a> Words<'a> {
    fn new(condition: &'a str) -> Self {
        Words {
            condition,
            offset: 0,
        }
    }
}

impl<'a> Iterator for Words<'a> {
    type Item = Word<'a>;

    fn next(&mut self) -> Option<Word<'a>> {
        let rest = &self.condition[self.offset..];
        let trimmed = rest.trim_start_matches(|c: char| c.is_ascii_whitespace());
        let start = self.offset + (rest.len() - trimmed.len());
        let first = trimmed.chars().next()?;
        let len = if is_name_char(first) {
            trimmed.find(|c| !is_name_char(c)).unwrap_or(trimmed.len())
        } else {
            first.len_utf8()
        };
        self.offset = start + len;
        Some(Word {
            start,
            text: &trimmed[..len],
        })
    }
}

/// Whether `c` may appear in a detection name (the grammar's `ident_char`).
pub(crate) fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth_error(condition: &str) -> Option<Span> {
        check_nesting(condition).err().map(|error| error.span)
    }

    #[test]
    fn nesting_at_the_limit_passes() {
        let parens = format!("{}a{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert_eq!(depth_error(&parens), None);
        let nots = format!("{}a", "not ".repeat(MAX_DEPTH));
        assert_eq!(depth_error(&nots), None);
    }

    #[test]
    fn nesting_past_the_limit_points_at_the_token_too_deep() {
        let parens = "(".repeat(MAX_DEPTH + 1);
        assert_eq!(
            depth_error(&parens),
            Some(Span::new(MAX_DEPTH, MAX_DEPTH + 1))
        );
        let nots = "not ".repeat(MAX_DEPTH + 1);
        let last = 4 * MAX_DEPTH;
        assert_eq!(depth_error(&nots), Some(Span::new(last, last + 3)));
    }

    #[test]
    fn nots_end_at_their_operand() {
        // Sequential `not`s do not add up: each ends at its identifier.
        let sequential = vec!["not a"; 3 * MAX_DEPTH].join(" and ");
        assert_eq!(depth_error(&sequential), None);
        // A `not` before a group lasts until the group closes.
        let nested = format!(
            "{}a{}",
            "not (".repeat(MAX_DEPTH / 2),
            ")".repeat(MAX_DEPTH / 2)
        );
        assert_eq!(depth_error(&nested), None);
        let too_nested = format!("{}a", "not (".repeat(MAX_DEPTH / 2 + 1));
        assert!(depth_error(&too_nested).is_some());
    }

    #[test]
    fn reports_unbalanced_parentheses() {
        let balance = |unclosed: Vec<usize>, first_unmatched_close| ParenBalance {
            unclosed,
            first_unmatched_close,
        };
        assert_eq!(
            check_nesting("(a and (b) or (c"),
            Ok(balance(vec![0, 14], None))
        );
        assert_eq!(check_nesting("a) and (b))"), Ok(balance(vec![], Some(1))));
        assert_eq!(check_nesting("(a and ()"), Ok(balance(vec![0], None)));
    }

    #[test]
    fn words_split_names_and_single_characters() {
        let words: Vec<&str> = Words::new(" NOT(sel_1*) é").map(|w| w.text).collect();
        assert_eq!(words, ["NOT", "(", "sel_1", "*", ")", "é"]);
    }
}
