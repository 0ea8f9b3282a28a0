//! Live correlations (`LiveCorrelator`): the same matches as the batch correlator when events
//! arrive in time order (every case of `correlate_types` and every example of the bundled
//! correlation rules is run both ways), alerts as soon as a condition holds, state saved and
//! restored, bounded state, late events.

use serde_json::json;
use sigil_compiler::{LoadOptions, RuleId, RuleKind, RuleSet, load_paths};
use sigil_engine::correlate::{
    CorrelationMatch, Correlator, LiveCorrelator, LiveLimits, LiveState, load_correlation_tests,
    run_correlation_cases,
};
use sigil_engine::{Engine, InputSource};
use std::path::Path;

/// A match without its extent: which burst it is.
type Identity = (RuleId, Vec<(String, Option<String>)>, String);

fn identity(m: &CorrelationMatch) -> Identity {
    (m.rule, m.group.clone(), m.window_start.to_string())
}

/// What a live run over events gave: the alerts, and the matches as closed.
struct LiveRun {
    alerts: Vec<CorrelationMatch>,
    closed: Vec<CorrelationMatch>,
}

/// Feeds `events` (each with its time and record number) one by one, in time order, to a live
/// correlator, saving its state and restoring it into a new one halfway.
fn live_run(engine: &Engine, events: &[(String, jiff::Timestamp, u64)]) -> LiveRun {
    let correlator = Correlator::new(engine.rules());
    let mut order: Vec<&(String, jiff::Timestamp, u64)> = events.iter().collect();
    order.sort_by_key(|(_, time, _)| *time);
    let mut live = LiveCorrelator::new(&correlator, LiveLimits::default());
    let mut scanner = engine.scanner();
    let mut collector = correlator.collector();
    let input = InputSource::Path("events.jsonl".into());
    let (mut alerts, mut closed) = (Vec::new(), Vec::new());
    for (i, (event, time, record)) in order.iter().enumerate() {
        if i == order.len() / 2 {
            let saved = serde_json::to_string(&live.save()).unwrap();
            live = LiveCorrelator::new(&correlator, LiveLimits::default());
            let state: LiveState = serde_json::from_str(&saved).unwrap();
            live.restore(state);
        }
        let found = scanner.scan(event.as_bytes()).unwrap();
        let Some(view) = found.view() else { continue };
        let mut verdicts = Vec::new();
        collector.record(
            found.rules,
            Some(*time),
            &view,
            &input,
            *record,
            &mut verdicts,
        );
        let update = live.observe(collector.take());
        alerts.extend(update.alerts);
        closed.extend(update.closed);
    }
    let update = live.finish();
    alerts.extend(update.alerts);
    closed.extend(update.closed);
    closed.sort_by(|a, b| {
        (a.window_start, a.window_end, a.rule, &a.group).cmp(&(
            b.window_start,
            b.window_end,
            b.rule,
            &b.group,
        ))
    });
    LiveRun { alerts, closed }
}

/// Asserts that a live run over `events` gives `batch`: the closed matches are the batch's,
/// and each is alerted once.
pub fn assert_live_agrees(
    engine: &Engine,
    events: &[(String, jiff::Timestamp, u64)],
    batch: &[CorrelationMatch],
) {
    let run = live_run(engine, events);
    assert_eq!(
        run.closed, batch,
        "live closed matches differ from the batch run"
    );
    let mut alerted: Vec<Identity> = run.alerts.iter().map(identity).collect();
    let mut expected: Vec<Identity> = batch.iter().map(identity).collect();
    alerted.sort();
    expected.sort();
    assert_eq!(
        alerted, expected,
        "live alerts differ from the batch matches"
    );
}

/// Events as `correlate_types` numbers them: record `i + 1` in input order, with the time the
/// scanner reads.
pub fn timed(engine: &Engine, events: &[serde_json::Value]) -> Vec<(String, jiff::Timestamp, u64)> {
    let mut scanner = engine.scanner();
    events
        .iter()
        .enumerate()
        .filter_map(|(i, event)| {
            let text = event.to_string();
            let time = scanner.scan(text.as_bytes()).ok()?.timestamp?;
            Some((text, time, i as u64 + 1))
        })
        .collect()
}

fn load(yaml: &str) -> Engine {
    let loaded = sigil_compiler::load_str("t.yml".as_ref(), yaml, &Default::default());
    assert_eq!(loaded.refused, 0, "{:#?}", loaded.diagnostics);
    crate::support::any_source_engine(loaded.rules)
}

/// 2026-10-01T00:00:00Z
const BASE: i64 = 1_790_812_800;

fn denied(seconds: i64, ip: &str) -> serde_json::Value {
    let time = jiff::Timestamp::from_second(BASE + seconds).unwrap();
    json!({"status": 403, "ip": ip, "time": time.to_string()})
}

fn burst(condition: &str, timespan: &str) -> Engine {
    load(&format!(
        "title: denied\nname: denied\nlogsource: {{product: aws, service: alb}}\n\
         detection:\n  sel: {{status: 403}}\n  condition: sel\n---\n\
         title: burst\nname: burst\ncorrelation:\n  type: event_count\n  rules: [denied]\n  \
         group-by: [ip]\n  timespan: {timespan}\n  condition: {condition}\n"
    ))
}

