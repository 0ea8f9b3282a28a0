//! The SQL side of "same answers as SQL", shared by `engine/tests/correlate_sql.rs` (the
//! [`Correlator`](sigil_engine::correlate::Correlator) fed directly) and
//! `tests/correlate_sql_hunt.rs` (the `sigil hunt` command over files).
//!
//! The text logs (VPC Flow, ALB, CloudFront) are turned into records by a minimal parser here
//! (the engine's own readers are not used, so the SQL side stays independent of them);
//! CloudTrail and GuardDuty lines are JSON already. The parsed values fill the tables that
//! `scripts/correlate_duckdb.py` queries with the runbook's SQL.
//!
//! Two comparisons per aggregate query ([`CHECKS`]): the runbook's plain `GROUP BY ... HAVING`
//! over the whole corpus against the rule with its timespan raised to a day
//! ([`whole_range_rules`]: one window holds the whole hour of the corpus), and the rule as
//! bundled against the same aggregate over sliding windows (SQL window functions with
//! `RANGE ... PRECEDING`), group by group, value by value.

use serde_json::{Map, Value, json};
use sigil_compiler::{RuleId, RuleSet};
use sigil_corpus::Source;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::Command;

/// Per group (the group-by values, in the rule's order), the largest aggregate value.
pub type Groups = BTreeMap<Vec<Option<String>>, f64>;

/// The largest value per group among a correlation's matches, given as (group values, value).
pub fn peaks(matches: impl IntoIterator<Item = (Vec<Option<String>>, f64)>) -> Groups {
    let mut groups = Groups::new();
    for (key, value) in matches {
        let peak = groups.entry(key).or_insert(f64::MIN);
        *peak = peak.max(value);
    }
    groups
}

/// Whether `python3 -c 'import duckdb'` works; prints the skip notice when it does not.
pub fn duckdb_available() -> bool {
    let available = Command::new("python3")
        .args(["-c", "import duckdb"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "python3 with duckdb is missing under CI=true (.ci/run installs it)"
        );
        println!("NOTICE: skipped: python3 with duckdb is not available (pip install duckdb)");
    }
    available
}

/// One parsed record of a source.
pub struct Parsed {
    /// The log source it came from.
    pub source: Source,
    /// The record, with the field names the rules use.
    pub record: Value,
}

/// Parses one line of `source`; `header` is the header text of its file (VPC Flow field names,
/// CloudFront `#Fields`), empty for sources without one.
pub fn parse(source: Source, header: &str, line: &str) -> Value {
    match source {
        Source::VpcFlow => parse_vpc(header, line),
        Source::Alb => parse_alb(line),
        Source::CloudFront => parse_cloudfront(header, line),
        _ => serde_json::from_str(line).unwrap(),
    }
}

/// Splits an ALB line on spaces, keeping double-quoted fields whole (without their quotes).
fn alb_fields(line: &str) -> Vec<&str> {
    let mut fields = Vec::new();
    let mut rest = line;
    while !rest.is_empty() {
        if let Some(quoted) = rest.strip_prefix('"') {
            let end = quoted.find('"').unwrap_or(quoted.len());
            fields.push(&quoted[..end]);
            rest = quoted.get(end + 1..).unwrap_or("").trim_start();
        } else {
            let end = rest.find(' ').unwrap_or(rest.len());
            fields.push(&rest[..end]);
            rest = rest[end..].trim_start();
        }
    }
    fields
}

fn parse_alb(line: &str) -> Value {
    let f = alb_fields(line);
    let client_ip = f[3].rsplit_once(':').map_or(f[3], |(ip, _)| ip);
    let url = f[12].split(' ').nth(1).filter(|u| *u != "-");
    json!({"time": f[1], "client_ip": client_ip, "elb_status_code": f[8].parse::<i64>().ok(),
           "request_url": url, "timestamp": f[1]})
}

const VPC_NUMBERS: &[&str] = &[
    "version", "srcport", "dstport", "protocol", "packets", "bytes", "start", "end",
];

