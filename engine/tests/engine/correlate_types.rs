//! Correlation semantics, one behaviour per test: every correlation type, window edges,
//! out-of-order input, groups, missing fields, aliases, ranges, chains, `generate`, filters.

use serde_json::json;
use sigil_compiler::RuleId;
use sigil_engine::correlate::{CorrelationMatch, Correlator, Observations, Verdict};
use sigil_engine::{Engine, InputSource, write_correlation_json};

/// 2026-10-01T00:00:00Z
const BASE: i64 = 1_790_812_800;

/// A timestamp `seconds` after [`BASE`].
fn at(seconds: i64) -> String {
    jiff::Timestamp::from_second(BASE + seconds)
        .unwrap()
        .to_string()
}

/// The rules of `yaml`, run on every record whatever their log source.
fn load(yaml: &str) -> Engine {
    let loaded = sigil_compiler::load_str("t.yml".as_ref(), yaml, &Default::default());
    assert_eq!(loaded.refused, 0, "{:#?}", loaded.diagnostics);
    crate::support::any_source_engine(loaded.rules)
}

/// What a hunt over `events` (in the order given) yields: the correlation matches, and the
/// verdict on each base match.
struct Hunt {
    matches: Vec<CorrelationMatch>,
    verdicts: Vec<Verdict>,
}

/// Also runs the events live, in time order, and demands the same matches
/// ([`assert_live_agrees`](crate::correlate_live::assert_live_agrees)).
fn hunt(rules: &Engine, events: &[serde_json::Value]) -> Hunt {
    let result = hunt_split(rules, events, events.len());
    let timed = crate::correlate_live::timed(rules, events);
    crate::correlate_live::assert_live_agrees(rules, &timed, &result.matches);
    result
}

/// Like [`hunt`], with the events cut into units of `unit` events, each with its own collector
/// (as the parallel driver does), appended in order.
fn hunt_split(engine: &Engine, events: &[serde_json::Value], unit: usize) -> Hunt {
    let correlator = Correlator::new(engine.rules());
    assert!(
        correlator.skipped().is_empty(),
        "{:?}",
        correlator.skipped()
    );
    let mut scanner = engine.scanner();
    let input = InputSource::Path("events.jsonl".into());
    let mut all = Observations::default();
    let mut verdicts = Vec::new();
    for (u, chunk) in events.chunks(unit.max(1)).enumerate() {
        let mut collector = correlator.collector();
        for (i, event) in chunk.iter().enumerate() {
            let found = scanner.scan(event.to_string().as_bytes()).unwrap();
            let Some(view) = found.view() else { continue };
            let number = (u * unit + i + 1) as u64;
            collector.record(
                found.rules,
                found.timestamp,
                &view,
                &input,
                number,
                &mut verdicts,
            );
        }
        all.append(collector.take());
    }
    Hunt {
        matches: correlator.finish(all),
        verdicts,
    }
}

/// A base rule `denied` (403 answers) and an event_count over it.
fn burst(condition: &str, timespan: &str, group_by: &str) -> Engine {
    load(&format!(
        "title: denied\nname: denied\nlogsource: {{product: aws, service: alb}}\n\
         detection:\n  sel: {{status: 403}}\n  condition: sel\n---\n\
         title: burst\nname: burst\ncorrelation:\n  type: event_count\n  rules: [denied]\n  \
         group-by: {group_by}\n  timespan: {timespan}\n  condition: {condition}\n"
    ))
}

fn denied(seconds: i64, ip: &str) -> serde_json::Value {
    json!({"status": 403, "ip": ip, "time": at(seconds)})
}

fn group(m: &CorrelationMatch) -> Vec<Option<&str>> {
    m.group.iter().map(|(_, v)| v.as_deref()).collect()
}

#[test]
fn event_count_merges_overlapping_firing_windows_and_reports_the_peak() {
    let rules = burst("{gte: 3}", "10s", "[ip]");
    let events: Vec<_> = [0, 4, 9, 10, 30].map(|s| denied(s, "a")).into();
    let found = hunt(&rules, &events).matches;
    assert_eq!(found.len(), 1);
    let m = &found[0];
    assert_eq!(
        (m.window_start.to_string(), m.window_end.to_string()),
        (at(0), at(10))
    );
    assert_eq!(m.value, 4.0);
    assert_eq!(m.event_count, 4);
    let records: Vec<u64> = m.events.iter().map(|l| l.record).collect();
    assert_eq!(records, [1, 2, 3, 4]);
}

