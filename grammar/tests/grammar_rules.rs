//! The grammar's rules one by one, with pest's `parses_to!` and `fails_with!` macros.

use pest::{consumes_to, fails_with, parses_to};
use sigil_grammar::grammar::{ConditionParser, Rule};

#[test]
fn identifiers_are_words_that_are_not_bare_keywords() {
    for name in [
        "selection",
        "and_filter",
        "notepad",
        "order",
        "them2",
        "1_of_x",
        "sel-1",
        "of",
    ] {
        parses_to! { parser: ConditionParser, input: name, rule: Rule::ident,
        tokens: [ident(0, name.len())] };
    }
    // A name stops at the first character that is not a letter, digit, `_` or `-`.
    parses_to! { parser: ConditionParser, input: "sel*", rule: Rule::ident, tokens: [ident(0, 3)] };
    for keyword in ["and", "OR", "Not"] {
        fails_with! { parser: ConditionParser, input: keyword, rule: Rule::ident,
        positives: vec![Rule::ident], negatives: vec![], pos: 0 };
    }
}

#[test]
fn operators_are_case_insensitive_whole_words() {
    parses_to! { parser: ConditionParser, input: "AnD", rule: Rule::and_op, tokens: [and_op(0, 3)] };
    parses_to! { parser: ConditionParser, input: "OR(", rule: Rule::or_op, tokens: [or_op(0, 2)] };
    parses_to! { parser: ConditionParser, input: "nOt ", rule: Rule::not_op, tokens: [not_op(0, 3)] };
    fails_with! { parser: ConditionParser, input: "and_x", rule: Rule::and_op,
    positives: vec![Rule::and_op], negatives: vec![], pos: 0 };
    fails_with! { parser: ConditionParser, input: "notepad", rule: Rule::not_op,
    positives: vec![Rule::not_op], negatives: vec![], pos: 0 };
}

#[test]
fn expressions_are_flat_sequences_of_operators_and_operands() {
    parses_to! { parser: ConditionParser, input: "not a and b or c", rule: Rule::expr,
    tokens: [expr(0, 16, [
        not_op(0, 3), ident(4, 5), and_op(6, 9), ident(10, 11), or_op(12, 14), ident(15, 16),
    ])] };
}

// Note: an `expr` pair also spans the whitespace after it (pest skips it before trying another
// operator); the AST takes its spans from the operands, never from `expr` pairs.

#[test]
fn groups_keep_their_parentheses() {
    parses_to! { parser: ConditionParser, input: "( a )", rule: Rule::group,
    tokens: [group(0, 5, [paren_open(0, 1), expr(2, 4, [ident(2, 3)]), paren_close(4, 5)])] };
    fails_with! { parser: ConditionParser, input: "(a", rule: Rule::group,
    positives: vec![Rule::paren_close, Rule::and_op, Rule::or_op], negatives: vec![], pos: 2 };
}

#[test]
fn of_expressions_take_a_quantifier_and_a_target() {
    parses_to! { parser: ConditionParser, input: "1 of sel*", rule: Rule::of_expr,
    tokens: [of_expr(0, 9, [count(0, 1), of_kw(2, 4), pattern(5, 9)])] };
    parses_to! { parser: ConditionParser, input: "ALL Of them", rule: Rule::of_expr,
    tokens: [of_expr(0, 11, [all_kw(0, 3), of_kw(4, 6), them(7, 11)])] };
    parses_to! { parser: ConditionParser, input: "any of *_x*", rule: Rule::of_expr,
    tokens: [of_expr(0, 11, [any_kw(0, 3), of_kw(4, 6), pattern(7, 11)])] };
    // `them` followed by a name character is a pattern.
    parses_to! { parser: ConditionParser, input: "2 of them2", rule: Rule::of_expr,
    tokens: [of_expr(0, 10, [count(0, 1), of_kw(2, 4), pattern(5, 10)])] };
    fails_with! { parser: ConditionParser, input: "1of x", rule: Rule::of_expr,
    positives: vec![Rule::of_expr], negatives: vec![], pos: 0 };
    fails_with! { parser: ConditionParser, input: "all of", rule: Rule::of_expr,
    positives: vec![Rule::them, Rule::pattern], negatives: vec![], pos: 6 };
}

#[test]
fn legacy_pipe_clauses_run_to_the_end() {
    parses_to! { parser: ConditionParser, input: "a | count() by x > 5", rule: Rule::condition,
    tokens: [condition(0, 20, [expr(0, 2, [ident(0, 1)]), aggregation(2, 20), EOI(20, 20)])] };
    parses_to! { parser: ConditionParser, input: "a |NEAR b", rule: Rule::condition,
    tokens: [condition(0, 9, [expr(0, 2, [ident(0, 1)]), near_clause(2, 9), EOI(9, 9)])] };
    fails_with! { parser: ConditionParser, input: "a || b", rule: Rule::condition,
    positives: vec![Rule::EOI, Rule::and_op, Rule::or_op, Rule::near_clause, Rule::aggregation],
    negatives: vec![], pos: 2 };
}

#[test]
fn a_condition_is_one_expression_and_nothing_else() {
    parses_to! { parser: ConditionParser, input: " a ", rule: Rule::condition,
    tokens: [condition(0, 3, [expr(1, 3, [ident(1, 2)]), EOI(3, 3)])] };
    fails_with! { parser: ConditionParser, input: "a b", rule: Rule::condition,
    positives: vec![Rule::EOI, Rule::and_op, Rule::or_op, Rule::near_clause, Rule::aggregation],
    negatives: vec![], pos: 2 };
}
