//! End-to-end tests of generated corpora: determinism, well-formed records in every layout,
//! ground truth that points at real records, planted scenarios separable from benign traffic,
//! and the committed sample reproduced byte for byte.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use serde_json::Value;
use sigil_corpus::{
    ALB_FIELDS, CLOUDFRONT_FIELDS, Config, GROUND_TRUTH_FILE, Generator, GroundTruth, Layout,
    Scenario, Size, Source, V2_FIELDS, V5_FIELDS,
};

fn config(seed: u64, layout: Layout, events: u64) -> Config {
    Config {
        seed,
        size: Size::Events(events),
        layout,
        ..Config::default()
    }
}

fn generate(config: Config) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    Generator::new(config).write(dir.path()).expect("generate");
    dir
}

/// Every file under `root`, by relative `/`-separated path, with its raw bytes.
fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, files: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(root, &path, files);
            } else {
                let relative = path.strip_prefix(root).expect("under root");
                let name = relative.to_string_lossy().replace('\\', "/");
                files.insert(name, std::fs::read(&path).expect("read"));
            }
        }
    }
    let mut files = BTreeMap::new();
    walk(root, root, &mut files);
    files
}

fn text_of(path: &str, bytes: &[u8]) -> String {
    if path.ends_with(".gz") {
        let mut text = String::new();
        MultiGzDecoder::new(bytes)
            .read_to_string(&mut text)
            .expect("gzip");
        text
    } else {
        String::from_utf8(bytes.to_vec()).expect("utf-8")
    }
}

fn is_digest(path: &str) -> bool {
    path.contains("CloudTrail-Digest/")
}

fn is_envelope(path: &str) -> bool {
    path.contains("/CloudTrail/") && path.ends_with(".json.gz")
}

/// The records of one file as text: envelope elements re-serialized, lines otherwise (header
/// and `#` lines skipped).
fn records(path: &str, bytes: &[u8]) -> Vec<String> {
    let text = text_of(path, bytes);
    if is_envelope(path) {
        let envelope: Value = serde_json::from_str(&text).expect("envelope parses");
        let records = envelope["Records"].as_array().expect("Records array");
        return records.iter().map(Value::to_string).collect();
    }
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.starts_with("version "))
        .map(str::to_owned)
        .collect()
}

fn ground_truth(files: &BTreeMap<String, Vec<u8>>) -> Vec<GroundTruth> {
    let text = text_of(GROUND_TRUTH_FILE, &files[GROUND_TRUTH_FILE]);
    text.lines()
        .map(|line| serde_json::from_str(line).expect("ground truth line"))
        .collect()
}

/// Splits a space-separated line, keeping quoted fields whole.
fn split_quoted(line: &str) -> Vec<&str> {
    let mut fields = Vec::new();
    let mut rest = line;
    while !rest.is_empty() {
        if let Some(quoted) = rest.strip_prefix('"') {
            let end = quoted.find('"').expect("closing quote");
            fields.push(&quoted[..end]);
            rest = quoted[end + 1..].trim_start_matches(' ');
        } else {
            let end = rest.find(' ').unwrap_or(rest.len());
            fields.push(&rest[..end]);
            rest = rest[end..].trim_start_matches(' ');
        }
    }
    fields
}

#[test]
fn same_seed_same_bytes_different_seed_different_bytes() {
    for layout in [Layout::Flat, Layout::S3] {
        let first = tree(generate(config(11, layout, 120)).path());
        let second = tree(generate(config(11, layout, 120)).path());
        assert!(
            first == second,
            "{layout:?}: same seed gave different output"
        );
        let other = tree(generate(config(12, layout, 120)).path());
        assert_ne!(
            first, other,
            "{layout:?}: different seeds gave the same output"
        );
    }
}

#[test]
fn every_file_is_well_formed() {
    for layout in [Layout::Flat, Layout::S3] {
        let dir = generate(config(5, layout, 150));
        let files = tree(dir.path());
        let mut seen = BTreeMap::new();
        for (path, bytes) in &files {
            if path == GROUND_TRUTH_FILE {
                continue;
            }
            let text = text_of(path, bytes);
            let source = check_file(path, &text);
            *seen.entry(source).or_insert(0) += 1;
        }
        for source in Source::ALL {
            assert!(
                seen.contains_key(source.name()),
                "{layout:?}: no {source} file"
            );
        }
    }
}

