//! The embedded sample (`corpus/samples/`): the README's first command hunts it with the bundled
//! rules. Every attack the generator planted (its `ground-truth.jsonl`) must be found, by a
//! detection or among the events of a correlation, and the matches on benign traffic (false
//! positives) are printed per rule for the record.

use assert_cmd::Command;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

#[test]
fn every_planted_attack_is_found_by_the_bundled_rules() {
    let output = Command::cargo_bin("sigil")
        .unwrap()
        .args(["hunt", "-r", "rules", "corpus/samples", "--format", "jsonl"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut found: BTreeMap<(String, u64), BTreeSet<String>> = BTreeMap::new();
    for line in String::from_utf8(output.stdout).unwrap().lines() {
        let m: Value = serde_json::from_str(line).unwrap();
        let title = m["rule"]["title"].as_str().unwrap().to_string();
        // A correlation match lists the events it counted; a detection match is one event.
        let locations = match m["events"]["first"].as_array() {
            Some(events) => events.iter().map(|e| (&e["path"], &e["record"])).collect(),
            None => vec![(&m["source"]["path"], &m["source"]["record"])],
        };
        for (path, record) in locations {
            let key = (path.as_str().unwrap().to_string(), record.as_u64().unwrap());
            found.entry(key).or_default().insert(title.clone());
        }
    }
    let truth = std::fs::read_to_string("corpus/samples/ground-truth.jsonl").unwrap();
    let mut planted = BTreeSet::new();
    let mut missed = Vec::new();
    for line in truth.lines() {
        let plant: Value = serde_json::from_str(line).unwrap();
        let key = (
            format!("corpus/samples/{}", plant["file"].as_str().unwrap()),
            plant["record"].as_u64().unwrap(),
        );
        if !found.contains_key(&key) {
            missed.push(format!("{} at {}:{}", plant["scenario"], key.0, key.1));
        }
        planted.insert(key);
    }
    assert!(
        missed.is_empty(),
        "planted attacks not found:\n{}",
        missed.join("\n")
    );
    let mut false_positives: BTreeMap<&str, usize> = BTreeMap::new();
    for (key, rules) in &found {
        if !planted.contains(key) {
            for rule in rules {
                *false_positives.entry(rule).or_default() += 1;
            }
        }
    }
    println!(
        "{} planted records found; matches on benign records, per rule:",
        planted.len()
    );
    for (rule, n) in &false_positives {
        println!("{n:>5}  {rule}");
    }
}
