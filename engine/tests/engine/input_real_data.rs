//! Real AWS logs from `shared/data` (skipped with a notice when the folder is absent): record
//! counts per data set, through discovery, opening and framing.

use std::path::Path;

use crate::support::input::{Outcome, read_path, shared_data};
use sigil_engine::framing::Shape;
use sigil_engine::input::{InputSource, OpenOptions, SkipReason, discover};

/// Discovers `dir` and frames every input found; panics on bad records or errors.
fn hunt(dir: &Path) -> Vec<(std::path::PathBuf, Outcome)> {
    let found = discover(&[dir.to_path_buf()]);
    assert!(found.errors.is_empty(), "{:?}", found.errors);
    found
        .inputs
        .iter()
        .map(|input| {
            let InputSource::Path(path) = input else {
                unreachable!()
            };
            (path.clone(), read_path(path, &OpenOptions::default()))
        })
        .collect()
}

fn json_inputs(outcomes: &[(std::path::PathBuf, Outcome)], ext: &str) -> usize {
    outcomes
        .iter()
        .filter(|(path, _)| path.to_string_lossy().ends_with(ext))
        .map(|(path, outcome)| {
            assert!(
                outcome.bad.is_empty() && outcome.errors.is_empty(),
                "{}: {outcome:?}",
                path.display()
            );
            outcome.records.len()
        })
        .sum()
}

#[test]
fn invictus_envelopes_hold_2900_records_matching_the_manifest() {
    let Some(data) = shared_data() else { return };
    let dir = data.join("invictus-ir-aws-dataset");
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.jsonl")).unwrap();
    let outcomes = hunt(&dir);
    let mut total = 0;
    for line in manifest.lines() {
        let entry: serde_json::Value = serde_json::from_str(line).unwrap();
        let path = dir.join(entry["file"].as_str().unwrap());
        let (_, outcome) = outcomes
            .iter()
            .find(|(p, _)| *p == path)
            .expect("discovered");
        assert_eq!(outcome.shape, Some(Shape::Envelope));
        assert!(
            outcome.bad.is_empty() && outcome.errors.is_empty(),
            "{outcome:?}"
        );
        assert_eq!(
            outcome.records.len() as u64,
            entry["records"].as_u64().unwrap(),
            "{}",
            path.display()
        );
        total += outcome.records.len();
    }
    assert_eq!(total, 2900);
    assert_eq!(json_inputs(&outcomes, ".json.gz"), 2900);
}

#[test]
fn stratus_red_team_arrays_hold_310_records() {
    let Some(data) = shared_data() else { return };
    let outcomes = hunt(&data.join("stratus-red-team-detonation-logs"));
    for (path, outcome) in &outcomes {
        if path.extension().is_some_and(|e| e == "json") {
            assert_eq!(outcome.shape, Some(Shape::JsonArray), "{}", path.display());
        }
    }
    assert_eq!(json_inputs(&outcomes, ".json"), 310);
}

#[test]
fn otrf_ndjson_holds_103_records() {
    let Some(data) = shared_data() else { return };
    let outcomes = hunt(&data.join("otrf-security-datasets-aws"));
    assert_eq!(json_inputs(&outcomes, ".json"), 103);
}

#[test]
fn wazuh_concatenated_waf_log_holds_7_records() {
    let Some(data) = shared_data() else { return };
    let outcome = read_path(
        &data.join("wazuh-aws-waf/aws-waf.log"),
        &OpenOptions::default(),
    );
    assert_eq!(outcome.shape, Some(Shape::Concatenated));
    assert!(
        outcome.bad.is_empty() && outcome.errors.is_empty(),
        "{outcome:?}"
    );
    assert_eq!(outcome.records.len(), 7);
    assert!(
        outcome
            .values()
            .iter()
            .all(|v| v["httpRequest"].is_object())
    );

    let invalid = read_path(
        &data.join("wazuh-aws-waf/aws-waf-invalid-json.log"),
        &OpenOptions::default(),
    );
    assert_eq!(
        (invalid.records.len(), invalid.bad.len()),
        (0, 1),
        "{invalid:?}"
    );
    let wrong = read_path(
        &data.join("wazuh-aws-waf/aws-waf-wrong-structure.log"),
        &OpenOptions::default(),
    );
    assert_eq!((wrong.records.len(), wrong.bad.len()), (1, 0), "{wrong:?}");
}

#[test]
fn elastic_cloudtrail_fixtures_and_their_digest() {
    let Some(data) = shared_data() else { return };
    let dir = data.join("elastic-aws-fixtures/cloudtrail");
    let outcomes = hunt(&dir);
    let digest = outcomes
        .iter()
        .find(|(p, _)| p.ends_with("test-cloudtrail-digest-json.log"))
        .unwrap();
    assert_eq!(digest.1.skipped, Some(SkipReason::CloudTrailDigest));
    assert!(digest.1.records.is_empty());
    let events = json_inputs(&outcomes, ".log");
    assert_eq!(events, 18, "19 records in 14 files, less the digest");
    for (path, outcome) in &outcomes {
        for value in outcome.values() {
            assert!(
                value.get("eventName").is_some() || value.get("eventType").is_some(),
                "{}",
                path.display()
            );
        }
    }
}

#[test]
fn pretty_printed_single_waf_record_with_leading_blank_line() {
    let Some(data) = shared_data() else { return };
    let outcome = read_path(
        &data.join("aws-log-parser-samples/waf/waf_log.json"),
        &OpenOptions::default(),
    );
    assert_eq!(outcome.shape, Some(Shape::Concatenated));
    assert_eq!(outcome.records.len(), 1, "{outcome:?}");
    assert_eq!(outcome.records[0].0, 1);
}
