//! `sigil hunt` end to end: the JSONL contract, the table and CSV formats, exit codes, stats,
//! and the same matches whatever way the records arrive (plain, gzip, zstd, envelope, array,
//! stdin, a file big enough to be split across threads).

use assert_cmd::Command;
use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;

const RULE: &str = "title: CloudTrail logging stopped
id: 6c3e9b0a-3f1e-4a53-9d4c-2a1f0b7e5d11
level: high
tags: [attack.defense-evasion, attack.t1562.008]
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventSource: cloudtrail.amazonaws.com
    eventName: [StopLogging, DeleteTrail]
  condition: selection
";

/// Three CloudTrail records: the second and third match.
fn records() -> Vec<String> {
    ["DescribeTrails", "StopLogging", "DeleteTrail"]
        .iter()
        .enumerate()
        .map(|(i, name)| {
            format!(
                r#"{{"eventVersion":"1.08","eventTime":"2026-11-0{}T10:00:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"{name}","awsRegion":"us-east-1","userIdentity":{{"type":"IAMUser","userName":"alice"}}}}"#,
                i + 1
            )
        })
        .collect()
}

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("rule.yml"), RULE).unwrap();
        Fixture { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn hunt(&self, args: &[&str]) -> (String, String, i32) {
        self.hunt_with_stdin(args, Vec::new())
    }

    fn hunt_with_stdin(&self, args: &[&str], stdin: Vec<u8>) -> (String, String, i32) {
        let rule = self.path("rule.yml");
        let rule = rule.to_str().unwrap();
        self.sigil(&[&["hunt", "-r", rule], args].concat(), stdin)
    }

    /// Runs `sigil` with `args` in the fixture's folder: (stdout, stderr, exit code).
    fn sigil(&self, args: &[&str], stdin: Vec<u8>) -> (String, String, i32) {
        let output = Command::cargo_bin("sigil")
            .unwrap()
            .current_dir(self.dir.path())
            .args(args)
            .write_stdin(stdin)
            .output()
            .unwrap();
        (
            String::from_utf8(output.stdout).unwrap(),
            String::from_utf8(output.stderr).unwrap(),
            output.status.code().unwrap_or(-1),
        )
    }
}

fn ndjson() -> Vec<u8> {
    records().join("\n").into_bytes()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// (record number, eventName) of every match, from JSONL output.
fn matches(jsonl: &str) -> Vec<(u64, String)> {
    jsonl
        .lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).unwrap();
            let name = v["event"]["eventName"].as_str().unwrap().to_string();
            (v["source"]["record"].as_u64().unwrap(), name)
        })
        .collect()
}

#[test]
fn jsonl_records_follow_the_contract() {
    let fx = Fixture::new();
    fx.write("events.jsonl", &ndjson());
    let (out, _, code) = fx.hunt(&["events.jsonl", "--format", "jsonl"]);
    assert_eq!(code, 0);
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    let first = &lines[0];
    let keys: Vec<&String> = first.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["rule", "timestamp", "source", "event"]);
    assert_eq!(first["rule"]["id"], "6c3e9b0a-3f1e-4a53-9d4c-2a1f0b7e5d11");
    assert_eq!(first["rule"]["title"], "CloudTrail logging stopped");
    assert_eq!(first["rule"]["level"], "high");
    assert_eq!(
        first["rule"]["tags"],
        serde_json::json!(["attack.defense-evasion", "attack.t1562.008"])
    );
    assert!(
        first["rule"]["path"]
            .as_str()
            .unwrap()
            .ends_with("rule.yml")
    );
    assert_eq!(first["timestamp"], "2026-11-02T10:00:00Z");
    assert_eq!(first["source"]["path"], "events.jsonl");
    assert_eq!(first["source"]["record"], 2);
    // The event is the original record, byte for byte.
    let event_start = out.find("\"event\":").unwrap() + "\"event\":".len();
    assert!(out[event_start..].starts_with(&records()[1]));
}

