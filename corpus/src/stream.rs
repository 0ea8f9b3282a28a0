//! The record stream of one log source: benign records in time order, with planted scenarios
//! spliced in.
//!
//! A [`RecordStream`] drives one source generator (a [`SourceGen`]). It owns the clock: benign
//! records arrive with exponentially distributed gaps whose mean spreads the requested count over
//! the configured span, and a planted episode (one or several records, such as a 403 burst) may
//! move the clock forward; later records are never earlier, so every stream is sorted by time.

use std::collections::VecDeque;

use rand::Rng as _;

use crate::Source;
use crate::pick::Rng;
use crate::scenario::{Plant, Scenario};
use crate::time::Millis;

/// Where the records of one stream go: a CloudTrail region, a flow log, a load balancer, a
/// distribution, a web ACL or a GuardDuty detector region.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamSpec {
    /// The AWS region of the resource.
    pub region: &'static str,
    /// The resource that writes the logs: flow log id, load balancer resource id
    /// (`app/name/id`), distribution id, web ACL name, trail name or detector id.
    pub resource: String,
    /// The file name used by the flat layout; streams with the same name share a file.
    pub flat_file: &'static str,
    /// Header lines written at the top of every file of this stream (each ending in `\n`).
    pub header: Option<String>,
}

/// One generated record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Event time, epoch milliseconds.
    pub time_ms: i64,
    /// Index into [`RecordStream::streams`].
    pub stream: usize,
    /// The record text, without a trailing newline.
    pub text: String,
    /// Set when the record belongs to a planted scenario.
    pub plant: Option<Plant>,
}

/// A record produced by a planted episode, before the stream wraps it.
pub(crate) struct Planted {
    pub(crate) time: Millis,
    pub(crate) stream: usize,
    pub(crate) text: String,
    pub(crate) key: String,
    pub(crate) detail: Option<String>,
}

/// One log source's generator: benign records, and episodes for its planted scenarios.
pub(crate) trait SourceGen: Send {
    /// The streams this source writes, indexed by the `stream` numbers it returns.
    fn streams(&self) -> Vec<StreamSpec>;
    /// Appends one benign record at `time` to `out`; returns its stream index.
    fn benign(&mut self, time: Millis, out: &mut String) -> usize;
    /// The records of one planted `scenario` starting at `time`, in time order.
    fn plant(&mut self, scenario: Scenario, time: Millis) -> Vec<Planted>;
}

/// A time-ordered stream of records from one source. Obtain one from
/// [`Generator::stream`](crate::Generator::stream).
pub struct RecordStream {
    source: Source,
    generator: Box<dyn SourceGen>,
    streams: Vec<StreamSpec>,
    rng: Rng,
    schedule: VecDeque<(u64, Scenario)>,
    pending: VecDeque<Planted>,
    pending_scenario: Option<Scenario>,
    benign_done: u64,
    benign_total: u64,
    scheduled_ms: f64,
    mean_gap_ms: f64,
    last: Millis,
}

impl RecordStream {
    pub(crate) fn new(
        source: Source,
        generator: Box<dyn SourceGen>,
        mut rng: Rng,
        start: Millis,
        span_ms: i64,
        benign_total: u64,
        plants_per_scenario: u32,
    ) -> Self {
        let schedule =
            crate::scenario::schedule(source, plants_per_scenario, benign_total, &mut rng);
        RecordStream {
            source,
            streams: generator.streams(),
            generator,
            rng,
            schedule,
            pending: VecDeque::new(),
            pending_scenario: None,
            benign_done: 0,
            benign_total,
            scheduled_ms: start.0 as f64,
            mean_gap_ms: span_ms as f64 / benign_total.max(1) as f64,
            last: start,
        }
    }

    /// The log source.
    pub fn source(&self) -> Source {
        self.source
    }

    /// The streams that [`RecordInfo::stream`] indexes.
    pub fn streams(&self) -> &[StreamSpec] {
        &self.streams
    }

    /// The number of benign records this stream will produce (planted ones come on top).
    pub fn benign_total(&self) -> u64 {
        self.benign_total
    }

    fn tick(&mut self) -> Millis {
        let uniform: f64 = self.rng.random();
        self.scheduled_ms += -(1.0 - uniform).ln() * self.mean_gap_ms;
        self.last = self.last.max(Millis(self.scheduled_ms as i64));
        self.last
    }

    /// Writes the next record into `out` (clearing it first) and describes it; `None` at the
    /// end. This is the allocation-free way to consume a stream.
    pub fn next_into(&mut self, out: &mut String) -> Option<RecordInfo> {
        out.clear();
        if self.pending.is_empty()
            && let Some(&(position, scenario)) = self.schedule.front()
            && position <= self.benign_done
        {
            self.schedule.pop_front();
            let start = self.tick();
            self.pending = self.generator.plant(scenario, start).into();
            self.pending_scenario = Some(scenario);
        }
        if let Some(planted) = self.pending.pop_front() {
            self.last = self.last.max(planted.time);
            out.push_str(&planted.text);
            let scenario = self
                .pending_scenario
                .expect("pending records have a scenario");
            return Some(RecordInfo {
                time_ms: planted.time.0,
                stream: planted.stream,
                plant: Some(Plant {
                    scenario,
                    key: planted.key,
                    detail: planted.detail,
                }),
            });
        }
        if self.benign_done >= self.benign_total {
            return None;
        }
        self.benign_done += 1;
        let time = self.tick();
        let stream = self.generator.benign(time, out);
        Some(RecordInfo {
            time_ms: time.0,
            stream,
            plant: None,
        })
    }
}

/// What [`RecordStream::next_into`] wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordInfo {
    /// Event time, epoch milliseconds.
    pub time_ms: i64,
    /// Index into [`RecordStream::streams`].
    pub stream: usize,
    /// Set when the record belongs to a planted scenario.
    pub plant: Option<Plant>,
}

impl Iterator for RecordStream {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        let mut text = String::new();
        let info = self.next_into(&mut text)?;
        Some(Record {
            time_ms: info.time_ms,
            stream: info.stream,
            text,
            plant: info.plant,
        })
    }
}
