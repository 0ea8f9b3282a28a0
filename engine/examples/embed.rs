//! Embedding Sigil in a pipeline: compile rules once, then scan a stream of records on every
//! core, in bounded batches, writing matches in input order.
//!
//! Run with: `cargo run -p sigil-engine --example embed -- RULES_DIR < events.jsonl`
//! (without an argument it uses a built-in rule). Matches are printed as JSON lines. stdin is
//! read one batch of lines at a time, so memory stays bounded however long the stream is.
//! (For files, folders and whole streams with every log format, `sigil_engine::hunt` does all
//! of this and more.)

use rayon::prelude::*;
use sigil_compiler::{LoadOptions, load_paths, load_str};
use sigil_engine::{Engine, InputSource, Jsonl, Layout, MatchRecord, ScanOptions, TextOut};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

const BUILT_IN: &str = "title: CloudTrail logging stopped
id: 5f8c2b1e-0000-4000-8000-000000000001
level: high
logsource: {product: aws, service: cloudtrail}
detection:
  selection: {eventSource: cloudtrail.amazonaws.com, eventName: StopLogging}
  condition: selection
";

/// Lines scanned together; each batch is read, scanned in parallel, then written.
const BATCH_LINES: usize = 10_000;

fn main() -> std::io::Result<()> {
    // 1. Compile once. Diagnostics are values: print the errors and go on with the rest.
    let loaded = match std::env::args().nth(1) {
        Some(dir) => load_paths(&[PathBuf::from(dir)], &LoadOptions::default()),
        None => load_str(Path::new("built-in.yml"), BUILT_IN, &LoadOptions::default()),
    };
    for diag in loaded.diagnostics.iter().filter(|d| d.is_error()) {
        eprintln!("rule error: {}", diag.message);
    }
    let engine = Engine::new(loaded.rules, ScanOptions::default());
    let layout = Jsonl::new(engine.rules());
    let input = InputSource::Stdin;

    // 2. Read a batch of lines, scan it on every core (each thread with its own Scanner), and
    //    write its matches in order before reading the next.
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut lines = std::io::stdin().lock().lines();
    let mut number = 0u64;
    loop {
        let batch: Vec<(u64, String)> = lines
            .by_ref()
            .take(BATCH_LINES)
            .map_while(Result::ok)
            .map(|line| {
                number += 1;
                (number, line)
            })
            .collect();
        if batch.is_empty() {
            return Ok(());
        }
        let written: Vec<Vec<u8>> = batch
            .par_iter()
            .map_init(
                || (engine.scanner(), layout.clone()),
                |(scanner, layout), (record, line)| {
                    let mut text = TextOut::default();
                    let Ok(found) = scanner.scan(line.as_bytes()) else {
                        return Vec::new(); // a malformed line: a real pipeline would count it
                    };
                    for &rule in found.rules {
                        let m = MatchRecord {
                            rule_id: rule,
                            rule: engine.rules().rule(rule),
                            timestamp: found.timestamp,
                            input: &input,
                            record: *record,
                            event: line.as_bytes(),
                            line: None,
                            shared: None,
                        };
                        layout.matched(&mut text, &m);
                    }
                    text.into_bytes()
                },
            )
            .collect();
        for text in written {
            out.write_all(&text)?;
        }
    }
}
