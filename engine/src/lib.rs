//! Sigil's scanning engine: inputs in, matches out.
//!
//! A record goes, in order, through these stages, one module each:
//!
//! | stage | where | what |
//! |---|---|---|
//! | read | `source`, [`input`] | a [`Source`] lists inputs (files, folders, stdin, objects of a store); each is opened (memory map, gzip, zstd) and read in blocks of whole records |
//! | frame | [`framing`], [`formats`] | a block is cut into records (NDJSON lines, the CloudTrail `{"Records":[...]}` envelope, JSON arrays, concatenated objects), text logs turned into JSON records |
//! | prefilter | `prefilter` | one search for the literals of all rules names the rules a record can match; a record no rule can match is never parsed |
//! | evaluate | `scan`, `eval` | the record is parsed and the candidate rules of its log source evaluated exactly |
//! | write | `sink` | matches go to a [`Sink`] (JSON lines, CSV, a table, counts, or one's own) |
//! | drive | `hunt`, [`correlate`] | the parallel driver runs it all over a source, in input order, then the correlations |
//! | follow | `live` | a [`LiveScanner`] scans inputs that arrive over time ([`Feed`]s, whole bodies) record by record, correlations live |
//!
//! # Scanning records one by one
//!
//! Load rules with `sigil_compiler`, build an [`Engine`] once (immutable, `Send + Sync`), and
//! give each thread its own [`Scanner`]:
//!
//! ```
//! use sigil_engine::{Engine, ScanOptions};
//! let rules = sigil_compiler::load_str(
//!     "stop.yml".as_ref(),
//!     "title: CloudTrail stopped\nlogsource: {product: aws, service: cloudtrail}\n\
//!      detection:\n  sel: {eventName: StopLogging}\n  condition: sel\n",
//!     &Default::default(),
//! );
//! let engine = Engine::new(rules.rules, ScanOptions::default());
//! let mut scanner = engine.scanner();
//! let event = br#"{"eventVersion":"1.09","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging"}"#;
//! let found = scanner.scan(event).unwrap();
//! assert_eq!(found.rules.len(), 1);
//! ```
//!
//! # Hunting in parallel, with a sink of one's own
//!
//! [`hunt`] reads a [`Source`] on every core and hands the matches to a [`Sink`] in input
//! order (here [`LocalSource`]: files, folders and stdin):
//!
//! ```
//! use sigil_engine::{Batch, CorrelationMatch, Engine, HuntOptions, LocalSource, MatchRecord};
//! use sigil_engine::{RecordView, ScanOptions, Sink, SinkError, hunt};
//!
//! /// Collects `userIdentity.arn` of every match, in input order.
//! #[derive(Default)]
//! struct Arns(Vec<String>);
//!
//! impl Batch for Arns {
//!     fn matched(&mut self, _: &MatchRecord<'_>, record: &RecordView<'_>) -> Result<(), SinkError> {
//!         let arn = sigil_compiler::FieldPath::new("userIdentity.arn");
//!         self.0.extend(record.first_scalar(&arn));
//!         Ok(())
//!     }
//! }
//!
//! impl Sink for Arns {
//!     type Batch = Arns;
//!     fn batch(&mut self) -> Arns {
//!         Arns::default()
//!     }
//!     fn write(&mut self, batch: Arns) -> Result<(), SinkError> {
//!         self.0.extend(batch.0);
//!         Ok(())
//!     }
//!     fn correlation(&mut self, _: &sigil_compiler::Rule, _: &CorrelationMatch) -> Result<(), SinkError> {
//!         Ok(())
//!     }
//! }
//!
//! let dir = tempfile::tempdir()?;
//! let log = dir.path().join("trail.jsonl");
//! std::fs::write(&log, concat!(
//!     r#"{"eventVersion":"1.09","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","userIdentity":{"arn":"arn:aws:iam::1:user/eve"}}"#, "\n",
//!     r#"{"eventVersion":"1.09","eventSource":"s3.amazonaws.com","eventName":"GetObject","userIdentity":{"arn":"arn:aws:iam::1:user/bob"}}"#, "\n",
//! ))?;
//! let rules = sigil_compiler::load_str(
//!     "stop.yml".as_ref(),
//!     "title: CloudTrail stopped\nlogsource: {product: aws, service: cloudtrail}\n\
//!      detection:\n  sel: {eventName: StopLogging}\n  condition: sel\n",
//!     &Default::default(),
//! );
//! let engine = Engine::new(rules.rules, ScanOptions::default());
//! let mut sink = Arns::default();
//! let stats = hunt(&engine, &mut LocalSource::new(&[log]), &HuntOptions::default(), &mut sink)?;
//! assert_eq!(sink.0, ["arn:aws:iam::1:user/eve"]);
//! assert_eq!((stats.records, stats.matches()), (2, 1));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]

mod blocks;
pub mod correlate;
mod eval;
pub mod formats;
pub mod framing;
mod hunt;
pub mod input;
mod live;
mod logsource;
mod prefilter;
mod record;
pub mod ruletest;
mod scan;
mod sink;
mod source;
#[cfg(test)]
mod testing;

pub use correlate::{CorrelationMatch, Location};
pub use eval::{
    Explanation, MatcherExplanation, RecordError, SearchExplanation, event_time_of, explain,
};
pub use formats::TextFormat;
pub use framing::Shape;
pub use hunt::{HuntError, HuntOptions, HuntStats, Problem, ProblemKind, REPORTED_PROBLEMS, hunt};
pub use input::{InputError, InputSource, OpenOptions, SkipReason, Skipped};
pub use live::{Feed, LiveScanner};
pub use logsource::{RecordSource, parse_forced};
pub use prefilter::{Prefilter, PrefilterScratch, SearchKind, spell_out_escapes};
pub use record::RecordView;
pub use scan::{Engine, RecordMatches, ScanOptions, ScanStats, Scanner};
pub use sink::{
    Batch, CountBatch, CountSink, Counts, Csv, CsvSink, Jsonl, JsonlSink, Key, Layout, MatchRecord,
    Sink, SinkError, Table, TableSink, TextBatch, TextOut, TextSink, compact_json,
    write_correlation_json,
};
pub use source::{Content, Input, LocalSource, Source, SourceItem, Total};
