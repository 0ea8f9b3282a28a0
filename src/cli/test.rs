//! `sigil test`: run each rule's example events (`<rule>.tests.yml`); the failures as text,
//! or as a SARIF log for code-scanning CI (`--format sarif`, see [`super::sarif`]).

use super::diagnostics::TextRenderer;
use super::sarif::{Region, SarifLog, case_line};
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
    /// Output format.
    #[arg(long, value_enum, default_value_t = TestFormat::Text)]
    format: TestFormat,
    #[command(flatten)]
    rules: RuleArgs,
}

/// How `sigil test` reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TestFormat {
    /// A line per rule file, and each failure under it.
    Text,
    /// A SARIF 2.1.0 log of the failures (the summary goes to stderr).
    Sarif,
}

/// Something wrong with a rule file's examples.
struct Problem {
    /// The failing case, if the problem is one case's.
    case: Option<String>,
    /// What is wrong.
    message: String,
    /// The event of the failing case.
    event: Option<String>,
}

impl Problem {
    fn file(message: impl Into<String>) -> Problem {
        Problem {
            case: None,
            message: message.into(),
            event: None,
        }
    }
}

/// Runs `sigil test`: exit 1 if any rule file fails.
pub fn run(args: &TestArgs, color: Color) -> ExitCode {
    let loaded = args.rules.load(&args.paths);
    let sarif = args.format == TestFormat::Sarif;
    let mut log = SarifLog::default();
    let renderer = TextRenderer::for_stdout(color);
    for diag in loaded.diagnostics.iter().filter(|d| d.is_error()) {
        if sarif {
            log.diagnostic(diag, &loaded.sources);
        } else {
            crate::outln!("{}\n", renderer.render(diag, &loaded.sources));
        }
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
    let text = |line: String| {
        if !sarif {
            crate::outln!("{line}");
        }
    };
    let (mut passed, mut failed, mut skipped) = (0, loaded.refused, 0);
    for (file, (detections, correlations)) in &by_file {
        if detections.is_empty() && correlations.is_empty() {
            continue;
        }
        let Some(tests) = tests_path(file) else {
            if args.require_tests {
                text(format!("FAIL {}: no .tests.yml beside it", file.display()));
                let message = "the rule has no example events (no .tests.yml beside it)";
                let at = Region {
                    start: (1, 1),
                    end: None,
                };
                log.add("test_missing", message, "error", message.into(), file, at);
                failed += 1;
            } else {
                text(format!("skip {}: no .tests.yml", file.display()));
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
                text(format!("ok   {} ({cases} cases)", file.display()));
                passed += 1;
            }
            Err(problems) => {
                text(format!("FAIL {}", file.display()));
                for problem in &problems {
                    text(format!("  {}", problem.message));
                    if let Some(event) = &problem.event {
                        text(format!("    event: {event}"));
                    }
                }
                add_problems(&mut log, file, &tests, &problems);
                failed += 1;
            }
        }
    }
    let skipped_text = if skipped > 0 {
        format!(", {skipped} skipped")
    } else {
        String::new()
    };
    let summary = format!("{passed} passed, {failed} failed{skipped_text}");
    if sarif {
        crate::outln!("{:#}", log.to_json());
        eprintln!("{summary}");
    } else {
        crate::outln!("{summary}");
    }
    exit::code(if failed > 0 { exit::USAGE } else { exit::CLEAN })
}

/// Adds the problems of rule file `file` (its examples in `tests`) to a SARIF log: each at its
/// case's line of the test file, or at the test file's start.
fn add_problems(log: &mut SarifLog, file: &Path, tests: &Path, problems: &[Problem]) {
    let text = std::fs::read_to_string(tests).unwrap_or_default();
    for problem in problems {
        let (rule_id, rule_text) = match &problem.case {
            Some(_) => (
                "test_failed",
                "an example event does not give the result its test file expects",
            ),
            None => ("test_invalid", "the rule's examples cannot be run"),
        };
        let line = problem
            .case
            .as_deref()
            .map_or(1, |name| case_line(&text, name));
        let mut message = format!("{}: {}", file.display(), problem.message);
        if let Some(event) = &problem.event {
            message.push_str(&format!("\nevent: {event}"));
        }
        let at = Region {
            start: (line, 1),
            end: None,
        };
        log.add(rule_id, rule_text, "error", message, tests, at);
    }
}

/// Runs a file's example events against its detections and correlations: the number of cases,
/// or what failed (each failing case with its event).
fn check_file(
    rules: &RuleSet,
    tests: &Path,
    detections: &[RuleId],
    correlations: &[RuleId],
    require_examples: bool,
) -> Result<usize, Vec<Problem>> {
    let detection_cases = load_tests(tests).map_err(|message| vec![Problem::file(message)])?;
    let correlation_cases =
        load_correlation_tests(tests).map_err(|message| vec![Problem::file(message)])?;
    let mut problems = Vec::new();
    let both_kinds = |must: &mut dyn Iterator<Item = bool>| {
        let kinds: Vec<bool> = must.collect();
        kinds.contains(&true) && kinds.contains(&false)
    };
    if require_examples
        && !detections.is_empty()
        && !both_kinds(&mut detection_cases.iter().map(|c| c.must_match))
    {
        problems.push(Problem::file(
            "needs at least one `matches` and one `non_matches` example",
        ));
    }
    if require_examples
        && !correlations.is_empty()
        && !both_kinds(&mut correlation_cases.iter().map(|c| c.must_match))
    {
        problems.push(Problem::file(
            "needs at least one `correlation_matches` and one `correlation_non_matches` example",
        ));
    }
    let cases = detection_cases.len() + correlation_cases.len();
    for result in run_cases(rules, detections, detection_cases) {
        if result.passed() {
            continue;
        }
        let message = if result.case.must_match {
            format!("case `{}`: expected a match, got none", result.case.name)
        } else {
            let titles: Vec<&str> = result
                .matched
                .iter()
                .map(|&id| rules.rule(id).meta.title.as_str())
                .collect();
            format!(
                "case `{}`: expected no match, matched by: {}",
                result.case.name,
                titles.join(", ")
            )
        };
        problems.push(Problem {
            message,
            case: Some(result.case.name),
            event: Some(result.case.event),
        });
    }
    if !correlations.is_empty() {
        for result in run_correlation_cases(rules, correlations, correlation_cases) {
            if !result.passed() {
                let expected = match (result.case.must_match, result.case.count) {
                    (true, Some(n)) => format!("{n} correlation matches"),
                    (true, None) => "a correlation match".to_string(),
                    (false, _) => "no correlation match".to_string(),
                };
                problems.push(Problem {
                    message: format!(
                        "case `{}`: expected {expected}, got {}",
                        result.case.name,
                        result.matches.len()
                    ),
                    case: Some(result.case.name),
                    event: None,
                });
            }
        }
    }
    if problems.is_empty() {
        Ok(cases)
    } else {
        Err(problems)
    }
}
