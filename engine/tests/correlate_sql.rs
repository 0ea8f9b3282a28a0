//! Same answers as SQL: the runbook's four Athena queries, run by DuckDB
//! (`scripts/correlate_duckdb.py`) over a generated corpus, against the bundled correlation
//! rules (`rules/correlations/`) evaluated by the [`Correlator`] over the same events.
//!
//! The text logs (VPC Flow, ALB, CloudFront) are turned into records here by a minimal parser
//! (the engine's own readers are not used, so this test checks correlation alone); CloudTrail
//! and GuardDuty lines are JSON already. The same parsed values fill the SQL tables.
//!
//! Two comparisons per aggregate query: the runbook's plain `GROUP BY ... HAVING` over the whole
//! corpus against the rule with its timespan raised to a day (one window holds the whole hour of
//! the corpus), and the rule as bundled against the same aggregate over sliding windows (SQL
//! window functions with `RANGE ... PRECEDING`), group by group, value by value.
//!
//! Skipped, with a notice, when `python3 -c 'import duckdb'` fails.

use serde_json::{Map, Value, json};
use sigil_compiler::{LoadOptions, RuleId, RuleSet, load_paths, load_str};
use sigil_corpus::{Config, Generator, Size, Source};
use sigil_engine::correlate::{CorrelationMatch, Correlator, Observations};
use sigil_engine::eval::Evaluator;
use sigil_engine::time::event_time;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

