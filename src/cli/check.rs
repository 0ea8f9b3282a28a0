//! `sigil check`: validate rules and print every diagnostic (as text, JSON lines or SARIF).

use super::diagnostics::{JsonDiagnostic, TextRenderer};
use super::sarif::SarifLog;
use super::{Color, RuleArgs, exit};
use clap::ValueEnum;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `sigil check`.
#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Rule files or folders.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    format: CheckFormat,
    #[command(flatten)]
    rules: RuleArgs,
}

/// How `sigil check` prints diagnostics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// rustc-style text with source snippets.
    Text,
    /// One JSON object per diagnostic.
    Json,
    /// A SARIF 2.1.0 log, for code-scanning CI.
    Sarif,
}

/// Runs `sigil check`: exit 1 if any rule was refused.
pub fn run(args: &CheckArgs, color: Color) -> ExitCode {
    let loaded = args.rules.load(&args.paths);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let result = match args.format {
        CheckFormat::Text => {
            let renderer = TextRenderer::for_stdout(color);
            loaded
                .diagnostics
                .iter()
                .try_for_each(|diag| writeln!(out, "{}\n", renderer.render(diag, &loaded.sources)))
        }
        CheckFormat::Sarif => {
            let mut log = SarifLog::default();
            for diag in &loaded.diagnostics {
                log.diagnostic(diag, &loaded.sources);
            }
            writeln!(out, "{:#}", log.to_json())
        }
        CheckFormat::Json => loaded.diagnostics.iter().try_for_each(|diag| {
            let line = serde_json::to_string(&JsonDiagnostic::new(diag, &loaded.sources))
                .expect("diagnostics serialize");
            writeln!(out, "{line}")
        }),
    };
    let summary = format!(
        "{} rules loaded, {} refused, {} warnings",
        loaded.rules.len(),
        loaded.refused,
        loaded.warnings()
    );
    // A closed pipe (as in `sigil check ... | head`) ends the command quietly; any other write
    // error is reported.
    let written = result.and_then(|()| match args.format {
        CheckFormat::Text => writeln!(out, "{summary}"),
        CheckFormat::Json | CheckFormat::Sarif => writeln!(std::io::stderr(), "{summary}"),
    });
    if let Err(error) = written {
        super::output::quit(&error);
    }
    exit::code(if loaded.refused > 0 {
        exit::USAGE
    } else {
        exit::CLEAN
    })
}
