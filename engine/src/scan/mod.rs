//! Scanning records: the shared [`Engine`] and the per-thread [`Scanner`].
//!
//! An [`Engine`] holds the immutable rule set, the [`Prefilter`] and the scan options; it is
//! `Send + Sync` and shared by every worker. Each worker makes its own [`Scanner`], which owns the
//! scratch state (the literal bitset, the parse buffer, the evaluator's memo table, the match
//! list), so scanning needs no locks.
//!
//! A record goes through three steps:
//!
//! 1. the prefilter scans its raw bytes once (with their optional JSON escapes spelled out, see
//!    [`crate::prefilter`]) and names the candidate rules;
//! 2. only if some rule is a candidate, the record is parsed (to a simd-json tape) and its source
//!    recognised; a record that is not parsed is only checked to be UTF-8 and to look like an
//!    object, so truncated lines and binary junk are still reported as bad records;
//! 3. the candidates that apply to the record's source are evaluated exactly.
//!
//! With [`ScanOptions::prefilter`] off, every record is parsed and every rule of its source
//! evaluated; the matches are the same (the soundness contract of [`Prefilter`]).
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

use crate::correlate::correlation_summary;
use crate::eval::parse::{BigNumbers, describe_error};
use crate::eval::{Evaluator, Json, Kind, RecordError, TapeRecord, event_time};
use crate::framing::MAX_DEPTH;
use crate::logsource::{RecordSource, applies};
use crate::prefilter::{DFA_LITERAL_BYTES, Prefilter, PrefilterScratch};
use crate::record::RecordView;
use jiff::Timestamp;
use sigil_compiler::{Level, LogSource, RuleId, RuleSet};
use simd_json::tape::Tape;
use std::time::{Duration, Instant};

/// What to scan for.
#[derive(Clone, Debug)]
pub struct ScanOptions {
    /// Only rules of at least this level.
    pub min_level: Option<Level>,
    /// Treat every record as coming from this log source (`--logsource`).
    pub forced_logsource: Option<LogSource>,
    /// Run every rule on every record, whatever the rule's own logsource (`--any-logsource`):
    /// for rules written for another log source, and for benchmarks with many rules.
    pub any_logsource: bool,
    /// Only events at or after this time.
    pub from: Option<Timestamp>,
    /// Only events at or before this time.
    pub to: Option<Timestamp>,
    /// Use the literal prefilter (default); off (`--no-prefilter`) parses and evaluates every
    /// record, with the same matches.
    pub prefilter: bool,
}

impl ScanOptions {
    /// Whether a rule's matches pass `min_level`.
    pub fn passes_level(&self, rule: &sigil_compiler::Rule) -> bool {
        self.min_level
            .is_none_or(|min| rule.meta.level.is_some_and(|l| l >= min))
    }
}

impl Default for ScanOptions {
    /// All rules, detected log sources, no time range, prefilter on.
    fn default() -> Self {
        ScanOptions {
            min_level: None,
            forced_logsource: None,
            any_logsource: false,
            from: None,
            to: None,
            prefilter: true,
        }
    }
}

/// One bit per [`RecordSource`].
type SourceMask = u32;
const _: () = assert!(RecordSource::ALL.len() <= SourceMask::BITS as usize);

/// The compiled rules and options, shared by all scanning threads.
pub struct Engine {
    rules: RuleSet,
    options: ScanOptions,
    /// Per [`RecordSource`] (by index): the detection rules that apply to its records.
    routes: [Vec<RuleId>; RecordSource::ALL.len()],
    /// Per rule: bit `s` set when the rule applies to records of source `s`.
    sources: Vec<SourceMask>,
    /// The literal prefilter, unless turned off.
    prefilter: Option<Prefilter>,
    /// Correlations that cannot be evaluated, with the reason.
    unevaluated: Vec<(RuleId, String)>,
}

