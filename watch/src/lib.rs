//! `sigil watch`: a long-running detector with delivery that loses nothing.
//!
//! Inputs arrive as they are written: followed files and folders ([`follow`]), stdin
//! ([`stdin`]), an HTTP intake ([`intake`], [`payload`]), S3 objects announced on SQS
//! ([`sqs`]). One thread scans them with the
//! engine's [`LiveScanner`](sigil_engine::LiveScanner) ([`scan`]): each piece's matches become
//! [`Alert`](alert::Alert)s (the hunt's match record, with a stable id) as soon as its records
//! are complete, and correlations run live. The delivery stage ([`deliver`]) hands every batch
//! to every sink (stdout or a file, webhooks, SNS, Security Hub) and only then commits the positions of the
//! inputs before it to the state directory ([`state`]) and acknowledges them: **at least
//! once**. Rules reload on `SIGHUP` or when a rule file changes ([`rules`]). Counters are
//! served on `GET /metrics` ([`metrics`]).
//!
//! ```text
//!  files, folders ─┐                                 ┌─▶ stdout / -o FILE ─┐
//!  stdin ──────────┼─▶ jobs ─▶ scan (engine) ─▶ deliveries ─▶ webhooks ────┼─▶ commit positions,
//!  HTTP intake ────┘            ▲ reload                    └─▶ ...        ─┘   answer requests
//! ```
//!
//! The library never prints: what people should know comes out as [`Notice`]s on a channel,
//! which the `sigil` binary renders.

#![deny(missing_docs)]

pub mod alert;
pub mod deliver;
pub mod follow;
pub mod intake;
pub mod metrics;
pub mod payload;
pub mod rules;
pub mod s3;
pub mod scan;
pub mod sqs;
pub mod state;
pub mod stdin;

use deliver::{DeliveryError, Lines, Outlet, Retry, SecurityHub, Sns, Spool, Webhook};
use metrics::Metrics;
use scan::Job;
use sigil_compiler::Loaded;
use sigil_engine::Engine;
use sigil_engine::correlate::LiveLimits;
use state::{StateDir, StateError};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::time::Duration;
use tokio::sync::mpsc;

/// Jobs waiting for the scanner, at most (then sources wait).
const JOBS_QUEUED: usize = 64;

/// Deliveries waiting for the sinks, at most (then the scanner waits).
const DELIVERIES_QUEUED: usize = 8;

/// What to watch and where matches go.
#[derive(Clone, Debug)]
pub struct Config {
    /// The rule files and folders (reloaded from there).
    pub rules: rules::RuleSource,
    /// Files and folders to follow.
    pub follow: follow::Follow,
    /// Read stdin.
    pub stdin: bool,
    /// Serve the HTTP intake here.
    pub listen: Option<SocketAddr>,
    /// The most bytes the intake's requests in flight may hold (see [`intake`]).
    pub intake_bytes: usize,
    /// Write JSON lines to stdout.
    pub stdout: bool,
    /// Append JSON lines to this file.
    pub output: Option<PathBuf>,
    /// POST batches to these URLs.
    pub webhooks: Vec<String>,
    /// Sign webhook bodies with this secret.
    pub webhook_secret: Option<String>,
    /// How webhooks retry.
    pub retry: Retry,
    /// The most bytes each webhook may queue.
    pub queue_bytes: usize,
    /// The state directory.
    pub state: Option<PathBuf>,
    /// Live correlation limits.
    pub limits: LiveLimits,
    /// Publish matches to this SNS topic.
    pub sns_topic: Option<String>,
    /// Import matches into Security Hub as ASFF findings.
    pub security_hub: bool,
    /// The product ARN to import them under; default: the caller's default product
    /// (`arn:aws:securityhub:<region>:<account>:product/<account>/default`).
    pub security_hub_product: Option<String>,
    /// Read S3 event notifications from these SQS queues.
    pub sqs_queues: Vec<String>,
    /// Poll these `s3://` prefixes for new objects.
    pub s3_prefixes: Vec<sigil_aws::S3Url>,
    /// How often `s3://` prefixes are listed.
    pub s3_poll: Duration,
    /// How to reach AWS (profile, endpoint).
    pub aws: sigil_aws::ClientOptions,
}

