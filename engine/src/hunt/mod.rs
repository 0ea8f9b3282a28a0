//! The retro-hunt driver: a [`Source`]'s inputs in, matches out to a [`Sink`] in input order,
//! then correlations, and statistics.
//!
//! ```text
//! Source ─inputs─▶ units (files, chunks, stream blocks) ─waves─▶ workers: frame, scan, verdicts
//!   │                   units.rs, reading.rs                        records.rs ──▶ Sink::Batch
//!   └─ skipped, errors ─▶ stats.rs                                                   │
//!                                         Sink::write (input order) ◀───────────────┘
//!                                         correlations after the scan ─▶ Sink::correlation
//! ```
//!
//! The inputs become a sequence of work units, in input order (see `units`). Units are
//! scanned in parallel (rayon) in waves of a few per thread (many more when they are small
//! files), each with the worker's own [`Scanner`](crate::Scanner) and its own sink batch,
//! while the driver takes the next wave from the source and reads it (downloads,
//! decompresses), and another hands the wave's batches to the sink in unit order as they are
//! scanned. So the output is the same whatever the thread count, and memory holds two waves
//! of input and one of output, however large the input. The pages of a scanned chunk are
//! released, so a hunt's resident size does not grow with the size of a mapped file. Bad
//! records and unreadable inputs are counted and the first ones reported; they never stop the
//! hunt. A sink error does: the hunt returns it as a [`HuntError`], with the statistics so far.

mod reading;
mod records;
mod stats;
mod units;

pub use stats::{HuntStats, Problem, ProblemKind, REPORTED_PROBLEMS};

use crate::correlate::CorrelationMatch;
use crate::correlate::Correlator;
use crate::formats::TextFormat;
use crate::input::OpenOptions;
use crate::scan::Engine;
use crate::sink::{Sink, SinkError};
use crate::source::Source;
use rayon::prelude::*;
pub(crate) use reading::{Forced, Reader, Reading};
pub(crate) use records::{Buffer, Worker, scan_records};
use std::sync::mpsc;
use std::time::Instant;
use units::{Opening, Unit, Units, number_wave};

/// How to hunt.
#[derive(Default)]
pub struct HuntOptions<'a> {
    /// How inputs are opened (memory maps, a forced JSON shape).
    pub open: OpenOptions,
    /// Read every input as this text log format instead of detecting it.
    pub text_format: Option<TextFormat>,
    /// Called after each unit of work with its statistics (bytes scanned and stored, inputs
    /// begun), from the worker threads: for progress reports.
    pub progress: Option<&'a (dyn Fn(&HuntStats) + Sync)>,
}

/// A hunt stopped by its sink: the sink's error, and what was done before it.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct HuntError {
    /// Why the sink stopped the hunt.
    #[source]
    pub error: SinkError,
    /// The statistics of the hunt up to the stop.
    pub stats: Box<HuntStats>,
}

/// Hunts through the inputs of `source` with `engine`'s rules, writing every match to `sink`
/// in input order, then the correlation matches of the rule set, then [`Sink::finish`]. (Filter
/// rules are part of the rules they restrict since loading.)
///
/// Problems with inputs and records are counted in the returned statistics; only a sink
/// error stops the hunt early.
///
/// The sink takes its batches on a thread of the hunt's own, while the next ones are scanned
/// (hence `Send`); its methods are never called from two threads at once.
pub fn hunt<S: Sink + Send>(
    engine: &Engine,
    source: &mut dyn Source,
    options: &HuntOptions<'_>,
    sink: &mut S,
) -> Result<HuntStats, HuntError>
where
    S::Batch: Send,
{
    let started = Instant::now();
    let correlator = Correlator::new(engine.rules());
    let correlator = (!correlator.is_idle()).then_some(&correlator);
    let mut stats = stats::HuntStats::new(engine.rules().len());
    let outcome = detect(engine, source, options, correlator, sink, &mut stats)
        .and_then(|()| correlate(engine, correlator, sink, &mut stats))
        .and_then(|()| sink.finish());
    stats.elapsed = started.elapsed();
    match outcome {
        Ok(()) => Ok(stats),
        Err(error) => Err(HuntError {
            error,
            stats: Box::new(stats),
        }),
    }
}

