//! Loading and compiling rules: the whole SigmaHQ collection (target: under 1 s on one core),
//! and its 57 AWS CloudTrail rules.

use criterion::{Criterion, criterion_group, criterion_main};
use sigil_benches::shared_data;
use sigil_compiler::{LoadOptions, load_paths};
use std::time::Duration;

fn load(c: &mut Criterion) {
    let Some(all) = shared_data("sigmahq-rules") else {
        eprintln!("notice: ../shared/data/sigmahq-rules is absent; load benches skipped");
        return;
    };
    let aws = all.join("rules/cloud/aws/cloudtrail");
    let mut group = c.benchmark_group("load");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.bench_function("sigmahq_all_4041_files", |b| {
        b.iter(|| load_paths(std::slice::from_ref(&all), &LoadOptions::default()))
    });
    group.bench_function("sigmahq_aws_cloudtrail_57", |b| {
        b.iter(|| load_paths(std::slice::from_ref(&aws), &LoadOptions::default()))
    });
    group.finish();
}

criterion_group!(benches, load);
criterion_main!(benches);
