//! Correlation over many base matches, next to plain detection.
//!
//! 10 GB of ~1 KB events is ~10 M records; at 1% base matches that is 100 k matches, and a
//! noisy base rule (every 403, every flow) can give ten times more. The benches feed 1 M
//! synthetic base matches (50 k groups of about 20 matches each, over ten days) to the bundled
//! correlation rules (`rules/correlations/`):
//!
//! - `observe_1m`: the workers' side, recording 1 M matches (time, group values, location);
//! - `finish_event_count_1m` / `finish_value_sum_1m`: grouping, sorting and sliding windows;
//! - `detect_alb_records`: the scanner over ALB-like records with the same rules, the cost
//!   each record pays in detection, to set the correlation's cost per match beside.
//!
//! Before the timings it prints the memory the observations hold and the process's peak
//! resident size around `finish` (Linux), the bound the issue asks about.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use sigil_compiler::{LoadOptions, RuleId, RuleSet, load_paths};
use sigil_engine::correlate::{Correlator, Observations};
use sigil_engine::{Engine, ScanOptions};
use std::path::PathBuf;

const MATCHES: u64 = 1_000_000;
/// 2026-10-01T00:00:00Z, in seconds.
const START: i64 = 1_790_812_800;

fn rules() -> RuleSet {
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../rules/correlations");
    load_paths(&[folder], &LoadOptions::default()).rules
}

fn rule_named(rules: &RuleSet, name: &str) -> RuleId {
    rules
        .iter()
        .find(|(_, r)| r.meta.name.as_deref() == Some(name))
        .map(|(id, _)| id)
        .expect("bundled rule")
}

/// A deterministic pseudo-random stream (SplitMix64).
fn mix(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One synthetic base match: its time and the values of the fields the rule observes.
struct Synthetic {
    time: jiff::Timestamp,
    values: Vec<Option<String>>,
}

/// `MATCHES` matches of `rule`, ten days long, its fields filled from their names.
fn synthetic(correlator: &Correlator<'_>, rule: RuleId) -> Vec<Synthetic> {
    let fields = &correlator
        .inputs()
        .iter()
        .find(|(r, _)| *r == rule)
        .expect("an input rule")
        .1;
    (0..MATCHES)
        .map(|i| {
            let r = mix(i);
            let client = r % 50_000;
            let values = fields
                .iter()
                .map(|f| {
                    Some(match f.name.as_str() {
                        "bytes" => (r >> 20 & 0xFFFF).to_string(),
                        "request_url" => {
                            format!("https://shop.example.com/p/{}", client % 200)
                        }
                        "dstaddr" => format!("198.51.100.{}", client % 256),
                        "interface-id" => format!("eni-{:017x}", client % 300),
                        _ => format!(
                            "10.{}.{}.{}",
                            client >> 16,
                            client >> 8 & 0xFF,
                            client & 0xFF
                        ),
                    })
                })
                .collect();
            let seconds = START + (i as i64 * 864_000 / MATCHES as i64);
            Synthetic {
                time: jiff::Timestamp::from_second(seconds).expect("valid"),
                values,
            }
        })
        .collect()
}

fn observe(rule: RuleId, matches: &[Synthetic]) -> Observations {
    let mut observations = Observations::default();
    for (i, m) in matches.iter().enumerate() {
        observations.observe(rule, m.time, &m.values, "alb.log".as_ref(), i as u64 + 1);
    }
    observations
}

/// The process's peak resident size so far, in MB (Linux; 0 elsewhere).
fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn correlate(c: &mut Criterion) {
    let rules = rules();
    let correlator = Correlator::new(&rules);
    let alb = rule_named(&rules, "sigil_alb_http_403");
    let vpc = rule_named(&rules, "sigil_vpcflow_flow_bytes");
    let alb_matches = synthetic(&correlator, alb);
    let vpc_matches = synthetic(&correlator, vpc);

    let observations = observe(alb, &alb_matches);
    let before = peak_rss_mb();
    let found = correlator.finish(observe(alb, &alb_matches));
    eprintln!(
        "1M base matches: observations hold {:.1} MB; peak RSS {before:.0} MB before finish, \
         {:.0} MB after; {} correlation matches",
        observations.heap_bytes() as f64 / 1e6,
        peak_rss_mb(),
        found.len()
    );
    drop(observations);

    let mut group = c.benchmark_group("correlate");
    group
        .sample_size(10)
        .throughput(Throughput::Elements(MATCHES));
    group.bench_function("observe_1m", |b| {
        b.iter(|| observe(alb, &alb_matches).len())
    });
    group.bench_function("finish_event_count_1m", |b| {
        b.iter_batched(
            || observe(alb, &alb_matches),
            |o| correlator.finish(o).len(),
            BatchSize::LargeInput,
        )
    });
    group.bench_function("finish_value_sum_1m", |b| {
        b.iter_batched(
            || observe(vpc, &vpc_matches),
            |o| correlator.finish(o).len(),
            BatchSize::LargeInput,
        )
    });
    group.finish();

    let records: Vec<String> = (0..50_000u64)
        .map(|i| {
            let r = mix(i);
            format!(
                r#"{{"type":"https","time":"2026-10-01T00:00:{:02}.000000Z","elb":"app/prod/ee69b44487e838de","client_ip":"10.0.{}.{}","client_port":{},"target_ip":"10.1.10.212","elb_status_code":{},"target_status_code":200,"received_bytes":355,"sent_bytes":{},"request":"GET https://shop.example.com:443/p/{} HTTP/1.1","request_method":"GET","request_url":"https://shop.example.com:443/p/{}","user_agent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36","ssl_cipher":"TLS_AES_128_GCM_SHA256","ssl_protocol":"TLSv1.3","trace_id":"Root=1-6abda283-{:024x}","domain_name":"shop.example.com","actions_executed":"waf,forward","timestamp":"2026-10-01T00:00:00Z"}}"#,
                i % 60,
                r >> 8 & 0xFF,
                r & 0xFF,
                r >> 16 & 0xFFFF,
                if r.is_multiple_of(100) { 403 } else { 200 },
                r >> 20 & 0xFFFF,
                r >> 40 & 0xFF,
                r >> 40 & 0xFF,
                r
            )
        })
        .collect();
    let bytes: usize = records.iter().map(|r| r.len() + 1).sum();
    let engine = Engine::new(self::rules(), ScanOptions::default());
    let mut group = c.benchmark_group("detect");
    group
        .sample_size(10)
        .throughput(Throughput::Elements(records.len() as u64));
    eprintln!(
        "detection input: {} ALB records, {:.1} MB, 1% are 403",
        records.len(),
        bytes as f64 / 1e6
    );
    group.bench_function("detect_alb_records", |b| {
        let mut scanner = engine.scanner();
        b.iter(|| {
            records
                .iter()
                .map(|r| scanner.scan(r.as_bytes()).map_or(0, |m| m.rules.len()))
                .sum::<usize>()
        })
    });
    group.finish();
}

criterion_group!(benches, correlate);
criterion_main!(benches);
