//! Test support (feature `testing`): a moto S3 server on loopback, started and stopped by the
//! test, and a loopback proxy in front of it that logs requests and injects faults.
//!
//! [`runtime_api`] is a stand-in of the Lambda Runtime API, to run a function's binary.
//!
//! Nothing here contacts any address but 127.0.0.1. Credentials are fake and instance
//! metadata lookups are off ([`Moto::env`]).

pub mod runtime_api;

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// The moto server's process: it listens on a port of 127.0.0.1 the kernel picks, prints
/// that port on a line of its own, and serves until it is killed.
const SERVE_ON_PORT_ZERO: &str = "\
import threading
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address='127.0.0.1', port=0, verbose=False)
server.start()
print(server.get_host_and_port()[1], flush=True)
threading.Event().wait()
";

/// A moto server (`moto.server.ThreadedMotoServer`) on a loopback port, killed when dropped.
pub struct Moto {
    child: Child,
    /// Its port on 127.0.0.1.
    pub port: u16,
}

/// Why moto could not be started.
#[derive(Debug, thiserror::Error)]
pub enum MotoError {
    /// The Python module is not installed (`pip install 'moto[server]'`).
    #[error("moto is not installed (pip install 'moto[server]')")]
    Missing,
    /// It was installed but did not start.
    #[error("moto did not start: {0}")]
    Start(String),
}

impl Moto {
    /// Starts moto on a port of 127.0.0.1 that it binds itself, and waits until it listens.
    ///
    /// The server binds port 0 and prints the port it got: a port chosen here and handed to
    /// it could be taken by another test's listener before moto binds it, and requests
    /// meant for moto would reach that listener.
    pub fn start() -> Result<Moto, MotoError> {
        let installed = Command::new("python3")
            .args(["-c", "import moto.server"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if !installed {
            return Err(MotoError::Missing);
        }
        let mut child = Command::new("python3")
            .args(["-c", SERVE_ON_PORT_ZERO])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| MotoError::Start(e.to_string()))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let (sender, listening) = std::sync::mpsc::channel();
        thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = sender.send(line);
        });
        let mut moto = Moto { child, port: 0 };
        let line = listening
            .recv_timeout(Duration::from_secs(60))
            .map_err(|_| MotoError::Start("not listening within 60 s".into()))?;
        match line.trim().parse() {
            Ok(port) => {
                moto.port = port;
                Ok(moto)
            }
            // It ended without a port, or printed something else (then it is stopped here,
            // so that waiting for it cannot hang).
            Err(_) => Err(MotoError::Start(
                match moto.child.kill().and_then(|()| moto.child.wait()) {
                    Ok(status) => format!("printed {:?}, and ended with {status}", line.trim()),
                    Err(e) => e.to_string(),
                },
            )),
        }
    }

    /// Starts moto, or says why the calling test cannot run: `None` with a notice to print
    /// when moto is missing, a panic when it is missing under `CI=true` (where tools must be
    /// installed) or fails to start.
    pub fn start_or_skip(test: &str) -> Option<Moto> {
        match Moto::start() {
            Ok(moto) => Some(moto),
            Err(MotoError::Missing) if std::env::var("CI").as_deref() != Ok("true") => {
                eprintln!("skipping {test}: moto is not installed (pip install 'moto[server]')");
                None
            }
            Err(error) => panic!("{test}: {error}"),
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The environment a client of this server runs with: fake credentials, a region, no
    /// instance metadata, no shared config files, and this endpoint.
    pub fn env(endpoint: &str) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_SESSION_TOKEN", "testing".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
            ("AWS_CONFIG_FILE", "/nonexistent/sigil-test-config".into()),
            (
                "AWS_SHARED_CREDENTIALS_FILE",
                "/nonexistent/sigil-test-credentials".into(),
            ),
            ("AWS_ENDPOINT_URL", endpoint.into()),
        ]
    }

    /// Creates a bucket.
    pub fn create_bucket(&self, bucket: &str) -> io::Result<()> {
        self.expect_ok("PUT", &format!("/{bucket}"), &[])
    }

    /// Stores an object.
    pub fn put(&self, bucket: &str, key: &str, body: &[u8]) -> io::Result<()> {
        self.expect_ok("PUT", &format!("/{bucket}/{}", encode_key(key)), body)
    }

    /// Stores every file under `dir` as an object of `bucket`, its key being `prefix` and
    /// the file's path relative to `dir`; returns how many.
    pub fn put_tree(&self, bucket: &str, prefix: &str, dir: &std::path::Path) -> io::Result<usize> {
        let mut count = 0;
        for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
            let entry = entry.map_err(io::Error::other)?;
            if !entry.file_type().is_file() {
                continue;
            }
            let relative = entry.path().strip_prefix(dir).map_err(io::Error::other)?;
            let key = format!("{prefix}{}", relative.to_string_lossy());
            self.put(bucket, &key, &std::fs::read(entry.path())?)?;
            count += 1;
        }
        Ok(count)
    }

    /// Runs a boto3 snippet (boto3 comes with moto) against this server, with `boto3` and
    /// `json` imported; returns what it prints, as JSON (`Null` when it prints none).
    pub fn boto(&self, script: &str) -> serde_json::Value {
        let program = format!("import boto3, json\n{script}");
        let output = Command::new("python3")
            .args(["-c", &program])
            .envs(Moto::env(&self.endpoint()))
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .output()
            .expect("python3 runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap_or(serde_json::Value::Null)
    }

    fn expect_ok(&self, method: &str, path: &str, body: &[u8]) -> io::Result<()> {
        match http_status(self.port, method, path, body)? {
            200..=299 => Ok(()),
            status => Err(io::Error::other(format!("{method} {path}: HTTP {status}"))),
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A key written into a URL path: every byte but unreserved ones and `/` percent-encoded.
fn encode_key(key: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'/')
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(key, KEEP).to_string()
}

/// Sends one HTTP/1.1 request to 127.0.0.1:`port` and returns the response's status.
fn http_status(port: u16, method: &str, path: &str, body: &[u8]) -> io::Result<u16> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    stream.write_all(body)?;
    let mut status_line = String::new();
    BufReader::new(&stream).read_line(&mut status_line)?;
    status_line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| io::Error::other(format!("no HTTP status in {status_line:?}")))
}

