//! Correlation rules (Sigma correlations), evaluated over a retro-hunt.
//!
//! Detection runs first. The driver reports each match of a rule that some correlation reads
//! (its *inputs*, [`Correlator::inputs`]) with the event's time, the values of the few fields
//! the correlations need and where the event was found; nothing else of the event is kept, so
//! memory grows with the base matches, not with the archive. After the hunt,
//! [`Correlator::finish`] evaluates every correlation:
//!
//! 1. the matches of its referenced rules (and, for a chain, the matches of the correlations
//!    it references, evaluated first) are grouped by the `group-by` values, each input rule's
//!    fields resolved through `aliases`; an event whose group-by field is absent is grouped
//!    under a null value for it (as SQL's `GROUP BY` and pySigma's evaluator do), never
//!    dropped; one event matched by several referenced rules counts once (its matches are
//!    observed together, as a [`Collector`] records them);
//! 2. each group's events are sorted by time (input order breaks ties), so the order in which
//!    files were read does not matter;
//! 3. a sliding window ends at every distinct event time `t` and holds the group's events
//!    with times in `[t - timespan, t]`, both ends included: an event exactly `timespan`
//!    before `t` is inside. The aggregate is tested at every window end; windows that meet the
//!    condition and share events make one match (see [`window`](self) below).
//!
//! Sliding windows anchored at events are what the specification asks for ("the time frame
//! should not be restricted to boundaries"): fixed buckets would miss a burst that straddles a
//! boundary. Anchoring at event times is exact: the set of events in a window only changes at
//! an event, so no other window end can give a different answer.
//!
//! ```text
//! event_count gte 3, timespan 10s, one group; events at 0s 4s 9s 10s 30s
//! window ending at  0s: {0}          1
//!                   4s: {0,4}        2
//!                   9s: {0,4,9}      3  fires
//!                  10s: {0,4,9,10}   4  fires, shares events with the 9s window: same match
//!                  30s: {30}         1
//! => one match: window 0s..10s, value 4 (the peak), events 0s 4s 9s 10s
//! ```
//!
//! The aggregates: `event_count` counts events; `value_count` counts distinct values of the
//! condition's `field` (absent values are not a value); `value_sum`, `value_avg` and
//! `value_percentile` use the field's numeric values (absent or non-numeric values are
//! skipped, as SQL skips nulls; a window without any has no aggregate and does not fire);
//! the percentile is the nearest rank (SQL's `percentile_disc`) of the condition's
//! `percentile`, which loading requires; `temporal` counts the distinct referenced rules seen,
//! `temporal_ordered` the longest prefix of the referenced rules seen in their listed order,
//! and both default to "all of them". A condition may hold several comparisons (a range): all
//! must hold.
//!
//! A correlation's matches are events for the correlations that reference it: their time is
//! the match's window end, their group-by values the match's group.
//!
//! `generate`: a rule referenced by a correlation is not reported on its own unless the
//! correlation says `generate: true`, the specification's default; a rule referenced by
//! several correlations is reported only if all of them say so (pySigma's behaviour). This
//! holds for correlations referenced by correlations too ([`Correlator::emits`]).
//!
//! Filter rules need nothing here: loading AND-ed each onto the rules it names
//! ([`sigil_compiler::Filter`]), so a filtered-out event is no match in the first place.
//!
//! # Using it in a driver
//!
//! [`hunt`](crate::hunt) does all of this; a driver of one's own scans records with a
//! [`Scanner`](crate::Scanner) and hands each one's matches to a [`Collector`]:
//!
//! ```
//! use sigil_compiler::load_str;
//! use sigil_engine::correlate::{Correlator, Verdict};
//! use sigil_engine::{Engine, InputSource, ScanOptions};
//!
//! let rules = "title: 403\nname: denied\nlogsource: {product: aws, service: alb}\n\
//!              detection:\n  sel: {elb_status_code: 403}\n  condition: sel\n---\n\
//!              title: 403 burst\ncorrelation:\n  type: event_count\n  rules: [denied]\n  \
//!              group-by: [client_ip]\n  timespan: 5m\n  condition: {gte: 3}\n";
//! let loaded = load_str("burst.yml".as_ref(), rules, &Default::default());
//! let engine = Engine::new(loaded.rules, ScanOptions::default());
//! let correlator = Correlator::new(engine.rules());
//! let mut scanner = engine.scanner(); // one per worker
//! let mut collector = correlator.collector(); // one per worker
//! let mut verdicts = Vec::new();
//! let input = InputSource::Path("alb.log".into());
//! for (i, second) in [0, 20, 40].iter().enumerate() {
//!     let event = format!(r#"{{"elb_status_code":403,"client_ip":"192.0.2.7","target_processing_time":0.1,"time":"2026-10-01T00:00:{second:02}Z"}}"#);
//!     let found = scanner.scan(event.as_bytes()).unwrap();
//!     let view = found.view().unwrap();
//!     collector.record(found.rules, found.timestamp, &view, &input, i as u64 + 1, &mut verdicts);
//! }
//! // The base rule feeds the correlation and is not reported on its own.
//! assert!(verdicts.iter().all(|v| *v == Verdict::Silent));
//! let matches = correlator.finish(collector.take());
//! assert_eq!(matches.len(), 1);
//! assert_eq!(matches[0].value, 3.0);
//! assert_eq!(matches[0].group, [("client_ip".to_string(), Some("192.0.2.7".to_string()))]);
//! ```
//!
//! With several workers, each keeps its own [`Collector`]; after each unit of work its
//! [`Collector::take`] is appended, in input order, to one [`Observations`]
//! ([`Observations::append`]), which [`Correlator::finish`] consumes.

