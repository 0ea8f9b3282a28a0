//! A stand-in of the AWS Lambda Runtime API on 127.0.0.1, for running a function's binary
//! in tests and benchmarks: it hands out the invocations it is given and records what the
//! function answers, on the documented endpoints (API version `2018-06-01`):
//!
//! | request | answer |
//! |---|---|
//! | `GET /runtime/invocation/next` | the next event (waits for one), with the `Lambda-Runtime-Aws-Request-Id`, `-Deadline-Ms`, `-Invoked-Function-Arn` and `-Trace-Id` headers |
//! | `POST /runtime/invocation/{id}/response` | `202`; recorded as [`Answer::Response`] |
//! | `POST /runtime/invocation/{id}/error` | `202`; recorded as [`Answer::Error`] |
//! | `POST /runtime/init/error` | `202`; recorded as [`Answer::InitError`] |
//!
//! Connections are kept alive, as the runtime clients keep them.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const PREFIX: &str = "/2018-06-01/runtime";

/// What the function sent back.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// The result of invocation `id`.
    Response {
        /// The request id.
        id: String,
        /// The body, as JSON (`Null` when it is not JSON).
        body: serde_json::Value,
    },
    /// The error of invocation `id`.
    Error {
        /// The request id.
        id: String,
        /// The body (`errorType`, `errorMessage`).
        body: serde_json::Value,
    },
    /// The function could not start.
    InitError(serde_json::Value),
}

/// The stand-in, serving on a free port of 127.0.0.1 until dropped (its threads end with
/// the process; nothing is served once the [`RuntimeApi`] is gone).
pub struct RuntimeApi {
    /// Its port on 127.0.0.1.
    pub port: u16,
    events: Sender<(String, String)>,
    answers: Receiver<Answer>,
    first_next: Arc<Mutex<Option<Instant>>>,
    invocations: u64,
}

impl RuntimeApi {
    /// Starts serving.
    pub fn start() -> io::Result<RuntimeApi> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let (events, pending) = channel::<(String, String)>();
        let (answered, answers) = channel();
        let pending = Arc::new(Mutex::new(pending));
        let first_next = Arc::new(Mutex::new(None));
        let seen = Arc::clone(&first_next);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (pending, answered, seen) =
                    (Arc::clone(&pending), answered.clone(), Arc::clone(&seen));
                thread::spawn(move || serve(stream, &pending, &answered, &seen));
            }
        });
        Ok(RuntimeApi {
            port,
            events,
            answers,
            first_next,
            invocations: 0,
        })
    }

    /// `127.0.0.1:<port>`: the value of `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The environment Lambda gives a function, pointing at this stand-in.
    pub fn env(&self, memory_mib: u32) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_LAMBDA_RUNTIME_API", self.address()),
            ("AWS_LAMBDA_FUNCTION_NAME", "sigil".into()),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", memory_mib.to_string()),
            ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/sigil".into()),
            ("AWS_LAMBDA_LOG_STREAM_NAME", "test".into()),
        ]
    }

    /// Queues an invocation with `payload`; returns its request id.
    pub fn invoke(&mut self, payload: &str) -> String {
        self.invocations += 1;
        let id = format!("req-{}", self.invocations);
        // The receiver lives as long as the serving thread, which never ends.
        let _ = self.events.send((id.clone(), payload.to_string()));
        id
    }

    /// The next answer, waiting at most `timeout`.
    pub fn answer(&self, timeout: Duration) -> Option<Answer> {
        self.answers.recv_timeout(timeout).ok()
    }

    /// When the function first asked for an invocation (its init was over).
    pub fn first_next(&self) -> Option<Instant> {
        *self.first_next.lock().unwrap()
    }
}

/// Serves one connection, request after request.
fn serve(
    stream: TcpStream,
    pending: &Mutex<Receiver<(String, String)>>,
    answered: &Sender<Answer>,
    seen: &Mutex<Option<Instant>>,
) {
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(stream) => stream,
        Err(_) => return,
    });
    let mut writer = stream;
    while let Ok(Some((method, path, body))) = request(&mut reader) {
        let written = match (method.as_str(), path.strip_prefix(PREFIX)) {
            ("GET", Some("/invocation/next")) => {
                seen.lock().unwrap().get_or_insert_with(Instant::now);
                let Ok((id, payload)) = pending.lock().unwrap().recv() else {
                    return;
                };
                let deadline = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default()
                    + Duration::from_secs(900);
                let headers = format!(
                    "Lambda-Runtime-Aws-Request-Id: {id}\r\nLambda-Runtime-Deadline-Ms: {}\r\n\
                     Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:111122223333:function:sigil\r\n\
                     Lambda-Runtime-Trace-Id: Root=1-00000000-000000000000000000000000;Sampled=0\r\n",
                    deadline.as_millis()
                );
                respond(&mut writer, "200 OK", &headers, payload.as_bytes())
            }
            ("POST", Some(rest)) => {
                let body = serde_json::from_slice(&body).unwrap_or_default();
                let answer = match rest.strip_prefix("/invocation/") {
                    _ if rest == "/init/error" => Some(Answer::InitError(body)),
                    Some(tail) => match tail.rsplit_once('/') {
                        Some((id, "response")) => Some(Answer::Response {
                            id: id.into(),
                            body,
                        }),
                        Some((id, "error")) => Some(Answer::Error {
                            id: id.into(),
                            body,
                        }),
                        _ => None,
                    },
                    None => None,
                };
                match answer {
                    Some(answer) => {
                        let _ = answered.send(answer);
                        respond(&mut writer, "202 Accepted", "", b"{\"status\":\"OK\"}")
                    }
                    None => respond(&mut writer, "404 Not Found", "", b"{}"),
                }
            }
            _ => respond(&mut writer, "404 Not Found", "", b"{}"),
        };
        if written.is_err() {
            return;
        }
    }
}

/// Reads one request: its method, path and body; `None` when the connection closed.
fn request(reader: &mut impl BufRead) -> io::Result<Option<(String, String, Vec<u8>)>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let mut length = 0;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok(Some((method.to_string(), path.to_string(), body)))
}

fn respond(writer: &mut impl Write, status: &str, headers: &str, body: &[u8]) -> io::Result<()> {
    write!(
        writer,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{headers}Content-Length: {}\r\n\r\n",
        body.len()
    )?;
    writer.write_all(body)?;
    writer.flush()
}
