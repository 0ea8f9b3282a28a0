//! The tables the queries read, defined for each target.
//!
//! - **Athena**: AWS's documented `CREATE EXTERNAL TABLE` for each log source (SerDe, column
//!   types), with partition projection over account, region and day for the sources AWS
//!   writes under `AWSLogs/<account>/<service>/<region>/YYYY/MM/DD/` (CloudTrail, VPC Flow
//!   Logs, ALB), so that a query bounded with `--from/--to` reads only those days' files.
//! - **DuckDB**: a view per log source over `read_json_objects` (CloudTrail's `{"Records":
//!   [...]}` envelopes are unnested, NDJSON records read as they are) or over the lines of
//!   the text logs, building the same columns as Athena's table.
//! - **Spark**: a temporary view per log source over Spark's JSON reader with the table's
//!   schema (envelopes exploded) or over its text reader, likewise.
//!
//! LOCATION is, for Athena, the S3 prefix holding `AWSLogs/` content (`s3://bucket/AWSLogs/`)
//! or, for CloudFront, WAF and GuardDuty, the prefix of the files; for DuckDB and Spark, a path
//! or glob of the files, or a folder (ending in `/`) searched for the source's files by their
//! AWS names.
//!
//! ```
//! use sigil_convert::Target;
//! use sigil_convert::ddl::{ddl, DdlOptions};
//! let options = DdlOptions {
//!     location: "trail/".into(),
//!     services: vec!["cloudtrail".into()],
//!     ..DdlOptions::default()
//! };
//! let sql = ddl(Target::DuckDb, &options).unwrap();
//! assert!(sql.contains("CREATE OR REPLACE VIEW cloudtrail AS"));
//! ```

mod athena;
mod duckdb;
mod spark;

use crate::tables::{self, Table};
use crate::{Refusal, Target};
use std::collections::HashMap;

/// The name of the day partition of Athena's tables (`yyyy/MM/dd`).
pub const DAY: &str = "day";

/// What `--ddl` writes.
#[derive(Clone, Debug, Default)]
pub struct DdlOptions {
    /// Where the logs are (see the module docs).
    pub location: String,
    /// The log sources (`cloudtrail`...); empty for all.
    pub services: Vec<String>,
    /// Table names by service; others keep their default names.
    pub table_names: HashMap<String, String>,
    /// Athena: the account ids partition projection enumerates.
    pub accounts: Vec<String>,
    /// Athena: the regions partition projection enumerates (empty: every commercial region).
    pub regions: Vec<String>,
}

impl DdlOptions {
    fn name(&self, table: &Table) -> String {
        self.table_names
            .get(table.service)
            .cloned()
            .unwrap_or_else(|| table.name.to_string())
    }

    /// The files under the location: as given, or `folder_glob` under a folder.
    fn files(&self, folder_glob: &str) -> String {
        if self.location.ends_with('/') {
            format!("{}{folder_glob}", self.location)
        } else {
            self.location.clone()
        }
    }
}

/// Whether Athena's table of `table` is partitioned by account, region and day.
pub fn day_partitioned(table: &Table) -> bool {
    aws_logs_folder(table).is_some()
}

/// The folder under `AWSLogs/<account>/` where AWS writes the log source's files, by region
/// and day, if it does.
fn aws_logs_folder(table: &Table) -> Option<&'static str> {
    match table.service {
        "cloudtrail" => Some("CloudTrail"),
        "vpcflow" => Some("vpcflowlogs"),
        "alb" => Some("elasticloadbalancing"),
        _ => None,
    }
}

/// The definitions of the tables `options` asks for, for `target`.
pub fn ddl(target: Target, options: &DdlOptions) -> Result<String, Refusal> {
    let tables: Vec<&'static Table> = if options.services.is_empty() {
        tables::TABLES.to_vec()
    } else {
        options
            .services
            .iter()
            .map(|s| tables::by_service(s))
            .collect::<Result<_, _>>()?
    };
    let mut out = String::new();
    if target == Target::Spark {
        out.push_str(spark::PREAMBLE);
    }
    for table in tables {
        let text = match target {
            Target::Athena => athena::table(table, options)?,
            Target::DuckDb => duckdb::view(table, options),
            Target::Spark => spark::view(table, options),
        };
        out.push_str(&text);
        out.push('\n');
    }
    Ok(out)
}