#[test]
fn every_way_in_gives_the_same_matches() {
    let fx = Fixture::new();
    let ndjson = ndjson();
    let envelope = format!("{{\"Records\":[{}]}}", records().join(","));
    let pretty_array = format!("[\n  {}\n]\n", records().join(",\n  "));
    fx.write("plain.jsonl", &ndjson);
    fx.write("crlf.jsonl", records().join("\r\n\r\n").as_bytes());
    fx.write("envelope.json", envelope.as_bytes());
    fx.write("envelope.json.gz", &gzip(envelope.as_bytes()));
    // Two gzip members back to back, as concatenated deliveries are.
    let (a, b) = ndjson.split_at(ndjson.iter().position(|&c| c == b'\n').unwrap() + 1);
    fx.write("members.jsonl.gz", &[gzip(a), gzip(b)].concat());
    fx.write("events.zst", &zstd::encode_all(&ndjson[..], 3).unwrap());
    fx.write("no-extension", &gzip(&ndjson));
    fx.write("array.json", pretty_array.as_bytes());
    let expected = vec![
        (2, "StopLogging".to_string()),
        (3, "DeleteTrail".to_string()),
    ];
    for name in [
        "plain.jsonl",
        "crlf.jsonl",
        "envelope.json",
        "envelope.json.gz",
        "members.jsonl.gz",
        "events.zst",
        "no-extension",
        "array.json",
    ] {
        let (out, err, code) = fx.hunt(&[name, "--format", "jsonl"]);
        assert_eq!(matches(&out), expected, "{name}: {err}");
        assert_eq!(code, 0, "{name}: {err}");
    }
    let (out, _, _) = fx.hunt_with_stdin(&["-", "--format", "jsonl"], ndjson.clone());
    assert_eq!(matches(&out), expected, "stdin");
}

#[test]
fn a_big_file_split_across_threads_keeps_input_order() {
    let fx = Fixture::new();
    // ~12 MB: large enough to be cut into chunks scanned in parallel.
    let records = records();
    let mut big = String::new();
    for i in 0..40_000 {
        big.push_str(&records[i % 3]);
        big.push('\n');
    }
    fx.write("big.jsonl", big.as_bytes());
    let (one, _, _) = fx.hunt(&["big.jsonl", "--format", "jsonl", "--threads", "1"]);
    let (many, _, _) = fx.hunt(&["big.jsonl", "--format", "jsonl", "--threads", "4"]);
    let found = matches(&many);
    assert_eq!(found.len(), 26_666);
    assert_eq!(one, many);
    assert!(found.windows(2).all(|w| w[0].0 < w[1].0), "input order");
    assert!(
        found
            .iter()
            .all(|(n, name)| (*n % 3 == 2) == (name == "StopLogging"))
    );
    // Streamed, the same bytes arrive in several blocks, each scanned as its own unit.
    let (piped, err, _) = fx.hunt_with_stdin(
        &["-", "--format", "jsonl", "--threads", "4", "--stats"],
        big.clone().into_bytes(),
    );
    assert_eq!(matches(&piped), found, "stdin");
    assert!(
        err.contains("files:    1 scanned"),
        "one input, however many blocks: {err}"
    );
    fx.write("big.jsonl.gz", &gzip(big.as_bytes()));
    let (unzipped, _, _) = fx.hunt(&["big.jsonl.gz", "--format", "jsonl", "--threads", "4"]);
    assert_eq!(matches(&unzipped), found, "gzip");
}

#[test]
fn many_small_files_come_out_in_input_order_whatever_the_thread_count() {
    let fx = Fixture::new();
    // 300 gzipped envelopes, many to a wave: each file's matches must stay in file order.
    let records = records();
    std::fs::create_dir(fx.path("logs")).unwrap();
    for file in 0..300 {
        let envelope = format!("{{\"Records\":[{}]}}", records.join(","));
        fx.write(
            &format!("logs/{file:03}.json.gz"),
            &gzip(envelope.as_bytes()),
        );
    }
    let (one, _, _) = fx.hunt(&["logs", "--format", "jsonl", "--threads", "1"]);
    let (many, err, _) = fx.hunt(&["logs", "--format", "jsonl", "--threads", "4", "--stats"]);
    assert_eq!(one, many);
    assert!(err.contains("files:    300 scanned"), "{err}");
    let paths: Vec<String> = many
        .lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).unwrap();
            v["source"]["path"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(paths.len(), 600);
    let expected: Vec<String> = (0..600)
        .map(|i| format!("logs/{:03}.json.gz", i / 2))
        .collect();
    assert_eq!(paths, expected);
}

