//! The rule IR: what a loaded rule means, independent of YAML.
//!
//! A [`Rule`] carries its metadata and one of three bodies ([`RuleKind`]): a detection, a
//! correlation or a filter. A detection is a list of named [`Search`]es, each a boolean tree of
//! [`MatcherId`]s, and a [`Condition`] over search indices. Matchers live in one flat vector of the
//! [`RuleSet`](crate::RuleSet), shared between rules when identical.

use crate::correlation::Correlation;
use crate::pattern::{StrMatch, StrSet};
use crate::source::Span;
use ipnet::IpNet;
use std::fmt;
use std::path::PathBuf;
use std::sync::OnceLock;

/// Index of a rule in a [`RuleSet`](crate::RuleSet).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleId(pub u32);

/// Index of a matcher in a [`RuleSet`](crate::RuleSet).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MatcherId(pub u32);

/// A rule's severity, ordered from least to most severe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
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
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
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
#[derive(Clone, Debug)]
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
#[derive(Clone, Debug)]
pub enum RuleKind {
    /// A detection rule: searches and a condition.
    Detection(Detection),
    /// A correlation rule over other rules' matches.
    Correlation(Correlation),
    /// A filter rule that excludes events from other rules.
    Filter(Filter),
}

/// A filter rule: a detection that removes events from the rules it names.
#[derive(Clone, Debug)]
pub struct Filter {
    /// The rules (ids or names) the filter applies to.
    pub rules: Vec<(String, Span)>,
    /// Events for which this detection holds are dropped from those rules' matches.
    pub detection: Detection,
}

/// A loaded rule.
#[derive(Clone, Debug)]
pub struct Rule {
    /// Metadata.
    pub meta: RuleMeta,
    /// The body.
    pub kind: RuleKind,
}

/// A detection: named searches and a condition over them.
#[derive(Clone, Debug)]
pub struct Detection {
    /// The search identifiers, in file order.
    pub searches: Vec<Search>,
    /// The condition; leaves are indices into `searches`.
    pub condition: Condition,
    /// The condition's source span.
    pub condition_span: Span,
}

/// One named search (`selection`, `filter_main`, `keywords`...).
#[derive(Clone, Debug)]
pub struct Search {
    /// The identifier.
    pub name: String,
    /// The identifier's span.
    pub span: Span,
    /// What must hold for the search to be true.
    pub expr: SearchExpr,
}

/// A boolean tree of matchers: a mapping is an AND, a list of mappings an OR.
#[derive(Clone, Debug, PartialEq)]
pub enum SearchExpr {
    /// All must hold.
    And(Vec<SearchExpr>),
    /// One must hold.
    Or(Vec<SearchExpr>),
    /// A matcher.
    Matcher(MatcherId),
}

/// A rule's condition, compiled from the condition language.
#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    /// All must hold (true when empty).
    And(Vec<Condition>),
    /// One must hold (false when empty).
    Or(Vec<Condition>),
    /// Negation.
    Not(Box<Condition>),
    /// At least `n` of the items hold.
    AtLeast(u32, Vec<Condition>),
    /// The search with this index in [`Detection::searches`].
    Search(usize),
}

/// A dotted field path (`userIdentity.sessionContext.sessionIssuer.userName`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FieldPath {
    /// The name as written in the rule.
    pub name: String,
    /// The name split on `.`.
    pub segments: Vec<String>,
}

impl FieldPath {
    /// A path from a field name as written in a rule.
    pub fn new(name: &str) -> Self {
        FieldPath {
            name: name.to_string(),
            segments: name.split('.').map(str::to_string).collect(),
        }
    }
}

/// Whether a matcher's values are OR-ed (default) or AND-ed (`|all`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Combine {
    /// One value must match.
    Any,
    /// Every value must match.
    All,
}

