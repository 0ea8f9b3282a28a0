//! `sigil hunt`: scan inputs with rules and write the matches.

use super::inputs::{Inputs, S3Args};
use super::progress::Progress;
use super::{Color, RuleArgs, exit};
use clap::ValueEnum;
use jiff::Timestamp;
use sigil_compiler::{Level, LogSource};
use sigil_engine::{
    CsvSink, Engine, HuntError, HuntOptions, HuntStats, JsonlSink, OpenOptions, RecordSource,
    ScanOptions, Shape, Sink, SinkError, TableSink, TextFormat, parse_forced,
};
use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `sigil hunt`.
#[derive(clap::Args, Debug)]
pub struct HuntArgs {
    /// A rule file or folder (repeat `-r` for several).
    #[arg(short = 'r', long = "rules", required = true, value_name = "RULES")]
    rules: Vec<PathBuf>,
    /// Log files or folders to hunt through; `-` reads stdin; s3://bucket/prefix reads S3.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Output format (default: a table on a terminal, JSON lines otherwise).
    #[arg(long, value_enum)]
    format: Option<OutputFormat>,
    /// Write matches to this file instead of stdout (never one of the inputs).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// Only rules of at least this level (informational, low, medium, high, critical).
    #[arg(long, value_parser = parse_level)]
    level: Option<Level>,
    /// Only events at or after this time (RFC 3339, or a date meaning its midnight UTC).
    #[arg(long, value_parser = parse_time)]
    from: Option<Timestamp>,
    /// Only events at or before this time (RFC 3339, or a date meaning its midnight UTC).
    #[arg(long, value_parser = parse_time)]
    to: Option<Timestamp>,
    /// Read every input as this format instead of detecting it: ndjson, cloudtrail (the
    /// `{"Records":[...]}` envelope), array, concat, vpcflow, alb, elb, nlb, cloudfront,
    /// s3access or route53.
    #[arg(long, value_name = "FORMAT")]
    input_format: Option<String>,
    /// Treat every record as this log source: `product/service` or `product/category/service`.
    #[arg(long, value_name = "PRODUCT/SERVICE")]
    logsource: Option<String>,
    /// Run every rule on every record, whatever the rule's logsource says.
    #[arg(long)]
    any_logsource: bool,
    /// Print statistics to stderr when done.
    #[arg(long)]
    stats: bool,
    /// Evaluate every rule on every record (turns off the literal prefilter).
    #[arg(long)]
    no_prefilter: bool,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    #[command(flatten)]
    rule_args: RuleArgs,
    #[command(flatten)]
    s3: S3Args,
}

/// Output formats of `sigil hunt`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// One JSON object per match (the stable contract; see the README).
    Jsonl,
    /// Aligned columns.
    Table,
    /// Comma-separated values.
    Csv,
    /// One OCSF 1.3.0 Detection Finding (class 2004) per match, one per line.
    Ocsf,
}

pub(super) fn parse_level(text: &str) -> Result<Level, String> {
    Level::parse(text).ok_or_else(|| "use informational, low, medium, high or critical".into())
}

pub(super) fn parse_time(text: &str) -> Result<Timestamp, String> {
    if let Ok(ts) = text.parse::<Timestamp>() {
        return Ok(ts);
    }
    text.parse::<jiff::civil::Date>()
        .ok()
        .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|z| z.timestamp())
        .ok_or_else(|| format!("`{text}` is not an RFC 3339 time such as 2026-11-23T08:00:00Z"))
}