/// The detection pass: every unit of the source scanned, wave by wave, and its batch written.
///
/// Three threads work side by side: while the workers scan a wave, one thread takes the next
/// wave from the source and reads it, and another writes the wave's batches, each as soon as
/// it and those before it are scanned. So a hunt whose output is large (all of SigmaHQ
/// writing most records to a file) goes on scanning while its output is written, and holds
/// no more output than before.
fn detect<S: Sink + Send>(
    engine: &Engine,
    source: &mut dyn Source,
    options: &HuntOptions<'_>,
    correlator: Option<&Correlator<'_>>,
    sink: &mut S,
    stats: &mut HuntStats,
) -> Result<(), SinkError> {
    let forced = Forced::of(options);
    let mut units = Units::new(source, Opening::of(engine, options, &forced));
    let threads = rayon::current_num_threads();
    let mut wave = units.wave(threads);
    // The number of the next record of the file whose chunks are being numbered.
    let mut next_record = 0;
    while !wave.is_empty() {
        number_wave(&mut wave, &mut next_record);
        let batches: Vec<S::Batch> = wave.iter().map(|_| sink.batch()).collect();
        let (scanned, outcomes) = mpsc::channel();
        let (sink, stats, len) = (&mut *sink, &mut *stats, wave.len());
        let (next, written) = std::thread::scope(|scope| {
            let reader = scope.spawn(|| units.wave(threads));
            let writer = scope.spawn(move || write_in_order(outcomes, len, sink, stats));
            std::mem::take(&mut wave)
                .into_par_iter()
                .zip(batches)
                .enumerate()
                .map_init(
                    || Worker::new(engine, correlator),
                    |worker, (index, (unit, batch))| {
                        (index, run_unit(worker, unit, batch, options))
                    },
                )
                .for_each_with(scanned, |scanned, outcome| {
                    // The writer only stops receiving once every unit is in.
                    let _ = scanned.send(outcome);
                });
            (joined(reader), joined(writer))
        });
        written?;
        wave = next;
    }
    Ok(())
}