#[test]
fn an_event_exactly_one_timespan_before_the_window_end_is_inside() {
    let rules = burst("{gte: 2}", "10s", "[ip]");
    let inside = hunt(&rules, &[denied(0, "a"), denied(10, "a")]).matches;
    assert_eq!(inside.len(), 1);
    assert_eq!(inside[0].value, 2.0);
    let outside = hunt(&rules, &[denied(0, "a"), denied(11, "a")]).matches;
    assert!(outside.is_empty());
}

#[test]
fn disjoint_bursts_are_separate_matches() {
    let rules = burst("{gte: 2}", "10s", "[ip]");
    let events: Vec<_> = [0, 5, 100, 101, 102].map(|s| denied(s, "a")).into();
    let found = hunt(&rules, &events).matches;
    let summary: Vec<(f64, u64)> = found.iter().map(|m| (m.value, m.event_count)).collect();
    assert_eq!(summary, [(2.0, 2), (3.0, 3)]);
}

#[test]
fn input_order_does_not_matter() {
    let rules = burst("{gte: 3}", "10s", "[ip]");
    let ordered: Vec<_> = [0, 4, 9, 10, 30, 31, 32].map(|s| denied(s, "a")).into();
    let shuffled: Vec<_> = [31, 9, 0, 32, 10, 30, 4].map(|s| denied(s, "a")).into();
    let strip = |ms: Vec<CorrelationMatch>| -> Vec<(String, String, f64, u64)> {
        ms.into_iter()
            .map(|m| {
                (
                    m.window_start.to_string(),
                    m.window_end.to_string(),
                    m.value,
                    m.event_count,
                )
            })
            .collect()
    };
    let a = strip(hunt(&rules, &ordered).matches);
    assert_eq!(a.len(), 2);
    assert_eq!(a, strip(hunt(&rules, &shuffled).matches));
}

#[test]
fn collectors_appended_in_order_give_the_same_matches_as_one() {
    let rules = burst("{gte: 2}", "1m", "[ip]");
    let events: Vec<_> = (0..40)
        .map(|i| denied(i * 7 % 200, ["a", "b", "c"][i as usize % 3]))
        .collect();
    let whole = hunt(&rules, &events).matches;
    assert!(!whole.is_empty());
    for unit in [1, 3, 7] {
        assert_eq!(hunt_split(&rules, &events, unit).matches, whole);
    }
}

#[test]
fn groups_are_counted_separately() {
    let rules = burst("{gte: 2}", "1m", "[ip]");
    let events = [
        denied(0, "a"),
        denied(1, "b"),
        denied(2, "a"),
        denied(3, "c"),
        denied(4, "b"),
    ];
    let found = hunt(&rules, &events).matches;
    let groups: Vec<_> = found.iter().map(|m| (group(m), m.value)).collect();
    assert_eq!(groups, [(vec![Some("a")], 2.0), (vec![Some("b")], 2.0)]);
}

#[test]
fn a_missing_group_by_field_groups_under_null() {
    let rules = burst("{gte: 2}", "1m", "[ip]");
    let events = [
        json!({"status": 403, "time": at(0)}),
        json!({"status": 403, "ip": null, "time": at(1)}),
        denied(2, "a"),
    ];
    let found = hunt(&rules, &events).matches;
    assert_eq!(found.len(), 1);
    assert_eq!(group(&found[0]), [None]);
    assert_eq!(found[0].value, 2.0);
}

#[test]
fn no_group_by_is_one_group() {
    let rules = burst("{gte: 3}", "1m", "[]");
    let events = [denied(0, "a"), denied(1, "b"), denied(2, "c")];
    let found = hunt(&rules, &events).matches;
    assert_eq!(found.len(), 1);
    assert!(found[0].group.is_empty());
}

#[test]
fn events_at_the_same_time_are_one_window() {
    // Five simultaneous events: the only window holds all five, so `lte: 4` never holds.
    let rules = burst("{gt: 2, lte: 4}", "1m", "[ip]");
    let five: Vec<_> = (0..5).map(|_| denied(0, "a")).collect();
    assert!(hunt(&rules, &five).matches.is_empty());
    let three: Vec<_> = (0..3).map(|_| denied(0, "a")).collect();
    let found = hunt(&rules, &three).matches;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].value, 3.0);
}

