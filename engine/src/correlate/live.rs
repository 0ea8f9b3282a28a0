//! Correlations over a stream: see [`LiveCorrelator`].

use super::observe::{NONE, Observations};
use super::plan::Plan;
use super::window::{self, Event, Origin, State};
use super::{CorrelationMatch, Correlator, EVENTS_LISTED, Location, group};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sigil_compiler::{CorrelationOp, CorrelationType};
use sigil_compiler::{RuleId, RuleKind};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

/// How much state a [`LiveCorrelator`] holds per correlation rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LiveLimits {
    /// Most groups held; beyond, the group updated longest ago is dropped.
    pub max_groups: usize,
    /// Most events held in all groups; beyond, the oldest event of the group updated longest
    /// ago is dropped.
    pub max_events: usize,
}

impl Default for LiveLimits {
    /// 10,000 groups and 100,000 events per correlation rule.
    fn default() -> Self {
        LiveLimits {
            max_groups: 10_000,
            max_events: 100_000,
        }
    }
}

/// What a correlation rule's live state holds, and what it had to leave out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveCounts {
    /// Groups held now.
    pub groups: u64,
    /// Events held now.
    pub events: u64,
    /// Groups dropped to stay within [`LiveLimits::max_groups`].
    pub evicted_groups: u64,
    /// Events dropped to stay within [`LiveLimits::max_events`].
    pub evicted_events: u64,
    /// Events older than every window still to be evaluated, left out.
    pub late: u64,
}

/// What one step of a [`LiveCorrelator`] produced.
#[derive(Debug, Default)]
pub struct Update {
    /// New matches, as their first window fired: report these. Includes correlations that are
    /// not reported on their own (check [`Correlator::emits`]).
    pub alerts: Vec<CorrelationMatch>,
    /// Matches that no later window can extend, with their final extent and peak value.
    pub closed: Vec<CorrelationMatch>,
}