/// Runs `sigil hunt`.
pub fn run(args: &HuntArgs, color: Color) -> Result<ExitCode, String> {
    let forced_logsource = match &args.logsource {
        Some(text) => Some(parse_forced(text).ok_or_else(|| {
            format!("--logsource `{text}`: write product/service, e.g. aws/cloudtrail")
        })?),
        None => None,
    };
    let (open, text_format) = input_format(args.input_format.as_deref())?;
    if let Some(output) = &args.output {
        refuse_input_as_output(output, &args.inputs)?;
    }
    super::use_threads(args.threads)?;
    let mut loaded = args.rule_args.load(&args.rules);
    super::report_load(&loaded, color, "hunted");
    // Rules whose `|expand` placeholders have no values cannot run: skipped, each said.
    for (rule, names) in loaded.rules.remove_rules_needing_placeholders() {
        let names = names.iter().map(|n| format!("`%{n}%`")).collect::<Vec<_>>();
        eprintln!(
            "warning: rule `{}` is skipped: placeholder {} has no values (give them with --placeholders FILE)",
            rule.meta.title,
            names.join(", ")
        );
    }
    if loaded.rules.is_empty() {
        return Err("no rule could be loaded; run `sigil check` on the rules".into());
    }
    let refused = loaded.refused;
    let options = ScanOptions {
        min_level: args.level,
        forced_logsource: forced_logsource.clone(),
        any_logsource: args.any_logsource,
        from: args.from,
        to: args.to,
        prefilter: !args.no_prefilter,
    };
    let engine = Engine::new(loaded.rules, options);

    let mut source = Inputs::open(&args.inputs, &args.s3, args.from, args.to)?;
    let progress = source.progress(Progress::new(color, sigil_engine::Source::total(&source)));
    let on_unit = |stats: &HuntStats| progress.unit(stats);
    let hunt_options = HuntOptions {
        open,
        text_format,
        progress: Some(&on_unit),
    };
    // `Send`: the hunt writes its output from a thread of its own.
    let (out, to_terminal): (Box<dyn Write + Send>, bool) = match &args.output {
        Some(path) => {
            let file = File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
            (Box::new(BufWriter::new(file)), false)
        }
        None => {
            let terminal = std::io::stdout().is_terminal();
            (Box::new(progress.writer(std::io::stdout())), terminal)
        }
    };
    let format = args.format.unwrap_or(if to_terminal {
        OutputFormat::Table
    } else {
        OutputFormat::Jsonl
    });
    let result = match format {
        OutputFormat::Jsonl => run_hunt(
            &engine,
            &mut source,
            &hunt_options,
            &mut JsonlSink::new(out, engine.rules()),
        ),
        OutputFormat::Csv => run_hunt(&engine, &mut source, &hunt_options, &mut CsvSink::new(out)),
        OutputFormat::Ocsf => run_hunt(
            &engine,
            &mut source,
            &hunt_options,
            &mut super::ocsf::sink(out, engine.rules()),
        ),
        OutputFormat::Table => run_hunt(
            &engine,
            &mut source,
            &hunt_options,
            &mut TableSink::new(out),
        ),
    };
    progress.finish();
    let (stats, output_failed) = match result {
        Ok(stats) => (stats, false),
        Err(HuntError { error, stats }) => match error {
            SinkError::Closed => (*stats, false),
            error => {
                eprintln!("error: {error}; the hunt stopped and later matches were not written");
                (*stats, true)
            }
        },
    };
    report_problems(&stats);
    if args.stats {
        print_stats(&engine, &stats, forced_logsource.as_ref());
        source.print_stats();
    }
    // The process ends with this command: freeing the compiled rules (for all of SigmaHQ, a
    // tenth of the start-up's time in small frees) would only delay the exit.
    std::mem::forget(engine);
    let code = if output_failed {
        exit::OUTPUT_ERROR
    } else if refused > 0 {
        exit::USAGE
    } else if stats.had_input_errors() {
        exit::INPUT_ERRORS
    } else {
        exit::CLEAN
    };
    Ok(exit::code(code))
}

/// Warns about the correlations the hunt cannot evaluate, then hunts.
fn run_hunt<S: Sink + Send>(
    engine: &Engine,
    source: &mut Inputs,
    options: &HuntOptions<'_>,
    sink: &mut S,
) -> Result<HuntStats, HuntError>
where
    S::Batch: Send,
{
    for (rule, reason) in engine.unevaluated_correlations() {
        let title = &engine.rules().rule(rule).meta.title;
        eprintln!("warning: correlation `{title}` is not evaluated: {reason}");
    }
    sigil_engine::hunt(engine, source, options, sink)
}

/// How `--input-format` reads inputs: a JSON shape, or a text log format.
pub(super) fn input_format(
    name: Option<&str>,
) -> Result<(OpenOptions, Option<TextFormat>), String> {
    let Some(name) = name else {
        return Ok((OpenOptions::default(), None));
    };
    match (name.parse::<Shape>(), TextFormat::from_name(name)) {
        (Ok(shape), _) => Ok((
            OpenOptions {
                shape: Some(shape),
                ..OpenOptions::default()
            },
            None,
        )),
        (_, Some(format)) => Ok((OpenOptions::default(), Some(format))),
        _ => Err(format!(
            "--input-format `{name}`: use ndjson, cloudtrail, array, concat, vpcflow, alb, elb, \
             nlb, cloudfront, s3access or route53"
        )),
    }
}

