//! Sliding windows over one group's events, and the aggregates they compute.
//!
//! The events of a group are sorted by time. A window ends at each distinct event time `t`
//! (its anchor) and holds every event of the group with a time in `[t - timespan, t]`: both
//! ends inclusive, so an event exactly `timespan` before the anchor is inside. The aggregate is
//! kept up to date as events enter and leave the window, and the condition is tested at every
//! anchor. Windows in which the condition holds and that share events are one *episode*: one
//! correlation match, from its first event to its last firing anchor, reporting the peak value
//! of its firing windows (the largest, or the smallest when the condition only has `lt`/`lte`
//! bounds).

use super::observe::NONE;
use super::plan::Plan;
use sigil_compiler::{CorrelationOp, CorrelationType};
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

/// One event as a correlation sees it.
#[derive(Clone, Copy, Debug)]
pub(super) struct Event {
    /// Time, microseconds since the epoch.
    pub time_us: i64,
    /// The group's number.
    pub group: u32,
    /// Bit `i` set: the event matched the correlation's `i`-th referenced rule.
    pub rules: u64,
    /// The aggregated field's value, interned ([`NONE`] when absent).
    pub value: u32,
    /// That value as a number, when it is one.
    pub number: Option<f64>,
    /// Where the event comes from.
    pub origin: Origin,
}

/// Where an event comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Origin {
    /// A record: the interned path and the record number.
    Record(u32, u64),
    /// A match of an inner correlation: the correlation's position in the evaluation order,
    /// and the match's index among its matches.
    Match(usize, usize),
}

/// A run of overlapping firing windows: `events[start..=end]` of the group.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Episode {
    /// Index of the first event.
    pub start: usize,
    /// Index of the last firing anchor's event.
    pub end: usize,
    /// The peak aggregate over the firing windows.
    pub value: f64,
}

/// Finds the episodes of one group's events (sorted by time).
pub(super) fn episodes(plan: &Plan, events: &[Event]) -> Vec<Episode> {
    let mut state = State::new(plan);
    let prefer_max = prefers_max(plan);
    let mut found: Vec<Episode> = Vec::new();
    let mut open: Option<Episode> = None;
    let (mut start, mut added) = (0, 0);
    for anchor in 0..events.len() {
        let time = events[anchor].time_us;
        if events
            .get(anchor + 1)
            .is_some_and(|next| next.time_us == time)
        {
            continue;
        }
        for event in &events[added..=anchor] {
            state.add(event);
        }
        added = anchor + 1;
        while time - events[start].time_us > plan.timespan_us {
            state.remove(&events[start]);
            start += 1;
        }
        let Some(value) = state.value(&events[start..=anchor]) else {
            continue;
        };
        if !holds(&plan.comparisons, value) {
            continue;
        }
        match open.as_mut() {
            Some(episode) if start <= episode.end => {
                episode.end = anchor;
                let better = if prefer_max {
                    value > episode.value
                } else {
                    value < episode.value
                };
                if better {
                    episode.value = value;
                }
            }
            _ => {
                found.extend(open.take());
                open = Some(Episode {
                    start,
                    end: anchor,
                    value,
                });
            }
        }
    }
    found.extend(open);
    found
}

/// Whether an episode reports the largest value of its firing windows (else the smallest:
/// when the condition only has `lt`/`lte` bounds).
pub(super) fn prefers_max(plan: &Plan) -> bool {
    plan.comparisons
        .iter()
        .any(|(op, _)| !matches!(op, CorrelationOp::Lt | CorrelationOp::Lte))
}

/// Whether every comparison holds for `value`.
pub(super) fn holds(comparisons: &[(CorrelationOp, f64)], value: f64) -> bool {
    comparisons.iter().all(|&(op, bound)| match op {
        CorrelationOp::Gt => value > bound,
        CorrelationOp::Gte => value >= bound,
        CorrelationOp::Lt => value < bound,
        CorrelationOp::Lte => value <= bound,
        CorrelationOp::Eq => value == bound,
        CorrelationOp::Neq => value != bound,
    })
}

/// A number ordered by [`f64::total_cmp`], for the percentile's sorted multiset.
#[derive(Clone, Copy, Debug)]
pub(super) struct Total(f64);

