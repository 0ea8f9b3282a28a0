//! `sigil metrics`: how many records, or records matched by rules, hold each value of some
//! fields: the "how many findings of each type" report.
//!
//! ```text
//! sigil metrics --by type guardduty/                     # findings per type
//! sigil metrics --by eventSource,eventName -r rules/ ct/  # matched records per API call
//! ```
//!
//! It runs the hunt driver (every input format, in parallel, in input order). Without `-r`,
//! one built-in rule matches every record. Each worker reads the `--by` fields of the records
//! it matched (the first scalar at each path, as correlations read them) and passes them on as
//! a compact binary entry; the main thread counts them, a record matched by several rules once.
//! Output: counts descending, then values ascending; an absent field is `-` in a table, empty
//! in CSV and `null` in JSON.

use super::{Color, RuleArgs, exit};
use clap::ValueEnum;
use sigil_compiler::{FieldPath, LoadOptions, RuleSet};
use sigil_engine::eval::first_scalar;
use sigil_engine::sink::MatchRecord;
use sigil_engine::{Engine, HuntOptions, ScanOptions};
use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::RwLock;

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
    /// Log files or folders; `-` reads stdin.
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

/// The `--by` fields, for the workers' write function (a plain `fn`, so it reads them from
/// here; one metrics run per process).
static FIELDS: RwLock<Vec<FieldPath>> = RwLock::new(Vec::new());

thread_local! {
    /// A worker's copy of the record being parsed.
    static BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Values of a group: one per `--by` field.
type Key = Vec<Option<String>>;

/// Runs `sigil metrics`.
pub fn run(args: &MetricsArgs, color: Color) -> Result<ExitCode, String> {
    let fields: Vec<FieldPath> = args.by.iter().map(|f| FieldPath::new(f.trim())).collect();
    if fields.iter().any(|f| f.name.is_empty()) {
        return Err("--by: field names must not be empty".into());
    }
    *FIELDS.write().map_err(|_| "internal lock poisoned")? = fields;
    super::use_threads(args.threads)?;
    let rules = load_rules(args, color)?;
    let engine = Engine::new(rules, ScanOptions::default());
    let mut counts: HashMap<Key, u64> = HashMap::new();
    let mut last: Option<(Vec<u8>, u64)> = None;
    let stats = sigil_engine::hunt(
        &engine,
        &args.inputs,
        &HuntOptions::new(write_entry),
        &mut |block| {
            count_entries(block, &mut last, &mut counts);
            Ok(())
        },
    );
    let mut rows: Vec<(Key, u64)> = counts.into_iter().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    rows.truncate(args.top.unwrap_or(usize::MAX));
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        MetricsFormat::Table
    } else {
        MetricsFormat::Jsonl
    });
    let mut out = Vec::new();
    render(&mut out, format, &args.by, &rows);
    let _ = std::io::stdout().lock().write_all(&out);
    for problem in &stats.problems {
        let at = problem.record.map(|r| format!(":{r}")).unwrap_or_default();
        eprintln!("{}{at}: {}", problem.input, problem.reason);
    }
    eprintln!(
        "{} records read, {} counted in {} groups",
        stats.records,
        rows.iter().map(|r| r.1).sum::<u64>(),
        rows.len()
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

/// Writes one match as an entry: the path and record number (to count a record once), then
/// each `--by` value (`0`, or `1` and its length and bytes).
fn write_entry(out: &mut Vec<u8>, m: &MatchRecord<'_>) {
    let path = m.path.to_string_lossy();
    put_bytes(out, path.as_bytes());
    out.extend_from_slice(&m.record.to_le_bytes());
    let Ok(fields) = FIELDS.read() else {
        return;
    };
    BUFFER.with_borrow_mut(|buffer| {
        buffer.clear();
        buffer.extend_from_slice(m.event);
        let record = simd_json::to_borrowed_value(buffer).ok();
        for field in fields.iter() {
            match record.as_ref().and_then(|r| first_scalar(r, field)) {
                Some(value) => {
                    out.push(1);
                    put_bytes(out, value.as_bytes());
                }
                None => out.push(0),
            }
        }
    });
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(bytes);
}

/// Reads the entries of one output block and counts them; `last` is the last record counted,
/// so that a record matched by several rules (its entries are consecutive) counts once.
fn count_entries(
    mut block: &[u8],
    last: &mut Option<(Vec<u8>, u64)>,
    counts: &mut HashMap<Key, u64>,
) {
    let fields = FIELDS.read().map(|f| f.len()).unwrap_or_default();
    while !block.is_empty() {
        let path = take_bytes(&mut block).to_vec();
        let record = u64::from_le_bytes(take(&mut block, 8).try_into().unwrap_or_default());
        let key: Key = (0..fields)
            .map(|_| {
                let present = take(&mut block, 1) == [1];
                present.then(|| String::from_utf8_lossy(take_bytes(&mut block)).into_owned())
            })
            .collect();
        let current = (path, record);
        if last.as_ref() != Some(&current) {
            *counts.entry(key).or_default() += 1;
            *last = Some(current);
        }
    }
}

fn take<'b>(block: &mut &'b [u8], n: usize) -> &'b [u8] {
    let (head, rest) = block.split_at(n.min(block.len()));
    *block = rest;
    head
}

