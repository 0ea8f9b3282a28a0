//! Sigma filters give the matches pySigma gives: for every case of `tests/filters/cases/`, the
//! rules of `tests/filters/rules.yml` with that case's filters are hunted by `sigil hunt` (with
//! the prefilter on and off) and converted to SQLite by pySigma (`scripts/pysigma_matches.py`,
//! which applies filters as `sigma convert --filter` does), whose queries run over the same
//! events; the (rule, event) pairs must be the same. The cases cover `not` filters, plain
//! selections, several filters on one rule, log sources that do and do not cover the rule, and
//! filter searches named like the rule's under `1 of them`.
//!
//! Skipped, with a notice, when pySigma and its SQLite backend are not installed (`pip install
//! pysigma pysigma-backend-sqlite`), except under `CI=true`, where that is a failure.

mod support;

use std::path::{Path, PathBuf};
use support::pysigma::{Pairs, pysigma_available, root};

fn events() -> PathBuf {
    root().join("tests/filters/events.jsonl")
}

fn pysigma(files: &[&Path]) -> Pairs {
    support::pysigma::pysigma(&events(), &[], files)
}

fn sigil(files: &[&Path], prefilter: bool) -> Pairs {
    support::pysigma::sigil(&events(), &[], files, prefilter)
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
