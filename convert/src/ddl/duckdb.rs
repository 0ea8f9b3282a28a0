//! DuckDB views with the columns of Athena's tables, over the raw files.
//!
//! JSON records are read with `read_json_objects` (CloudTrail's envelopes unnested) and
//! shaped with `json_transform`, which parses each record once into the table's columns:
//! structs stay structs (DuckDB finds their members whatever the case), JSON held as text
//! (`requestParameters`) comes out as its JSON text, booleans as `true`/`false`. Text logs are
//! read line by line (`read_csv` with a separator that never occurs), the header lines of each
//! file skipped as Athena skips them, and cut as Athena's SerDe cuts them: at single spaces
//! (VPC Flow Logs), at tabs (CloudFront), by AWS's regular expression (ALB).

use super::DdlOptions;
use crate::dialect::{Dialect, DuckDb};
use crate::tables::{Column, Kind, Layout, Numeric, Table};

/// The view for `table`.
pub(super) fn view(table: &Table, options: &DdlOptions) -> String {
    let name = options.name(table);
    let body = match table.layout {
        Layout::Json => json_view(table, options),
        Layout::Spaces => split_view(table, &lines(&files(table, options), 1), " "),
        Layout::Tabs => split_view(table, &lines(&files(table, options), 2), "\t"),
        Layout::Regex(regex) => regex_view(table, &lines(&files(table, options), 0), regex),
    };
    format!("CREATE OR REPLACE VIEW {name} AS\n{body};\n")
}

/// The glob of the table's files.
fn files(table: &Table, options: &DdlOptions) -> String {
    let glob = match table.service {
        // AWSLogs/[o-org/]<account>/<folder>/<region>/YYYY/MM/DD/<file> (DuckDB takes one `**`).
        "cloudtrail" => "**/CloudTrail/*/*/*/*/*.json*",
        "vpcflow" => "**/vpcflowlogs/*/*/*/*/*.log*",
        "alb" => "**/elasticloadbalancing/*/*/*/*/*.log*",
        "guardduty" => "**/GuardDuty/*/*/*/*/*.jsonl*",
        _ => "**/*.gz",
    };
    options.files(glob)
}

fn json_view(table: &Table, options: &DdlOptions) -> String {
    let d = DuckDb;
    let objects = format!(
        "SELECT json AS record FROM read_json_objects({}, format = 'auto')",
        d.string(&files(table, options))
    );
    // CloudTrail's files hold `{"Records": [...]}`; NDJSON files hold the records themselves.
    let records = if table.service == "cloudtrail" {
        format!(
            "WITH objects AS ({objects}),\nrecords AS (\n  \
             SELECT unnest(CAST(record -> '$.Records' AS JSON[])) AS record FROM objects\n  \
             WHERE json_type(record, '$.Records') = 'ARRAY'\n  \
             UNION ALL SELECT record FROM objects\n  \
             WHERE json_type(record, '$.Records') IS DISTINCT FROM 'ARRAY'\n)"
        )
    } else {
        format!("WITH records AS ({objects})")
    };
    let structure = structure(&Kind::Struct(table.columns));
    let columns: Vec<String> = table
        .columns
        .iter()
        .map(|c| format!("  s.{} AS {}", d.ident(c.field), d.ident(c.name)))
        .collect();
    format!(
        "{records}\nSELECT\n{}\nFROM (SELECT json_transform(record, {}) AS s FROM records)",
        columns.join(",\n"),
        d.string(&structure)
    )
}

/// The `json_transform` structure of a kind: the JSON keys with DuckDB types.
fn structure(kind: &Kind) -> String {
    match kind {
        Kind::Text(_) => "\"VARCHAR\"".into(),
        Kind::Number(numeric) => format!("\"{}\"", number_type(*numeric)),
        Kind::Struct(members) => {
            let fields: Vec<String> = members
                .iter()
                .map(|m| format!("\"{}\":{}", m.field, structure(&m.kind)))
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        Kind::Array(element) => format!("[{}]", structure(element)),
        Kind::Opaque(sql_type, _) => format!("\"{}\"", duckdb_type(sql_type)),
    }
}

fn number_type(numeric: Numeric) -> &'static str {
    match numeric {
        Numeric::Int => "INTEGER",
        Numeric::BigInt => "BIGINT",
        Numeric::Double => "DOUBLE",
    }
}

/// DuckDB's name for one of the Athena types of opaque columns.
fn duckdb_type(athena: &str) -> &str {
    match athena {
        "MAP<STRING,STRING>" => "MAP(VARCHAR, VARCHAR)",
        "STRING" => "VARCHAR",
        other => other,
    }
}

/// The lines of `files`, without the first `skip` of each file.
fn lines(files: &str, skip: usize) -> String {
    format!(
        "SELECT line FROM read_csv({}, columns = {{'line': 'VARCHAR'}}, delim = chr(31), \
         header = false, quote = '', escape = '', skip = {skip}, auto_detect = false)",
        DuckDb.string(files)
    )
}

/// A column's value from its field text `text` (a `VARCHAR`), typed as the table types it.
fn typed(column: &Column, text: &str) -> String {
    match column.kind {
        Kind::Number(numeric) => format!("TRY_CAST({text} AS {})", number_type(numeric)),
        Kind::Opaque(sql_type, _) if sql_type != "STRING" => {
            format!("TRY_CAST({text} AS {})", duckdb_type(sql_type))
        }
        _ => text.to_string(),
    }
}

fn split_view(table: &Table, lines: &str, separator: &str) -> String {
    let d = DuckDb;
    let columns: Vec<String> = table
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            format!(
                "  {} AS {}",
                typed(c, &format!("f[{}]", i + 1)),
                d.ident(c.name)
            )
        })
        .collect();
    format!(
        "SELECT\n{}\nFROM (SELECT string_split(line, {}) AS f FROM ({lines}))",
        columns.join(",\n"),
        d.string(separator)
    )
}

fn regex_view(table: &Table, lines: &str, regex: &str) -> String {
    let d = DuckDb;
    let anchored = d.string(&format!("^(?:{regex})$"));
    let names: Vec<String> = table.columns.iter().map(|c| d.string(c.name)).collect();
    let columns: Vec<String> = table
        .columns
        .iter()
        .map(|c| {
            format!(
                "  {} AS {}",
                typed(c, &format!("m.{}", d.ident(c.name))),
                d.ident(c.name)
            )
        })
        .collect();
    format!(
        "SELECT\n{}\nFROM (SELECT CASE WHEN regexp_full_match(line, {anchored}) \
         THEN regexp_extract(line, {anchored}, [{}]) END AS m FROM ({lines}))",
        columns.join(",\n"),
        names.join(", ")
    )
}