impl Engine {
    /// Prepares rules for scanning.
    ///
    /// Rules below [`ScanOptions::min_level`] are left out, except those a correlation reads
    /// (they are often informational): those are evaluated, and their own matches dropped.
    pub fn new(rules: RuleSet, options: ScanOptions) -> Self {
        Engine::narrowing_above(rules, options, DFA_LITERAL_BYTES)
    }

    /// [`Engine::new`], with the prefilter narrowing the sets of rules whose literals come to
    /// more than `bytes` (see [`Prefilter::routed_narrowing`]) instead of only the sets too big
    /// for a DFA. Tests use it to run the narrowing on small rule sets.
    #[cfg(feature = "testing")]
    pub fn with_narrowing_above(rules: RuleSet, options: ScanOptions, bytes: usize) -> Self {
        Engine::narrowing_above(rules, options, bytes)
    }

    fn narrowing_above(mut rules: RuleSet, options: ScanOptions, narrow_above: usize) -> Self {
        let (correlated, unevaluated) = correlation_summary(&rules);
        let eligible: Vec<RuleId> = rules
            .detections()
            .filter(|(id, r)| options.passes_level(r) || correlated.contains(id))
            .map(|(id, _)| id)
            .collect();
        let routes: [Vec<RuleId>; RecordSource::ALL.len()] = RecordSource::ALL.map(|source| {
            let logsource = match &options.forced_logsource {
                Some(forced) => forced.clone(),
                None => source.logsource(),
            };
            eligible
                .iter()
                .copied()
                .filter(|&id| {
                    options.any_logsource || applies(&rules.rule(id).meta.logsource, &logsource)
                })
                .collect()
        });
        let mut sources = vec![0; rules.len()];
        for (source, route) in routes.iter().enumerate() {
            for rule in route {
                sources[rule.0 as usize] |= 1 << source;
            }
        }
        let prefilter = options.prefilter.then(|| {
            let literals = rules.take_literals();
            Prefilter::of_literals(literals, rules.len(), &routes, narrow_above)
        });
        Engine {
            rules,
            options,
            routes,
            sources,
            prefilter,
            unevaluated,
        }
    }

    /// The rules that apply to records of `source` (all records, with `--logsource`).
    pub fn rules_for(&self, source: RecordSource) -> &[RuleId] {
        &self.routes[source as usize]
    }

    /// Correlations that cannot be evaluated (a reference cycle, a reference to a filter), with
    /// the reason; a driver should warn about them.
    pub fn unevaluated_correlations(&self) -> impl Iterator<Item = (RuleId, &str)> {
        self.unevaluated
            .iter()
            .map(|(rule, why)| (*rule, why.as_str()))
    }

    /// The rules.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// The options.
    pub fn options(&self) -> &ScanOptions {
        &self.options
    }

    /// The prefilter; `None` when [`ScanOptions::prefilter`] is off.
    pub fn prefilter(&self) -> Option<&Prefilter> {
        self.prefilter.as_ref()
    }

    /// A scanner for one thread.
    pub fn scanner(&self) -> Scanner<'_> {
        Scanner {
            engine: self,
            evaluator: Evaluator::new(&self.rules),
            scratch: self.prefilter.as_ref().map(Prefilter::scratch),
            candidates: Vec::new(),
            parse: ParseBuffers {
                record: Vec::new(),
                rewritten: Vec::new(),
                big_numbers: BigNumbers::default(),
                simd: simd_json::Buffers::with_max_depth(0, MAX_DEPTH),
            },
            spare_tape: None,
            matched: Vec::new(),
            stats: ScanStats::default(),
        }
    }
}

/// The outcome of scanning one record.
#[derive(Debug)]
pub struct RecordMatches<'s> {
    /// The rules that matched, in rule order.
    pub rules: &'s [RuleId],
    /// The event's time, when a known field holds it (`None` when not parsed).
    pub timestamp: Option<Timestamp>,
    /// Whether the record was outside `--from`/`--to` and therefore not evaluated (only known
    /// when parsed).
    pub out_of_range: bool,
    /// What kind of record it is ([`RecordSource::Unknown`] when not parsed).
    pub source: RecordSource,
    /// The parsed record (see [`RecordMatches::view`]).
    tape: Option<Tape<'s>>,
    /// The texts of the record's numbers too large for 64 bits.
    big_numbers: &'s str,
    /// Where the tape's allocation goes back to when this is dropped, for the next record.
    spare_tape: &'s mut Option<Tape<'static>>,
}

