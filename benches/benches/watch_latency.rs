//! `sigil watch` under load: events appended to a followed file, or POSTed to the intake, at
//! fixed rates; the latency from the append (or POST) to a webhook receiving the match, and
//! the watcher's memory. Not a test: numbers for `benches/RESULTS.md`.
//!
//! ```sh
//! cargo build --release
//! cargo bench -p sigil-benches --bench watch_latency            # 1k, 10k, 100k events/s, 60 s each
//! WATCH_SECONDS=10 WATCH_RATES=1000,20000 WATCH_MODES=file cargo bench -p sigil-benches --bench watch_latency
//! WATCH_MODES=http WATCH_ARGS="--intake-bytes 8000000" cargo bench -p sigil-benches --bench watch_latency
//! ```
//!
//! `WATCH_ARGS` adds options to the watcher's command line (split at whitespace).
//!
//! The rules are the SigmaHQ CloudTrail rules (`../shared/data/sigmahq-rules/rules/cloud/aws/
//! cloudtrail`; skipped with a notice when absent) and the bundled pack. The events are the
//! sample corpus's CloudTrail records, cycled, with one `StopLogging` in every hundred carrying
//! a sequence number in its `eventID`: those are the probes whose latency is measured (the
//! corpus's own planted attacks match too, and are delivered, but are not timed). The load
//! generator and the webhook receiver are this program's own threads, on 127.0.0.1; the
//! watcher is `target/release/sigil` (or `$SIGIL_BIN`).
//!
//! The HTTP clients send as an at-least-once sender does: a request answered `503` is sent again
//! after its `Retry-After`, a broken one after 100 ms; a `4xx` is final. Like a real sender,
//! they cap a body at [`MAX_BODY`] bytes: the events due while the clients are busy are sent
//! in as many bodies as that takes. The table counts the answers and the largest body posted.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

/// One probe in this many events.
const PROBE_EVERY: u64 = 100;

/// Most bytes in one HTTP body, but for a single longer line (Firehose's HTTP endpoint
/// delivers 1 to 64 MiB at a time, 5 by default).
const MAX_BODY: usize = 4 << 20;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

/// The sample corpus's CloudTrail records, one JSON line each.
fn background() -> Vec<String> {
    let mut files = Vec::new();
    let mut stack = vec![root().join("corpus/samples/AWSLogs")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.to_string_lossy().contains("/CloudTrail/") {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut records = Vec::new();
    for file in files {
        let mut text = String::new();
        flate2::read::GzDecoder::new(std::fs::File::open(file).unwrap())
            .read_to_string(&mut text)
            .unwrap();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        for record in doc["Records"].as_array().unwrap() {
            records.push(record.to_string());
        }
    }
    records
}

fn probe(seq: u64) -> String {
    format!(
        r#"{{"eventVersion":"1.09","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","eventID":"bench-{seq}","eventTime":"2026-10-01T00:00:00Z","awsRegion":"us-east-1","recipientAccountId":"111122223333","sourceIPAddress":"198.51.100.7","userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/eve","accountId":"111122223333"}},"requestParameters":{{"name":"trail"}}}}"#
    )
}

/// When each probe was sent, and when its match arrived.
#[derive(Default)]
struct Clock {
    sent: HashMap<u64, Instant>,
    latencies: Vec<Duration>,
    received: u64,
}

/// A webhook receiver timing the probes.
fn receiver(clock: Arc<Mutex<Clock>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let clock = Arc::clone(&clock);
            std::thread::spawn(move || serve(stream, &clock));
        }
    });
    url
}

