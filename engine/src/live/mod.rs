//! Live scanning: see [`LiveScanner`].

mod feed;

pub use feed::Feed;

use crate::correlate::{Correlator, LiveCorrelator, LiveCounts, LiveLimits, LiveState};
use crate::hunt::{
    Buffer, HuntError, HuntOptions, HuntStats, ProblemKind, Reader, Reading, Worker,
    detect_in_order, scan_records, write_correlation,
};
use crate::input::{InputError, MAX_DOCUMENT_BYTES};
use crate::scan::Engine;
use crate::sink::{Sink, SinkError};
use crate::source::{Input, Source, SourceItem};
use feed::Mode;
use sigil_compiler::RuleId;

/// Live scanning: inputs whose bytes arrive over time, matches handed over as soon as their
/// record is complete.
///
/// [`hunt`](crate::hunt) reads inputs that exist in full, in parallel waves of blocks of a few
/// MiB. A watcher's inputs arrive in pieces: a followed file grows, stdin trickles, an HTTP
/// body or an object announced on a queue comes whole. A [`LiveScanner`] (one per thread, like
/// a [`Scanner`](crate::Scanner)) scans them on its thread with the hunt's own per-record
/// code (framing, the prefilter, evaluation, filters, the verdicts on correlation inputs), and
/// hands each piece's matches to a [`Sink`] at once: one [`Sink::batch`], filled, written.
///
/// - [`LiveScanner::push`] takes the next bytes of a [`Feed`] (a followed file, stdin): every
///   line they complete is scanned now, the partial last line waits for the rest; records are
///   numbered across pushes, text log headers carried, overlong lines dropped and reported.
/// - [`LiveScanner::end`] ends a feed: its last line without a newline, or a document held
///   whole, is scanned.
/// - [`LiveScanner::scan_input`] scans a whole [`Input`] at once (an HTTP body, an object, a
///   finished file): gzip, zstd, every layout and log format, as a hunt reads them.
///
/// Correlations run live ([`LiveCorrelator`], see [`correlate`](crate::correlate)): each
/// piece's matches of correlation inputs advance the windows, and a correlation match goes to
/// [`Sink::correlation`] as soon as its condition holds. [`LiveScanner::save_correlations`]
/// and [`LiveScanner::restore_correlations`] carry that state across a restart or a rule
/// reload ([`Feed`]s do not depend on the rules, so a reload keeps every position).
///
/// ```
/// use sigil_engine::correlate::{Correlator, LiveLimits};
/// use sigil_engine::{Engine, Feed, InputSource, JsonlSink, LiveScanner, ScanOptions};
///
/// let rules = sigil_compiler::load_str(
///     "stop.yml".as_ref(),
///     "title: CloudTrail stopped\nlogsource: {product: aws, service: cloudtrail}\n\
///      detection:\n  sel: {eventName: StopLogging}\n  condition: sel\n",
///     &Default::default(),
/// );
/// let engine = Engine::new(rules.rules, ScanOptions::default());
/// let correlator = Correlator::new(engine.rules());
/// let mut scanner = LiveScanner::new(&engine, &correlator, LiveLimits::default());
/// let mut sink = JsonlSink::new(Vec::new(), engine.rules());
/// let mut stdin = Feed::new(InputSource::Stdin);
/// let event = br#"{"eventVersion":"1.09","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging"}"#;
/// // Half a line, then the rest without its newline: nothing to scan yet.
/// assert_eq!(scanner.push(&mut stdin, &event[..40], &mut sink)?.matches(), 0);
/// assert_eq!(scanner.push(&mut stdin, &event[40..], &mut sink)?.matches(), 0);
/// // The newline completes the record: its match is written now.
/// assert_eq!(scanner.push(&mut stdin, b"\n", &mut sink)?.matches(), 1);
/// assert_eq!(stdin.position().index, 2);
/// let out = sink.into_inner();
/// assert!(out.starts_with(br#"{"rule":{"id":null,"title":"CloudTrail stopped""#));
/// # Ok::<(), sigil_engine::HuntError>(())
/// ```
pub struct LiveScanner<'e> {
    engine: &'e Engine,
    correlator: &'e Correlator<'e>,
    worker: Worker<'e>,
    /// The live correlations, when the rule set has any correlation or filter.
    live: Option<LiveCorrelator<'e>>,
    /// Whether the correlation state changed since [`LiveScanner::correlations_changed`].
    changed: bool,
}