impl Drop for RecordMatches<'_> {
    fn drop(&mut self) {
        if let Some(tape) = self.tape.take() {
            *self.spare_tape = Some(tape.reset());
        }
    }
}

impl<'s> RecordMatches<'s> {
    /// The parsed record, for what follows the match (sinks, correlations, filters); `None`
    /// when the prefilter ruled out every rule and the record was not parsed.
    pub fn view(&self) -> Option<RecordView<'_>> {
        let (source, big_numbers) = (self.source, self.big_numbers);
        self.tape.as_ref().map(|tape| {
            RecordView::new(
                TapeRecord::with_big_numbers(tape.as_value(), big_numbers),
                source,
            )
        })
    }
}

/// What a [`Scanner`] did, for `--stats`. Times are measured on one record in
/// [`ScanStats::SAMPLE_EVERY`], so they cost nothing noticeable; use them as shares.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScanStats {
    /// Records given to [`Scanner::scan`].
    pub records: u64,
    /// Records whose optional JSON escapes the prefilter spelled out before its scan.
    pub unescaped: u64,
    /// Records parsed with simd-json.
    pub parsed: u64,
    /// Rules evaluated exactly, summed over the records.
    pub rules_evaluated: u64,
    /// Records whose steps were timed.
    pub sampled: u64,
    /// Time of the sampled records in the prefilter (escape check, literal search, formulas).
    pub prefilter_time: Duration,
    /// Time of the sampled records in parsing (and the shape check of unparsed ones).
    pub parse_time: Duration,
    /// Time of the sampled records in exact evaluation.
    pub evaluate_time: Duration,
}

impl ScanStats {
    /// One record in this many is timed.
    pub const SAMPLE_EVERY: u64 = 32;

    /// Adds `other` to these statistics.
    pub fn merge(&mut self, other: &ScanStats) {
        self.records += other.records;
        self.unescaped += other.unescaped;
        self.parsed += other.parsed;
        self.rules_evaluated += other.rules_evaluated;
        self.sampled += other.sampled;
        self.prefilter_time += other.prefilter_time;
        self.parse_time += other.parse_time;
        self.evaluate_time += other.evaluate_time;
    }

    /// Mean number of rules evaluated per record.
    pub fn rules_per_record(&self) -> f64 {
        self.rules_evaluated as f64 / self.records.max(1) as f64
    }

    /// Shares of the sampled time spent in prefilter, parse and evaluation (summing to 1), if
    /// any record was timed.
    pub fn time_shares(&self) -> Option<[f64; 3]> {
        let parts = [self.prefilter_time, self.parse_time, self.evaluate_time];
        let total: f64 = parts.iter().map(Duration::as_secs_f64).sum();
        (total > 0.0).then(|| parts.map(|d| d.as_secs_f64() / total))
    }
}

/// Per-thread scanning state.
pub struct Scanner<'e> {
    engine: &'e Engine,
    evaluator: Evaluator<'e>,
    /// The prefilter's scratch, when it is on.
    scratch: Option<PrefilterScratch>,
    /// The current record's candidate rules (when the prefilter is on).
    candidates: Vec<RuleId>,
    /// The allocation of the last record's tape, once its [`RecordMatches`] is dropped.
    spare_tape: Option<Tape<'static>>,
    /// What parsing a record needs, reused from record to record.
    parse: ParseBuffers,
    matched: Vec<RuleId>,
    stats: ScanStats,
}

