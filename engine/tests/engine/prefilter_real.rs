//! The prefilter changes no match on real and generated logs: every data set in `../shared/data`
//! and a generated corpus are hunted with the prefilter on and off, and the outputs must be
//! byte-identical. Rules: SigmaHQ's AWS rules and the bundled pack (`rules/`), and the whole
//! SigmaHQ rule set forced onto CloudTrail (thousands of rules, most of them with literals that
//! never occur). Skipped, with a notice, when the shared data are absent.

use crate::support::hunt_jsonl;
use crate::support::prefilter::Pair;
use sigil_compiler::{LoadOptions, RuleSet, load_paths};
use sigil_corpus::{Config, Generator, Size, Source};
use sigil_engine::ScanOptions;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn shared() -> Option<PathBuf> {
    let data = root().join("../shared/data");
    if data.join("sigmahq-rules").exists() {
        Some(data)
    } else {
        eprintln!(
            "notice: {} is absent; real-data test skipped",
            data.display()
        );
        None
    }
}

/// SigmaHQ's AWS rules and whatever the bundled pack holds.
fn aws_rules(data: &Path) -> Vec<PathBuf> {
    let mut paths = vec![data.join("sigmahq-rules/rules/cloud/aws")];
    let bundled = root().join("rules");
    if bundled.is_dir() {
        paths.push(bundled);
    }
    paths
}

fn load(paths: &[PathBuf]) -> RuleSet {
    load_paths(paths, &LoadOptions::default()).rules
}

/// Hunts `inputs` both ways and demands the same output, and that there was something to
/// compare: records read and matches found.
fn same_hunt(pair: &Pair, inputs: &[PathBuf], what: &str) {
    let (with, stats) = hunt_jsonl(&pair.on, inputs);
    let (without, stats_off) = hunt_jsonl(&pair.off, inputs);
    assert!(
        stats.records > 0 && stats.matches() > 0,
        "{what}: nothing was compared ({} records, {} matches)",
        stats.records,
        stats.matches()
    );
    assert_eq!(stats.records, stats_off.records, "{what}");
    assert_eq!(stats.matches_per_rule, stats_off.matches_per_rule, "{what}");
    assert!(with == without, "{what}: outputs differ");
    eprintln!(
        "{what}: {} rules, {} records, {} parsed with the prefilter ({} without), {} matches, \
         {:.2} rules evaluated per record ({:.2} without)",
        pair.on.rules().len(),
        stats.records,
        stats.scan.parsed,
        stats_off.scan.parsed,
        stats.matches(),
        stats.scan.rules_per_record(),
        stats_off.scan.rules_per_record(),
    );
}

/// Every data set except the rules themselves.
fn data_sets(data: &Path) -> Vec<PathBuf> {
    let mut sets: Vec<PathBuf> = std::fs::read_dir(data)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() && !p.ends_with("sigmahq-rules"))
        .collect();
    sets.sort();
    sets
}

#[test]
fn aws_rules_over_all_real_data() {
    let Some(data) = shared() else { return };
    let rules = aws_rules(&data);
    let pair = Pair::new(|| load(&rules), ScanOptions::default());
    same_hunt(&pair, &data_sets(&data), "AWS rules over all real data");
}

/// The same with every set of rules narrowed to the rules each record's keys allow, which by
/// default only sets too big for a DFA are.
#[test]
fn aws_rules_over_all_real_data_narrowed() {
    let Some(data) = shared() else { return };
    let rules = aws_rules(&data);
    let pair = Pair::narrowing_above(|| load(&rules), ScanOptions::default(), Some(0));
    same_hunt(
        &pair,
        &data_sets(&data),
        "AWS rules over all real data, narrowed",
    );
}

/// A rule file's text with every top-level `logsource` replaced by CloudTrail's.
fn as_cloudtrail(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_logsource = false;
    for line in text.lines() {
        if in_logsource && (line.starts_with(' ') || line.trim().is_empty()) {
            continue;
        }
        in_logsource = line.starts_with("logsource:");
        out.push_str(if in_logsource {
            "logsource: {product: aws, service: cloudtrail}"
        } else {
            line
        });
        out.push('\n');
    }
    out
}

/// Every SigmaHQ rule, rewritten as a CloudTrail rule into `dir`.
fn write_all_rules_as_cloudtrail(data: &Path, dir: &Path) {
    let rules = data.join("sigmahq-rules/rules");
    for entry in walkdir::WalkDir::new(&rules) {
        let path = entry.unwrap().into_path();
        if path.extension().is_some_and(|e| e == "yml") {
            let name = path
                .strip_prefix(&rules)
                .unwrap()
                .to_string_lossy()
                .replace('/', "_");
            let text = as_cloudtrail(&std::fs::read_to_string(&path).unwrap());
            std::fs::write(dir.join(name), text).unwrap();
        }
    }
}

#[test]
fn all_sigmahq_rules_as_cloudtrail_rules_over_real_cloudtrail() {
    let Some(data) = shared() else { return };
    let dir = tempfile::tempdir().unwrap();
    write_all_rules_as_cloudtrail(&data, dir.path());
    let rules = [dir.path().to_path_buf()];
    let pair = Pair::new(|| load(&rules), ScanOptions::default());
    assert!(pair.on.rules().len() > 3_000, "{}", pair.on.rules().len());
    // Without the prefilter every record meets 3,000 rules: a debug build checks a sample.
    let mut inputs = vec![
        data.join("stratus-red-team-detonation-logs"),
        data.join("otrf-security-datasets-aws"),
    ];
    if !cfg!(debug_assertions) {
        inputs.push(data.join("invictus-ir-aws-dataset"));
        inputs.push(data.join("panther-analysis-test-events/AWS_CloudTrail.jsonl"));
    }
    same_hunt(&pair, &inputs, "all SigmaHQ rules as CloudTrail rules");
}

#[test]
fn aws_rules_over_a_generated_corpus() {
    let Some(data) = shared() else { return };
    let rules = aws_rules(&data);
    let pair = Pair::new(|| load(&rules), ScanOptions::default());
    let generator = Generator::new(Config {
        seed: 4,
        size: Size::Events(3_000),
        sources: vec![Source::CloudTrail, Source::Waf, Source::GuardDuty],
        plants_per_scenario: 3,
        ..Config::default()
    });
    for source in [Source::CloudTrail, Source::Waf, Source::GuardDuty] {
        let records: Vec<String> = generator.stream(source).map(|r| r.text).collect();
        let (matches, spared) = pair
            .compare(records.iter().map(String::as_bytes))
            .unwrap_or_else(|difference| panic!("{}: {difference}", source.name()));
        eprintln!(
            "generated {}: {} records, {matches} matches, {spared} evaluations spared",
            source.name(),
            records.len()
        );
    }
}
