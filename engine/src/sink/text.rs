//! The sinks that write text to an `io::Write`: the ordered writing they share.

use super::{Batch, MatchRecord, Sink, SinkError};
use crate::correlate::CorrelationMatch;
use crate::record::RecordView;
use sigil_compiler::Rule;
use std::io::Write;

/// How a [`TextSink`] lays matches out as text: [`Jsonl`](super::jsonl::Jsonl),
/// [`Csv`](super::csv::Csv), [`Table`](super::table::Table), or a format of one's own.
///
/// A layout is cloned into every batch, so it should be cheap to clone (share big tables
/// behind an `Arc`). A batch's clone may keep what it wrote for one match to reuse for the
/// next ones of the batch (the JSONL layout keeps the text of the last record).
pub trait Layout: Clone + Send {
    /// Writes what comes before the first match (a header line); nothing by default.
    fn header(&self, _out: &mut Vec<u8>) {}

    /// Appends one match to `out`.
    fn matched(&mut self, out: &mut Vec<u8>, m: &MatchRecord<'_>);

    /// Appends one correlation match of `rule` to `out`.
    fn correlation(&self, out: &mut Vec<u8>, rule: &Rule, m: &CorrelationMatch);
}

/// A sink that lays matches out as text ([`Layout`]) and writes them, in input order, to an
/// `io::Write`.
///
/// Each batch is formatted into a buffer of its own on a worker thread; [`Sink::write`] writes
/// whole buffers, so the writer sees few large writes. Buffers are reused from batch to batch.
#[derive(Debug)]
pub struct TextSink<W: Write, L: Layout> {
    out: W,
    layout: L,
    /// Emptied buffers of written batches, for the next batches.
    spare: Vec<Buffer>,
    /// The bytes the `spare` buffers held at most, together (at most `spare_limit`).
    spare_bytes: usize,
    /// [`SPARE_BYTES_PER_THREAD`] for each thread that scans.
    spare_limit: usize,
    /// Whether the header was written.
    started: bool,
}

/// Most bytes the emptied buffers kept for the next batches hold together, per thread of the
/// pool that scans (rayon's current pool, where the sink is made): a wave of units has a
/// buffer per unit, so many per thread. Under that, a wave whose output is larger than the
/// bound makes buffers afresh, and each grows page by page, faulting; two threads faulting
/// at once spend more time in the kernel than in the scan (all SigmaHQ rules, two threads:
/// 77,000 page faults and 0.27 s of system time at 32 MiB for both, 30,000 and 0.07 s at 32
/// MiB each). A bound on each buffer alone is not enough either: a buffer reused from unit to
/// unit keeps the largest output it held resident, so every buffer of a long hunt would end
/// at the largest unit output's size. A buffer counts for the most bytes it held
/// ([`Buffer`]), not its capacity, which is up to twice that.
const SPARE_BYTES_PER_THREAD: usize = 32 << 20;

impl<W: Write, L: Layout> TextSink<W, L> {
    /// A sink writing to `out` with `layout`.
    pub fn with_layout(out: W, layout: L) -> Self {
        TextSink {
            out,
            layout,
            spare: Vec::new(),
            spare_bytes: 0,
            spare_limit: SPARE_BYTES_PER_THREAD * rayon::current_num_threads(),
            started: false,
        }
    }

    /// The writer, once the sink is done with it.
    pub fn into_inner(self) -> W {
        self.out
    }

    /// Writes the header once, before anything else.
    fn start(&mut self) -> Result<(), SinkError> {
        if !self.started {
            self.started = true;
            let mut header = Vec::new();
            self.layout.header(&mut header);
            self.out.write_all(&header)?;
        }
        Ok(())
    }
}

/// The matches of one unit, laid out as text.
#[derive(Debug)]
pub struct TextBatch<L> {
    buffer: Buffer,
    layout: L,
}

/// A batch's buffer, and the most bytes it held over its batches: what of it is resident.
/// Its capacity is no measure of that: a buffer grown by doubling has up to twice the
/// capacity of its largest output, and the pages of a large allocation past what was
/// written are never mapped in.
#[derive(Debug, Default)]
struct Buffer {
    bytes: Vec<u8>,
    most: usize,
}

impl<L: Layout> Batch for TextBatch<L> {
    fn matched(&mut self, m: &MatchRecord<'_>, _: &RecordView<'_>) -> Result<(), SinkError> {
        self.layout.matched(&mut self.buffer.bytes, m);
        Ok(())
    }
}

impl<W: Write, L: Layout> Sink for TextSink<W, L> {
    type Batch = TextBatch<L>;