impl<'e> Scanner<'e> {
    /// The rules being scanned for.
    pub fn rules(&self) -> &'e RuleSet {
        &self.engine.rules
    }

    /// What this scanner did so far.
    pub fn stats(&self) -> &ScanStats {
        &self.stats
    }

    /// Returns what this scanner did so far and starts counting afresh.
    pub fn take_stats(&mut self) -> ScanStats {
        std::mem::take(&mut self.stats)
    }

    /// Scans one record (a JSON object's bytes): prefilter, parse if some rule may match, and
    /// evaluate the candidate rules that apply to it (see the module docs). The record's source
    /// is recognised from its fields.
    pub fn scan(&mut self, record: &[u8]) -> Result<RecordMatches<'_>, RecordError> {
        self.scan_from(record, None)
    }

    /// Scans one record whose source may be known already: records read from a text log or
    /// taken out of an envelope carry their file's source, which their fields may not show.
    pub fn scan_from(
        &mut self,
        record: &[u8],
        known: Option<RecordSource>,
    ) -> Result<RecordMatches<'_>, RecordError> {
        self.scan_record(record, known, true)
    }

    /// [`scan_from`](Scanner::scan_from) for an NDJSON line that framing left unchecked: the
    /// caller checks it with [`check_line`](crate::framing::check_line) when it is not parsed
    /// (when it has no [view](RecordMatches::view)), which covers the cheap check the scanner
    /// makes of such a record (UTF-8, and braces at both ends), so that check is skipped.
    pub(crate) fn scan_unchecked_line(
        &mut self,
        record: &[u8],
        known: Option<RecordSource>,
    ) -> Result<RecordMatches<'_>, RecordError> {
        self.scan_record(record, known, false)
    }

    /// Scans one record; `check_unparsed` tells whether a record that is not parsed gets the
    /// scanner's cheap check of its shape.
    fn scan_record(
        &mut self,
        record: &[u8],
        known: Option<RecordSource>,
        check_unparsed: bool,
    ) -> Result<RecordMatches<'_>, RecordError> {
        self.stats.records += 1;
        let mut clock = Clock::start(self.stats.records.is_multiple_of(ScanStats::SAMPLE_EVERY));
        let filtered = match (&self.engine.prefilter, &mut self.scratch) {
            (Some(prefilter), Some(scratch)) => {
                let escaped = prefilter.candidates(record, scratch, &mut self.candidates, known);
                self.stats.unescaped += u64::from(escaped);
                true
            }
            _ => false,
        };
        clock.lap(&mut self.stats.prefilter_time);
        self.matched.clear();
        if filtered && self.candidates.is_empty() {
            let shape = match check_unparsed {
                true => check_shape(record),
                false => Ok(()),
            };
            clock.lap(&mut self.stats.parse_time);
            self.stats.sampled += u64::from(clock.on());
            shape?;
            return Ok(RecordMatches {
                rules: &self.matched,
                timestamp: None,
                out_of_range: false,
                source: RecordSource::Unknown,
                tape: None,
                big_numbers: "",
                spare_tape: &mut self.spare_tape,
            });
        }
        self.stats.parsed += 1;
        let mut tape = self.spare_tape.take().unwrap_or_else(Tape::null).reset();
        let big_numbers = parse(record, &mut self.parse, &mut tape);
        clock.lap(&mut self.stats.parse_time);
        let big_numbers = big_numbers?;
        let value = TapeRecord::with_big_numbers(tape.as_value(), big_numbers);
        if value.kind() != Kind::Object {
            return Err(RecordError::NotAnObject);
        }
        let options = &self.engine.options;
        let timestamp = event_time(value);
        let out_of_range = match timestamp {
            Some(t) => options.from.is_some_and(|f| t < f) || options.to.is_some_and(|to| t > to),
            None => options.from.is_some() || options.to.is_some(),
        };
        let source = known.unwrap_or_else(|| {
            let detected = RecordSource::detect(value);
            if let Some(scratch) = &mut self.scratch {
                scratch.presume(detected);
            }
            detected
        });
        if !out_of_range {
            let counted = &mut self.stats.rules_evaluated;
            if filtered {
                let sources = &self.engine.sources;
                let applies = self
                    .candidates
                    .iter()
                    .copied()
                    .filter(|rule| sources[rule.0 as usize] & (1 << source as u32) != 0)
                    .inspect(|_| *counted += 1);
                self.evaluator
                    .matching_rules(value, applies, &mut self.matched);
            } else {
                let applies = self.engine.rules_for(source);
                *counted += applies.len() as u64;
                self.evaluator
                    .matching_rules(value, applies.iter().copied(), &mut self.matched);
            }
        }
        clock.lap(&mut self.stats.evaluate_time);
        self.stats.sampled += u64::from(clock.on());
        Ok(RecordMatches {
            rules: &self.matched,
            timestamp,
            out_of_range,
            source,
            tape: Some(tape),
            big_numbers,
            spare_tape: &mut self.spare_tape,
        })
    }
}