/// Answers the requests of one connection (kept alive), timing the probes of each.
fn serve(stream: TcpStream, clock: &Mutex<Clock>) {
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0;
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let header = line.trim_end().to_ascii_lowercase();
            if header.is_empty() {
                break;
            }
            if let Some(value) = header.strip_prefix("content-length:") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let now = Instant::now();
        let _ = writer.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
        // The probes' ids are found by a plain search, not a JSON parse: the receiver must
        // not be what slows the watcher down.
        let text = String::from_utf8_lossy(&body);
        let mut clock = clock.lock().unwrap();
        for (at, _) in text.match_indices("\"eventID\":\"bench-") {
            let digits = &text[at + 17..];
            let end = digits.find('"').unwrap_or(0);
            let Ok(seq) = digits[..end].parse::<u64>() else {
                continue;
            };
            if let Some(sent) = clock.sent.remove(&seq) {
                clock.latencies.push(now - sent);
                clock.received += 1;
            }
        }
    }
}

/// The watcher's resident memory, in MiB.
fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// The watcher's CPU time so far, in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks: f64 = fields.get(11..13).map_or(0.0, |f| {
        f.iter().filter_map(|t| t.parse::<f64>().ok()).sum()
    });
    ticks / 100.0
}

struct Run {
    mode: String,
    rate: u64,
    sent: u64,
    probes: u64,
    received: u64,
    latencies: Vec<Duration>,
    rss: Vec<f64>,
    cpu: f64,
    seconds: f64,
    answers: Answers,
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1].as_secs_f64() * 1000.0
}

/// Starts the watcher; returns it and its intake's address (for `http`).
fn start(sigil: &Path, rules: &[PathBuf], webhook: &str, file: &Path) -> (Child, SocketAddr) {
    let mut command = Command::new(sigil);
    command.arg("watch");
    for rule in rules {
        command.arg("-r").arg(rule);
    }
    command
        .args([
            "--webhook",
            webhook,
            "--listen",
            "127.0.0.1:0",
            "--poll-ms",
            "20",
        ])
        .args(env_or("WATCH_ARGS", "").split_whitespace())
        .arg(file)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("sigil runs");
    let (tell, told) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(address) = line.strip_prefix("listening on http://") {
                let _ = tell.send(address.parse::<SocketAddr>().unwrap());
            } else if !line.starts_with("warning: correlation") {
                eprintln!("  watcher: {line}");
            }
        }
    });
    let address = told
        .recv_timeout(Duration::from_secs(60))
        .expect("the watcher listens");
    (child, address)
}

/// What the clients saw of the intake's answers.
#[derive(Default)]
struct Answers {
    /// Requests answered 200.
    ok: u64,
    /// Requests refused with 503 (sent again after their `Retry-After`).
    busy: u64,
    /// Requests that failed otherwise (another status, a broken connection): sent again
    /// after 100 ms, except a 4xx, which no retry mends (its events are lost).
    failed: u64,
    /// Requests answered 4xx.
    refused: u64,
    /// The largest body posted, in bytes.
    largest: usize,
}

/// POSTs `body` to the intake until it is answered 200 (or a 4xx), as a sender with
/// at-least-once semantics does.
fn post(address: SocketAddr, body: &[u8], answers: &Mutex<Answers>) {
    {
        let mut answers = answers.lock().unwrap();
        answers.largest = answers.largest.max(body.len());
    }
    loop {
        let (status, retry_after) = post_once(address, body);
        let mut answers = answers.lock().unwrap();
        match status {
            Some(200) => {
                answers.ok += 1;
                return;
            }
            Some(503) if retry_after.is_some() => answers.busy += 1,
            Some(400..500) => {
                answers.refused += 1;
                return;
            }
            _ => answers.failed += 1,
        }
        drop(answers);
        std::thread::sleep(retry_after.unwrap_or(Duration::from_millis(100)));
    }
}

/// One POST: the answer's status and `Retry-After`, if it came.
fn post_once(address: SocketAddr, body: &[u8]) -> (Option<u16>, Option<Duration>) {
    let Ok(mut stream) = TcpStream::connect(address) else {
        return (None, None);
    };
    let head = format!(
        "POST /events HTTP/1.1\r\nhost: {address}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    // A refusal may come before the body is sent, and the connection close under it: the
    // answer is read all the same.
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer);
    let status = text
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok());
    let retry_after = text
        .lines()
        .take_while(|line| !line.is_empty())
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("retry-after")
                .then(|| value.trim().parse().ok().map(Duration::from_secs))?
        });
    (status, retry_after)
}

