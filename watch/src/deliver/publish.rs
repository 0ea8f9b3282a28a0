//! The AWS sinks' outlet: a service that takes batches of alerts ([`Publish`]: SNS, Security
//! Hub), tried again with backoff until it takes each batch.
//!
//! The watcher waits meanwhile: nothing is committed past an undelivered batch, so nothing is
//! lost, and what the service said is told once per batch (a [`Notice::Delivery`]) and
//! counted (`sigil_deliveries_total{sink,outcome}`, `sigil_delivery_retries_total{sink}`).

use super::{DeliveryError, Outlet, Retry, Sending};
use crate::Notice;
use crate::alert::Alert;
use crate::metrics::Metrics;
use sigil_aws::RequestError;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::mpsc::Sender;

/// A publishing in progress.
pub type Publishing<'a> = Pin<Box<dyn Future<Output = Result<(), RequestError>> + Send + 'a>>;

/// A service that takes alerts.
pub trait Publish: Send + Sync {
    /// What to call it in messages and metrics (`sns <topic ARN>`).
    fn name(&self) -> String;

    /// Sends `alerts`; returns once the service took every one.
    fn publish<'a>(&'a self, alerts: &'a [Alert]) -> Publishing<'a>;
}

/// A [`Publish`] service as a sink.
pub struct Published<P> {
    name: String,
    publisher: P,
    retry: Retry,
    metrics: Arc<Metrics>,
    notices: Sender<Notice>,
}

impl<P: Publish> Published<P> {
    /// A sink sending with `publisher`, retrying as `retry` says.
    pub fn new(
        publisher: P,
        retry: Retry,
        metrics: Arc<Metrics>,
        notices: Sender<Notice>,
    ) -> Published<P> {
        Published {
            name: publisher.name(),
            publisher,
            retry,
            metrics,
            notices,
        }
    }

    /// Sends `alerts` until the service takes them (see the module docs).
    async fn until_accepted(&self, alerts: &[Alert]) {
        let sink = self.name.as_str();
        let labels = |outcome| [("sink", sink), ("outcome", outcome)];
        let mut failures = 0;
        loop {
            let Err(error) = self.publisher.publish(alerts).await else {
                self.metrics
                    .add("sigil_deliveries_total", &labels("ok"), 1.0);
                return;
            };
            self.metrics
                .add("sigil_deliveries_total", &labels("failed"), 1.0);
            self.metrics
                .add("sigil_delivery_retries_total", &[("sink", sink)], 1.0);
            if failures == 0 {
                let message = format!("{sink}: {error}; trying again (the watcher waits)");
                let _ = self.notices.send(Notice::Delivery(message));
            }
            tokio::time::sleep(self.retry.delay(failures)).await;
            failures += 1;
        }
    }
}

impl<P: Publish> Outlet for Published<P> {
    fn name(&self) -> &str {
        &self.name
    }

    fn deliver(&mut self, alerts: Arc<[Alert]>) -> Sending<'_> {
        Box::pin(async move {
            self.until_accepted(&alerts).await;
            Ok::<(), DeliveryError>(())
        })
    }
}
