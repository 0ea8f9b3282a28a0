//! Counters of what the watcher did, served as Prometheus text on `GET /metrics`.
//!
//! | metric | type | labels | what |
//! |---|---|---|---|
//! | `sigil_records_total` | counter | | records framed (good or bad) |
//! | `sigil_bad_records_total` | counter | | records that could not be read (broken JSON, overlong...) |
//! | `sigil_input_errors_total` | counter | | inputs (or parts) that could not be read |
//! | `sigil_matches_total` | counter | `rule` | matches per rule title (correlations included) |
//! | `sigil_deliveries_total` | counter | `sink`, `outcome` | batches per sink: `ok`, `spooled` (queued on disk), `failed` (a try that failed) |
//! | `sigil_delivery_retries_total` | counter | `sink` | tries after a failed one |
//! | `sigil_spooled_batches` | gauge | `sink` | batches waiting in a sink's queue |
//! | `sigil_delivery_lag_seconds` | gauge | | for the last delivery, from its first alert's scan to every sink's acknowledgement |
//! | `sigil_intake_requests_total` | counter | `kind`, `status` | HTTP intake requests by payload kind and answer |
//! | `sigil_intake_refused_total` | counter | `kind`, `reason` | intake requests refused for memory: `busy` (`503`, sent again later), `too_large` (`413`) |
//! | `sigil_intake_bytes` | gauge | | bytes held by intake requests in flight (read, decoded, queued, scanning, awaiting delivery) |
//! | `sigil_intake_bytes_limit` | gauge | | the most they may hold (`--intake-bytes`) |
//! | `sigil_rules_loaded` | gauge | | rules in force |
//! | `sigil_reloads_total` | counter | `outcome` | reloads: `ok`, or `refused` (the old rules kept) |
//! | `sigil_correlation_groups` | gauge | `rule` | groups held by a live correlation |
//! | `sigil_correlation_evicted_total` | counter | `rule`, `what` | `groups` or `events` dropped to stay within the limits |
//! | `sigil_correlation_late_events_total` | counter | `rule` | events too late for any window still open |
//! | `sigil_correlations_restored` | gauge | | correlations whose state was kept at the last start or reload |
//!
//! The exposition format is plain text; label values are escaped as it requires (`\`, `"`,
//! newlines).

use sigil_compiler::RuleSet;
use sigil_engine::HuntStats;
use sigil_engine::correlate::LiveCounts;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

/// The watcher's counters (see the module docs). Shared by every part of the watcher.
#[derive(Debug, Default)]
pub struct Metrics {
    values: Mutex<BTreeMap<(&'static str, String), f64>>,
}

/// A metric's type and help line.
fn describe(name: &str) -> (&'static str, &'static str) {
    match name {
        "sigil_records_total" => ("counter", "Records framed, good or bad."),
        "sigil_bad_records_total" => ("counter", "Records that could not be read."),
        "sigil_input_errors_total" => (
            "counter",
            "Inputs, or parts of inputs, that could not be read.",
        ),
        "sigil_matches_total" => ("counter", "Matches per rule."),
        "sigil_deliveries_total" => (
            "counter",
            "Delivery attempts of batches of matches, per sink and outcome.",
        ),
        "sigil_delivery_retries_total" => ("counter", "Delivery tries after a failed one."),
        "sigil_spooled_batches" => ("gauge", "Batches waiting in a sink's queue."),
        "sigil_delivery_lag_seconds" => (
            "gauge",
            "From scan to the acknowledgement of every sink, for the last delivery.",
        ),
        "sigil_intake_requests_total" => (
            "counter",
            "HTTP intake requests by payload kind and status.",
        ),
        "sigil_intake_refused_total" => (
            "counter",
            "HTTP intake requests refused for memory, by payload kind and reason.",
        ),
        "sigil_intake_bytes" => ("gauge", "Bytes held by HTTP intake requests in flight."),
        "sigil_intake_bytes_limit" => (
            "gauge",
            "The most bytes HTTP intake requests in flight may hold.",
        ),
        "sigil_rules_loaded" => ("gauge", "Rules in force."),
        "sigil_reloads_total" => ("counter", "Rule reloads by outcome."),
        "sigil_correlation_groups" => ("gauge", "Groups held by a live correlation."),
        "sigil_correlation_evicted_total" => (
            "counter",
            "Groups or events a live correlation dropped to stay within its limits.",
        ),
        "sigil_correlation_late_events_total" => {
            ("counter", "Events too late for any window still open.")
        }
        "sigil_correlations_restored" => (
            "gauge",
            "Correlations whose state was kept at the last start or reload.",
        ),
        _ => ("untyped", ""),
    }
}

/// Labels in the exposition format: `{a="x",b="y"}`, values escaped.
fn labels(pairs: &[(&str, &str)]) -> String {
    if pairs.is_empty() {
        return String::new();
    }
    let inner: Vec<String> = pairs
        .iter()
        .map(|(name, value)| {
            let value = value
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n");
            format!("{name}=\"{value}\"")
        })
        .collect();
    format!("{{{}}}", inner.join(","))
}

impl Metrics {
    /// Adds `n` to a counter.
    pub fn add(&self, name: &'static str, pairs: &[(&str, &str)], n: f64) {
        let mut values = self.values.lock().expect("metrics lock");
        *values.entry((name, labels(pairs))).or_default() += n;
    }

