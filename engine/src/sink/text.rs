//! The sinks that write text to an `io::Write`: the ordered writing they share.

use super::{Batch, MatchRecord, Sink, SinkError, compact_json};
use crate::correlate::CorrelationMatch;
use crate::input::SharedInput;
use crate::record::RecordView;
use sigil_compiler::Rule;
use std::borrow::Cow;
use std::io::{self, IoSlice, Write};
use std::ops::{Deref, DerefMut, Range};

/// How a [`TextSink`] lays matches out as text: [`Jsonl`](super::jsonl::Jsonl),
/// [`Csv`](super::csv::Csv), [`Table`](super::table::Table), or a format of one's own.
///
/// A layout is cloned into every batch, so it should be cheap to clone (share big tables
/// behind an `Arc`). A batch's clone may keep what it wrote for one match to reuse for the
/// next ones of the batch (the JSONL layout keeps the text of the last record).
pub trait Layout: Clone + Send {
    /// Writes what comes before the first match (a header line); nothing by default.
    fn header(&self, _out: &mut Vec<u8>) {}

    /// Appends one match to `out` (its event with [`TextOut::event`], to write it without a
    /// copy when it can be).
    fn matched(&mut self, out: &mut TextOut, m: &MatchRecord<'_>);

    /// Appends one correlation match of `rule` to `out`.
    fn correlation(&self, out: &mut Vec<u8>, rule: &Rule, m: &CorrelationMatch);
}

/// A sink that lays matches out as text ([`Layout`]) and writes them, in input order, to an
/// `io::Write`.
///
/// Each batch is formatted into a buffer of its own on a worker thread, with the events it
/// writes from the input held by reference ([`TextOut`]); [`Sink::write`] writes whole
/// buffers, so the writer sees few large writes. Buffers are reused from batch to batch.
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
    out: TextOut,
    most: usize,
}

/// The text a [`Layout`] writes for a batch: bytes it appends (through `Deref` to a
/// `Vec<u8>`), and the events of its matches, held in the input they were read from rather
/// than copied ([`TextOut::event`]).
///
/// The bytes are appended to, never cut: a held event stands at the offset of the bytes where
/// it was appended, and writing panics if that offset is gone.
#[derive(Debug, Default)]
pub struct TextOut {
    bytes: Vec<u8>,
    /// The inputs the held events lie in.
    inputs: Vec<SharedInput>,
    /// The held events, in order.
    held: Vec<HeldEvent>,
}

/// An event written from the input it was read from.
#[derive(Debug)]
struct HeldEvent {
    /// The offset of the appended bytes it comes before.
    at: usize,
    /// Its input, in [`TextOut::inputs`].
    input: usize,
    /// Where it lies in that input's bytes.
    range: Range<usize>,
}

/// Events shorter than this are copied: a piece of the write of their own (two `iovec`s, with
/// the text before them) is not worth it for a few bytes. A chosen bound, not a measured one:
/// CloudTrail's events are longer.
const HOLD_FROM_BYTES: usize = 256;

impl TextOut {
    /// Appends the event of `m`, compacted onto one line ([`compact_json`]). An event that
    /// needs no compaction and lies in the input the hunt shares ([`MatchRecord::shared`]) is
    /// held there, not copied, until the text is written.
    pub fn event(&mut self, m: &MatchRecord<'_>) {
        let event = compact_json(m.event);
        let shared = match (&event, m.shared) {
            (Cow::Borrowed(event), Some(shared)) if event.len() >= HOLD_FROM_BYTES => {
                shared.range_of(event).map(|range| (shared, range))
            }
            _ => None,
        };
        let Some((shared, range)) = shared else {
            self.bytes.extend_from_slice(&event);
            return;
        };
        if !self.inputs.last().is_some_and(|last| last.same(shared)) {
            self.inputs.push(shared.clone());
        }
        self.held.push(HeldEvent {
            at: self.bytes.len(),
            input: self.inputs.len() - 1,
            range,
        });
    }

    /// The text, with its held events copied in.
    pub fn into_bytes(self) -> Vec<u8> {
        if self.held.is_empty() {
            return self.bytes;
        }
        let mut bytes = Vec::with_capacity(self.text_len());
        for piece in self.pieces() {
            bytes.extend_from_slice(&piece);
        }
        bytes
    }

    /// The length of the text, held events included.
    fn text_len(&self) -> usize {
        self.bytes.len() + self.held.iter().map(|h| h.range.len()).sum::<usize>()
    }

