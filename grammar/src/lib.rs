//! The Sigma condition language: grammar, typed syntax tree with spans, and parse errors.
//!
//! A Sigma rule's `detection` section names detections (search identifiers) and combines them
//! in its `condition`:
//!
//! ```yaml
//! detection:
//!     selection: { eventName: ConsoleLogin }
//!     filter_sso: { userIdentity.type: SAMLUser }
//!     filter_role: { userIdentity.type: AssumedRole }
//!     condition: selection and not 1 of filter_*
//! ```
//!
//! # The language
//!
//! | Form                          | Meaning                                                 |
//! |-------------------------------|---------------------------------------------------------|
//! | `selection`                   | the detection named `selection` matches                 |
//! | `not X`                       | X does not match                                        |
//! | `X and Y`, `X or Y`           | both, either                                            |
//! | `( X )`                       | grouping                                                |
//! | `1 of sel*`, `any of sel*`    | at least one detection whose name matches `sel*`        |
//! | `N of sel*`                   | at least N of them                                      |
//! | `all of sel*`                 | every detection whose name matches `sel*`               |
//! | `1 of them`, `all of them`    | the same over every detection not starting with `_`     |
//!
//! - Precedence, tightest first: `not`, `and`, `or`; `and` and `or` associate to the left.
//! - Keywords (`and`, `or`, `not`, `of`, `all`, `any`, `them`) are case-insensitive and are
//!   whole words: `and_filter`, `notepad`, `order` and `them2` are identifiers.
//! - Identifiers are made of ASCII letters, digits, `_` and `-` (as in pySigma); patterns
//!   may also contain `*`, which matches any run of characters, anywhere (`*_filter`).
//! - Spaces, tabs and line breaks separate tokens.
//! - Legacy aggregations (`| count() by x > 5`) and `| near` are refused with their own error
//!   kinds: Sigma replaced them with correlation rules.
//! - Nesting of parentheses and `not` is bounded by [`MAX_DEPTH`], so no input can exhaust
//!   the stack.
//!
//! # Example
//!
//! ```
//! use sigil_grammar::{parse, ExprKind, Span};
//!
//! let expr = parse("selection and not 1 of filter_*")?;
//! assert_eq!(expr.to_string(), r#"(and selection (not (1-of "filter_*")))"#);
//! let ExprKind::And(operands) = &expr.kind else { unreachable!() };
//! assert_eq!(operands[1].span, Span::new(14, 31));
//! # Ok::<(), sigil_grammar::ParseError>(())
//! ```
//!
//! The grammar is in `condition.pest` ([`grammar`]); the pipeline is [`parse`]: bound the
//! nesting (`nesting`), run pest, turn its errors into user-facing ones (`diagnose`), and
//! lower its pairs to the [`Expr`] tree with one PrattParser (`lower`).

#![deny(missing_docs)]

mod ast;
mod diagnose;
mod error;
pub mod grammar;
mod lower;
mod nesting;

use pest::Parser;

pub use ast::{Expr, ExprKind, OfTarget, Quantifier, Span};
pub use error::{ParseError, ParseErrorKind};
pub use nesting::MAX_DEPTH;

use grammar::{ConditionParser, Rule};

/// Parses a condition string into its syntax tree, with spans as byte offsets into
/// `condition`.
///
/// Never panics and never recurses more than [`MAX_DEPTH`] levels, whatever the input.
///
/// # Examples
///
/// ```
/// use sigil_grammar::{parse, ParseErrorKind, Span};
///
/// let expr = parse("a or b and not c").unwrap();
/// assert_eq!(expr.to_string(), "(or a (and b (not c)))");
///
/// let error = parse("selection and (filter or other").unwrap_err();
/// assert_eq!(error.message, "unclosed `(`");
/// assert_eq!(error.span, Span::new(14, 15));
///
/// let error = parse("selection | count() by user > 5").unwrap_err();
/// assert_eq!(error.kind, ParseErrorKind::Aggregation);
/// ```
pub fn parse(condition: &str) -> Result<Expr, ParseError> {
    if condition.trim().is_empty() {
        return Err(ParseError::new(
            ParseErrorKind::Empty,
            Span::new(0, condition.len()),
            "the condition is empty",
        )
        .with_help("name the detection that must match, e.g. `condition: selection`"));
    }
    let parens = nesting::check_nesting(condition)?;
    let mut pairs = ConditionParser::parse(Rule::condition, condition)
        .map_err(|error| diagnose::syntax_error(condition, &error, &parens))?;
    let condition_pair = pairs
        .next()
        .expect("a successful parse yields the condition");
    lower::lower_condition(condition_pair)
}

/// Parses a condition given as a YAML list, which means the OR of its items.
///
/// Returns one result per item, in order, each with spans relative to its own item, so that
/// every error of every item is reported at the right place. Combining the items (an OR, or
/// just the item when there is one) is left to the caller, which knows where each item sits
/// in the rule file.
///
/// ```
/// let items = sigil_grammar::parse_list(["sel1 and not filter", "sel2 or"]);
/// assert_eq!(items[0].as_ref().unwrap().to_string(), "(and sel1 (not filter))");
/// assert_eq!(items[1].as_ref().unwrap_err().message,
///     "unexpected end of condition, expected an identifier, `not`, `(`, `1 of` or `all of`");
/// ```
pub fn parse_list<I>(items: I) -> Vec<Result<Expr, ParseError>>
where
    I: IntoIterator,
    I::Item: AsRef<str>,
{
    items.into_iter().map(|item| parse(item.as_ref())).collect()
}