/// One field item of a search: `field|modifiers: values`, or a keyword list.
#[derive(Clone, Debug)]
pub struct Matcher {
    /// The field; `None` for keywords, which search every value in the record.
    pub field: Option<FieldPath>,
    /// The values, after every modifier has been applied.
    pub values: Vec<ValuePattern>,
    /// How the values combine.
    pub combine: Combine,
    /// `|neq`: the matcher's result is negated, so it holds when the field matches none of
    /// the values, including when it is missing or null (as pySigma's `not field = value`).
    pub negate: bool,
    /// Where the item is written (key and value).
    pub span: Span,
    /// A canonical description, also used to share identical matchers between rules.
    pub key: String,
    /// The string patterns of `values`, compiled together when first asked for.
    pub(crate) strings: OnceLock<StrSet>,
}

impl Matcher {
    /// A matcher of `values` at `field`; `key` is its canonical description.
    pub fn new(
        field: Option<FieldPath>,
        values: Vec<ValuePattern>,
        combine: Combine,
        negate: bool,
        span: Span,
        key: String,
    ) -> Matcher {
        Matcher {
            field,
            values,
            combine,
            negate,
            span,
            key,
            strings: OnceLock::new(),
        }
    }

    /// The string patterns among `values` (not those inside [`ValuePattern::AnyOf`]), compiled
    /// to be tried together. Built on first use: most matchers of a big rule set are never
    /// evaluated, because the prefilter rules their rules out.
    pub fn strings(&self) -> &StrSet {
        self.strings.get_or_init(|| {
            StrSet::new(self.values.iter().filter_map(|pattern| match pattern {
                ValuePattern::Str(m) => Some(m),
                _ => None,
            }))
        })
    }
}

/// Two matchers are equal when what they test is: the compiled [`Matcher::strings`] are derived
/// from the values.
impl PartialEq for Matcher {
    fn eq(&self, other: &Self) -> bool {
        (
            &self.field,
            &self.values,
            self.combine,
            self.negate,
            self.span,
            &self.key,
        ) == (
            &other.field,
            &other.values,
            other.combine,
            other.negate,
            other.span,
            &other.key,
        )
    }
}

/// A comparison for `|lt`, `|lte`, `|gt`, `|gte`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// `<`
    Lt,
    /// `<=`
    Lte,
    /// `>`
    Gt,
    /// `>=`
    Gte,
}

impl CompareOp {
    /// Applies the comparison.
    pub fn holds(self, left: f64, right: f64) -> bool {
        match self {
            CompareOp::Lt => left < right,
            CompareOp::Lte => left <= right,
            CompareOp::Gt => left > right,
            CompareOp::Gte => left >= right,
        }
    }
}

/// The part of a timestamp a time modifier extracts (UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TimePart {
    /// 0–59
    Minute,
    /// 0–23
    Hour,
    /// 1–31
    Day,
    /// ISO week, 1–53
    Week,
    /// 1–12
    Month,
    /// The year.
    Year,
}

/// One value of a matcher, with its modifiers applied.
#[derive(Clone, Debug, PartialEq)]
pub enum ValuePattern {
    /// `null`: the field is missing or JSON null.
    Null,
    /// `|exists: true/false`.
    Exists(bool),
    /// A string match (also used for numbers and booleans written in the rule).
    Str(StrMatch),
    /// `|lt`, `|lte`, `|gt`, `|gte` against a number.
    Compare(CompareOp, f64),
    /// `|cidr`.
    Cidr(IpNet),
    /// `|fieldref`: compared with the value of another field.
    FieldRef(FieldPath, FieldRefKind),
    /// `|minute` ... `|year`: a part of the field's timestamp compared with a number
    /// (equality, or the comparison of `|lt`...`|gte`).
    TimePart(TimePart, Option<CompareOp>, i64),
    /// One rule value that modifiers expanded into several variants (`windash`,
    /// `base64offset`, `expand`): holds when any variant does. Only used under `|all`, where
    /// each value must hold but any of its variants will do.
    AnyOf(Vec<ValuePattern>),
}

/// How `|fieldref` compares a field with the other field's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldRefKind {
    /// The values are equal.
    Equals,
    /// The field contains the other field's value (`|fieldref|contains`).
    Contains,
    /// The field starts with it.
    StartsWith,
    /// The field ends with it.
    EndsWith,
}
