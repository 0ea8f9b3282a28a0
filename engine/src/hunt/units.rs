//! Cutting a source's inputs into units of work, in input order, and waves of them.
//!
//! A unit is a memory-mapped file, a newline-aligned chunk of one if it is NDJSON or a text
//! log, or one block of a stream (stdin, a compressed file, a downloaded object; about
//! [`BLOCK_BYTES`](crate::input::BLOCK_BYTES) of whole records). A unit of a text log starts
//! from the header in force where it starts ([`TextFormat::after`](crate::formats::TextFormat)).
//! The chunks of a big JSON file learn the number of their first record at the start of their
//! wave ([`number_wave`]), so that the reader does not map every page in twice.

use super::reading::{Forced, Reading};
use super::stats::{HuntStats, ProblemKind};
use crate::framing::{Origin, Shape, split_ndjson};
use crate::input::{self, Block, BlockError, Blocks, InputSource, OpenOptions, Opened, Skipped};
use crate::scan::ScanOptions;
use crate::source::{Content, Input, Source, SourceItem};
use rayon::prelude::*;
use std::collections::VecDeque;
use std::ops::Range;
use std::sync::Arc;

/// NDJSON blocks larger than this are cut into chunks scanned in parallel.
const CHUNK_BYTES: usize = 2 << 20;

/// Work units handed to the threads per wave, per thread: enough to balance uneven units,
/// few enough to bound the output held in memory.
const UNITS_PER_THREAD: usize = 4;

/// Bytes of small units a wave holds per thread (see [`Units::wave`]): enough to make the
/// waits between waves rare, little enough that the two waves of streamed input held in
/// memory stay small.
const WAVE_BYTES_PER_THREAD: usize = 4 << 20;

/// The most units in a wave of small ones (see [`Units::wave`]).
const MAX_WAVE_UNITS: usize = 4096;

/// One piece of work, in input order.
pub(super) enum Unit {
    /// Whole records of an input, scanned side by side with the other pieces of the input: a
    /// memory-mapped file, or a newline-aligned chunk of one if it is NDJSON (its pages
    /// released once scanned), or one block of a stream read by the driver. `reading` is how
    /// its records are read, with the header in force at its start for text logs; `first` for
    /// the input's first unit. `origin.index` is known when the unit is made, except for the
    /// chunks of a big JSON file past its first: those are `counted_in_wave` ([`number_wave`]).
    /// `stored` is the part of the input's stored size it covers (a stream's is counted when
    /// the stream ends).
    Chunk {
        source: Arc<InputSource>,
        block: Arc<Block>,
        reading: Arc<Reading>,
        range: Range<usize>,
        origin: Origin,
        first: bool,
        counted_in_wave: bool,
        stored: u64,
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

/// Numbers the chunks of `wave` that are `counted_in_wave`: their records are counted on all
/// threads (which maps their pages in for the scan that follows), then each chunk past its
/// file's first starts at `next_record`, the number after the records of the chunks before
/// it. Counting here, not as the chunks are made, keeps the reader from mapping in every page
/// of a big file twice, and from competing with the scan for a core.
pub(super) fn number_wave(wave: &mut [Unit], next_record: &mut u64) {
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
    /// Its size as stored, counted when it ends (a compressed stream's position is not known
    /// before).
    stored: u64,
}

/// How inputs are opened and read.
pub(super) struct Opening<'a> {
    pub open: &'a OpenOptions,
    pub forced: &'a Forced,
    pub scan: &'a ScanOptions,
    pub rules: usize,
}

impl<'a> Opening<'a> {
    /// How `engine` opens and reads the inputs of a hunt with `options`.
    pub(super) fn of(
        engine: &'a crate::scan::Engine,
        options: &'a super::HuntOptions<'_>,
        forced: &'a Forced,
    ) -> Self {
        Opening {
            open: &options.open,
            forced,
            scan: engine.options(),
            rules: engine.rules().len(),
        }
    }
}

/// The work units of a hunt, taking inputs from the source lazily, in input order.
pub(super) struct Units<'a> {
    source: &'a mut dyn Source,
    pending: VecDeque<Unit>,
    /// The streamed input being cut into units, block by block.
    stream: Option<Stream>,
    opening: Opening<'a>,
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
            let unit = match self.source.next()? {
                SourceItem::Input(input) => self.open(input),
                SourceItem::Skipped(skipped) => Some(self.skipped(skipped)),
                SourceItem::Error(error) => {
                    let mut stats = self.stats();
                    stats.unreadable_files += 1;
                    let input = error.input().clone();
                    stats.problem(&input, None, ProblemKind::Input(error));
                    Some(Unit::Done(Box::new(stats)))
                }
            };
            if let Some(unit) = unit {
                return Some(unit);
            }
        }
    }
}

impl<'a> Units<'a> {
    pub(super) fn new(source: &'a mut dyn Source, opening: Opening<'a>) -> Self {
        Units {
            source,
            pending: VecDeque::new(),
            stream: None,
            opening,
        }
    }

