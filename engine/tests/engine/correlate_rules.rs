//! The bundled correlation rules (`rules/correlations/`): every example of every rule file
//! passes, detection examples and correlation examples alike.

use sigil_compiler::{LoadOptions, RuleId, RuleKind, load_paths};
use sigil_engine::correlate::{Correlator, load_correlation_tests, run_correlation_cases};
use sigil_engine::ruletest::{load_tests, run_cases, tests_path};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules/correlations")
}

#[test]
fn every_example_of_the_bundled_correlation_rules_passes() {
    let loaded = load_paths(&[folder()], &LoadOptions::default());
    assert_eq!(loaded.refused, 0, "{:#?}", loaded.diagnostics);
    let correlator = Correlator::new(&loaded.rules);
    assert!(
        correlator.skipped().is_empty(),
        "{:?}",
        correlator.skipped()
    );
    let mut by_file: BTreeMap<PathBuf, Vec<(RuleId, bool)>> = BTreeMap::new();
    for (id, rule) in loaded.rules.iter() {
        let correlation = matches!(rule.kind, RuleKind::Correlation(_));
        by_file
            .entry(rule.meta.path.clone())
            .or_default()
            .push((id, correlation));
    }
    assert_eq!(by_file.len(), 4);
    for (file, rules) in &by_file {
        let tests = tests_path(file).unwrap_or_else(|| panic!("{} has no tests", file.display()));
        let detections: Vec<RuleId> = rules.iter().filter(|r| !r.1).map(|r| r.0).collect();
        let correlations: Vec<RuleId> = rules.iter().filter(|r| r.1).map(|r| r.0).collect();
        let cases = load_tests(&tests).unwrap();
        assert!(cases.iter().any(|c| c.must_match) && cases.iter().any(|c| !c.must_match));
        for result in run_cases(&loaded.rules, &detections, cases) {
            assert!(
                result.passed(),
                "{}: case `{}`",
                file.display(),
                result.case.name
            );
        }
        let cases = load_correlation_tests(&tests).unwrap();
        if correlations.is_empty() {
            assert!(cases.is_empty());
            continue;
        }
        assert!(cases.iter().any(|c| c.must_match) && cases.iter().any(|c| !c.must_match));
        for result in run_correlation_cases(&loaded.rules, &correlations, cases) {
            assert!(
                result.passed(),
                "{}: case `{}`: {:#?}",
                file.display(),
                result.case.name,
                result.matches
            );
        }
    }
}

#[test]
fn the_guardduty_report_counts_each_type() {
    let loaded = load_paths(&[folder()], &LoadOptions::default());
    let file = folder().join("aws_guardduty_findings_by_type.tests.yml");
    let tested: Vec<RuleId> = loaded
        .rules
        .iter()
        .filter(|(_, r)| r.meta.name.as_deref() == Some("sigil_guardduty_findings_by_type"))
        .map(|(id, _)| id)
        .collect();
    let cases = load_correlation_tests(&file).unwrap();
    let result = &run_correlation_cases(&loaded.rules, &tested, cases)[0];
    let counts: Vec<(Option<&str>, f64)> = result
        .matches
        .iter()
        .map(|m| (m.group[0].1.as_deref(), m.value))
        .collect();
    assert_eq!(
        counts,
        [
            (Some("Recon:EC2/PortProbeUnprotectedPort"), 3.0),
            (Some("CryptoCurrency:EC2/BitcoinTool.B!DNS"), 1.0)
        ]
    );
}
