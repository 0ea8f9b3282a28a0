//! Matchers: one field item of a search (`field|modifiers: values`) with its modifiers applied.
//!
//! A [`Matcher`] holds the [`ValuePattern`]s its values became and how they combine; identical
//! matchers are shared between rules through their canonical [`Matcher::key`], which is also
//! how `sigil debug ir` shows them.
//!
//! ```
//! let rule = "title: t\nlogsource: {product: aws}\ndetection:\n  sel:\n    \
//!             eventName|startswith: [Delete, Put]\n  condition: sel\n";
//! let loaded = sigil_compiler::load_str("t.yml".as_ref(), rule, &Default::default());
//! let matcher = &loaded.rules.matchers()[0];
//! assert_eq!(matcher.key, r#"eventName [startswith "delete", startswith "put"]"#);
//! assert_eq!(matcher.values[0].to_string(), r#"startswith "delete""#);
//! ```

use super::pattern::{StrKind, StrMatch, StrSet, glob_text};
use crate::source::Span;
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::OnceLock;

/// A dotted field path (`userIdentity.sessionContext.sessionIssuer.userName`).
/// Written as its name; the segments are split again when read.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub struct FieldPath {
    /// The name as written in the rule.
    pub name: String,
    /// The name split on `.`.
    pub segments: Vec<String>,
}

impl FieldPath {
    /// A path from a field name as written in a rule.
    pub fn new(name: &str) -> Self {
        FieldPath::from(name.to_string())
    }
}

impl From<String> for FieldPath {
    fn from(name: String) -> Self {
        let segments = name.split('.').map(str::to_string).collect();
        FieldPath { name, segments }
    }
}

impl From<FieldPath> for String {
    fn from(path: FieldPath) -> Self {
        path.name
    }
}

/// Whether a matcher's values are OR-ed (default) or AND-ed (`|all`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Combine {
    /// One value must match.
    Any,
    /// Every value must match.
    All,
}

/// One field item of a search: `field|modifiers: values`, or a keyword list.
#[derive(Clone, Debug, Serialize, Deserialize)]
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
    #[serde(skip)]
    pub(crate) strings: OnceLock<StrSet>,
}

impl Matcher {
    /// A matcher of `values` at `field` (keywords when `None`), written at `span`.
    pub fn new(
        field: Option<FieldPath>,
        values: Vec<ValuePattern>,
        combine: Combine,
        negate: bool,
        span: Span,
    ) -> Matcher {
        let key = canonical_key(field.as_ref(), &values, combine, negate);
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
    /// An `|expand` value whose placeholder (named here) was given no values: it stands for a
    /// list of values still to be given, and holds for none. A rule with one is loaded but not
    /// runnable ([`RuleSet::placeholders_without_values`](crate::RuleSet::placeholders_without_values)).
    Placeholder(String),
    /// One rule value that modifiers expanded into several variants (`windash`,
    /// `base64offset`, `expand`): holds when any variant does. Only used under `|all`, where
    /// each value must hold but any of its variants will do.
    AnyOf(#[serde(deserialize_with = "crate::compiled::nested")] Vec<ValuePattern>),
}

impl ValuePattern {
    /// The memory the compiled regexes of this value take ([`SigmaRegex::memory_usage`]):
    /// zero for everything but `|re` values.
    ///
    /// [`SigmaRegex::memory_usage`]: crate::SigmaRegex::memory_usage
    pub fn regex_memory_usage(&self) -> usize {
        match self {
            ValuePattern::Str(StrMatch {
                kind: StrKind::Regex(regex),
                ..
            }) => regex.memory_usage(),
            ValuePattern::AnyOf(variants) => variants.iter().map(Self::regex_memory_usage).sum(),
            _ => 0,
        }
    }
}

/// How `|fieldref` compares a field with the other field's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
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

/// The canonical description of a matcher: `field [value, value]`, with ` all` and ` neq`.
fn canonical_key(
    field: Option<&FieldPath>,
    values: &[ValuePattern],
    combine: Combine,
    negate: bool,
) -> String {
    let field = field.map_or("<keywords>", |f| f.name.as_str());
    let values: Vec<String> = values.iter().map(ValuePattern::to_string).collect();
    let combine = if combine == Combine::All { " all" } else { "" };
    let negate = if negate { " neq" } else { "" };
    format!("{field}{combine}{negate} [{}]", values.join(", "))
}

/// A short, stable description of a value pattern, used in IR dumps and in [`Matcher::key`]:
/// `eq "consolelogin"`, `re/^a+/i`, `cidr 10.0.0.0/8`, `any-of(...)`.
impl fmt::Display for ValuePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValuePattern::Null => f.write_str("null"),
            ValuePattern::Exists(b) => write!(f, "exists={b}"),
            ValuePattern::Compare(op, n) => write!(f, "{}", format!("{op:?} {n}").to_lowercase()),
            ValuePattern::Cidr(net) => write!(f, "cidr {net}"),
            ValuePattern::Placeholder(name) => write!(f, "placeholder %{name}%"),
            ValuePattern::FieldRef(path, kind) => write!(f, "fieldref {kind:?} {}", path.name),
            ValuePattern::TimePart(part, op, n) => match op {
                Some(op) => write!(f, "{}", format!("{part:?} {op:?} {n}").to_lowercase()),
                None => write!(f, "{}", format!("{part:?}={n}").to_lowercase()),
            },
            ValuePattern::AnyOf(variants) => {
                let inner: Vec<String> = variants.iter().map(ValuePattern::to_string).collect();
                write!(f, "any-of({})", inner.join(", "))
            }
            ValuePattern::Str(m) => {
                match &m.kind {
                    StrKind::Equals(s) => write!(f, "eq {s:?}"),
                    StrKind::Contains(s) => write!(f, "contains {s:?}"),
                    StrKind::StartsWith(s) => write!(f, "startswith {s:?}"),
                    StrKind::EndsWith(s) => write!(f, "endswith {s:?}"),
                    StrKind::Glob(tokens) => write!(f, "glob {:?}", glob_text(tokens)),
                    StrKind::Regex(re) => {
                        let flags: String = [
                            (re.case_insensitive, 'i'),
                            (re.multi_line, 'm'),
                            (re.dot_all, 's'),
                        ]
                        .iter()
                        .filter(|(on, _)| *on)
                        .map(|(_, c)| *c)
                        .collect();
                        write!(f, "re/{}/{flags}", re.source)
                    }
                }?;
                if m.cased {
                    f.write_str(" cased")?;
                }
                Ok(())
            }
        }
    }
}
