//! Sinks: where matches go (see [`Sink`]), and the sinks Sigil ships.

mod count;
mod csv;
mod jsonl;
mod table;
mod text;

pub use count::{CountBatch, CountSink, Counts, Key};
pub use csv::{Csv, CsvSink};
pub use jsonl::{Jsonl, JsonlSink, compact_json, write_correlation_json};
pub use table::{Table, TableSink};
pub use text::{Layout, TextBatch, TextOut, TextSink};

use crate::correlate::CorrelationMatch;
use crate::input::{InputSource, SharedInput};
use crate::record::RecordView;
use jiff::Timestamp;
use sigil_compiler::{Rule, RuleId};
use std::io;

/// Where matches go.
///
/// A hunt scans its inputs on several threads, in units of work (a file, or a piece of a big
/// one), and its output must still come out in input order. So a [`Sink`] has two sides:
///
/// - on the worker threads, a [`Batch`] per unit receives the unit's matches through
///   [`Batch::matched`], with the [`MatchRecord`] (rule, time, where) and the parsed record
///   ([`RecordView`]), so a sink that needs field values never parses a record again;
/// - on the driver's thread, [`Sink::write`] receives the batches in input order, then
///   [`Sink::correlation`] each correlation match (found after the scan), then
///   [`Sink::finish`] once.
///
/// Any method may fail with a [`SinkError`]; the hunt then stops and returns it. A closed
/// output ([`SinkError::Closed`], a reader that went away such as `| head`) is told apart from a
/// failed write ([`SinkError::Write`], a full disk), which must never pass silently.
///
/// The sinks here: [`JsonlSink`] (the match record contract, see below), [`CsvSink`],
/// [`TableSink`] (aligned columns for people), all writing to any `io::Write`, and
/// [`CountSink`] (matched records counted per value of some fields).
///
/// The JSONL record is what other tools parse, so its shape is fixed:
///
/// ```json
/// {"rule":{"id":"…","title":"…","level":"high","tags":["attack.t1562"],"path":"rules/x.yml"},
///  "timestamp":"2023-07-10T12:00:01Z",
///  "source":{"path":"logs/a.json.gz","record":17},
///  "event":{…the original record…}}
/// ```
///
/// A sink of one's own (see the crate docs for a hunt with it):
///
/// ```
/// use sigil_engine::{Batch, CorrelationMatch, MatchRecord, RecordView, Sink, SinkError};
/// use sigil_compiler::Rule;
///
/// /// Counts matches per rule title.
/// #[derive(Default)]
/// struct PerTitle(std::collections::BTreeMap<String, u64>);
///
/// #[derive(Default)]
/// struct Titles(Vec<String>);
///
/// impl Batch for Titles {
///     fn matched(&mut self, m: &MatchRecord<'_>, _: &RecordView<'_>) -> Result<(), SinkError> {
///         self.0.push(m.rule.meta.title.clone());
///         Ok(())
///     }
/// }
///
/// impl Sink for PerTitle {
///     type Batch = Titles;
///     fn batch(&mut self) -> Titles {
///         Titles::default()
///     }
///     fn write(&mut self, batch: Titles) -> Result<(), SinkError> {
///         for title in batch.0 {
///             *self.0.entry(title).or_default() += 1;
///         }
///         Ok(())
///     }
///     fn correlation(&mut self, rule: &Rule, _: &CorrelationMatch) -> Result<(), SinkError> {
///         *self.0.entry(rule.meta.title.clone()).or_default() += 1;
///         Ok(())
///     }
/// }
/// ```
pub trait Sink {
    /// What a worker fills with the matches of one unit of work.
    type Batch: Batch;

    /// An empty batch for the next unit, made on the driver's thread.
    fn batch(&mut self) -> Self::Batch;

    /// Takes a filled batch; batches come in input order.
    fn write(&mut self, batch: Self::Batch) -> Result<(), SinkError>;

    /// Takes one correlation match of `rule`, after every batch.
    fn correlation(&mut self, rule: &Rule, m: &CorrelationMatch) -> Result<(), SinkError>;

    /// Ends the output (flushes it); called once, last. Does nothing by default.
    fn finish(&mut self) -> Result<(), SinkError> {
        Ok(())
    }
}

/// The per-worker side of a [`Sink`]: the matches of one unit of work.
pub trait Batch: Send {
    /// Takes one match of the parsed record `record`.
    fn matched(&mut self, m: &MatchRecord<'_>, record: &RecordView<'_>) -> Result<(), SinkError>;
}

/// One match of a detection rule, as the sinks receive it.
#[derive(Debug, Clone, Copy)]
pub struct MatchRecord<'a> {
    /// The rule's id in its rule set.
    pub rule_id: RuleId,
    /// The rule that matched.
    pub rule: &'a Rule,
    /// The event's time, when a known field holds it.
    pub timestamp: Option<Timestamp>,
    /// The input it was found in.
    pub input: &'a InputSource,
    /// Its 1-based record number within that input.
    pub record: u64,
    /// The record as evaluated: its raw bytes for a JSON log, the JSON object made of its line
    /// for a text log.
    pub event: &'a [u8],
    /// The raw line of a text log (VPC Flow, ALB, CloudFront...), so that nothing of the
    /// original is lost; `None` for JSON records, whose `event` is the original.
    pub line: Option<&'a [u8]>,
    /// The bytes of the unit of work the record was read from, when the hunt can share them:
    /// a batch may hold them to write `event` from them later instead of copying it (when
    /// `event` lies in them, see [`SharedInput::range_of`]).
    pub shared: Option<&'a SharedInput>,
}

/// Why a sink could not take a match. It stops the hunt.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SinkError {
    /// The reader of the output went away (a closed pipe): the hunt stops quietly.
    #[error("the output was closed")]
    Closed,
    /// Writing the output failed (a full disk, an I/O error): matches would be lost.
    #[error("writing the output failed: {0}")]
    Write(#[source] io::Error),
    /// A sink that delivers matches elsewhere (a webhook, a queue) failed for good.
    #[error("delivering matches failed: {0}")]
    Delivery(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl From<io::Error> for SinkError {
    /// A broken pipe is [`SinkError::Closed`]; any other error is [`SinkError::Write`].
    fn from(error: io::Error) -> SinkError {
        if error.kind() == io::ErrorKind::BrokenPipe {
            SinkError::Closed
        } else {
            SinkError::Write(error)
        }
    }
}
