//! Per record: scan, decide what becomes of each match (written, or observed for correlations
//! and silenced), and hand the written ones to the sink's batch.

use super::reading::Reader;
use super::stats::{HuntStats, ProblemKind};
use crate::correlate::{Collector, Correlator, Verdict};
use crate::formats;
use crate::framing::{self, Origin, Shape, check_line};
use crate::input::{InputSource, SharedInput};
use crate::logsource::RecordSource;
use crate::scan::{Engine, Scanner};
use crate::sink::{Batch, MatchRecord, SinkError};

/// A thread's scanning state: its scanner, and its collector of correlation inputs.
pub(crate) struct Worker<'e> {
    engine: &'e Engine,
    scanner: Scanner<'e>,
    collector: Option<Collector<'e>>,
    verdicts: Vec<Verdict>,
}

impl<'e> Worker<'e> {
    pub(crate) fn new(engine: &'e Engine, correlator: Option<&'e Correlator<'e>>) -> Self {
        Worker {
            engine,
            scanner: engine.scanner(),
            collector: correlator.map(Correlator::collector),
            verdicts: Vec::new(),
        }
    }

    /// The engine it scans with.
    pub(crate) fn engine(&self) -> &'e Engine {
        self.engine
    }
}

/// The records of one buffer, scanned into a batch.
pub(crate) struct Buffer<'a> {
    pub bytes: &'a [u8],
    pub shape: Shape,
    pub origin: Origin,
    pub source: &'a InputSource,
    /// `bytes`, shared with the batch if it can hold them until it is written.
    pub shared: Option<&'a SharedInput>,
}

/// Frames and scans the records of one buffer, writing its matches into `batch`. Stops at the
/// first error of the batch.
pub(crate) fn scan_records<B: Batch>(
    worker: &mut Worker<'_>,
    batch: &mut B,
    buffer: Buffer<'_>,
    reader: &mut Reader,
) -> (HuntStats, Result<(), SinkError>) {
    let stats = HuntStats::new(worker.scanner.rules().len());
    let mut scan = RecordScan {
        worker,
        batch,
        stats,
        source: buffer.source,
        shared: buffer.shared,
        probed: None,
    };
    scan.stats.bytes = buffer.bytes.len() as u64;
    let result = scan.buffer(&buffer, reader);
    let RecordScan {
        worker, mut stats, ..
    } = scan;
    stats.scan = worker.scanner.take_stats();
    if let Some(collector) = &mut worker.collector {
        stats.observations = collector.take();
    }
    (stats, result)
}

/// Where the scanned records of one buffer go: the worker, the statistics and the batch.
struct RecordScan<'a, 's, B> {
    worker: &'a mut Worker<'s>,
    batch: &'a mut B,
    stats: HuntStats,
    source: &'a InputSource,
    /// The buffer's bytes, shared with the batch.
    shared: Option<&'a SharedInput>,
    /// The source of this buffer's records that were not parsed, once one was probed.
    probed: Option<RecordSource>,
}

/// One framed record, and what its framing knows of it.
struct Record<'a> {
    /// Its 1-based number in its input.
    index: u64,
    /// The JSON object evaluated.
    bytes: &'a [u8],
    /// Its source, when its file tells (a text log, an envelope's events).
    known: Option<RecordSource>,
    /// An NDJSON line framing left unchecked
    /// ([`records_unchecked`](crate::framing::records_unchecked)): it is checked here if it is
    /// not parsed, or fails to parse, so that a bad record is reported as framing reports it.
    unchecked: bool,
    /// The raw line of a text log the record was made of.
    line: Option<&'a [u8]>,
}

/// The source of the records of a buffer that the prefilter kept from being parsed, for
/// statistics: the first of them is parsed once to tell it, and the others are taken to be of
/// the same log (the records of one file are).
fn probed_source(probed: &mut Option<RecordSource>, record: &[u8]) -> RecordSource {
    *probed.get_or_insert_with(|| {
        let mut bytes = record.to_vec();
        simd_json::to_borrowed_value(&mut bytes)
            .map_or(RecordSource::Unknown, |value| RecordSource::detect(&value))
    })
}

