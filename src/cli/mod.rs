//! Command-line interface: argument definitions and dispatch.

mod check;
mod compile;
mod convert;
mod debug;
pub mod diagnostics;
pub mod exit;
mod explain;
mod hunt;
mod inputs;
mod list;
mod metrics;
mod ocsf;
pub mod output;
mod progress;
mod sarif;
mod test;
mod watch;

use clap::{Parser, Subcommand, ValueEnum};
use sigil_compiler::{Diagnostic, LoadOptions, Loaded};
use std::path::PathBuf;
use std::process::ExitCode;

/// Sigil: Sigma rules over AWS logs, one literal search for all rules.
#[derive(Parser, Debug)]
#[command(name = "sigil", version, about, long_about = None)]
pub struct Cli {
    /// When to use colour.
    #[arg(long, value_enum, default_value_t = Color::Auto, global = true)]
    color: Color,
    #[command(subcommand)]
    command: Command,
}

/// When to colour output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Color {
    /// When writing to a terminal.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Validate rules: print every error and warning, exit 1 if any rule is refused.
    Check(check::CheckArgs),
    /// Print an intermediate stage of the compiler (for debugging and golden tests).
    Debug(debug::DebugArgs),
    /// Compile rules as a hunt would; `--stats` shows the literals, how they are searched and the
    /// rules that have no literal (evaluated on every record); `-o FILE` writes the rules as a
    /// compiled rule-set file, which `-r` of every command takes in place of the rules.
    Compile(compile::CompileArgs),
    /// Hunt through logs with rules and write every match.
    Hunt(hunt::HuntArgs),
    /// Run each rule's example events (`<rule>.tests.yml`); exit 1 on any failure.
    Test(test::TestArgs),
    /// Show why an event did or did not match: every search and matcher, with the values seen.
    Explain(explain::ExplainArgs),
    /// List rules: id, level, logsource, title, tags.
    List(list::ListArgs),
    /// Count records (or records matched by rules) per value of some fields.
    Metrics(metrics::MetricsArgs),
    /// Rules as SQL for Athena, Spark or DuckDB (`--ddl` for the tables they query).
    Convert(convert::ConvertArgs),
    /// Follow files, folders, stdin or an HTTP intake, and deliver every match at least once.
    Watch(watch::WatchArgs),
}

/// Options shared by every command that loads rules.
#[derive(clap::Args, Debug)]
pub struct RuleArgs {
    /// YAML file giving values for `|expand` placeholders (`name: [value, ...]`).
    #[arg(long, value_name = "FILE")]
    placeholders: Option<PathBuf>,
    /// A processing pipeline applied to every rule as it loads: a pySigma pipeline file, or a
    /// built-in one (`ecs-aws`, `ocsf-cloudtrail`). Repeat for several; they run in order of
    /// their `priority`.
    #[arg(short = 'p', long = "pipeline", value_name = "FILE|NAME")]
    pipelines: Vec<String>,
}

impl RuleArgs {
    /// Loads rules and prints the errors of the refused ones to stderr (for commands whose
    /// output is something else than diagnostics).
    pub fn load_reporting_errors(&self, paths: &[PathBuf], color: Color) -> Loaded {
        let loaded = self.load(paths);
        let errors = loaded.diagnostics.iter().filter(|d| d.is_error());
        print_diagnostics(&loaded, errors, usize::MAX, color);
        loaded
    }

    /// Loads rules from `paths`, with the placeholder file and pipelines if given.
    pub fn load(&self, paths: &[PathBuf]) -> Loaded {
        sigil_compiler::load_paths(paths, &self.load_options())
    }

    /// How rules are loaded: the placeholder file and the pipelines given.
    pub fn load_options(&self) -> LoadOptions {
        LoadOptions {
            placeholder_file: self.placeholders.clone(),
            pipelines: self.pipelines.clone(),
            ..LoadOptions::default()
        }
    }
}

/// Diagnostics of each kind [`report_load`] shows in full; the others are counted.
const DIAGNOSTICS_SHOWN: usize = 5;

/// Tells on stderr, before the rules are `verb` (hunted, watched), where they will not run as
/// their files say: the errors of the refused rules, and the warnings that change what is
/// reported ([`Code::changes_findings`](sigil_compiler::Code::changes_findings)), such as two
/// rules sharing an id. The first few of each are shown in full, then a count; `sigil check`
/// shows them all, and the other warnings.
fn report_load(loaded: &Loaded, color: Color, verb: &str) {
    let (errors, warnings): (Vec<_>, Vec<_>) = (loaded.diagnostics.iter())
        .filter(|d| d.is_error() || d.code.changes_findings())
        .partition(|d| d.is_error());
    print_diagnostics(loaded, errors, DIAGNOSTICS_SHOWN, color);
    if loaded.refused > 0 {
        eprintln!(
            "warning: {} rules could not be loaded and are not {verb} for (`sigil check` shows why)",
            loaded.refused
        );
    }
    let more = print_diagnostics(loaded, warnings, DIAGNOSTICS_SHOWN, color);
    if more > 0 {
        eprintln!("warning: … and {more} more warnings like these (`sigil check` shows them)");
    }
}

/// Renders the first `most` of `diags` (of `loaded`) to stderr; returns how many were left.
fn print_diagnostics<'a>(
    loaded: &'a Loaded,
    diags: impl IntoIterator<Item = &'a Diagnostic>,
    most: usize,
    color: Color,
) -> usize {
    let renderer = diagnostics::TextRenderer::for_stderr(color);
    let mut left = 0;
    for (i, diag) in diags.into_iter().enumerate() {
        match i < most {
            true => eprintln!("{}\n", renderer.render(diag, &loaded.sources)),
            false => left += 1,
        }
    }
    left
}

/// Sets the number of threads of every later parallel step, rule loading included, when
/// `--threads` is given (0 is taken as 1); by default there is one per core.
fn use_threads(threads: Option<usize>) -> Result<(), String> {
    match threads {
        Some(threads) => rayon::ThreadPoolBuilder::new()
            .num_threads(threads.max(1))
            .build_global()
            .map_err(|e| format!("--threads: {e}")),
        None => Ok(()),
    }
}

/// Runs a parsed command line; `Err` is a usage error to print.
pub fn run(cli: Cli) -> Result<ExitCode, String> {
    let color = cli.color;
    match cli.command {
        Command::Check(args) => Ok(check::run(&args, color)),
        Command::Debug(args) => debug::run(&args, color),
        Command::Compile(args) => compile::run(&args, color),
        Command::Hunt(args) => hunt::run(&args, color),
        Command::Test(args) => Ok(test::run(&args, color)),
        Command::Explain(args) => explain::run(&args, color),
        Command::List(args) => Ok(list::run(&args, color)),
        Command::Metrics(args) => metrics::run(&args, color),
        Command::Convert(args) => convert::run(&args, color),
        Command::Watch(args) => watch::run(&args, color),
    }
}
