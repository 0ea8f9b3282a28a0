//! Processing pipelines give the matches pySigma gives: each case of `tests/pipelines/cases/`
//! (a pipeline file, with the built-in pipelines it builds on) is applied to rules of
//! `tests/pipelines/rules/` by `sigil hunt -p` (prefilter on and off) and by pySigma, whose
//! SQLite queries run over the same events (`tests/support/pysigma.rs`); the (rule, event)
//! pairs must be the same. The events are the CloudTrail records of the generated sample
//! (`corpus/samples`) and, when present, of `../shared/data` (skipped with a notice when absent).
//! The built-in pipelines are given to pySigma as their files in `compiler/src/pipeline/builtin/`.
//!
//! Skipped, with a notice, when pySigma and its SQLite backend are not installed, except under
//! `CI=true`, where that is a failure.

mod support;

use flate2::read::MultiGzDecoder;
use serde_json::Value;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use support::pysigma::{Pairs, pysigma, pysigma_available, root, sigil};

/// One case: pipelines (built-in names or case files) and rule files.
struct Case {
    name: &'static str,
    pipelines: &'static [&'static str],
    rules: &'static [&'static str],
}

const BUILTINS: &[&str] = &["ecs-aws", "ocsf-cloudtrail"];

const CASES: &[Case] = &[
    Case {
        name: "built-in pipelines",
        pipelines: BUILTINS,
        rules: &["ecs", "ocsf"],
    },
    Case {
        name: "add_condition",
        pipelines: &["ecs-aws", "ocsf-cloudtrail", "add_condition"],
        rules: &["ecs", "ocsf"],
    },
    Case {
        name: "replace_string",
        pipelines: &["ecs-aws", "replace_string"],
        rules: &["ecs"],
    },
    Case {
        name: "drop_detection_item",
        pipelines: &["ecs-aws", "ocsf-cloudtrail", "drop"],
        rules: &["ecs", "ocsf"],
    },
    Case {
        name: "field names and their conditions",
        pipelines: &["fields"],
        rules: &["short"],
    },
    Case {
        name: "change_logsource",
        pipelines: &["change_logsource", "ecs-aws"],
        rules: &["elastic"],
    },
    Case {
        name: "value_placeholders",
        pipelines: &["ecs-aws", "placeholders"],
        rules: &["placeholder"],
    },
];

/// The file of a pipeline: a built-in's YAML, or a case file.
fn pipeline_file(name: &str) -> PathBuf {
    if BUILTINS.contains(&name) {
        root().join(format!("compiler/src/pipeline/builtin/{name}.yml"))
    } else {
        root().join(format!("tests/pipelines/cases/{name}.yml"))
    }
}

/// The pipeline as `sigil -p` takes it: a built-in's name, or a case file.
fn pipeline_arg(name: &str) -> String {
    if BUILTINS.contains(&name) {
        name.to_string()
    } else {
        pipeline_file(name).to_string_lossy().into_owned()
    }
}

/// The CloudTrail records (with an `eventID`) of every `.json`/`.json.gz` file under `dir`:
/// envelopes, arrays or single objects.
fn cloudtrail_records(dir: &Path) -> Vec<Value> {
    let mut records = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.unwrap();
        let path = entry.path().to_string_lossy().into_owned();
        if !entry.file_type().is_file() || path.contains("Digest") {
            continue;
        }
        let mut text = String::new();
        if path.ends_with(".json.gz") {
            let file = std::fs::File::open(entry.path()).unwrap();
            if MultiGzDecoder::new(file).read_to_string(&mut text).is_err() {
                continue;
            }
        } else if path.ends_with(".json") {
            text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        } else {
            continue;
        }
        let Ok(doc) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        let items = match doc {
            Value::Object(mut o) if o.contains_key("Records") => match o.remove("Records") {
                Some(Value::Array(items)) => items,
                _ => continue,
            },
            Value::Array(items) => items,
            other => vec![other],
        };
        records.extend(
            items
                .into_iter()
                .filter(|r| r["eventID"].is_string() && r["eventSource"].is_string()),
        );
    }
    records
}

fn write_events(records: &[Value], dir: &Path) -> PathBuf {
    let path = dir.join("events.jsonl");
    let mut file = std::fs::File::create(&path).unwrap();
    for record in records {
        writeln!(file, "{record}").unwrap();
    }
    path
}

/// Runs every case over `events`; returns the number of matches found.
fn check_cases(events: &Path) -> usize {
    let mut total = 0;
    for case in CASES {
        let files: Vec<PathBuf> = pipeline_names(case).map(pipeline_file).collect();
        let files: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
        let args: Vec<String> = pipeline_names(case).map(pipeline_arg).collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let rules: Vec<PathBuf> = case
            .rules
            .iter()
            .map(|r| root().join(format!("tests/pipelines/rules/{r}.yml")))
            .collect();
        let rules: Vec<&Path> = rules.iter().map(PathBuf::as_path).collect();
        let expected: Pairs = pysigma(events, &files, &rules);
        println!("{}: {} matches", case.name, expected.len());
        assert_eq!(
            sigil(events, &args, &rules, true),
            expected,
            "{}, prefilter on",
            case.name
        );
        assert_eq!(
            sigil(events, &args, &rules, false),
            expected,
            "{}, prefilter off",
            case.name
        );
        total += expected.len();
    }
    total
}

fn pipeline_names(case: &Case) -> impl Iterator<Item = &'static str> {
    case.pipelines.iter().copied()
}

#[test]
fn pipelines_give_the_matches_pysigma_gives_on_the_generated_sample() {
    if !pysigma_available() {
        return;
    }
    let records = cloudtrail_records(&root().join("corpus/samples"));
    assert!(records.len() > 100, "{} records", records.len());
    let dir = tempfile::tempdir().unwrap();
    let events = write_events(&records, dir.path());
    // Every case finds something, so agreeing means something.
    assert!(check_cases(&events) > 0);
    for case in CASES {
        let rules: Vec<PathBuf> = case
            .rules
            .iter()
            .map(|r| root().join(format!("tests/pipelines/rules/{r}.yml")))
            .collect();
        let rules: Vec<&Path> = rules.iter().map(PathBuf::as_path).collect();
        let args: Vec<String> = pipeline_names(case).map(pipeline_arg).collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let with = sigil(&events, &args, &rules, true);
        assert!(!with.is_empty(), "{}: no match", case.name);
        // Without its own pipeline file (the built-ins alone), the case finds other things.
        // (Without its values, the placeholder rule does not run at all.)
        let base: Vec<&str> = args
            .iter()
            .copied()
            .filter(|a| BUILTINS.contains(a))
            .collect();
        if base.len() < args.len() && case.name != "value_placeholders" {
            assert_ne!(
                sigil(&events, &base, &rules, true),
                with,
                "{}: the pipeline changes nothing",
                case.name
            );
        }
    }
}

#[test]
fn pipelines_give_the_matches_pysigma_gives_on_shared_data() {
    let data = root().join("../shared/data");
    if !data.is_dir() {
        println!("NOTICE: skipped: ../shared/data is absent");
        return;
    }
    if !pysigma_available() {
        return;
    }
    let mut records = Vec::new();
    for folder in [
        "invictus-ir-aws-dataset",
        "stratus-red-team-detonation-logs",
        "otrf-security-datasets-aws",
    ] {
        records.extend(cloudtrail_records(&data.join(folder)));
    }
    assert!(records.len() > 100, "{} records", records.len());
    let dir = tempfile::tempdir().unwrap();
    let events = write_events(&records, dir.path());
    println!("{} CloudTrail records", records.len());
    assert!(check_cases(&events) > 0);
}
