//! Scanning records: the shared [`Engine`] and the per-thread [`Scanner`].
//!
//! An [`Engine`] holds the immutable rule set and the scan options; it is `Send + Sync` and
//! shared by every worker. Each worker makes its own [`Scanner`], which owns the scratch state
//! (the parse buffer, the evaluator's memo table, the match list), so scanning needs no locks.
//!
//! ```
//! use sigil_engine::{Engine, ScanOptions};
//! let rule = r#"
//! title: Root console login
//! logsource: {product: aws, service: cloudtrail}
//! detection:
//!   sel: {eventName: ConsoleLogin, userIdentity.type: Root}
//!   condition: sel
//! "#;
//! let loaded = sigil_compiler::load_str("root.yml".as_ref(), rule, &Default::default());
//! let engine = Engine::new(loaded.rules, ScanOptions::default());
//! let mut scanner = engine.scanner();
//! let record = br#"{"eventVersion":"1.08","eventSource":"signin.amazonaws.com",
//!   "eventName":"ConsoleLogin","userIdentity":{"type":"Root"}}"#;
//! assert_eq!(scanner.scan(record).unwrap().rules.len(), 1);
//! ```

use crate::eval::Evaluator;
use crate::logsource::{RecordSource, applies};
use crate::time::event_time;
use jiff::Timestamp;
use sigil_compiler::{Level, LogSource, RuleId, RuleKind, RuleSet};
use simd_json::prelude::*;

/// What to scan for.
#[derive(Clone, Debug, Default)]
pub struct ScanOptions {
    /// Only rules of at least this level.
    pub min_level: Option<Level>,
    /// Treat every record as coming from this log source (`--logsource`).
    pub forced_logsource: Option<LogSource>,
    /// Only events at or after this time.
    pub from: Option<Timestamp>,
    /// Only events at or before this time.
    pub to: Option<Timestamp>,
}

/// The compiled rules and options, shared by all scanning threads.
pub struct Engine {
    rules: RuleSet,
    options: ScanOptions,
    /// Per [`RecordSource`] (by index): the detection rules that apply to its records.
    routes: Vec<Vec<RuleId>>,
}

impl Engine {
    /// Prepares rules for scanning.
    pub fn new(rules: RuleSet, options: ScanOptions) -> Self {
        let eligible: Vec<RuleId> = rules
            .iter()
            .filter(|(_, r)| matches!(r.kind, RuleKind::Detection(_)))
            .filter(|(_, r)| match options.min_level {
                Some(min) => r.meta.level.is_some_and(|l| l >= min),
                None => true,
            })
            .map(|(id, _)| id)
            .collect();
        let routes = RecordSource::ALL
            .iter()
            .map(|source| {
                let logsource = match &options.forced_logsource {
                    Some(forced) => forced.clone(),
                    None => source.logsource(),
                };
                eligible
                    .iter()
                    .copied()
                    .filter(|&id| applies(&rules.rule(id).meta.logsource, &logsource))
                    .collect()
            })
            .collect();
        Engine {
            rules,
            options,
            routes,
        }
    }

    /// The rules that apply to records of `source` (all records, with `--logsource`).
    pub fn rules_for(&self, source: RecordSource) -> &[RuleId] {
        &self.routes[source as usize]
    }

    /// The rules.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// The options.
    pub fn options(&self) -> &ScanOptions {
        &self.options
    }

    /// A scanner for one thread.
    pub fn scanner(&self) -> Scanner<'_> {
        Scanner {
            engine: self,
            evaluator: Evaluator::new(&self.rules),
            buffer: Vec::new(),
            matched: Vec::new(),
        }
    }
}

/// Why a record could not be evaluated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// The bytes are not valid JSON.
    #[error("invalid JSON: {0}")]
    Json(String),
    /// Valid JSON, but not an object.
    #[error("record is not a JSON object")]
    NotAnObject,
}

/// The outcome of scanning one record.
#[derive(Debug)]
pub struct RecordMatches<'s> {
    /// The rules that matched, in rule order.
    pub rules: &'s [RuleId],
    /// The event's time, when a known field holds it.
    pub timestamp: Option<Timestamp>,
    /// Whether the record was outside `--from`/`--to` and therefore not evaluated.
    pub out_of_range: bool,
    /// What kind of record it is.
    pub source: RecordSource,
}

/// Per-thread scanning state.
pub struct Scanner<'e> {
    engine: &'e Engine,
    evaluator: Evaluator<'e>,
    buffer: Vec<u8>,
    matched: Vec<RuleId>,
}

impl<'e> Scanner<'e> {
    /// The rules being scanned for.
    pub fn rules(&self) -> &'e RuleSet {
        &self.engine.rules
    }

    /// Parses one record (a JSON object's bytes) and evaluates the rules that apply to it.
    pub fn scan(&mut self, record: &[u8]) -> Result<RecordMatches<'_>, RecordError> {
        self.buffer.clear();
        self.buffer.extend_from_slice(record);
        let value = simd_json::to_borrowed_value(&mut self.buffer)
            .map_err(|e| RecordError::Json(e.to_string()))?;
        if value.as_object().is_none() {
            return Err(RecordError::NotAnObject);
        }
        let options = &self.engine.options;
        let timestamp = event_time(&value);
        self.matched.clear();
        let out_of_range = match timestamp {
            Some(t) => options.from.is_some_and(|f| t < f) || options.to.is_some_and(|to| t > to),
            None => options.from.is_some() || options.to.is_some(),
        };
        let source = RecordSource::detect(&value);
        if !out_of_range {
            let candidates = self.engine.rules_for(source).iter().copied();
            self.evaluator
                .matching_rules(&value, candidates, &mut self.matched);
        }
        Ok(RecordMatches {
            rules: &self.matched,
            timestamp,
            out_of_range,
            source,
        })
    }
}
