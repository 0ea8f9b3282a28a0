//! Stage 2, the rule IR: what a loaded rule means, independent of YAML.
//!
//! A [`Rule`] carries its metadata and one of three bodies ([`RuleKind`]): a detection, a
//! correlation or a filter. A detection is a list of named [`Search`]es, each a boolean tree of
//! [`MatcherId`]s, and a [`Condition`] over search indices. Matchers ([`Matcher`], in `matcher`)
//! live in one flat vector of the [`RuleSet`], shared between rules when identical; their
//! string values carry Sigma's string semantics with them (`pattern`: case folding, wildcards,
//! regexes), so an evaluator only has to find field values. `dump` prints the IR as text.
//!
//! ```
//! use sigil_compiler::{Condition, RuleKind, load_str};
//! let rule = "title: t\nlogsource: {product: aws}\ndetection:\n  sel: {eventName: StopLogging}\n  \
//!             filter: {userIdentity.type: AWSService}\n  condition: sel and not filter\n";
//! let loaded = load_str("t.yml".as_ref(), rule, &Default::default());
//! let RuleKind::Detection(detection) = &loaded.rules.rules()[0].kind else { unreachable!() };
//! assert_eq!(detection.searches[1].name, "filter");
//! assert_eq!(
//!     detection.condition,
//!     Condition::And(vec![Condition::Search(0), Condition::Not(Box::new(Condition::Search(1)))])
//! );
//! assert_eq!(sigil_compiler::condition_text(detection), "(and sel (not filter))");
//! ```

mod correlation;
mod dump;
mod filters;
mod matcher;
mod pattern;
mod ruleset;

pub use correlation::{Alias, Correlation, CorrelationCondition, CorrelationOp, CorrelationType};
pub use dump::{condition_text, dump_ir};
pub use matcher::{Combine, CompareOp, FieldPath, FieldRefKind, Matcher, TimePart, ValuePattern};
pub use pattern::{
    GlobToken, JoinedSearch, RegexError, SigmaRegex, StrKind, StrMatch, StrSet, WINDASH, fold_case,
    is_json_number, parse_json_number, parse_number, parse_wildcards, windash_classes,
};
pub(crate) use pattern::{RegexBudget, deferring_regexes};
pub(crate) use pattern::{escape_wildcards, glob_text};
pub use ruleset::RuleSet;

use crate::source::Span;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;

/// Index of a rule in a [`RuleSet`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RuleId(pub u32);

/// Index of a matcher in a [`RuleSet`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MatcherId(pub u32);

/// A rule's severity, ordered from least to most severe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Level {
    /// `informational`
    Informational,
    /// `low`
    Low,
    /// `medium`
    Medium,
    /// `high`
    High,
    /// `critical`
    Critical,
}

impl Level {
    /// Parses a Sigma level name (case-insensitive).
    pub fn parse(name: &str) -> Option<Level> {
        Some(match name.to_ascii_lowercase().as_str() {
            "informational" => Level::Informational,
            "low" => Level::Low,
            "medium" => Level::Medium,
            "high" => Level::High,
            "critical" => Level::Critical,
            _ => return None,
        })
    }

    /// The Sigma name of the level.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Informational => "informational",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which log a rule applies to. Values are lowercased; `None` means "any".
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LogSource {
    /// `product`, e.g. `aws`.
    pub product: Option<String>,
    /// `service`, e.g. `cloudtrail`.
    pub service: Option<String>,
    /// `category`, e.g. `process_creation`.
    pub category: Option<String>,
}

/// `product/service`, or `product/category/service` when a category is set, with `*` for an
/// unset part: the form `--logsource` takes.
impl fmt::Display for LogSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let part = |p: &Option<String>| p.clone().unwrap_or_else(|| "*".into());
        match &self.category {
            None => write!(f, "{}/{}", part(&self.product), part(&self.service)),
            Some(_) => write!(
                f,
                "{}/{}/{}",
                part(&self.product),
                part(&self.category),
                part(&self.service)
            ),
        }
    }
}