mod cases;
mod group;
mod live;
mod observe;
mod output;
mod plan;
mod window;

pub use cases::{
    CorrelationCase, CorrelationCaseResult, load_correlation_tests, run_correlation_cases,
};
pub use live::{LiveCorrelator, LiveCounts, LiveLimits, LiveState, Update};
pub use observe::{Collector, Observations, Verdict};
pub use output::{CorrelationMatch, EVENTS_LISTED, Location, type_name};
pub use plan::MAX_REFERENCED_RULES;

use jiff::Timestamp;
use plan::{Plan, Plans};
use sigil_compiler::{FieldPath, RuleId, RuleSet};
use std::collections::HashMap;
use window::{Episode, Event, Origin};

/// The detection rules some correlation of `rules` reads (they are evaluated even below a
/// hunt's minimum level), and the correlations that cannot be evaluated, with the reason.
pub(crate) fn correlation_summary(rules: &RuleSet) -> (Vec<RuleId>, Vec<(RuleId, String)>) {
    let plans = Plans::new(rules);
    let inputs = plans.inputs.into_iter().map(|(rule, _)| rule).collect();
    (inputs, plans.skipped)
}

/// Correlations of a rule set, ready for a hunt. Immutable and `Sync`: the
/// workers share it.
pub struct Correlator<'r> {
    rules: &'r RuleSet,
    plans: Plans,
    /// Input rule -> its index in `plans.inputs`.
    input_index: HashMap<RuleId, usize>,
}

impl<'r> Correlator<'r> {
    /// Resolves the correlations of `rules`.
    pub fn new(rules: &'r RuleSet) -> Self {
        let plans = Plans::new(rules);
        let input_index = plans
            .inputs
            .iter()
            .enumerate()
            .map(|(i, (rule, _))| (*rule, i))
            .collect();
        Correlator {
            rules,
            plans,
            input_index,
        }
    }

    /// The detection rules some correlation reads, with the fields to observe for each (the
    /// values given to [`Observations::observe`] follow this order).
    pub fn inputs(&self) -> &[(RuleId, Vec<FieldPath>)] {
        &self.plans.inputs
    }

