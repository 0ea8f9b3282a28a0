//! Same answers as SQL: the runbook's four Athena queries, run by DuckDB
//! (`scripts/correlate_duckdb.py`) over a generated corpus, against the bundled correlation
//! rules (`rules/correlations/`) evaluated by the [`Correlator`] over the same events.
//!
//! Records come from the generator's streams and are parsed by the minimal parsers of
//! `correlate_sql_support` (the engine's own readers are not used, so this test checks
//! correlation alone); the same parsed values fill the SQL tables. `tests/correlate_sql_hunt.rs`
//! asks the same questions of the `sigil hunt` command over files.
//!
//! Skipped, with a notice, when `python3 -c 'import duckdb'` fails.

use crate::support::correlate_sql::{
    CHECKS, Groups, Parsed, ROOT_RULE, compare, compare_root, duckdb, duckdb_available, parse,
    peaks, rule_named, whole_range_rules,
};
use sigil_compiler::{LoadOptions, RuleSet, load_paths, load_str};
use sigil_corpus::{Config, Generator, Size, Source};
use sigil_engine::correlate::{CorrelationMatch, Correlator, Observations};
use sigil_engine::{Engine, InputSource};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn corpus() -> Vec<Parsed> {
    let generator = Generator::new(Config {
        seed: 11,
        size: Size::Events(4_000),
        plants_per_scenario: 3,
        ..Config::default()
    });
    let mut parsed = Vec::new();
    for source in [
        Source::CloudTrail,
        Source::VpcFlow,
        Source::GuardDuty,
        Source::Alb,
        Source::CloudFront,
    ] {
        let stream = generator.stream(source);
        let headers: Vec<String> = stream
            .streams()
            .iter()
            .map(|s| s.header.clone().unwrap_or_default())
            .collect();
        for record in stream {
            let header = &headers[record.stream];
            parsed.push(Parsed {
                source,
                record: parse(source, header, &record.text),
            });
        }
    }
    parsed
}

/// Runs every detection rule of `rules` over the corpus and correlates; returns the
/// correlation matches and the event ids the root rule matched.
fn correlate(engine: &Engine, corpus: &[Parsed]) -> (Vec<CorrelationMatch>, Vec<String>) {
    let rules = engine.rules();
    let correlator = Correlator::new(rules);
    let root_rule = rule_named(rules, ROOT_RULE);
    let mut scanner = engine.scanner();
    let mut collector = correlator.collector();
    let mut all = Observations::default();
    let (mut verdicts, mut root_ids) = (Vec::new(), Vec::new());
    for (index, item) in corpus.iter().enumerate() {
        let found = scanner.scan(item.record.to_string().as_bytes()).unwrap();
        if found.rules.contains(&root_rule) {
            root_ids.push(item.record["eventID"].as_str().unwrap().to_string());
        }
        let input = InputSource::Path(item.source.name().into());
        if let Some(view) = found.view() {
            let number = index as u64 + 1;
            collector.record(
                found.rules,
                found.timestamp,
                &view,
                &input,
                number,
                &mut verdicts,
            );
        }
        if index % 5_000 == 0 {
            all.append(collector.take());
        }
    }
    all.append(collector.take());
    root_ids.sort();
    (correlator.finish(all), root_ids)
}

/// The largest value per group of one correlation's matches.
fn groups_of(rules: &RuleSet, matches: &[CorrelationMatch], name: &str) -> Groups {
    let rule = rule_named(rules, name);
    peaks(
        matches
            .iter()
            .filter(|m| m.rule == rule)
            .map(|m| (m.group.iter().map(|(_, v)| v.clone()).collect(), m.value)),
    )
}

#[test]
fn the_bundled_correlations_give_the_runbook_sql_answers() {
    if !duckdb_available() {
        return;
    }
    let folder = root().join("rules/correlations");
    let loaded = load_paths(std::slice::from_ref(&folder), &LoadOptions::default());
    assert_eq!(loaded.refused, 0);
    let corpus = corpus();
    let engine = crate::support::any_source_engine(loaded.rules);
    let (matches, root_ids) = correlate(&engine, &corpus);
    let whole_range = load_str(
        "whole-range.yml".as_ref(),
        &whole_range_rules(&root()),
        &LoadOptions::default(),
    );
    assert_eq!(whole_range.refused, 0);
    let whole_range = crate::support::any_source_engine(whole_range.rules);
    let (whole_range_matches, _) = correlate(&whole_range, &corpus);
    let sql = duckdb(&root(), &corpus);

    compare_root(&root_ids, &sql);
    for check in &CHECKS {
        let (rules, found) = if check.whole_range {
            (whole_range.rules(), &whole_range_matches)
        } else {
            (engine.rules(), &matches)
        };
        compare(check, &groups_of(rules, found, check.rule), &sql);
    }
    // Over one hour, a one-day window gives one match per finding type, counting them all.
    let rule = rule_named(engine.rules(), "sigil_guardduty_findings_by_type");
    let per_type = matches.iter().filter(|m| m.rule == rule).count();
    assert_eq!(per_type, sql["guardduty_by_type"].as_array().unwrap().len());
}
