//! `sigil-lambda` as Lambda runs it: cold start, and time and peak memory per CloudTrail
//! object, with the Lambda cost per TB scanned that follows. Not a test: numbers for
//! `benches/RESULTS.md`.
//!
//! ```sh
//! cargo build --release -p sigil-lambda -p sigil-corpus
//! cargo bench -p sigil-benches --bench lambda                 # 5 cold starts, 3 runs per object
//! LAMBDA_RUNS=1 LAMBDA_SIZES=100000 cargo bench -p sigil-benches --bench lambda
//! ```
//!
//! The function (`target/release/sigil-lambda`) runs against the Runtime API stand-in of
//! `sigil_aws::testing`, reading S3 from moto on 127.0.0.1, pinned to one core (`taskset -c
//! 0`: a function of 1,769 MB has one vCPU). Measured:
//!
//! - **cold start**: from spawning the process to its first `/invocation/next` request (rules
//!   loaded and compiled, clients built), with the bundled pack and with all SigmaHQ AWS
//!   rules (`../shared/data/sigmahq-rules/rules/cloud/aws`, skipped when absent);
//! - **per object**: one gzipped `{"Records":[…]}` object of the corpus generator's CloudTrail
//!   records, 100 KB, 10 MB and 100 MB uncompressed; the time from the invocation to the
//!   function's answer, and the process's peak RSS (`VmHWM`); baseline in the same run:
//!   `gzip -dc` of the same object on the same core (inflating alone);
//! - **cost per TB scanned** (uncompressed): the measured one-core time billed at 1,769 MB
//!   (1.7275 GiB). Lambda gives CPU in proportion to memory, so at 512 MB the same work takes
//!   1,769/512 times as long (the estimate printed) and costs the same; below one vCPU the
//!   memory setting does not change the cost of CPU-bound work. Prices: us-east-1, first
//!   tier, x86 $0.0000166667 and arm $0.0000133334 per GB-second (requests, $0.20 per
//!   million, left out).

use sigil_aws::testing::Moto;
use sigil_aws::testing::runtime_api::{Answer, RuntimeApi};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PRICE_X86: f64 = 0.0000166667;
const PRICE_ARM: f64 = 0.0000133334;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The function's process, started on one core.
struct Function {
    child: Child,
    api: RuntimeApi,
    started: Instant,
}

impl Function {
    fn start(moto: &Moto, rules: &Path, memory_mib: u32) -> Function {
        let api = RuntimeApi::start().unwrap();
        let started = Instant::now();
        let child = Command::new("taskset")
            .args(["-c", "0"])
            .arg(root().join("target/release/sigil-lambda"))
            .envs(Moto::env(&moto.endpoint()))
            .envs(api.env(memory_mib))
            .env("SIGIL_RULES", rules)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("target/release/sigil-lambda (cargo build --release -p sigil-lambda)");
        Function {
            child,
            api,
            started,
        }
    }

    /// Seconds from the spawn to the first request for an invocation.
    fn cold_start(&self) -> f64 {
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            if let Some(at) = self.api.first_next() {
                return (at - self.started).as_secs_f64();
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        panic!("the function did not start");
    }

    /// Peak resident memory so far, in MiB.
    fn peak_rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let kib: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0.0);
        kib / 1024.0
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// CloudTrail records of the corpus generator, one JSON line each, about `mb` MB.
fn records(mb: usize) -> Vec<String> {
    let output = Command::new(root().join("target/release/sigil-corpus"))
        .args([
            "generate",
            "--sources",
            "cloudtrail",
            "--mb",
            &mb.to_string(),
            "--out",
            "-",
        ])
        .output()
        .expect("target/release/sigil-corpus (cargo build --release -p sigil-corpus)");
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// A CloudTrail envelope of `records` about `bytes` long: gzipped, its length uncompressed,
/// and how many records it holds.
fn envelope(records: &[String], bytes: usize) -> (Vec<u8>, usize, usize) {
    let mut json = String::from("{\"Records\":[");
    let mut count = 0;
    for record in records.iter().cycle() {
        if json.len() + record.len() > bytes {
            break;
        }
        if count > 0 {
            json.push(',');
        }
        json.push_str(record);
        count += 1;
    }
    json.push_str("]}");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(json.as_bytes()).unwrap();
    (gz.finish().unwrap(), json.len(), count)
}

fn key(n: usize) -> String {
    format!(
        "AWSLogs/111122223333/CloudTrail/us-east-1/2026/10/01/111122223333_CloudTrail_us-east-1_20261001T00{n:02}Z_benchobject{n:05}.json.gz"
    )
}

fn s3_event(key: &str) -> String {
    serde_json::json!({"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventName": "ObjectCreated:Put", "eventTime": "2026-10-01T00:05:00.000Z",
        "s3": {"bucket": {"name": "bench"}, "object": {"key": key}}}]})
    .to_string()
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let runs: usize = env_or("LAMBDA_RUNS", "3").parse().unwrap();
    let sizes: Vec<usize> = env_or("LAMBDA_SIZES", "100000,10000000,100000000")
        .split(',')
        .map(|s| s.parse().unwrap())
        .collect();
    let moto = Moto::start().expect("moto (pip install 'moto[server]')");
    moto.create_bucket("bench").unwrap();
    let pack = root().join("rules");
    let sigma = sigil_benches::shared_data("sigmahq-rules/rules/cloud/aws");