/// The saved state of a [`LiveCorrelator`] (see [`LiveCorrelator::save`]).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct LiveState {
    watermark: Option<i64>,
    rules: Vec<SavedRule>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct SavedRule {
    /// The correlation's definition, to tell whether a reloaded rule is the same.
    definition: String,
    counts: LiveCounts,
    groups: Vec<SavedGroup>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct SavedGroup {
    key: Vec<Option<String>>,
    last_time: i64,
    pending: bool,
    events: Vec<SavedEvent>,
    open: Option<Open>,
    since: Tally,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct SavedEvent {
    time_us: i64,
    rules: u64,
    value: Option<String>,
    number: Option<f64>,
    place: Place,
}

/// Correlations over a stream: windows that advance with event time, an alert as soon as a
/// condition holds, state bounded in size and saved between runs.
///
/// [`LiveCorrelator`] takes the observations of each piece of input as it is scanned
/// ([`LiveCorrelator::observe`]) and keeps, per correlation and group, only the events that a
/// later window can still hold. The windows are the batch correlator's (see the
/// [module docs](super)): a window ends at each distinct event time `t` and holds the group's
/// events in `[t - timespan, t]`; windows that fire and share events are one match.
///
/// When a window is evaluated:
///
/// - **at once**, on every event, when adding events can only make the condition hold more:
///   `event_count`, `value_count`, `temporal` and `temporal_ordered` with `gt`/`gte` bounds
///   (the common case). The alert leaves with the event that made the condition hold.
/// - **once time moves on** otherwise (`value_sum`, `value_avg`, `value_percentile`, or any
///   `lt`, `lte`, `eq`, `neq` bound), since another event of the same second could still
///   change the answer: the window ending at `t` is evaluated when an event later than `t`
///   arrives, in any group (the *watermark*, the latest event time seen, passes `t`), or at
///   [`LiveCorrelator::finish`].
///
/// A match is alerted once, when its first window fires ([`Update::alerts`]): its window and
/// value are those of that window. Later windows that share its events extend it without a
/// new alert; when no later window can (the window start passed its last firing window), it
/// is closed, with its final extent and peak value ([`Update::closed`]), which are exactly the
/// batch correlator's match for events that arrive in time order. A correlation of
/// correlations reads an inner match at its alert (its first firing window's end), where the
/// batch run reads it at its last; the two agree when the inner match fires once.
///
/// Events that arrive late (older than the newest event of their group) still count in the
/// windows that end at or after their arrival; one older than every window that can still be
/// evaluated is counted as late ([`LiveCounts::late`]) and left out.
///
/// Memory is bounded per correlation rule by [`LiveLimits`]: beyond `max_groups` groups the
/// group updated longest ago is dropped (its open match closed); beyond `max_events` events
/// held, the oldest event of that group is dropped; both are counted ([`LiveCounts`]). Groups
/// whose events are all older than any window still to come are dropped as time advances, so
/// a steady stream holds a steady amount of state.
///
/// [`LiveCorrelator::save`] gives the whole state as a [`LiveState`] (serde, for a state
/// file); [`LiveCorrelator::restore`] takes it back, keeping the state of every correlation
/// whose definition is unchanged (a rule set reloaded with other rules keeps the rest).
///
/// ```
/// use sigil_compiler::load_str;
/// use sigil_engine::correlate::{Correlator, LiveCorrelator};
/// use sigil_engine::{Engine, InputSource, ScanOptions};
///
/// let rules = "title: 403\nname: denied\nlogsource: {product: aws, service: alb}\n\
///              detection:\n  sel: {elb_status_code: 403}\n  condition: sel\n---\n\
///              title: 403 burst\ncorrelation:\n  type: event_count\n  rules: [denied]\n  \
///              group-by: [client_ip]\n  timespan: 5m\n  condition: {gte: 3}\n";
/// let loaded = load_str("burst.yml".as_ref(), rules, &Default::default());
/// let engine = Engine::new(loaded.rules, ScanOptions::default());
/// let correlator = Correlator::new(engine.rules());
/// let mut live = LiveCorrelator::new(&correlator, Default::default());
/// let (mut scanner, mut collector) = (engine.scanner(), correlator.collector());
/// let input = InputSource::Path("alb.log".into());
/// let mut alerts = Vec::new();
/// for (i, second) in [0, 20, 40, 50].iter().enumerate() {
///     let event = format!(r#"{{"elb_status_code":403,"client_ip":"192.0.2.7","target_processing_time":0.1,"time":"2026-10-01T00:00:{second:02}Z"}}"#);
///     let found = scanner.scan(event.as_bytes()).unwrap();
///     let view = found.view().unwrap();
///     collector.record(found.rules, found.timestamp, &view, &input, i as u64 + 1, &mut Vec::new());
///     alerts.push(live.observe(collector.take()).alerts.len());
/// }
/// // The third 403 makes the condition hold: one alert, then the match only grows.
/// assert_eq!(alerts, [0, 0, 1, 0]);
/// let closed = live.finish().closed;
/// assert_eq!((closed.len(), closed[0].value), (1, 4.0));
/// ```
pub struct LiveCorrelator<'c> {
    correlator: &'c Correlator<'c>,
    limits: LiveLimits,
    /// Per correlation, in evaluation order (`correlator.plans.order`).
    plans: Vec<LivePlan>,
    /// Per rule: its position in the evaluation order, for correlations.
    position: Vec<Option<usize>>,
    /// The latest event time seen, in microseconds.
    watermark: Option<i64>,
}

/// The groups of one correlation.
#[derive(Default)]
struct LivePlan {
    groups: HashMap<GroupKey, LiveGroup>,
    /// Groups by last update (event time, then a sequence number), oldest first.
    lru: BTreeMap<(i64, u64), GroupKey>,
    touches: u64,
    /// Groups with events whose window is not evaluated yet (deferred correlations).
    pending: Vec<GroupKey>,
    values: Values,
    counts: LiveCounts,
}

/// A group's values (`None`: the field was absent).
type GroupKey = Arc<[Option<Arc<str>>]>;

/// Where an event comes from: a record, or an inner correlation's match.
#[derive(Clone, Debug, Serialize, Deserialize)]
enum Place {
    Record(Location),
    Match { count: u64, first: Vec<Location> },
}

/// The events counted into a match: how many, and the first ones.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Tally {
    count: u64,
    listed: Vec<Location>,
}

impl Tally {
    fn add(&mut self, place: &Place) {
        match place {
            Place::Record(location) => {
                self.count += 1;
                if self.listed.len() < EVENTS_LISTED {
                    self.listed.push(location.clone());
                }
            }
            Place::Match { count, first } => {
                self.count += count;
                let room = EVENTS_LISTED - self.listed.len();
                self.listed.extend(first.iter().take(room).cloned());
            }
        }
    }

    fn merge(&mut self, other: Tally) {
        self.count += other.count;
        let room = EVENTS_LISTED - self.listed.len();
        self.listed.extend(other.listed.into_iter().take(room));
    }
}

