//! The HTTP intake (`--listen ADDR`).
//!
//! | request | answer |
//! |---|---|
//! | `POST /events` (also `/firehose`, `/cloudwatch`) | one of the payloads of [`crate::payload`]: scanned, and answered once its matches are delivered to every sink (and its correlation state saved): `200`; a body that cannot be decoded: `400`; the intake full: `503` with `Retry-After`; a request needing more than the intake may ever hold: `413` |
//! | `GET /healthz` | `200 ok` |
//! | `GET /metrics` | the Prometheus text of [`Metrics`] |
//!
//! A Firehose delivery (told by its `X-Amz-Firehose-Request-Id` header or its body) gets the
//! answer Firehose documents: `{"requestId":"…","timestamp":<ms>}`, with an `errorMessage`
//! on failure. Answering only after delivery makes the sender's retries the intake's
//! at-least-once: a request whose matches were not delivered is not acknowledged.
//!
//! **Bounded memory.** Requests in flight hold at most `--intake-bytes` ([`Budget`]; default
//! [`DEFAULT_INTAKE_BYTES`], 320 MiB): a request takes its body's bytes before it is read (its
//! `Content-Length`, or its buffer's capacity as it grows without one), and what decoding
//! allocates beyond the body (a Firehose or CloudWatch payload's document; an events body *is*
//! its document, not copied), and gives them back when it is answered: read, queued for the
//! scanner, scanned, waiting for delivery. A request that does not fit is not read: it is
//! answered `503 Service Unavailable` with `Retry-After: 1` (Firehose's JSON with an
//! `errorMessage`; Firehose retries it), and counted in `sigil_intake_refused_total`; its
//! body is read and dropped so that the sender sees the answer. Nothing taken is dropped, so
//! senders that retry lose nothing. Beyond the budget, the intake holds hyper's buffers per
//! connection (a few KiB each, at most about 400 KiB while a body streams in); the
//! scanner's working memory and the delivery batches are the watcher's as for any source.
//! `sigil_intake_bytes` shows what is held now.
//!
//! ```
//! # use sigil_watch::intake::{Budget, DEFAULT_INTAKE_BYTES, MAX_BODY_BYTES};
//! // Alone, the largest body and the largest document it may decode to always fit.
//! let budget = Budget::new(DEFAULT_INTAKE_BYTES);
//! let body = budget.take(MAX_BODY_BYTES).unwrap();
//! assert!(body.bytes() + sigil_watch::payload::MAX_DECODED_BYTES <= budget.limit());
//! ```
//!
//! A request's records are named `http://<listen addr>/events/<id>` in matches (`firehose://`
//! and the request id for Firehose), where `<id>` is the `X-Request-Id` header or, without one,
//! a digest of the body: the same request sent again gives the same match ids.

mod budget;

pub use budget::{Budget, Held, Refusal};

use crate::metrics::Metrics;
use crate::payload::{self, Kind, PayloadError};
use crate::scan::Job;
use axum::Router;
use axum::body::{Body, BodyDataStream};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use sigil_engine::{Input, InputSource};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// The largest request body taken.
pub const MAX_BODY_BYTES: usize = 64 << 20;

/// The default of `--intake-bytes`: the largest body and the largest document it may decode
/// to, so that any request the intake takes alone fits.
pub const DEFAULT_INTAKE_BYTES: usize = MAX_BODY_BYTES + payload::MAX_DECODED_BYTES;

/// The `Retry-After` of a request refused while the intake is full, in seconds.
pub const RETRY_AFTER_SECONDS: u64 = 1;

/// What the handlers share.
#[derive(Clone)]
struct Intake {
    jobs: mpsc::Sender<Job>,
    metrics: Arc<Metrics>,
    address: SocketAddr,
    budget: Arc<Budget>,
}

