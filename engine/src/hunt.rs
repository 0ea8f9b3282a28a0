//! The retro-hunt driver: inputs in, ordered match output and statistics out.
//!
//! The inputs become a sequence of work units, in input order: a memory-mapped file, or a
//! newline-aligned chunk of one if it is NDJSON or a text log, or one block of a stream (stdin,
//! a compressed file; about [`BLOCK_BYTES`](crate::input::BLOCK_BYTES) of whole records). A
//! unit of a text log starts from the header in force where it starts
//! ([`TextFormat::after`]). Units are scanned in parallel (rayon) in waves of a few per
//! thread (many more when they are small files), each with the worker's own [`Scanner`] and
//! its own output buffer, while the driver opens and reads (decompresses) the next wave; the
//! chunks of a big JSON file learn the number of their first record at the start of their
//! wave. After each wave the buffers are handed to the caller in unit order, so the output is
//! the same whatever the thread count, and memory holds two waves of input and one of output,
//! however large the input. The pages of a scanned chunk are released, so a hunt's resident
//! size does not grow with the size of a mapped file. Bad records and unreadable files are
//! counted and the first ones reported; they never stop the hunt.

use crate::correlate::{Collector, Correlator, Observations, Verdict};
use crate::formats::{self, Envelope, Records, TextFormat, TextReader};
use crate::framing::{self, Origin, Shape, check_line, count_records, split_ndjson};
use crate::input::{self, Block, BlockError, Blocks, InputSource, OpenOptions, Opened};
use crate::logsource::RecordSource;
use crate::scan::{Engine, ScanOptions, ScanStats, Scanner};
use crate::sink::{self, MatchRecord};
use rayon::prelude::*;
use std::collections::VecDeque;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How many problems are reported in full; the rest are only counted.
pub const REPORTED_PROBLEMS: usize = 20;

/// NDJSON blocks larger than this are cut into chunks scanned in parallel.
const CHUNK_BYTES: usize = 2 << 20;

/// A problem with one record or one input.
#[derive(Clone, Debug)]
pub struct Problem {
    /// The input.
    pub input: String,
    /// The 1-based record number, if the problem is a record's.
    pub record: Option<u64>,
    /// What went wrong.
    pub reason: String,
}

/// What a hunt did.
#[derive(Clone, Debug, Default)]
pub struct HuntStats {
    /// Inputs scanned (even partly).
    pub files: u64,
    /// Inputs that could not be read at all.
    pub unreadable_files: u64,
    /// Inputs skipped on purpose (digests, noise, Parquet), with the reason.
    pub skipped_files: Vec<(String, String)>,
    /// Bytes framed (after decompression).
    pub bytes: u64,
    /// Records framed, good or bad.
    pub records: u64,
    /// Records scanned without error and within `--from`/`--to`: parsed and evaluated, or ruled
    /// out by the prefilter without parsing (`scan.parsed` counts the records parsed).
    pub scanned: u64,
    /// Records outside `--from`/`--to`.
    pub out_of_range: u64,
    /// Records skipped because they were malformed.
    pub bad_records: u64,
    /// Parsed records per [`RecordSource`] (by index); records the prefilter ruled out are not
    /// parsed, so their source is not known.
    pub records_per_source: [u64; RecordSource::ALL.len()],
    /// One bit per [`RecordSource`] (by index) of which records were seen: parsed, read from a
    /// text log or an envelope, or probed (the first record of a buffer in which the prefilter
    /// let no record through is parsed once, for this). Tells which rules never applied.
    pub sources_seen: u32,
    /// What the scanners did: records parsed, rules evaluated, time shares.
    pub scan: ScanStats,
    /// Matches of correlation inputs, for [`Correlator::finish`], in input order.
    pub observations: Observations,
    /// Matches per rule, indexed by `RuleId`.
    pub matches_per_rule: Vec<u64>,
    /// The first problems (records and inputs), in input order.
    pub problems: Vec<Problem>,
    /// Problems beyond those reported in full.
    pub more_problems: u64,
    /// Wall time.
    pub elapsed: Duration,
}

impl HuntStats {
    fn new(rules: usize) -> Self {
        HuntStats {
            matches_per_rule: vec![0; rules],
            ..HuntStats::default()
        }
    }

    /// Total matches.
    pub fn matches(&self) -> u64 {
        self.matches_per_rule.iter().sum()
    }

