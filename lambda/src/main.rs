//! `sigil-lambda`: Sigil's engine as an AWS Lambda function (a `provided.al2023` custom
//! runtime, the binary named `bootstrap`).
//!
//! At cold start it reads its configuration from the environment ([`config`]), and loads and
//! compiles the rules once ([`rules`]); a rule set that does not load is reported through the
//! Runtime API's init-error call and the function does not start. Then, per invocation:
//!
//! ```text
//! payload ─▶ trigger ─▶ S3 objects (streamed, gunzipped) ─┐
//!           (told by    CloudWatch Logs events ───────────┼─▶ engine hunt ─▶ alerts ─▶ SNS, EventBridge
//!            content)                                     ┘
//! ```
//!
//! - an SQS batch is answered with a partial batch response: the ids of the messages whose
//!   objects could not be read or whose alerts could not be published (Lambda returns only
//!   those to the queue); a message that is no S3 notification fails too, and goes to the
//!   queue's dead-letter queue after its retries; from a FIFO queue, the messages after a
//!   failed one fail too, unread, to keep their order;
//! - S3 notifications sent to the function itself (directly, through SNS or EventBridge):
//!   every readable object is scanned and its alerts published; if any object could not be
//!   read, the invocation fails naming it, and Lambda retries the event (alerts repeated by
//!   the retry carry the same ids);
//! - a CloudWatch Logs subscription payload is scanned in memory; control messages are
//!   ignored.
//!
//! Each invocation logs one JSON line to stderr (CloudWatch Logs): what was scanned, matched
//! and failed.

mod config;
mod publish;
mod rules;
mod scan;
mod trigger;

use aws_lambda_events::sqs::SqsBatchResponse;
use config::Config;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use publish::Outlets;
use rules::InitError;
use scan::Scanned;
use serde_json::{Value, json};
use sigil_aws::event::{ObjectCreated, objects_created};
use sigil_aws::{ClientOptions, FetchOptions, S3Options};
use sigil_engine::{Engine, ScanOptions};
use std::sync::Arc;
use trigger::{Trigger, recognise};

/// What every invocation shares: built once at cold start.
struct Function {
    engine: Arc<Engine>,
    s3: S3Options,
    outlets: Outlets,
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    sigil_engine::input::quiet_caught_panics();
    let function = match init().await {
        Ok(function) => Arc::new(function),
        Err(error) => {
            eprintln!("sigil-lambda: init failed: {error}");
            report_init_error(&error).await;
            std::process::exit(1);
        }
    };
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let function = Arc::clone(&function);
        async move { function.handle(event.payload).await }
    }))
    .await
}

/// Reads the configuration and compiles the rules.
async fn init() -> Result<Function, InitError> {
    let config = Config::from(|name| std::env::var(name).ok())?;
    let client = ClientOptions::default();
    let s3 = S3Options {
        client: client.clone(),
        fetch: fetch_options(config.memory_mib),
        ..S3Options::default()
    };
    let scan = ScanOptions {
        min_level: config.min_level,
        ..ScanOptions::default()
    };
    let (at, pipelines, rules_s3) = (config.rules.clone(), config.pipelines.clone(), s3.clone());
    let engine =
        tokio::task::spawn_blocking(move || rules::engine(&at, &pipelines, &rules_s3, scan))
            .await
            .map_err(|e| InitError::Rules(e.to_string()))??;
    eprintln!(
        "sigil-lambda: {} rules loaded from {}",
        engine.rules().len(),
        config.rules
    );
    Ok(Function {
        engine: Arc::new(engine),
        s3,
        outlets: Outlets::connect(&config, &client).await?,
    })
}

/// How objects are fetched: a quarter of the function's memory ahead of the scanner at
/// most (16 MiB at least), in parts of 8 MiB.
fn fetch_options(memory_mib: u64) -> FetchOptions {
    FetchOptions {
        memory: ((memory_mib << 20) / 4).max(16 << 20),
        concurrency: 8,
        ..FetchOptions::default()
    }
}

