//! Typed, coded, spanned diagnostics.
//!
//! Loading never stops at the first problem: every file and every rule is checked and all
//! problems are collected as [`Diagnostic`]s. Each has a stable [`Code`] (errors `S0xx`, warnings
//! snake_case names), a primary [`Label`] on the offending span, and a help line when there is an
//! obvious fix. The library only builds them; the `sigil` binary renders them.

use crate::source::Span;
use std::fmt;

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The rule cannot be loaded.
    Error,
    /// The rule loads, but its author probably wants to know.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

macro_rules! codes {
    ($( $(#[$doc:meta])* $variant:ident = ($id:literal, $severity:ident), )*) => {
        /// Every diagnostic Sigil can emit. The string id is stable: tools may match on it.
        /// New codes are added as Sigil learns to check more, hence `#[non_exhaustive]`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Code { $( $(#[$doc])* $variant, )* }

        impl Code {
            /// All codes, in declaration order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The stable identifier: `S0xx` for errors, a snake_case name for warnings.
            pub fn id(self) -> &'static str {
                match self { $(Code::$variant => $id,)* }
            }

            /// Whether this code refuses the rule or only warns.
            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$severity,)* }
            }
        }
    };
}

codes! {
    /// The file could not be read.
    Io = ("S001", Error),
    /// The file is not valid UTF-8.
    NotUtf8 = ("S002", Error),
    /// The file is not valid YAML.
    YamlSyntax = ("S003", Error),
    /// The YAML exceeds a resource limit (alias expansion, nesting, size): a YAML bomb or worse.
    YamlLimit = ("S004", Error),
    /// A YAML document is not a mapping, or is not a rule of any known kind.
    NotARule = ("S005", Error),
    /// A required key is missing.
    MissingKey = ("S006", Error),
    /// A key holds a value of the wrong type.
    WrongType = ("S007", Error),
    /// The condition does not parse.
    ConditionSyntax = ("S010", Error),
    /// The condition nests deeper than the limit.
    ConditionTooDeep = ("S011", Error),
    /// A legacy `| count() by ...` aggregation in the condition.
    Aggregation = ("S012", Error),
    /// The legacy `near` operator.
    Near = ("S013", Error),
    /// The condition names an identifier that no search defines.
    UndefinedIdentifier = ("S014", Error),
    /// `0 of ...` or a quantifier that makes no sense.
    InvalidQuantifier = ("S015", Error),
    /// A modifier Sigil does not know.
    UnknownModifier = ("S020", Error),
    /// Modifiers that cannot be combined, or a modifier applied to the wrong kind of value.
    InvalidModifierUse = ("S021", Error),
    /// A `|re` value that is not a valid (linear-time) regular expression.
    InvalidRegex = ("S022", Error),
    /// A `|cidr` value that is not a network.
    InvalidCidr = ("S023", Error),
    /// A value that the modifier cannot take (`|gt: abc`, `|exists: maybe`).
    InvalidValue = ("S024", Error),
    /// A `|re` value for which the load has no memory left (see `limits::MAX_REGEX_BYTES`).
    RegexBudget = ("S026", Error),
    /// A search that is neither a map, a list of maps, nor a list of keywords.
    InvalidSearch = ("S030", Error),
    /// A correlation rule that does not follow the correlation specification.
    InvalidCorrelation = ("S040", Error),
    /// A correlation refers to a rule that was not loaded.
    UnknownRuleReference = ("S041", Error),
    /// A filter rule that does not follow the filter specification.
    InvalidFilter = ("S042", Error),
    /// A legacy `action:` collection that cannot be resolved.
    InvalidCollection = ("S043", Error),
    /// The placeholder file could not be used.
    InvalidPlaceholders = ("S050", Error),
    /// A processing pipeline (`-p FILE`) that cannot be read or is not a pySigma pipeline.
    InvalidPipeline = ("S060", Error),
    /// A pipeline transformation, condition or parameter Sigil does not implement.
    UnsupportedPipeline = ("S061", Error),
    /// A compiled rule-set file that cannot be used: damaged, truncated, written by another
    /// version of Sigil, or given with other rule paths or placeholder values.
    CompiledRules = ("S070", Error),

    /// A search identifier that the condition never uses.
    UnusedSearch = ("unused_selection", Warning),
    /// Two rules share an id.
    DuplicateRuleId = ("duplicate_rule_id", Warning),
    /// The rule has no `id`.
    MissingId = ("missing_id", Warning),
    /// The rule has no `level`.
    MissingLevel = ("missing_level", Warning),
    /// `level` is not one of informational, low, medium, high, critical.
    UnknownLevel = ("unknown_level", Warning),
    /// `null` mixed into a list of values.
    NullInList = ("null_in_list", Warning),
    /// `|all` on a single value (the spec forbids it; it changes nothing).
    AllOnSingleValue = ("all_single_value", Warning),
    /// `N of` with N other than 1: not in the Sigma specification.
    NonStandardQuantifier = ("non_standard_quantifier", Warning),
    /// A rule the literal prefilter cannot rule out: it is evaluated on every record.
    NoLiteral = ("no_literal", Warning),
    /// A filter names a rule it does not apply to (another log source, a correlation).
    FilterNotApplied = ("filter_not_applied", Warning),
    /// An `|expand` placeholder with no values: the rule loads, but `sigil hunt` skips it
    /// until `--placeholders` gives them. (Formerly the error S025, which is retired.)
    PlaceholderWithoutValues = ("placeholder_without_values", Warning),
    /// A `|re` value whose automaton is large enough to make matching slow.
    HugeRegex = ("huge_regex", Warning),
    /// A symbolic link in a rule folder that is not followed: a loop, or a link to nothing.
    SymlinkSkipped = ("symlink_skipped", Warning),
}

impl Code {
    /// Whether a warning of this code changes what the loaded rules report, not only how a rule
    /// reads or how fast it runs: two rules sharing an id both report (a record matching them
    /// is reported twice, under one id), a filter names a rule it does not silence, rules
    /// behind a link that is not followed are not loaded. The commands that report matches
    /// show these before they start.
    pub fn changes_findings(self) -> bool {
        matches!(
            self,
            Code::DuplicateRuleId | Code::FilterNotApplied | Code::SymlinkSkipped
        )
    }
}

/// A span with a message, shown under the source line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    /// What the label points at.
    pub span: Span,
    /// What it says about it (may be empty).
    pub message: String,
}

/// One problem found while loading rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable code; also fixes the severity.
    pub code: Code,
    /// One-line description of the problem.
    pub message: String,
    /// The offending span.
    pub primary: Label,
    /// Other spans worth seeing (the first definition of a duplicate, ...).
    pub secondary: Vec<Label>,
    /// How to fix it, when there is an obvious fix.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with a message and a primary span whose label is empty.
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            message: message.into(),
            primary: Label {
                span,
                message: String::new(),
            },
            secondary: Vec::new(),
            help: None,
        }
    }

    /// Sets the primary label's text.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.primary.message = label.into();
        self
    }

    /// Adds a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a secondary label.
    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Self {
        self.secondary.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    /// The severity, given by the code.
    pub fn severity(&self) -> Severity {
        self.code.severity()
    }

    /// Whether this diagnostic refuses its rule.
    pub fn is_error(&self) -> bool {
        self.severity() == Severity::Error
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            assert!(seen.insert(code.id()), "duplicate id {}", code.id());
            match code.severity() {
                Severity::Error => assert!(code.id().starts_with('S') && code.id().len() == 4),
                Severity::Warning => assert!(
                    code.id()
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c == '_')
                ),
            }
        }
    }
}
