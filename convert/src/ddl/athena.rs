//! Athena's `CREATE EXTERNAL TABLE` statements: the columns and SerDes of the Athena User
//! Guide, with partition projection where AWS writes the files by account, region and day.

use super::{DAY, DdlOptions, aws_logs_folder};
use crate::Refusal;
use crate::tables::{Column, Kind, Layout, Numeric, Table};

/// The commercial regions, for `projection.log_region.values` when `--regions` is not given.
const REGIONS: &str = "us-east-1,us-east-2,us-west-1,us-west-2,af-south-1,ap-east-1,\
ap-south-1,ap-south-2,ap-southeast-1,ap-southeast-2,ap-southeast-3,ap-southeast-4,\
ap-southeast-5,ap-southeast-7,ap-northeast-1,ap-northeast-2,ap-northeast-3,ca-central-1,\
ca-west-1,eu-central-1,eu-central-2,eu-west-1,eu-west-2,eu-west-3,eu-south-1,eu-south-2,\
eu-north-1,il-central-1,me-south-1,me-central-1,mx-central-1,sa-east-1";

/// The first day partition projection offers (CloudTrail began in November 2013).
const FIRST_DAY: &str = "2013/11/01";

/// The statement creating `table`.
pub(super) fn table(table: &Table, options: &DdlOptions) -> Result<String, Refusal> {
    let columns: Vec<String> = table
        .columns
        .iter()
        .map(|c| format!("  `{}` {}", c.name, column_type(&c.kind)))
        .collect();
    let mut out = format!(
        "CREATE EXTERNAL TABLE IF NOT EXISTS {} (\n{}\n)\n",
        options.name(table),
        columns.join(",\n")
    );
    if aws_logs_folder(table).is_some() {
        out.push_str(&format!(
            "PARTITIONED BY (`log_account` STRING, `log_region` STRING, `{DAY}` STRING)\n"
        ));
    }
    out.push_str(&row_format(table));
    let location = options.location.trim_end_matches('/');
    out.push_str(&format!("LOCATION '{location}/'\n"));
    out.push_str(&properties(table, options, location)?);
    out.push_str(";\n");
    Ok(out)
}

/// The Athena type of a column.
fn column_type(kind: &Kind) -> String {
    match kind {
        Kind::Text(_) => "STRING".into(),
        Kind::Number(Numeric::Int) => "INT".into(),
        Kind::Number(Numeric::BigInt) => "BIGINT".into(),
        Kind::Number(Numeric::Double) => "DOUBLE".into(),
        Kind::Struct(members) => format!("STRUCT<{}>", struct_members(members)),
        Kind::Array(element) => format!("ARRAY<{}>", column_type(element)),
        Kind::Opaque(sql_type, _) => sql_type.to_string(),
    }
}

fn struct_members(members: &[Column]) -> String {
    members
        .iter()
        .map(|m| format!("{}: {}", m.name, column_type(&m.kind)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The SerDe and formats AWS documents for the log source.
fn row_format(table: &Table) -> String {
    match table.layout {
        Layout::Json if table.service == "cloudtrail" => concat!(
            "ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'\n",
            "STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'\n",
            "OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'\n"
        )
        .into(),
        Layout::Json => "ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'\n".into(),
        Layout::Spaces => "ROW FORMAT DELIMITED\nFIELDS TERMINATED BY ' '\n".into(),
        Layout::Tabs => "ROW FORMAT DELIMITED\nFIELDS TERMINATED BY '\\t'\n".into(),
        Layout::Regex(regex) => format!(
            "ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.RegexSerDe'\n\
             WITH SERDEPROPERTIES (\n  'serialization.format' = '1',\n  'input.regex' = '{regex}'\n)\n"
        ),
    }
}

/// `TBLPROPERTIES`: header lines to skip, partition projection.
fn properties(table: &Table, options: &DdlOptions, location: &str) -> Result<String, Refusal> {
    let mut properties = Vec::new();
    match table.layout {
        Layout::Spaces => properties.push(("skip.header.line.count".to_string(), "1".to_string())),
        Layout::Tabs => properties.push(("skip.header.line.count".into(), "2".into())),
        _ => {}
    }
    if let Some(folder) = aws_logs_folder(table) {
        if options.accounts.is_empty() {
            return Err(Refusal::new(format!(
                "Athena's partition projection for {} lists the accounts it reads: give --accounts 111122223333[,...]",
                table.service
            )));
        }
        let regions = if options.regions.is_empty() {
            REGIONS.to_string()
        } else {
            options.regions.join(",")
        };
        let pairs = [
            ("projection.enabled", "true".to_string()),
            ("projection.log_account.type", "enum".into()),
            ("projection.log_account.values", options.accounts.join(",")),
            ("projection.log_region.type", "enum".into()),
            ("projection.log_region.values", regions),
            ("projection.day.type", "date".into()),
            ("projection.day.format", "yyyy/MM/dd".into()),
            ("projection.day.range", format!("{FIRST_DAY},NOW")),
            ("projection.day.interval", "1".into()),
            ("projection.day.interval.unit", "DAYS".into()),
            (
                "storage.location.template",
                format!("{location}/${{log_account}}/{folder}/${{log_region}}/${{day}}"),
            ),
        ];
        properties.extend(pairs.into_iter().map(|(k, v)| (k.to_string(), v)));
    }
    if properties.is_empty() {
        return Ok(String::new());
    }
    let lines: Vec<String> = properties
        .iter()
        .map(|(k, v)| format!("  '{k}' = '{v}'"))
        .collect();
    Ok(format!("TBLPROPERTIES (\n{}\n)", lines.join(",\n")))
}