/// Metadata every kind of rule has.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RuleMeta {
    /// `id` (usually a UUID).
    pub id: Option<String>,
    /// `name`, which correlation rules may use to refer to it.
    pub name: Option<String>,
    /// `title`.
    pub title: String,
    /// `description`.
    pub description: Option<String>,
    /// `status`.
    pub status: Option<String>,
    /// `level`.
    pub level: Option<Level>,
    /// `tags`, e.g. `attack.t1078`.
    pub tags: Vec<String>,
    /// `falsepositives`.
    pub falsepositives: Vec<String>,
    /// `logsource`.
    pub logsource: LogSource,
    /// The file the rule came from.
    pub path: PathBuf,
    /// The YAML document the rule is (its whole span).
    pub span: Span,
}

/// The body of a rule.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum RuleKind {
    /// A detection rule: searches and a condition.
    Detection(Detection),
    /// A correlation rule over other rules' matches.
    Correlation(Correlation),
    /// A filter rule that restricts other rules.
    Filter(Filter),
}

/// A filter rule: a detection that must also hold for the rules it names to match.
///
/// Loading applies it (see `filters`): its searches and condition are already part of the
/// detection of every rule it applies to, so an evaluator has nothing left to do with it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Filter {
    /// The rules (ids or names) the filter applies to.
    pub rules: Vec<(String, Span)>,
    /// What must hold, besides their own condition, for those rules to match.
    pub detection: Detection,
}

/// A loaded rule.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Rule {
    /// Metadata.
    pub meta: RuleMeta,
    /// The body.
    pub kind: RuleKind,
}

/// A detection: named searches and a condition over them.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Detection {
    /// The search identifiers, in file order.
    pub searches: Vec<Search>,
    /// The condition; leaves are indices into `searches`.
    pub condition: Condition,
    /// The condition's source span.
    pub condition_span: Span,
}

/// One named search (`selection`, `filter_main`, `keywords`...).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Search {
    /// The identifier.
    pub name: String,
    /// The identifier's span.
    pub span: Span,
    /// What must hold for the search to be true.
    pub expr: SearchExpr,
}

/// A boolean tree of matchers: a mapping is an AND, a list of mappings an OR.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum SearchExpr {
    /// All must hold.
    And(#[serde(deserialize_with = "crate::compiled::nested")] Vec<SearchExpr>),
    /// One must hold.
    Or(#[serde(deserialize_with = "crate::compiled::nested")] Vec<SearchExpr>),
    /// A matcher.
    Matcher(MatcherId),
}

impl SearchExpr {
    /// The matchers of the tree, left to right (repeats included).
    pub fn matchers(&self) -> Vec<MatcherId> {
        let mut out = Vec::new();
        self.collect_matchers(&mut out);
        out
    }

    fn collect_matchers(&self, out: &mut Vec<MatcherId>) {
        match self {
            SearchExpr::Matcher(id) => out.push(*id),
            SearchExpr::And(items) | SearchExpr::Or(items) => {
                items.iter().for_each(|e| e.collect_matchers(out))
            }
        }
    }
}

/// A rule's condition, compiled from the condition language.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Condition {
    /// All must hold (true when empty).
    And(#[serde(deserialize_with = "crate::compiled::nested")] Vec<Condition>),
    /// One must hold (false when empty).
    Or(#[serde(deserialize_with = "crate::compiled::nested")] Vec<Condition>),
    /// Negation.
    Not(#[serde(deserialize_with = "crate::compiled::nested")] Box<Condition>),
    /// At least `n` of the items hold.
    AtLeast(
        u32,
        #[serde(deserialize_with = "crate::compiled::nested")] Vec<Condition>,
    ),
    /// The search with this index in [`Detection::searches`].
    Search(usize),
}