    /// Whether any input could not be read, fully or partly, or held bad records.
    pub fn had_input_errors(&self) -> bool {
        self.unreadable_files > 0
            || self.bad_records > 0
            || self.problems.iter().any(|p| p.record.is_none())
    }

    /// Counts a bad record of `input` and reports it.
    fn bad_record(&mut self, input: &InputSource, record: u64, reason: String) {
        self.bad_records += 1;
        self.problem(input, Some(record), reason);
    }

    fn problem(&mut self, input: &InputSource, record: Option<u64>, reason: String) {
        if self.problems.len() < REPORTED_PROBLEMS {
            self.problems.push(Problem {
                input: input.to_string(),
                record,
                reason,
            });
        } else {
            self.more_problems += 1;
        }
    }

    fn merge(&mut self, other: HuntStats) {
        self.files += other.files;
        self.unreadable_files += other.unreadable_files;
        self.skipped_files.extend(other.skipped_files);
        self.bytes += other.bytes;
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

/// Writes one match into a task's output buffer.
pub type WriteMatch = fn(&mut Vec<u8>, &MatchRecord<'_>);

/// How to hunt.
pub struct HuntOptions<'a> {
    /// How matches are written.
    pub write: WriteMatch,
    /// How inputs are opened (memory maps, forced JSON shape).
    pub open: OpenOptions,
    /// Read every input as this text log format instead of detecting it.
    pub text_format: Option<TextFormat>,
    /// Correlations and filters: matches of their input rules are observed (and silenced unless
    /// `generate`), filtered matches dropped. `None` writes every match.
    pub correlator: Option<&'a Correlator<'a>>,
    /// Called once per finished input with its decompressed size.
    pub progress: &'a (dyn Fn(u64) + Sync),
}

impl HuntOptions<'static> {
    /// Options that write matches with `write`, open inputs the default way, detect every
    /// input's format and report no progress.
    pub fn new(write: WriteMatch) -> Self {
        HuntOptions {
            write,
            open: OpenOptions::default(),
            text_format: None,
            correlator: None,
            progress: &|_| {},
        }
    }
}

/// Hunts through `paths` (files, folders, `-` for stdin). `emit` receives output blocks in
/// input order; if it fails (a closed pipe), the hunt stops.
pub fn hunt(
    engine: &Engine,
    paths: &[PathBuf],
    options: &HuntOptions<'_>,
    emit: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
) -> HuntStats {
    let started = Instant::now();
    let rules = engine.rules().len();
    let mut stats = HuntStats::new(rules);
    let discovery = input::discover(paths);
    for skipped in discovery.skipped {
        stats
            .skipped_files
            .push((skipped.input.to_string(), skipped.reason.to_string()));
    }
    for error in discovery.errors {
        stats.unreadable_files += 1;
        stats.problem(error.input(), None, error.to_string());
    }
    let mut units = Units {
        inputs: discovery.inputs.into_iter(),
        pending: VecDeque::new(),
        stream: None,
        options,
        scan: engine.options(),
        rules,
    };
    let rule_json: Vec<String> = engine
        .rules()
        .rules()
        .iter()
        .map(|rule| sink::rule_json(&rule.meta))
        .collect();
    let threads = rayon::current_num_threads();
    let mut wave = units.wave(threads);
    // Output buffers of the last wave, emptied, for the next: a fresh buffer would be grown
    // by copying and its new pages faulted in, every unit.
    let mut spare: Vec<Vec<u8>> = Vec::new();
    // The number of the next record of the file whose chunks are being numbered.
    let mut next_record = 0;
    while !wave.is_empty() {
        number_wave(&mut wave, &mut next_record);
        let buffers: Vec<Vec<u8>> = (0..wave.len())
            .map(|_| spare.pop().unwrap_or_default())
            .collect();
        // The next wave is opened and read (stdin, decompression) while this one is scanned.
        let (results, next) = std::thread::scope(|scope| {
            let reader = scope.spawn(|| units.wave(threads));
            let results: Vec<(Vec<u8>, HuntStats)> = std::mem::take(&mut wave)
                .into_par_iter()
                .zip(buffers)
                .map_init(
                    || Worker::new(engine, &rule_json, options),
                    |worker, (unit, out)| run_unit(worker, unit, out, options),
                )
                .collect();
            let next = reader
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (results, next)
        });
        for (mut block, unit_stats) in results {
            stats.merge(unit_stats);
            if emit(&block).is_err() {
                stats.elapsed = started.elapsed();
                return stats;
            }
            if block.capacity() <= MAX_SPARE_BYTES {
                block.clear();
                spare.push(block);
            }
        }
        wave = next;
    }
    stats.elapsed = started.elapsed();
    stats
}

/// Numbers the chunks of `wave` that are `counted_in_wave`: their records are counted on all
/// threads (which maps their pages in for the scan that follows), then each chunk past its
/// file's first starts at `next_record`, the number after the records of the chunks before
/// it. Counting here, not as the chunks are made, keeps the reader from mapping in every page
/// of a big file twice, and from competing with the scan for a core.
fn number_wave(wave: &mut [Unit], next_record: &mut u64) {
    let counts: Vec<Option<u64>> = wave
        .par_iter()
        .map(|unit| match unit {
            Unit::Chunk {
                counted_in_wave: true,
                block,
                reading,
                range,
                ..
            } => {
                block.populate(range.clone());
                Some(reading.count_records(&block.bytes()[range.clone()]))
            }
            _ => None,
        })
        .collect();
    for (unit, count) in wave.iter_mut().zip(counts) {
        if let (Unit::Chunk { origin, first, .. }, Some(count)) = (unit, count) {
            if !*first {
                origin.index = *next_record;
            }
            *next_record = origin.index + count;
        }
    }
}

/// Work units handed to the threads per wave, per thread: enough to balance uneven units,
/// few enough to bound the output held in memory.
const UNITS_PER_THREAD: usize = 4;

/// Bytes of small units a wave holds per thread (see [`Units::wave`]): enough to make the
/// waits between waves rare, little enough that the two waves of streamed input held in
/// memory stay small.
const WAVE_BYTES_PER_THREAD: usize = 4 << 20;

/// The most units in a wave of small ones (see [`Units::wave`]).
const MAX_WAVE_UNITS: usize = 4096;

/// Largest output buffer kept for the next wave; one that grew past it (a unit with a huge
/// output) is freed.
const MAX_SPARE_BYTES: usize = 32 << 20;

/// One piece of work, in input order.
enum Unit {
    /// Whole records of an input, scanned side by side with the other pieces of the input: a
    /// memory-mapped file, or a newline-aligned chunk of one if it is NDJSON (its pages
    /// released once scanned), or one block of a stream (stdin, a compressed file) read by the
    /// driver. `reading` is how its records are read, with the header in force at its start
    /// for text logs; `first` for the input's first unit. `origin.index` is known when the
    /// unit is made, except for the chunks of a big JSON file past its first: those are
    /// `counted_in_wave` ([`number_wave`]).
    Chunk {
        source: Arc<InputSource>,
        block: Arc<Block>,
        reading: Arc<Reading>,
        range: Range<usize>,
        origin: Origin,
        first: bool,
        counted_in_wave: bool,
    },
    /// An input, or part of one, that only contributes statistics (skipped on purpose,
    /// unreadable, a stream's read error or overlong line).
    Done(Box<HuntStats>),
}

impl Unit {
    /// The bytes of input it scans.
    fn len(&self) -> usize {
        match self {
            Unit::Chunk { range, .. } => range.len(),
            Unit::Done(_) => 0,
        }
    }
}

/// A streamed input being cut into units.
struct Stream {
    source: Arc<InputSource>,
    blocks: Blocks,
    /// How its records are read, decided from its first block.
    reading: Option<Arc<Reading>>,
    /// Lines of the blocks so far that are no records of a text log (its header lines). The
    /// blocks number records as NDJSON lines, counting them; the unit numbers take them off.
    uncounted: u64,
    /// Whether no unit of it was made yet.
    first: bool,
}

/// The work units of a hunt, opening inputs lazily, in input order.
struct Units<'a> {
    inputs: std::vec::IntoIter<InputSource>,
    pending: VecDeque<Unit>,
    /// The streamed input being cut into units, block by block.
    stream: Option<Stream>,
    options: &'a HuntOptions<'a>,
    scan: &'a ScanOptions,
    rules: usize,
}

