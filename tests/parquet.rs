//! Parquet inputs, as Amazon Security Lake stores events: CloudTrail records of the corpus
//! generator, converted to OCSF API Activity and written as Parquet by DuckDB
//! (`tests/parquet/cloudtrail_to_ocsf.py`), are read back row by row exactly as written, and
//! the bundled CloudTrail rules find in them, through `-p cloudtrail-ocsf`, exactly what they
//! find in the CloudTrail records themselves. A damaged Parquet file is an error naming it, and
//! the other inputs are still read.

#[path = "support/python.rs"]
mod python;

use assert_cmd::Command;
use serde_json::Value;
use sigil_corpus::{Config, Generator, Layout, Size, Source};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The package root.
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The converted corpus, in a temporary folder.
struct Converted {
    dir: tempfile::TempDir,
}

impl Converted {
    /// 3,000 CloudTrail records (with the planted attacks, three times each, and a burst of
    /// failed sign-ins), and their OCSF form in Parquet,
    /// 500 rows to a row group; `None` (after a notice) when DuckDB is missing.
    fn new() -> Option<Converted> {
        Converted::of(3_000)
    }

    /// `events` CloudTrail records and their OCSF Parquet form, as [`Converted::new`].
    fn of(events: u64) -> Option<Converted> {
        if !python::python_available("import duckdb", "pip install duckdb") {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        Generator::new(Config {
            seed: 31,
            sources: vec![Source::CloudTrail],
            size: Size::Events(events),
            layout: Layout::Flat,
            plants_per_scenario: 3,
            ..Config::default()
        })
        .write(dir.path())
        .unwrap();
        let converted = Converted { dir };
        let mut records = std::fs::read_to_string(converted.cloudtrail()).unwrap();
        records.push_str(&failed_sign_ins());
        std::fs::write(converted.cloudtrail(), records).unwrap();
        let output = std::process::Command::new("python3")
            .arg(root().join("tests/parquet/cloudtrail_to_ocsf.py"))
            .args([converted.cloudtrail(), converted.parquet()])
            .arg("500")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "cloudtrail_to_ocsf.py: {stderr}");
        Some(converted)
    }

    fn cloudtrail(&self) -> PathBuf {
        self.dir.path().join("cloudtrail.jsonl")
    }

    fn parquet(&self) -> PathBuf {
        self.dir.path().join("security-lake.parquet")
    }

    /// The OCSF records as Sigil should read them back.
    fn expected_rows(&self) -> Vec<Value> {
        std::fs::read_to_string(self.dir.path().join("security-lake.parquet.jsonl"))
            .unwrap()
            .lines()
            .map(|line| without_nulls(serde_json::from_str(line).unwrap()))
            .collect()
    }
}

/// After the corpus's hour, failed console sign-ins: six from one address (a burst the bundled
/// correlation reports, grouped by `sourceIPAddress`) and five from five others (which it must
/// not lump with them).
fn failed_sign_ins() -> String {
    let addresses = std::iter::repeat_n("203.0.113.50".to_string(), 6)
        .chain((1..=5).map(|n| format!("198.51.100.{n}")));
    addresses
        .enumerate()
        .map(|(n, address)| {
            let event = serde_json::json!({
                "eventVersion": "1.08",
                "userIdentity": {"type": "IAMUser", "userName": "ops", "accountId": "111122223333"},
                "eventTime": format!("2026-10-01T01:10:{:02}Z", n * 5),
                "eventSource": "signin.amazonaws.com",
                "eventName": "ConsoleLogin",
                "awsRegion": "us-east-1",
                "sourceIPAddress": address,
                "userAgent": "Mozilla/5.0",
                "errorMessage": "Failed authentication",
                "responseElements": {"ConsoleLogin": "Failure"},
                "eventID": format!("00000000-0000-4000-8000-{n:012}"),
                "eventType": "AwsConsoleSignIn",
                "recipientAccountId": "111122223333",
            });
            format!("{event}\n")
        })
        .collect()
}

/// `value` with the null members of its objects left out, as a Parquet row is read.
fn without_nulls(value: Value) -> Value {
    match value {
        Value::Object(members) => members
            .into_iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k, without_nulls(v)))
            .collect(),
        Value::Array(items) => items.into_iter().map(without_nulls).collect(),
        other => other,
    }
}