#[test]
fn a_range_fires_while_the_count_is_inside_it() {
    let rules = burst("{gt: 2, lte: 4}", "1m", "[ip]");
    let events: Vec<_> = (0..6).map(|s| denied(s, "a")).collect();
    let found = hunt(&rules, &events).matches;
    // Windows ending at the 3rd and 4th event hold 3 and 4 events; later ones hold more.
    assert_eq!(found.len(), 1);
    assert_eq!(
        (found[0].value, found[0].window_end.to_string()),
        (4.0, at(3))
    );
}

#[test]
fn neq_and_lt_report_their_extreme() {
    let rules = burst("{neq: 1}", "1m", "[ip]");
    assert!(hunt(&rules, &[denied(0, "a")]).matches.is_empty());
    assert_eq!(
        hunt(&rules, &[denied(0, "a"), denied(0, "a")])
            .matches
            .len(),
        1
    );
    let rules = burst("{lt: 3}", "10s", "[ip]");
    let found = hunt(&rules, &[denied(0, "a"), denied(1, "a"), denied(2, "a")]).matches;
    // Windows of 1 and 2 events fire and overlap: one match, at its smallest.
    assert_eq!((found.len(), found[0].value), (1, 1.0));
}

fn value_rule(kind: &str, condition: &str) -> Engine {
    load(&format!(
        "title: flow\nname: flow\nlogsource: {{product: aws, service: vpcflow}}\n\
         detection:\n  sel: {{action: ACCEPT}}\n  condition: sel\n---\n\
         title: agg\ncorrelation:\n  type: {kind}\n  rules: [flow]\n  group-by: [src, dst]\n  \
         timespan: 1h\n  condition: {condition}\n"
    ))
}

fn flow(seconds: i64, src: &str, bytes: serde_json::Value) -> serde_json::Value {
    json!({"action": "ACCEPT", "src": src, "dst": "10.0.0.9", "bytes": bytes, "user": bytes, "time": at(seconds)})
}

#[test]
fn value_count_counts_distinct_present_values() {
    let rules = value_rule("value_count", "{field: user, gte: 3}");
    let events = [
        flow(0, "a", json!("alice")),
        flow(1, "a", json!("bob")),
        flow(2, "a", json!("alice")),
        flow(3, "a", json!(null)),
    ];
    assert!(hunt(&rules, &events).matches.is_empty());
    let mut more = events.to_vec();
    more.push(flow(4, "a", json!("carol")));
    let found = hunt(&rules, &more).matches;
    assert_eq!((found.len(), found[0].value), (1, 3.0));
}

#[test]
fn value_sum_adds_numbers_and_skips_the_rest() {
    let rules = value_rule("value_sum", "{field: bytes, gt: 1000000}");
    let exactly = [
        flow(0, "a", json!(600_000)),
        flow(10, "a", json!(400_000)),
        flow(20, "a", json!("-")),
    ];
    assert!(hunt(&rules, &exactly).matches.is_empty());
    let over = [
        flow(0, "a", json!(600_000)),
        flow(10, "a", json!("400001")),
        flow(20, "b", json!(999_999)),
    ];
    let found = hunt(&rules, &over).matches;
    assert_eq!(found.len(), 1);
    assert_eq!(group(&found[0]), [Some("a"), Some("10.0.0.9")]);
    assert_eq!(found[0].value, 1_000_001.0);
}

#[test]
fn value_sum_of_fractions_does_not_drift() {
    let rules = value_rule("value_sum", "{field: bytes, gte: 0.3}");
    let events = [
        flow(0, "a", json!(0.1)),
        flow(1, "a", json!(0.2)),
        flow(2, "a", json!(0.0)),
    ];
    // 0.1 + 0.2 is 0.30000000000000004 in floating point: it passes `gte: 0.3`.
    assert_eq!(hunt(&rules, &events).matches.len(), 1);
}

#[test]
fn value_avg_averages_the_numeric_values() {
    let rules = value_rule("value_avg", "{field: bytes, gte: 150}");
    let events = [
        flow(0, "a", json!(100)),
        flow(1, "a", json!("n/a")),
        flow(2, "a", json!(200)),
    ];
    let found = hunt(&rules, &events).matches;
    assert_eq!((found.len(), found[0].value), (1, 150.0));
    let only_text = [flow(0, "a", json!("n/a"))];
    let rules = value_rule("value_avg", "{field: bytes, lt: 1}");
    assert!(hunt(&rules, &only_text).matches.is_empty());
}