    /// Correlations that cannot be evaluated, with the reason (a reference cycle, a reference
    /// to a filter rule); a driver should warn about them.
    pub fn skipped(&self) -> &[(RuleId, String)] {
        &self.plans.skipped
    }

    /// Whether a rule's own matches are reported: false for a rule (detection or correlation)
    /// that a correlation references without `generate: true`.
    pub fn emits(&self, rule: RuleId) -> bool {
        self.plans.silenced.binary_search(&rule).is_err()
    }

    /// Whether there is nothing to do: no correlation.
    pub fn is_idle(&self) -> bool {
        self.plans.order.is_empty() && self.plans.skipped.is_empty()
    }

    /// A worker's collector.
    pub fn collector(&self) -> Collector<'_> {
        Collector::new(self)
    }

    fn is_input(&self, rule: RuleId) -> bool {
        self.input_index.contains_key(&rule)
    }

    fn input_fields(&self, rule: RuleId) -> Option<&[FieldPath]> {
        let index = *self.input_index.get(&rule)?;
        Some(&self.plans.inputs[index].1)
    }

    fn verdict(&self, rule: RuleId) -> Verdict {
        if self.emits(rule) {
            Verdict::Emit
        } else {
            Verdict::Silent
        }
    }

    /// Evaluates every correlation over the observed matches. Returns every match of every
    /// correlation (report those of the rules that [`Correlator::emits`]), sorted by window
    /// start, then window end, rule and group.
    pub fn finish(&self, mut observations: Observations) -> Vec<CorrelationMatch> {
        let mut position: Vec<Option<usize>> = vec![None; self.rules.len()];
        for (index, plan) in self.plans.order.iter().enumerate() {
            position[plan.rule.0 as usize] = Some(index);
        }
        let mut results: Vec<Vec<CorrelationMatch>> = Vec::with_capacity(self.plans.order.len());
        for plan in &self.plans.order {
            let grouped = group::group(plan, &mut observations, &position, &results);
            let mut matches = Vec::new();
            for (key, events) in grouped.groups() {
                for episode in window::episodes(plan, events) {
                    matches.push(self.to_match(
                        plan,
                        key,
                        events,
                        episode,
                        &observations,
                        &results,
                    ));
                }
            }
            results.push(matches);
        }
        let mut all: Vec<CorrelationMatch> = results.into_iter().flatten().collect();
        all.sort_by(|a, b| {
            (a.window_start, a.window_end, a.rule, &a.group).cmp(&(
                b.window_start,
                b.window_end,
                b.rule,
                &b.group,
            ))
        });
        all
    }

    fn to_match(
        &self,
        plan: &Plan,
        key: &[u32],
        events: &[Event],
        episode: Episode,
        observations: &Observations,
        results: &[Vec<CorrelationMatch>],
    ) -> CorrelationMatch {
        let mut listed = Vec::new();
        let mut count = 0;
        for event in &events[episode.start..=episode.end] {
            match event.origin {
                Origin::Record(path, record) => {
                    count += 1;
                    if listed.len() < EVENTS_LISTED {
                        listed.push(observations.location(path, record));
                    }
                }
                Origin::Match(inner, index) => {
                    let m = &results[inner][index];
                    count += m.event_count;
                    let room = EVENTS_LISTED - listed.len();
                    listed.extend(m.events.iter().take(room).cloned());
                }
            }
        }
        let time = |us: i64| Timestamp::from_microsecond(us).unwrap_or(Timestamp::UNIX_EPOCH);
        CorrelationMatch {
            rule: plan.rule,
            group: plan
                .group_by
                .iter()
                .zip(key)
                .map(|(name, &id)| {
                    (
                        name.clone(),
                        observations.strings.get(id).map(str::to_string),
                    )
                })
                .collect(),
            window_start: time(events[episode.start].time_us),
            window_end: time(events[episode.end].time_us),
            value: episode.value,
            events: listed,
            event_count: count,
        }
    }
}