/// Runs `sigil hunt ARGS`; returns its match lines, its stderr and its exit code.
fn hunt(args: &[&str], inputs: &[&Path]) -> (Vec<Value>, String, Option<i32>) {
    let output = Command::cargo_bin("sigil")
        .unwrap()
        .arg("hunt")
        .args(args)
        .args(inputs)
        .output()
        .unwrap();
    let lines = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let stderr = String::from_utf8(output.stderr).unwrap();
    (lines, stderr, output.status.code())
}

/// Each match, as its rule and what it matched: a record's number, or a correlation's group
/// values (the field names differ between the schemas) and contributing records.
fn matched(lines: &[Value]) -> BTreeSet<String> {
    lines
        .iter()
        .map(|m| {
            let rule = m["rule"]["id"].as_str().unwrap();
            match m.get("group") {
                None => format!("{rule} record {}", m["source"]["record"]),
                Some(group) => {
                    let values: Vec<&Value> = group.as_object().unwrap().values().collect();
                    let records: Vec<&Value> = m["events"]["first"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|event| &event["record"])
                        .collect();
                    format!("{rule} group {values:?} records {records:?}")
                }
            }
        })
        .collect()
}

/// A rule for every OCSF API Activity event of Security Lake.
const EVERY_API_ACTIVITY: &str = "title: every OCSF API Activity event
id: 0b9c1b8e-5b7e-4a55-9d1e-5e0c0c6003aa
logsource: {product: aws, service: securitylake}
detection:
  api_activity: {class_uid: 6003}
  condition: api_activity
level: low
";

#[test]
fn parquet_rows_are_read_back_as_written() {
    let Some(converted) = Converted::new() else {
        return;
    };
    let rule = converted.dir.path().join("every.yml");
    std::fs::write(&rule, EVERY_API_ACTIVITY).unwrap();
    let (lines, stderr, code) = hunt(
        &["-r", rule.to_str().unwrap(), "--stats"],
        &[&converted.parquet()],
    );
    assert_eq!(code, Some(0), "{stderr}");
    let expected = converted.expected_rows();
    assert!(expected.len() > 3_000);
    assert!(
        stderr.contains(&format!("aws/securitylake {}", expected.len())),
        "{stderr}"
    );
    assert_eq!(lines.len(), expected.len());
    for (n, (line, row)) in lines.iter().zip(&expected).enumerate() {
        assert_eq!(line["source"]["record"], n as u64 + 1);
        assert_eq!(&line["event"], row, "row {}", n + 1);
    }
    // From a stream (stdin, as S3 objects are read), the file is read whole, then the same.
    let output = Command::cargo_bin("sigil")
        .unwrap()
        .args(["hunt", "-r", rule.to_str().unwrap(), "-"])
        .pipe_stdin(converted.parquet())
        .unwrap()
        .output()
        .unwrap();
    let streamed: Vec<Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap()["event"].take())
        .collect();
    assert_eq!(streamed, expected);
}

#[test]
fn cloudtrail_rules_find_in_security_lake_what_they_find_in_cloudtrail() {
    let Some(converted) = Converted::new() else {
        return;
    };
    let rules = root().join("rules/cloudtrail");
    let rules = rules.to_str().unwrap();
    let (lines, stderr, code) = hunt(&["-r", rules], &[&converted.cloudtrail()]);
    assert_eq!(code, Some(0), "{stderr}");
    let in_cloudtrail = matched(&lines);
    assert!(in_cloudtrail.len() >= 10, "{in_cloudtrail:?}");
    assert!(
        in_cloudtrail.iter().any(|m| m.contains(" group ")),
        "no correlation matched: {in_cloudtrail:?}"
    );
    for prefilter in [&[][..], &["--no-prefilter"][..]] {
        let args = [&["-r", rules, "-p", "cloudtrail-ocsf"][..], prefilter].concat();
        let (lines, stderr, code) = hunt(&args, &[&converted.parquet()]);
        assert_eq!(code, Some(0), "{stderr}");
        assert_eq!(matched(&lines), in_cloudtrail, "{prefilter:?}");
    }
    // Without the pipeline, CloudTrail rules do not apply to Security Lake's records at all.
    let (lines, _, _) = hunt(&["-r", rules], &[&converted.parquet()]);
    assert!(lines.is_empty());
}