#[test]
fn value_percentile_is_the_nearest_rank() {
    let events: Vec<_> = (1..=10).map(|i| flow(i, "a", json!(i * 10))).collect();
    let median = value_rule(
        "value_percentile",
        "{field: bytes, percentile: 50, gte: 50}",
    );
    let found = hunt(&median, &events).matches;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].value, 50.0);
    let p95 = value_rule(
        "value_percentile",
        "{field: bytes, percentile: 95, gte: 100}",
    );
    let found = hunt(&p95, &events).matches;
    assert_eq!((found.len(), found[0].value), (1, 100.0));
}

fn temporal(kind: &str, extra: &str) -> Engine {
    load(&format!(
        "title: a\nname: recon_a\nlogsource: {{product: aws}}\ndetection:\n  sel: {{eventName: A}}\n  \
         condition: sel\n---\ntitle: b\nname: recon_b\nlogsource: {{product: aws}}\ndetection:\n  \
         sel: {{eventName: B}}\n  condition: sel\n---\ntitle: t\nname: seq\ncorrelation:\n  \
         type: {kind}\n  rules: [recon_a, recon_b]\n  group-by: [user]\n  timespan: 5m\n{extra}"
    ))
}

fn call(seconds: i64, name: &str, user: &str) -> serde_json::Value {
    json!({"eventName": name, "user": user, "eventTime": at(seconds)})
}

#[test]
fn temporal_needs_every_rule_in_the_window_in_any_order() {
    let rules = temporal("temporal", "");
    let found = hunt(&rules, &[call(0, "B", "u"), call(60, "A", "u")]).matches;
    assert_eq!((found.len(), found[0].value), (1, 2.0));
    assert!(
        hunt(&rules, &[call(0, "B", "u"), call(301, "A", "u")])
            .matches
            .is_empty()
    );
    assert!(
        hunt(&rules, &[call(0, "B", "u"), call(1, "A", "v")])
            .matches
            .is_empty()
    );
}

#[test]
fn temporal_ordered_needs_the_listed_order() {
    let rules = temporal("temporal_ordered", "");
    assert_eq!(
        hunt(&rules, &[call(0, "A", "u"), call(60, "B", "u")])
            .matches
            .len(),
        1
    );
    assert!(
        hunt(&rules, &[call(0, "B", "u"), call(60, "A", "u")])
            .matches
            .is_empty()
    );
    // Out-of-order input is sorted first.
    assert_eq!(
        hunt(&rules, &[call(60, "B", "u"), call(0, "A", "u")])
            .matches
            .len(),
        1
    );
}

#[test]
fn temporal_with_a_condition_counts_distinct_rules() {
    let rules = temporal("temporal", "  condition: {gte: 1}\n");
    assert_eq!(hunt(&rules, &[call(0, "A", "u")]).matches.len(), 1);
}

#[test]
fn aliases_group_different_fields_as_one() {
    let rules = load(
        "title: error\nname: internal_error\nlogsource: {product: aws}\ndetection:\n  \
         sel: {status: 500}\n  condition: sel\n---\ntitle: conn\nname: new_connection\n\
         logsource: {product: aws}\ndetection:\n  sel: {outcome: success}\n  condition: sel\n---\n\
         title: t\ncorrelation:\n  type: temporal\n  rules: [internal_error, new_connection]\n  \
         group-by: [internal_ip]\n  timespan: 10s\n  aliases:\n    internal_ip:\n      \
         internal_error: destination.ip\n      new_connection: source.ip\n",
    );
    let events = [
        json!({"status": 500, "destination": {"ip": "10.0.0.5"}, "source": {"ip": "1.2.3.4"}, "time": at(0)}),
        json!({"outcome": "success", "source": {"ip": "10.0.0.5"}, "destination": {"ip": "8.8.8.8"}, "time": at(5)}),
    ];
    let found = hunt(&rules, &events).matches;
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].group,
        [("internal_ip".to_string(), Some("10.0.0.5".to_string()))]
    );
}

#[test]
fn an_event_matched_by_two_referenced_rules_counts_once() {
    let rules = load(
        "title: a\nname: a\nlogsource: {product: aws}\ndetection:\n  sel: {x: 1}\n  condition: sel\n\
         ---\ntitle: b\nname: b\nlogsource: {product: aws}\ndetection:\n  sel: {y: 1}\n  \
         condition: sel\n---\ntitle: c\ncorrelation:\n  type: event_count\n  rules: [a, b]\n  \
         group-by: [k]\n  timespan: 1m\n  condition: {gte: 2}\n",
    );
    let both = json!({"x": 1, "y": 1, "k": "g", "time": at(0)});
    assert!(hunt(&rules, std::slice::from_ref(&both)).matches.is_empty());
    assert_eq!(hunt(&rules, &[both.clone(), both]).matches.len(), 1);
}

