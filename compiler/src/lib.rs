//! Sigil's rule compiler: Sigma YAML in, rule IR, literals and diagnostics out.
//!
//! Compilation runs in three stages, one folder each, driven by [`load_paths`] (or
//! [`load_str`]):
//!
//! 1. **parse** (`parse/`): a rule file's text to rules: a spanned YAML tree bounded against
//!    YAML bombs, legacy collections, metadata, detections (searches and the condition, whose
//!    language is `sigil_grammar`'s), correlations and filters, and each field item's modifiers
//!    applied to its values.
//! 2. **IR** (`ir/`): what a rule means, independent of YAML: a [`Rule`] with a [`Detection`]
//!    (named [`Search`]es over shared [`Matcher`]s and a [`Condition`]), a [`Correlation`] or a
//!    [`Filter`], all held by one [`RuleSet`]. String values carry Sigma's string semantics with
//!    them ([`StrMatch`]: case folding, wildcards, linear-time regexes), so an evaluator only
//!    has to find field values. [`dump_ir`] prints it.
//! 3. **analysis** (`analysis/`): what a rule needs in a record's raw bytes before it can match
//!    ([`Literals`]: a [`Formula`] over literals per rule, the engine's prefilter contract), and
//!    what its author should hear about it ([`dump_literals`], [`no_literal_warnings`]).
//!
//! Every problem is a [`Diagnostic`] with a stable [`Code`] and a [`Span`] into its
//! [`SourceFile`]; a bad rule never stops the others, and the library never prints (the `sigil`
//! binary renders diagnostics). The bounds put on untrusted rules are in [`limits`].
//!
//! # Example
//!
//! Load a rule, look at its IR, and ask what the prefilter needs:
//!
//! ```
//! use sigil_compiler::{Literals, LoadOptions, RuleId, RuleKind, load_str};
//!
//! let rule = r#"
//! title: CloudTrail logging stopped
//! id: 5f8c2b1e-0000-4000-8000-000000000001
//! level: high
//! logsource: {product: aws, service: cloudtrail}
//! detection:
//!   selection:
//!     eventSource: cloudtrail.amazonaws.com
//!     eventName: StopLogging
//!   condition: selection
//! "#;
//! let loaded = load_str("stop.yml".as_ref(), rule, &LoadOptions::default());
//! assert_eq!((loaded.rules.len(), loaded.refused), (1, 0));
//!
//! let RuleKind::Detection(detection) = &loaded.rules.rule(RuleId(0)).kind else { panic!() };
//! assert_eq!(sigil_compiler::condition_text(detection), "selection");
//!
//! let literals = Literals::extract(&loaded.rules);
//! assert_eq!(
//!     literals.render(literals.rule(RuleId(0))),
//!     r#"`"cloudtrail.amazonaws.com"` & `"stoplogging"`"#
//! );
//! ```

#![deny(missing_docs)]
// Rule problems travel as `Result<_, Diagnostic>` on the cold path of loading; a diagnostic is a
// few words larger than clippy's default, and boxing every one would only add noise.
#![allow(clippy::result_large_err)]

mod analysis;
pub mod compiled;
mod diagnostic;
mod ir;
pub mod limits;
mod load;
mod parse;
mod pipeline;
mod source;

// Loading: the driver of the three stages.
pub use load::{LoadOptions, Loaded, load_paths, load_str};
pub use parse::{Placeholders, parse_timespan};
pub use pipeline::{BUILTIN_PIPELINES, Pipeline, builtin_pipeline};

// Diagnostics and where they point.
pub use diagnostic::{Code, Diagnostic, Label, Severity};
pub use source::{SourceFile, SourceId, SourceMap, Span};

// The IR: rules, matchers, string patterns, correlations, and its text dump.
pub use ir::{
    Alias, Combine, CompareOp, Condition, Correlation, CorrelationCondition, CorrelationOp,
    CorrelationType, Detection, FieldPath, FieldRefKind, Filter, GlobToken, JoinedSearch, Level,
    LogSource, Matcher, MatcherId, RegexError, Rule, RuleId, RuleKind, RuleMeta, RuleSet, Search,
    SearchExpr, SigmaRegex, StrKind, StrMatch, StrSet, TimePart, ValuePattern, WINDASH,
    condition_text, dump_ir, fold_case, is_json_number, parse_json_number, parse_number,
    parse_wildcards, windash_classes,
};

// Analysis: the literals the prefilter looks for, and their dump.
pub use analysis::{
    Anchor, Formula, LiteralId, Literals, MIN_LITERAL_LEN, STRONG_LITERAL_LEN, dump_literals,
    no_literal_warnings,
};

// The spanned YAML tree rules are read into, for tools that read YAML files beside rules
// (rule tests, correlation cases) with the same positions and limits.
pub use parse::yaml::{Node as YamlNode, Value as YamlValue, parse_documents as parse_yaml};