/// An alerted match that later windows may still extend.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Open {
    start: i64,
    end: i64,
    value: f64,
    tally: Tally,
}

/// One group's window.
struct LiveGroup {
    /// The events that a window still to come may hold, in time order.
    events: VecDeque<Event>,
    places: VecDeque<Place>,
    state: State,
    /// The latest event time of the group.
    last_time: i64,
    /// Whether the window ending at `last_time` is still to be evaluated.
    pending: bool,
    open: Option<Open>,
    /// Events added since the last firing window: they join the open match if it is extended.
    since: Tally,
    lru: (i64, u64),
}

/// Interned values of a `value_count` correlation's field, freed when no event holds them.
#[derive(Default)]
struct Values {
    ids: HashMap<Arc<str>, u32>,
    /// By id: the value and how many held events have it.
    slots: Vec<Option<(Arc<str>, u64)>>,
    free: Vec<u32>,
}

impl Values {
    fn acquire(&mut self, text: &str) -> u32 {
        if let Some(&id) = self.ids.get(text) {
            if let Some((_, n)) = &mut self.slots[id as usize] {
                *n += 1;
            }
            return id;
        }
        let text: Arc<str> = Arc::from(text);
        let slot = Some((Arc::clone(&text), 1));
        let id = match self.free.pop() {
            Some(id) => {
                self.slots[id as usize] = slot;
                id
            }
            None => {
                self.slots.push(slot);
                (self.slots.len() - 1) as u32
            }
        };
        self.ids.insert(text, id);
        id
    }

    fn release(&mut self, id: u32) {
        if id == NONE {
            return;
        }
        let Some(Some((text, n))) = self.slots.get_mut(id as usize) else {
            return;
        };
        *n -= 1;
        if *n == 0 {
            self.ids.remove(&**text);
            self.slots[id as usize] = None;
            self.free.push(id);
        }
    }

    fn get(&self, id: u32) -> Option<&str> {
        self.slots
            .get(id as usize)?
            .as_ref()
            .map(|(text, _)| &**text)
    }
}

/// Whether adding events to a window can only make `plan`'s condition hold more, so that
/// its windows may be evaluated at every event.
fn monotone(plan: &Plan) -> bool {
    let growing = matches!(
        plan.kind,
        CorrelationType::EventCount
            | CorrelationType::ValueCount
            | CorrelationType::Temporal
            | CorrelationType::TemporalOrdered
    );
    growing
        && plan
            .comparisons
            .iter()
            .all(|(op, _)| matches!(op, CorrelationOp::Gt | CorrelationOp::Gte))
}

fn timestamp(us: i64) -> Timestamp {
    Timestamp::from_microsecond(us).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// What a step works with besides the group: the plan, the limits, where output goes.
struct Step<'a> {
    plan: &'a Plan,
    monotone: bool,
    prefer_max: bool,
    alerts: &'a mut Vec<CorrelationMatch>,
    closed: &'a mut Vec<CorrelationMatch>,
}

impl Step<'_> {
    fn to_match(
        &self,
        key: &[Option<Arc<str>>],
        start: i64,
        end: i64,
        value: f64,
        tally: Tally,
    ) -> CorrelationMatch {
        CorrelationMatch {
            rule: self.plan.rule,
            group: self
                .plan
                .group_by
                .iter()
                .zip(key)
                .map(|(name, value)| (name.clone(), value.as_deref().map(str::to_string)))
                .collect(),
            window_start: timestamp(start),
            window_end: timestamp(end),
            value,
            events: tally.listed,
            event_count: tally.count,
        }
    }

    /// Closes the group's open match, if any.
    fn close(&mut self, key: &[Option<Arc<str>>], group: &mut LiveGroup) {
        if let Some(open) = group.open.take() {
            let m = self.to_match(key, open.start, open.end, open.value, open.tally);
            self.closed.push(m);
        }
    }

    /// Evaluates the window of `group` ending at its latest event.
    fn evaluate(
        &mut self,
        key: &[Option<Arc<str>>],
        group: &mut LiveGroup,
        values: &mut Values,
        held: &mut u64,
    ) {
        let anchor = group.last_time;
        group.pending = false;
        while let Some(front) = group.events.front()
            && anchor - front.time_us > self.plan.timespan_us
        {
            let front = *front;
            group.remove_front(&front, values);
            *held -= 1;
        }
        if group
            .open
            .as_ref()
            .is_some_and(|open| group.events.front().is_none_or(|f| f.time_us > open.end))
        {
            self.close(key, group);
        }
        let Some(start) = group.events.front().map(|f| f.time_us) else {
            return;
        };
        let Some(value) = group.state.value(group.events.make_contiguous()) else {
            return;
        };
        if !window::holds(&self.plan.comparisons, value) {
            return;
        }
        let since = std::mem::take(&mut group.since);
        match &mut group.open {
            Some(open) if start <= open.end => {
                open.end = anchor;
                open.tally.merge(since);
                let better = if self.prefer_max {
                    value > open.value
                } else {
                    value < open.value
                };
                if better {
                    open.value = value;
                }
            }
            _ => {
                self.close(key, group);
                let mut tally = Tally::default();
                for place in &group.places {
                    tally.add(place);
                }
                let alert = self.to_match(key, start, anchor, value, tally.clone());
                self.alerts.push(alert);
                group.open = Some(Open {
                    start,
                    end: anchor,
                    value,
                    tally,
                });
            }
        }
    }

    /// Evaluates a pending window and closes the group's match: nothing later can extend it.
    fn finalize(
        &mut self,
        key: &[Option<Arc<str>>],
        group: &mut LiveGroup,
        values: &mut Values,
        held: &mut u64,
    ) {
        if group.pending {
            self.evaluate(key, group, values, held);
        }
        self.close(key, group);
    }
}

