//! The prefilter on generated CloudTrail: the literal search alone (escape check, string
//! lookups, Teddy or an automaton for the unanchored literals, formulas) with the SigmaHQ AWS
//! rules and with the whole SigmaHQ set (3,000 rules, 20,000 literals), and the whole scan with
//! the prefilter on and off, measured in the same run, with the share of records it lets
//! through to the parser. Throughput is in bytes of records.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sigil_benches::shared_data;
use sigil_compiler::{LoadOptions, RuleId, load_paths};
use sigil_corpus::{Config, Generator, Size, Source};
use sigil_engine::{Engine, Prefilter, ScanOptions};

/// About 8 MB of generated CloudTrail records.
fn cloudtrail_records() -> Vec<String> {
    let generator = Generator::new(Config {
        sources: vec![Source::CloudTrail],
        size: Size::Events(6_000),
        ..Config::default()
    });
    generator
        .stream(Source::CloudTrail)
        .map(|record| record.text)
        .collect()
}

fn prefilter(c: &mut Criterion) {
    let records = cloudtrail_records();
    let bytes: usize = records.iter().map(String::len).sum();
    let mut group = c.benchmark_group("prefilter");
    group
        .throughput(Throughput::Bytes(bytes as u64))
        .sample_size(10);
    for (name, path) in [
        ("sigmahq_aws", "sigmahq-rules/rules/cloud/aws"),
        ("sigmahq_all", "sigmahq-rules/rules"),
    ] {
        let Some(rules) = shared_data(path) else {
            eprintln!("notice: ../shared/data is absent; prefilter bench skipped");
            return;
        };
        let loaded = load_paths(&[rules], &LoadOptions::default());
        let all: Vec<RuleId> = loaded.rules.iter().map(|(id, _)| id).collect();
        let prefilter = Prefilter::new(&loaded.rules, &all);
        group.bench_function(format!("literal_search_{name}"), |b| {
            let mut scratch = prefilter.scratch();
            let mut candidates = Vec::new();
            b.iter(|| {
                let mut total = 0;
                for record in &records {
                    prefilter.candidates(record.as_bytes(), &mut scratch, &mut candidates, None);
                    total += candidates.len();
                }
                total
            })
        });
        if name == "sigmahq_aws" {
            for on in [true, false] {
                let options = ScanOptions {
                    prefilter: on,
                    ..ScanOptions::default()
                };
                let loaded = load_paths(&[shared_data(path).unwrap()], &LoadOptions::default());
                let engine = Engine::new(loaded.rules, options);
                let label = if on {
                    "scan_prefilter_on"
                } else {
                    "scan_prefilter_off"
                };
                let mut scanner = engine.scanner();
                for record in &records {
                    let _ = scanner.scan(record.as_bytes());
                }
                let stats = scanner.take_stats();
                eprintln!(
                    "{label}: {} of {} records parsed ({:.1}%), {:.2} rules evaluated per record",
                    stats.parsed,
                    stats.records,
                    100.0 * stats.parsed as f64 / stats.records as f64,
                    stats.rules_per_record()
                );
                group.bench_function(label, |b| {
                    b.iter(|| {
                        records
                            .iter()
                            .map(|r| scanner.scan(r.as_bytes()).map_or(0, |m| m.rules.len()))
                            .sum::<usize>()
                    })
                });
            }
        }
    }
    group.finish();
}

criterion_group!(benches, prefilter);
criterion_main!(benches);
