//! Sigma filters give the matches pySigma gives: for every case of `tests/filters/cases/`, the
//! rules of `tests/filters/rules.yml` with that case's filters are hunted by `sigil hunt` (with
//! the prefilter on and off) and converted to SQLite by pySigma (`scripts/pysigma_filters.py`,
//! which applies filters as `sigma convert --filter` does), whose queries run over the same
//! events; the (rule, event) pairs must be the same. The cases cover `not` filters, plain
//! selections, several filters on one rule, log sources that do and do not cover the rule, and
//! filter searches named like the rule's under `1 of them`.
//!
//! Skipped, with a notice, when pySigma and its SQLite backend are not installed (`pip install
//! pysigma pysigma-backend-sqlite`), except under `CI=true`, where that is a failure.

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

type Pairs = BTreeSet<(String, String)>;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn pysigma_available() -> bool {
    let available = std::process::Command::new("python3")
        .args(["-c", "import sigma.collection, sigma.backends.sqlite"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "pySigma is required under CI=true (pip install pysigma pysigma-backend-sqlite)"
        );
        println!(
            "NOTICE: skipped: python3 with pySigma is not available \
             (pip install pysigma pysigma-backend-sqlite)"
        );
    }
    available
}

/// The (rule id, eventID) pairs pySigma's SQL selects from the events.
fn pysigma(files: &[&Path]) -> Pairs {
    let output = std::process::Command::new("python3")
        .arg(root().join("scripts/pysigma_filters.py"))
        .arg(root().join("tests/filters/events.jsonl"))
        .args(files)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "pysigma_filters.py: {stderr}");
    let pairs: Vec<(String, String)> = serde_json::from_slice(&output.stdout).unwrap();
    pairs.into_iter().collect()
}

/// The (rule id, eventID) pairs `sigil hunt` writes.
fn sigil(files: &[&Path], prefilter: bool) -> Pairs {
    let mut command = Command::cargo_bin("sigil").unwrap();
    command.arg("hunt");
    for file in files {
        command.arg("-r").arg(file);
    }
    command.args(["--logsource", "aws/cloudtrail", "--format", "jsonl"]);
    if !prefilter {
        command.arg("--no-prefilter");
    }
    let output = command
        .arg(root().join("tests/filters/events.jsonl"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let m: Value = serde_json::from_str(line).unwrap();
            let rule = m["rule"]["id"].as_str().unwrap().to_string();
            (rule, m["event"]["eventID"].as_str().unwrap().to_string())
        })
        .collect()
}

#[test]
fn filters_give_the_matches_pysigma_gives() {
    if !pysigma_available() {
        return;
    }
    let rules = root().join("tests/filters/rules.yml");
    let unfiltered = pysigma(&[&rules]);
    assert_eq!(sigil(&[&rules], true), unfiltered);
    let mut cases: Vec<PathBuf> = std::fs::read_dir(root().join("tests/filters/cases"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    cases.sort();
    assert!(cases.len() >= 5);
    for case in &cases {
        let files = [rules.as_path(), case.as_path()];
        let expected = pysigma(&files);
        let name = case.file_name().unwrap().to_string_lossy();
        println!(
            "{name}: {} matches (of {} unfiltered)",
            expected.len(),
            unfiltered.len()
        );
        // Each case's filters change pySigma's answer, so agreeing on it means something.
        assert_ne!(expected, unfiltered, "{name}: the filters change nothing");
        assert_eq!(sigil(&files, true), expected, "{name}, prefilter on");
        assert_eq!(sigil(&files, false), expected, "{name}, prefilter off");
    }
}
