//! Base-rule matches as the correlations need them: time, a few field values, location.
//!
//! [`Observations`] is a compact, append-only log: per match 32 bytes plus one `u32` per
//! observed field, with every value and file path interned (group-by values repeat a lot).
//! Workers fill one each ([`Collector`]), and the driver appends them in input order
//! ([`Observations::append`]), so the merged log is the same whatever the thread count.

use super::Correlator;
use crate::eval::{Json, first_scalar};
use crate::input::InputSource;
use crate::record::RecordView;
use jiff::Timestamp;
use sigil_compiler::RuleId;
use std::collections::HashMap;
use std::sync::Arc;

/// The interned id that stands for "no value".
pub(super) const NONE: u32 = u32::MAX;

/// Interned strings: each distinct value stored once.
#[derive(Clone, Debug, Default)]
pub(super) struct Interner {
    ids: HashMap<Arc<str>, u32>,
    strings: Vec<Arc<str>>,
}

impl Interner {
    /// The id of `text`, adding it if new.
    pub fn intern(&mut self, text: &str) -> u32 {
        if let Some(&id) = self.ids.get(text) {
            return id;
        }
        let id = self.strings.len() as u32;
        let shared: Arc<str> = Arc::from(text);
        self.ids.insert(Arc::clone(&shared), id);
        self.strings.push(shared);
        id
    }

    /// The id of an optional value ([`NONE`] for no value).
    pub fn intern_option(&mut self, text: Option<&str>) -> u32 {
        text.map_or(NONE, |t| self.intern(t))
    }

    /// The text of `id` (`None` for [`NONE`]).
    pub fn get(&self, id: u32) -> Option<&str> {
        self.strings.get(id as usize).map(|s| &**s)
    }

    fn heap_bytes(&self) -> usize {
        let text: usize = self.strings.iter().map(|s| s.len() + 16).sum();
        text + self.strings.capacity() * 16 + self.ids.capacity() * 24
    }
}

/// One observed match.
#[derive(Clone, Copy, Debug)]
pub(super) struct Entry {
    /// Event time, microseconds since the epoch.
    pub time_us: i64,
    /// The record's number in its file.
    pub record: u64,
    /// The rule that matched.
    pub rule: RuleId,
    /// The file, interned.
    pub path: u32,
    /// Where the entry's values start in [`Observations::values`].
    pub values_at: u32,
    /// How many values it has.
    pub values_len: u32,
}

/// The matches of correlation input rules seen so far, in input order.
///
/// ```
/// use sigil_compiler::RuleId;
/// use sigil_engine::correlate::Observations;
///
/// let mut observations = Observations::default();
/// let time = "2026-10-01T00:00:00Z".parse().unwrap();
/// observations.observe(RuleId(0), time, &[Some("10.0.0.1".into())], "a.log", 1);
/// let mut more = Observations::default();
/// more.observe(RuleId(0), time, &[None], "b.log", 7);
/// observations.append(more);
/// assert_eq!(observations.len(), 2);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Observations {
    pub(super) strings: Interner,
    pub(super) entries: Vec<Entry>,
    pub(super) values: Vec<u32>,
    /// Matches of input rules that had no time, so could not be placed in a window.
    pub(super) untimed: u64,
}

impl Observations {
    /// Where an observed record is: its interned input path spelled out, and its number.
    pub(super) fn location(&self, path: u32, record: u64) -> super::Location {
        super::Location {
            path: self.strings.get(path).unwrap_or_default().to_string(),
            record,
        }
    }

    /// Records a match of input rule `rule` at `time`, with the values of the fields the
    /// correlator asked for (see [`Correlator::inputs`]), found in record `record` of the input
    /// named `input`.
    pub fn observe(
        &mut self,
        rule: RuleId,
        time: Timestamp,
        values: &[Option<String>],
        input: &str,
        record: u64,
    ) {
        let path = self.strings.intern(input);
        let values_at = self.values.len() as u32;
        for value in values {
            let id = self.strings.intern_option(value.as_deref());
            self.values.push(id);
        }
        self.entries.push(Entry {
            time_us: time.as_microsecond(),
            record,
            rule,
            path,
            values_at,
            values_len: values.len() as u32,
        });
    }

