//! Parse errors: what went wrong, where, and how to fix it when the fix is obvious.
//!
//! Messages name the tokens a rule author types (`and`, `)`, `1 of`), never grammar rules.
//! The library does not render errors; the `sigil` binary draws them with their span.

use crate::ast::Span;

/// An error found while parsing a condition.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    /// The class of the error, for callers that treat some classes specially.
    pub kind: ParseErrorKind,
    /// The offending text: byte offsets into the condition. Empty at the end of the input.
    pub span: Span,
    /// A one-line description, such as "expected `and`, `or` or `)`, found `filter`".
    pub message: String,
    /// A suggested fix, when there is an obvious one.
    pub help: Option<String>,
}

/// The classes of [`ParseError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParseErrorKind {
    /// The condition is empty or only whitespace.
    Empty,
    /// The text does not follow the grammar: an unexpected token, unbalanced parentheses, or
    /// an unexpected end of the condition.
    Syntax,
    /// Parentheses and `not`s nest more than [`MAX_DEPTH`](crate::MAX_DEPTH) levels deep.
    TooDeep,
    /// A legacy aggregation such as `| count() by user > 5`; correlation rules replace these.
    Aggregation,
    /// A legacy `| near ...` clause; temporal correlation rules replace these.
    Near,
    /// `0 of X`, which is always true and so almost certainly a mistake.
    ZeroQuantifier,
    /// `N of X` with an N that does not fit in a `u32`.
    QuantifierTooLarge,
}

impl ParseError {
    /// An error without help.
    pub(crate) fn new(kind: ParseErrorKind, span: Span, message: impl Into<String>) -> Self {
        ParseError {
            kind,
            span,
            message: message.into(),
            help: None,
        }
    }

    /// The same error with a suggested fix.
    pub(crate) fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}
