//! The syntax tree `parse` builds: shape (through its S-expression display) and spans.

use sigil_grammar::{Expr, ExprKind, OfTarget, Quantifier, Span, parse, parse_list};

/// Condition, and the tree it parses to.
const SHAPES: &[(&str, &str)] = &[
    // Precedence: not > and > or, left-associative, chains flattened.
    ("selection", "selection"),
    ("a or b and not c", "(or a (and b (not c)))"),
    ("a and b or c", "(or (and a b) c)"),
    ("a and b and c", "(and a b c)"),
    ("a or b or c or d", "(or a b c d)"),
    ("a and b or c and d", "(or (and a b) (and c d))"),
    ("not a and b", "(and (not a) b)"),
    ("not a or not b", "(or (not a) (not b))"),
    ("not not a", "(not (not a))"),
    // Parentheses group, and a group is not merged into an enclosing chain.
    ("not (a and b)", "(not (and a b))"),
    ("(a or b) and c", "(and (or a b) c)"),
    ("a and (b and c)", "(and a (and b c))"),
    ("(a and b) and c", "(and (and a b) c)"),
    ("((a))", "a"),
    ("( a )", "a"),
    (
        "selection and (keywords1 or keywords2)",
        "(and selection (or keywords1 keywords2))",
    ),
    // Quantified selections.
    ("1 of sel*", r#"(1-of "sel*")"#),
    ("any of sel*", r#"(1-of "sel*")"#),
    ("2 of x*", r#"(2-of "x*")"#),
    ("16 of x*", r#"(16-of "x*")"#),
    ("01 of x*", r#"(1-of "x*")"#),
    ("all of selection_*", r#"(all-of "selection_*")"#),
    ("all of them", "(all-of them)"),
    ("any of them", "(1-of them)"),
    ("1 of them", "(1-of them)"),
    ("1 of *_filter", r#"(1-of "*_filter")"#),
    ("all of sel_*_x", r#"(all-of "sel_*_x")"#),
    ("1 of *", r#"(1-of "*")"#),
    ("1 of selection", r#"(1-of "selection")"#),
    ("1 of them2", r#"(1-of "them2")"#),
    ("1 of them*", r#"(1-of "them*")"#),
    ("1 of sel-*", r#"(1-of "sel-*")"#),
    (
        "1 of sel* and not 1 of filter*",
        r#"(and (1-of "sel*") (not (1-of "filter*")))"#,
    ),
    ("not 1 of filter* or x", r#"(or (not (1-of "filter*")) x)"#),
    (
        "(1 of a*) or (all of b*)",
        r#"(or (1-of "a*") (all-of "b*"))"#,
    ),
    // Keywords are case-insensitive.
    ("A AND Not B OR c", "(or (and A (not B)) c)"),
    ("a aNd b oR NOT c", "(or (and a b) (not c))"),
    ("ALL OF THEM", "(all-of them)"),
    ("Any Of sel*", r#"(1-of "sel*")"#),
    ("1 OF Them", "(1-of them)"),
    // Words that contain or resemble keywords are identifiers.
    (
        "and_filter and notepad or order",
        "(or (and and_filter notepad) order)",
    ),
    (
        "selection_not and not_selection",
        "(and selection_not not_selection)",
    ),
    ("andx or orx or notx", "(or andx orx notx)"),
    ("and-x or not-x", "(or and-x not-x)"),
    ("1_of_x and them2", "(and 1_of_x them2)"),
    ("1 and 2", "(and 1 2)"),
    ("all or any or them or of", "(or all any them of)"),
    ("all and them", "(and all them)"),
    ("sel-1 and filter_main-2", "(and sel-1 filter_main-2)"),
    ("SeLeCtIoN", "SeLeCtIoN"),
    // Whitespace, including line breaks of YAML block scalars.
    ("  selection  ", "selection"),
    (
        "selection\n    and not\n\tfilter\r\n",
        "(and selection (not filter))",
    ),
    ("(a)and(b)", "(and a b)"),
    ("not(a)", "(not a)"),
];

#[test]
fn conditions_parse_to_the_expected_tree() {
    let failures: Vec<String> = SHAPES
        .iter()
        .filter_map(|&(condition, expected)| match parse(condition) {
            Ok(expr) if expr.to_string() == expected => None,
            Ok(expr) => Some(format!("{condition:?}: expected {expected}, got {expr}")),
            Err(error) => Some(format!(
                "{condition:?}: expected {expected}, got error {error:?}"
            )),
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The span of `expr` as text of `condition`.
fn text<'a>(condition: &'a str, expr: &Expr) -> &'a str {
    expr.span.text(condition)
}

/// The operands of an `and` or `or`.
fn operands(expr: &Expr) -> &[Expr] {
    match &expr.kind {
        ExprKind::And(operands) | ExprKind::Or(operands) => operands,
        other => panic!("not a chain: {other:?}"),
    }
}

#[test]
fn spans_cover_each_node_and_parentheses_belong_to_the_parent() {
    let condition = "(a) and not (b or c)";
    let expr = parse(condition).unwrap();
    assert_eq!(expr.span, Span::new(0, 20));
    let [a, not] = operands(&expr) else {
        panic!("two operands")
    };
    assert_eq!(text(condition, a), "a");
    assert_eq!(text(condition, not), "not (b or c)");
    let ExprKind::Not(or) = &not.kind else {
        panic!("not")
    };
    assert_eq!(text(condition, or), "b or c");
    assert_eq!(or.span, Span::new(13, 19));
}

#[test]
fn of_expressions_span_the_whole_and_the_target() {
    let condition = "x or  ANY of   sel_*";
    let expr = parse(condition).unwrap();
    let [_, of] = operands(&expr) else {
        panic!("two operands")
    };
    assert_eq!(text(condition, of), "ANY of   sel_*");
    let ExprKind::Of {
        quantifier,
        target,
        target_span,
    } = &of.kind
    else {
        panic!("of")
    };
    assert_eq!(*quantifier, Quantifier::AtLeast(1));
    assert_eq!(*target, OfTarget::Pattern("sel_*".into()));
    assert_eq!(target_span.text(condition), "sel_*");

    let condition = "all of Them";
    let expr = parse(condition).unwrap();
    let expected = ExprKind::Of {
        quantifier: Quantifier::All,
        target: OfTarget::Them,
        target_span: Span::new(7, 11),
    };
    assert_eq!(
        expr,
        Expr {
            kind: expected,
            span: Span::new(0, 11)
        }
    );
}

#[test]
fn spans_are_byte_offsets_and_ignore_surrounding_whitespace() {
    let condition = " \n selection  ";
    let expr = parse(condition).unwrap();
    assert_eq!(expr.kind, ExprKind::Ident("selection".into()));
    assert_eq!(expr.span, Span::new(3, 12));
}

#[test]
fn list_items_parse_separately_with_their_own_spans() {
    let items = parse_list(vec!["sel1", "1 of sel*", "a and", "not b"]);
    let shapes: Vec<String> = items
        .iter()
        .map(|item| match item {
            Ok(expr) => expr.to_string(),
            Err(error) => format!("error at {}", error.span),
        })
        .collect();
    assert_eq!(
        shapes,
        ["sel1", r#"(1-of "sel*")"#, "error at 5..5", "(not b)"]
    );
    assert_eq!(items[3].as_ref().unwrap().span, Span::new(0, 5));
    assert!(parse_list(Vec::<String>::new()).is_empty());
}