/// Tells the Runtime API that the function could not start (`/runtime/init/error`).
async fn report_init_error(error: &InitError) {
    let body = json!({"errorType": "Runtime.InitError", "errorMessage": error.to_string()});
    let client = lambda_runtime_api_client::PooledClient::builder().build();
    let request = lambda_runtime_api_client::build_request()
        .method(http::Method::POST)
        .uri("/2018-06-01/runtime/init/error")
        .header("Lambda-Runtime-Function-Error-Type", "Runtime.InitError")
        .body(body.to_string().into());
    match request {
        Ok(request) => {
            if let Err(e) = client.call(request).await {
                eprintln!("sigil-lambda: could not report the init error: {e}");
            }
        }
        Err(e) => eprintln!("sigil-lambda: could not report the init error: {e}"),
    }
}

impl Function {
    /// Handles one invocation.
    async fn handle(&self, payload: Value) -> Result<Value, Error> {
        match recognise(payload)? {
            Trigger::Sqs { messages, fifo } => {
                let mut response = SqsBatchResponse::default();
                for message in messages {
                    let stop = fifo && !response.batch_item_failures.is_empty();
                    let outcome = match objects_created(&message.body) {
                        _ if stop => Err("a message before it in the FIFO queue failed".into()),
                        Ok(objects) => self.objects(objects).await,
                        Err(error) => Err(error.to_string()),
                    };
                    if let Err(why) = outcome {
                        log(json!({"message": message.id, "failed": why}));
                        response.add_failure(message.id);
                    }
                }
                Ok(serde_json::to_value(response)?)
            }
            Trigger::Objects(objects) => {
                let n = objects.len();
                self.objects(objects).await?;
                Ok(json!({"objects": n}))
            }
            Trigger::Logs(decoded) => {
                let (name, instance) = logs_name(&decoded.document);
                let engine = Arc::clone(&self.engine);
                let document = decoded.document;
                let scanned = tokio::task::spawn_blocking(move || {
                    scan::document(&engine, name, &instance, document)
                })
                .await?;
                self.deliver(scanned, "cloudwatch logs").await?;
                Ok(json!({"control_messages": decoded.control_messages}))
            }
        }
    }

    /// Scans `objects` and publishes their alerts; fails when an object could not be read
    /// (its alerts, and the others', are published first) or the alerts not published.
    async fn objects(&self, objects: Vec<ObjectCreated>) -> Result<(), String> {
        if objects.is_empty() {
            return Ok(());
        }
        let what = objects
            .iter()
            .map(ObjectCreated::url)
            .collect::<Vec<_>>()
            .join(" ");
        let (engine, s3) = (Arc::clone(&self.engine), self.s3.clone());
        let scanned = tokio::task::spawn_blocking(move || scan::objects(&engine, objects, &s3))
            .await
            .map_err(|e| e.to_string())?;
        self.deliver(scanned, &what).await
    }

    /// Publishes what a scan found, logs it, and fails if anything was left unread.
    async fn deliver(&self, scanned: Scanned, what: &str) -> Result<(), String> {
        let published = self.outlets.publish(&scanned.alerts).await;
        log(json!({
            "scanned": what,
            "records": scanned.records,
            "bad_records": scanned.bad_records,
            "matches": scanned.alerts.len(),
            "unreadable": scanned.unreadable,
            "published": published.is_ok(),
        }));
        published.map_err(|e| format!("publishing {} alerts: {e}", scanned.alerts.len()))?;
        match scanned.unreadable.is_empty() {
            true => Ok(()),
            false => Err(scanned.unreadable.join("; ")),
        }
    }
}

/// The name of a CloudWatch Logs payload's input (`cloudwatch://group/stream`) and its
/// instance for match ids (the first event's id: unique per payload).
fn logs_name(document: &[u8]) -> (String, String) {
    let value: Value = serde_json::from_slice(document).unwrap_or_default();
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    (
        format!(
            "cloudwatch://{}/{}",
            text(&value["logGroup"]),
            text(&value["logStream"])
        ),
        text(&value["logEvents"][0]["id"]),
    )
}

/// One line of the function's log.
fn log(line: Value) {
    eprintln!("{line}");
}