impl LiveGroup {
    fn new(plan: &Plan, time: i64) -> Self {
        LiveGroup {
            events: VecDeque::new(),
            places: VecDeque::new(),
            state: State::new(plan),
            last_time: time,
            pending: false,
            open: None,
            since: Tally::default(),
            lru: (time, 0),
        }
    }

    fn remove_front(&mut self, front: &Event, values: &mut Values) {
        self.events.pop_front();
        self.places.pop_front();
        self.state.remove(front);
        values.release(front.value);
    }

    /// Adds an event in time order (after the events of the same time).
    fn insert(&mut self, event: Event, place: Place) {
        self.state.add(&event);
        self.since.add(&place);
        let at = self.events.partition_point(|e| e.time_us <= event.time_us);
        self.events.insert(at, event);
        self.places.insert(at, place);
    }
}

impl LivePlan {
    /// Drops a group: its pending window is evaluated and its match closed.
    fn drop_group(&mut self, step: &mut Step<'_>, key: &GroupKey) {
        let Some(mut group) = self.groups.remove(key) else {
            return;
        };
        self.lru.remove(&group.lru);
        step.finalize(key, &mut group, &mut self.values, &mut self.counts.events);
        for event in &group.events {
            self.values.release(event.value);
        }
        self.counts.events -= group.events.len() as u64;
    }

    fn touch(&mut self, key: &GroupKey) {
        let Some(group) = self.groups.get_mut(key) else {
            return;
        };
        self.lru.remove(&group.lru);
        self.touches += 1;
        group.lru = (group.last_time, self.touches);
        self.lru.insert(group.lru, Arc::clone(key));
    }

    /// Adds one event to its group, evaluating windows as the plan allows.
    fn add(
        &mut self,
        step: &mut Step<'_>,
        limits: &LiveLimits,
        key: &GroupKey,
        event: Event,
        place: Place,
    ) {
        if !self.groups.contains_key(key) {
            if self.groups.len() >= limits.max_groups.max(1)
                && let Some((_, oldest)) = self.lru.first_key_value()
            {
                let oldest = Arc::clone(oldest);
                self.drop_group(step, &oldest);
                self.counts.evicted_groups += 1;
            }
            self.groups
                .insert(Arc::clone(key), LiveGroup::new(step.plan, event.time_us));
        }
        let group = self.groups.get_mut(key).expect("inserted above");
        let time = event.time_us;
        if time < group.last_time - step.plan.timespan_us {
            self.counts.late += 1;
            self.values.release(event.value);
            return;
        }
        if !step.monotone && group.pending && time > group.last_time {
            step.evaluate(key, group, &mut self.values, &mut self.counts.events);
        }
        group.insert(event, place);
        self.counts.events += 1;
        group.last_time = group.last_time.max(time);
        if step.monotone {
            step.evaluate(key, group, &mut self.values, &mut self.counts.events);
        } else if !group.pending {
            group.pending = true;
            self.pending.push(Arc::clone(key));
        }
        self.touch(key);
        self.enforce_max_events(step, limits);
    }

