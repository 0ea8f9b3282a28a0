//! The per-record stages on generated CloudTrail: framing, a bare simd-json parse, and the
//! whole scan (parse + route + evaluate) with the SigmaHQ AWS rules. Throughput is in bytes, so
//! the stages compare directly with each other.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sigil_benches::shared_data;
use sigil_compiler::{LoadOptions, load_paths};
use sigil_corpus::{Config, Generator, Size, Source};
use sigil_engine::framing::{Origin, Shape, records};
use sigil_engine::{Engine, ScanOptions};

/// About 8 MB of generated CloudTrail NDJSON.
fn cloudtrail_ndjson() -> Vec<u8> {
    let config = Config {
        sources: vec![Source::CloudTrail],
        size: Size::Events(6_000),
        ..Config::default()
    };
    let generator = Generator::new(config);
    let mut out = Vec::new();
    let mut line = String::new();
    let mut stream = generator.stream(Source::CloudTrail);
    while stream.next_into(&mut line).is_some() {
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
    out
}

fn pipeline(c: &mut Criterion) {
    let data = cloudtrail_ndjson();
    let mut group = c.benchmark_group("cloudtrail");
    group
        .throughput(Throughput::Bytes(data.len() as u64))
        .sample_size(10);
    group.bench_function("frame_ndjson", |b| {
        b.iter(|| records(&data, Shape::Ndjson, Origin::START).count())
    });
    group.bench_function("simd_json_parse_every_record", |b| {
        let mut buffer = Vec::new();
        b.iter(|| {
            for record in records(&data, Shape::Ndjson, Origin::START).flatten() {
                buffer.clear();
                buffer.extend_from_slice(record.bytes);
                let _ = simd_json::to_borrowed_value(&mut buffer);
            }
        })
    });
    if let Some(rules) = shared_data("sigmahq-rules/rules/cloud/aws/cloudtrail") {
        let loaded = load_paths(&[rules], &LoadOptions::default());
        let engine = Engine::new(loaded.rules, ScanOptions::default());
        group.bench_function("scan_sigmahq_aws", |b| {
            let mut scanner = engine.scanner();
            b.iter(|| {
                let mut matches = 0;
                for record in records(&data, Shape::Ndjson, Origin::START).flatten() {
                    matches += scanner.scan(record.bytes).map_or(0, |m| m.rules.len());
                }
                matches
            })
        });
    }
    group.finish();
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