/// Checks one file's format; returns its source name.
fn check_file(path: &str, text: &str) -> &'static str {
    if is_digest(path) {
        let digest: Value = serde_json::from_str(text).expect("digest parses");
        assert!(
            digest.get("Records").is_none() && digest["logFiles"].is_array(),
            "{path}"
        );
        return "cloudtrail";
    }
    if is_envelope(path) {
        let envelope: Value = serde_json::from_str(text).expect("envelope parses");
        let records = envelope["Records"].as_array().expect("Records");
        assert!(!records.is_empty(), "{path}");
        for record in records {
            assert!(record["eventID"].is_string() && record["eventVersion"].is_string());
        }
        return "cloudtrail";
    }
    let lines: Vec<&str> = text.lines().collect();
    if path.contains("vpcflow") {
        let header: Vec<&str> = lines[0].split(' ').collect();
        assert!(
            header == V2_FIELDS || header == V5_FIELDS,
            "{path}: {header:?}"
        );
        for line in &lines[1..] {
            assert_eq!(line.split(' ').count(), header.len(), "{path}: {line}");
        }
        return "vpcflow";
    }
    if path.contains("cloudfront") {
        assert_eq!(lines[0], "#Version: 1.0");
        let fields: Vec<&str> = lines[1]
            .trim_start_matches("#Fields: ")
            .split(' ')
            .collect();
        assert_eq!(fields, CLOUDFRONT_FIELDS);
        for line in &lines[2..] {
            assert_eq!(line.split('\t').count(), fields.len(), "{path}: {line}");
        }
        return "cloudfront";
    }
    if path.contains("alb") || path.contains("elasticloadbalancing") {
        for line in &lines {
            assert_eq!(split_quoted(line).len(), ALB_FIELDS, "{path}: {line}");
        }
        return "alb";
    }
    for line in &lines {
        let record: Value = serde_json::from_str(line).expect("NDJSON line parses");
        assert!(record.is_object(), "{path}");
    }
    match () {
        _ if path.contains("waf") => "waf",
        _ if path.contains("guardduty") || path.contains("GuardDuty") => "guardduty",
        _ => "cloudtrail",
    }
}

#[test]
fn ground_truth_points_at_records_holding_their_keys() {
    for layout in [Layout::Flat, Layout::S3, Layout::Mixed] {
        let dir = generate(Config {
            plants_per_scenario: 2,
            ..config(9, layout, 200)
        });
        let files = tree(dir.path());
        let truth = ground_truth(&files);
        let mut cache: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for entry in &truth {
            let records = cache
                .entry(entry.file.as_str())
                .or_insert_with(|| records(&entry.file, &files[&entry.file]));
            let record = &records[usize::try_from(entry.record).unwrap() - 1];
            assert!(
                record.contains(&entry.key),
                "{layout:?} {entry:?}: {record}"
            );
        }
        for scenario in Scenario::ALL {
            for source in scenario.sources() {
                let planted = truth
                    .iter()
                    .filter(|e| e.scenario == scenario.name() && e.source == source.name())
                    .count();
                assert!(
                    planted >= 2,
                    "{layout:?}: {scenario:?} in {source}: {planted}"
                );
            }
        }
    }
}

/// Simple detections of the planted CloudTrail scenarios; each must flag exactly the planted
/// records, so benign look-alikes must not trip them.
fn cloudtrail_scenario(record: &Value) -> Option<&'static str> {
    let name = record["eventName"].as_str()?;
    let params = &record["requestParameters"];
    match name {
        "ConsoleLogin"
            if record["userIdentity"]["type"] == "Root"
                && record["additionalEventData"]["MFAUsed"] == "No" =>
        {
            Some("root_console_login_without_mfa")
        }
        "StopLogging" => Some("cloudtrail_stop_logging"),
        "DeleteTrail" => Some("cloudtrail_delete_trail"),
        "ScheduleKeyDeletion" => Some("kms_schedule_key_deletion"),
        "DeleteDetector" => Some("guardduty_detector_deleted"),
        "CreateAccessKey" => {
            let user = record["responseElements"]["accessKey"]["userName"].as_str()?;
            let arn = record["userIdentity"]["arn"].as_str()?;
            (!arn.contains(user)).then_some("create_access_key_for_other_user")
        }
        "AttachUserPolicy"
            if params["policyArn"]
                .as_str()?
                .ends_with("/AdministratorAccess") =>
        {
            Some("attach_administrator_policy")
        }
        "AuthorizeSecurityGroupIngress" if params.to_string().contains("0.0.0.0/0") => {
            Some("security_group_open_to_world")
        }
        "PutBucketPolicy"
            if params["bucketPolicy"]
                .to_string()
                .contains(r#""Principal":"*""#) =>
        {
            Some("s3_bucket_made_public")
        }
        "PutBucketAcl" if params.to_string().contains("AllUsers") => Some("s3_bucket_made_public"),
        _ => None,
    }
}