    /// Drops the oldest events of the groups updated longest ago while too many are held.
    fn enforce_max_events(&mut self, step: &mut Step<'_>, limits: &LiveLimits) {
        while self.counts.events > limits.max_events.max(1) as u64 {
            let Some((_, key)) = self.lru.first_key_value() else {
                return;
            };
            let key = Arc::clone(key);
            let group = self
                .groups
                .get_mut(&key)
                .expect("every listed group is held");
            if let Some(front) = group.events.front().copied() {
                group.remove_front(&front, &mut self.values);
                self.counts.events -= 1;
                self.counts.evicted_events += 1;
            }
            if group.events.is_empty() {
                self.drop_group(step, &key);
            }
        }
    }

    /// Time moved on to `watermark`: windows that no event can change any more are evaluated,
    /// and groups no window to come can hold are dropped.
    fn advance(&mut self, step: &mut Step<'_>, watermark: i64) {
        let pending = std::mem::take(&mut self.pending);
        for key in pending {
            let Some(group) = self.groups.get_mut(&key) else {
                continue;
            };
            if !group.pending {
                continue;
            }
            if group.last_time < watermark {
                step.evaluate(&key, group, &mut self.values, &mut self.counts.events);
            } else {
                self.pending.push(key);
            }
        }
        let horizon = watermark.saturating_sub(step.plan.timespan_us);
        while let Some((&(time, _), key)) = self.lru.first_key_value()
            && time < horizon
        {
            let key = Arc::clone(key);
            self.drop_group(step, &key);
        }
    }
}

impl<'c> LiveCorrelator<'c> {
    /// A live correlator of `correlator`'s correlations, holding at most `limits` per rule.
    pub fn new(correlator: &'c Correlator<'c>, limits: LiveLimits) -> Self {
        let mut position = vec![None; correlator.rules.len()];
        for (index, plan) in correlator.plans.order.iter().enumerate() {
            position[plan.rule.0 as usize] = Some(index);
        }
        LiveCorrelator {
            correlator,
            limits,
            plans: correlator
                .plans
                .order
                .iter()
                .map(|_| LivePlan::default())
                .collect(),
            position,
            watermark: None,
        }
    }

    /// Takes the observations of the next piece of input (in input order), and evaluates the
    /// windows they complete.
    pub fn observe(&mut self, mut observations: Observations) -> Update {
        let mut update = Update::default();
        if observations.is_empty() {
            return update;
        }
        let newest = observations.entries.iter().map(|e| e.time_us).max();
        let watermark = self.watermark.max(newest);
        self.watermark = watermark;
        let order = &self.correlator.plans.order;
        let mut results: Vec<Vec<CorrelationMatch>> = Vec::with_capacity(order.len());
        for (index, plan) in order.iter().enumerate() {
            let mut alerts = Vec::new();
            let mut step = Step {
                plan,
                monotone: monotone(plan),
                prefer_max: window::prefers_max(plan),
                alerts: &mut alerts,
                closed: &mut update.closed,
            };
            let live = &mut self.plans[index];
            let grouped = group::group(plan, &mut observations, &self.position, &results);
            for (key, events) in grouped.groups() {
                let key: GroupKey = key
                    .iter()
                    .map(|&id| observations.strings.get(id).map(Arc::from))
                    .collect();
                for event in events {
                    let place = match event.origin {
                        Origin::Record(path, record) => {
                            Place::Record(observations.location(path, record))
                        }
                        Origin::Match(inner, at) => {
                            let m = &results[inner][at];
                            Place::Match {
                                count: m.event_count,
                                first: m.events.clone(),
                            }
                        }
                    };
                    let value = match observations.strings.get(event.value) {
                        Some(text) if plan.kind == CorrelationType::ValueCount => {
                            live.values.acquire(text)
                        }
                        _ => NONE,
                    };
                    let event = Event {
                        value,
                        group: 0,
                        ..*event
                    };
                    live.add(&mut step, &self.limits, &key, event, place);
                }
            }
            if let Some(watermark) = watermark {
                live.advance(&mut step, watermark);
            }
            live.counts.groups = live.groups.len() as u64;
            update.alerts.extend(alerts.iter().cloned());
            results.push(alerts);
        }
        update
    }

    /// Ends the stream: every window still to be evaluated is, and every match is closed.
    pub fn finish(&mut self) -> Update {
        let mut update = Update::default();
        for (index, plan) in self.correlator.plans.order.iter().enumerate() {
            let mut step = Step {
                plan,
                monotone: monotone(plan),
                prefer_max: window::prefers_max(plan),
                alerts: &mut update.alerts,
                closed: &mut update.closed,
            };
            let live = &mut self.plans[index];
            let keys: Vec<GroupKey> = live.lru.values().cloned().collect();
            for key in keys {
                live.drop_group(&mut step, &key);
            }
            live.pending.clear();
            live.counts.groups = 0;
        }
        update
    }