/// `lines` (each ended by a newline) cut into bodies of at most [`MAX_BODY`] bytes, at line
/// ends.
fn batches(lines: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = lines;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let fits = rest[..rest.len().min(MAX_BODY)]
            .iter()
            .rposition(|&byte| byte == b'\n');
        let first_line = || rest.iter().position(|&byte| byte == b'\n');
        let cut = match fits {
            _ if rest.len() <= MAX_BODY => rest.len(),
            Some(end) => end + 1,
            None => first_line().map_or(rest.len(), |end| end + 1),
        };
        let (body, tail) = rest.split_at(cut);
        rest = tail;
        Some(body)
    })
}

fn run(
    mode: &str,
    rate: u64,
    seconds: u64,
    sigil: &Path,
    rules: &[PathBuf],
    background: &[String],
) -> Run {
    let dir = tempfile_dir();
    let file = dir.join("trail.jsonl");
    std::fs::write(&file, b"").unwrap();
    let clock = Arc::new(Mutex::new(Clock::default()));
    let webhook = receiver(Arc::clone(&clock));
    let (mut child, address) = start(sigil, rules, &webhook, &file);
    let pid = child.id();
    std::thread::sleep(Duration::from_millis(500));
    let rss = Arc::new(Mutex::new(Vec::new()));
    let sampling = Arc::new(AtomicBool::new(true));
    let (samples, on) = (Arc::clone(&rss), Arc::clone(&sampling));
    let sampler = std::thread::spawn(move || {
        while on.load(Ordering::Relaxed) {
            samples.lock().unwrap().push(rss_mib(pid));
            std::thread::sleep(Duration::from_secs(1));
        }
    });
    let cpu_start = cpu_seconds(pid);
    // HTTP bodies go through a few client threads, as each waits for its delivery.
    let (bodies, queue) = mpsc::sync_channel::<Vec<u8>>(64);
    let queue = Arc::new(Mutex::new(queue));
    let answers = Arc::new(Mutex::new(Answers::default()));
    let clients: Vec<_> = (0..8)
        .map(|_| {
            let (queue, answers) = (Arc::clone(&queue), Arc::clone(&answers));
            std::thread::spawn(move || {
                loop {
                    let body = queue.lock().unwrap().recv();
                    match body {
                        Ok(body) => post(address, &body, &answers),
                        Err(_) => return,
                    }
                }
            })
        })
        .collect();
    let mut out = std::fs::OpenOptions::new()
        .append(true)
        .open(&file)
        .unwrap();
    let start = Instant::now();
    let (mut sent, mut probes, mut next_background) = (0u64, 0u64, 0usize);
    let tick = Duration::from_millis(5);
    while start.elapsed() < Duration::from_secs(seconds) {
        let due = (start.elapsed().as_secs_f64() * rate as f64) as u64;
        if due > sent {
            let mut chunk = Vec::new();
            let mut timed = Vec::new();
            for n in sent..due {
                if n % PROBE_EVERY == PROBE_EVERY - 1 {
                    chunk.extend_from_slice(probe(probes).as_bytes());
                    timed.push(probes);
                    probes += 1;
                } else {
                    chunk.extend_from_slice(background[next_background].as_bytes());
                    next_background = (next_background + 1) % background.len();
                }
                chunk.push(b'\n');
            }
            sent = due;
            {
                let now = Instant::now();
                let mut clock = clock.lock().unwrap();
                for seq in timed {
                    clock.sent.insert(seq, now);
                }
            }
            if mode == "file" {
                out.write_all(&chunk).unwrap();
            } else {
                for body in batches(&chunk) {
                    bodies.send(body.to_vec()).unwrap();
                }
            }
        }
        std::thread::sleep(tick);
    }
    drop(bodies);
    let deadline = Instant::now() + Duration::from_secs(30);
    while clock.lock().unwrap().received < probes && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let elapsed = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds(pid) - cpu_start;
    sampling.store(false, Ordering::Relaxed);
    let _ = sampler.join();
    for client in clients {
        let _ = client.join();
    }
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    let mut clock = clock.lock().unwrap();
    let mut latencies = std::mem::take(&mut clock.latencies);
    latencies.sort();
    let rss = rss.lock().unwrap().clone();
    let answers = std::mem::take(&mut *answers.lock().unwrap());
    Run {
        mode: mode.to_string(),
        rate,
        sent,
        probes,
        received: clock.received,
        latencies,
        rss,
        cpu,
        seconds: elapsed,
        answers,
    }
}

fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "sigil-watch-bench-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is taken from the command line.
    let sigmahq = root().join("../shared/data/sigmahq-rules/rules/cloud/aws/cloudtrail");
    if !sigmahq.is_dir() {
        println!("NOTICE: skipped: {} is absent", sigmahq.display());
        return;
    }
    let sigil = std::env::var_os("SIGIL_BIN")
        .map_or_else(|| root().join("target/release/sigil"), PathBuf::from);
    if !sigil.is_file() {
        println!(
            "NOTICE: skipped: {} is absent (cargo build --release first)",
            sigil.display()
        );
        return;
    }
    let rules = vec![sigmahq, root().join("rules")];
    let seconds: u64 = env_or("WATCH_SECONDS", "60").parse().unwrap();
    let rates: Vec<u64> = env_or("WATCH_RATES", "1000,10000,100000")
        .split(',')
        .map(|r| r.trim().parse().unwrap())
        .collect();
    let modes: Vec<String> = env_or("WATCH_MODES", "file,http")
        .split(',')
        .map(str::to_string)
        .collect();
    let background = background();
    println!(
        "watch latency: {seconds} s per run, {} background CloudTrail records cycled, one probe in {PROBE_EVERY}",
        background.len()
    );
    println!(
        "| source | rate (events/s) | sent | probes delivered | p50 ms | p99 ms | max ms | RSS MiB first/max/last | CPU s (of {seconds} s) | answers 200/503/failed/4xx | largest body MiB |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    let mut held: HashMap<String, u64> = HashMap::new();
    for mode in &modes {
        for &rate in &rates {
            let run = run(mode, rate, seconds, &sigil, &rules, &background);
            let (p50, p99) = (
                percentile(&run.latencies, 50.0),
                percentile(&run.latencies, 99.0),
            );
            let max = run
                .latencies
                .last()
                .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0);
            let rss = |i: Option<&f64>| i.copied().unwrap_or(0.0);
            let peak = run.rss.iter().copied().fold(0.0, f64::max);
            println!(
                "| {} | {} | {} ({:.0}/s) | {}/{} | {p50:.1} | {p99:.1} | {max:.1} | {:.0}/{:.0}/{:.0} | {:.1} | {}/{}/{}/{} | {:.1} |",
                run.mode,
                run.rate,
                run.sent,
                run.sent as f64 / run.seconds,
                run.received,
                run.probes,
                rss(run.rss.first()),
                peak,
                rss(run.rss.last()),
                run.cpu,
                run.answers.ok,
                run.answers.busy,
                run.answers.failed,
                run.answers.refused,
                run.answers.largest as f64 / (1 << 20) as f64,
            );
            if p99 < 250.0 && run.received == run.probes {
                let best = held.entry(mode.clone()).or_default();
                *best = (*best).max(rate);
            }
        }
    }
    for mode in &modes {
        let best = held.get(mode).copied().unwrap_or(0);
        println!(
            "highest rate held with p99 < 250 ms and every probe delivered ({mode}): {best} events/s"
        );
    }
}
