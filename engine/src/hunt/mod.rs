//! The retro-hunt driver: a [`Source`]'s inputs in, matches out to a [`Sink`] in input order,
//! then correlations, and statistics.
//!
//! ```text
//! Source ─inputs─▶ units (files, chunks, stream blocks) ─waves─▶ workers: frame, scan, verdicts
//!   │                   units.rs, reading.rs                        records.rs ──▶ Sink::Batch
//!   └─ skipped, errors ─▶ stats.rs                                                   │
//!                writing.rs, own thread:  Sink::write (input order) ◀───────────────┘
//!                                         correlations after the scan ─▶ Sink::correlation
//! ```
//!
//! The inputs become a sequence of work units, in input order (see `units`). Units are
//! scanned in parallel (rayon) in waves of a few per thread (many more when they are small
//! files), each with the worker's own [`Scanner`](crate::Scanner) and its own sink batch,
//! while the driver takes the next wave from the source and reads it (downloads,
//! decompresses), and another hands the batches to the sink in unit order as they are scanned
//! (see `writing`). So the output is the same whatever the thread count, and memory holds two
//! waves of input and about one of output, however large the input. A batch may hold its
//! unit's input to write the events of its matches from it instead of copying them
//! ([`SharedInput`]); the pages of a chunk are released once it is scanned and no batch holds
//! them, so a hunt's resident size does not grow with the size of a mapped file. Bad records
//! and unreadable inputs are counted and the first ones reported; they never stop the hunt. A
//! sink error does: the hunt returns it as a [`HuntError`], with the statistics so far.

mod reading;
mod records;
mod stats;
mod units;
mod writing;

pub use stats::{HuntStats, Problem, ProblemKind, REPORTED_PROBLEMS};

use crate::correlate::CorrelationMatch;
use crate::correlate::Correlator;
use crate::formats::TextFormat;
use crate::input::{Block, InputSource, OpenOptions, SharedInput};
use crate::scan::Engine;
use crate::sink::{Sink, SinkError};
use crate::source::Source;
use rayon::prelude::*;
pub(crate) use reading::{Forced, Reader, Reading};
pub(crate) use records::{Buffer, Worker, scan_records};
use std::sync::{Arc, mpsc};
use std::time::Instant;
use units::{Opening, Unit, Units, number_wave};
use writing::{Writing, write_unit};

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
/// Three kinds of threads work side by side: while the workers scan a wave, one thread takes
/// the next wave from the source and reads it, and another writes the batches in input order
/// as they are scanned (see `writing`). So a hunt whose output is large (all of SigmaHQ
/// writing most records to a file) goes on scanning while its output is written.
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
    let writing = Writing::new(sink);
    let (scanned, outcomes) = mpsc::channel();
    std::thread::scope(|scope| {
        let writer = scope.spawn(|| writing.write_in_order(outcomes, stats));
        let mut wave = units.wave(threads);
        // The index of the wave's first unit among all units.
        let mut first: usize = 0;
        // The number of the next record of the file whose chunks are being numbered.
        let mut next_record = 0;
        // Each wave waits for the units before the last one of the wave before to be written.
        while !wave.is_empty() && writing.wait_for(first.saturating_sub(1)) {
            number_wave(&mut wave, &mut next_record);
            let batches = writing.batches(wave.len());
            let len = wave.len();
            wave = std::thread::scope(|scope| {
                // The next wave is taken from the source and read while this one is scanned.
                let reader = scope.spawn(|| units.wave(threads));
                std::mem::take(&mut wave)
                    .into_par_iter()
                    .zip(batches)
                    .enumerate()
                    .map_init(
                        || Worker::new(engine, correlator),
                        |worker, (index, (unit, batch))| {
                            (first + index, run_unit(worker, unit, batch, options))
                        },
                    )
                    .for_each_with(scanned.clone(), |scanned, outcome| {
                        // Fails only once the writer has ended, which it reports itself.
                        let _ = scanned.send(outcome);
                    });
                joined(reader)
            });
            first += len;
        }
        drop(scanned);
        joined(writer)
    })
}

/// What a scoped thread returned; its panic goes on in this thread.
fn joined<T>(thread: std::thread::ScopedJoinHandle<'_, T>) -> T {
    thread
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
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

/// What scanning a unit gave.
struct UnitOutcome<B> {
    /// Its batch; none when what was made of the unit is discarded (its file shrank while it
    /// was read).
    batch: Option<B>,
    stats: HuntStats,
    /// Whether the sink refused a match.
    result: Result<(), SinkError>,
    /// The memory-mapped file the unit was read from, when its batch holds events to write
    /// from the map: the file is checked again around the write (see `write_unit`).
    mapped: Option<Mapped>,
}

/// A memory-mapped block a batch may write events from, and its input.
struct Mapped {
    block: Arc<Block>,
    source: Arc<InputSource>,
}

/// Scans one unit into `batch`; no batch comes back when what was made of the unit is
/// discarded (its file shrank while it was read).
fn run_unit<B: crate::sink::Batch>(
    worker: &mut Worker<'_>,
    unit: Unit,
    mut batch: B,
    options: &HuntOptions<'_>,
) -> UnitOutcome<B> {
    let outcome = match unit {
        Unit::Done(stats) => UnitOutcome {
            batch: Some(batch),
            stats: *stats,
            result: Ok(()),
            mapped: None,
        },
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
            // The batch may hold the unit's bytes to write its events from them; they are
            // released once it no longer does.
            let shared = SharedInput::new(block.clone(), range);
            let buffer = Buffer {
                bytes: shared.bytes(),
                shape: block.shape(),
                origin,
                source: &source,
                shared: Some(&shared),
            };
            let mut reader = Reader::new(&reading);
            let (mut stats, result) = scan_records(worker, &mut batch, buffer, &mut reader);
            let held = shared.is_held();
            drop(shared);
            stats.files = u64::from(first);
            stats.stored_bytes = stored;
            let mut batch = Some(batch);
            if block.shrunk() {
                // The file shrank under its map while this unit was read: what was made of
                // its bytes is not to be trusted (`Block::shrunk`); the file is reported once.
                stats.discard_shrunk(&block, &source);
                batch = None;
            }
            let mapped = (held && block.is_mapped()).then_some(Mapped { block, source });
            UnitOutcome {
                batch,
                stats,
                result,
                mapped,
            }
        }
    };
    if let Some(progress) = options.progress {
        progress(&outcome.stats);
    }
    outcome
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
