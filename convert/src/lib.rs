//! Sigil's rules as SQL for the engines that query whole archives where they live: Amazon
//! Athena (Trino), Apache Spark SQL and DuckDB, with the answers `sigil hunt` gives.
//!
//! A [`Converter`] turns each rule of a [`RuleSet`] into one query: a detection rule into
//! `SELECT * FROM <table> WHERE <condition>` over its log source's table (the whole matching
//! records), a correlation rule into windows over its base rules' events. The tables are
//! those AWS documents for Athena (CloudTrail with `useridentity` as a struct and
//! `requestparameters` as JSON text, VPC Flow Logs, ALB, CloudFront, WAF, GuardDuty); [`ddl`]
//! writes them for each target (Athena's DDL with partition projection, DuckDB and Spark views
//! over the raw files).
//!
//! The queries mean what Sigil means (DESIGN §2): case-insensitive matching with Sigil's
//! folding, wildcards and their escapes, `null` as absent, `contains` on objects searching
//! the values inside, numbers against numeric strings, `|cidr`, `|re` in each engine's regex
//! flavour, the encodings (`|base64offset`, `|windash`... are value lists by then). What a
//! target cannot say exactly is refused with the reason ([`Refusal`]), never approximated.
//!
//! ```
//! use sigil_compiler::{load_str, LoadOptions, RuleId};
//! use sigil_convert::{Converter, Options, Target};
//!
//! let rule = "title: Trail stopped\nlogsource: {product: aws, service: cloudtrail}\n\
//!             detection:\n  sel:\n    eventName: StopLogging\n  condition: sel\n";
//! let loaded = load_str("stop.yml".as_ref(), rule, &LoadOptions::default());
//! let converter = Converter::new(&loaded.rules, Options::new(Target::Athena));
//! let query = converter.convert(RuleId(0)).unwrap();
//! assert!(query.sql.starts_with("SELECT * FROM cloudtrail WHERE"));
//! assert!(query.sql.contains("= 'stoplogging'"));
//! ```

#![deny(missing_docs)]

mod cidr;
pub mod correlation;
pub mod ddl;
mod detection;
pub mod dialect;
mod fieldref;
mod json;
pub mod regex;
mod strings;
pub mod tables;
mod time;
mod values;

use dialect::Dialect;
use jiff::Timestamp;
use sigil_compiler::{FieldPath, RuleId, RuleKind, RuleSet};
use std::cell::Cell;
use std::collections::HashMap;
use std::fmt;
use tables::Table;

/// An engine the rules are converted for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// Amazon Athena (Trino SQL, engine version 3).
    Athena,
    /// Apache Spark SQL (4.0 or newer).
    Spark,
    /// DuckDB (1.3 or newer).
    DuckDb,
}

impl Target {
    /// Every target.
    pub const ALL: [Target; 3] = [Target::Athena, Target::Spark, Target::DuckDb];

    /// The target's SQL dialect.
    pub fn dialect(self) -> &'static dyn Dialect {
        match self {
            Target::Athena => &dialect::Athena,
            Target::Spark => &dialect::Spark,
            Target::DuckDb => &dialect::DuckDb,
        }
    }

    /// The target's name on the command line (`athena`, `spark`, `duckdb`).
    pub fn name(self) -> &'static str {
        match self {
            Target::Athena => "athena",
            Target::Spark => "spark",
            Target::DuckDb => "duckdb",
        }
    }

    /// The target called `name`.
    pub fn from_name(name: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// Why a rule cannot be converted faithfully.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    reason: String,
}

impl Refusal {
    /// A refusal for `reason`.
    pub fn new(reason: impl Into<String>) -> Self {
        Refusal {
            reason: reason.into(),
        }
    }

    /// The reason, prefixed with where it arose (`search \`selection\``).
    pub fn context(self, place: &str) -> Self {
        Refusal {
            reason: format!("{place}: {}", self.reason),
        }
    }

    /// The reason.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for Refusal {}

/// What a conversion produces besides the rules: target, table names, time range.
#[derive(Clone, Debug)]
pub struct Options {
    /// The engine.
    pub target: Target,
    /// Table names by log source service (`cloudtrail` -> `my_trail`); the others keep their
    /// default names ([`Table::name`]).
    pub table_names: HashMap<String, String>,
    /// Only events at or after this time (as `sigil hunt --from`).
    pub from: Option<Timestamp>,
    /// Only events at or before this time (as `sigil hunt --to`).
    pub to: Option<Timestamp>,
}

impl Options {
    /// Default options for `target`.
    pub fn new(target: Target) -> Self {
        Options {
            target,
            table_names: HashMap::new(),
            from: None,
            to: None,
        }
    }

    /// The name of `table` in the queries.
    pub fn table_name(&self, table: &Table) -> String {
        self.table_names
            .get(table.service)
            .cloned()
            .unwrap_or_else(|| table.name.to_string())
    }
}

/// One rule's query.
#[derive(Clone, Debug)]
pub struct Query {
    /// The SQL text.
    pub sql: String,
    /// The services of the tables it reads (`cloudtrail`).
    pub services: Vec<&'static str>,
    /// What its rows are.
    pub kind: QueryKind,
}

/// What the rows of a query are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueryKind {
    /// Whole matching records (`SELECT *`).
    Detection,
    /// One row per correlation match: the group-by values, `window_start` and `window_end`
    /// (microseconds since the epoch), `value` (the aggregate) and `events`.
    Correlation,
}