#[test]
fn every_bundled_correlation_example_gives_the_same_matches_live() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules/correlations");
    let loaded = load_paths(std::slice::from_ref(&folder), &LoadOptions::default());
    assert_eq!(loaded.refused, 0);
    let again = load_paths(std::slice::from_ref(&folder), &LoadOptions::default());
    let engine = crate::support::any_source_engine(again.rules);
    let mut compared = 0;
    for entry in std::fs::read_dir(&folder).unwrap() {
        let path = entry.unwrap().path();
        if !path.to_string_lossy().ends_with(".tests.yml") {
            continue;
        }
        let tested = correlations_of(&loaded.rules, &path);
        for case in load_correlation_tests(&path).unwrap() {
            let events: Vec<(String, jiff::Timestamp, u64)> = case
                .events
                .iter()
                .enumerate()
                .map(|(i, (event, time))| (event.clone(), *time, i as u64 + 1))
                .collect();
            let name = case.name.clone();
            let batch = &run_correlation_cases(&loaded.rules, &tested, vec![case])[0].matches;
            let mut run = live_run(&engine, &events);
            run.closed.retain(|m| tested.contains(&m.rule));
            run.alerts.retain(|m| tested.contains(&m.rule));
            // The batch case names its input after the case.
            for m in &mut run.closed {
                for location in &mut m.events {
                    location.path = name.clone();
                }
            }
            assert_eq!(&run.closed, batch, "{}: case `{name}`", path.display());
            assert_eq!(run.alerts.len(), batch.len(), "case `{name}`");
            compared += 1;
        }
    }
    assert!(compared >= 8, "only {compared} cases");
}

/// The correlation rules of the rule file next to `tests`.
fn correlations_of(rules: &RuleSet, tests: &Path) -> Vec<RuleId> {
    let name = tests
        .file_name()
        .unwrap()
        .to_string_lossy()
        .replace(".tests.yml", ".yml");
    rules
        .iter()
        .filter(|(_, r)| {
            matches!(r.kind, RuleKind::Correlation(_))
                && r.meta
                    .path
                    .file_name()
                    .is_some_and(|f| f.to_string_lossy() == name)
        })
        .map(|(id, _)| id)
        .collect()
}

#[test]
fn an_alert_leaves_with_the_event_that_makes_the_condition_hold() {
    let engine = burst("{gte: 3}", "10s");
    let correlator = Correlator::new(engine.rules());
    let mut live = LiveCorrelator::new(&correlator, LiveLimits::default());
    let (mut scanner, mut collector) = (engine.scanner(), correlator.collector());
    let input = InputSource::Stdin;
    let mut alerts_after = Vec::new();
    for (i, seconds) in [0, 4, 9, 10, 30].into_iter().enumerate() {
        let event = denied(seconds, "a").to_string();
        let found = scanner.scan(event.as_bytes()).unwrap();
        let view = found.view().unwrap();
        collector.record(
            found.rules,
            found.timestamp,
            &view,
            &input,
            i as u64 + 1,
            &mut Vec::new(),
        );
        let update = live.observe(collector.take());
        alerts_after.push(update.alerts.iter().map(|m| m.value).collect::<Vec<_>>());
    }
    // The third event fires (3 in the window); the fourth extends the same match.
    assert_eq!(alerts_after, [vec![], vec![], vec![3.0], vec![], vec![]]);
}

#[test]
fn a_sum_is_decided_once_time_moves_on() {
    let engine = load(
        "title: flow\nname: flow\nlogsource: {product: aws, service: vpcflow}\n\
         detection:\n  sel: {action: ACCEPT}\n  condition: sel\n---\n\
         title: agg\ncorrelation:\n  type: value_sum\n  rules: [flow]\n  group-by: [src]\n  \
         timespan: 1h\n  condition: {field: bytes, gt: 100}\n",
    );
    let correlator = Correlator::new(engine.rules());
    let mut live = LiveCorrelator::new(&correlator, LiveLimits::default());
    let (mut scanner, mut collector) = (engine.scanner(), correlator.collector());
    let mut fired = Vec::new();
    for (i, (seconds, src)) in [(0, "a"), (0, "a"), (5, "b")].into_iter().enumerate() {
        let time = jiff::Timestamp::from_second(BASE + seconds).unwrap();
        let event = json!({"action": "ACCEPT", "src": src, "bytes": 60, "time": time.to_string()});
        let event = event.to_string();
        let found = scanner.scan(event.as_bytes()).unwrap();
        let view = found.view().unwrap();
        collector.record(
            found.rules,
            found.timestamp,
            &view,
            &InputSource::Stdin,
            i as u64 + 1,
            &mut Vec::new(),
        );
        fired.push(live.observe(collector.take()).alerts.len());
    }
    // Two events of second 0 sum to 120, decided when an event of a later second arrives
    // (here in another group).
    assert_eq!(fired, [0, 0, 1]);
}