/// How long after `--to` a CloudTrail file may still hold events up to `--to`: AWS delivers
/// within about 15 minutes; an hour leaves room for late deliveries.
const DELIVERY_MARGIN: jiff::SignedDuration = jiff::SignedDuration::from_hours(1);

/// Why a CloudTrail log file can be left unopened: its delivery time (in its S3 name) shows it
/// holds no event in `--from`/`--to`.
fn outside_time_range(source: &InputSource, scan: &ScanOptions) -> Option<&'static str> {
    let InputSource::Path(path) = source else {
        return None;
    };
    if scan.from.is_none() && scan.to.is_none() {
        return None;
    }
    let delivered = input::cloudtrail_delivery_time(path)?;
    if scan.from.is_some_and(|from| delivered < from) {
        Some("CloudTrail file delivered before --from: holds only earlier events")
    } else if scan.to.is_some_and(|to| delivered > to + DELIVERY_MARGIN) {
        Some("CloudTrail file delivered over an hour after --to: holds only later events")
    } else {
        None
    }
}

impl Iterator for Units<'_> {
    type Item = Unit;

    fn next(&mut self) -> Option<Unit> {
        loop {
            if let Some(unit) = self.pending.pop_front() {
                return Some(unit);
            }
            if let Some(unit) = self.next_block() {
                return Some(unit);
            }
            let source = self.inputs.next()?;
            if let Some(unit) = self.open(source) {
                return Some(unit);
            }
        }
    }
}

