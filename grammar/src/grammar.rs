//! The pest parser generated from `condition.pest`.
//!
//! Exposed so that tests and tools can run single rules (pest's `parses_to!` and
//! `fails_with!` macros); everything else should call [`parse`](crate::parse), which adds the
//! nesting bound, user-facing errors and the typed tree. Each [`Rule`] variant carries the
//! doc comment of its grammar rule.

pub use generated::{ConditionParser, Rule};

mod generated {
    // pest_derive emits `Rule::all_rules` without a doc comment.
    #![allow(missing_docs)]

    use pest_derive::Parser;

    /// The parser of Sigma conditions; [`Rule::condition`] parses a whole condition.
    #[derive(Parser)]
    #[grammar = "condition.pest"]
    pub struct ConditionParser;
}
