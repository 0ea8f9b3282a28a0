//! `sigil explain`: why an event did, or did not, match a rule.

use super::inputs::S3Args;
use super::{Color, RuleArgs, exit};
use sigil_compiler::{RuleId, RuleKind};
use sigil_engine::{Prefilter, explain};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `sigil explain`.
#[derive(clap::Args, Debug)]
pub struct ExplainArgs {
    /// The rule file (or folder).
    #[arg(short = 'r', long = "rule", required = true, value_name = "RULE")]
    rule: PathBuf,
    /// A file holding one event as JSON (`-` for stdin, s3://bucket/key for an S3 object).
    #[arg(value_name = "EVENT")]
    event: PathBuf,
    #[command(flatten)]
    rules: RuleArgs,
    #[command(flatten)]
    s3: S3Args,
}

/// Runs `sigil explain`: exit 0 when every rule matched, 1 otherwise (or on an error).
pub fn run(args: &ExplainArgs, color: Color) -> Result<ExitCode, String> {
    let text = if args.event.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).map_err(|e| format!("stdin: {e}"))?
    } else if let Some(text) = args.s3.read_object(&args.event)? {
        text
    } else {
        std::fs::read_to_string(&args.event)
            .map_err(|e| format!("{}: {e}", args.event.display()))?
    };
    let record = text.trim().as_bytes();
    let loaded = args
        .rules
        .load_reporting_errors(std::slice::from_ref(&args.rule), color);
    let detections: Vec<RuleId> = loaded.rules.detections().map(|(id, _)| id).collect();
    let prefilter = Prefilter::new(&loaded.rules, &detections);
    let mut candidates = Vec::new();
    let escaped = prefilter.candidates(
        text.trim().as_bytes(),
        &mut prefilter.scratch(),
        &mut candidates,
        None,
    );
    let mut all_matched = loaded.refused == 0;
    for (id, rule) in loaded.rules.iter() {
        let RuleKind::Detection(detection) = &rule.kind else {
            continue;
        };
        let explanation = explain(&loaded.rules, id, record)
            .map_err(|e| format!("{}: not a JSON event: {e}", args.event.display()))?;
        let Some(explanation) = explanation else {
            continue;
        };
        all_matched &= explanation.matched;
        crate::outln!("rule {:?} ({})", rule.meta.title, rule.meta.path.display());
        for search in &explanation.searches {
            crate::outln!("  search {}: {}", search.name, verdict(search.held));
            for m in &search.matchers {
                let seen = if m.seen.is_empty() {
                    "nothing".to_string()
                } else {
                    m.seen.join(", ")
                };
                crate::outln!(
                    "    {:<5} {}  (saw: {seen})",
                    verdict(m.held),
                    m.description
                );
            }
        }
        let passes = match (candidates.contains(&id), escaped) {
            (true, false) => "passes (the rule's literals are present)",
            (true, true) => {
                "passes (the rule's literals are present once the record's optional JSON escapes are spelled out)"
            }
            (false, _) => {
                "stops it (a literal the rule needs is missing: see `sigil debug literals`)"
            }
        };
        crate::outln!("  prefilter: {passes}");
        crate::outln!(
            "  condition {}: {}",
            sigil_compiler::condition_text(detection),
            if explanation.matched {
                "MATCH"
            } else {
                "no match"
            }
        );
    }
    Ok(exit::code(if all_matched {
        exit::CLEAN
    } else {
        exit::USAGE
    }))
}

fn verdict(held: bool) -> &'static str {
    if held { "true" } else { "false" }
}
