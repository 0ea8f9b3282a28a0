//! `sigil test`: run each rule's example events (`<rule>.tests.yml`).

use super::diagnostics::TextRenderer;
use super::{Color, RuleArgs, exit};
use sigil_compiler::{RuleId, RuleKind, RuleSet};
use sigil_engine::correlate::{load_correlation_tests, run_correlation_cases};
use sigil_engine::ruletest::{load_tests, run_cases, tests_path};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `sigil test`.
#[derive(clap::Args, Debug)]
pub struct TestArgs {
    /// Rule files or folders.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Count a rule without a `.tests.yml`, or one without both a matching and a non-matching
    /// example, as a failure.
    #[arg(long)]
    require_tests: bool,
    #[command(flatten)]
    rules: RuleArgs,
}

/// Runs `sigil test`: exit 1 if any rule file fails.
pub fn run(args: &TestArgs, color: Color) -> ExitCode {
    let loaded = args.rules.load(&args.paths);
    let renderer = TextRenderer::for_stdout(color);
    for diag in loaded.diagnostics.iter().filter(|d| d.is_error()) {
        crate::outln!("{}\n", renderer.render(diag, &loaded.sources));
    }
    // Each rule file's detections and correlations, tested together from its `.tests.yml`.
    let mut by_file: BTreeMap<PathBuf, (Vec<RuleId>, Vec<RuleId>)> = BTreeMap::new();
    for (id, rule) in loaded.rules.iter() {
        let entry = by_file.entry(rule.meta.path.clone()).or_default();
        match rule.kind {
            RuleKind::Detection(_) => entry.0.push(id),
            RuleKind::Correlation(_) => entry.1.push(id),
            RuleKind::Filter(_) => {}
        }
    }
    let (mut passed, mut failed, mut skipped) = (0, loaded.refused, 0);
    for (file, (detections, correlations)) in &by_file {
        if detections.is_empty() && correlations.is_empty() {
            continue;
        }
        let Some(tests) = tests_path(file) else {
            if args.require_tests {
                crate::outln!("FAIL {}: no .tests.yml beside it", file.display());
                failed += 1;
            } else {
                crate::outln!("skip {}: no .tests.yml", file.display());
                skipped += 1;
            }
            continue;
        };
        match check_file(
            &loaded.rules,
            &tests,
            detections,
            correlations,
            args.require_tests,
        ) {
            Ok(cases) => {
                crate::outln!("ok   {} ({cases} cases)", file.display());
                passed += 1;
            }
            Err(problems) => {
                crate::outln!("FAIL {}", file.display());
                for problem in problems {
                    crate::outln!("  {problem}");
                }
                failed += 1;
            }
        }
    }
    let skipped_text = if skipped > 0 {
        format!(", {skipped} skipped")
    } else {
        String::new()
    };
    crate::outln!("{passed} passed, {failed} failed{skipped_text}");
    exit::code(if failed > 0 { exit::USAGE } else { exit::CLEAN })
}

/// Runs a file's example events against its detections and correlations: the number of cases,
/// or what failed (each failing case with its event).
fn check_file(
    rules: &RuleSet,
    tests: &Path,
    detections: &[RuleId],
    correlations: &[RuleId],
    require_examples: bool,
) -> Result<usize, Vec<String>> {
    let detection_cases = load_tests(tests).map_err(|message| vec![message])?;
    let correlation_cases = load_correlation_tests(tests).map_err(|message| vec![message])?;
    let mut problems = Vec::new();
    let both_kinds = |must: &mut dyn Iterator<Item = bool>| {
        let kinds: Vec<bool> = must.collect();
        kinds.contains(&true) && kinds.contains(&false)
    };
    if require_examples
        && !detections.is_empty()
        && !both_kinds(&mut detection_cases.iter().map(|c| c.must_match))
    {
        problems.push("needs at least one `matches` and one `non_matches` example".to_string());
    }
    if require_examples
        && !correlations.is_empty()
        && !both_kinds(&mut correlation_cases.iter().map(|c| c.must_match))
    {
        problems.push(
            "needs at least one `correlation_matches` and one `correlation_non_matches` example"
                .to_string(),
        );
    }
    let cases = detection_cases.len() + correlation_cases.len();
    for result in run_cases(rules, detections, detection_cases) {
        if result.passed() {
            continue;
        }
        if result.case.must_match {
            problems.push(format!(
                "case `{}`: expected a match, got none",
                result.case.name
            ));
        } else {
            let titles: Vec<&str> = result
                .matched
                .iter()
                .map(|&id| rules.rule(id).meta.title.as_str())
                .collect();
            problems.push(format!(
                "case `{}`: expected no match, matched by: {}",
                result.case.name,
                titles.join(", ")
            ));
        }
        problems.push(format!("  event: {}", result.case.event));
    }
    if !correlations.is_empty() {
        for result in run_correlation_cases(rules, correlations, correlation_cases) {
            if !result.passed() {
                let expected = match (result.case.must_match, result.case.count) {
                    (true, Some(n)) => format!("{n} correlation matches"),
                    (true, None) => "a correlation match".to_string(),
                    (false, _) => "no correlation match".to_string(),
                };
                problems.push(format!(
                    "case `{}`: expected {expected}, got {}",
                    result.case.name,
                    result.matches.len()
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(cases)
    } else {
        Err(problems)
    }
}