    /// Sets a gauge.
    pub fn set(&self, name: &'static str, pairs: &[(&str, &str)], value: f64) {
        let mut values = self.values.lock().expect("metrics lock");
        values.insert((name, labels(pairs)), value);
    }

    /// The value of a metric (0 when never set), for tests and health checks.
    pub fn get(&self, name: &'static str, pairs: &[(&str, &str)]) -> f64 {
        let values = self.values.lock().expect("metrics lock");
        values.get(&(name, labels(pairs))).copied().unwrap_or(0.0)
    }

    /// Counts what a scanning step did.
    pub fn scanned(&self, rules: &RuleSet, stats: &HuntStats) {
        self.add("sigil_records_total", &[], stats.records as f64);
        self.add("sigil_bad_records_total", &[], stats.bad_records as f64);
        let input_errors = stats.unreadable_files
            + stats.problems.iter().filter(|p| p.record.is_none()).count() as u64;
        self.add("sigil_input_errors_total", &[], input_errors as f64);
        for (index, &n) in stats.matches_per_rule.iter().enumerate() {
            if n > 0 {
                let title = &rules.rules()[index].meta.title;
                self.add("sigil_matches_total", &[("rule", title)], n as f64);
            }
        }
    }

    /// Sets the rules in force.
    pub fn rules_loaded(&self, rules: &RuleSet) {
        self.set("sigil_rules_loaded", &[], rules.len() as f64);
    }

    /// Notes how many correlations kept their state through a restart or reload.
    pub fn correlations_restored(&self, kept: usize) {
        self.set("sigil_correlations_restored", &[], kept as f64);
    }

    /// Sets the live correlations' counts, per rule title.
    pub fn correlations(&self, counts: &[(String, LiveCounts)]) {
        for (title, counts) in counts {
            let rule = title.as_str();
            self.set(
                "sigil_correlation_groups",
                &[("rule", rule)],
                counts.groups as f64,
            );
            let evicted = [
                ("groups", counts.evicted_groups),
                ("events", counts.evicted_events),
            ];
            for (what, n) in evicted {
                self.set(
                    "sigil_correlation_evicted_total",
                    &[("rule", rule), ("what", what)],
                    n as f64,
                );
            }
            self.set(
                "sigil_correlation_late_events_total",
                &[("rule", rule)],
                counts.late as f64,
            );
        }
    }

    /// The exposition text.
    pub fn render(&self) -> String {
        let values = self.values.lock().expect("metrics lock");
        let mut out = String::new();
        let mut last = "";
        for ((name, labels), value) in values.iter() {
            if *name != last {
                let (kind, help) = describe(name);
                let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
                last = name;
            }
            let _ = writeln!(out, "{name}{labels} {value}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_and_metrics_grouped() {
        let metrics = Metrics::default();
        metrics.add(
            "sigil_matches_total",
            &[("rule", "a \"quoted\" \\ rule")],
            2.0,
        );
        metrics.add("sigil_matches_total", &[("rule", "b")], 1.0);
        metrics.add("sigil_records_total", &[], 5.0);
        let text = metrics.render();
        assert!(text.contains("sigil_matches_total{rule=\"a \\\"quoted\\\" \\\\ rule\"} 2\n"));
        assert_eq!(
            text.matches("# TYPE sigil_matches_total counter").count(),
            1
        );
        assert!(text.contains("sigil_records_total 5\n"));
    }
}
