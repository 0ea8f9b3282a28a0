//! The typed syntax tree of a condition.
//!
//! Every node carries the [`Span`] of the condition text it was parsed from. Chains of one
//! operator are n-ary (`a and b and c` is one [`ExprKind::And`] with three operands), but a
//! parenthesized chain is not merged into an enclosing one (`a and (b and c)` keeps two
//! `and` nodes), so the tree keeps the shape the author wrote.
//!
//! [`Expr`] displays as a canonical S-expression, the format of `sigil debug ast`:
//!
//! ```
//! let expr = sigil_grammar::parse("selection and not filter or 1 of sel*").unwrap();
//! assert_eq!(expr.to_string(), r#"(or (and selection (not filter)) (1-of "sel*"))"#);
//! ```

use std::fmt;

/// A range of byte offsets into the condition string, `start..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Span {
    /// Offset of the first byte.
    pub start: usize,
    /// Offset one past the last byte.
    pub end: usize,
}

impl Span {
    /// The span `start..end`.
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// The empty span at `offset`, used for positions such as the end of the input.
    pub fn at(offset: usize) -> Self {
        Span::new(offset, offset)
    }

    /// The smallest span covering both `self` and `other`.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    /// The text this span covers in `source`.
    ///
    /// # Panics
    ///
    /// If the span is out of bounds or not on character boundaries of `source`, which cannot
    /// happen for spans produced by parsing `source`.
    pub fn text(self, source: &str) -> &str {
        &source[self.start..self.end]
    }
}

impl From<pest::Span<'_>> for Span {
    fn from(span: pest::Span<'_>) -> Self {
        Span::new(span.start(), span.end())
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// A node of the condition tree, with the span of the text it was parsed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expr {
    /// What the node is.
    pub kind: ExprKind,
    /// Where it is in the condition. A node's span covers its own tokens: the span of `a` in
    /// `(a) and b` is `1..2`, and the parentheses belong to the span of the `and`, `0..9`.
    pub span: Span,
}

/// The kinds of condition nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExprKind {
    /// A reference to a detection (search identifier) by name, such as `selection`.
    Ident(String),
    /// `not X`.
    Not(Box<Expr>),
    /// `X and Y and ...`: at least two operands, true when all are.
    And(Vec<Expr>),
    /// `X or Y or ...`: at least two operands, true when one is.
    Or(Vec<Expr>),
    /// `1 of X`, `any of X`, `N of X` or `all of X`.
    Of {
        /// How many of the selected detections must match.
        quantifier: Quantifier,
        /// Which detections are selected.
        target: OfTarget,
        /// The span of the target (`them` or the pattern) alone.
        target_span: Span,
    },
}

/// How many of the detections selected by an `of` expression must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Quantifier {
    /// `all of`: every selected detection.
    All,
    /// `N of`: at least N of them (`1 of` and `any of` are `AtLeast(1)`); N is never 0.
    AtLeast(u32),
}

/// The detections an `of` expression selects.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OfTarget {
    /// `them`: every detection whose name does not start with `_`.
    Them,
    /// A name pattern in which `*` matches any run of characters, such as `selection*`.
    Pattern(String),
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Ident(name) => f.write_str(name),
            ExprKind::Not(operand) => write!(f, "(not {operand})"),
            ExprKind::And(operands) => write_list(f, "and", operands),
            ExprKind::Or(operands) => write_list(f, "or", operands),
            ExprKind::Of {
                quantifier, target, ..
            } => write!(f, "({quantifier}-of {target})"),
        }
    }
}

/// Writes `(operator operand1 operand2 ...)`.
fn write_list(f: &mut fmt::Formatter<'_>, operator: &str, operands: &[Expr]) -> fmt::Result {
    write!(f, "({operator}")?;
    for operand in operands {
        write!(f, " {operand}")?;
    }
    f.write_str(")")
}

impl fmt::Display for Quantifier {
    /// `all`, or the number of detections required.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Quantifier::All => f.write_str("all"),
            Quantifier::AtLeast(count) => write!(f, "{count}"),
        }
    }
}

impl fmt::Display for OfTarget {
    /// `them`, or the pattern in double quotes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OfTarget::Them => f.write_str("them"),
            OfTarget::Pattern(pattern) => write!(f, "\"{pattern}\""),
        }
    }
}
