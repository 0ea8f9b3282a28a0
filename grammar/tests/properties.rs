//! Property tests: `parse` never panics, its error spans are valid, and conditions printed
//! from random trees parse back to the same tree.

use proptest::prelude::*;
use sigil_grammar::{Expr, ExprKind, OfTarget, Quantifier, Span, parse};

/// Parses `condition` and checks that an error's span lies on character boundaries inside it.
fn parse_checked(condition: &str) {
    if let Err(error) = parse(condition) {
        let Span { start, end } = error.span;
        assert!(
            start <= end && condition.get(start..end).is_some(),
            "{condition:?}: {error:?}"
        );
    }
}

/// Conditions made of the language's tokens and a few strays, which reach far more of the
/// grammar than random characters do.
fn token_soup() -> impl Strategy<Value = String> {
    let token = prop::sample::select(vec![
        "sel",
        "filter_*",
        "and",
        "OR",
        "not",
        "(",
        ")",
        "1",
        "all",
        "any",
        "of",
        "them",
        "*",
        "|",
        "count()",
        "near",
        "0",
        "99999999999",
        "&&",
        "é",
        "\0",
        "-",
        "_",
    ]);
    let separator = prop::sample::select(vec!["", " ", "\n", "  "]);
    prop::collection::vec((token, separator), 0..40).prop_map(|parts| {
        parts
            .into_iter()
            .flat_map(|(token, sep)| [token, sep])
            .collect()
    })
}

/// Random condition trees (spans are not compared, so they are left empty).
fn tree() -> impl Strategy<Value = Expr> {
    let expr = |kind| Expr {
        kind,
        span: Span::at(0),
    };
    let name = "[a-zA-Z_][a-zA-Z0-9_-]{0,8}".prop_filter("keywords are not names", |name| {
        !["and", "or", "not"].contains(&name.to_ascii_lowercase().as_str())
    });
    let quantifier = prop_oneof![
        Just(Quantifier::All),
        (1..5u32).prop_map(Quantifier::AtLeast)
    ];
    let target = prop_oneof![
        Just(OfTarget::Them),
        "[a-z_*]{1,6}"
            .prop_filter("`them` is not a pattern", |pattern| pattern != "them")
            .prop_map(OfTarget::Pattern)
    ];
    let leaf = prop_oneof![
        name.prop_map(move |name| expr(ExprKind::Ident(name))),
        (quantifier, target).prop_map(move |(quantifier, target)| expr(ExprKind::Of {
            quantifier,
            target,
            target_span: Span::at(0),
        })),
    ];
    leaf.prop_recursive(6, 48, 4, move |inner| {
        prop_oneof![
            inner
                .clone()
                .prop_map(move |operand| expr(ExprKind::Not(Box::new(operand)))),
            prop::collection::vec(inner.clone(), 2..4)
                .prop_map(move |ops| expr(ExprKind::And(ops))),
            prop::collection::vec(inner, 2..4).prop_map(move |ops| expr(ExprKind::Or(ops))),
        ]
    })
}

/// Writes `expr` as condition text, parenthesizing every compound operand.
fn to_condition(expr: &Expr) -> String {
    let operand = |expr: &Expr| match expr.kind {
        ExprKind::Ident(_) | ExprKind::Of { .. } => to_condition(expr),
        _ => format!("({})", to_condition(expr)),
    };
    let join = |operands: &[Expr], operator| {
        operands
            .iter()
            .map(operand)
            .collect::<Vec<_>>()
            .join(operator)
    };
    match &expr.kind {
        ExprKind::Ident(name) => name.clone(),
        ExprKind::Not(inner) => format!("not {}", operand(inner)),
        ExprKind::And(operands) => join(operands, " and "),
        ExprKind::Or(operands) => join(operands, " OR "),
        ExprKind::Of {
            quantifier, target, ..
        } => {
            let target = match target {
                OfTarget::Them => "them",
                OfTarget::Pattern(pattern) => pattern,
            };
            format!("{quantifier} of {target}")
        }
    }
}

proptest! {
    #[test]
    fn parse_never_panics_on_any_string(condition in any::<String>()) {
        parse_checked(&condition);
    }

    #[test]
    fn parse_never_panics_on_token_soup(condition in token_soup()) {
        parse_checked(&condition);
    }

    #[test]
    fn printed_trees_parse_back_to_the_same_tree(expected in tree()) {
        let condition = to_condition(&expected);
        let parsed = parse(&condition).map_err(|error| TestCaseError::fail(format!("{condition}: {error:?}")))?;
        prop_assert_eq!(parsed.to_string(), expected.to_string(), "{}", condition);
    }
}
