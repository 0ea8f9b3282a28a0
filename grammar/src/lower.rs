//! Lowering pest's parse tree to the typed [`Expr`] tree.
//!
//! The grammar's `expr` rule is flat (`not* operand (op not* operand)*`); one PrattParser
//! applies precedence (`not` > `and` > `or`, both binary operators left-associative). Chains
//! of one operator are flattened into one n-ary node as they are built, except across
//! parentheses: `a and (b and c)` keeps its group. Checks the grammar does not express
//! (legacy pipe clauses, quantifier range) are made here.

use std::sync::LazyLock;

use pest::iterators::Pair;
use pest::pratt_parser::{Assoc, Op, PrattParser};

use crate::ast::{Expr, ExprKind, OfTarget, Quantifier, Span};
use crate::error::{ParseError, ParseErrorKind};
use crate::grammar::Rule;

/// Operator precedence, loosest first.
static PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    PrattParser::new()
        .op(Op::infix(Rule::or_op, Assoc::Left))
        .op(Op::infix(Rule::and_op, Assoc::Left))
        .op(Op::prefix(Rule::not_op))
});

/// Lowers the pair of the `condition` rule.
pub(crate) fn lower_condition(condition: Pair<'_, Rule>) -> Result<Expr, ParseError> {
    let mut parts = condition.into_inner();
    let expr = parts.next().expect("a condition starts with an expression");
    if let Some(clause) = parts.next() {
        reject_pipe_clause(&clause)?;
    }
    Ok(lower_expr(expr)?.expr)
}

/// An expression being built, with its span including any parentheses around it. A node's
/// own span covers its tokens; the parentheses around a group belong to the enclosing node.
struct Lowered {
    expr: Expr,
    outer_span: Span,
}

impl Lowered {
    /// An expression without parentheses around it.
    fn bare(kind: ExprKind, span: Span) -> Self {
        Lowered {
            expr: Expr { kind, span },
            outer_span: span,
        }
    }

    /// Whether the expression is a parenthesized group, which is not merged into an
    /// enclosing chain of the same operator.
    fn is_parenthesized(&self) -> bool {
        self.outer_span != self.expr.span
    }
}

/// Lowers an `expr` pair with the PrattParser.
fn lower_expr(expr: Pair<'_, Rule>) -> Result<Lowered, ParseError> {
    PRATT
        .map_primary(lower_operand)
        .map_prefix(|not, operand| {
            let operand = operand?;
            let span = Span::from(not.as_span()).to(operand.outer_span);
            Ok(Lowered::bare(ExprKind::Not(Box::new(operand.expr)), span))
        })
        .map_infix(|left, operator, right| {
            let (left, right) = (left?, right?);
            let span = left.outer_span.to(right.outer_span);
            let is_and = operator.as_rule() == Rule::and_op;
            let merge = !left.is_parenthesized();
            let mut operands = match left.expr.kind {
                ExprKind::And(operands) if merge && is_and => operands,
                ExprKind::Or(operands) if merge && !is_and => operands,
                kind => vec![Expr {
                    kind,
                    span: left.expr.span,
                }],
            };
            operands.push(right.expr);
            let kind = if is_and {
                ExprKind::And(operands)
            } else {
                ExprKind::Or(operands)
            };
            Ok(Lowered::bare(kind, span))
        })
        .parse(expr.into_inner())
}

/// Lowers an operand: a `group`, an `of_expr` or an `ident`.
fn lower_operand(operand: Pair<'_, Rule>) -> Result<Lowered, ParseError> {
    let span = Span::from(operand.as_span());
    match operand.as_rule() {
        Rule::group => {
            let inner = operand
                .into_inner()
                .find(|pair| pair.as_rule() == Rule::expr)
                .expect("a group holds an expression");
            let expr = lower_expr(inner)?.expr;
            Ok(Lowered {
                expr,
                outer_span: span,
            })
        }
        Rule::of_expr => {
            let mut parts = operand.into_inner();
            let (quantifier, _of, target) = (
                parts.next().expect("`of` has a quantifier"),
                parts.next().expect("`of` has the keyword"),
                parts.next().expect("`of` has a target"),
            );
            let kind = ExprKind::Of {
                quantifier: lower_quantifier(&quantifier)?,
                target_span: target.as_span().into(),
                target: match target.as_rule() {
                    Rule::them => OfTarget::Them,
                    _ => OfTarget::Pattern(target.as_str().to_owned()),
                },
            };
            Ok(Lowered::bare(kind, span))
        }
        _ => Ok(Lowered::bare(
            ExprKind::Ident(operand.as_str().to_owned()),
            span,
        )),
    }
}

/// Lowers `all`, `any` or a count, refusing counts that are 0 or beyond `u32`.
fn lower_quantifier(quantifier: &Pair<'_, Rule>) -> Result<Quantifier, ParseError> {
    let span = Span::from(quantifier.as_span());
    let text = quantifier.as_str();
    match quantifier.as_rule() {
        Rule::all_kw => Ok(Quantifier::All),
        Rule::any_kw => Ok(Quantifier::AtLeast(1)),
        _ => match text.parse::<u32>() {
            Ok(0) => Err(ParseError::new(
                ParseErrorKind::ZeroQuantifier,
                span,
                "`0 of` is always true: a quantifier counts at least one detection",
            )
            .with_help("to require that none of them match, write `not 1 of ...`")),
            Ok(count) => Ok(Quantifier::AtLeast(count)),
            Err(_) => Err(ParseError::new(
                ParseErrorKind::QuantifierTooLarge,
                span,
                format!(
                    "the quantifier `{text}` is too large (at most {})",
                    u32::MAX
                ),
            )),
        },
    }
}

/// Refuses a legacy `| near ...` or `| count() ...` clause.
fn reject_pipe_clause(clause: &Pair<'_, Rule>) -> Result<(), ParseError> {
    let text = clause.as_str().trim_end();
    let span = Span::new(
        clause.as_span().start(),
        clause.as_span().start() + text.len(),
    );
    match clause.as_rule() {
        Rule::near_clause => Err(ParseError::new(
            ParseErrorKind::Near,
            span,
            "`| near` expressions are not supported",
        )
        .with_help("rewrite it as a correlation rule (`type: temporal` over the detections)")),
        Rule::aggregation => Err(ParseError::new(
            ParseErrorKind::Aggregation,
            span,
            "aggregation expressions (`| count() ...`) are not supported",
        )
        .with_help(
            "rewrite it as a correlation rule (`type: event_count` or `type: value_count`, with \
             `group-by` and `condition`)",
        )),
        _ => Ok(()),
    }
}
