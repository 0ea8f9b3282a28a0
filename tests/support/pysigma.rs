//! Matches as pySigma gives them and as `sigil hunt` gives them, for differential tests.
//!
//! pySigma converts the rules (with their filters and any processing pipelines) to SQLite
//! queries (`scripts/pysigma_matches.py`), which run over the events; Sigil hunts the same
//! events. Both answers are sets of (rule id, eventID) pairs.

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// (rule id, eventID) pairs.
pub type Pairs = BTreeSet<(String, String)>;

/// The package root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Whether python3 with pySigma and its SQLite backend can be run (see
/// [`python_available`](super::python::python_available)).
pub fn pysigma_available() -> bool {
    super::python::python_available(
        "import sigma.collection, sigma.backends.sqlite",
        "pip install pysigma pysigma-backend-sqlite",
    )
}

/// The pairs pySigma's SQL selects from `events` (NDJSON, each event with an `eventID`), for
/// the rule files `files` and the pipeline files `pipelines`.
pub fn pysigma(events: &Path, pipelines: &[&Path], files: &[&Path]) -> Pairs {
    let mut command = std::process::Command::new("python3");
    command
        .arg(root().join("scripts/pysigma_matches.py"))
        .arg(events);
    for pipeline in pipelines {
        command.arg("-p").arg(pipeline);
    }
    let output = command.args(files).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "pysigma_matches.py: {stderr}");
    let pairs: Vec<(String, String)> = serde_json::from_slice(&output.stdout).unwrap();
    pairs.into_iter().collect()
}

/// The pairs `sigil hunt` writes for the same events, rules and pipelines (each a file or a
/// built-in name), every record read as CloudTrail, with the prefilter on or off.
pub fn sigil(events: &Path, pipelines: &[&str], files: &[&Path], prefilter: bool) -> Pairs {
    let mut command = Command::cargo_bin("sigil").unwrap();
    command.arg("hunt");
    for file in files {
        command.arg("-r").arg(file);
    }
    for pipeline in pipelines {
        command.arg("-p").arg(pipeline);
    }
    command.args(["--logsource", "aws/cloudtrail", "--format", "jsonl"]);
    if !prefilter {
        command.arg("--no-prefilter");
    }
    let output = command.arg(events).output().unwrap();
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
