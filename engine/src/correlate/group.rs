//! One correlation's events, grouped by their `group-by` values and sorted by time.
//!
//! Base matches come from the observation log, read once in log order: the matches of one
//! record are observed together, so a record matched by several of the correlation's rules
//! (same file, record and group) becomes one event with several rule bits. Matches of inner
//! correlations come after. Groups are numbered in the order they are first seen; the events
//! are then sorted by group and time, a stable sort, so equal times keep their log order.

use super::CorrelationMatch;
use super::observe::{NONE, Observations};
use super::plan::Plan;
use super::window::{Event, Origin};
use std::collections::HashMap;

/// The events of one correlation, by group.
pub(super) struct Grouped {
    /// Each group's values (interned), by group number.
    pub keys: Vec<Box<[u32]>>,
    /// The events, sorted by group, then time.
    pub events: Vec<Event>,
}

impl Grouped {
    /// Each group's values and events.
    pub fn groups(&self) -> impl Iterator<Item = (&[u32], &[Event])> {
        self.events
            .chunk_by(|a, b| a.group == b.group)
            .map(|events| (&*self.keys[events[0].group as usize], events))
    }
}

/// Group numbers by group values.
#[derive(Default)]
struct GroupIds {
    ids: HashMap<Box<[u32]>, u32>,
    keys: Vec<Box<[u32]>>,
}

impl GroupIds {
    fn id(&mut self, key: &[u32]) -> u32 {
        if let Some(&id) = self.ids.get(key) {
            return id;
        }
        let id = self.keys.len() as u32;
        self.ids.insert(key.into(), id);
        self.keys.push(key.into());
        id
    }
}

/// Gathers the events of `plan`. `position[rule]` is the evaluation index of a correlation
/// rule (whose matches are in `results`), `None` for other rules.
pub(super) fn group(
    plan: &Plan,
    observations: &mut Observations,
    position: &[Option<usize>],
    results: &[Vec<CorrelationMatch>],
) -> Grouped {
    let grouped = plan.group_by.len();
    // Per rule id: the inputs of this plan that are that detection rule.
    let mut inputs_of: Vec<Vec<usize>> = vec![Vec::new(); position.len()];
    for (index, input) in plan.inputs.iter().enumerate() {
        if position[input.rule.0 as usize].is_none() {
            inputs_of[input.rule.0 as usize].push(index);
        }
    }
    let mut ids = GroupIds::default();
    let mut events: Vec<Event> = Vec::new();
    let mut key: Vec<u32> = Vec::with_capacity(grouped);
    for entry in &observations.entries {
        for &index in &inputs_of[entry.rule.0 as usize] {
            let input = &plan.inputs[index];
            let values = observations.values_of(entry);
            key.clear();
            key.extend(input.slots[..grouped].iter().map(|&s| values[s]));
            let group = ids.id(&key);
            let origin = Origin::Record(entry.path, entry.record);
            let rules = 1u64 << index;
            if let Some(last) = events.last_mut()
                && last.origin == origin
                && last.group == group
            {
                last.rules |= rules;
                continue;
            }
            let value = input.slots[grouped..].first().map_or(NONE, |&s| values[s]);
            events.push(Event {
                time_us: entry.time_us,
                group,
                rules,
                value,
                number: number(observations, value),
                origin,
            });
        }
    }
    for (index, input) in plan.inputs.iter().enumerate() {
        let Some(inner) = position[input.rule.0 as usize] else {
            continue;
        };
        for (at, m) in results[inner].iter().enumerate() {
            let lookup = |name: &String| {
                m.group
                    .iter()
                    .find(|(n, _)| n == name)
                    .and_then(|(_, v)| v.as_deref())
            };
            key.clear();
            for name in &input.fields[..grouped] {
                key.push(observations.strings.intern_option(lookup(name)));
            }
            let value = input.fields[grouped..].first().map_or(NONE, |name| {
                observations.strings.intern_option(lookup(name))
            });
            events.push(Event {
                time_us: m.window_end.as_microsecond(),
                group: ids.id(&key),
                rules: 1u64 << index,
                value,
                number: number(observations, value),
                origin: Origin::Match(inner, at),
            });
        }
    }
    events.sort_by_key(|e| (e.group, e.time_us));
    Grouped {
        keys: ids.keys,
        events,
    }
}

/// An interned value as a finite number, if it is one.
fn number(observations: &Observations, value: u32) -> Option<f64> {
    observations
        .strings
        .get(value)
        .and_then(|text| text.trim().parse::<f64>().ok())
        .filter(|n| n.is_finite())
}