impl QueryKind {
    /// `detection` or `correlation`.
    pub fn name(self) -> &'static str {
        match self {
            QueryKind::Detection => "detection",
            QueryKind::Correlation => "correlation",
        }
    }
}

/// Converts the rules of a rule set; see the crate documentation.
pub struct Converter<'r> {
    rules: &'r RuleSet,
    options: Options,
    names: HashMap<&'r str, RuleId>,
}

impl<'r> Converter<'r> {
    /// A converter for `rules`.
    pub fn new(rules: &'r RuleSet, options: Options) -> Self {
        let mut names = HashMap::new();
        for (id, rule) in rules.iter() {
            for key in [rule.meta.id.as_deref(), rule.meta.name.as_deref()]
                .into_iter()
                .flatten()
            {
                names.entry(key).or_insert(id);
            }
        }
        Converter {
            rules,
            options,
            names,
        }
    }

    /// The options.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// The query of rule `id`, or why there is none. Filter rules have no query of their own
    /// (they are part of the queries of the rules they name).
    pub fn convert(&self, id: RuleId) -> Result<Query, Refusal> {
        let rule = self.rules.rule(id);
        match &rule.kind {
            RuleKind::Detection(_) => {
                let table = tables::for_logsource(&rule.meta.logsource)?;
                let cx = self.context(table);
                let sql = format!(
                    "SELECT * FROM {} WHERE {}",
                    self.options.table_name(table),
                    self.detection_predicate(&cx, id)?
                );
                Ok(Query {
                    sql,
                    services: vec![table.service],
                    kind: QueryKind::Detection,
                })
            }
            RuleKind::Correlation(c) => correlation::convert(self, c),
            RuleKind::Filter(_) => Err(Refusal::new(
                "a filter rule has no query of its own: Sigil folds it into the rules it names",
            )),
        }
    }

    /// The `WHERE` predicate of detection rule `id`: its condition (with the global filters
    /// the compiler folded into it) and the time range.
    pub(crate) fn detection_predicate(&self, cx: &Cx, id: RuleId) -> Result<String, Refusal> {
        let rule = self.rules.rule(id);
        let RuleKind::Detection(detection) = &rule.kind else {
            return Err(Refusal::new(format!(
                "`{}` is not a detection rule",
                rule.meta.title
            )));
        };
        let missing = self.rules.placeholders_without_values(id);
        if !missing.is_empty() {
            let names: Vec<String> = missing.iter().map(|name| format!("%{name}%")).collect();
            let (noun, verb) = if names.len() == 1 {
                ("placeholder", "has")
            } else {
                ("placeholders", "have")
            };
            return Err(Refusal::new(format!(
                "{noun} {} {verb} no values (give them with --placeholders FILE); \
                 `sigil hunt` skips the rule too",
                names.join(", ")
            )));
        }
        let mut parts = vec![detection::predicate(cx, self.rules, detection)?];
        parts.extend(time::range(cx, &self.options)?);
        Ok(parts.join("\n  AND "))
    }

    /// The rule a correlation names by id or name.
    pub(crate) fn named(&self, reference: &str) -> Option<RuleId> {
        self.names.get(reference).copied()
    }

    /// The rules.
    pub(crate) fn rules(&self) -> &'r RuleSet {
        self.rules
    }

    /// A fresh conversion context for `table`.
    pub(crate) fn context(&self, table: &'static Table) -> Cx<'static> {
        Cx {
            d: self.options.target.dialect(),
            target: self.options.target,
            table,
            vars: Cell::new(0),
        }
    }
}

/// What building one query needs: the dialect, the table, fresh variable names.
pub(crate) struct Cx<'a> {
    pub(crate) d: &'a dyn Dialect,
    pub(crate) target: Target,
    pub(crate) table: &'static Table,
    vars: Cell<usize>,
}

impl Cx<'_> {
    /// A lambda variable name not used before in this query.
    pub(crate) fn var(&self, prefix: &str) -> String {
        let n = self.vars.get() + 1;
        self.vars.set(n);
        format!("{prefix}{n}")
    }

    /// The keys of a path inside JSON text, as the target's table holds them (lowercased by
    /// Athena's OpenX SerDe).
    pub(crate) fn json_keys(
        &self,
        keys: &[String],
        field: &FieldPath,
    ) -> Result<Vec<String>, Refusal> {
        if self.target != Target::Athena || !self.table.athena_lowercases_keys {
            return Ok(keys.to_vec());
        }
        keys.iter()
            .map(|key| {
                if key.is_ascii() {
                    Ok(key.to_ascii_lowercase())
                } else {
                    Err(Refusal::new(format!(
                        "field `{}`: Athena's SerDe lowercases the keys inside `{}`, and `{key}` is not ASCII",
                        field.name, field.segments[0]
                    )))
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sigil_compiler::load_str;

    #[test]
    fn placeholders_without_values_are_refused_with_their_names() {
        let rule = "title: Admins\nlogsource: {product: aws, service: cloudtrail}\n\
                    detection:\n  sel:\n    userIdentity.userName|expand: '%admins%'\n  condition: sel\n";
        let loaded = load_str("admins.yml".as_ref(), rule, &Default::default());
        let converter = Converter::new(&loaded.rules, Options::new(Target::DuckDb));
        let refusal = converter.convert(RuleId(0)).unwrap_err();
        assert!(
            refusal
                .reason()
                .starts_with("placeholder %admins% has no values"),
            "{refusal}"
        );
    }
}