#[test]
fn state_stays_within_its_limits_and_counts_what_it_dropped() {
    let engine = burst("{gte: 1000}", "1h");
    let correlator = Correlator::new(engine.rules());
    let limits = LiveLimits {
        max_groups: 3,
        max_events: 10,
    };
    let mut live = LiveCorrelator::new(&correlator, limits);
    let (mut scanner, mut collector) = (engine.scanner(), correlator.collector());
    for i in 0..50 {
        // 40 events in two groups (past the event limit), then ten new groups.
        let ip = if i < 40 {
            ["a", "b"][i as usize % 2].to_string()
        } else {
            format!("n{i}")
        };
        let event = denied(i, &ip).to_string();
        let found = scanner.scan(event.as_bytes()).unwrap();
        let view = found.view().unwrap();
        collector.record(
            found.rules,
            found.timestamp,
            &view,
            &InputSource::Stdin,
            i as u64 + 1,
            &mut Vec::new(),
        );
        live.observe(collector.take());
    }
    let (_, counts) = live.counts().next().unwrap();
    assert!(counts.groups <= 3 && counts.events <= 10, "{counts:?}");
    assert!(
        counts.evicted_groups > 0 && counts.evicted_events > 0,
        "{counts:?}"
    );
    let saved = serde_json::to_string(&live.save()).unwrap();
    assert!(saved.len() < 10_000, "{} bytes saved", saved.len());
}

#[test]
fn groups_past_every_window_are_dropped_as_time_advances() {
    let engine = burst("{gte: 1000}", "10s");
    let correlator = Correlator::new(engine.rules());
    let mut live = LiveCorrelator::new(&correlator, LiveLimits::default());
    let (mut scanner, mut collector) = (engine.scanner(), correlator.collector());
    for i in 0..1000 {
        // A new client every second: each group is dead 10 s later.
        let event = denied(i, &format!("10.0.{}.{}", i / 256, i % 256)).to_string();
        let found = scanner.scan(event.as_bytes()).unwrap();
        let view = found.view().unwrap();
        collector.record(
            found.rules,
            found.timestamp,
            &view,
            &InputSource::Stdin,
            i as u64 + 1,
            &mut Vec::new(),
        );
        live.observe(collector.take());
    }
    let (_, counts) = live.counts().next().unwrap();
    assert!(counts.groups <= 12, "{counts:?}");
    assert_eq!((counts.evicted_groups, counts.evicted_events), (0, 0));
}

#[test]
fn a_late_event_counts_in_later_windows_or_is_counted_as_late() {
    let engine = burst("{gte: 3}", "10s");
    let correlator = Correlator::new(engine.rules());
    let mut live = LiveCorrelator::new(&correlator, LiveLimits::default());
    let (mut scanner, mut collector) = (engine.scanner(), correlator.collector());
    let mut fired = Vec::new();
    for (i, seconds) in [100, 105, 99, 50].into_iter().enumerate() {
        let event = denied(seconds, "a").to_string();
        let found = scanner.scan(event.as_bytes()).unwrap();
        let view = found.view().unwrap();
        collector.record(
            found.rules,
            found.timestamp,
            &view,
            &InputSource::Stdin,
            i as u64 + 1,
            &mut Vec::new(),
        );
        fired.push(live.observe(collector.take()).alerts.len());
    }
    // 99 arrives after 105 and is still inside the window ending at 105: three events.
    assert_eq!(fired, [0, 0, 1, 0]);
    let (_, counts) = live.counts().next().unwrap();
    assert_eq!(counts.late, 1);
}

#[test]
fn a_restored_state_keeps_unchanged_correlations_only() {
    let engine = burst("{gte: 2}", "1m");
    let correlator = Correlator::new(engine.rules());
    let mut live = LiveCorrelator::new(&correlator, LiveLimits::default());
    let (mut scanner, mut collector) = (engine.scanner(), correlator.collector());
    let event = denied(0, "a").to_string();
    let found = scanner.scan(event.as_bytes()).unwrap();
    let view = found.view().unwrap();
    collector.record(
        found.rules,
        found.timestamp,
        &view,
        &InputSource::Stdin,
        1,
        &mut Vec::new(),
    );
    live.observe(collector.take());
    let saved = live.save();

    let same = burst("{gte: 2}", "1m");
    let correlator = Correlator::new(same.rules());
    let mut restored = LiveCorrelator::new(&correlator, LiveLimits::default());
    assert_eq!(restored.restore(saved.clone()), 1);
    let mut collector = correlator.collector();
    let mut scanner = same.scanner();
    let event = denied(1, "a").to_string();
    let found = scanner.scan(event.as_bytes()).unwrap();
    let view = found.view().unwrap();
    collector.record(
        found.rules,
        found.timestamp,
        &view,
        &InputSource::Stdin,
        2,
        &mut Vec::new(),
    );
    assert_eq!(restored.observe(collector.take()).alerts.len(), 1);

    let changed = burst("{gte: 3}", "1m");
    let correlator = Correlator::new(changed.rules());
    let mut other = LiveCorrelator::new(&correlator, LiveLimits::default());
    assert_eq!(other.restore(saved), 0);
}