fn parse_vpc(header: &str, line: &str) -> Value {
    let mut record = Map::new();
    for (name, value) in header.split_whitespace().zip(line.split_whitespace()) {
        if value == "-" {
            continue;
        }
        let value = match value.parse::<i64>() {
            Ok(n) if VPC_NUMBERS.contains(&name) => json!(n),
            _ => json!(value),
        };
        record.insert(name.to_string(), value);
    }
    if let Some(start) = record.get("start").and_then(Value::as_i64) {
        let time = jiff::Timestamp::from_second(start).unwrap().to_string();
        record.insert("timestamp".into(), json!(time));
    }
    Value::Object(record)
}

fn parse_cloudfront(header: &str, line: &str) -> Value {
    let names = header
        .lines()
        .find_map(|l| l.strip_prefix("#Fields: "))
        .unwrap();
    let mut record = Map::new();
    for (name, value) in names.split(' ').zip(line.split('\t')) {
        if value == "-" {
            continue;
        }
        let value = match value.parse::<i64>() {
            Ok(n) if name == "sc-status" => json!(n),
            _ => json!(value),
        };
        record.insert(name.to_string(), value);
    }
    let stamp = format!(
        "{}T{}Z",
        record["date"].as_str().unwrap(),
        record["time"].as_str().unwrap()
    );
    record.insert("timestamp".into(), json!(stamp));
    Value::Object(record)
}

/// The time of a record, in epoch microseconds, as the engine reads it.
fn time_us(record: &Value) -> i64 {
    sigil_engine::event_time_of(record.to_string().as_bytes())
        .unwrap()
        .as_microsecond()
}

/// Writes the corpus as the JSONL tables `scripts/correlate_duckdb.py` reads.
fn write_tables(dir: &Path, corpus: &[Parsed]) {
    let mut files: BTreeMap<&str, std::fs::File> = BTreeMap::new();
    for item in corpus {
        let r = &item.record;
        let (table, row) = match item.source {
            Source::CloudTrail => (
                "cloudtrail",
                json!({"eventID": r["eventID"], "user_type": r["userIdentity"]["type"],
                       "invoked_by": r["userIdentity"]["invokedBy"], "event_type": r["eventType"]}),
            ),
            Source::VpcFlow if r.get("interface-id").is_some() => (
                "vpcflow",
                json!({"interface_id": r["interface-id"], "srcaddr": r["srcaddr"], "dstaddr": r["dstaddr"],
                       "bytes": r["bytes"], "ts_us": time_us(r)}),
            ),
            Source::GuardDuty => ("guardduty", json!({"type": r["type"], "ts_us": time_us(r)})),
            Source::Alb => (
                "alb",
                json!({"client_ip": r["client_ip"], "request_url": r["request_url"],
                       "elb_status_code": r["elb_status_code"], "ts_us": time_us(r)}),
            ),
            Source::CloudFront => (
                "cloudfront",
                json!({"c_ip": r["c-ip"], "cs_uri_stem": r["cs-uri-stem"], "sc_status": r["sc-status"],
                       "ts_us": time_us(r)}),
            ),
            _ => continue,
        };
        let file = files
            .entry(table)
            .or_insert_with(|| std::fs::File::create(dir.join(format!("{table}.jsonl"))).unwrap());
        writeln!(file, "{row}").unwrap();
    }
}