    /// The text in order: pieces of the appended bytes, and the held events between them.
    fn pieces(&self) -> Vec<IoSlice<'_>> {
        let mut pieces = Vec::with_capacity(2 * self.held.len() + 1);
        let mut from = 0;
        for held in &self.held {
            pieces.push(IoSlice::new(&self.bytes[from..held.at]));
            pieces.push(IoSlice::new(
                &self.inputs[held.input].bytes()[held.range.clone()],
            ));
            from = held.at;
        }
        pieces.push(IoSlice::new(&self.bytes[from..]));
        pieces
    }

    /// Writes the text to `out`.
    fn write_to(&self, out: &mut impl Write) -> io::Result<()> {
        if self.held.is_empty() {
            return out.write_all(&self.bytes);
        }
        let mut pieces = self.pieces();
        let mut pieces = &mut pieces[..];
        while !pieces.is_empty() {
            match out.write_vectored(pieces) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(written) => IoSlice::advance_slices(&mut pieces, written),
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
        Ok(())
    }

    /// Empties it, letting go of the inputs it held.
    fn clear(&mut self) {
        self.bytes.clear();
        self.inputs.clear();
        self.held.clear();
    }
}

impl Deref for TextOut {
    type Target = Vec<u8>;

    fn deref(&self) -> &Vec<u8> {
        &self.bytes
    }
}

impl DerefMut for TextOut {
    fn deref_mut(&mut self) -> &mut Vec<u8> {
        &mut self.bytes
    }
}

impl<L: Layout> Batch for TextBatch<L> {
    fn matched(&mut self, m: &MatchRecord<'_>, _: &RecordView<'_>) -> Result<(), SinkError> {
        self.layout.matched(&mut self.buffer.out, m);
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
        buffer.out.write_to(&mut self.out)?;
        buffer.most = buffer.most.max(buffer.out.bytes.len());
        if self.spare_bytes + buffer.most <= self.spare_limit {
            buffer.out.clear();
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
    use crate::input::{Block, InputSource};
    use std::sync::Arc;

    /// A layout that writes nothing itself: the test fills the batches.
    #[derive(Clone)]
    struct Nothing;

    impl Layout for Nothing {
        fn matched(&mut self, _: &mut TextOut, _: &MatchRecord<'_>) {}
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
                batch.buffer.out.resize(3 << 20, b'x');
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
                batch.buffer.out.extend_from_slice(&[b'x'; 1 << 20]);
            }
            sink.write(batch).unwrap();
            assert_eq!(sink.spare_bytes, kept, "after a batch of {len} bytes");
        }
    }

    /// A writer that takes at most `most` bytes a call, vectored or not.
    struct Trickle {
        written: Vec<u8>,
        most: usize,
    }

    impl Write for Trickle {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let n = buf.len().min(self.most);
            self.written.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
            let mut n = 0;
            for buf in bufs {
                n += self.write(&buf[..buf.len().min(self.most - n)])?;
                if n == self.most {
                    break;
                }
            }
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// A match of the first rule of `rules` whose event is `event`.
    fn match_of<'a>(
        rules: &'a sigil_compiler::RuleSet,
        input: &'a InputSource,
        event: &'a [u8],
        shared: Option<&'a SharedInput>,
    ) -> MatchRecord<'a> {
        let rule_id = sigil_compiler::RuleId(0);
        MatchRecord {
            rule_id,
            rule: rules.rule(rule_id),
            timestamp: None,
            input,
            record: 1,
            event,
            line: None,
            shared,
        }
    }

    #[test]
    fn events_in_the_shared_input_are_held_and_written_in_place() {
        let long = format!("{{\"a\":\"{}\"}}", "x".repeat(300));
        let pretty = format!("{{\n \"a\": \"{}\"\n}}", "y".repeat(300));
        let input = format!("{long}\n{{\"b\":1}}\n{pretty}\n");
        let block = Arc::new(Block::of_bytes(input.clone().into_bytes()));
        let shared = SharedInput::new(block, 0..input.len());
        let elsewhere = long.clone().into_bytes();
        let events: [&[u8]; 4] = [
            &shared.bytes()[..long.len()],                    // held
            &shared.bytes()[long.len() + 1..long.len() + 8],  // short: copied
            &shared.bytes()[long.len() + 9..input.len() - 1], // pretty: compacted
            &elsewhere,                                       // not in the input: copied
        ];
        let source = InputSource::Stdin;
        let rule = "title: r\nlogsource: {product: aws}\ndetection:\n  s: {a: x}\n  condition: s\n";
        let rules = sigil_compiler::load_str("r.yml".as_ref(), rule, &Default::default()).rules;
        let mut out = TextOut::default();
        let mut expected = Vec::new();
        for (i, event) in events.into_iter().enumerate() {
            out.extend_from_slice(format!("<{i}>").as_bytes());
            expected.extend_from_slice(format!("<{i}>").as_bytes());
            let m = match_of(&rules, &source, event, Some(&shared));
            out.event(&m);
            expected.extend_from_slice(&compact_json(event));
        }
        out.push(b'\n');
        expected.push(b'\n');
        assert_eq!(
            out.held.len(),
            1,
            "only the long compact event in the input is held"
        );
        assert_eq!(out.text_len(), expected.len());
        for most in [1, 7, 300, usize::MAX] {
            let mut trickle = Trickle {
                written: Vec::new(),
                most,
            };
            out.write_to(&mut trickle).unwrap();
            assert_eq!(trickle.written, expected, "{most} bytes a call");
        }
        assert_eq!(out.into_bytes(), expected);
    }
}