/// The intake's routes, sending jobs to `jobs`, its requests holding at most what `budget`
/// allows.
pub fn router(
    jobs: mpsc::Sender<Job>,
    metrics: Arc<Metrics>,
    address: SocketAddr,
    budget: Arc<Budget>,
) -> Router {
    let intake = Intake {
        jobs,
        metrics,
        address,
        budget,
    };
    Router::new()
        .route("/events", post(events))
        .route("/firehose", post(events))
        .route("/cloudwatch", post(events))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/metrics", get(serve_metrics))
        .with_state(intake)
}

async fn serve_metrics(State(intake): State<Intake>) -> Response {
    let held = intake.budget.held() as f64;
    intake.metrics.set("sigil_intake_bytes", &[], held);
    let limit = intake.budget.limit() as f64;
    intake.metrics.set("sigil_intake_bytes_limit", &[], limit);
    let content_type = [(header::CONTENT_TYPE, "text/plain; version=0.0.4")];
    (content_type, intake.metrics.render()).into_response()
}

/// The answer to a request: Firehose's JSON for Firehose, a short JSON otherwise.
fn answer(
    kind: Kind,
    request_id: Option<&str>,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    let body = if kind == Kind::Firehose {
        let timestamp = jiff::Timestamp::now().as_millisecond();
        let mut body = serde_json::json!({"requestId": request_id.unwrap_or_default(), "timestamp": timestamp});
        if let Some(error) = &error {
            body["errorMessage"] = error.clone().into();
        }
        body
    } else {
        match &error {
            Some(error) => serde_json::json!({"error": error}),
            None => serde_json::json!({"status": "delivered"}),
        }
    };
    let json = [(header::CONTENT_TYPE, "application/json")];
    (status, json, body.to_string()).into_response()
}

/// Why a request's body was not taken.
enum Unread {
    /// The budget refused it.
    Refused(Refusal),
    /// The body could not be read (the client went away).
    Broken(String),
}

async fn events(State(intake): State<Intake>, headers: HeaderMap, body: Body) -> Response {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let firehose = text("x-amz-firehose-request-id");
    // Until the body is decoded, Firehose is told by its header.
    let sent_as = if firehose.is_some() {
        Kind::Firehose
    } else {
        Kind::Events
    };
    let mut stream = body.into_data_stream();
    let (body, mut held) = match intake.read(&headers, &mut stream).await {
        Ok(read) => read,
        Err(Unread::Refused(refusal)) => {
            if refusal == Refusal::Busy {
                // Read to its end (and dropped), the body lets the sender read the answer
                // rather than a connection reset under its request.
                drain(&mut stream).await;
            }
            return intake.refuse(sent_as, firehose, refusal);
        }
        Err(Unread::Broken(error)) => {
            return intake.fail(sent_as, firehose.as_deref(), StatusCode::BAD_REQUEST, error);
        }
    };
    let id = text("x-request-id").unwrap_or_else(|| hex::encode(&Sha256::digest(&body)[..8]));
    let mut refused = Refusal::Busy;
    let mut room = |more| held.grow(more).map_err(|r| refused = r).is_ok();
    let decoded = match payload::decode_within(body, firehose.as_deref(), &mut room) {
        Ok(decoded) => decoded,
        Err(PayloadError::NoRoom) => return intake.refuse(sent_as, firehose, refused),
        Err(error) => {
            let status = StatusCode::BAD_REQUEST;
            return intake.fail(sent_as, firehose.as_deref(), status, error.to_string());
        }
    };
    // The body is gone unless it is the document.
    held.shrink_to(decoded.document.capacity());
    let kind = decoded.kind;
    if decoded.document.is_empty() {
        intake.count(kind, StatusCode::OK);
        return answer(kind, decoded.request_id.as_deref(), StatusCode::OK, None);
    }
    let name = match &decoded.request_id {
        Some(request) if kind == Kind::Firehose => format!("firehose://{request}"),
        _ => format!("http://{}/events/{id}", intake.address),
    };
    let status = intake.scan(name, decoded.document).await;
    // The document was scanned and its matches delivered (or the watcher is stopping):
    // `held` is given back with the answer.
    drop(held);
    intake.count(kind, status);
    let error =
        (status != StatusCode::OK).then(|| "the watcher is stopping; send again".to_string());
    answer(kind, decoded.request_id.as_deref(), status, error)
}

