//! Spark temporary views with the columns of Athena's tables, over the raw files.
//!
//! JSON records are read by Spark's JSON reader with the table's schema (keys as AWS writes
//! them; objects typed `STRING` come out as their JSON text), CloudTrail's envelopes read
//! whole (`multiLine`) and exploded. Text logs are read by the text reader and cut as Athena's
//! SerDe cuts them; header lines are recognised by their content (Spark does not number the
//! lines of each file).

use super::DdlOptions;
use crate::dialect::{Dialect, Spark};
use crate::tables::{Column, Kind, Layout, Numeric, Table};

/// Statements that come before the views: times are UTC, as Sigil's.
pub(super) const PREAMBLE: &str = "SET spark.sql.session.timeZone = UTC;\n\n";

/// A VPC Flow Logs header line: field names only.
const VPC_HEADER: &str = "^[a-z][a-z0-9-]*( [a-z][a-z0-9-]*)*$";

/// The views for `table`: the files, then the table.
pub(super) fn view(table: &Table, options: &DdlOptions) -> String {
    let name = options.name(table);
    let files_view = format!("{name}_files");
    let (reader, body) = match table.layout {
        Layout::Json => {
            let schema = schema(table);
            let envelope = table.service == "cloudtrail";
            let reader = source(
                &files_view,
                table,
                options,
                "json",
                &if envelope {
                    format!(" (Records ARRAY<{schema}>)")
                } else {
                    format!(" ({})", columns_schema(table.columns))
                },
                envelope,
            );
            let columns: Vec<String> = table
                .columns
                .iter()
                .map(|c| {
                    format!(
                        "  {}{} AS {}",
                        if envelope { "r." } else { "" },
                        Spark.ident(c.field),
                        Spark.ident(c.name)
                    )
                })
                .collect();
            let from = if envelope {
                format!("{files_view} LATERAL VIEW explode(Records) exploded AS r")
            } else {
                files_view.clone()
            };
            (
                reader,
                format!("SELECT\n{}\nFROM {from}", columns.join(",\n")),
            )
        }
        Layout::Spaces => (
            source(&files_view, table, options, "text", "", false),
            split_view(
                table,
                &files_view,
                " ",
                &format!("NOT value RLIKE {}", Spark.string(VPC_HEADER)),
            ),
        ),
        Layout::Tabs => (
            source(&files_view, table, options, "text", "", false),
            split_view(table, &files_view, "\t", "NOT startswith(value, '#')"),
        ),
        Layout::Regex(regex) => (
            source(&files_view, table, options, "text", "", false),
            regex_view(table, &files_view, regex),
        ),
    };
    format!("{reader}\nCREATE OR REPLACE TEMPORARY VIEW {name} AS\n{body};\n")
}

/// The view over the files themselves.
fn source(
    view: &str,
    table: &Table,
    options: &DdlOptions,
    format: &str,
    schema: &str,
    whole_files: bool,
) -> String {
    let mut settings = vec![("path", options.files(""))];
    if options.location.ends_with('/') {
        settings.push(("recursiveFileLookup", "true".into()));
        settings.push(("pathGlobFilter", file_names(table).into()));
    }
    if whole_files {
        settings.push(("multiLine", "true".into()));
    }
    let settings: Vec<String> = settings
        .iter()
        .map(|(k, v)| format!("{k} {}", Spark.string(v)))
        .collect();
    format!(
        "CREATE OR REPLACE TEMPORARY VIEW {view}{schema}\nUSING {format} OPTIONS ({});\n",
        settings.join(", ")
    )
}

/// The names of the log source's files as AWS writes them.
fn file_names(table: &Table) -> &'static str {
    match table.service {
        "cloudtrail" => "*_CloudTrail_*.json*",
        "vpcflow" => "*_vpcflowlogs_*.log*",
        "alb" => "*_elasticloadbalancing_*.log*",
        "guardduty" => "*.jsonl*",
        _ => "*",
    }
}

/// The Spark type of a record: `STRUCT<...>` of the table's columns.
fn schema(table: &Table) -> String {
    spark_type(&Kind::Struct(table.columns))
}

/// The columns as a schema: `` `eventVersion` STRING, ... ``.
fn columns_schema(columns: &[Column]) -> String {
    columns
        .iter()
        .map(|c| format!("{} {}", Spark.ident(c.field), spark_type(&c.kind)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn spark_type(kind: &Kind) -> String {
    match kind {
        Kind::Text(_) => "STRING".into(),
        Kind::Number(numeric) => number_type(*numeric).into(),
        Kind::Struct(members) => {
            let fields: Vec<String> = members
                .iter()
                .map(|m| format!("{}: {}", Spark.ident(m.field), spark_type(&m.kind)))
                .collect();
            format!("STRUCT<{}>", fields.join(", "))
        }
        Kind::Array(element) => format!("ARRAY<{}>", spark_type(element)),
        Kind::Opaque(sql_type, _) => sql_type.to_string(),
    }
}

fn number_type(numeric: Numeric) -> &'static str {
    match numeric {
        Numeric::Int => "INT",
        Numeric::BigInt => "BIGINT",
        Numeric::Double => "DOUBLE",
    }
}

/// A column's value from its field text, typed as the table types it.
fn typed(column: &Column, text: &str) -> String {
    match column.kind {
        Kind::Number(numeric) => format!("try_cast({text} AS {})", number_type(numeric)),
        Kind::Opaque(sql_type, _) if sql_type != "STRING" => {
            format!("try_cast({text} AS {sql_type})")
        }
        _ => text.to_string(),
    }
}

fn split_view(table: &Table, files: &str, separator: &str, data_lines: &str) -> String {
    let columns: Vec<String> = table
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let field = format!("try_element_at(f, {})", i + 1);
            format!("  {} AS {}", typed(c, &field), Spark.ident(c.name))
        })
        .collect();
    format!(
        "SELECT\n{}\nFROM (SELECT split(value, {}) AS f FROM {files} WHERE {data_lines})",
        columns.join(",\n"),
        Spark.string(&regex_literal(separator))
    )
}

/// `split` takes a regex: a separator character as one.
fn regex_literal(separator: &str) -> String {
    match separator {
        "\t" => "\\t".into(),
        other => other.to_string(),
    }
}

fn regex_view(table: &Table, files: &str, regex: &str) -> String {
    let anchored = Spark.string(&format!("^(?:{regex})$"));
    let columns: Vec<String> = table
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let group = format!(
                "CASE WHEN matched THEN regexp_extract(value, {anchored}, {}) END",
                i + 1
            );
            format!("  {} AS {}", typed(c, &group), Spark.ident(c.name))
        })
        .collect();
    format!(
        "SELECT\n{}\nFROM (SELECT value, value RLIKE {anchored} AS matched FROM {files})",
        columns.join(",\n")
    )
}
