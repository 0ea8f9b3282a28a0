//! `sigil metrics`: how many records, or records matched by rules, hold each value of some
//! fields: the "how many findings of each type" report.
//!
//! ```text
//! sigil metrics --by type guardduty/                     # findings per type
//! sigil metrics --by eventSource,eventName -r rules/ ct/  # matched records per API call
//! ```
//!
//! It runs the hunt driver (every input format, in parallel, in input order) with a
//! [`CountSink`]: each worker reads the `--by` fields of the records it matched from the parsed
//! record (the first scalar at each path, as correlations read them), and a record matched by
//! several rules counts once. Without `-r`, one built-in rule matches every record. Output:
//! counts descending, then values ascending; an absent field is `-` in a table, empty in CSV
//! and `null` in JSON.

use super::hunt::report_problems;
use super::inputs::{Inputs, S3Args};
use super::{Color, RuleArgs, exit};
use clap::ValueEnum;
use sigil_compiler::{FieldPath, LoadOptions, RuleSet};
use sigil_engine::{CountSink, Engine, HuntOptions, ScanOptions, SinkError};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `sigil metrics`.
#[derive(clap::Args, Debug)]
pub struct MetricsArgs {
    /// The fields to count by, comma-separated (dotted paths such as `userIdentity.type`).
    #[arg(
        long = "by",
        required = true,
        value_delimiter = ',',
        value_name = "FIELD[,FIELD]"
    )]
    by: Vec<String>,
    /// Count only records matched by these rules (a file or folder; repeat for several).
    #[arg(short = 'r', long = "rules", value_name = "RULES")]
    rules: Vec<PathBuf>,
    /// Log files or folders; `-` reads stdin; s3://bucket/prefix reads S3.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Output format (default: a table on a terminal, JSON lines otherwise).
    #[arg(long, value_enum)]
    format: Option<MetricsFormat>,
    /// Only the N most frequent values.
    #[arg(long, value_name = "N")]
    top: Option<usize>,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    #[command(flatten)]
    rule_args: RuleArgs,
    #[command(flatten)]
    s3: S3Args,
}

/// Output formats of `sigil metrics`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MetricsFormat {
    /// Aligned columns: the count, then the values.
    Table,
    /// Comma-separated values with a header line.
    Csv,
    /// One object per value: `{"values":{"type":"..."},"count":12}`.
    Jsonl,
}

/// A rule that matches every record (its condition negates a search no record satisfies).
const EVERY_RECORD: &str = "title: every record\nlogsource: {}\ndetection:\n  \
    never:\n    sigil-metrics-no-such-field|exists: true\n  condition: not never\n";

/// Runs `sigil metrics`.
pub fn run(args: &MetricsArgs, color: Color) -> Result<ExitCode, String> {
    let fields: Vec<FieldPath> = args.by.iter().map(|f| FieldPath::new(f.trim())).collect();
    if fields.iter().any(|f| f.name.is_empty()) {
        return Err("--by: field names must not be empty".into());
    }
    super::use_threads(args.threads)?;
    let rules = load_rules(args, color)?;
    let engine = Engine::new(rules, ScanOptions::default());
    let mut sink = CountSink::new(fields);
    let mut source = Inputs::open(&args.inputs, &args.s3, None, None)?;
    let stats = match sigil_engine::hunt(&engine, &mut source, &HuntOptions::default(), &mut sink) {
        Ok(stats) => stats,
        // Counting in memory cannot fail.
        Err(stopped) => return Err(stopped.error.to_string()),
    };
    let mut counts = sink.into_counts();
    counts.truncate(args.top.unwrap_or(usize::MAX));
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        MetricsFormat::Table
    } else {
        MetricsFormat::Jsonl
    });
    let mut out = std::io::stdout().lock();
    let written = match format {
        MetricsFormat::Jsonl => counts.write_jsonl(&mut out),
        MetricsFormat::Csv => counts.write_csv(&mut out),
        MetricsFormat::Table => counts.write_table(&mut out),
    }
    .and_then(|()| out.flush());
    if let Err(error) = written {
        match SinkError::from(error) {
            SinkError::Closed => {}
            error => {
                eprintln!("error: {error}");
                return Ok(exit::code(exit::OUTPUT_ERROR));
            }
        }
    }
    report_problems(&stats);
    eprintln!(
        "{} records read, {} counted in {} groups",
        stats.records,
        counts.rows.iter().map(|r| r.1).sum::<u64>(),
        counts.rows.len()
    );
    let code = if stats.had_input_errors() {
        exit::INPUT_ERRORS
    } else {
        exit::CLEAN
    };
    Ok(exit::code(code))
}

/// The rules whose matches are counted: those of `-r`, or one matching every record.
fn load_rules(args: &MetricsArgs, color: Color) -> Result<RuleSet, String> {
    if args.rules.is_empty() {
        let loaded = sigil_compiler::load_str(
            "<every record>".as_ref(),
            EVERY_RECORD,
            &LoadOptions::default(),
        );
        return Ok(loaded.rules);
    }
    let loaded = args.rule_args.load_reporting_errors(&args.rules, color);
    if loaded.rules.is_empty() {
        return Err("no rule could be loaded".into());
    }
    Ok(loaded.rules)
}
