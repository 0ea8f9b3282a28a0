//! `sigil convert`: rules as SQL for Athena, Spark or DuckDB, or the tables they query.

use super::{Color, RuleArgs};
use clap::ValueEnum;
use jiff::Timestamp;
use serde_json::json;
use sigil_compiler::{RuleKind, RuleSet};
use sigil_convert::ddl::DdlOptions;
use sigil_convert::{Converter, Options, Target};
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `sigil convert`.
#[derive(clap::Args, Debug)]
pub struct ConvertArgs {
    /// The engine: athena, spark or duckdb.
    #[arg(long, value_parser = parse_target)]
    target: Target,
    /// A rule file or folder; repeat for several.
    #[arg(short = 'r', long = "rules", value_name = "PATH")]
    rules: Vec<PathBuf>,
    /// Output: SQL statements, or one JSON object per rule.
    #[arg(long, value_enum, default_value_t = Format::Sql)]
    format: Format,
    /// The table to query: NAME for the rules' one log source, or SERVICE=NAME (repeat).
    #[arg(long = "table", value_name = "NAME")]
    tables: Vec<String>,
    /// Only events at or after this time (RFC 3339, or a date); on Athena also the first day
    /// partition read.
    #[arg(long, value_parser = super::hunt::parse_time)]
    from: Option<Timestamp>,
    /// Only events at or before this time; on Athena also the last day partition read.
    #[arg(long, value_parser = super::hunt::parse_time)]
    to: Option<Timestamp>,
    /// Print the definitions of the tables (views for DuckDB and Spark) over the logs at
    /// LOCATION (an S3 prefix for Athena and Spark, a path or glob for DuckDB) instead of queries.
    #[arg(long, value_name = "LOCATION")]
    ddl: Option<String>,
    /// With --ddl: the log sources to define (aws/cloudtrail, aws/vpcflow, ...; default all).
    #[arg(long = "logsource", value_name = "PRODUCT/SERVICE")]
    logsources: Vec<String>,
    /// With --ddl for Athena: the account ids partition projection reads (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    accounts: Vec<String>,
    /// With --ddl for Athena: the regions partition projection reads (default: every
    /// commercial region).
    #[arg(long, value_delimiter = ',', value_name = "REGIONS")]
    regions: Vec<String>,
    #[command(flatten)]
    rule_args: RuleArgs,
}

/// Output formats of `sigil convert`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    /// SQL statements, each after a comment naming its rule.
    Sql,
    /// One JSON object per rule: `{"rule":{...},"query":"..."}` or `{"rule":{...},"error":"..."}`.
    Jsonl,
}

fn parse_target(text: &str) -> Result<Target, String> {
    Target::from_name(text).ok_or_else(|| "use athena, spark or duckdb".into())
}

/// Runs `sigil convert`.
pub fn run(args: &ConvertArgs, color: Color) -> Result<ExitCode, String> {
    if let Some(location) = &args.ddl {
        return print_ddl(args, location);
    }
    if args.rules.is_empty() {
        return Err("give rules with -r, or --ddl LOCATION for the table definitions".into());
    }
    let loaded = args.rule_args.load_reporting_errors(&args.rules, color);
    let options = Options {
        table_names: table_names(&args.tables, &loaded.rules)?,
        from: args.from,
        to: args.to,
        ..Options::new(args.target)
    };
    let converter = Converter::new(&loaded.rules, options);
    let mut out = Vec::new();
    let (mut converted, mut refused) = (0, 0);
    for (id, rule) in loaded.rules.iter() {
        if matches!(rule.kind, RuleKind::Filter(_)) {
            continue;
        }
        let meta = &rule.meta;
        let result = converter.convert(id);
        match &result {
            Ok(_) => converted += 1,
            Err(_) => refused += 1,
        }
        match args.format {
            Format::Jsonl => {
                let head = json!({"id": meta.id, "title": meta.title, "path": meta.path});
                let line = match result {
                    Ok(query) => json!({
                        "rule": head,
                        "query": query.sql,
                        "kind": query.kind.name(),
                        "services": query.services,
                    }),
                    Err(why) => json!({"rule": head, "error": why.reason()}),
                };
                out.extend(line.to_string().bytes());
                out.push(b'\n');
            }
            Format::Sql => {
                let id = meta.id.as_deref().unwrap_or("no id");
                let head = format!("-- {} ({id})\n-- {}\n", meta.title, meta.path.display());
                out.extend(head.bytes());
                let body = match result {
                    Ok(query) => format!("{};\n\n", query.sql),
                    Err(why) => format!("-- not converted: {why}\n\n"),
                };
                out.extend(body.bytes());
            }
        }
    }
    std::io::stdout()
        .write_all(&out)
        .map_err(|e| format!("cannot write the queries: {e}"))?;
    eprintln!(
        "{converted} rules converted for {}, {refused} refused",
        args.target.name()
    );
    Ok(if loaded.refused > 0 {
        super::exit::code(super::exit::USAGE)
    } else {
        ExitCode::SUCCESS
    })
}

/// `--table` values: `NAME` (the rules must then have one log source) or `SERVICE=NAME`.
fn table_names(
    values: &[String],
    rules: &RuleSet,
) -> Result<std::collections::HashMap<String, String>, String> {
    let mut names = std::collections::HashMap::new();
    for value in values {
        if let Some((service, name)) = value.split_once('=') {
            names.insert(service.to_string(), name.to_string());
            continue;
        }
        let mut services: Vec<&str> = rules
            .detections()
            .filter_map(|(_, rule)| rule.meta.logsource.service.as_deref())
            .collect();
        services.sort();
        services.dedup();
        match services.as_slice() {
            [service] => {
                names.insert(service.to_string(), value.clone());
            }
            _ => {
                return Err(format!(
                    "--table {value}: the rules read several log sources ({}); write SERVICE=NAME",
                    services.join(", ")
                ));
            }
        }
    }
    Ok(names)
}

fn print_ddl(args: &ConvertArgs, location: &str) -> Result<ExitCode, String> {
    let services = args
        .logsources
        .iter()
        .map(|text| {
            text.strip_prefix("aws/")
                .map(str::to_string)
                .ok_or_else(|| {
                    format!("--logsource {text}: write aws/SERVICE, e.g. aws/cloudtrail")
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let options = DdlOptions {
        location: location.to_string(),
        services,
        table_names: table_names(&args.tables, &RuleSet::default())?,
        accounts: args.accounts.clone(),
        regions: args.regions.clone(),
    };
    let ddl = sigil_convert::ddl::ddl(args.target, &options).map_err(|e| e.to_string())?;
    std::io::stdout()
        .write_all(ddl.as_bytes())
        .map_err(|e| format!("cannot write the definitions: {e}"))?;
    Ok(ExitCode::SUCCESS)
}