impl PartialEq for Total {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Total {}
impl PartialOrd for Total {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Total {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// The running aggregate of a window.
pub(super) enum State {
    /// `event_count`: events in the window.
    Count(u64),
    /// `value_count`: how many events hold each distinct value.
    Distinct(HashMap<u32, u64>),
    /// `value_sum` (or, with `average`, `value_avg`) over the numeric values. Integers are
    /// summed exactly; when the window holds fractions, the sum is recomputed from the window
    /// so that no rounding error accumulates as events come and go.
    Sum {
        average: bool,
        integers: i128,
        fractions: u64,
        numbers: u64,
    },
    /// `value_percentile`: the window's numeric values, sorted, with their multiplicity.
    Percentile {
        percentile: Option<f64>,
        values: BTreeMap<Total, u64>,
        numbers: u64,
    },
    /// `temporal`: events per referenced rule.
    Temporal(Vec<u64>),
    /// `temporal_ordered`: the longest in-order prefix of the rules, found from the window.
    Ordered(u32),
}

impl State {
    pub(super) fn new(plan: &Plan) -> Self {
        match plan.kind {
            CorrelationType::EventCount => State::Count(0),
            CorrelationType::ValueCount => State::Distinct(HashMap::new()),
            CorrelationType::ValueSum | CorrelationType::ValueAvg => State::Sum {
                average: plan.kind == CorrelationType::ValueAvg,
                integers: 0,
                fractions: 0,
                numbers: 0,
            },
            CorrelationType::ValuePercentile => State::Percentile {
                percentile: plan.percentile,
                values: BTreeMap::new(),
                numbers: 0,
            },
            CorrelationType::Temporal => State::Temporal(vec![0; plan.inputs.len()]),
            CorrelationType::TemporalOrdered => State::Ordered(plan.inputs.len() as u32),
        }
    }

    pub(super) fn add(&mut self, event: &Event) {
        self.update(event, true);
    }

    pub(super) fn remove(&mut self, event: &Event) {
        self.update(event, false);
    }

    fn update(&mut self, event: &Event, add: bool) {
        let step = |n: &mut u64| {
            if add { *n += 1 } else { *n -= 1 }
        };
        match self {
            State::Count(n) => step(n),
            State::Distinct(counts) => {
                if event.value != NONE {
                    let n = counts.entry(event.value).or_default();
                    step(n);
                    if *n == 0 {
                        counts.remove(&event.value);
                    }
                }
            }
            State::Sum {
                integers,
                fractions,
                numbers,
                ..
            } => {
                if let Some(x) = event.number {
                    step(numbers);
                    match exact_integer(x) {
                        Some(i) if add => *integers += i,
                        Some(i) => *integers -= i,
                        None => step(fractions),
                    }
                }
            }
            State::Percentile {
                values, numbers, ..
            } => {
                if let Some(x) = event.number {
                    step(numbers);
                    let n = values.entry(Total(x)).or_default();
                    step(n);
                    if *n == 0 {
                        values.remove(&Total(x));
                    }
                }
            }
            State::Temporal(counts) => {
                for (bit, count) in counts.iter_mut().enumerate() {
                    if event.rules & (1 << bit) != 0 {
                        step(count);
                    }
                }
            }
            State::Ordered(_) => {}
        }
    }

    /// The window's aggregate; `None` when it has none (no numeric value to sum).
    pub(super) fn value(&self, window: &[Event]) -> Option<f64> {
        match self {
            State::Count(n) => Some(*n as f64),
            State::Distinct(counts) => Some(counts.len() as f64),
            State::Sum {
                average,
                integers,
                fractions,
                numbers,
            } => {
                if *numbers == 0 {
                    return None;
                }
                let sum = if *fractions == 0 {
                    *integers as f64
                } else {
                    window.iter().filter_map(|e| e.number).sum()
                };
                Some(if *average { sum / *numbers as f64 } else { sum })
            }
            State::Percentile {
                percentile,
                values,
                numbers,
            } => percentile.and_then(|p| nearest_rank(values, *numbers, p)),
            State::Temporal(counts) => Some(counts.iter().filter(|&&n| n > 0).count() as f64),
            State::Ordered(steps) => {
                let mut done = 0;
                for event in window {
                    if done < *steps && event.rules & (1 << done) != 0 {
                        done += 1;
                    }
                }
                Some(f64::from(done))
            }
        }
    }
}

/// `x` as an integer when it is one that sums exactly.
fn exact_integer(x: f64) -> Option<i128> {
    (x.fract() == 0.0 && x.abs() < 9.0e15).then_some(x as i128)
}

/// The nearest-rank percentile: the smallest value with at least `percentile`% of the values
/// at or below it (SQL's `percentile_disc`).
fn nearest_rank(values: &BTreeMap<Total, u64>, count: u64, percentile: f64) -> Option<f64> {
    if count == 0 {
        return None;
    }
    let rank = ((percentile * count as f64) / 100.0)
        .ceil()
        .clamp(1.0, count as f64) as u64;
    let mut seen = 0;
    values.iter().find_map(|(value, n)| {
        seen += n;
        (seen >= rank).then_some(value.0)
    })
}