/// Something people should know, sent by the watcher as it runs.
#[derive(Debug)]
#[non_exhaustive]
pub enum Notice {
    /// The intake listens at this address.
    Listening(SocketAddr),
    /// A problem with an input or a record (it is counted; the watcher goes on).
    Problem(String),
    /// A sink could not deliver (it retries, or queued the batch).
    Delivery(String),
    /// The rules were reloaded.
    Reloaded {
        /// Rules now in force.
        rules: usize,
    },
    /// A changed rule set could not be loaded: the rules in force stay.
    ReloadRefused(Box<Loaded>),
}

/// Why the watcher could not start or stopped early.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// The state directory cannot be used.
    #[error(transparent)]
    State(#[from] StateError),
    /// A sink could not be set up, or failed for good.
    #[error(transparent)]
    Delivery(#[from] DeliveryError),
    /// The intake could not listen.
    #[error("--listen {0}: {1}")]
    Listen(SocketAddr, std::io::Error),
    /// The runtime could not start.
    #[error("starting the runtime: {0}")]
    Runtime(std::io::Error),
}

/// Runs the watcher with `engine` (the rules of `config.rules`, loaded) until it is told to
/// stop (`SIGINT`, `SIGTERM`) or, when its only input is stdin, until stdin ends.
pub fn run(config: Config, engine: Engine, notices: Sender<Notice>) -> Result<(), WatchError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(WatchError::Runtime)?;
    runtime.block_on(watch(config, engine, notices))
}

async fn watch(config: Config, engine: Engine, notices: Sender<Notice>) -> Result<(), WatchError> {
    let metrics = Arc::new(Metrics::default());
    let state = match &config.state {
        Some(path) => Some(Arc::new(StateDir::open(path)?)),
        None => None,
    };
    let positions = match &state {
        Some(state) => state.positions()?,
        None => Default::default(),
    };
    let correlations = match &state {
        Some(state) => state.correlations()?,
        None => None,
    };
    let outlets = outlets(&config, state.as_deref(), &metrics, &notices).await?;
    let (jobs, job_queue) = mpsc::channel::<Job>(JOBS_QUEUED);
    let (deliveries, delivery_queue) = mpsc::channel(DELIVERIES_QUEUED);
    let stop = Arc::new(AtomicBool::new(false));
    let ended = Arc::new(AtomicBool::new(false));
    let ids = Arc::new(AtomicU64::new(0));

    let context = scan::Context {
        jobs: job_queue,
        deliveries,
        runtime: tokio::runtime::Handle::current(),
        metrics: Arc::clone(&metrics),
        notices: notices.clone(),
        positions: positions.clone(),
        correlations,
        limits: config.limits,
        run: format!("run-{:016x}", rand::random::<u64>()),
        stop: Arc::clone(&stop),
        ended: Arc::clone(&ended),
    };
    let scanner = std::thread::Builder::new()
        .name("sigil-scan".into())
        .spawn(move || scan::run(engine, context))
        .expect("spawning a thread");
    let delivery = tokio::spawn(deliver::run(
        delivery_queue,
        outlets,
        state,
        Arc::clone(&metrics),
    ));

    let s3_saved = positions.s3.clone();
    let mut finite = true;
    if !config.follow.files.is_empty() || !config.follow.folders.is_empty() {
        finite = false;
        let (follow, jobs, ids, notices, stop) = (
            config.follow.clone(),
            jobs.clone(),
            Arc::clone(&ids),
            notices.clone(),
            Arc::clone(&stop),
        );
        std::thread::Builder::new()
            .name("sigil-follow".into())
            .spawn(move || follow::run(follow, positions, jobs, ids, notices, stop))
            .expect("spawning a thread");
    }
    if let Some(address) = config.listen {
        finite = false;
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|e| WatchError::Listen(address, e))?;
        let bound = listener
            .local_addr()
            .map_err(|e| WatchError::Listen(address, e))?;
        let _ = notices.send(Notice::Listening(bound));
        let budget = intake::Budget::new(config.intake_bytes);
        let router = intake::router(jobs.clone(), Arc::clone(&metrics), bound, budget);
        let stop = Arc::clone(&stop);
        tokio::spawn(async move {
            let until_stopped = async move {
                while !stop.load(Ordering::Relaxed) {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            };
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(until_stopped)
                .await;
        });
    }
    for root in &config.s3_prefixes {
        finite = false;
        let s3 = sigil_aws::S3Options {
            client: config.aws.clone(),
            ..sigil_aws::S3Options::default()
        };
        let (root, saved, interval) = (root.clone(), s3_saved.clone(), config.s3_poll);
        let (jobs, notices, stop) = (jobs.clone(), notices.clone(), Arc::clone(&stop));
        tokio::spawn(async move { s3::run(root, &saved, s3, interval, jobs, notices, stop).await });
    }
    for url in &config.sqs_queues {
        finite = false;
        let queue = sigil_aws::sqs::SqsQueue::connect(url, &config.aws).await;
        let s3 = sigil_aws::S3Options {
            client: config.aws.clone(),
            ..sigil_aws::S3Options::default()
        };
        let (jobs, metrics, notices, stop) = (
            jobs.clone(),
            Arc::clone(&metrics),
            notices.clone(),
            Arc::clone(&stop),
        );
        tokio::spawn(sqs::run(queue, s3, jobs, metrics, notices, stop));
    }
    if config.stdin {
        let (jobs, feed, ended, notices) = (
            jobs.clone(),
            ids.fetch_add(1, Ordering::Relaxed),
            Arc::clone(&ended),
            notices.clone(),
        );
        std::thread::Builder::new()
            .name("sigil-stdin".into())
            .spawn(move || {
                if let Err(error) = stdin::run(std::io::stdin().lock(), feed, jobs) {
                    let _ = notices.send(Notice::Problem(format!("<stdin>: {error}")));
                }
                if finite {
                    // After the input's last jobs were sent: a scanner that sees the end
                    // sees them too.
                    ended.store(true, Ordering::Release);
                }
            })
            .expect("spawning a thread");
    }
    tokio::spawn(rules::reload(
        config.rules.clone(),
        jobs.clone(),
        Arc::clone(&metrics),
        notices.clone(),
    ));
    drop(jobs);

    let stop_signal = Arc::clone(&stop);
    tokio::spawn(async move {
        stopped_by_signal().await;
        stop_signal.store(true, Ordering::Relaxed);
    });
    let result = delivery.await.unwrap_or(Ok(()));
    stop.store(true, Ordering::Relaxed);
    let _ = tokio::task::spawn_blocking(move || scanner.join()).await;
    match result {
        Ok(()) | Err(DeliveryError::Closed) => Ok(()),
        Err(error) => Err(error.into()),
    }
}