/// Refuses an output file that is one of the inputs, or inside an input folder: creating it
/// would empty an input before it is read, or feed the matches back in.
fn refuse_input_as_output(output: &Path, inputs: &[PathBuf]) -> Result<(), String> {
    let resolve = |path: &Path| -> Option<PathBuf> {
        if let Ok(full) = path.canonicalize() {
            return Some(full);
        }
        // A file that does not exist yet: its folder does.
        let parent = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        Some(parent.canonicalize().ok()?.join(path.file_name()?))
    };
    let Some(output_full) = resolve(output) else {
        return Ok(());
    };
    for input in inputs.iter().filter(|input| input.as_os_str() != "-") {
        let Ok(input_full) = input.canonicalize() else {
            continue;
        };
        if output_full.starts_with(&input_full) {
            return Err(format!(
                "-o {}: the output would overwrite or land inside the input `{}`; write the \
                 matches elsewhere",
                output.display(),
                input.display()
            ));
        }
    }
    Ok(())
}

/// Bad records and unreadable inputs: the first in full, then a count.
pub(super) fn report_problems(stats: &HuntStats) {
    for problem in &stats.problems {
        match problem.record {
            Some(_) => eprintln!("warning: {problem}"),
            None => eprintln!("error: {problem}"),
        }
    }
    if stats.more_problems > 0 {
        eprintln!(
            "… and {} more problems (counted in --stats)",
            stats.more_problems
        );
    }
}

fn print_stats(engine: &Engine, stats: &HuntStats, forced: Option<&LogSource>) {
    let secs = stats.elapsed.as_secs_f64().max(1e-9);
    let mb = stats.bytes as f64 / 1e6;
    eprintln!(
        "files:    {} scanned, {} skipped, {} unreadable",
        stats.files,
        stats.skipped_files.len(),
        stats.unreadable_files
    );
    for skipped in stats.skipped_files.iter().take(5) {
        eprintln!("          skipped {}: {}", skipped.input, skipped.reason);
    }
    eprintln!(
        "records:  {} framed, {} scanned, {} malformed, {} outside --from/--to",
        stats.records, stats.scanned, stats.bad_records, stats.out_of_range
    );
    let by_source: Vec<String> = match forced {
        Some(logsource) => vec![format!("{logsource} {} (--logsource)", stats.records)],
        None => RecordSource::ALL
            .iter()
            .zip(stats.records_per_source)
            .filter(|(_, n)| *n > 0)
            .map(|(s, n)| format!("{} {n}", s.logsource()))
            .collect(),
    };
    eprintln!(
        "sources:  {}",
        if by_source.is_empty() {
            "-".into()
        } else {
            by_source.join(", ")
        }
    );
    eprintln!(
        "speed:    {mb:.1} MB in {secs:.2} s: {:.1} MB/s, {:.0} records/s",
        mb / secs,
        stats.records as f64 / secs
    );
    let scan = &stats.scan;
    eprintln!(
        "prefilter: {} of {} records parsed ({:.1}%), {} with optional escapes spelled out, {:.2} rules evaluated per record",
        scan.parsed,
        scan.records,
        100.0 * scan.parsed as f64 / scan.records.max(1) as f64,
        scan.unescaped,
        scan.rules_per_record()
    );
    if let Some([prefilter, parse, evaluate]) = scan.time_shares() {
        eprintln!(
            "time:     prefilter {:.0}%, parse {:.0}%, evaluate {:.0}% (sampled, framing and output excluded)",
            prefilter * 100.0,
            parse * 100.0,
            evaluate * 100.0
        );
    }
    eprintln!("matches:  {}", stats.matches());
    let mut per_rule: Vec<(u64, usize)> = stats
        .matches_per_rule
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(i, n)| (*n, i))
        .collect();
    per_rule.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (count, index) in per_rule {
        let rule = &engine.rules().rules()[index];
        let level = rule.meta.level.map_or("-", |l| l.as_str());
        eprintln!("  {count:>9}  {level:<13} {}", rule.meta.title);
    }
    eprintln!("correlations: {} matches", stats.correlation_matches);
    let never: Vec<&str> = engine
        .rules()
        .detections()
        .filter(|(id, _)| {
            !RecordSource::ALL.iter().any(|s| {
                stats.sources_seen & (1 << *s as u32) != 0 && engine.rules_for(*s).contains(id)
            })
        })
        .map(|(_, r)| r.meta.title.as_str())
        .collect();
    if !never.is_empty() {
        eprintln!(
            "rules that never applied (no record of their logsource): {}",
            never.len()
        );
        for title in never.iter().take(10) {
            eprintln!("  {title}");
        }
    }
}