#[test]
fn a_header_in_the_middle_of_a_big_text_log_applies_in_every_chunk() {
    let fx = Fixture::new();
    fx.write(
        "rdp.yml",
        b"title: RDP to one host\nlogsource: {product: aws, service: vpcflow}\n\
          detection:\n  sel: {dstaddr: 198.51.100.7, dstport: 3389}\n  condition: sel\n",
    );
    // ~10 MB, so the mapped file is cut into chunks; the second half's header swaps the port
    // columns. Read with the first header, its lines would (almost) never match.
    let header = |ports: &str| {
        format!(
            "version account-id interface-id srcaddr dstaddr {ports} protocol packets bytes start end action log-status\n"
        )
    };
    let line = |i: usize, to: &str, port: &str| {
        format!(
            "2 123456789012 eni-0a1b2c3d 10.0.0.{} {to} {port} {} 6 10 840 1790812800 1790812860 ACCEPT OK\n",
            i % 250,
            1024 + i
        )
    };
    let mut log = header("srcport dstport");
    for i in 0..50_000 {
        log.push_str(&line(i, "192.0.2.1", "443"));
    }
    log.push_str(&header("dstport srcport"));
    for i in 0..50_000 {
        log.push_str(&line(i, "198.51.100.7", "3389"));
    }
    fx.write("flows.log", log.as_bytes());
    fx.write("flows.log.gz", &gzip(log.as_bytes()));
    let args = ["hunt", "-r", "rdp.yml", "--stats", "-o", "out.jsonl"];
    // Header lines are not records: the matches are records 50,001 to 100,000, however the
    // log is read (mapped and cut into chunks, or streamed in blocks).
    let numbers: Vec<u64> = (50_001..=100_000).collect();
    let inputs = [
        ("flows.log", Vec::new()),
        ("flows.log.gz", Vec::new()),
        ("-", log.into_bytes()),
    ];
    for (input, stdin) in inputs {
        let (_, err, code) = fx.sigil(&[&args[..], &[input, "--threads", "4"]].concat(), stdin);
        assert_eq!(code, 0, "{err}");
        assert!(err.contains("matches:  50000"), "{input}: {err}");
        let out = std::fs::read_to_string(fx.path("out.jsonl")).unwrap();
        let found: Vec<u64> = out
            .lines()
            .map(|line| {
                let v: Value = serde_json::from_str(line).unwrap();
                v["source"]["record"].as_u64().unwrap()
            })
            .collect();
        assert!(
            found == numbers,
            "{input}: {} matches, records {:?} to {:?}",
            found.len(),
            found.first(),
            found.last()
        );
    }
}

#[test]
fn table_and_csv_formats() {
    let fx = Fixture::new();
    fx.write("events.jsonl", &ndjson());
    let (table, _, _) = fx.hunt(&["events.jsonl", "--format", "table"]);
    let expected_table = "\
TIME                     LEVEL         RULE                                               SOURCE
2026-11-02T10:00:00Z     high          CloudTrail logging stopped                         events.jsonl:2
2026-11-03T10:00:00Z     high          CloudTrail logging stopped                         events.jsonl:3
";
    assert_eq!(table, expected_table);
    let (csv, _, _) = fx.hunt(&["events.jsonl", "--format", "csv"]);
    let expected_csv = "\
timestamp,level,rule_id,rule_title,path,record
2026-11-02T10:00:00Z,high,6c3e9b0a-3f1e-4a53-9d4c-2a1f0b7e5d11,CloudTrail logging stopped,events.jsonl,2
2026-11-03T10:00:00Z,high,6c3e9b0a-3f1e-4a53-9d4c-2a1f0b7e5d11,CloudTrail logging stopped,events.jsonl,3
";
    assert_eq!(csv, expected_csv);
}

#[test]
fn output_file_level_and_time_filters() {
    let fx = Fixture::new();
    fx.write("events.jsonl", &ndjson());
    let (out, _, code) = fx.hunt(&["events.jsonl", "-o", "out.jsonl"]);
    assert_eq!((out.as_str(), code), ("", 0));
    let written = std::fs::read_to_string(fx.path("out.jsonl")).unwrap();
    assert_eq!(matches(&written).len(), 2);
    let (out, _, _) = fx.hunt(&["events.jsonl", "--format", "jsonl", "--level", "critical"]);
    assert_eq!(out, "");
    let (out, _, _) = fx.hunt(&["events.jsonl", "--format", "jsonl", "--from", "2026-11-03"]);
    assert_eq!(matches(&out), [(3, "DeleteTrail".to_string())]);
    let (out, _, _) = fx.hunt(&[
        "events.jsonl",
        "--format",
        "jsonl",
        "--to",
        "2026-11-02T12:00:00Z",
    ]);
    assert_eq!(matches(&out), [(2, "StopLogging".to_string())]);
}