impl Units<'_> {
    /// The next wave of units for `threads` threads: [`UNITS_PER_THREAD`] per thread, and more
    /// while they hold fewer than [`WAVE_BYTES_PER_THREAD`] per thread (up to
    /// [`MAX_WAVE_UNITS`]). Small files (each a unit, such as CloudTrail's `.json.gz` files of
    /// a few hundred KiB) then come many to a wave, and the threads wait for one another, and
    /// for the reader, once per wave instead of every few files.
    fn wave(&mut self, threads: usize) -> Vec<Unit> {
        let units = threads * UNITS_PER_THREAD;
        let bytes = threads * WAVE_BYTES_PER_THREAD;
        let mut wave = Vec::new();
        let mut held = 0;
        while wave.len() < units || held < bytes && wave.len() < MAX_WAVE_UNITS {
            let Some(unit) = self.next() else { break };
            held += unit.len();
            wave.push(unit);
        }
        wave
    }

    /// Opens the next input: returns its unit if it only contributes statistics (skipped,
    /// unreadable); otherwise queues its chunks (a mapped file) or makes it the current stream,
    /// and returns `None`.
    fn open(&mut self, source: InputSource) -> Option<Unit> {
        let mut stats = HuntStats::new(self.rules);
        if let Some(reason) = outside_time_range(&source, self.scan) {
            stats
                .skipped_files
                .push((source.to_string(), reason.into()));
            return Some(Unit::Done(Box::new(stats)));
        }
        let mut blocks = match input::open(&source, &self.options.open) {
            Ok(Opened::Blocks(blocks)) => blocks,
            Ok(Opened::Skipped(reason)) => {
                stats
                    .skipped_files
                    .push((source.to_string(), reason.to_string()));
                return Some(Unit::Done(Box::new(stats)));
            }
            Err(error) => {
                stats.unreadable_files += 1;
                stats.problem(&source, None, error.to_string());
                return Some(Unit::Done(Box::new(stats)));
            }
        };
        let Some(block) = blocks.take_mapped() else {
            self.stream = Some(Stream {
                source: Arc::new(source),
                blocks,
                reading: None,
                uncounted: 0,
                first: true,
            });
            return None;
        };
        let mut reading = Arc::new(Reading::of(
            &source,
            block.bytes(),
            block.shape(),
            self.options,
        ));
        let (block, source) = (Arc::new(block), Arc::new(source));
        let bytes = block.bytes();
        let ranges = match block.shape() {
            Shape::Ndjson if !bytes.is_empty() => {
                split_ndjson(bytes, bytes.len().div_ceil(CHUNK_BYTES))
            }
            _ => std::iter::once(0..bytes.len()).collect(),
        };
        let mut origin = block.origin();
        // The chunks of a JSON file are numbered in their wave; a text log's are numbered
        // here, as its next chunk needs the headers of this one anyway.
        let counted_in_wave = ranges.len() > 1 && !matches!(*reading, Reading::Text(_));
        let last = ranges.len().saturating_sub(1);
        for (i, range) in ranges.into_iter().enumerate() {
            self.pending.push_back(Unit::Chunk {
                source: Arc::clone(&source),
                block: Arc::clone(&block),
                reading: Arc::clone(&reading),
                range: range.clone(),
                origin,
                first: i == 0,
                counted_in_wave,
            });
            if i == last {
                break; // no chunk needs the records or headers of the last one
            }
            let chunk = &bytes[range.clone()];
            if !counted_in_wave {
                // Reading touches the pages: they are released again until the chunk is
                // scanned.
                origin.index += reading.count_records(chunk);
                block.release(range.clone());
            }
            origin.offset += range.len() as u64;
            reading = Reading::after(&reading, chunk);
        }
        None
    }

    /// The next unit of the current stream, reading its next block; `None` when there is no
    /// stream or it has ended.
    fn next_block(&mut self) -> Option<Unit> {
        let stream = self.stream.as_mut()?;
        let first = std::mem::replace(&mut stream.first, false);
        let mut stats = HuntStats::new(self.rules);
        stats.files = u64::from(first);
        let block = match stream.blocks.next() {
            Some(Ok(block)) => block,
            Some(Err(BlockError::Record(bad))) => {
                stats.records += 1;
                let index = bad.index.saturating_sub(stream.uncounted);
                stats.bad_record(&stream.source, index, bad.reason.to_string());
                return Some(Unit::Done(Box::new(stats)));
            }
            Some(Err(BlockError::Input(error))) => {
                stats.problem(&stream.source, None, error.to_string());
                return Some(Unit::Done(Box::new(stats)));
            }
            None => {
                self.stream = None;
                return first.then(|| Unit::Done(Box::new(stats)));
            }
        };
        let reading = stream.reading.get_or_insert_with(|| {
            Arc::new(Reading::of(
                &stream.source,
                block.bytes(),
                block.shape(),
                self.options,
            ))
        });
        let origin = Origin {
            index: block.origin().index.saturating_sub(stream.uncounted),
            offset: block.origin().offset,
        };
        stream.uncounted += reading.uncounted_lines(block.bytes());
        let this = std::mem::replace(reading, Reading::after(reading, block.bytes()));
        let range = 0..block.bytes().len();
        Some(Unit::Chunk {
            source: Arc::clone(&stream.source),
            origin,
            block: Arc::new(block),
            reading: this,
            range,
            first,
            counted_in_wave: false,
        })
    }
}

