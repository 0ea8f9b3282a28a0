//! `sigil hunt`: scan inputs with rules and write the matches.

use super::diagnostics::{TextRenderer, use_color};
use super::{Color, RuleArgs, exit};
use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressStyle};
use jiff::Timestamp;
use sigil_compiler::{Level, RuleSet};
use sigil_engine::correlate::{self, CorrelationMatch, Correlator};
use sigil_engine::formats::TextFormat;
use sigil_engine::framing::Shape;
use sigil_engine::input::OpenOptions;
use sigil_engine::logsource::{RecordSource, parse_forced};
use sigil_engine::sink::{self, Format};
use sigil_engine::{Engine, HuntOptions, HuntStats, ScanOptions};
use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `sigil hunt`.
#[derive(clap::Args, Debug)]
pub struct HuntArgs {
    /// A rule file or folder (repeat `-r` for several).
    #[arg(short = 'r', long = "rules", required = true, value_name = "RULES")]
    rules: Vec<PathBuf>,
    /// Log files or folders to hunt through; `-` reads stdin.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Output format (default: a table on a terminal, JSON lines otherwise).
    #[arg(long, value_enum)]
    format: Option<OutputFormat>,
    /// Write matches to this file instead of stdout.
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
    /// `{"Records":[...]}` envelope), array, concat, vpcflow, alb, elb, nlb or cloudfront.
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
}

fn parse_level(text: &str) -> Result<Level, String> {
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
    super::use_threads(args.threads)?;
    let loaded = args.rule_args.load(&args.rules);
    report_refused(&loaded, color);
    if loaded.rules.is_empty() {
        return Err("no rule could be loaded; run `sigil check` on the rules".into());
    }
    let refused = loaded.refused;
    // Correlation inputs are evaluated even below `--level` (they are often informational).
    let keep = Correlator::new(&loaded.rules)
        .inputs()
        .iter()
        .map(|(rule, _)| *rule)
        .collect();
    let options = ScanOptions {
        min_level: args.level,
        keep,
        forced_logsource,
        any_logsource: args.any_logsource,
        from: args.from,
        to: args.to,
        prefilter: !args.no_prefilter,
        ..ScanOptions::default()
    };
    let engine = Engine::new(loaded.rules, options);

    let (mut out, to_terminal): (Box<dyn Write>, bool) = match &args.output {
        Some(path) => {
            let file = File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
            (Box::new(BufWriter::new(file)), false)
        }
        None => (
            Box::new(std::io::stdout().lock()),
            std::io::stdout().is_terminal(),
        ),
    };
    let format = match args.format {
        Some(OutputFormat::Jsonl) => Format::Jsonl,
        Some(OutputFormat::Table) => Format::Table,
        Some(OutputFormat::Csv) => Format::Csv,
        None if to_terminal => Format::Table,
        None => Format::Jsonl,
    };
    let header = match format {
        Format::Csv => sink::CSV_HEADER.to_string(),
        Format::Table => sink::table_header(),
        Format::Jsonl => String::new(),
    };
    let write: sigil_engine::hunt::WriteMatch = match format {
        Format::Jsonl => sink::write_jsonl,
        Format::Csv => sink::write_csv,
        Format::Table => sink::write_table_row,
    };
    let bar = progress_bar(color);
    let progress = |bytes: u64| bar.inc(bytes);
    let (shape, text_format) = match args.input_format.as_deref() {
        None => (None, None),
        Some(name) => match (name.parse::<Shape>(), TextFormat::from_name(name)) {
            (Ok(shape), _) => (Some(shape), None),
            (_, Some(format)) => (None, Some(format)),
            _ => {
                return Err(format!(
                    "--input-format `{name}`: use ndjson, cloudtrail, array, concat, vpcflow, \
                     alb, elb, nlb or cloudfront"
                ));
            }
        },
    };
    let open = OpenOptions {
        shape,
        ..OpenOptions::default()
    };
    let correlator = Correlator::new(engine.rules());
    for (rule, reason) in correlator.skipped() {
        let title = &engine.rules().rule(*rule).meta.title;
        eprintln!("warning: correlation `{title}` is not evaluated: {reason}");
    }
    let correlator = (!correlator.is_idle()).then_some(&correlator);
    let hunt_options = HuntOptions {
        write,
        open,
        text_format,
        correlator,
        progress: &progress,
    };
    let mut closed = out.write_all(header.as_bytes()).is_err();
    let mut stats = sigil_engine::hunt(&engine, &args.inputs, &hunt_options, &mut |block| {
        let result = if closed { Ok(()) } else { out.write_all(block) };
        closed |= result.is_err();
        result
    });
    let mut correlations = 0;
    if let Some(correlator) = correlator {
        let observations = std::mem::take(&mut stats.observations);
        let mut block = Vec::new();
        for m in correlator.finish(observations) {
            let meta = &engine.rules().rule(m.rule).meta;
            let level_ok = args
                .level
                .is_none_or(|min| meta.level.is_some_and(|l| l >= min));
            if correlator.emits(m.rule) && level_ok {
                correlations += 1;
                write_correlation(&mut block, format, engine.rules(), &m);
            }
        }
        if !closed {
            closed = out.write_all(&block).is_err();
        }
    }
    if !closed {
        let _ = out.flush();
    }
    bar.finish_and_clear();

    report_problems(&stats);
    if args.stats {
        print_stats(&engine, &stats);
        eprintln!("correlations: {correlations} matches");
    }
    let code = if refused > 0 {
        exit::USAGE
    } else if stats.had_input_errors() {
        exit::INPUT_ERRORS
    } else {
        exit::CLEAN
    };
    Ok(exit::code(code))
}

