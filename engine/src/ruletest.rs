//! Rule tests: example events beside each rule that must match, or must not.
//!
//! A rule `rules/cloudtrail/stop_logging.yml` has its examples in
//! `rules/cloudtrail/stop_logging.tests.yml`:
//!
//! ```yaml
//! matches:
//!   - name: trail stopped by an IAM user
//!     event: {"eventSource": "cloudtrail.amazonaws.com", "eventName": "StopLogging"}
//! non_matches:
//!   - name: trail described
//!     event: {"eventSource": "cloudtrail.amazonaws.com", "eventName": "DescribeTrails"}
//! ```
//!
//! Each event is evaluated against the rules of the rule file, exactly (no log source routing:
//! the example is taken to be of the rule's own log source), and must match at least one of
//! them (`matches`) or none (`non_matches`).

use crate::eval::Evaluator;
use sigil_compiler::{RuleId, RuleSet, SourceId};
use sigil_compiler::{YamlNode as Node, parse_yaml as parse_documents};
use std::path::{Path, PathBuf};

/// One example event.
#[derive(Clone, Debug)]
pub struct TestCase {
    /// The case's name.
    pub name: String,
    /// The event, as compact JSON.
    pub event: String,
    /// Whether the rule must match it.
    pub must_match: bool,
}

/// The test file that belongs to a rule file, if it exists.
pub fn tests_path(rule_file: &Path) -> Option<PathBuf> {
    let stem = rule_file.file_stem()?.to_str()?;
    let extension = rule_file.extension()?.to_str()?;
    let path = rule_file.with_file_name(format!("{stem}.tests.{extension}"));
    path.is_file().then_some(path)
}

/// Reads a test file.
pub fn load_tests(path: &Path) -> Result<Vec<TestCase>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let docs = parse_documents(SourceId(0), &text)
        .map_err(|d| format!("{}: {}", path.display(), d.message))?;
    let doc = docs
        .first()
        .ok_or_else(|| format!("{}: empty test file", path.display()))?;
    let mut cases = Vec::new();
    for (key, must_match) in [("matches", true), ("non_matches", false)] {
        let Some(list) = doc.get(key) else { continue };
        let items: Vec<&Node> = match &list.value {
            sigil_compiler::YamlValue::Seq(items) => items.iter().collect(),
            _ => {
                return Err(format!(
                    "{}: `{key}` must be a list of cases",
                    path.display()
                ));
            }
        };
        for (i, item) in items.into_iter().enumerate() {
            let name = item
                .get("name")
                .and_then(Node::as_str)
                .map_or_else(|| format!("{key}[{i}]"), str::to_string);
            let event = item
                .get("event")
                .ok_or_else(|| format!("{}: case `{name}` has no `event`", path.display()))?
                .to_json()
                .map_err(|e| format!("{}: case `{name}`: {e}", path.display()))?;
            if !event.is_object() {
                return Err(format!(
                    "{}: case `{name}`: the event must be a mapping",
                    path.display()
                ));
            }
            cases.push(TestCase {
                name,
                event: event.to_string(),
                must_match,
            });
        }
    }
    Ok(cases)
}

/// The outcome of one case.
#[derive(Clone, Debug)]
pub struct CaseResult {
    /// The case.
    pub case: TestCase,
    /// The rules (of the tested set) that matched the event.
    pub matched: Vec<RuleId>,
}

impl CaseResult {
    /// Whether the case passed.
    pub fn passed(&self) -> bool {
        self.case.must_match != self.matched.is_empty()
    }
}

/// Evaluates every case against `rules` (the detection rules of one rule file).
pub fn run_cases(ruleset: &RuleSet, rules: &[RuleId], cases: Vec<TestCase>) -> Vec<CaseResult> {
    let mut evaluator = Evaluator::new(ruleset);
    cases
        .into_iter()
        .map(|case| {
            let mut bytes = case.event.clone().into_bytes();
            let matched = match simd_json::to_borrowed_value(&mut bytes) {
                Ok(record) => {
                    let mut matched = Vec::new();
                    evaluator.matching_rules(&record, rules.iter().copied(), &mut matched);
                    matched
                }
                Err(_) => Vec::new(),
            };
            CaseResult { case, matched }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_cases_against_a_rule() {
        let dir = tempfile::tempdir().unwrap();
        let tests = dir.path().join("r.tests.yml");
        std::fs::write(
            &tests,
            "matches:\n  - name: hit\n    event: {eventName: StopLogging}\n\
             non_matches:\n  - name: miss\n    event: {eventName: StartLogging}\n  - name: wrong\n    event: {eventName: StopLogging}\n",
        )
        .unwrap();
        let loaded = sigil_compiler::load_str(
            "r.yml".as_ref(),
            "title: t\nlogsource: {product: aws}\ndetection:\n  sel: {eventName: StopLogging}\n  condition: sel\n",
            &Default::default(),
        );
        let cases = load_tests(&tests).unwrap();
        let results = run_cases(&loaded.rules, &[RuleId(0)], cases);
        let passed: Vec<bool> = results.iter().map(CaseResult::passed).collect();
        assert_eq!(passed, [true, true, false]);
        assert_eq!(tests_path(&dir.path().join("r.yml")), Some(tests));
    }
}