/// Waits for `SIGINT` or `SIGTERM`.
async fn stopped_by_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut interrupt), Ok(mut terminate)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = interrupt.recv() => {}
        _ = terminate.recv() => {}
    }
}

/// The sinks of `config`.
async fn outlets(
    config: &Config,
    state: Option<&StateDir>,
    metrics: &Arc<Metrics>,
    notices: &Sender<Notice>,
) -> Result<Vec<Box<dyn Outlet>>, WatchError> {
    let mut outlets: Vec<Box<dyn Outlet>> = Vec::new();
    if config.stdout {
        outlets.push(Box::new(Lines::stdout()));
    }
    if let Some(path) = &config.output {
        outlets.push(Box::new(Lines::file(path)?));
    }
    for url in &config.webhooks {
        let name = hex::encode(&<sha2::Sha256 as sha2::Digest>::digest(url.as_bytes())[..6]);
        let dir = state.map(|s| s.spool(&format!("webhook-{name}")));
        let spool = Spool::open(dir.as_deref(), config.queue_bytes)
            .map_err(|e| DeliveryError::Setup(format!("webhook {url}: queue: {e}")))?;
        let webhook = Webhook::new(
            url,
            config.webhook_secret.as_deref(),
            config.retry,
            spool,
            Arc::clone(metrics),
            notices.clone(),
        )?;
        outlets.push(Box::new(webhook));
    }
    if let Some(topic) = &config.sns_topic {
        let publisher = sigil_aws::sns::SnsPublisher::connect(topic, &config.aws).await;
        let sns = Sns::new(
            publisher,
            config.retry,
            Arc::clone(metrics),
            notices.clone(),
        );
        outlets.push(Box::new(sns));
    }
    if config.security_hub {
        let product = config.security_hub_product.as_deref();
        let publisher = sigil_aws::securityhub::SecurityHubPublisher::connect(product, &config.aws)
            .await
            .map_err(|e| DeliveryError::Setup(format!("Security Hub: {e}")))?;
        let hub = SecurityHub::new(
            publisher,
            config.retry,
            Arc::clone(metrics),
            notices.clone(),
        );
        outlets.push(Box::new(hub));
    }
    Ok(outlets)
}
