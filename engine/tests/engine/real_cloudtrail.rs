//! SigmaHQ's AWS CloudTrail rules over the real CloudTrail samples in `../shared/data`.
//!
//! Every record of the three public data sets must frame and parse (no record skipped), and the
//! matches per rule are printed so the run's log records them. Skipped, with a notice, when the
//! data are absent.

use sigil_compiler::{LoadOptions, load_paths};
use sigil_engine::{Engine, ScanOptions};
use std::path::PathBuf;

fn shared(path: &str) -> Option<PathBuf> {
    let full = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data")
        .join(path);
    if full.exists() {
        Some(full)
    } else {
        eprintln!(
            "notice: {} is absent; real-data test skipped",
            full.display()
        );
        None
    }
}

#[test]
fn sigmahq_aws_rules_over_real_cloudtrail() {
    let (Some(rules), Some(invictus), Some(stratus), Some(otrf)) = (
        shared("sigmahq-rules/rules/cloud/aws/cloudtrail"),
        shared("invictus-ir-aws-dataset/AWSLogs"),
        shared("stratus-red-team-detonation-logs"),
        shared("otrf-security-datasets-aws"),
    ) else {
        return;
    };
    let loaded = load_paths(&[rules], &LoadOptions::default());
    assert_eq!(loaded.refused, 0);
    let engine = Engine::new(loaded.rules, ScanOptions::default());
    let json_files = |dir: PathBuf| -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        files
    };
    let mut inputs = vec![invictus];
    inputs.extend(json_files(stratus));
    inputs.extend(json_files(otrf));
    let (out, stats) = crate::support::hunt_jsonl(&engine, &inputs);
    assert_eq!(stats.records, 2_900 + 310 + 103, "every record framed");
    assert_eq!(
        (stats.bad_records, stats.scanned),
        (0, stats.records),
        "{:?}",
        stats.problems
    );
    assert!(stats.problems.is_empty(), "{:?}", stats.problems);
    let mut per_rule: Vec<(u64, &str)> = stats
        .matches_per_rule
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(i, n)| (*n, engine.rules().rules()[i].meta.title.as_str()))
        .collect();
    per_rule.sort_by(|a, b| b.cmp(a));
    println!(
        "matches per rule over {} real CloudTrail records:",
        stats.records
    );
    for (n, title) in &per_rule {
        println!("{n:>6}  {title}");
    }
    // Hand-checked anchors: Stratus detonates `cloudtrail-stop` (StopLogging) and the Invictus
    // data set holds the same technique; SigmaHQ's "AWS CloudTrail Important Change" covers it.
    let count = |title: &str| {
        per_rule
            .iter()
            .find(|(_, t)| *t == title)
            .map_or(0, |(n, _)| *n)
    };
    assert!(count("AWS CloudTrail Important Change") >= 2);
    assert!(count("AWS STS AssumeRole Misuse") > 0);
    assert_eq!(
        out.iter().filter(|&&b| b == b'\n').count() as u64,
        stats.matches()
    );
}
