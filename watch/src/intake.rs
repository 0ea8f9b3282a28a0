//! The HTTP intake (`--listen ADDR`).
//!
//! | request | answer |
//! |---|---|
//! | `POST /events` (also `/firehose`, `/cloudwatch`) | one of the payloads of [`crate::payload`]: scanned, and answered once its matches are delivered to every sink (and its correlation state saved): `200`; a body that cannot be decoded: `400` |
//! | `GET /healthz` | `200 ok` |
//! | `GET /metrics` | the Prometheus text of [`Metrics`] |
//!
//! A Firehose delivery (told by its `X-Amz-Firehose-Request-Id` header or its body) gets the
//! answer Firehose documents: `{"requestId":"…","timestamp":<ms>}`, with an `errorMessage`
//! on failure. Answering only after delivery makes the sender's retries the intake's
//! at-least-once: a request whose matches were not delivered is not acknowledged.
//!
//! A request's records are named `http://<listen addr>/events/<id>` in matches (`firehose://`
//! and the request id for Firehose), where `<id>` is the `X-Request-Id` header or, without one,
//! a digest of the body: the same request sent again gives the same match ids.

use crate::metrics::Metrics;
use crate::payload::{self, Kind};
use crate::scan::Job;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use sha2::{Digest, Sha256};
use sigil_engine::{Input, InputSource};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// The largest request body taken.
pub const MAX_BODY_BYTES: usize = 64 << 20;

/// What the handlers share.
#[derive(Clone)]
struct Intake {
    jobs: mpsc::Sender<Job>,
    metrics: Arc<Metrics>,
    address: SocketAddr,
}

/// The intake's routes, sending jobs to `jobs`.
pub fn router(jobs: mpsc::Sender<Job>, metrics: Arc<Metrics>, address: SocketAddr) -> Router {
    let intake = Intake {
        jobs,
        metrics,
        address,
    };
    Router::new()
        .route("/events", post(events))
        .route("/firehose", post(events))
        .route("/cloudwatch", post(events))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/metrics", get(serve_metrics))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(intake)
}

async fn serve_metrics(State(intake): State<Intake>) -> Response {
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

async fn events(State(intake): State<Intake>, headers: HeaderMap, body: Bytes) -> Response {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let firehose = text("x-amz-firehose-request-id");
    let decoded = match payload::decode(&body, firehose.as_deref()) {
        Ok(decoded) => decoded,
        Err(error) => {
            let kind = if firehose.is_some() {
                Kind::Firehose
            } else {
                Kind::Events
            };
            intake.count(kind, StatusCode::BAD_REQUEST);
            return answer(
                kind,
                firehose.as_deref(),
                StatusCode::BAD_REQUEST,
                Some(error.to_string()),
            );
        }
    };
    let kind = decoded.kind;
    let request_id = decoded.request_id.clone();
    if decoded.document.is_empty() {
        intake.count(kind, StatusCode::OK);
        return answer(kind, request_id.as_deref(), StatusCode::OK, None);
    }
    let name = match (&request_id, text("x-request-id")) {
        (Some(id), _) if kind == Kind::Firehose => format!("firehose://{id}"),
        (_, Some(id)) => format!("http://{}/events/{id}", intake.address),
        _ => format!(
            "http://{}/events/{}",
            intake.address,
            hex::encode(&Sha256::digest(&body)[..8])
        ),
    };
    let (delivered, done) = oneshot::channel();
    let size = Some(decoded.document.len() as u64);
    let input = Input::reader(
        InputSource::Url(name),
        std::io::Cursor::new(decoded.document),
        size,
    );
    let job = Job::Whole {
        input,
        instance: String::new(),
        done: None,
        ack: Some(Box::new(move || {
            let _ = delivered.send(());
        })),
    };
    let status = if intake.jobs.send(job).await.is_ok() && done.await.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    intake.count(kind, status);
    let error =
        (status != StatusCode::OK).then(|| "the watcher is stopping; send again".to_string());
    answer(kind, request_id.as_deref(), status, error)
}

impl Intake {
    fn count(&self, kind: Kind, status: StatusCode) {
        let status = status.as_u16().to_string();
        self.metrics.add(
            "sigil_intake_requests_total",
            &[("kind", kind.name()), ("status", &status)],
            1.0,
        );
    }
}