    /// What each correlation rule holds and left out.
    pub fn counts(&self) -> impl Iterator<Item = (RuleId, LiveCounts)> + '_ {
        self.correlator
            .plans
            .order
            .iter()
            .zip(&self.plans)
            .map(|(plan, live)| (plan.rule, live.counts))
    }

    /// The whole state, to be saved.
    pub fn save(&self) -> LiveState {
        let rules = self
            .correlator
            .plans
            .order
            .iter()
            .zip(&self.plans)
            .map(|(plan, live)| SavedRule {
                definition: definition(self.correlator, plan.rule),
                counts: live.counts,
                groups: live
                    .lru
                    .values()
                    .map(|key| {
                        let group = &live.groups[key];
                        SavedGroup {
                            key: key
                                .iter()
                                .map(|v| v.as_deref().map(str::to_string))
                                .collect(),
                            last_time: group.last_time,
                            pending: group.pending,
                            events: group
                                .events
                                .iter()
                                .zip(&group.places)
                                .map(|(event, place)| SavedEvent {
                                    time_us: event.time_us,
                                    rules: event.rules,
                                    value: live.values.get(event.value).map(str::to_string),
                                    number: event.number,
                                    place: place.clone(),
                                })
                                .collect(),
                            open: group.open.clone(),
                            since: group.since.clone(),
                        }
                    })
                    .collect(),
            })
            .collect();
        LiveState {
            watermark: self.watermark,
            rules,
        }
    }

    /// Takes back a saved state: the state of each correlation whose definition is the same
    /// in this rule set; the others start empty. Returns how many correlations were restored.
    pub fn restore(&mut self, state: LiveState) -> usize {
        let mut saved: HashMap<String, SavedRule> = state
            .rules
            .into_iter()
            .map(|rule| (rule.definition.clone(), rule))
            .collect();
        self.watermark = self.watermark.max(state.watermark);
        let mut restored = 0;
        for (plan, live) in self.correlator.plans.order.iter().zip(&mut self.plans) {
            let Some(rule) = saved.remove(&definition(self.correlator, plan.rule)) else {
                continue;
            };
            restored += 1;
            *live = LivePlan::default();
            live.counts = rule.counts;
            live.counts.events = 0;
            for saved in rule.groups {
                let key: GroupKey = saved
                    .key
                    .iter()
                    .map(|v| v.as_deref().map(Arc::from))
                    .collect();
                let mut group = LiveGroup::new(plan, saved.last_time);
                for event in saved.events {
                    let value = match &event.value {
                        Some(text) if plan.kind == CorrelationType::ValueCount => {
                            live.values.acquire(text)
                        }
                        _ => NONE,
                    };
                    let event_ = Event {
                        time_us: event.time_us,
                        group: 0,
                        rules: event.rules,
                        value,
                        number: event.number,
                        origin: Origin::Record(0, 0),
                    };
                    group.state.add(&event_);
                    group.events.push_back(event_);
                    group.places.push_back(event.place);
                    live.counts.events += 1;
                }
                group.pending = saved.pending;
                group.open = saved.open;
                group.since = saved.since;
                if group.pending {
                    live.pending.push(Arc::clone(&key));
                }
                live.touches += 1;
                group.lru = (group.last_time, live.touches);
                live.lru.insert(group.lru, Arc::clone(&key));
                live.groups.insert(key, group);
            }
            live.counts.groups = live.groups.len() as u64;
        }
        restored
    }
}

/// A correlation rule's identity and definition, as text: the same text means the same windows
/// over the same events.
fn definition(correlator: &Correlator<'_>, rule: RuleId) -> String {
    let rule = correlator.rules.rule(rule);
    let meta = &rule.meta;
    let name = meta
        .id
        .as_deref()
        .or(meta.name.as_deref())
        .unwrap_or(&meta.title);
    let RuleKind::Correlation(c) = &rule.kind else {
        return name.to_string();
    };
    let references: Vec<&str> = c.rules.iter().map(|(r, _)| r.as_str()).collect();
    format!(
        "{name}|{:?}|{references:?}|{:?}|{}|{:?}|{:?}",
        c.kind, c.group_by, c.timespan_secs, c.condition, c.aliases
    )
}
