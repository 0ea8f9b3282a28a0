//! Hostile inputs: deep nesting, huge conditions and odd bytes give errors, never a panic or
//! a stack overflow, even on a small thread stack.

use sigil_grammar::{MAX_DEPTH, ParseError, ParseErrorKind, Span, parse};

/// A stack smaller than any thread's default, to catch unbounded recursion.
const SMALL_STACK: usize = 256 * 1024;

const ONE_MB: usize = 1 << 20;

/// Runs `test` on a thread with [`SMALL_STACK`].
fn on_small_stack(test: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(SMALL_STACK)
        .spawn(test)
        .unwrap()
        .join()
        .expect("the test thread panicked or overflowed");
}

fn too_deep(condition: &str) -> ParseError {
    let error = parse(condition).expect_err("deep input must be refused");
    assert_eq!(error.kind, ParseErrorKind::TooDeep, "{error:?}");
    error
}

/// `depth` open parentheses, `a`, and as many closing ones.
fn nested_parens(depth: usize) -> String {
    format!("{}a{}", "(".repeat(depth), ")".repeat(depth))
}

#[test]
fn ten_thousand_parentheses_are_too_deep() {
    on_small_stack(|| {
        let error = too_deep(&nested_parens(10_000));
        assert_eq!(error.span, Span::new(MAX_DEPTH, MAX_DEPTH + 1));
        let expected = format!(
            "the condition nests too deeply: more than {MAX_DEPTH} levels of parentheses and `not`"
        );
        assert_eq!(error.message, expected);
    });
}

#[test]
fn ten_thousand_nots_are_too_deep() {
    on_small_stack(|| {
        let error = too_deep(&format!("{}a", "not ".repeat(10_000)));
        assert_eq!(error.span.start, 4 * MAX_DEPTH);
    });
}

#[test]
fn megabyte_of_nesting_is_too_deep() {
    on_small_stack(|| {
        too_deep(&"(".repeat(ONE_MB));
        too_deep(&"not (".repeat(ONE_MB / 5));
        too_deep(&"NOT ".repeat(ONE_MB / 4));
        too_deep(&"(a and ".repeat(ONE_MB / 7));
    });
}

#[test]
fn nesting_up_to_the_limit_parses_on_a_small_stack() {
    on_small_stack(|| {
        assert_eq!(parse(&nested_parens(MAX_DEPTH)).unwrap().to_string(), "a");
        let nots = format!("{}a", "not ".repeat(MAX_DEPTH));
        let expected = format!("{}a{}", "(not ".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert_eq!(parse(&nots).unwrap().to_string(), expected);
        let mixed = format!(
            "{}a{}",
            "not (b or ".repeat(MAX_DEPTH / 2),
            ")".repeat(MAX_DEPTH / 2)
        );
        assert!(parse(&mixed).is_ok());
        too_deep(&nested_parens(MAX_DEPTH + 1));
    });
}

#[test]
fn megabyte_of_flat_condition_parses_on_a_small_stack() {
    on_small_stack(|| {
        let chain = vec!["sel"; ONE_MB / 7].join(" or ");
        let expr = parse(&chain).unwrap();
        assert_eq!(expr.span, Span::new(0, chain.len()));
        let name = "x".repeat(ONE_MB);
        assert_eq!(parse(&name).unwrap().to_string(), name);
        let sequential_nots = vec!["not a"; ONE_MB / 10].join(" and ");
        assert!(parse(&sequential_nots).is_ok());
    });
}

#[test]
fn megabyte_of_garbage_is_a_syntax_error_with_a_short_message() {
    let error = parse(&format!("a {}", "b".repeat(ONE_MB))).unwrap_err();
    assert_eq!(error.kind, ParseErrorKind::Syntax);
    assert_eq!(error.span, Span::new(2, 2 + ONE_MB));
    assert!(error.message.len() < 200, "{}", error.message);
}

#[test]
fn odd_inputs_give_errors_with_valid_spans() {
    let cases = [
        ("", ParseErrorKind::Empty),
        (" \t\r\n ", ParseErrorKind::Empty),
        ("\0", ParseErrorKind::Syntax),
        ("a\0b", ParseErrorKind::Syntax),
        ("sel \u{1F600}", ParseErrorKind::Syntax),
        ("\u{FEFF}selection", ParseErrorKind::Syntax),
        ("selection\u{A0}and b", ParseErrorKind::Syntax),
        ("ß and é", ParseErrorKind::Syntax),
        ("(((((", ParseErrorKind::Syntax),
        (")))))", ParseErrorKind::Syntax),
        ("|", ParseErrorKind::Syntax),
        ("*", ParseErrorKind::Syntax),
        ("1 of \u{0301}", ParseErrorKind::Syntax),
    ];
    for (condition, kind) in cases {
        let error = parse(condition).expect_err(condition);
        assert_eq!(error.kind, kind, "{condition:?}: {error:?}");
        assert!(
            condition.get(error.span.start..error.span.end).is_some(),
            "{condition:?}: {error:?}"
        );
    }
}

#[test]
fn nul_bytes_are_escaped_in_messages() {
    let error = parse("a \0").unwrap_err();
    assert_eq!(
        error.message,
        "expected `and`, `or` or end of condition, found `\\0`"
    );
}