/// A thread's scanning state: its scanner, and its collector of correlation inputs.
struct Worker<'e> {
    engine: &'e Engine,
    /// Per rule: its `rule` object in the output ([`sink::rule_json`]).
    rule_json: &'e [String],
    scanner: Scanner<'e>,
    collector: Option<Collector<'e>>,
    verdicts: Vec<Verdict>,
}

impl<'e> Worker<'e> {
    fn new(engine: &'e Engine, rule_json: &'e [String], options: &HuntOptions<'e>) -> Self {
        Worker {
            engine,
            rule_json,
            scanner: engine.scanner(),
            collector: options.correlator.map(Correlator::collector),
            verdicts: Vec::new(),
        }
    }
}

/// Scans one unit into `out` (an empty output buffer).
fn run_unit(
    worker: &mut Worker<'_>,
    unit: Unit,
    out: Vec<u8>,
    options: &HuntOptions<'_>,
) -> (Vec<u8>, HuntStats) {
    let (out, stats) = match unit {
        Unit::Done(stats) => (out, *stats),
        Unit::Chunk {
            source,
            block,
            reading,
            range,
            origin,
            first,
            counted_in_wave,
        } => {
            let name = PathBuf::from(source.to_string());
            if !counted_in_wave {
                block.populate(range.clone()); // else done by `number_wave`
            }
            let bytes = &block.bytes()[range.clone()];
            let mut reader = Reader::new(&reading);
            let (mut out, mut stats) = scan_records(
                worker,
                out,
                bytes,
                block.shape(),
                origin,
                &mut reader,
                &name,
                &source,
                options,
            );
            block.release(range);
            if block.shrunk() {
                // The file shrank under its map while this unit was read: what was made of
                // its bytes is not to be trusted (`Block::shrunk`); the file is reported once.
                stats = HuntStats::new(stats.matches_per_rule.len());
                if let Some(error) = block.shrink_error(&source) {
                    stats.problem(&source, None, error.to_string());
                }
                out.clear();
            }
            stats.files = u64::from(first);
            (out, stats)
        }
    };
    (options.progress)(stats.bytes);
    (out, stats)
}