/// Reads what is left of a body refused, dropping it, up to [`MAX_BODY_BYTES`].
async fn drain(stream: &mut BodyDataStream) {
    let mut read = 0;
    while read <= MAX_BODY_BYTES
        && let Some(Ok(chunk)) = stream.next().await
    {
        read += chunk.len();
    }
}

impl Intake {
    /// Reads a body within the budget: the bytes its `Content-Length` announces are taken
    /// before it is read (refused at once when they do not fit), a body without one takes
    /// its buffer's capacity as it grows.
    async fn read(
        &self,
        headers: &HeaderMap,
        stream: &mut BodyDataStream,
    ) -> Result<(Vec<u8>, Held), Unread> {
        let max = MAX_BODY_BYTES.min(self.budget.limit());
        let length = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
        if length.is_some_and(|length| length > max) {
            return Err(Unread::Refused(Refusal::TooLarge));
        }
        let mut held = self
            .budget
            .take(length.unwrap_or(0))
            .map_err(Unread::Refused)?;
        let mut bytes = Vec::with_capacity(length.unwrap_or(0));
        let mut refused = Refusal::Busy;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| Unread::Broken(format!("reading the body: {e}")))?;
            let mut room = |more| held.grow(more).map_err(|r| refused = r).is_ok();
            match payload::reserve(&mut bytes, chunk.len(), max, &mut room) {
                Ok(()) => bytes.extend_from_slice(&chunk),
                Err(PayloadError::NoRoom) => return Err(Unread::Refused(refused)),
                Err(_) => return Err(Unread::Refused(Refusal::TooLarge)),
            }
        }
        Ok((bytes, held))
    }

    /// Hands a document to the scanner; `200` once its matches are delivered.
    async fn scan(&self, name: String, document: Vec<u8>) -> StatusCode {
        let (delivered, done) = oneshot::channel();
        let size = Some(document.len() as u64);
        let input = Input::reader(InputSource::Url(name), std::io::Cursor::new(document), size);
        let job = Job::Whole {
            input,
            instance: String::new(),
            done: None,
            ack: Some(Box::new(move || {
                let _ = delivered.send(());
            })),
        };
        if self.jobs.send(job).await.is_ok() && done.await.is_ok() {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        }
    }

    /// The answer to a request the budget refused: `503` with `Retry-After` when the intake
    /// is full, `413` when the request alone needs more than it may hold.
    fn refuse(&self, kind: Kind, request_id: Option<String>, refusal: Refusal) -> Response {
        let reason = match refusal {
            Refusal::Busy => "busy",
            Refusal::TooLarge => "too_large",
        };
        let labels = [("kind", kind.name()), ("reason", reason)];
        self.metrics.add("sigil_intake_refused_total", &labels, 1.0);
        let limit = self.budget.limit();
        if refusal == Refusal::TooLarge {
            let status = StatusCode::PAYLOAD_TOO_LARGE;
            let error = format!(
                "the request needs more than the {limit} bytes the intake may hold (its body at most {} bytes)",
                MAX_BODY_BYTES.min(limit)
            );
            return self.fail(kind, request_id.as_deref(), status, error);
        }
        let error = format!(
            "the intake holds its most bytes of requests in flight ({limit}); send again after {RETRY_AFTER_SECONDS} s"
        );
        let status = StatusCode::SERVICE_UNAVAILABLE;
        let mut response = self.fail(kind, request_id.as_deref(), status, error);
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
        response
    }

    /// An error answer, counted.
    fn fail(
        &self,
        kind: Kind,
        request_id: Option<&str>,
        status: StatusCode,
        error: String,
    ) -> Response {
        self.count(kind, status);
        answer(kind, request_id, status, Some(error))
    }

    fn count(&self, kind: Kind, status: StatusCode) {
        let status = status.as_u16().to_string();
        self.metrics.add(
            "sigil_intake_requests_total",
            &[("kind", kind.name()), ("status", &status)],
            1.0,
        );
    }
}

#[cfg(test)]
mod tests;