#[test]
fn a_damaged_parquet_file_is_reported_and_the_other_inputs_are_read() {
    let Some(converted) = Converted::new() else {
        return;
    };
    let bytes = std::fs::read(converted.parquet()).unwrap();
    let folder = converted.dir.path().join("lake");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("a-whole.parquet"), &bytes).unwrap();
    std::fs::write(
        folder.join("b-truncated.parquet"),
        &bytes[..bytes.len() / 2],
    )
    .unwrap();
    let mut garbage = bytes.clone();
    let middle = garbage.len() / 2;
    garbage[100..middle].fill(0xA5);
    std::fs::write(folder.join("c-garbled.parquet"), &garbage).unwrap();

    let rule = converted.dir.path().join("every.yml");
    std::fs::write(&rule, EVERY_API_ACTIVITY).unwrap();
    let (lines, stderr, code) = hunt(&["-r", rule.to_str().unwrap(), "--stats"], &[&folder]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("b-truncated.parquet"), "{stderr}");
    assert!(stderr.contains("c-garbled.parquet"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let whole = lines
        .iter()
        .filter(|m| {
            m["source"]["path"]
                .as_str()
                .unwrap()
                .ends_with("a-whole.parquet")
        })
        .count();
    assert_eq!(whole, converted.expected_rows().len());
}

/// The errors of reading `damaged` as Parquet from a stream, block by block; reading it never
/// panics (the decoder's own panics are caught and reported).
fn read_errors(damaged: Vec<u8>) -> Vec<String> {
    use sigil_engine::input::{BlockError, InputSource, OpenOptions, Opened, open_reader};
    let opened = open_reader(
        InputSource::Stdin,
        std::io::Cursor::new(damaged),
        &OpenOptions::default(),
    );
    let blocks = match opened {
        Ok(Opened::Blocks(blocks)) => blocks,
        Ok(_) => return Vec::new(),
        Err(err) => return vec![err.to_string()],
    };
    let mut errors = Vec::new();
    for block in blocks {
        match block {
            Ok(block) => block.records().for_each(drop),
            Err(BlockError::Record(err)) => errors.push(err.to_string()),
            Err(BlockError::Input(err)) => {
                errors.push(err.to_string());
                break;
            }
        }
    }
    errors
}

/// `bytes` with one bit flipped, `count` times over, at places a fixed xorshift picks.
fn flipped(bytes: &[u8], count: usize) -> impl Iterator<Item = Vec<u8>> + '_ {
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..count).map(move |_| {
        let mut damaged = bytes.to_vec();
        let at = next() as usize % damaged.len();
        damaged[at] ^= 1 << (next() % 8);
        damaged
    })
}

/// Damaged Parquet, byte by byte: whatever is changed or cut, reading ends in rows or an error,
/// never a panic (the decoder's own are caught and reported), as the fuzz target `open_stream`
/// checks at length.
#[test]
fn damaged_parquet_never_panics() {
    let Some(converted) = Converted::of(100) else {
        return;
    };
    let bytes = std::fs::read(converted.parquet()).unwrap();
    flipped(&bytes, 300).for_each(|damaged| drop(read_errors(damaged)));
    for cut in (0..bytes.len()).step_by(bytes.len() / 40) {
        read_errors(bytes[..cut].to_vec());
    }
}

/// A panic of the decoder is reported as an error naming the file, and `sigil` does not print
/// it as a crash (its panic hook passes over the panics it catches).
#[test]
fn a_decoder_panic_is_an_error_of_the_file_not_a_crash() {
    let Some(converted) = Converted::of(100) else {
        return;
    };
    let bytes = std::fs::read(converted.parquet()).unwrap();
    let panicking = flipped(&bytes, 3000).find(|damaged| {
        let errors = read_errors(damaged.clone());
        errors
            .iter()
            .any(|e| e.contains("the Parquet decoder failed"))
    });
    let damaged = panicking.expect("a flipped bit that makes the decoder panic");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("flipped.parquet");
    std::fs::write(&file, damaged).unwrap();
    let rule = root().join("rules");
    let (_, stderr, code) = hunt(&["-r", rule.to_str().unwrap()], &[&file]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("the Parquet decoder failed"), "{stderr}");
    assert!(stderr.contains("flipped.parquet"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
