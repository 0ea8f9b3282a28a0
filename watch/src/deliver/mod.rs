//! Delivery: every batch of alerts to every sink, then its positions committed and its inputs
//! acknowledged.
//!
//! The stage takes [`Delivery`]s in the order the scanner made them (several waiting ones are
//! merged into one batch), hands the batch to every [`Outlet`] at once, and once each has
//! acknowledged it (written and flushed, answered 2xx, or queued on disk), saves the batch's
//! [`Commit`](crate::state::Commit) to the state directory and runs its acknowledgements (HTTP answers, queue
//! deletions). That order is the at-least-once guarantee: a position is saved only after the
//! matches before it are delivered, so a crash can only make the watcher scan (and deliver)
//! again what came after the last commit.
//!
//! An outlet's error that cannot be retried ([`DeliveryError::Fatal`], such as a full disk
//! under `-o`) stops the watcher: nothing is committed past it.

mod publish;
mod securityhub;
mod sns;
mod spool;
mod webhook;

pub use publish::{Publish, Published, Publishing};
pub use securityhub::{SecurityHub, finding};
pub use sns::{Sns, message};
pub use spool::Spool;
pub use webhook::{Retry, Webhook, body, signature};

use crate::alert::Alert;
use crate::metrics::Metrics;
use crate::scan::{Ack, Delivery};
use crate::state::StateDir;
use std::future::Future;
use std::io::Write;
use std::pin::Pin;
use std::sync::Arc;
use tokio::sync::mpsc;

/// Most alerts merged into one batch from deliveries already waiting.
const MERGE_ALERTS: usize = 5000;

/// Why delivering failed for good.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// A sink could not be set up.
    #[error("{0}")]
    Setup(String),
    /// A sink failed in a way no retry mends: the watcher stops.
    #[error("{0}")]
    Fatal(String),
    /// The reader of the output went away (`| head`): the watcher stops quietly.
    #[error("the output was closed")]
    Closed,
}

/// A delivery in progress.
pub type Sending<'a> = Pin<Box<dyn Future<Output = Result<(), DeliveryError>> + Send + 'a>>;

/// A sink of the delivery stage: takes batches of alerts, in order, and says when one is
/// safely taken.
pub trait Outlet: Send {
    /// What to call it in messages and metrics.
    fn name(&self) -> &str;

    /// Delivers a batch; returns once it is acknowledged (or queued durably).
    fn deliver(&mut self, alerts: Arc<[Alert]>) -> Sending<'_>;
}

/// JSON lines to stdout or a file (`-o`): each batch written, flushed, and for a file synced.
pub struct Lines {
    name: String,
    out: Box<dyn Write + Send>,
    file: Option<std::fs::File>,
}

impl Lines {
    /// JSON lines to stdout.
    pub fn stdout() -> Lines {
        Lines {
            name: "stdout".into(),
            out: Box::new(std::io::stdout()),
            file: None,
        }
    }

    /// JSON lines appended to the file at `path` (created if missing): matches scanned again
    /// after a restart are appended again, with the same ids.
    pub fn file(path: &std::path::Path) -> Result<Lines, DeliveryError> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| DeliveryError::Setup(format!("{}: {e}", path.display())))?;
        let out = file
            .try_clone()
            .map_err(|e| DeliveryError::Setup(format!("{}: {e}", path.display())))?;
        Ok(Lines {
            name: path.display().to_string(),
            out: Box::new(std::io::BufWriter::new(out)),
            file: Some(file),
        })
    }

    fn write(&mut self, alerts: &[Alert]) -> std::io::Result<()> {
        for alert in alerts {
            self.out.write_all(alert.json.as_bytes())?;
            self.out.write_all(b"\n")?;
        }
        self.out.flush()?;
        if let Some(file) = &self.file {
            file.sync_data()?;
        }
        Ok(())
    }
}

impl Outlet for Lines {
    fn name(&self) -> &str {
        &self.name
    }

    fn deliver(&mut self, alerts: Arc<[Alert]>) -> Sending<'_> {
        Box::pin(async move {
            match tokio::task::block_in_place(|| self.write(&alerts)) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(DeliveryError::Closed),
                Err(e) => Err(DeliveryError::Fatal(format!("{}: {e}", self.name))),
            }
        })
    }
}

/// Runs the delivery stage until the scanner is gone (see the module docs).
pub async fn run(
    mut deliveries: mpsc::Receiver<Delivery>,
    mut outlets: Vec<Box<dyn Outlet>>,
    state: Option<Arc<StateDir>>,
    metrics: Arc<Metrics>,
) -> Result<(), DeliveryError> {
    // Acknowledgements of inputs whose commit has not come yet.
    let mut waiting: Vec<Ack> = Vec::new();
    // The last correlation state not yet saved.
    let mut unsaved: Option<String> = None;
    while let Some(mut batch) = deliveries.recv().await {
        while batch.alerts.len() < MERGE_ALERTS
            && let Ok(next) = deliveries.try_recv()
        {
            if let Some(commit) = &batch.commit {
                unsaved = commit.correlations.clone().or(unsaved);
            }
            batch.alerts.extend(next.alerts);
            batch.acks.extend(next.acks);
            batch.commit = next.commit;
        }
        let alerts: Arc<[Alert]> = batch.alerts.into();
        if !alerts.is_empty() {
            let mut sending = Vec::with_capacity(outlets.len());
            for outlet in outlets.iter_mut() {
                sending.push(outlet.deliver(Arc::clone(&alerts)));
            }
            for result in futures_util::future::join_all(sending).await {
                result?;
            }
            metrics.set(
                "sigil_delivery_lag_seconds",
                &[],
                batch.since.elapsed().as_secs_f64(),
            );
        }
        waiting.extend(batch.acks);
        let Some(mut commit) = batch.commit else {
            continue;
        };
        if commit.correlations.is_none() {
            commit.correlations = unsaved.take();
        } else {
            unsaved = None;
        }
        if let Some(state) = &state {
            tokio::task::block_in_place(|| state.commit(&commit))
                .map_err(|e| DeliveryError::Fatal(format!("saving the state: {e}")))?;
        }
        for ack in waiting.drain(..) {
            ack();
        }
    }
    Ok(())
}