/// A [`Source`] of one input.
struct One(Option<Input>);

impl Source for One {
    fn next(&mut self) -> Option<SourceItem> {
        self.0.take().map(SourceItem::Input)
    }
}

impl<'e> LiveScanner<'e> {
    /// A scanner of `engine`'s rules; `correlator` holds its correlations and filters
    /// ([`Correlator::new`] of the same rules), evaluated live within `limits`.
    pub fn new(engine: &'e Engine, correlator: &'e Correlator<'e>, limits: LiveLimits) -> Self {
        let active = (!correlator.is_idle()).then_some(correlator);
        LiveScanner {
            engine,
            correlator,
            worker: Worker::new(engine, active),
            live: active.map(|c| LiveCorrelator::new(c, limits)),
            changed: false,
        }
    }

    /// The engine it scans with.
    pub fn engine(&self) -> &'e Engine {
        self.engine
    }

    fn stats(&self) -> HuntStats {
        HuntStats::new(self.engine.rules().len())
    }

    /// Takes the next `bytes` of `feed`: every line they complete is scanned, and its matches
    /// written to `sink` (one batch), before this returns. Returns what was scanned.
    pub fn push<S: Sink>(
        &mut self,
        feed: &mut Feed,
        bytes: &[u8],
        sink: &mut S,
    ) -> Result<HuntStats, HuntError> {
        let mut stats = self.stats();
        let result = match feed.mode {
            Mode::Undecided => match feed.undecided(bytes) {
                Some(head) => {
                    feed.decide(&head);
                    self.take(feed, &head, sink, &mut stats)
                }
                None => Ok(()),
            },
            _ => self.take(feed, bytes, sink, &mut stats),
        };
        finished(result, stats)
    }

    /// Ends `feed`: its last line (without a newline) or the document it held is scanned, and
    /// its matches written to `sink`.
    pub fn end<S: Sink>(&mut self, mut feed: Feed, sink: &mut S) -> Result<HuntStats, HuntError> {
        let mut stats = self.stats();
        let rest = feed.take_partial();
        if matches!(feed.mode, Mode::Undecided) && !rest.is_empty() {
            feed.decide(&rest);
        }
        let result = match std::mem::replace(&mut feed.mode, Mode::Undecided) {
            Mode::Document(bytes) => {
                let size = Some(bytes.len() as u64);
                let input = Input::reader(feed.source.clone(), std::io::Cursor::new(bytes), size);
                return self.scan_input(input, sink);
            }
            mode @ Mode::Lines { .. } => {
                feed.mode = mode;
                self.scan_lines(&mut feed, &rest, sink, &mut stats)
            }
            Mode::Undecided => Ok(()),
        };
        finished(result, stats)
    }

    /// Scans a whole input, as a hunt reads it, writing its matches to `sink` unit by unit.
    pub fn scan_input<S: Sink>(
        &mut self,
        input: Input,
        sink: &mut S,
    ) -> Result<HuntStats, HuntError> {
        let mut stats = self.stats();
        let options = HuntOptions::default();
        let result = detect_in_order(
            &mut self.worker,
            &mut One(Some(input)),
            &options,
            sink,
            &mut stats,
        )
        .and_then(|()| self.correlate(sink, &mut stats));
        finished(result, stats)
    }

    /// Ends every input: the correlation windows still waiting for later events are decided,
    /// and their matches written to `sink`.
    pub fn finish_correlations<S: Sink>(&mut self, sink: &mut S) -> Result<HuntStats, HuntError> {
        let mut stats = self.stats();
        let Some(live) = &mut self.live else {
            return Ok(stats);
        };
        let update = live.finish();
        self.changed = true;
        let result = update
            .alerts
            .iter()
            .try_for_each(|m| write_correlation(self.engine, self.correlator, m, sink, &mut stats));
        finished(result, stats)
    }

    /// Whether the correlation state changed since the last call (so that a saved copy is
    /// out of date).
    pub fn correlations_changed(&mut self) -> bool {
        std::mem::take(&mut self.changed)
    }

    /// The live correlation state, to save (`None` without correlations).
    pub fn save_correlations(&self) -> Option<LiveState> {
        self.live.as_ref().map(LiveCorrelator::save)
    }

    /// Takes back a saved correlation state (see [`LiveCorrelator::restore`]); returns how many
    /// correlations were restored.
    pub fn restore_correlations(&mut self, state: LiveState) -> usize {
        self.live.as_mut().map_or(0, |live| live.restore(state))
    }

    /// What each correlation rule holds and left out.
    pub fn correlation_counts(&self) -> Vec<(RuleId, LiveCounts)> {
        self.live
            .as_ref()
            .map(|live| live.counts().collect())
            .unwrap_or_default()
    }

    /// Takes bytes of a decided feed.
    fn take<S: Sink>(
        &mut self,
        feed: &mut Feed,
        bytes: &[u8],
        sink: &mut S,
        stats: &mut HuntStats,
    ) -> Result<(), SinkError> {
        if let Mode::Document(_) = feed.mode {
            if feed.hold(bytes) {
                let error = InputError::DocumentTooLarge {
                    input: feed.source.clone(),
                    limit: MAX_DOCUMENT_BYTES as u64,
                };
                stats.problem(&feed.source, None, ProblemKind::Input(error));
            }
            return Ok(());
        }
        let lines = feed.whole_lines(bytes);
        self.scan_lines(feed, &lines, sink, stats)?;
        if let Some(bad) = feed.drop_overlong() {
            stats.records += 1;
            stats.bad_record(&feed.source, bad.index, ProblemKind::Framing(bad.reason));
        }
        Ok(())
    }

    /// Scans whole lines of a line-by-line feed into one batch, writes it, and runs the
    /// correlations.
    fn scan_lines<S: Sink>(
        &mut self,
        feed: &mut Feed,
        lines: &[u8],
        sink: &mut S,
        stats: &mut HuntStats,
    ) -> Result<(), SinkError> {
        let Mode::Lines { reading, shape } = &mut feed.mode else {
            return Ok(());
        };
        if lines.is_empty() {
            return Ok(());
        }
        let mut batch = sink.batch();
        let buffer = Buffer {
            bytes: lines,
            shape: *shape,
            origin: feed.next,
            source: &feed.source,
            shared: None,
        };
        let mut reader = Reader::new(reading);
        let (scanned, result) = scan_records(&mut self.worker, &mut batch, buffer, &mut reader);
        *reading = Reading::after(reading, lines);
        let records = scanned.records;
        stats.merge(scanned);
        result?;
        feed.advance(lines.len(), records);
        sink.write(batch)?;
        self.correlate(sink, stats)
    }

    /// Runs the correlations over what was observed, writing the matches that now hold.
    fn correlate<S: Sink>(&mut self, sink: &mut S, stats: &mut HuntStats) -> Result<(), SinkError> {
        let Some(live) = &mut self.live else {
            return Ok(());
        };
        let observations = std::mem::take(&mut stats.observations);
        if observations.is_empty() {
            return Ok(());
        }
        self.changed = true;
        let update = live.observe(observations);
        for m in &update.alerts {
            write_correlation(self.engine, self.correlator, m, sink, stats)?;
        }
        Ok(())
    }
}

/// The statistics of a step, or its sink's error with them.
fn finished(result: Result<(), SinkError>, stats: HuntStats) -> Result<HuntStats, HuntError> {
    match result {
        Ok(()) => Ok(stats),
        Err(error) => Err(HuntError {
            error,
            stats: Box::new(stats),
        }),
    }
}
