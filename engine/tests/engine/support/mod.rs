//! Helpers shared by the test modules.

pub mod correlate_sql;
pub mod input;
pub mod prefilter;

use sigil_compiler::RuleSet;
use sigil_engine::{Engine, HuntOptions, HuntStats, JsonlSink, LocalSource, ScanOptions};
use std::path::PathBuf;

/// Hunts `inputs` (files, folders) with `engine`, the matches written as JSON lines.
pub fn hunt_jsonl(engine: &Engine, inputs: &[PathBuf]) -> (Vec<u8>, HuntStats) {
    let mut sink = JsonlSink::new(Vec::new(), engine.rules());
    let mut source = LocalSource::new(inputs);
    let stats = sigil_engine::hunt(engine, &mut source, &HuntOptions::default(), &mut sink)
        .expect("writing to memory cannot fail");
    (sink.into_inner(), stats)
}

/// Hunts `inputs` with `engine`, as [`hunt_jsonl`]; returns the match records, parsed.
pub fn hunt_matches(engine: &Engine, inputs: &[PathBuf]) -> (Vec<serde_json::Value>, HuntStats) {
    let (out, stats) = hunt_jsonl(engine, inputs);
    let matches = out
        .split(|&b| b == b'\n')
        .filter(|line| !line.is_empty())
        .map(|line| serde_json::from_slice(line).expect("a JSON line"))
        .collect();
    (matches, stats)
}

/// An engine that runs every rule of `rules` on every record, whatever the rule's log source
/// (as tests that drive the correlator by hand expect).
pub fn any_source_engine(rules: RuleSet) -> Engine {
    let options = ScanOptions {
        any_logsource: true,
        ..ScanOptions::default()
    };
    Engine::new(rules, options)
}
