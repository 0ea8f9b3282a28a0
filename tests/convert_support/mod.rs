//! What the `sigil convert` proofs share: running `sigil convert` and `sigil hunt` on the same
//! files, and `scripts/convert_check.py`, which runs the queries in an engine (DuckDB, a local
//! Spark, or Athena's tables emulated in DuckDB with the queries transpiled from Trino by
//! sqlglot) and compares, rule by rule, the records (or correlation matches) they return with
//! the ones Sigil reported.
//!
//! The engines are Python packages (`duckdb`, `sqlglot`, `pyspark` with a JRE) that `.ci/run`
//! installs: driving them from Python keeps the Rust build free of DuckDB's C++ (the `duckdb`
//! crate's bundled build takes many minutes on two cores). A test whose engine is missing prints
//! a notice and passes, except under `CI=true`, where a missing engine is a failure.

#![allow(dead_code)] // each test file uses part of this module

pub mod cases;

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The workspace root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared/data`, or `None` (after a notice) when it is absent.
pub fn shared_data() -> Option<PathBuf> {
    let dir = root().join("../shared/data");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("skipped: {} is absent", dir.display());
        None
    }
}

/// An engine the proofs need.
#[derive(Clone, Copy, Debug)]
pub enum Engine {
    /// The `duckdb` Python package.
    DuckDb,
    /// `duckdb` and `sqlglot` (the Athena proof).
    Athena,
    /// `pyspark` and a `java` to run it.
    Spark,
}

/// Whether `engine` can run here. When it cannot: a notice and `false`, or a panic under
/// `CI=true`.
pub fn available(engine: Engine) -> bool {
    let modules = match engine {
        Engine::DuckDb => "import duckdb",
        Engine::Athena => "import duckdb, sqlglot",
        Engine::Spark => "import pyspark",
    };
    let python = std::process::Command::new("python3")
        .args(["-c", modules])
        .output()
        .is_ok_and(|o| o.status.success());
    let java = !matches!(engine, Engine::Spark)
        || std::process::Command::new("java")
            .arg("-version")
            .output()
            .is_ok_and(|o| o.status.success());
    if python && java {
        return true;
    }
    let missing = format!(
        "{engine:?}: python3 with `{modules}`{}",
        if java { "" } else { " and java" }
    );
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{missing} is required under CI=true (.ci/run installs it)"
    );
    println!("skipped: {missing} is not available");
    false
}

/// Runs the `sigil` binary with `args`; returns its stdout. Exit status 0 or 2 (input
/// warnings) is expected.
pub fn sigil(args: &[&str]) -> String {
    let output = Command::cargo_bin("sigil")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    let code = output.status.code();
    assert!(
        matches!(code, Some(0 | 2)),
        "sigil {args:?} exited with {code:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The path as a `&str`.
pub fn text(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A copy of the bundled pack without its correlation rules, in `dir`: a base rule that a
/// correlation reads is not reported on its own, so its detection query is compared with a
/// hunt without the correlations.
pub fn pack_detections(dir: &Path) -> PathBuf {
    let out = dir.join("pack");
    for entry in walk(&root().join("rules")) {
        let name = entry.to_str().unwrap();
        if !name.ends_with(".yml") || name.ends_with(".tests.yml") {
            continue;
        }
        let text = std::fs::read_to_string(&entry).unwrap();
        let kept: Vec<&str> = text
            .split("\n---\n")
            .filter(|doc| !format!("\n{doc}").contains("\ncorrelation:"))
            .collect();
        let target = out.join(entry.strip_prefix(root()).unwrap());
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, kept.join("\n---\n")).unwrap();
    }
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// SigmaHQ's AWS rules in `../shared/data`.
pub fn sigmahq_aws(shared: &Path) -> PathBuf {
    shared.join("sigmahq-rules/rules/cloud/aws")
}

/// Where the sample's ALB log goes in [`sample_copy`]: AWS's key layout, which gives Athena's
/// day partition.
const SAMPLE_ALB: &str = "AWSLogs/302828302752/elasticloadbalancing/us-east-1/2026/10/01/\
    302828302752_elasticloadbalancing_us-east-1_app.prod-web-alb.ee69b44487e838de_20261001T0000Z_10.0.0.1_sample.log";

/// A copy of the embedded sample in `dir`, as AWS lays the files out (its ALB log moved under
/// `AWSLogs/`), without the ground truth.
pub fn sample_copy(dir: &Path) -> PathBuf {
    let from = root().join("corpus/samples");
    let to = dir.join("sample");
    for file in walk(&from) {
        let relative = file.strip_prefix(&from).unwrap();
        let target = match relative.to_str().unwrap() {
            "ground-truth.jsonl" => continue,
            "alb.log" => to.join(SAMPLE_ALB),
            _ => to.join(relative),
        };
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(&file, target).unwrap();
    }
    to
}

/// The files of each log source in a [`sample_copy`], as each target's `--ddl` takes them.
pub fn sample_sources(sample: &Path) -> Vec<(&'static str, String)> {
    let s = |p: &str| sample.join(p).to_str().unwrap().to_string();
    vec![
        ("cloudtrail", s("AWSLogs/*/CloudTrail/*/*/*/*/*.json.gz")),
        ("guardduty", s("AWSLogs/*/GuardDuty/*/*/*/*/*.jsonl.gz")),
        ("vpcflow", s("AWSLogs/*/vpcflowlogs/*/*/*/*/*.log.gz")),
        ("waf", s("waf/*/*/*/*/*.gz")),
        ("alb", s(SAMPLE_ALB)),
        ("cloudfront", s("cloudfront.log")),
    ]
}

/// The definitions of `sources` for `target` (for Athena, one `--ddl` run over an S3 prefix:
/// the harness reads the files itself).
pub fn ddl(target: &str, sources: &[(&str, String)]) -> String {
    if target == "athena" {
        return sigil(&[
            "convert",
            "--target",
            "athena",
            "--ddl",
            "s3://logs/AWSLogs/",
            "--accounts",
            "302828302752",
        ]);
    }
    let mut out = String::new();
    for (service, files) in sources {
        let logsource = format!("aws/{service}");
        let text = sigil(&[
            "convert",
            "--target",
            target,
            "--ddl",
            files,
            "--logsource",
            &logsource,
        ]);
        // Spark's session setting comes once.
        if out.is_empty() {
            out.push_str(&text);
        } else {
            out.extend(
                text.lines()
                    .filter(|l| !l.starts_with("SET "))
                    .map(|l| format!("{l}\n")),
            );
        }
    }
    out
}

/// What one run of the harness compares.
pub struct Check<'a> {
    /// `duckdb`, `athena` or `spark`.
    pub target: &'a str,
    /// The log sources and their files.
    pub sources: &'a [(&'a str, String)],
    /// `sigil convert --format jsonl` outputs.
    pub queries: Vec<String>,
    /// `sigil hunt --format jsonl` outputs over the same files.
    pub hunts: Vec<String>,
    /// Compare only the queries of these log sources.
    pub services: Option<&'a str>,
    /// Compare only queries of this kind (`detection`, `correlation`).
    pub kind: Option<&'a str>,
    /// Rules (by id) whose answers must also be those of an SQL query (Trino for Athena).
    pub references: Vec<(&'a str, &'a str)>,
}

/// Runs the harness; asserts that every query gives Sigil's answer; returns the report.
pub fn check(check: Check) -> Value {
    let target = check.target;
    let (report, same) = run_harness(check);
    assert!(
        same,
        "{target}: some queries answer differently from sigil hunt (see above)"
    );
    assert!(
        report["compared"].as_u64().unwrap() > 0,
        "nothing was compared"
    );
    report
}

/// Runs the harness; returns its report, and whether every query gave Sigil's answer.
pub fn run_harness(check: Check) -> (Value, bool) {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    };
    let report = dir.path().join("report.json");
    let mut args = vec![
        text(&root().join("scripts/convert_check.py")).to_string(),
        "--target".into(),
        check.target.into(),
        "--ddl".into(),
        write("ddl.sql", &ddl(check.target, check.sources)),
        "--report".into(),
        text(&report).into(),
    ];
    for (i, queries) in check.queries.iter().enumerate() {
        args.extend([
            "--queries".into(),
            write(&format!("queries{i}.jsonl"), queries),
        ]);
    }
    for (i, hunt) in check.hunts.iter().enumerate() {
        args.extend(["--hunt".into(), write(&format!("hunt{i}.jsonl"), hunt)]);
    }
    if check.target == "athena" {
        for (service, files) in check.sources {
            args.extend(["--data".into(), format!("{service}={files}")]);
        }
    }
    if let Some(services) = check.services {
        args.extend(["--services".into(), services.into()]);
    }
    if let Some(kind) = check.kind {
        args.extend(["--kind".into(), kind.into()]);
    }
    for (rule, sql) in &check.references {
        args.extend(["--reference".into(), format!("{rule}={sql}")]);
    }
    let output = std::process::Command::new("python3")
        .args(&args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    // The rules whose answers differ, and the summary.
    for line in stdout
        .lines()
        .filter(|l| !l.starts_with("ok   ") || l.contains(" reference "))
    {
        println!("{line}");
    }
    let report: Value = std::fs::read(&report)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_else(|| panic!("no report: {}", String::from_utf8_lossy(&output.stderr)));
    (report, output.status.success())
}

/// How many rules of a report Sigil found matches for.
pub(crate) fn rules_with_matches(report: &Value) -> usize {
    report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["sigil"].as_u64().is_some_and(|n| n > 0))
        .count()
}

/// The pack's detections and SigmaHQ's AWS rules (when `../shared/data` is there), and the
/// pack's correlations, on the embedded sample: converted for `target` and checked against
/// `sigil hunt`, both given `range` (`--from`/`--to`, or nothing).
pub fn sample_proof(target: &str, range: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let pack = pack_detections(dir.path());
    let sigma = shared_data().map(|shared| sigmahq_aws(&shared));
    let samples = sample_copy(dir.path());
    let mut rules = vec!["-r", text(&pack)];
    if let Some(sigma) = &sigma {
        rules.extend(["-r", text(sigma)]);
    }
    rules.extend(range);
    let detections = sigil(
        &[
            &["convert", "--target", target, "--format", "jsonl"][..],
            &rules,
        ]
        .concat(),
    );
    let detection_hunt =
        sigil(&[&["hunt", "--format", "jsonl", text(&samples)][..], &rules].concat());
    let bundled = root().join("rules");
    let bundled_rules = [&["-r", text(&bundled)][..], range].concat();
    let all = sigil(
        &[
            &["convert", "--target", target, "--format", "jsonl"][..],
            &bundled_rules,
        ]
        .concat(),
    );
    let correlations: String = all
        .lines()
        .filter(|l| l.contains(r#""kind":"correlation""#))
        .map(|l| format!("{l}\n"))
        .collect();
    // The correlation matches only: the detections are in the first hunt.
    let correlation_hunt: String = sigil(
        &[
            &["hunt", "--format", "jsonl", text(&samples)][..],
            &bundled_rules,
        ]
        .concat(),
    )
    .lines()
    .filter(|l| l.contains(r#""window":"#))
    .map(|l| format!("{l}\n"))
    .collect();
    let report = check(Check {
        target,
        sources: &sample_sources(&samples),
        queries: vec![detections, correlations],
        hunts: vec![detection_hunt, correlation_hunt],
        services: None,
        kind: None,
        references: Vec::new(),
    });
    let matched = rules_with_matches(&report);
    assert!(
        matched > 20,
        "the sample should exercise many rules, not {matched}"
    );
}

/// SigmaHQ's AWS rules and the pack's detections on the CloudTrail data sets of
/// `../shared/data` (real trails: Invictus IR's, Stratus Red Team's, OTRF's), each checked
/// against `sigil hunt` over the same files.
pub fn shared_cloudtrail_proof(target: &str) {
    let Some(shared) = shared_data() else { return };
    let dir = tempfile::tempdir().unwrap();
    let pack = pack_detections(dir.path());
    let sigma = sigmahq_aws(&shared);
    let rules = ["-r", text(&pack), "-r", text(&sigma)];
    let queries = sigil(
        &[
            &["convert", "--target", target, "--format", "jsonl"][..],
            &rules,
        ]
        .concat(),
    );
    for (folder, files) in [
        (
            "invictus-ir-aws-dataset",
            "AWSLogs/*/CloudTrail/*/*/*/*/*.json.gz",
        ),
        ("stratus-red-team-detonation-logs", "*.json"),
        ("otrf-security-datasets-aws", "*.json"),
    ] {
        let folder = shared.join(folder);
        println!("== {}", folder.display());
        let hunt = sigil(&[&["hunt", "--format", "jsonl", text(&folder)][..], &rules].concat());
        check(Check {
            target,
            sources: &[("cloudtrail", text(&folder.join(files)).to_string())],
            queries: vec![queries.clone()],
            hunts: vec![hunt],
            services: Some("cloudtrail"),
            kind: None,
            references: Vec::new(),
        });
    }
}