/// How an input's bytes become records: decided once per input, from the head of its content.
#[derive(Clone, Debug)]
enum Reading {
    /// JSON records, framed by the block's shape.
    Json,
    /// JSON envelopes (CloudWatch Logs, AWS Config), each expanded into its events.
    Envelope(Envelope),
    /// Lines of a text log (VPC Flow, load balancers, CloudFront).
    Text(TextFormat),
}

impl Reading {
    /// The reading of an input whose content starts with `head` and is framed as `shape` (a
    /// forced text format wins; a forced JSON shape reads JSON, as do the events of a
    /// CloudTrail envelope).
    fn of(source: &InputSource, head: &[u8], shape: Shape, options: &HuntOptions<'_>) -> Reading {
        if let Some(format) = &options.text_format {
            return Reading::Text(format.clone());
        }
        if options.open.shape.is_some() {
            return Reading::Json;
        }
        let head = &head[..head.len().min(HEAD_BYTES)];
        let path = match source {
            InputSource::Path(path) => Some(path.as_path()),
            InputSource::Stdin => None,
        };
        if let Some(format) = formats::detect(path, head) {
            Reading::Text(format)
        } else if shape == Shape::Envelope {
            Reading::Json
        } else if let Some(envelope) = formats::detect_envelope(head) {
            Reading::Envelope(envelope)
        } else {
            Reading::Json
        }
    }

    /// How the records after `bytes` (whole lines of an input read as `reading`) are read: a
    /// text log's last header in `bytes` applies to them ([`TextFormat::after`]).
    fn after(reading: &Arc<Reading>, bytes: &[u8]) -> Arc<Reading> {
        match &**reading {
            Reading::Text(format) => Arc::new(Reading::Text(format.after(bytes))),
            Reading::Json | Reading::Envelope(_) => Arc::clone(reading),
        }
    }

    /// Lines of `bytes` (whole lines) that NDJSON framing counts as records and this reading
    /// does not: a text log's header lines.
    fn uncounted_lines(&self, bytes: &[u8]) -> u64 {
        match self {
            Reading::Text(format) => {
                count_records(bytes).saturating_sub(format.count_records(bytes))
            }
            Reading::Json | Reading::Envelope(_) => 0,
        }
    }

    /// Records in `bytes` (whole lines), for numbering the chunks of a file.
    fn count_records(&self, bytes: &[u8]) -> u64 {
        match self {
            Reading::Text(format) => format.count_records(bytes),
            Reading::Json | Reading::Envelope(_) => count_records(bytes),
        }
    }
}

/// How much of a file's head decides its reading.
const HEAD_BYTES: usize = 64 << 10;

/// The per-buffer state of a [`Reading`].
enum Reader {
    Json,
    Envelope(Envelope, Records),
    Text(Box<TextReader>),
}

impl Reader {
    fn new(reading: &Reading) -> Reader {
        match reading {
            Reading::Json => Reader::Json,
            Reading::Envelope(envelope) => Reader::Envelope(*envelope, Records::default()),
            Reading::Text(format) => Reader::Text(Box::new(TextReader::new(format.clone()))),
        }
    }
}

/// Where scanned records go: the worker, the statistics and the output of one work unit.
struct Sink<'a, 's> {
    worker: &'a mut Worker<'s>,
    stats: HuntStats,
    out: Vec<u8>,
    name: &'a Path,
    source: &'a InputSource,
    options: &'a HuntOptions<'a>,
    /// Whether an unparsed record of this buffer was already parsed once for its source.
    probed: bool,
}

/// The source of a record the prefilter kept from being parsed, for statistics only.
fn probe_source(record: &[u8]) -> Option<RecordSource> {
    let mut bytes = record.to_vec();
    simd_json::to_borrowed_value(&mut bytes)
        .ok()
        .map(|value| RecordSource::detect(&value))
}