    println!(
        "## cold start (spawn to first /next; median of {} runs)",
        runs + 2
    );
    let mut rule_sets = vec![("bundled pack", pack.clone())];
    match &sigma {
        Some(path) => rule_sets.push(("SigmaHQ AWS rules", path.clone())),
        None => println!("(SigmaHQ rules absent: ../shared/data not found)"),
    }
    for (name, path) in &rule_sets {
        let times: Vec<f64> = (0..runs + 2)
            .map(|_| Function::start(&moto, path, 1769).cold_start())
            .collect();
        println!("| {name} | {:.1} ms |", median(times) * 1e3);
    }

    let max = *sizes.iter().max().unwrap();
    let corpus = records(max / 1_000_000 + 2);
    println!(
        "\n## one object (bundled pack, one core, AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512; median of {runs} runs)"
    );
    println!(
        "| object (uncompressed / stored) | records | gzip -dc | sigil-lambda (1,769 MB) | ratio | peak RSS | 512 MB (est.) | $/TB x86 | $/TB arm |"
    );
    let dir = tempfile::tempdir().unwrap();
    for (n, &size) in sizes.iter().enumerate() {
        let (object, json_len, records) = envelope(&corpus, size);
        let key = key(n);
        moto.put("bench", &key, &object).unwrap();
        let local = dir.path().join("object.json.gz");
        std::fs::write(&local, &object).unwrap();
        let mut gunzip = Vec::new();
        let mut invocation = Vec::new();
        let mut rss: f64 = 0.0;
        for _ in 0..runs {
            let started = Instant::now();
            let status = Command::new("taskset")
                .args(["-c", "0", "gzip", "-dc"])
                .arg(&local)
                .stdout(Stdio::null())
                .status()
                .unwrap();
            assert!(status.success());
            gunzip.push(started.elapsed().as_secs_f64());
            let mut function = Function::start(&moto, &pack, 512);
            function.cold_start();
            let started = Instant::now();
            function.api.invoke(&s3_event(&key));
            let answer = function.api.answer(Duration::from_secs(600));
            invocation.push(started.elapsed().as_secs_f64());
            assert!(
                matches!(answer, Some(Answer::Response { .. })),
                "{answer:?}"
            );
            rss = rss.max(function.peak_rss_mib());
        }
        let (t, gb) = (median(invocation), json_len as f64 / 1e9);
        // Lambda bills memory in GiB-seconds and gives CPU in proportion to memory, so below
        // one vCPU (1,769 MB) the cost of CPU-bound work does not depend on the memory chosen.
        let cost_per_tb = |price: f64| t * (1769.0 / 1024.0) * price / gb * 1000.0;
        println!(
            "| {:.1} MB / {:.1} MB | {records} | {:.3} s | {:.3} s | {:.1}x | {:.0} MiB | {:.3} s | ${:.3} | ${:.3} |",
            json_len as f64 / 1e6,
            object.len() as f64 / 1e6,
            median(gunzip.clone()),
            t,
            t / median(gunzip),
            rss,
            t * 1769.0 / 512.0,
            cost_per_tb(PRICE_X86),
            cost_per_tb(PRICE_ARM),
        );
    }
}
