//! Same answers as SQL, end to end: a corpus generated as files (CloudTrail, VPC Flow, ALB,
//! CloudFront and GuardDuty in the flat layout), hunted by the `sigil` binary with the bundled
//! correlation rules (`sigil hunt -r rules/correlations DIR --format jsonl`), against the
//! runbook's queries run by DuckDB (`scripts/correlate_duckdb.py`) over the same files.
//!
//! The SQL side reads the files with the minimal parsers of
//! `engine/tests/engine/support/correlate_sql.rs` (not with Sigil's readers), so the two sides share only
//! the files. `engine/tests/engine/correlate_sql.rs` asks the same questions of the correlator alone.
//!
//! Skipped, with a notice, when `python3 -c 'import duckdb'` fails.

#[path = "../engine/tests/engine/support/correlate_sql.rs"]
mod correlate_sql_support;

use assert_cmd::Command;
use correlate_sql_support::{
    CHECKS, Groups, Parsed, ROOT_RULE, compare, compare_root, duckdb, duckdb_available, parse,
    peaks, rule_named, whole_range_rules,
};
use serde_json::Value;
use sigil_compiler::{LoadOptions, RuleSet, load_paths};
use sigil_corpus::{Config, Generator, Layout, Size, Source};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The sources the bundled correlations read.
const SOURCES: [Source; 5] = [
    Source::CloudTrail,
    Source::VpcFlow,
    Source::Alb,
    Source::CloudFront,
    Source::GuardDuty,
];

/// A generator for a corpus of about 4 MB: 1,000 benign records per source, every scenario
/// planted three times (so the 403 bursts and large transfers give groups).
fn generator() -> Generator {
    Generator::new(Config {
        seed: 29,
        size: Size::Events(1_000),
        sources: SOURCES.to_vec(),
        layout: Layout::Flat,
        plants_per_scenario: 3,
        ..Config::default()
    })
}

/// Every record of the flat files `generator` wrote to `dir`, read back from the files: each
/// file starts with its stream's header, then holds one record a line.
fn read_back(generator: &Generator, dir: &Path) -> Vec<Parsed> {
    let mut parsed = Vec::new();
    for source in SOURCES {
        let mut files: Vec<(&str, String)> = generator
            .stream(source)
            .streams()
            .iter()
            .map(|spec| (spec.flat_file, spec.header.clone().unwrap_or_default()))
            .collect();
        files.sort();
        files.dedup();
        for (name, header) in files {
            let text = std::fs::read_to_string(dir.join(name)).unwrap();
            let body = text.strip_prefix(header.as_str()).unwrap_or_else(|| {
                panic!("{name} does not start with its header");
            });
            parsed.extend(body.lines().map(|line| Parsed {
                source,
                record: parse(source, &header, line),
            }));
        }
    }
    parsed
}

/// Runs `sigil hunt -r RULES CORPUS --format jsonl`; returns its JSON lines.
fn hunt(rules: &Path, corpus: &Path) -> Vec<Value> {
    let output = Command::cargo_bin("sigil")
        .unwrap()
        .arg("hunt")
        .arg("-r")
        .arg(rules)
        .arg(corpus)
        .args(["--format", "jsonl"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// The `id:` of the rule named `name`.
fn rule_id<'a>(rules: &'a RuleSet, name: &str) -> &'a str {
    let rule = rules.rule(rule_named(rules, name));
    rule.meta.id.as_deref().unwrap()
}

/// The largest aggregate per group among the correlation matches of rule `id`.
fn groups_of(lines: &[Value], id: &str) -> Groups {
    peaks(
        lines
            .iter()
            .filter(|line| line["rule"]["id"] == id && line.get("group").is_some())
            .map(|line| {
                let group = line["group"].as_object().unwrap();
                let key = group
                    .values()
                    .map(|v| v.as_str().map(str::to_string))
                    .collect();
                (key, line["aggregate"]["value"].as_f64().unwrap())
            }),
    )
}

/// Prints one correlation match line, shortened, so the printout shows Sigil's own output.
fn show_line(line: &Value) {
    let mut short = line.clone();
    short["rule"] = line["rule"]["title"].clone();
    short["events"]["first"] = Value::from(line["events"]["first"].as_array().unwrap().len());
    println!("  {short}");
}

#[test]
fn sigil_hunt_gives_the_runbook_sql_answers() {
    if !duckdb_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    let generator = generator();
    let summary = generator.write(&corpus).unwrap();
    std::fs::remove_file(corpus.join(sigil_corpus::GROUND_TRUTH_FILE)).unwrap();
    println!(
        "corpus: {} records in {} files, {:.1} MB",
        summary.records,
        summary.files,
        summary.record_bytes as f64 / 1e6
    );
    let sql = duckdb(&root(), &read_back(&generator, &corpus));

    let folder = root().join("rules/correlations");
    let loaded = load_paths(std::slice::from_ref(&folder), &LoadOptions::default());
    assert_eq!(loaded.refused, 0);
    let whole_range = dir.path().join("whole-range.yml");
    std::fs::write(&whole_range, whole_range_rules(&root())).unwrap();
    let bundled_lines = hunt(&folder, &corpus);
    let whole_range_lines = hunt(&whole_range, &corpus);

    println!("== sigil hunt correlation matches (rules as bundled), first of each rule:");
    let mut seen = Vec::new();
    for line in bundled_lines.iter().filter(|l| l.get("group").is_some()) {
        if !seen.contains(&line["rule"]["id"]) {
            seen.push(line["rule"]["id"].clone());
            show_line(line);
        }
    }

    let root_id = rule_id(&loaded.rules, ROOT_RULE);
    let mut root_events: Vec<String> = bundled_lines
        .iter()
        .filter(|line| line["rule"]["id"] == root_id)
        .map(|line| line["event"]["eventID"].as_str().unwrap().to_string())
        .collect();
    root_events.sort();
    compare_root(&root_events, &sql);
    for check in &CHECKS {
        let lines = if check.whole_range {
            &whole_range_lines
        } else {
            &bundled_lines
        };
        let ours = groups_of(lines, rule_id(&loaded.rules, check.rule));
        compare(check, &ours, &sql);
    }
}