const CHAIN: &str = "title: failed\nname: failed_login\nlogsource: {product: aws}\ndetection:\n  \
    sel: {outcome: failure}\n  condition: sel\n---\ntitle: ok\nname: successful_login\n\
    logsource: {product: aws}\ndetection:\n  sel: {outcome: success}\n  condition: sel\n---\n\
    title: many failed\nname: many_failed\ncorrelation:\n  type: event_count\n  rules: [failed_login]\n  \
    group-by: [user]\n  timespan: 10m\n  condition: {gte: 3}\n---\n\
    title: brute force then success\nname: brute_then_success\ncorrelation:\n  \
    type: temporal_ordered\n  rules: [many_failed, successful_login]\n  group-by: [user]\n  \
    timespan: 1h\n";

fn login(seconds: i64, outcome: &str, user: &str) -> serde_json::Value {
    json!({"outcome": outcome, "user": user, "time": at(seconds)})
}

#[test]
fn a_correlation_of_correlations_reads_the_inner_matches() {
    let rules = load(CHAIN);
    let events = [
        login(0, "failure", "bob"),
        login(10, "failure", "bob"),
        login(20, "failure", "bob"),
        login(30, "failure", "eve"),
        login(600, "success", "bob"),
        login(610, "success", "eve"),
    ];
    let correlator = Correlator::new(rules.rules());
    let found = hunt(&rules, &events).matches;
    let outer: Vec<_> = found
        .iter()
        .filter(|m| rules.rules().rule(m.rule).meta.name.as_deref() == Some("brute_then_success"))
        .collect();
    assert_eq!(outer.len(), 1);
    assert_eq!(group(outer[0]), [Some("bob")]);
    assert_eq!(outer[0].event_count, 4); // three failures through the inner match, one success
    assert_eq!(
        (
            outer[0].window_start.to_string(),
            outer[0].window_end.to_string()
        ),
        (at(20), at(600))
    );
    // The inner correlation is referenced without `generate`: not reported on its own.
    let inner = found.iter().find(|m| m.rule != outer[0].rule).unwrap();
    assert!(!correlator.emits(inner.rule));
    assert!(correlator.emits(outer[0].rule));
    let order: Vec<_> = [login(600, "success", "bob"), login(0, "failure", "bob")].into();
    assert!(hunt(&rules, &order).matches.is_empty());
}

#[test]
fn generate_decides_whether_base_matches_are_reported() {
    let silent = burst("{gte: 2}", "1m", "[ip]");
    assert_eq!(hunt(&silent, &[denied(0, "a")]).verdicts, [Verdict::Silent]);
    let loud = load(
        "title: denied\nname: denied\nlogsource: {product: aws}\ndetection:\n  sel: {status: 403}\n  \
         condition: sel\n---\ntitle: other\nlogsource: {product: aws}\ndetection:\n  sel: {status: 403}\n  \
         condition: sel\n---\ntitle: burst\ncorrelation:\n  type: event_count\n  rules: [denied]\n  \
         group-by: [ip]\n  timespan: 1m\n  condition: {gte: 2}\n  generate: true\n",
    );
    assert_eq!(
        hunt(&loud, &[denied(0, "a")]).verdicts,
        [Verdict::Emit, Verdict::Emit]
    );
}

#[test]
fn a_rule_referenced_twice_is_reported_only_if_every_correlation_generates_it() {
    let rules = load(
        "title: denied\nname: denied\nlogsource: {product: aws}\ndetection:\n  sel: {status: 403}\n  \
         condition: sel\n---\ntitle: one\ncorrelation:\n  type: event_count\n  rules: [denied]\n  \
         group-by: [ip]\n  timespan: 1m\n  condition: {gte: 2}\n  generate: true\n---\ntitle: two\n\
         correlation:\n  type: event_count\n  rules: [denied]\n  group-by: [ip]\n  timespan: 1h\n  \
         condition: {gte: 9}\n",
    );
    assert!(!Correlator::new(rules.rules()).emits(RuleId(0)));
}