impl<B: Batch> RecordScan<'_, '_, B> {
    /// Frames the buffer and scans each record.
    fn buffer(&mut self, buffer: &Buffer<'_>, reader: &mut Reader) -> Result<(), SinkError> {
        let source = buffer.source;
        match reader {
            Reader::Text(reader) => {
                let mut lines = formats::text_records(buffer.bytes, buffer.origin, reader);
                while let Some(line) = lines.next_record() {
                    self.stats.records += 1;
                    match line {
                        Ok(line) => {
                            let raw = line.line.strip_suffix(b"\r").unwrap_or(line.line);
                            let record = Record {
                                index: line.index,
                                bytes: line.json,
                                known: Some(line.source),
                                unchecked: false,
                                line: Some(raw),
                            };
                            self.record(record)?;
                        }
                        Err(bad) => {
                            let kind = ProblemKind::Line(bad.reason);
                            self.stats.bad_record(source, bad.index, kind);
                        }
                    }
                }
            }
            Reader::Json | Reader::Envelope(..) => {
                // Envelopes are expanded by a parser of their own, so their lines are checked
                // first.
                let (bytes, shape, origin) = (buffer.bytes, buffer.shape, buffer.origin);
                let records = match reader {
                    Reader::Envelope(..) => framing::records(bytes, shape, origin),
                    _ => framing::records_unchecked(bytes, shape, origin),
                };
                for record in records {
                    self.stats.records += 1;
                    let record = match record {
                        Ok(record) => record,
                        Err(bad) => {
                            let kind = ProblemKind::Framing(bad.reason);
                            self.stats.bad_record(source, bad.index, kind);
                            continue;
                        }
                    };
                    let Reader::Envelope(envelope, events) = reader else {
                        self.record(Record {
                            index: record.index,
                            bytes: record.bytes,
                            known: None,
                            unchecked: !record.checked,
                            line: None,
                        })?;
                        continue;
                    };
                    events.clear();
                    match envelope.expand(record.bytes, events) {
                        Ok(()) => {
                            for (event, known) in events.sourced() {
                                self.record(Record {
                                    index: record.index,
                                    bytes: event,
                                    known: Some(known),
                                    unchecked: false,
                                    line: None,
                                })?;
                            }
                        }
                        Err(error) => {
                            let kind = ProblemKind::Envelope(error);
                            self.stats.bad_record(source, record.index, kind);
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Scans one record and hands its matches to the batch.
    fn record(&mut self, record: Record<'_>) -> Result<(), SinkError> {
        let Record {
            index,
            bytes: record,
            known,
            unchecked,
            line,
        } = record;
        let Worker {
            engine,
            scanner,
            collector,
            verdicts,
        } = &mut *self.worker;
        let rules = scanner.rules();
        let framing_check = || unchecked.then(|| check_line(record).err()).flatten();
        let scanned = match unchecked {
            true => scanner.scan_unchecked_line(record, known),
            false => scanner.scan_from(record, known),
        };
        let found = match scanned {
            Ok(found) => found,
            Err(error) => {
                let kind = match framing_check() {
                    Some(reason) => ProblemKind::Framing(reason),
                    None => ProblemKind::Record(error),
                };
                self.stats.bad_record(self.source, index, kind);
                return Ok(());
            }
        };
        let view = found.view();
        if view.is_none()
            && let Some(reason) = framing_check()
        {
            let kind = ProblemKind::Framing(reason);
            self.stats.bad_record(self.source, index, kind);
            return Ok(());
        }
        if found.out_of_range {
            self.stats.out_of_range += 1;
            return Ok(());
        }
        self.stats.scanned += 1;
        let source = match (view.is_some(), known) {
            (true, _) => found.source,
            (false, Some(known)) => known,
            (false, None) => probed_source(&mut self.probed, record),
        };
        self.stats.records_per_source[source as usize] += 1;
        self.stats.sources_seen |= 1 << source as u32;
        // No rule matched: the record may not even have been parsed.
        let Some(view) = view else {
            return Ok(());
        };
        // Correlation inputs are observed (and silenced unless `generate`).
        verdicts.clear();
        match collector {
            Some(collector) => collector.record(
                found.rules,
                found.timestamp,
                &view,
                self.source,
                index,
                verdicts,
            ),
            None => verdicts.resize(found.rules.len(), Verdict::Emit),
        }
        for (&rule, verdict) in found.rules.iter().zip(verdicts.iter()) {
            // Rules kept below `--level` for their correlations are observed, never written.
            if *verdict != Verdict::Emit || !engine.options().passes_level(rules.rule(rule)) {
                continue;
            }
            self.stats.matches_per_rule[rule.0 as usize] += 1;
            let m = MatchRecord {
                rule_id: rule,
                rule: rules.rule(rule),
                timestamp: found.timestamp,
                input: self.source,
                record: index,
                event: record,
                line,
                shared: self.shared,
            };
            self.batch.matched(&m, &view)?;
        }
        Ok(())
    }
}