    /// The next wave of units for `threads` threads: [`UNITS_PER_THREAD`] per thread, and more
    /// while they hold fewer than [`WAVE_BYTES_PER_THREAD`] per thread (up to
    /// [`MAX_WAVE_UNITS`]). Small files (each a unit, such as CloudTrail's `.json.gz` files of
    /// a few hundred KiB) then come many to a wave, and the threads wait for one another, and
    /// for the reader, once per wave instead of every few files.
    pub(super) fn wave(&mut self, threads: usize) -> Vec<Unit> {
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

    fn stats(&self) -> HuntStats {
        HuntStats::new(self.opening.rules)
    }

    /// A unit that counts a skipped input.
    fn skipped(&self, skipped: Skipped) -> Unit {
        let mut stats = self.stats();
        stats.skipped_files.push(skipped);
        Unit::Done(Box::new(stats))
    }

    /// Opens the next input: returns its unit if it only contributes statistics (skipped,
    /// unreadable); otherwise queues its chunks (a mapped file) or makes it the current stream,
    /// and returns `None`.
    fn open(&mut self, input: Input) -> Option<Unit> {
        let Input {
            source,
            content,
            size,
        } = input;
        let scan = self.opening.scan;
        let delivered = |path| input::delivery_skip(path, scan.from, scan.to);
        if let Some(reason) = source.path().and_then(delivered) {
            return Some(self.skipped(Skipped {
                input: source,
                reason,
            }));
        }
        let (opened, stored) = match content {
            Content::Open => {
                let stored = source.path().and_then(|p| std::fs::metadata(p).ok());
                let stored = size.or(stored.map(|meta| meta.len()));
                (input::open(&source, self.opening.open), stored)
            }
            Content::Reader(reader) => {
                let opened = input::open_reader(source.clone(), reader, self.opening.open);
                (opened, size)
            }
        };
        let stored = stored.unwrap_or(0);
        let mut blocks = match opened {
            Ok(Opened::Blocks(blocks)) => blocks,
            Ok(Opened::Skipped(reason)) => {
                let mut unit = self.skipped(Skipped {
                    input: source,
                    reason,
                });
                if let Unit::Done(stats) = &mut unit {
                    stats.stored_bytes = stored;
                }
                return Some(unit);
            }
            Err(error) => {
                let mut stats = self.stats();
                stats.unreadable_files += 1;
                stats.stored_bytes = stored;
                stats.problem(&source, None, ProblemKind::Input(error));
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
                stored,
            });
            return None;
        };
        self.queue_chunks(source, block);
        None
    }

    /// Queues the chunks of a memory-mapped file.
    fn queue_chunks(&mut self, source: InputSource, block: Block) {
        let forced = self.opening.forced;
        let mut reading = Arc::new(Reading::of(&source, block.bytes(), block.shape(), forced));
        let (block, source) = (Arc::new(block), Arc::new(source));
        let bytes = block.bytes();
        let ranges: Vec<Range<usize>> = match block.shape() {
            // Finding a cut reads a line there, which maps its pages in: a whole 2 MiB folio
            // where the page cache holds the file in huge pages. Each chunk is released as
            // soon as it is cut, or the whole file would be resident at once, until its
            // chunk is scanned.
            Shape::Ndjson if !bytes.is_empty() => {
                split_ndjson(bytes, bytes.len().div_ceil(CHUNK_BYTES))
                    .inspect(|chunk| block.release(chunk.clone()))
                    .collect()
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
                stored: range.len() as u64,
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
    }

    /// The next unit of the current stream, reading its next block; `None` when there is no
    /// stream or it has ended.
    fn next_block(&mut self) -> Option<Unit> {
        let mut stats = self.stats();
        let stream = self.stream.as_mut()?;
        let first = std::mem::replace(&mut stream.first, false);
        stats.files = u64::from(first);
        let block = match stream.blocks.next() {
            Some(Ok(block)) => block,
            Some(Err(BlockError::Record(bad))) => {
                stats.records += 1;
                let index = bad.index.saturating_sub(stream.uncounted);
                let kind = ProblemKind::Framing(bad.reason);
                stats.bad_record(&stream.source, index, kind);
                return Some(Unit::Done(Box::new(stats)));
            }
            Some(Err(BlockError::Input(error))) => {
                stats.problem(&stream.source, None, ProblemKind::Input(error));
                return Some(Unit::Done(Box::new(stats)));
            }
            None => {
                stats.stored_bytes = stream.stored;
                self.stream = None;
                return Some(Unit::Done(Box::new(stats)));
            }
        };
        let forced = self.opening.forced;
        let reading = stream.reading.get_or_insert_with(|| {
            Arc::new(Reading::of(
                &stream.source,
                block.bytes(),
                block.shape(),
                forced,
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
            stored: 0,
        })
    }
}