    /// Appends `other` (observed later in input order) to these observations.
    pub fn append(&mut self, other: Observations) {
        let remap: Vec<u32> = other
            .strings
            .strings
            .iter()
            .map(|s| self.strings.intern(s))
            .collect();
        let to_self = |id: u32| if id == NONE { NONE } else { remap[id as usize] };
        let shift = self.values.len() as u32;
        self.values
            .extend(other.values.iter().map(|&id| to_self(id)));
        self.entries.extend(other.entries.iter().map(|entry| Entry {
            path: to_self(entry.path),
            values_at: entry.values_at + shift,
            ..*entry
        }));
        self.untimed += other.untimed;
    }

    /// Number of observed matches.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing was observed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Matches of input rules that were dropped from correlation because the event had no time.
    pub fn untimed(&self) -> u64 {
        self.untimed
    }

    /// An estimate of the memory these observations hold, in bytes.
    pub fn heap_bytes(&self) -> usize {
        self.entries.capacity() * size_of::<Entry>()
            + self.values.capacity() * size_of::<u32>()
            + self.strings.heap_bytes()
    }

    /// The values of one entry.
    pub(super) fn values_of(&self, entry: &Entry) -> &[u32] {
        let at = entry.values_at as usize;
        &self.values[at..at + entry.values_len as usize]
    }
}

/// What happens to one rule's match of a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Write it as a match.
    Emit,
    /// Do not write it: the rule is a correlation input without `generate: true` (it may still
    /// have been observed for its correlations).
    Silent,
}

/// A worker's side of correlation: records the matches of input rules.
/// Make one per worker with [`Correlator::collector`]; after each unit of work hand its
/// [`Collector::take`] to the driver, which appends them in input order.
pub struct Collector<'c> {
    correlator: &'c Correlator<'c>,
    values: Vec<Option<String>>,
    /// The input of the last record observed, and its name.
    input: Option<(InputSource, String)>,
    observations: Observations,
}

impl<'c> Collector<'c> {
    pub(super) fn new(correlator: &'c Correlator<'c>) -> Self {
        Collector {
            correlator,
            values: Vec::new(),
            input: None,
            observations: Observations::default(),
        }
    }

    /// Decides the matches of one record: `matched` are the rules that matched the parsed
    /// record `event` (a [`RecordMatches`](crate::RecordMatches) gives all three), found at
    /// `record` in `input`. Pushes onto `verdicts` one [`Verdict`] per matched rule, in order.
    pub fn record(
        &mut self,
        matched: &[RuleId],
        time: Option<Timestamp>,
        event: &RecordView<'_>,
        input: &InputSource,
        record: u64,
        verdicts: &mut Vec<Verdict>,
    ) {
        self.record_value(matched, time, event.value(), input, record, verdicts);
    }

    /// [`Collector::record`] of a record in any parsed form.
    pub(crate) fn record_value<'a>(
        &mut self,
        matched: &[RuleId],
        time: Option<Timestamp>,
        event: impl Json<'a>,
        input: &InputSource,
        record: u64,
        verdicts: &mut Vec<Verdict>,
    ) {
        let correlator = self.correlator;
        let needs_record = matched.iter().any(|&rule| correlator.is_input(rule));
        if !needs_record {
            verdicts.extend(matched.iter().map(|&rule| correlator.verdict(rule)));
            return;
        }
        for &rule in matched {
            if let Some(fields) = correlator.input_fields(rule) {
                match time {
                    Some(time) => {
                        self.values.clear();
                        self.values
                            .extend(fields.iter().map(|field| first_scalar(event, field)));
                        if self.input.as_ref().is_none_or(|(last, _)| last != input) {
                            self.input = Some((input.clone(), input.to_string()));
                        }
                        let name = self.input.as_ref().map_or("", |(_, name)| name);
                        self.observations
                            .observe(rule, time, &self.values, name, record);
                    }
                    None => self.observations.untimed += 1,
                }
            }
            verdicts.push(correlator.verdict(rule));
        }
    }

    /// The observations gathered since the last call.
    pub fn take(&mut self) -> Observations {
        std::mem::take(&mut self.observations)
    }
}