/// Writes a correlation match: the JSONL record of `sigil_engine::correlate`, or a table/CSV row
/// whose time is the window's end and whose location is the group and the number of events.
fn write_correlation(out: &mut Vec<u8>, format: Format, rules: &RuleSet, m: &CorrelationMatch) {
    let meta = &rules.rule(m.rule).meta;
    let group: Vec<String> = m
        .group
        .iter()
        .map(|(k, v)| format!("{k}={}", v.as_deref().unwrap_or("-")))
        .collect();
    let place = format!("{} ({} events)", group.join(" "), m.event_count);
    let level = meta.level.map_or("-", |l| l.as_str());
    match format {
        Format::Jsonl => correlate::write_jsonl(out, rules, m),
        Format::Table => {
            let _ = writeln!(
                out,
                "{:<24} {level:<13} {:<50} {place}",
                m.window_end.to_string(),
                meta.title
            );
        }
        Format::Csv => {
            let id = meta.id.as_deref().unwrap_or("");
            let _ = writeln!(
                out,
                "{},{level},{id},\"{}\",\"{}\",",
                m.window_end,
                meta.title.replace('"', "\"\""),
                place.replace('"', "\"\"")
            );
        }
    }
}

fn progress_bar(color: Color) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    let template = if use_color(color, true) {
        "{spinner:.cyan} {bytes} scanned ({bytes_per_sec}), {elapsed}"
    } else {
        "{spinner} {bytes} scanned ({bytes_per_sec}), {elapsed}"
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

/// Rules that could not be loaded are reported (errors only) before the hunt.
fn report_refused(loaded: &sigil_compiler::Loaded, color: Color) {
    if loaded.refused == 0 {
        return;
    }
    let renderer = TextRenderer::for_stderr(color);
    for diag in loaded.diagnostics.iter().filter(|d| d.is_error()).take(5) {
        eprintln!("{}\n", renderer.render(diag, &loaded.sources));
    }
    eprintln!(
        "warning: {} rules could not be loaded and are not hunted for (`sigil check` shows why)",
        loaded.refused
    );
}

/// Bad records and unreadable inputs: the first in full, then a count.
fn report_problems(stats: &HuntStats) {
    for problem in &stats.problems {
        match problem.record {
            Some(record) => eprintln!(
                "warning: {}: record {record}: {}",
                problem.input, problem.reason
            ),
            None => eprintln!("error: {}", problem.reason),
        }
    }
    if stats.more_problems > 0 {
        eprintln!(
            "… and {} more problems (counted in --stats)",
            stats.more_problems
        );
    }
}

fn print_stats(engine: &Engine, stats: &HuntStats) {
    let secs = stats.elapsed.as_secs_f64().max(1e-9);
    let mb = stats.bytes as f64 / 1e6;
    eprintln!(
        "files:    {} scanned, {} skipped, {} unreadable",
        stats.files,
        stats.skipped_files.len(),
        stats.unreadable_files
    );
    for (input, reason) in stats.skipped_files.iter().take(5) {
        eprintln!("          skipped {input}: {reason}");
    }
    eprintln!(
        "records:  {} framed, {} scanned, {} malformed, {} outside --from/--to",
        stats.records, stats.scanned, stats.bad_records, stats.out_of_range
    );
    let by_source: Vec<String> = RecordSource::ALL
        .iter()
        .zip(stats.records_per_source)
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| format!("{} {n}", s.logsource()))
        .collect();
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
