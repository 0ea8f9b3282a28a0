//! Sigil's rule compiler: Sigma YAML in, rule IR and diagnostics out.
//!
//! [`load_paths`] reads rule files and folders into a [`RuleSet`] of [`Rule`]s, collecting every
//! problem as a [`Diagnostic`] (a bad rule never stops the others). Each detection rule becomes
//! named searches over shared [`Matcher`]s and a [`Condition`]; string semantics (case folding,
//! wildcards, regexes) live in [`pattern`], so an evaluator only has to find field values.
//!
//! ```
//! use sigil_compiler::{load_str, LoadOptions};
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
//! assert_eq!(loaded.rules.len(), 1);
//! assert_eq!(loaded.refused, 0);
//! ```

#![deny(missing_docs)]
// Rule problems travel as `Result<_, Diagnostic>` on the cold path of loading; a diagnostic is a
// few words larger than clippy's default, and boxing every one would only add noise.
#![allow(clippy::result_large_err)]

pub mod correlation;
pub mod detection;
pub mod diagnostic;
pub mod dump;
pub mod ir;
pub mod literals;
pub mod loader;
pub mod modifier;
pub mod pattern;
pub mod placeholders;
pub mod rule;
pub mod ruleset;
pub mod source;
pub mod value;
pub mod yaml;

pub use diagnostic::{Code, Diagnostic, Label, Severity};
pub use ir::{
    Combine, CompareOp, Condition, Detection, FieldPath, FieldRefKind, Filter, Level, LogSource,
    Matcher, MatcherId, Rule, RuleId, RuleKind, RuleMeta, Search, SearchExpr, TimePart,
    ValuePattern,
};
pub use loader::{LoadOptions, Loaded, load_paths, load_str};
pub use placeholders::Placeholders;
pub use ruleset::RuleSet;
pub use source::{SourceFile, SourceId, SourceMap, Span};