fn take_bytes<'b>(block: &mut &'b [u8]) -> &'b [u8] {
    let len = u32::from_le_bytes(take(block, 4).try_into().unwrap_or_default()) as usize;
    take(block, len)
}

/// Writes the counted rows in `format`.
fn render(out: &mut Vec<u8>, format: MetricsFormat, by: &[String], rows: &[(Key, u64)]) {
    match format {
        MetricsFormat::Jsonl => {
            for (key, count) in rows {
                let values: serde_json::Map<String, serde_json::Value> = by
                    .iter()
                    .zip(key)
                    .map(|(name, value)| (name.clone(), value.clone().into()))
                    .collect();
                let line = serde_json::json!({"values": values, "count": count});
                let _ = writeln!(out, "{line}");
            }
        }
        MetricsFormat::Csv => {
            let header: Vec<String> = std::iter::once("count".to_string())
                .chain(by.iter().map(|f| csv_field(f)))
                .collect();
            let _ = writeln!(out, "{}", header.join(","));
            for (key, count) in rows {
                let cells: Vec<String> = std::iter::once(count.to_string())
                    .chain(key.iter().map(|v| csv_field(v.as_deref().unwrap_or(""))))
                    .collect();
                let _ = writeln!(out, "{}", cells.join(","));
            }
        }
        MetricsFormat::Table => {
            let cell = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
            let mut widths: Vec<usize> = by.iter().map(|f| f.chars().count()).collect();
            for (key, _) in rows {
                for (width, value) in widths.iter_mut().zip(key) {
                    *width = (*width).max(cell(value).chars().count());
                }
            }
            let count_width = rows
                .iter()
                .map(|r| r.1.to_string().len())
                .max()
                .unwrap_or(0)
                .max("COUNT".len());
            let line = |out: &mut Vec<u8>, count: &str, values: Vec<String>| {
                let mut text = format!("{count:>count_width$}");
                for (value, width) in values.iter().zip(&widths) {
                    text.push_str(&format!("  {value:<width$}"));
                }
                let _ = writeln!(out, "{}", text.trim_end());
            };
            line(out, "COUNT", by.to_vec());
            for (key, count) in rows {
                line(out, &count.to_string(), key.iter().map(cell).collect());
            }
        }
    }
}

fn csv_field(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_count_each_record_once_and_render_sorted() {
        *FIELDS.write().unwrap() = vec![FieldPath::new("type"), FieldPath::new("region")];
        let loaded = sigil_compiler::load_str("r.yml".as_ref(), EVERY_RECORD, &Default::default());
        let rule = loaded.rules.rule(sigil_compiler::RuleId(0));
        let mut block = Vec::new();
        let events: [(u64, &[u8]); 4] = [
            (1, br#"{"type":"Recon","region":"us-east-1"}"#),
            (1, br#"{"type":"Recon","region":"us-east-1"}"#), // the same record, another rule
            (2, br#"{"type":"Recon","region":"us-east-1"}"#),
            (3, br#"{"type":"Backdoor"}"#),
        ];
        for (record, event) in events {
            let m = MatchRecord {
                rule,
                rule_json: &sigil_engine::sink::rule_json(&rule.meta),
                timestamp: None,
                path: "g.jsonl".as_ref(),
                record,
                event,
            };
            write_entry(&mut block, &m);
        }
        let (mut last, mut counts) = (None, HashMap::new());
        count_entries(&block, &mut last, &mut counts);
        let mut rows: Vec<(Key, u64)> = counts.into_iter().collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let by = ["type".to_string(), "region".to_string()];
        let mut out = Vec::new();
        render(&mut out, MetricsFormat::Csv, &by, &rows);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "count,type,region\n2,Recon,us-east-1\n1,Backdoor,\n"
        );
        let mut out = Vec::new();
        render(&mut out, MetricsFormat::Table, &by, &rows);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "COUNT  type      region\n    2  Recon     us-east-1\n    1  Backdoor  -\n"
        );
        let mut out = Vec::new();
        render(&mut out, MetricsFormat::Jsonl, &by, &rows[1..]);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"values\":{\"type\":\"Backdoor\",\"region\":null},\"count\":1}\n"
        );
    }
}