/// A scanner's buffers for parsing records.
struct ParseBuffers {
    /// The record being parsed, followed by simd-json's padding (so that it needs no copy of
    /// its own).
    record: Vec<u8>,
    /// The record with its numbers too large for 64 bits rewritten, when it has some.
    rewritten: Vec<u8>,
    /// Those numbers.
    big_numbers: BigNumbers,
    /// simd-json's working buffers. Their depth limit is framing's [`MAX_DEPTH`], so that a
    /// record simd-json parses is one framing accepts (see
    /// [`records_unchecked`](crate::framing::records_unchecked)).
    simd: simd_json::Buffers,
}

/// Parses `record`, copied into a buffer (padded as simd-json needs), to `tape`. A record with
/// numbers too large for 64 bits is parsed again with them written as `0` and then put back
/// in the tape (see the `eval::parse` module): the texts of those numbers are returned (empty
/// when there are none).
fn parse<'s>(
    record: &[u8],
    buffers: &'s mut ParseBuffers,
    tape: &mut Tape<'s>,
) -> Result<&'s str, RecordError> {
    let ParseBuffers {
        record: buffer,
        rewritten,
        big_numbers,
        simd,
    } = buffers;
    let len = record.len();
    buffer.clear();
    buffer.extend_from_slice(record);
    buffer.resize(len + simd_json::INPUT_PADDING, 0);
    let Err(error) = simd_json::fill_tape_padded(buffer, len, simd, tape) else {
        return Ok("");
    };
    let number_error = matches!(
        error.error(),
        simd_json::ErrorType::InvalidNumber | simd_json::ErrorType::InvalidExponent
    );
    rewritten.clear();
    rewritten.extend_from_slice(record);
    rewritten.resize(len + simd_json::INPUT_PADDING, 0);
    if !number_error || !big_numbers.rewrite(record, rewritten) {
        return Err(RecordError::Json(describe_error(&error, record)));
    }
    tape.0.clear();
    simd_json::fill_tape_padded(rewritten, len, simd, tape)
        .map_err(|error| RecordError::Json(describe_error(&error, record)))?;
    big_numbers.patch(tape);
    Ok(big_numbers.text())
}

/// The cheap check of a record that is not parsed: UTF-8, and braces at both ends (after
/// whitespace). It catches truncated and binary records, not every malformed one.
fn check_shape(record: &[u8]) -> Result<(), RecordError> {
    let text = std::str::from_utf8(record).map_err(|error| RecordError::InvalidUtf8 {
        at: error.valid_up_to(),
    })?;
    let text = text.trim_matches([' ', '\t', '\n', '\r']);
    if !text.starts_with('{') {
        return Err(RecordError::NotAnObject);
    }
    if !text.ends_with('}') {
        return Err(RecordError::Json("truncated record: no closing `}`".into()));
    }
    Ok(())
}

/// Times the steps of a sampled record; does nothing for the others.
struct Clock(Option<Instant>);

impl Clock {
    fn start(on: bool) -> Clock {
        Clock(on.then(Instant::now))
    }

    fn on(&self) -> bool {
        self.0.is_some()
    }

    /// Adds the time since the last lap to `total`.
    fn lap(&mut self, total: &mut Duration) {
        if let Some(last) = &mut self.0 {
            let now = Instant::now();
            *total += now - *last;
            *last = now;
        }
    }
}