    fn batch(&mut self) -> TextBatch<L> {
        let buffer = self.spare.pop().unwrap_or_default();
        self.spare_bytes -= buffer.most;
        TextBatch {
            buffer,
            layout: self.layout.clone(),
        }
    }

    fn write(&mut self, mut batch: TextBatch<L>) -> Result<(), SinkError> {
        self.start()?;
        let buffer = &mut batch.buffer;
        self.out.write_all(&buffer.bytes)?;
        buffer.most = buffer.most.max(buffer.bytes.len());
        if self.spare_bytes + buffer.most <= self.spare_limit {
            buffer.bytes.clear();
            self.spare_bytes += buffer.most;
            self.spare.push(batch.buffer);
        }
        Ok(())
    }

    fn correlation(&mut self, rule: &Rule, m: &CorrelationMatch) -> Result<(), SinkError> {
        self.start()?;
        let mut line = Vec::new();
        self.layout.correlation(&mut line, rule, m);
        self.out.write_all(&line)?;
        Ok(())
    }

    fn finish(&mut self) -> Result<(), SinkError> {
        self.start()?;
        self.out.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A layout that writes nothing itself: the test fills the batches.
    #[derive(Clone)]
    struct Nothing;

    impl Layout for Nothing {
        fn matched(&mut self, _: &mut Vec<u8>, _: &MatchRecord<'_>) {}
        fn correlation(&self, _: &mut Vec<u8>, _: &Rule, _: &CorrelationMatch) {}
    }

    #[test]
    fn the_buffers_kept_for_the_next_batches_hold_at_most_the_bound_together() {
        let mut sink = TextSink::with_layout(std::io::sink(), Nothing);
        let limit = SPARE_BYTES_PER_THREAD;
        sink.spare_limit = limit; // one thread's, whatever this machine has
        for round in 0..3 {
            // A wave of 40 batches of 3 MiB each: 120 MiB in flight, more than the bound.
            let mut batches: Vec<_> = (0..40).map(|_| sink.batch()).collect();
            for batch in &mut batches {
                batch.buffer.bytes.resize(3 << 20, b'x');
            }
            for batch in batches {
                sink.write(batch).unwrap();
            }
            let kept: usize = sink.spare.iter().map(|buffer| buffer.most).sum();
            assert_eq!(kept, sink.spare_bytes, "round {round}");
            assert!(kept <= limit, "round {round}: {kept} bytes kept");
            assert!(kept > limit / 2, "round {round}: buffers are still reused");
        }
    }

    #[test]
    fn the_bound_grows_with_the_threads_that_scan() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap();
        let sink = pool.install(|| TextSink::with_layout(std::io::sink(), Nothing));
        assert_eq!(sink.spare_limit, 3 * SPARE_BYTES_PER_THREAD);
    }

    #[test]
    fn a_kept_buffer_counts_the_most_it_held_not_its_last_batch() {
        let mut sink = TextSink::with_layout(std::io::sink(), Nothing);
        sink.spare_limit = 32 << 20;
        for (len, kept) in [(20 << 20, 20 << 20), (1 << 20, 20 << 20), (0, 20 << 20)] {
            let mut batch = sink.batch(); // the one buffer, emptied
            assert_eq!(sink.spare_bytes, 0);
            // Written a MiB at a time, as a layout writes: the capacity doubles past it.
            for _ in 0..len >> 20 {
                batch.buffer.bytes.extend_from_slice(&[b'x'; 1 << 20]);
            }
            sink.write(batch).unwrap();
            assert_eq!(sink.spare_bytes, kept, "after a batch of {len} bytes");
        }
    }
}