const FILTERED: &str = "title: denied\nid: 0b0e2d4c-0000-4000-8000-000000000001\nname: denied\n\
    logsource: {product: aws, service: alb}\ndetection:\n  sel: {status: 403}\n  condition: sel\n---\n\
    title: burst\ncorrelation:\n  type: event_count\n  rules: [denied]\n  group-by: [ip]\n  \
    timespan: 1m\n  condition: {gte: 2}\n  generate: true\n---\n\
    title: health checks are fine\nlogsource: {product: aws, service: alb}\nfilter:\n  \
    rules: [0b0e2d4c-0000-4000-8000-000000000001]\n  sel: {ip: 10.0.0.1}\n  condition: not sel\n---\n\
    title: filter for another source\nlogsource: {product: aws, service: cloudfront}\nfilter:\n  \
    rules: [denied]\n  sel: {ip: 10.0.0.2}\n  condition: not sel\n";

/// A filter is AND-ed onto the rule it names (as pySigma applies it), where its log source
/// covers the rule's: the base rule no longer matches what `not sel` excludes, so neither is
/// it written nor does it reach its correlation. The cloudfront filter does not apply.
#[test]
fn filters_restrict_the_rules_they_name_before_correlation() {
    let rules = load(FILTERED);
    let events = [
        denied(0, "10.0.0.1"),
        denied(1, "10.0.0.1"),
        denied(2, "10.0.0.2"),
        denied(3, "10.0.0.2"),
    ];
    let result = hunt(&rules, &events);
    assert_eq!(result.verdicts, [Verdict::Emit, Verdict::Emit]);
    assert_eq!(result.matches.len(), 1);
    assert_eq!(group(&result.matches[0]), [Some("10.0.0.2")]);
}

#[test]
fn reference_cycles_and_filter_references_are_set_aside() {
    let rules = load(
        "title: a\nname: a\ncorrelation:\n  type: event_count\n  rules: [b]\n  group-by: [x]\n  \
         timespan: 1m\n  condition: {gte: 1}\n---\ntitle: b\nname: b\ncorrelation:\n  type: event_count\n  \
         rules: [a]\n  group-by: [x]\n  timespan: 1m\n  condition: {gte: 1}\n---\ntitle: f\nname: f\n\
         logsource: {product: aws}\nfilter:\n  rules: [a]\n  sel: {x: 1}\n  condition: sel\n---\n\
         title: c\ncorrelation:\n  type: event_count\n  rules: [f]\n  group-by: [x]\n  timespan: 1m\n  \
         condition: {gte: 1}\n",
    );
    let correlator = Correlator::new(rules.rules());
    let skipped: Vec<u32> = correlator.skipped().iter().map(|(r, _)| r.0).collect();
    assert_eq!(skipped.len(), 3, "{:?}", correlator.skipped());
    assert!(
        correlator
            .skipped()
            .iter()
            .any(|(_, why)| why.contains("cycle"))
    );
    assert!(
        correlator
            .skipped()
            .iter()
            .any(|(_, why)| why.contains("filter"))
    );
}

#[test]
fn untimed_matches_are_counted_not_correlated() {
    let rules = burst("{gte: 1}", "1m", "[ip]");
    let correlator = Correlator::new(rules.rules());
    let mut collector = correlator.collector();
    let mut verdicts = Vec::new();
    let mut scanner = rules.scanner();
    let found = scanner.scan(br#"{"status":403,"ip":"a"}"#).unwrap();
    assert!(found.timestamp.is_none());
    let input = InputSource::Path("x".into());
    let view = found.view().unwrap();
    collector.record(found.rules, None, &view, &input, 1, &mut verdicts);
    let observations = collector.take();
    assert_eq!((observations.len(), observations.untimed()), (0, 1));
    assert!(correlator.finish(observations).is_empty());
}

#[test]
fn jsonl_line_carries_rule_group_window_aggregate_and_events() {
    let rules = value_rule("value_sum", "{field: bytes, gt: 100}");
    let found = hunt(&rules, &[flow(0, "a", json!(60)), flow(5, "a", json!(50))]).matches;
    let mut out = Vec::new();
    write_correlation_json(&mut out, rules.rules().rule(found[0].rule), &found[0]);
    let line: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        line,
        json!({
            "rule": {"id": null, "title": "agg", "level": null, "tags": [], "path": "t.yml"},
            "group": {"src": "a", "dst": "10.0.0.9"},
            "window": {"start": at(0), "end": at(5)},
            "aggregate": {"type": "value_sum", "value": 110, "field": "bytes"},
            "events": {"count": 2, "first": [
                {"path": "events.jsonl", "record": 1},
                {"path": "events.jsonl", "record": 2}
            ]}
        })
    );
    assert!(out.ends_with(b"}\n"));
}
