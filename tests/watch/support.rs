//! What the `sigil watch` tests share: the watcher as a child process, a webhook receiver
//! that fails on demand, a plain HTTP client, events and rules. Everything listens on
//! 127.0.0.1 and stops with the test.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

/// How long a test waits for something the watcher should do at once.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// A running `sigil watch`.
pub struct Watcher {
    child: Child,
    lines: mpsc::Receiver<String>,
    /// Everything it printed on stderr so far.
    pub stderr: Arc<Mutex<String>>,
    /// Its stdin, when `-` was given.
    pub stdin: Option<ChildStdin>,
}

impl Watcher {
    /// Starts `sigil watch ARGS`, its stdin piped.
    pub fn start(args: &[&str]) -> Watcher {
        Watcher::start_with(args, &[])
    }

    /// [`Watcher::start`] with more environment variables.
    pub fn start_with(args: &[&str], env: &[(&str, String)]) -> Watcher {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sigil"))
            .arg("watch")
            .args(args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("sigil runs");
        let stdin = child.stdin.take();
        let (send, lines) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = send.send(line);
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let errors = child.stderr.take().unwrap();
        let copy = Arc::clone(&stderr);
        std::thread::spawn(move || {
            for line in BufReader::new(errors).lines().map_while(Result::ok) {
                let mut text = copy.lock().unwrap();
                text.push_str(&line);
                text.push('\n');
            }
        });
        Watcher {
            child,
            lines,
            stderr,
            stdin,
        }
    }

    /// The next line on stdout, waiting at most `wait`.
    pub fn line(&self, wait: Duration) -> Option<serde_json::Value> {
        let line = self.lines.recv_timeout(wait).ok()?;
        Some(serde_json::from_str(&line).expect("stdout holds JSON lines"))
    }

    /// The next `n` lines on stdout; panics (with stderr) if they do not come in time.
    pub fn lines(&self, n: usize) -> Vec<serde_json::Value> {
        (0..n)
            .map(|i| {
                self.line(PATIENCE).unwrap_or_else(|| {
                    panic!(
                        "line {} of {n} did not come; stderr:\n{}",
                        i + 1,
                        self.errors()
                    )
                })
            })
            .collect()
    }

    /// What it printed on stderr.
    pub fn errors(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits until stderr holds `text`.
    pub fn wait_stderr(&self, text: &str) {
        wait_until(
            || self.errors().contains(text),
            &format!("stderr to say {text:?}"),
            || self.errors(),
        );
    }

    /// Where stderr ends now: what it says later is told from what it said before (see
    /// [`Watcher::wait_stderr_since`]).
    pub fn mark(&self) -> usize {
        self.stderr.lock().unwrap().len()
    }

    /// How many times stderr says `text` after `mark`.
    pub fn stderr_count_since(&self, mark: usize, text: &str) -> usize {
        self.errors()[mark..].matches(text).count()
    }

    /// Waits until stderr says `text` after `mark` (a message said before it does not count).
    pub fn wait_stderr_since(&self, mark: usize, text: &str) {
        wait_until(
            || self.stderr_count_since(mark, text) > 0,
            &format!("stderr to say {text:?} again"),
            || self.errors(),
        );
    }

    /// The intake's address, once it listens.
    pub fn address(&self) -> SocketAddr {
        self.wait_stderr("listening on http://");
        let errors = self.errors();
        let rest = errors.split("listening on http://").nth(1).unwrap();
        rest.lines().next().unwrap().parse().unwrap()
    }

    /// Sends a signal to the watcher.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// `kill -9`: no chance to save anything.
    pub fn kill9(mut self) {
        self.signal("KILL");
        let _ = self.child.wait();
    }

    /// Stops it with SIGTERM and waits for it to exit; returns its exit code.
    pub fn stop(mut self) -> Option<i32> {
        self.signal("TERM");
        self.child.wait().unwrap().code()
    }

    /// Waits for it to exit by itself.
    pub fn wait(mut self) -> Option<i32> {
        drop(self.stdin.take());
        self.child.wait().unwrap().code()
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until `done` holds, at most [`PATIENCE`]; panics with `what` and `context()`.
pub fn wait_until(mut done: impl FnMut() -> bool, what: &str, context: impl Fn() -> String) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < PATIENCE,
            "waited too long for {what}:\n{}",
            context()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One request a receiver took.
#[derive(Clone, Debug)]
pub struct Request {
    /// Lower-cased header names and their values.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Request {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The match records of a webhook batch.
    pub fn matches(&self) -> Vec<serde_json::Value> {
        let body: serde_json::Value = serde_json::from_slice(&self.body).unwrap();
        body["matches"].as_array().unwrap().clone()
    }
}

/// A webhook receiver on 127.0.0.1: answers 200 and keeps the request, or 503 while
/// failing.
pub struct Receiver {
    /// Its URL.
    pub url: String,
    /// The requests it accepted.
    pub accepted: Arc<Mutex<Vec<Request>>>,
    /// Requests refused while failing.
    pub refused: Arc<Mutex<usize>>,
    failing: Arc<AtomicBool>,
}

impl Receiver {
    /// Starts a receiver.
    pub fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let accepted = Arc::new(Mutex::new(Vec::new()));
        let refused = Arc::new(Mutex::new(0));
        let failing = Arc::new(AtomicBool::new(false));
        let (keep, count, fail) = (
            Arc::clone(&accepted),
            Arc::clone(&refused),
            Arc::clone(&failing),
        );
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let Some(request) = read_request(&mut stream) else {
                    continue;
                };
                let status = if fail.load(Ordering::SeqCst) {
                    *count.lock().unwrap() += 1;
                    "503 Service Unavailable"
                } else {
                    keep.lock().unwrap().push(request);
                    "200 OK"
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
            }
        });
        Receiver {
            url,
            accepted,
            refused,
            failing,
        }
    }

    /// Makes it fail (or work again).
    pub fn fail(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    /// Every match record received so far, in order.
    pub fn matches(&self) -> Vec<serde_json::Value> {
        self.accepted
            .lock()
            .unwrap()
            .iter()
            .flat_map(Request::matches)
            .collect()
    }
}

/// Reads one HTTP/1.1 request (headers, then a body of `content-length` bytes).
fn read_request(stream: &mut TcpStream) -> Option<Request> {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        let (name, value) = trimmed.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Request { headers, body })
}

/// Sends a request to `address` and returns the status and the body of the answer.
pub fn http(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nhost: {address}\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer.split(' ').nth(1).unwrap().parse().unwrap();
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    // Chunked answers (axum's) carry the size before the body: keep the JSON or text only.
    let body = body
        .lines()
        .filter(|l| !l.is_empty() && u64::from_str_radix(l.trim(), 16).is_err())
        .collect::<Vec<_>>()
        .join("\n");
    (status, body)
}

/// A CloudTrail `StopLogging` event (matched by the bundled pack), numbered `n`.
pub fn stop_logging(n: u64) -> String {
    format!(
        r#"{{"eventVersion":"1.09","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","eventID":"e-{n}","eventTime":"2026-10-01T00:00:{:02}Z","awsRegion":"us-east-1","recipientAccountId":"111122223333","sourceIPAddress":"198.51.100.7","userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/eve","accountId":"111122223333"}}}}"#,
        n % 60
    )
}

/// A CloudTrail event no rule of the pack matches.
pub fn harmless(n: u64) -> String {
    format!(
        r#"{{"eventVersion":"1.09","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventID":"h-{n}","eventTime":"2026-10-01T00:00:00Z","awsRegion":"us-east-1","userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/bob"}}}}"#
    )
}

/// The bundled rule pack.
pub fn pack() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("rules")
}

/// Appends `text` to the file at `path`.
pub fn append(path: &Path, text: &str) {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

/// The `eventID` of a match record's event.
pub fn event_id(m: &serde_json::Value) -> String {
    m["event"]["eventID"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}
