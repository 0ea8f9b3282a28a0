//! `sigil convert --target athena`, proven without Athena: every query is parsed by sqlglot as
//! Trino, written as DuckDB and run over DuckDB tables built as Athena's SerDes read the files
//! of `sigil convert --target athena --ddl` (structs, JSON held as text, text logs cut by AWS's
//! regex or separators). On the embedded sample, the real CloudTrail of `../shared/data`,
//! correlations at their window edges and `--from/--to`, the answers are `sigil hunt`'s; the
//! seeds' four questions also give the runbook's SQL answers, and `--from/--to` bound the day
//! partitions. What this proves and does not: README, "Querying at scale".

mod convert_support;

use convert_support::cases::{ordered_ties_proof, semantics_proof, windows_proof};
use convert_support::{
    Check, Engine, available, check, sample_copy, sample_proof, sample_sources,
    shared_cloudtrail_proof, sigil, text,
};

#[test]
fn athena_answers_as_sigil_on_the_sample() {
    if available(Engine::Athena) {
        sample_proof("athena", &[]);
    }
}

#[test]
fn athena_answers_as_sigil_on_real_cloudtrail() {
    if available(Engine::Athena) {
        shared_cloudtrail_proof("athena");
    }
}

#[test]
fn athena_correlation_windows_are_sigils() {
    if available(Engine::Athena) {
        windows_proof("athena");
    }
}

#[test]
fn athena_time_range_is_hunts() {
    if available(Engine::Athena) {
        sample_proof(
            "athena",
            &[
                "--from",
                "2026-10-01T00:30:00Z",
                "--to",
                "2026-10-01T01:30:00Z",
            ],
        );
    }
}

/// The runbook's four questions as it asks them of Athena's tables, the sliding ones over the
/// rules' windows (as `scripts/correlate_duckdb.py` adapts them), each with the id of the rule
/// that asks it.
const SEED_QUESTIONS: [(&str, &str); 4] = [
    (
        "f733cf1a-4583-4914-a5e2-3ea7220e6ca5",
        "SELECT eventid FROM cloudtrail WHERE useridentity.type = 'Root' \
         AND useridentity.invokedby IS NULL \
         AND (eventtype IS NULL OR eventtype <> 'AwsServiceEvent')",
    ),
    (
        "1f3a362e-3412-4bda-8133-f13b0a2a003d",
        "SELECT interface_id, srcaddr, dstaddr, MAX(total) FROM ( \
           SELECT interface_id, srcaddr, dstaddr, SUM(bytes) OVER ( \
             PARTITION BY interface_id, srcaddr, dstaddr ORDER BY start \
             RANGE BETWEEN 600 PRECEDING AND CURRENT ROW) AS total \
           FROM vpcflow WHERE bytes IS NOT NULL) \
         WHERE total > 1000000 GROUP BY interface_id, srcaddr, dstaddr",
    ),
    (
        "8e898cf3-4e9a-4be7-8f88-ee4ff47759d7",
        "SELECT type, COUNT(*) FROM guardduty GROUP BY type",
    ),
    (
        "52ecc651-d237-4baf-9ebb-6854ecb3fffb",
        "SELECT client, uri, MAX(n) FROM ( \
           SELECT client, uri, COUNT(*) OVER (PARTITION BY client, uri ORDER BY ts \
             RANGE BETWEEN 300000000 PRECEDING AND CURRENT ROW) AS n FROM ( \
             SELECT client_ip AS client, request_url AS uri, \
               to_unixtime(from_iso8601_timestamp(time)) * 1000000 AS ts \
             FROM alb WHERE elb_status_code = 403 \
             UNION ALL \
             SELECT request_ip, url_decode(uri), \
               to_unixtime(from_iso8601_timestamp(concat(CAST(date AS VARCHAR), 'T', time, 'Z'))) * 1000000 \
             FROM cloudfront WHERE status = 403)) \
         WHERE n >= 20 GROUP BY client, uri",
    ),
];

#[test]
fn athena_seed_questions_give_the_runbooks_answers() {
    if !available(Engine::Athena) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sample = sample_copy(dir.path());
    let seeds = convert_support::root().join("rules/correlations");
    let range = [
        "--from",
        "2026-10-01T00:00:00Z",
        "--to",
        "2026-10-01T23:59:59Z",
    ];
    let args = [&["-r", text(&seeds)][..], &range].concat();
    // The correlations and the root rule: the other detections feed the correlations and are
    // not reported on their own.
    let queries: String = sigil(
        &[
            &["convert", "--target", "athena", "--format", "jsonl"][..],
            &args,
        ]
        .concat(),
    )
    .lines()
    .filter(|l| l.contains(r#""kind":"correlation""#) || l.contains(SEED_QUESTIONS[0].0))
    .map(|l| format!("{l}\n"))
    .collect();
    // Athena reads only the days asked for (and the next, where late deliveries land).
    for line in queries.lines() {
        let query: serde_json::Value = serde_json::from_str(line).unwrap();
        let sql = query["query"].as_str().unwrap();
        let partitioned = query["services"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| ["cloudtrail", "vpcflow", "alb"].contains(&s.as_str().unwrap()));
        for bound in [r#""day" >= '2026/10/01'"#, r#""day" <= '2026/10/02'"#] {
            assert_eq!(
                sql.contains(bound),
                partitioned,
                "{bound} in {}",
                query["rule"]["title"]
            );
        }
    }
    let hunt = sigil(&[&["hunt", "--format", "jsonl", text(&sample)][..], &args].concat());
    let report = check(Check {
        target: "athena",
        sources: &sample_sources(&sample),
        queries: vec![queries],
        hunts: vec![hunt],
        services: None,
        kind: None,
        references: SEED_QUESTIONS.to_vec(),
    });
    let references = report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.get("reference").is_some())
        .count();
    assert_eq!(references, 4);
}

#[test]
fn athena_matches_sigils_semantics_point_by_point() {
    if available(Engine::Athena) {
        semantics_proof("athena");
    }
}

#[test]
fn athena_temporal_ordered_stops_on_tied_events() {
    if available(Engine::Athena) {
        ordered_ties_proof("athena");
    }
}