#[test]
fn stats_count_what_happened() {
    let fx = Fixture::new();
    let mut data = ndjson();
    data.extend_from_slice(b"\n{\"broken\": \n");
    fx.write("events.jsonl", &data);
    let (_, err, code) = fx.hunt(&["events.jsonl", "--format", "jsonl", "--stats"]);
    assert!(
        err.contains("records:  4 framed, 3 scanned, 1 malformed"),
        "{err}"
    );
    assert!(err.contains("matches:  2"), "{err}");
    assert!(
        err.contains("events.jsonl: record 4:"),
        "the bad record is named: {err}"
    );
    assert_eq!(code, 2, "malformed input gives exit code 2");
}

#[test]
fn exit_codes() {
    let fx = Fixture::new();
    fx.write("events.jsonl", &ndjson());
    // 0: clean.
    assert_eq!(fx.hunt(&["events.jsonl"]).2, 0);
    // 2: an input could not be read; matches of the other inputs are still written.
    let (out, err, code) = fx.hunt(&["events.jsonl", "missing.jsonl", "--format", "jsonl"]);
    assert_eq!((matches(&out).len(), code), (2, 2), "{err}");
    assert!(err.contains("missing.jsonl"), "{err}");
    // 2: a truncated gzip file; the records before the break are still scanned.
    let gz = gzip(&ndjson());
    fx.write("cut.jsonl.gz", &gz[..gz.len() - 12]);
    let (out, err, code) = fx.hunt(&["cut.jsonl.gz", "--format", "jsonl"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("truncated gzip"), "{err}");
    assert!(
        !matches(&out).is_empty(),
        "records before the break are scanned"
    );
    // 1: a usage error.
    assert_eq!(fx.hunt(&["events.jsonl", "--level", "severe"]).2, 1);
    // 1: a rule that cannot be loaded (the others still hunt).
    std::fs::write(
        fx.path("bad.yml"),
        "title: bad\nlogsource: {}\ndetection: {condition: nope}\n",
    )
    .unwrap();
    let args = [
        "hunt",
        "-r",
        "rule.yml",
        "-r",
        "bad.yml",
        "events.jsonl",
        "--format",
        "jsonl",
    ];
    let (out, _, code) = fx.sigil(&args, Vec::new());
    assert_eq!(code, 1);
    assert_eq!(matches(&out).len(), 2);
}

#[test]
fn two_rules_sharing_an_id_are_named_before_the_hunt_reports_them_both() {
    let fx = Fixture::new();
    fx.write("events.jsonl", &ndjson());
    std::fs::create_dir(fx.path("copy")).unwrap();
    fx.write("copy/rule.yml", RULE.as_bytes());
    let args = [
        "hunt",
        "-r",
        "rule.yml",
        "-r",
        "copy",
        "events.jsonl",
        "--format",
        "jsonl",
    ];
    let (out, err, code) = fx.sigil(&args, Vec::new());
    // Both rules still hunt: each match is written twice, and the warning says why.
    assert_eq!((matches(&out).len(), code), (4, 0), "{err}");
    assert!(err.contains("warning[duplicate_rule_id]"), "{err}");
    let copy = std::path::Path::new("copy").join("rule.yml");
    assert!(err.contains(&*copy.to_string_lossy()), "{err}");
    assert!(
        err.contains(" rule.yml:1:1"),
        "the first rule is named too: {err}"
    );
    // A warning that changes nothing found (no `level`) is left to `sigil check`.
    fx.write(
        "copy/rule.yml",
        RULE.replace("level: high\n", "")
            .replace("6c3e", "7c3e")
            .as_bytes(),
    );
    let (out, err, _) = fx.sigil(&args, Vec::new());
    assert_eq!((matches(&out).len(), err.as_str()), (4, ""));
}

#[test]
fn bad_input_is_reported_and_the_rest_is_scanned() {
    let fx = Fixture::new();
    let records = records();
    let mut data = Vec::new();
    data.extend_from_slice(records[1].as_bytes());
    data.extend_from_slice(b"\n{\"eventName\": \"StopLogging\", broken\n");
    data.extend_from_slice(b"\xff\xfe not utf-8\n");
    data.extend_from_slice(&[b'['; 10_000]);
    data.push(b'\n');
    data.extend_from_slice(records[2].as_bytes());
    data.push(b'\n');
    fx.write("mixed.jsonl", &data);
    fx.write("binary.bin", &[0u8, 1, 2, 3, 0, 0, 0xff, 0x10]);
    let (out, err, code) = fx.hunt(&["mixed.jsonl", "binary.bin", "--format", "jsonl", "--stats"]);
    assert_eq!(
        matches(&out),
        [
            (1, "StopLogging".to_string()),
            (5, "DeleteTrail".to_string())
        ]
    );
    assert!(err.contains("3 malformed"), "{err}");
    assert!(err.contains("binary"), "{err}");
    assert_eq!(code, 2);
}

#[test]
fn bad_lines_are_reported_alike_whether_or_not_the_prefilter_lets_them_be_parsed() {
    let fx = Fixture::new();
    let stop = &records()[1];
    let head = &format!("{},", &stop[..stop.len() - 1]);
    let nested = |depth: usize| {
        format!(
            "{head}\"d\":{}{}}}",
            "[".repeat(depth - 1),
            "]".repeat(depth - 1)
        )
    };
    let lines: Vec<Vec<u8>> = vec![
        records()[1].clone().into_bytes(),
        format!("{}  {{\"x\":1}}", records()[1]).into_bytes(),
        format!("{head}\"a\":[}}").into_bytes(),
        br#"{"eventName":"Other","a":[}"#.to_vec(),
        nested(512).into_bytes(),
        nested(513).into_bytes(),
        [head.as_bytes(), b"\"x\":\"\xff\"}"].concat(),
    ];
    fx.write("bad.jsonl", &lines.join(&b'\n'));
    let hunt = |extra: &[&str]| {
        let mut args = vec![
            "bad.jsonl",
            "--input-format",
            "ndjson",
            "--format",
            "jsonl",
            "--stats",
        ];
        args.extend_from_slice(extra);
        let (out, err, _) = fx.hunt(&args);
        assert!(
            err.contains("7 framed, 2 scanned, 5 malformed"),
            "the stats count the bad lines: {err}"
        );
        let problems: Vec<String> = err
            .lines()
            .filter(|line| line.starts_with("warning:") && line.contains("record "))
            .map(str::to_string)
            .collect();
        // The record 512 deep is too deep for serde_json: its number is read from the text.
        let found: Vec<String> = out
            .lines()
            .map(|line| {
                let at = line.find(r#""record":"#).unwrap() + r#""record":"#.len();
                line[at..].split(['}', ',']).next().unwrap().to_string()
            })
            .collect();
        (found, problems)
    };
    let (found, problems) = hunt(&[]);
    assert_eq!(hunt(&["--no-prefilter"]), (found.clone(), problems.clone()));
    assert_eq!(
        found,
        ["1", "5"],
        "the object 512 deep matches: {problems:?}"
    );
    let expected = [
        "record 2: unexpected data after the object",
        "record 3: mismatched closing bracket at byte",
        "record 4: mismatched closing bracket at byte 26",
        "record 6: nesting deeper than 512 levels",
        "record 7: invalid UTF-8 at byte",
    ];
    let all = problems.join("\n");
    for part in expected {
        assert!(all.contains(part), "{part:?} missing from:\n{all}");
    }
    assert_eq!(problems.len(), 5, "{all}");
}

#[test]
fn an_overlong_line_on_stdin_is_reported_and_the_rest_is_scanned() {
    let fx = Fixture::new();
    let records = records();
    let mut data = records[1].clone().into_bytes();
    data.push(b'\n');
    // Longer than MAX_RECORD_BYTES (16 MiB): dropped by the stream, between two blocks.
    data.extend(std::iter::repeat_n(b'x', 17 << 20));
    data.push(b'\n');
    data.extend_from_slice(records[2].as_bytes());
    data.push(b'\n');
    let (out, err, code) = fx.hunt_with_stdin(
        &["-", "--format", "jsonl", "--stats", "--threads", "2"],
        data,
    );
    assert_eq!(
        matches(&out),
        [
            (1, "StopLogging".to_string()),
            (3, "DeleteTrail".to_string())
        ]
    );
    assert!(err.contains("1 malformed"), "{err}");
    assert!(
        err.contains("<stdin>: record 2:"),
        "the bad record is named: {err}"
    );
    assert_eq!(code, 2);
}

#[test]
fn a_rule_pack_and_real_logs_skip_digests() {
    let fx = Fixture::new();
    let digest_dir = fx.path("AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/11/02");
    std::fs::create_dir_all(&digest_dir).unwrap();
    std::fs::write(
        digest_dir.join(
            "111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20261102T100000Z.json.gz",
        ),
        gzip(b"{\"awsAccountId\":\"111122223333\",\"digestStartTime\":\"2026-11-02T09:00:00Z\"}"),
    )
    .unwrap();
    let log_dir = fx.path("AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/02");
    std::fs::create_dir_all(&log_dir).unwrap();
    let envelope = format!("{{\"Records\":[{}]}}", records().join(","));
    std::fs::write(
        log_dir.join("111122223333_CloudTrail_us-east-1_20261102T1000Z_abcdefghijklmnop.json.gz"),
        gzip(envelope.as_bytes()),
    )
    .unwrap();
    let (out, err, code) = fx.hunt(&["AWSLogs", "--format", "jsonl", "--stats"]);
    assert_eq!(matches(&out).len(), 2, "{err}");
    assert!(err.contains("1 scanned, 1 skipped"), "{err}");
    assert_eq!(code, 0, "{err}");
}

#[test]
fn from_skips_cloudtrail_files_delivered_before_it_unopened() {
    let fx = Fixture::new();
    let dir = fx.path("AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/02");
    std::fs::create_dir_all(&dir).unwrap();
    let envelope = format!("{{\"Records\":[{}]}}", records().join(","));
    // Delivered before the events' times: a file that cannot be read (not gzip) proves it is
    // never opened, since opening it would be an error.
    std::fs::write(
        dir.join("111122223333_CloudTrail_us-east-1_20261101T0000Z_aaaaaaaaaaaaaaaa.json.gz"),
        b"\x1f\x8bbroken",
    )
    .unwrap();
    std::fs::write(
        dir.join("111122223333_CloudTrail_us-east-1_20261103T1010Z_bbbbbbbbbbbbbbbb.json.gz"),
        gzip(envelope.as_bytes()),
    )
    .unwrap();
    let (out, err, code) = fx.hunt(&[
        "AWSLogs",
        "--format",
        "jsonl",
        "--from",
        "2026-11-02",
        "--stats",
    ]);
    assert_eq!(matches(&out).len(), 2, "{err}");
    assert!(err.contains("delivered before --from"), "{err}");
    assert_eq!(code, 0, "{err}");
}

#[test]
fn correlations_run_over_informational_inputs_even_with_a_level() {
    let fx = Fixture::new();
    std::fs::write(
        fx.path("burst.yml"),
        concat!(
            "title: Trail change\nname: trail_change\nid: 0a8c0a3e-6b2c-4f0e-9c3e-5d1f2b7a9e01\n",
            "level: informational\nlogsource: {product: aws, service: cloudtrail}\n",
            "detection:\n  sel: {eventSource: cloudtrail.amazonaws.com}\n  condition: sel\n---\n",
            "title: Trail changes in a burst\nid: 0a8c0a3e-6b2c-4f0e-9c3e-5d1f2b7a9e02\n",
            "level: high\ncorrelation:\n  type: event_count\n  rules: [trail_change]\n",
            "  group-by: [awsRegion]\n  timespan: 2d\n  condition: {gte: 3}\n",
        ),
    )
    .unwrap();
    fx.write("events.jsonl", &ndjson());
    let args = [
        "hunt",
        "-r",
        "burst.yml",
        "events.jsonl",
        "--level",
        "high",
        "--format",
        "jsonl",
    ];
    let (out, _, _) = fx.sigil(&args, Vec::new());
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "only the correlation is written: {out}");
    assert_eq!(lines[0]["rule"]["title"], "Trail changes in a burst");
    assert_eq!(lines[0]["group"]["awsRegion"], "us-east-1");
    assert_eq!(lines[0]["aggregate"]["value"], 3.0);
    assert_eq!(lines[0]["events"]["count"], 3);
}