/// Runs the runbook's queries (`scripts/correlate_duckdb.py` under the workspace `root`) over
/// `corpus`; returns the script's answer (query name -> rows).
pub fn duckdb(root: &Path, corpus: &[Parsed]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    write_tables(dir.path(), corpus);
    let output = Command::new("python3")
        .arg(root.join("scripts/correlate_duckdb.py"))
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The rule named `name` (its `name:` key).
pub fn rule_named(rules: &RuleSet, name: &str) -> RuleId {
    rules
        .iter()
        .find(|(_, r)| r.meta.name.as_deref() == Some(name))
        .map(|(id, _)| id)
        .unwrap_or_else(|| panic!("no rule {name}"))
}

/// The name of the rule for root account activity, the one detection the runbook asks for.
pub const ROOT_RULE: &str = "sigil_root_account_activity";

/// The bundled correlations of `root/rules/correlations` as one multi-document YAML text, with
/// the timespans of the sliding-window rules raised to a day: one window then holds the whole
/// corpus, which is what the runbook's plain `GROUP BY` computes.
pub fn whole_range_rules(root: &Path) -> String {
    let folder = root.join("rules/correlations");
    let mut text = String::new();
    for file in [
        "aws_vpcflow_large_transfer_between_pair.yml",
        "aws_http_403_burst_per_client_uri.yml",
    ] {
        let rule = std::fs::read_to_string(folder.join(file)).unwrap();
        text.push_str(
            &rule
                .replace("timespan: 10m", "timespan: 1d")
                .replace("timespan: 5m", "timespan: 1d"),
        );
        text.push_str("\n---\n");
    }
    text.push_str(&std::fs::read_to_string(folder.join("aws_root_account_activity.yml")).unwrap());
    text
}

/// One comparison of a correlation rule's groups with a SQL query's rows.
pub struct Check {
    /// What is compared, for the printout.
    pub title: &'static str,
    /// Whether the rule runs with [`whole_range_rules`] (else as bundled).
    pub whole_range: bool,
    /// The correlation rule's name.
    pub rule: &'static str,
    /// The query of `scripts/correlate_duckdb.py`.
    pub query: &'static str,
}

/// Every aggregate comparison.
pub const CHECKS: [Check; 5] = [
    Check {
        title: "GuardDuty findings by type",
        whole_range: false,
        rule: "sigil_guardduty_findings_by_type",
        query: "guardduty_by_type",
    },
    Check {
        title: "VPC pairs, whole range",
        whole_range: true,
        rule: "sigil_vpcflow_large_transfer_between_pair",
        query: "vpc_total",
    },
    Check {
        title: "VPC pairs, 10-minute windows",
        whole_range: false,
        rule: "sigil_vpcflow_large_transfer_between_pair",
        query: "vpc_sliding",
    },
    Check {
        title: "403 per client and URI, whole range",
        whole_range: true,
        rule: "sigil_http_403_burst_per_client_uri",
        query: "forbidden_total",
    },
    Check {
        title: "403 per client and URI, 5-minute windows",
        whole_range: false,
        rule: "sigil_http_403_burst_per_client_uri",
        query: "forbidden_sliding",
    },
];

/// SQL rows (group values, then the aggregate) as groups.
pub fn rows(sql: &Value, query: &str) -> Groups {
    sql[query]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let row = row.as_array().unwrap();
            let (value, key) = row.split_last().unwrap();
            let key = key.iter().map(|v| v.as_str().map(str::to_string)).collect();
            (key, value.as_f64().unwrap())
        })
        .collect()
}

/// Prints both sides of `check`, then asserts that SQL found rows and that Sigil found the same
/// groups with the same values.
pub fn compare(check: &Check, ours: &Groups, sql: &Value) {
    let theirs = rows(sql, check.query);
    println!(
        "== {}: {} groups (Sigil) / {} rows (DuckDB)",
        check.title,
        ours.len(),
        theirs.len()
    );
    for (key, value) in &theirs {
        let found = ours.get(key).map_or("-".to_string(), |v| v.to_string());
        println!("  {key:?}  sql={value}  sigil={found}");
    }
    assert!(
        !theirs.is_empty(),
        "{}: the corpus should give rows",
        check.title
    );
    assert_eq!(ours, &theirs, "{}", check.title);
}

/// Prints both counts of root account events, then asserts that SQL found some and that Sigil
/// found the same event ids (`ours` sorted).
pub fn compare_root(ours: &[String], sql: &Value) {
    let theirs: Vec<String> = sql["root_activity"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row[0].as_str().unwrap().to_string())
        .collect();
    println!(
        "== root activity: {} events (Sigil) / {} rows (DuckDB)",
        ours.len(),
        theirs.len()
    );
    assert!(
        !theirs.is_empty(),
        "root activity: the corpus should give rows"
    );
    assert_eq!(ours, theirs, "root activity");
}