/// What a scoped thread returned; its panic goes on in this thread.
fn joined<T>(thread: std::thread::ScopedJoinHandle<'_, T>) -> T {
    thread
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// Writes the `len` units of a wave to `sink` in their order as their scans come in (each with
/// its index in the wave; see [`write_unit`]). After an error of the sink, the units left are
/// received and dropped, and the error is returned.
fn write_in_order<S: Sink>(
    outcomes: mpsc::Receiver<(usize, UnitOutcome<S::Batch>)>,
    len: usize,
    sink: &mut S,
    stats: &mut HuntStats,
) -> Result<(), SinkError> {
    let mut waiting: Vec<Option<UnitOutcome<S::Batch>>> = (0..len).map(|_| None).collect();
    let mut next = 0;
    let mut written = Ok(());
    for (index, outcome) in outcomes {
        waiting[index] = Some(outcome);
        while let Some(outcome) = waiting.get_mut(next).and_then(Option::take) {
            next += 1;
            if written.is_ok() {
                written = write_unit(outcome, sink, stats);
            }
        }
    }
    written
}

/// Merges a scanned unit's statistics into `stats`, then writes its batch to `sink` (if the
/// sink did not refuse a match of the unit, and the batch was kept).
fn write_unit<S: Sink>(
    (batch, unit_stats, result): UnitOutcome<S::Batch>,
    sink: &mut S,
    stats: &mut HuntStats,
) -> Result<(), SinkError> {
    stats.merge(unit_stats);
    result?;
    match batch {
        Some(batch) => sink.write(batch),
        None => Ok(()),
    }
}

/// Scans every unit of `source` on this thread, in order, writing each unit's batch to `sink`
/// as soon as it is scanned: the live scanner's way with whole inputs (an object, a body, a
/// finished file), where a unit's matches must not wait for a wave. Statistics, observations
/// of correlation inputs included, are merged into `stats`.
pub(crate) fn detect_in_order<S: Sink>(
    worker: &mut Worker<'_>,
    source: &mut dyn Source,
    options: &HuntOptions<'_>,
    sink: &mut S,
    stats: &mut HuntStats,
) -> Result<(), SinkError> {
    let forced = Forced::of(options);
    let units = Units::new(source, Opening::of(worker.engine(), options, &forced));
    let mut next_record = 0;
    for unit in units {
        let mut wave = [unit];
        number_wave(&mut wave, &mut next_record);
        let [unit] = wave;
        let batch = sink.batch();
        write_unit(run_unit(worker, unit, batch, options), sink, stats)?;
    }
    Ok(())
}

/// What scanning a unit gave: its batch (none when discarded), its statistics, and whether the
/// sink refused a match.
type UnitOutcome<B> = (Option<B>, HuntStats, Result<(), SinkError>);

/// Scans one unit into `batch`; no batch comes back when what was made of the unit is
/// discarded (its file shrank while it was read).
fn run_unit<B: crate::sink::Batch>(
    worker: &mut Worker<'_>,
    unit: Unit,
    mut batch: B,
    options: &HuntOptions<'_>,
) -> UnitOutcome<B> {
    let mut kept = true;
    let (stats, result) = match unit {
        Unit::Done(stats) => (*stats, Ok(())),
        Unit::Chunk {
            source,
            block,
            reading,
            range,
            origin,
            first,
            counted_in_wave,
            stored,
        } => {
            if !counted_in_wave {
                block.populate(range.clone()); // else done by `number_wave`
            }
            let buffer = Buffer {
                bytes: &block.bytes()[range.clone()],
                shape: block.shape(),
                origin,
                source: &source,
            };
            let mut reader = Reader::new(&reading);
            let (mut stats, result) = scan_records(worker, &mut batch, buffer, &mut reader);
            block.release(range);
            if block.shrunk() {
                // The file shrank under its map while this unit was read: what was made of
                // its bytes is not to be trusted (`Block::shrunk`); the file is reported once.
                stats = HuntStats::new(stats.matches_per_rule.len());
                if let Some(error) = block.shrink_error(&source) {
                    stats.problem(&source, None, ProblemKind::Input(error));
                }
                kept = false;
            }
            stats.files = u64::from(first);
            stats.stored_bytes = stored;
            (stats, result)
        }
    };
    if let Some(progress) = options.progress {
        progress(&stats);
    }
    (kept.then_some(batch), stats, result)
}

/// Evaluates the correlations over the matches observed, and writes those reported.
fn correlate<S: Sink>(
    engine: &Engine,
    correlator: Option<&Correlator<'_>>,
    sink: &mut S,
    stats: &mut HuntStats,
) -> Result<(), SinkError> {
    let Some(correlator) = correlator else {
        return Ok(());
    };
    let observations = std::mem::take(&mut stats.observations);
    for m in correlator.finish(observations) {
        write_correlation(engine, correlator, &m, sink, stats)?;
    }
    Ok(())
}

/// Writes one correlation match to `sink`, and counts it, if its rule is reported (not a
/// silenced correlation input, and within the minimum level).
pub(crate) fn write_correlation<S: Sink>(
    engine: &Engine,
    correlator: &Correlator<'_>,
    m: &CorrelationMatch,
    sink: &mut S,
    stats: &mut HuntStats,
) -> Result<(), SinkError> {
    let rule = engine.rules().rule(m.rule);
    if correlator.emits(m.rule) && engine.options().passes_level(rule) {
        stats.matches_per_rule[m.rule.0 as usize] += 1;
        stats.correlation_matches += 1;
        sink.correlation(rule, m)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RecordView;
    use crate::correlate::CorrelationMatch;
    use crate::sink::{Batch, MatchRecord};
    use sigil_compiler::Rule;

    /// A batch that is only its unit's number.
    struct Numbered(u64);

    impl Batch for Numbered {
        fn matched(&mut self, _: &MatchRecord<'_>, _: &RecordView<'_>) -> Result<(), SinkError> {
            Ok(())
        }
    }

    /// Records the numbers of the batches written; refuses the one numbered `refused`.
    struct Written {
        numbers: Vec<u64>,
        refused: Option<u64>,
    }

    impl Sink for Written {
        type Batch = Numbered;
        fn batch(&mut self) -> Numbered {
            Numbered(0)
        }
        fn write(&mut self, batch: Numbered) -> Result<(), SinkError> {
            if self.refused == Some(batch.0) {
                return Err(SinkError::Closed);
            }
            self.numbers.push(batch.0);
            Ok(())
        }
        fn correlation(&mut self, _: &Rule, _: &CorrelationMatch) -> Result<(), SinkError> {
            Ok(())
        }
    }

    /// Sends the outcomes of units 0..8, whose statistics count one file each, in `order`, and
    /// writes them with `refused` refused.
    fn write(order: &[usize], refused: Option<u64>) -> (Vec<u64>, u64, Result<(), SinkError>) {
        let (sent, outcomes) = mpsc::channel();
        for &unit in order {
            let stats = HuntStats {
                files: 1,
                ..HuntStats::default()
            };
            let outcome = (Some(Numbered(unit as u64)), stats, Ok(()));
            sent.send((unit, outcome)).unwrap();
        }
        drop(sent);
        let mut sink = Written {
            numbers: Vec::new(),
            refused,
        };
        let mut stats = HuntStats::default();
        let written = write_in_order(outcomes, order.len(), &mut sink, &mut stats);
        (sink.numbers, stats.files, written)
    }

    #[test]
    fn units_scanned_out_of_order_are_written_in_order() {
        let order = [3, 1, 0, 2, 7, 4, 6, 5];
        let (numbers, files, written) = write(&order, None);
        assert_eq!(numbers, (0..8).collect::<Vec<_>>());
        assert_eq!(files, 8);
        assert!(written.is_ok());
    }

    #[test]
    fn a_refused_batch_stops_the_writing_and_the_statistics_at_its_unit() {
        let order = [5, 0, 7, 2, 1, 3, 6, 4];
        let (numbers, files, written) = write(&order, Some(4));
        assert_eq!(numbers, [0, 1, 2, 3]);
        // The refused unit's statistics are merged (it was scanned), later units' are not.
        assert_eq!(files, 5);
        assert!(matches!(written, Err(SinkError::Closed)));
    }
}
