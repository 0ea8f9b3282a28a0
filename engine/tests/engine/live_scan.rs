//! The live scanner (`LiveScanner`, `Feed`): bytes pushed in pieces of any size give the
//! matches a hunt gives over the same file, record numbers included, for every log format of
//! the sample corpus; a feed resumed at a saved position goes on as if never stopped; overlong
//! lines are dropped and reported; whole inputs and documents are read as a hunt reads them.

use sigil_compiler::{LoadOptions, load_paths};
use sigil_engine::correlate::{Correlator, LiveLimits};
use sigil_engine::{
    Engine, Feed, HuntStats, Input, InputSource, JsonlSink, LiveScanner, ScanOptions,
};
use std::io::Read;
use std::path::{Path, PathBuf};

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus/samples")
}

fn pack() -> Engine {
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules");
    let loaded = load_paths(&[rules], &LoadOptions::default());
    assert_eq!(loaded.refused, 0);
    Engine::new(loaded.rules, ScanOptions::default())
}

fn gunzip(path: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// The `.gz` files under `folder`, sorted.
fn gz_files(folder: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir(folder)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "gz"))
        .collect();
    files.sort();
    files
}

fn walkdir(folder: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walkdir(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Every sample log as a plain file: NDJSON, text logs (VPC Flow files concatenated, each with
/// its header), CloudTrail envelopes one per line.
fn plain_logs(dir: &Path) -> Vec<PathBuf> {
    let aws = samples().join("AWSLogs/302828302752");
    let mut made = Vec::new();
    let mut write = |name: &str, bytes: Vec<u8>| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        made.push(path);
    };
    let trails = gz_files(&aws.join("CloudTrail"));
    let mut ndjson = Vec::new();
    let mut envelopes = Vec::new();
    for file in &trails {
        let doc: serde_json::Value = serde_json::from_slice(&gunzip(file)).unwrap();
        for record in doc["Records"].as_array().unwrap() {
            ndjson.extend(serde_json::to_vec(record).unwrap());
            ndjson.push(b'\n');
        }
        envelopes.extend(serde_json::to_vec(&doc).unwrap());
        envelopes.push(b'\n');
    }
    write("trail.jsonl", ndjson);
    write("envelopes.json", envelopes);
    let flows: Vec<u8> = gz_files(&aws.join("vpcflowlogs"))
        .iter()
        .flat_map(|f| gunzip(f))
        .collect();
    write("flows.log", flows);
    let findings: Vec<u8> = gz_files(&aws.join("GuardDuty"))
        .iter()
        .flat_map(|f| gunzip(f))
        .collect();
    write("findings.jsonl", findings);
    let waf: Vec<u8> = gz_files(&samples().join("waf"))
        .iter()
        .flat_map(|f| gunzip(f))
        .collect();
    write("waf.jsonl", waf);
    write("alb.log", std::fs::read(samples().join("alb.log")).unwrap());
    write(
        "cloudfront.log",
        std::fs::read(samples().join("cloudfront.log")).unwrap(),
    );
    made
}

/// Detection lines (those with an `event`), in order; correlation lines apart, sorted by
/// rule, group and window start.
fn split(jsonl: &[u8]) -> (Vec<String>, Vec<String>) {
    let mut detections = Vec::new();
    let mut correlations = Vec::new();
    for line in jsonl.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let value: serde_json::Value = serde_json::from_slice(line).unwrap();
        if value.get("event").is_some() {
            detections.push(String::from_utf8(line.to_vec()).unwrap());
        } else {
            correlations.push(format!(
                "{} {} {}",
                value["rule"]["title"], value["group"], value["window"]["start"]
            ));
        }
    }
    correlations.sort();
    (detections, correlations)
}

/// A tiny deterministic random number generator (xorshift).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Pushes `bytes` to a feed of `path` in pieces of 1 to `max` bytes, then ends it.
fn live(engine: &Engine, path: &Path, bytes: &[u8], max: usize, seed: u64) -> (Vec<u8>, HuntStats) {
    let correlator = Correlator::new(engine.rules());
    let mut scanner = LiveScanner::new(engine, &correlator, LiveLimits::default());
    let mut sink = JsonlSink::new(Vec::new(), engine.rules());
    let mut feed = Feed::new(InputSource::Path(path.to_path_buf()));
    let mut total = HuntStats::default();
    let mut rng = Rng(seed);
    let mut at = 0;
    while at < bytes.len() {
        let n = (1 + rng.below(max)).min(bytes.len() - at);
        add(
            &mut total,
            scanner
                .push(&mut feed, &bytes[at..at + n], &mut sink)
                .unwrap(),
        );
        at += n;
    }
    add(&mut total, scanner.end(feed, &mut sink).unwrap());
    add(&mut total, scanner.finish_correlations(&mut sink).unwrap());
    (sink.into_inner(), total)
}

fn add(total: &mut HuntStats, stats: HuntStats) {
    total.records += stats.records;
    total.bad_records += stats.bad_records;
    total.scanned += stats.scanned;
}

#[test]
fn pieces_of_any_size_give_the_hunts_matches_for_every_format() {
    let engine = pack();
    let dir = tempfile::tempdir().unwrap();
    for (i, path) in plain_logs(dir.path()).iter().enumerate() {
        let (hunted, stats) = crate::support::hunt_jsonl(&engine, std::slice::from_ref(path));
        let bytes = std::fs::read(path).unwrap();
        for (max, seed) in [(1, 1), (97, 2 + i as u64), (70_000, 3)] {
            if max == 1 && bytes.len() > 300_000 {
                continue; // byte by byte is slow on the biggest files; the others cover it
            }
            let (pushed, live_stats) = live(&engine, path, &bytes, max, seed);
            let (want, want_correlations) = split(&hunted);
            let (got, got_correlations) = split(&pushed);
            assert!(
                !want.is_empty() || path.ends_with("findings.jsonl"),
                "{}",
                path.display()
            );
            assert_eq!(got, want, "{} in pieces of up to {max}", path.display());
            if path.ends_with("flows.log") || path.ends_with("findings.jsonl") {
                // Their files, concatenated, go back in time: late events may move or split a
                // match live (see `correlate::live`), but every group the batch run reports
                // is alerted.
                let groups = |lines: &[String]| -> std::collections::BTreeSet<String> {
                    lines
                        .iter()
                        .map(|l| l.rsplit_once(' ').unwrap().0.to_string())
                        .collect()
                };
                let missing: Vec<_> = groups(&want_correlations)
                    .difference(&groups(&got_correlations))
                    .cloned()
                    .collect();
                assert!(missing.is_empty(), "{missing:?}");
            } else {
                assert_eq!(got_correlations, want_correlations, "{}", path.display());
            }
            assert_eq!(
                (
                    live_stats.records,
                    live_stats.bad_records,
                    live_stats.scanned
                ),
                (stats.records, stats.bad_records, stats.scanned),
                "{}",
                path.display()
            );
        }
    }
}

#[test]
fn a_resumed_feed_goes_on_where_it_stopped() {
    let engine = pack();
    let dir = tempfile::tempdir().unwrap();
    let logs = plain_logs(dir.path());
    for name in ["flows.log", "cloudfront.log", "trail.jsonl"] {
        let path = logs.iter().find(|p| p.ends_with(name)).unwrap();
        let bytes = std::fs::read(path).unwrap();
        let (whole, _) = live(&engine, path, &bytes, 4096, 7);
        let correlator = Correlator::new(engine.rules());
        let mut scanner = LiveScanner::new(&engine, &correlator, LiveLimits::default());
        let mut sink = JsonlSink::new(Vec::new(), engine.rules());
        let source = InputSource::Path(path.clone());
        let mut feed = Feed::new(source.clone());
        let cut = bytes.len() / 2 + 17;
        scanner.push(&mut feed, &bytes[..cut], &mut sink).unwrap();
        let at = feed.position();
        assert!(at.offset > 0 && at.offset <= cut as u64);
        // A new process: the feed is resumed from its saved position and the file's head.
        let head = &bytes[..bytes.len().min(64 << 10)];
        let mut feed = Feed::resume(source, at, head);
        assert_eq!(feed.position(), at);
        scanner
            .push(&mut feed, &bytes[at.offset as usize..], &mut sink)
            .unwrap();
        scanner.end(feed, &mut sink).unwrap();
        scanner.finish_correlations(&mut sink).unwrap();
        assert_eq!(split(&sink.into_inner()).0, split(&whole).0, "{name}");
    }
}

#[test]
fn an_overlong_line_is_dropped_and_the_next_records_keep_their_numbers() {
    let engine = pack();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.jsonl");
    let stop = r#"{"eventVersion":"1.09","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","eventTime":"2026-10-01T00:00:00Z","awsRegion":"us-east-1","sourceIPAddress":"1.2.3.4","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/eve"}}"#;
    let mut bytes = format!("{stop}\n{{\"x\":\"").into_bytes();
    bytes.extend(std::iter::repeat_n(b'a', 17 << 20));
    bytes.extend(format!("\"}}\n{stop}\n").into_bytes());
    std::fs::write(&path, &bytes).unwrap();
    let (hunted, stats) = crate::support::hunt_jsonl(&engine, std::slice::from_ref(&path));
    let (pushed, live_stats) = live(&engine, &path, &bytes, 1 << 20, 9);
    assert_eq!(split(&pushed).0, split(&hunted).0);
    assert_eq!(split(&pushed).0.len(), 2);
    assert!(split(&pushed).0[1].contains(r#""record":3"#));
    assert_eq!((live_stats.records, live_stats.bad_records), (3, 1));
    assert_eq!((stats.records, stats.bad_records), (3, 1));
}

#[test]
fn documents_and_compressed_inputs_are_read_whole() {
    let engine = pack();
    let trail = gz_files(&samples().join("AWSLogs/302828302752/CloudTrail"))
        .into_iter()
        .next()
        .unwrap();
    let (hunted, _) = crate::support::hunt_jsonl(&engine, std::slice::from_ref(&trail));
    let compressed = std::fs::read(&trail).unwrap();
    let correlator = Correlator::new(engine.rules());
    let mut scanner = LiveScanner::new(&engine, &correlator, LiveLimits::default());
    // Whole, from a reader.
    let mut sink = JsonlSink::new(Vec::new(), engine.rules());
    let source = InputSource::Path(trail.clone());
    let size = Some(compressed.len() as u64);
    let input = Input::reader(
        source.clone(),
        std::io::Cursor::new(compressed.clone()),
        size,
    );
    scanner.scan_input(input, &mut sink).unwrap();
    assert_eq!(split(&sink.into_inner()).0, split(&hunted).0);
    // Pushed in pieces: gzip is held until the end.
    let (pushed, _) = live(&engine, &trail, &compressed, 999, 5);
    assert_eq!(split(&pushed).0, split(&hunted).0);
    // A pretty-printed envelope, pushed: read when it ends.
    let doc: serde_json::Value = serde_json::from_slice(&gunzip(&trail)).unwrap();
    let pretty = serde_json::to_vec_pretty(&doc).unwrap();
    let (pushed, stats) = live(&engine, &trail, &pretty, 999, 6);
    assert_eq!(split(&pushed).0, split(&hunted).0);
    assert_eq!(stats.bad_records, 0);
}