/// A fault the [`FaultProxy`] injects instead of forwarding a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer `503 SlowDown`.
    SlowDown,
    /// Answer `500 InternalError`.
    InternalError,
    /// Answer `404 NoSuchKey`.
    NoSuchKey,
    /// Answer `403 AccessDenied`.
    AccessDenied,
    /// Close the connection without answering.
    Drop,
    /// Forward the request, then send the response's headers and only half its body, and
    /// close the connection.
    Truncate,
    /// Like [`Fault::Truncate`], sending this many bytes of the body.
    Cut(usize),
}

/// A rule of the proxy: requests whose request line contains `pattern` get `fault`, the
/// first `times` of them.
#[derive(Debug, Clone)]
struct Rule {
    pattern: String,
    fault: Fault,
    times: usize,
}

/// A proxy on a free loopback port in front of a server on 127.0.0.1: it forwards each
/// request (one per connection), logs its request line, and injects the faults it is told
/// to. Stopped when dropped.
pub struct FaultProxy {
    /// Its port on 127.0.0.1.
    pub port: u16,
    rules: Arc<Mutex<Vec<Rule>>>,
    log: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
}

impl FaultProxy {
    /// Starts a proxy to 127.0.0.1:`upstream`.
    pub fn start(upstream: u16) -> io::Result<FaultProxy> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let proxy = FaultProxy {
            port,
            rules: Arc::default(),
            log: Arc::default(),
            stop: Arc::default(),
        };
        let (rules, log, stop) = (
            Arc::clone(&proxy.rules),
            Arc::clone(&proxy.log),
            Arc::clone(&proxy.stop),
        );
        thread::spawn(move || {
            for client in listener.incoming() {
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                let Ok(client) = client else { continue };
                let (rules, log) = (Arc::clone(&rules), Arc::clone(&log));
                thread::spawn(move || {
                    let _ = serve(client, upstream, &rules, &log);
                });
            }
        });
        Ok(proxy)
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Injects `fault` into the first `times` requests whose request line (`GET /bucket/key?…
    /// HTTP/1.1`) contains `pattern`.
    pub fn inject(&self, pattern: &str, fault: Fault, times: usize) {
        self.rules.lock().unwrap().push(Rule {
            pattern: pattern.into(),
            fault,
            times,
        });
    }

