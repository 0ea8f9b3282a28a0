//! What a hunt did: counts, and the problems met (typed, the first ones in full).

use crate::correlate::Observations;
use crate::eval::RecordError;
use crate::formats::{EnvelopeError, LineError};
use crate::framing::BadReason;
use crate::input::{Block, InputError, InputSource, Skipped};
use crate::logsource::RecordSource;
use crate::scan::ScanStats;
use std::fmt;
use std::time::Duration;

/// How many problems are reported in full; the rest are only counted.
pub const REPORTED_PROBLEMS: usize = 20;

/// A problem with one record or one input. Problems never stop a hunt.
#[derive(Debug)]
pub struct Problem {
    /// The input.
    pub input: InputSource,
    /// The 1-based record number, if the problem is a record's.
    pub record: Option<u64>,
    /// What went wrong.
    pub kind: ProblemKind,
}

/// What went wrong with a record or an input.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProblemKind {
    /// The input could not be read, or stopped being readable (its message names it).
    #[error(transparent)]
    Input(InputError),
    /// The record could not be framed (cut out of its input).
    #[error(transparent)]
    Framing(BadReason),
    /// The record could not be parsed as a JSON object.
    #[error(transparent)]
    Record(RecordError),
    /// The line of a text log could not be read.
    #[error(transparent)]
    Line(LineError),
    /// An envelope (CloudWatch Logs, AWS Config) could not be expanded into its events.
    #[error(transparent)]
    Envelope(EnvelopeError),
}

impl fmt::Display for Problem {
    /// `input: record N: reason` for a record; the input error's own message otherwise.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.record {
            Some(record) => write!(f, "{}: record {record}: {}", self.input, self.kind),
            None => write!(f, "{}", self.kind),
        }
    }
}

/// What a hunt did.
#[derive(Debug, Default)]
pub struct HuntStats {
    /// Inputs scanned (even partly).
    pub files: u64,
    /// Inputs that could not be read at all.
    pub unreadable_files: u64,
    /// Inputs skipped on purpose (digests, noise, Parquet, out of the time range).
    pub skipped_files: Vec<Skipped>,
    /// Bytes framed (after decompression).
    pub bytes: u64,
    /// Bytes of the inputs as stored (compressed or not), when their size is known: a
    /// streamed input's once it ends.
    pub stored_bytes: u64,
    /// Records framed, good or bad.
    pub records: u64,
    /// Records scanned without error and within `--from`/`--to`: parsed and evaluated, or ruled
    /// out by the prefilter without parsing (`scan.parsed` counts the records parsed).
    pub scanned: u64,
    /// Records outside `--from`/`--to`.
    pub out_of_range: u64,
    /// Records skipped because they were malformed.
    pub bad_records: u64,
    /// Scanned records per [`RecordSource`] (by index): a parsed record's detected source, the
    /// source of a text log or an envelope, and for the records of a unit of work that the
    /// prefilter kept from being parsed, the source of the first of them (parsed once for
    /// this: the records of one file are of one log).
    pub records_per_source: [u64; RecordSource::ALL.len()],
    /// One bit per [`RecordSource`] (by index) of which records were seen, as counted in
    /// `records_per_source`. Tells which rules never applied.
    pub sources_seen: u32,
    /// What the scanners did: records parsed, rules evaluated, time shares.
    pub scan: ScanStats,
    /// Matches per rule, indexed by `RuleId` (correlations included).
    pub matches_per_rule: Vec<u64>,
    /// Correlation matches written.
    pub correlation_matches: u64,
    /// The first problems (records and inputs), in input order.
    pub problems: Vec<Problem>,
    /// Problems beyond those reported in full.
    pub more_problems: u64,
    /// Wall time.
    pub elapsed: Duration,
    /// Matches of correlation inputs, for the correlator, in input order.
    pub(crate) observations: Observations,
}

impl HuntStats {
    pub(crate) fn new(rules: usize) -> Self {
        HuntStats {
            matches_per_rule: vec![0; rules],
            ..HuntStats::default()
        }
    }

    /// Total matches of detection rules.
    pub fn matches(&self) -> u64 {
        self.matches_per_rule.iter().sum::<u64>() - self.correlation_matches
    }

    /// Whether any input could not be read, fully or partly, or held bad records.
    pub fn had_input_errors(&self) -> bool {
        self.unreadable_files > 0
            || self.bad_records > 0
            || self.problems.iter().any(|p| p.record.is_none())
    }

    /// Counts a bad record of `input` and reports it.
    pub(crate) fn bad_record(&mut self, input: &InputSource, record: u64, kind: ProblemKind) {
        self.bad_records += 1;
        self.problem(input, Some(record), kind);
    }

    /// Reports a problem of `input` (of one of its records, if `record` is given).
    pub(crate) fn problem(&mut self, input: &InputSource, record: Option<u64>, kind: ProblemKind) {
        if self.problems.len() < REPORTED_PROBLEMS {
            self.problems.push(Problem {
                input: input.clone(),
                record,
                kind,
            });
        } else {
            self.more_problems += 1;
        }
    }

    /// Discards what was made of a unit whose file shrank while it was read
    /// ([`Block::shrunk`]): of its statistics only the file and its stored bytes are left, and
    /// the shrink is reported (once per file).
    pub(crate) fn discard_shrunk(&mut self, block: &Block, input: &InputSource) {
        let mut kept = HuntStats::new(self.matches_per_rule.len());
        kept.files = self.files;
        kept.stored_bytes = self.stored_bytes;
        if let Some(error) = block.shrink_error(input) {
            kept.problem(input, None, ProblemKind::Input(error));
        }
        *self = kept;
    }

    /// Adds the statistics of a later unit of work.
    pub(crate) fn merge(&mut self, other: HuntStats) {
        self.files += other.files;
        self.unreadable_files += other.unreadable_files;
        self.skipped_files.extend(other.skipped_files);
        self.bytes += other.bytes;
        self.stored_bytes += other.stored_bytes;
        self.records += other.records;
        self.scanned += other.scanned;
        self.out_of_range += other.out_of_range;
        self.bad_records += other.bad_records;
        self.scan.merge(&other.scan);
        self.sources_seen |= other.sources_seen;
        self.observations.append(other.observations);
        for (total, n) in self
            .records_per_source
            .iter_mut()
            .zip(other.records_per_source)
        {
            *total += n;
        }
        for (total, n) in self.matches_per_rule.iter_mut().zip(other.matches_per_rule) {
            *total += n;
        }
        let room = REPORTED_PROBLEMS.saturating_sub(self.problems.len());
        let overflow = other.problems.len().saturating_sub(room) as u64;
        self.problems.extend(other.problems.into_iter().take(room));
        self.more_problems += other.more_problems + overflow;
    }
}