#[test]
fn planted_cloudtrail_scenarios_are_exactly_the_detections() {
    let dir = generate(Config {
        sources: vec![Source::CloudTrail],
        plants_per_scenario: 2,
        ..config(21, Layout::Flat, 6_000)
    });
    let files = tree(dir.path());
    let mut planted: Vec<(String, String)> = ground_truth(&files)
        .into_iter()
        .map(|entry| (entry.scenario, entry.key))
        .collect();
    let mut detected: Vec<(String, String)> = Vec::new();
    for line in text_of("cloudtrail.jsonl", &files["cloudtrail.jsonl"]).lines() {
        let record: Value = serde_json::from_str(line).unwrap();
        if let Some(scenario) = cloudtrail_scenario(&record) {
            detected.push((
                scenario.to_owned(),
                record["eventID"].as_str().unwrap().to_owned(),
            ));
        }
    }
    planted.sort();
    detected.sort();
    assert_eq!(planted, detected);
}

#[test]
fn streams_are_sorted_by_time_and_mb_sizing_is_close() {
    let generator = Generator::new(Config {
        size: Size::Megabytes(0.5),
        ..Config::default()
    });
    for source in Source::ALL {
        let records: Vec<_> = generator.stream(source).collect();
        assert!(
            records
                .windows(2)
                .all(|pair| pair[0].time_ms <= pair[1].time_ms),
            "{source}"
        );
        let bytes: usize = records.iter().map(|record| record.text.len() + 1).sum();
        assert!(
            (350_000..750_000).contains(&bytes),
            "{source}: {bytes} bytes"
        );
    }
}

#[test]
fn ndjson_stream_holds_the_json_sources_records_in_order() {
    let sources = vec![Source::CloudTrail, Source::GuardDuty];
    let generator = Generator::new(Config {
        sources: sources.clone(),
        ..config(5, Layout::Flat, 200)
    });
    let mut out = Vec::new();
    let summary = generator.write_ndjson(&mut out).expect("write");
    let expected: Vec<String> = sources
        .iter()
        .flat_map(|&source| generator.stream(source).map(|record| record.text))
        .collect();
    let text = String::from_utf8(out).expect("utf-8");
    assert_eq!(text.lines().collect::<Vec<_>>(), expected);
    assert_eq!(summary.records, expected.len() as u64);
    assert!(summary.planted > 0);

    let text_logs = Generator::new(Config {
        sources: vec![Source::CloudTrail, Source::VpcFlow],
        ..config(5, Layout::Flat, 10)
    });
    let error = text_logs.write_ndjson(&mut Vec::new()).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
}

fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
}

#[test]
fn committed_sample_is_reproduced_byte_for_byte() {
    let committed = tree(&samples_dir());
    let dir = tempfile::tempdir().unwrap();
    sigil_corpus::write_sample(dir.path()).unwrap();
    let regenerated = tree(dir.path());
    let names = |files: &BTreeMap<String, Vec<u8>>| files.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        names(&committed),
        names(&regenerated),
        "sample file list changed"
    );
    for (path, bytes) in &committed {
        assert!(
            bytes == &regenerated[path],
            "{path} differs; rerun `sigil-corpus sample`"
        );
    }
    let total: usize = committed.values().map(Vec::len).sum();
    assert!(total < 1_000_000, "sample is {total} bytes");
    let truth = ground_truth(&committed);
    for scenario in Scenario::ALL {
        assert!(
            truth.iter().any(|e| e.scenario == scenario.name()),
            "{scenario:?}"
        );
    }
    assert!(committed.keys().any(|path| is_envelope(path)));
    assert!(committed.keys().any(|path| is_digest(path)));
}
