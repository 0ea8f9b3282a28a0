//! `sigil test`: run each rule's example events (`<rule>.tests.yml`).

use super::diagnostics::TextRenderer;
use super::{Color, RuleArgs, exit};
use sigil_compiler::{RuleId, RuleKind};
use sigil_engine::ruletest::{load_tests, run_cases, tests_path};
use std::collections::BTreeMap;
use std::path::PathBuf;
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
        println!("{}\n", renderer.render(diag, &loaded.sources));
    }
    let mut by_file: BTreeMap<PathBuf, Vec<RuleId>> = BTreeMap::new();
    for (id, rule) in loaded.rules.iter() {
        if matches!(rule.kind, RuleKind::Detection(_)) {
            by_file.entry(rule.meta.path.clone()).or_default().push(id);
        }
    }
    let (mut passed, mut failed, mut skipped) = (0, loaded.refused, 0);
    for (file, rules) in &by_file {
        let Some(tests) = tests_path(file) else {
            if args.require_tests {
                println!("FAIL {}: no .tests.yml beside it", file.display());
                failed += 1;
            } else {
                println!("skip {}: no .tests.yml", file.display());
                skipped += 1;
            }
            continue;
        };
        let cases = match load_tests(&tests) {
            Ok(cases) => cases,
            Err(message) => {
                println!("FAIL {}: {message}", file.display());
                failed += 1;
                continue;
            }
        };
        let incomplete =
            !(cases.iter().any(|c| c.must_match) && cases.iter().any(|c| !c.must_match));
        let results = run_cases(&loaded.rules, rules, cases);
        let failures: Vec<_> = results.iter().filter(|r| !r.passed()).collect();
        if failures.is_empty() && !(args.require_tests && incomplete) {
            println!("ok   {} ({} cases)", file.display(), results.len());
            passed += 1;
            continue;
        }
        failed += 1;
        println!("FAIL {}", file.display());
        if args.require_tests && incomplete {
            println!("  needs at least one `matches` and one `non_matches` example");
        }
        for result in failures {
            if result.case.must_match {
                println!("  case `{}`: expected a match, got none", result.case.name);
            } else {
                let titles: Vec<&str> = result
                    .matched
                    .iter()
                    .map(|&id| loaded.rules.rule(id).meta.title.as_str())
                    .collect();
                println!(
                    "  case `{}`: expected no match, matched by: {}",
                    result.case.name,
                    titles.join(", ")
                );
            }
            println!("    event: {}", result.case.event);
        }
    }
    let skipped_text = if skipped > 0 {
        format!(", {skipped} skipped")
    } else {
        String::new()
    };
    println!("{passed} passed, {failed} failed{skipped_text}");
    exit::code(if failed > 0 { exit::USAGE } else { exit::CLEAN })
}