type Groups = BTreeMap<Vec<Option<String>>, f64>;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn duckdb_available() -> bool {
    Command::new("python3")
        .args(["-c", "import duckdb"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// One parsed record of a source.
struct Parsed {
    source: Source,
    record: Value,
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

fn corpus() -> Vec<Parsed> {
    let generator = Generator::new(Config {
        seed: 11,
        size: Size::Events(4_000),
        plants_per_scenario: 3,
        ..Config::default()
    });
    let mut parsed = Vec::new();
    for source in [
        Source::CloudTrail,
        Source::VpcFlow,
        Source::GuardDuty,
        Source::Alb,
        Source::CloudFront,
    ] {
        let stream = generator.stream(source);
        let headers: Vec<String> = stream
            .streams()
            .iter()
            .map(|s| s.header.clone().unwrap_or_default())
            .collect();
        for record in stream {
            let header = &headers[record.stream];
            let value = match source {
                Source::VpcFlow => parse_vpc(header, &record.text),
                Source::Alb => parse_alb(&record.text),
                Source::CloudFront => parse_cloudfront(header, &record.text),
                _ => serde_json::from_str(&record.text).unwrap(),
            };
            parsed.push(Parsed {
                source,
                record: value,
            });
        }
    }
    parsed
}

/// The time of a record, in epoch microseconds, as the engine reads it.
fn time_us(record: &Value) -> i64 {
    let mut bytes = record.to_string().into_bytes();
    let value = simd_json::to_borrowed_value(&mut bytes).unwrap();
    event_time(&value).unwrap().as_microsecond()
}

/// Runs every detection rule of `rules` over the corpus and correlates; returns the
/// correlation matches and the event ids the root rule matched.
fn correlate(rules: &RuleSet, corpus: &[Parsed]) -> (Vec<CorrelationMatch>, Vec<String>) {
    let correlator = Correlator::new(rules);
    let detections: Vec<RuleId> = rules.detections().map(|(id, _)| id).collect();
    let root_rule = rule_named(rules, "sigil_root_account_activity");
    let mut evaluator = Evaluator::new(rules);
    let mut collector = correlator.collector();
    let mut all = Observations::default();
    let (mut matched, mut verdicts, mut root_ids) = (Vec::new(), Vec::new(), Vec::new());
    for (index, item) in corpus.iter().enumerate() {
        let text = item.record.to_string();
        let mut bytes = text.clone().into_bytes();
        let value = simd_json::to_borrowed_value(&mut bytes).unwrap();
        matched.clear();
        evaluator.matching_rules(&value, detections.iter().copied(), &mut matched);
        if matched.contains(&root_rule) {
            root_ids.push(item.record["eventID"].as_str().unwrap().to_string());
        }
        let path = item.source.name();
        let time = event_time(&value);
        collector.record(
            &matched,
            time,
            text.as_bytes(),
            path.as_ref(),
            index as u64 + 1,
            &mut verdicts,
        );
        if index % 5_000 == 0 {
            all.append(collector.take());
        }
    }
    all.append(collector.take());
    root_ids.sort();
    (correlator.finish(all), root_ids)
}

fn rule_named(rules: &RuleSet, name: &str) -> RuleId {
    rules
        .iter()
        .find(|(_, r)| r.meta.name.as_deref() == Some(name))
        .map(|(id, _)| id)
        .unwrap_or_else(|| panic!("no rule {name}"))
}

/// The largest value per group of one correlation's matches.
fn groups_of(rules: &RuleSet, matches: &[CorrelationMatch], name: &str) -> Groups {
    let rule = rule_named(rules, name);
    let mut groups = Groups::new();
    for m in matches.iter().filter(|m| m.rule == rule) {
        let key: Vec<Option<String>> = m.group.iter().map(|(_, v)| v.clone()).collect();
        let peak = groups.entry(key).or_insert(f64::MIN);
        *peak = peak.max(m.value);
    }
    groups
}

/// SQL rows (group values, then the aggregate) as groups.
fn rows(sql: &Value, query: &str) -> Groups {
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

fn show(title: &str, sigil: &Groups, sql: &Groups) {
    println!(
        "== {title}: {} groups (Sigil) / {} rows (DuckDB)",
        sigil.len(),
        sql.len()
    );
    for (key, value) in sql {
        let ours = sigil.get(key).map_or("-".to_string(), |v| v.to_string());
        println!("  {key:?}  sql={value}  sigil={ours}");
    }
}

#[test]
fn the_bundled_correlations_give_the_runbook_sql_answers() {
    if !duckdb_available() {
        println!("NOTICE: skipped: python3 with duckdb is not available (pip install duckdb)");
        return;
    }
    let folder = root().join("rules/correlations");
    let loaded = load_paths(std::slice::from_ref(&folder), &LoadOptions::default());
    assert_eq!(loaded.refused, 0);
    let corpus = corpus();
    let (matches, root_ids) = correlate(&loaded.rules, &corpus);

    // The runbook's whole-range GROUP BY: the same rules with windows longer than the corpus.
    let mut whole_day = String::new();
    for file in [
        "aws_vpcflow_large_transfer_between_pair.yml",
        "aws_http_403_burst_per_client_uri.yml",
    ] {
        let text = std::fs::read_to_string(folder.join(file)).unwrap();
        whole_day.push_str(
            &text
                .replace("timespan: 10m", "timespan: 1d")
                .replace("timespan: 5m", "timespan: 1d"),
        );
        whole_day.push_str("\n---\n");
    }
    whole_day
        .push_str(&std::fs::read_to_string(folder.join("aws_root_account_activity.yml")).unwrap());
    let day_rules = load_str("day.yml".as_ref(), &whole_day, &LoadOptions::default());
    assert_eq!(day_rules.refused, 0);
    let (day_matches, _) = correlate(&day_rules.rules, &corpus);

    let dir = tempfile::tempdir().unwrap();
    write_tables(dir.path(), &corpus);
    let output = Command::new("python3")
        .arg(root().join("scripts/correlate_duckdb.py"))
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let sql: Value = serde_json::from_slice(&output.stdout).unwrap();

    let sql_root: Vec<String> = sql["root_activity"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row[0].as_str().unwrap().to_string())
        .collect();
    println!(
        "== root activity: {} events (Sigil) / {} rows (DuckDB)",
        root_ids.len(),
        sql_root.len()
    );
    assert!(!sql_root.is_empty());
    assert_eq!(root_ids, sql_root);

    let checks = [
        (
            "GuardDuty findings by type",
            &loaded.rules,
            &matches,
            "sigil_guardduty_findings_by_type",
            "guardduty_by_type",
        ),
        (
            "VPC pairs, whole range",
            &day_rules.rules,
            &day_matches,
            "sigil_vpcflow_large_transfer_between_pair",
            "vpc_total",
        ),
        (
            "VPC pairs, 10-minute windows",
            &loaded.rules,
            &matches,
            "sigil_vpcflow_large_transfer_between_pair",
            "vpc_sliding",
        ),
        (
            "403 per client and URI, whole range",
            &day_rules.rules,
            &day_matches,
            "sigil_http_403_burst_per_client_uri",
            "forbidden_total",
        ),
        (
            "403 per client and URI, 5-minute windows",
            &loaded.rules,
            &matches,
            "sigil_http_403_burst_per_client_uri",
            "forbidden_sliding",
        ),
    ];
    for (title, rules, found, rule, query) in checks {
        let ours = groups_of(rules, found, rule);
        let theirs = rows(&sql, query);
        show(title, &ours, &theirs);
        assert!(!theirs.is_empty(), "{title}: the corpus should give rows");
        assert_eq!(ours, theirs, "{title}");
    }
    // Over one hour, a one-day window gives one match per finding type, counting them all.
    let rule = rule_named(&loaded.rules, "sigil_guardduty_findings_by_type");
    let per_type = matches.iter().filter(|m| m.rule == rule).count();
    assert_eq!(per_type, rows(&sql, "guardduty_by_type").len());
}