impl Sink<'_, '_> {
    /// Scans one record and writes its matches. An NDJSON line framing left `unchecked`
    /// ([`records_unchecked`](crate::framing::records_unchecked)) is checked here if it is
    /// not parsed, or fails to parse, so that a bad record is reported as framing reports it.
    fn record(&mut self, index: u64, record: &[u8], known: Option<RecordSource>, unchecked: bool) {
        let Worker {
            engine,
            rule_json,
            scanner,
            collector,
            verdicts,
        } = &mut *self.worker;
        let rules = scanner.rules();
        let framing_check = || unchecked.then(|| check_line(record).err()).flatten();
        let found = match scanner.scan_from(record, known) {
            Ok(found) => found,
            Err(error) => {
                let reason = framing_check().map_or_else(|| error.to_string(), |r| r.to_string());
                return self.stats.bad_record(self.source, index, reason);
            }
        };
        if found.value().is_none()
            && let Some(reason) = framing_check()
        {
            return self
                .stats
                .bad_record(self.source, index, reason.to_string());
        }
        if found.out_of_range {
            self.stats.out_of_range += 1;
            return;
        }
        self.stats.scanned += 1;
        let seen = if found.value().is_some() {
            self.stats.records_per_source[found.source as usize] += 1;
            Some(found.source)
        } else if known.is_some() {
            known
        } else if !self.probed {
            self.probed = true;
            probe_source(record)
        } else {
            None
        };
        if let Some(source) = seen {
            self.stats.sources_seen |= 1 << source as u32;
        }
        // Correlation inputs are observed (and silenced unless `generate`); filtered matches
        // are dropped.
        verdicts.clear();
        match (collector, found.value()) {
            (Some(collector), Some(value)) => collector.record(
                found.rules,
                found.timestamp,
                value,
                self.name,
                index,
                verdicts,
            ),
            // No collector, or no rule matched (the record was not even parsed).
            _ => verdicts.resize(found.rules.len(), Verdict::Emit),
        }
        for (&rule, verdict) in found.rules.iter().zip(verdicts.iter()) {
            // Rules kept below `--level` for their correlations are observed, never written.
            if *verdict != Verdict::Emit || !engine.options().passes_level(rules.rule(rule)) {
                continue;
            }
            self.stats.matches_per_rule[rule.0 as usize] += 1;
            let m = MatchRecord {
                rule: rules.rule(rule),
                rule_json: &rule_json[rule.0 as usize],
                timestamp: found.timestamp,
                path: self.name,
                record: index,
                event: record,
            };
            (self.options.write)(&mut self.out, &m);
        }
    }
}

/// Frames and scans the records of one buffer.
#[allow(clippy::too_many_arguments)]
fn scan_records(
    worker: &mut Worker<'_>,
    out: Vec<u8>,
    bytes: &[u8],
    shape: Shape,
    origin: Origin,
    reader: &mut Reader,
    name: &Path,
    source: &InputSource,
    options: &HuntOptions<'_>,
) -> (Vec<u8>, HuntStats) {
    let stats = HuntStats::new(worker.scanner.rules().len());
    let mut sink = Sink {
        worker,
        stats,
        out,
        name,
        source,
        options,
        probed: false,
    };
    sink.stats.bytes = bytes.len() as u64;
    match reader {
        Reader::Text(reader) => {
            let mut lines = formats::text_records(bytes, origin, reader);
            while let Some(line) = lines.next_record() {
                sink.stats.records += 1;
                match line {
                    Ok(line) => sink.record(line.index, line.json, Some(line.source), false),
                    Err(bad) => sink
                        .stats
                        .bad_record(source, bad.index, bad.reason.to_string()),
                }
            }
        }
        Reader::Json | Reader::Envelope(..) => {
            // Envelopes are expanded by a parser of their own, so their lines are checked first.
            let records = match reader {
                Reader::Envelope(..) => framing::records(bytes, shape, origin),
                _ => framing::records_unchecked(bytes, shape, origin),
            };
            for record in records {
                sink.stats.records += 1;
                let record = match record {
                    Ok(record) => record,
                    Err(bad) => {
                        sink.stats
                            .bad_record(source, bad.index, bad.reason.to_string());
                        continue;
                    }
                };
                let Reader::Envelope(envelope, events) = reader else {
                    sink.record(record.index, record.bytes, None, !record.checked);
                    continue;
                };
                events.clear();
                match envelope.expand(record.bytes, events) {
                    Ok(()) => {
                        for (event, source) in events.sourced() {
                            sink.record(record.index, event, Some(source), false);
                        }
                    }
                    Err(error) => sink
                        .stats
                        .bad_record(source, record.index, error.to_string()),
                }
            }
        }
    }
    let Sink {
        worker,
        mut stats,
        out,
        ..
    } = sink;
    stats.scan = worker.scanner.take_stats();
    if let Some(collector) = &mut worker.collector {
        stats.observations = collector.take();
    }
    (out, stats)
}
