//! Embedding Sigil in a pipeline: compile rules once, then scan records from several threads.
//!
//! Run with: `cargo run -p sigil-engine --example embed -- RULES_DIR < events.jsonl`
//! (without an argument it uses a built-in rule). Matches are printed as JSON lines.

use sigil_compiler::{LoadOptions, load_paths, load_str};
use sigil_engine::sink::{MatchRecord, rule_json, write_jsonl};
use sigil_engine::{Engine, ScanOptions};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

const BUILT_IN: &str = "title: CloudTrail logging stopped
id: 5f8c2b1e-0000-4000-8000-000000000001
level: high
logsource: {product: aws, service: cloudtrail}
detection:
  selection: {eventSource: cloudtrail.amazonaws.com, eventName: StopLogging}
  condition: selection
";

fn main() {
    // 1. Compile once. Diagnostics are values: print the errors and go on with the rest.
    let loaded = match std::env::args().nth(1) {
        Some(dir) => load_paths(&[PathBuf::from(dir)], &LoadOptions::default()),
        None => load_str(Path::new("built-in.yml"), BUILT_IN, &LoadOptions::default()),
    };
    for diag in loaded.diagnostics.iter().filter(|d| d.is_error()) {
        eprintln!("rule error: {}", diag.message);
    }
    let engine = Engine::new(loaded.rules, ScanOptions::default());

    // 2. Read lines on this thread, scan them on two workers, each with its own Scanner.
    let lines: Vec<(u64, String)> = std::io::stdin()
        .lock()
        .lines()
        .map_while(Result::ok)
        .enumerate()
        .map(|(i, line)| (i as u64 + 1, line))
        .collect();
    let (sender, receiver) = mpsc::channel::<Vec<u8>>();
    std::thread::scope(|scope| {
        for part in lines.chunks(lines.len().div_ceil(2).max(1)) {
            let (engine, sender) = (&engine, sender.clone());
            scope.spawn(move || {
                let mut scanner = engine.scanner();
                let mut out = Vec::new();
                for (number, line) in part {
                    let Ok(found) = scanner.scan(line.as_bytes()) else {
                        continue;
                    };
                    for &rule in found.rules {
                        let rule = engine.rules().rule(rule);
                        let record = MatchRecord {
                            rule,
                            rule_json: &rule_json(&rule.meta),
                            timestamp: found.timestamp,
                            path: Path::new("<stdin>"),
                            record: *number,
                            event: line.as_bytes(),
                        };
                        write_jsonl(&mut out, &record);
                    }
                }
                sender.send(out).expect("the receiver outlives the workers");
            });
        }
    });
    drop(sender);
    // 3. Write what the workers found (in completion order; a pipeline would reorder by number).
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for block in receiver {
        out.write_all(&block).expect("stdout");
    }
}