    /// The request lines received so far, in order.
    pub fn requests(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// Forgets the requests received so far.
    pub fn clear_log(&self) {
        self.log.lock().unwrap().clear();
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(("127.0.0.1", self.port)); // wakes the accept loop
    }
}

/// Serves one connection: one request, forwarded or faulted, then closed.
fn serve(
    mut client: TcpStream,
    upstream: u16,
    rules: &Mutex<Vec<Rule>>,
    log: &Mutex<Vec<String>>,
) -> io::Result<()> {
    client.set_read_timeout(Some(Duration::from_secs(30)))?;
    let (head, body) = read_request(&mut client)?;
    let line = head.lines().next().unwrap_or_default().to_string();
    log.lock().unwrap().push(line.clone());
    let fault = {
        let mut rules = rules.lock().unwrap();
        rules
            .iter_mut()
            .find(|rule| rule.times > 0 && line.contains(&rule.pattern))
            .map(|rule| {
                rule.times -= 1;
                rule.fault
            })
    };
    let error = |status: &str, code: &str| {
        let xml = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>injected by the test proxy</Message></Error>"
        );
        format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{xml}",
            xml.len()
        )
    };
    let reply = match fault {
        Some(Fault::SlowDown) => error("503 Slow Down", "SlowDown"),
        Some(Fault::InternalError) => error("500 Internal Server Error", "InternalError"),
        Some(Fault::NoSuchKey) => error("404 Not Found", "NoSuchKey"),
        Some(Fault::AccessDenied) => error("403 Forbidden", "AccessDenied"),
        Some(Fault::Drop) => return client.shutdown(Shutdown::Both),
        Some(Fault::Truncate | Fault::Cut(_)) | None => {
            let response = forward(upstream, &head, &body)?;
            let body_start = find(&response, b"\r\n\r\n").map_or(0, |at| at + 4);
            let length = response.len() - body_start;
            let cut = body_start
                + match fault {
                    Some(Fault::Truncate) => length / 2,
                    Some(Fault::Cut(bytes)) => bytes.min(length),
                    _ => length,
                };
            client.write_all(&response[..cut])?;
            return client.shutdown(Shutdown::Both);
        }
    };
    client.write_all(reply.as_bytes())?;
    client.shutdown(Shutdown::Both)
}

/// Reads a request's head (up to the blank line) and its body (by `Content-Length`).
fn read_request(client: &mut TcpStream) -> io::Result<(String, Vec<u8>)> {
    let mut data = Vec::new();
    let mut buf = [0; 8192];
    let head_end = loop {
        if let Some(at) = find(&data, b"\r\n\r\n") {
            break at + 4;
        }
        let n = client.read(&mut buf)?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        data.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let length: usize = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())
                .flatten()
        })
        .unwrap_or(0);
    let mut body = data[head_end..].to_vec();
    while body.len() < length {
        let n = client.read(&mut buf)?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&buf[..n]);
    }
    Ok((head, body))
}

/// Sends a request upstream with `Connection: close` and reads the whole response, to which
/// `Connection: close` is added too.
fn forward(upstream: u16, head: &str, body: &[u8]) -> io::Result<Vec<u8>> {
    let mut server = TcpStream::connect(("127.0.0.1", upstream))?;
    let mut request: String = head
        .trim_end()
        .lines()
        .filter(|line| !line.to_ascii_lowercase().starts_with("connection:"))
        .map(|line| format!("{line}\r\n"))
        .collect();
    request.push_str("Connection: close\r\n\r\n");
    server.write_all(request.as_bytes())?;
    server.write_all(body)?;
    let mut response = Vec::new();
    server.read_to_end(&mut response)?;
    let head_end = find(&response, b"\r\n\r\n").map_or(response.len(), |at| at + 2);
    let head: String = String::from_utf8_lossy(&response[..head_end])
        .lines()
        .filter(|line| !line.to_ascii_lowercase().starts_with("connection:"))
        .map(|line| format!("{line}\r\n"))
        .collect();
    let mut out = format!("{head}Connection: close\r\n\r\n").into_bytes();
    out.extend_from_slice(&response[(head_end + 2).min(response.len())..]);
    Ok(out)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
