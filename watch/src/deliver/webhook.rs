//! The webhook sink: batches of alerts POSTed as JSON, signed, retried, queued when the
//! receiver is down.
//!
//! Each batch is one request:
//!
//! ```text
//! POST <url>
//! Content-Type: application/json
//! X-Sigil-Batch: <digest of the batch's match ids>
//! X-Sigil-Signature: sha256=<HMAC-SHA256 of the body with --webhook-secret, in hex>
//!
//! {"matches":[{"id":"…","rule":{…},…},…]}
//! ```
//!
//! Any 2xx answer delivers the batch. An error, a timeout or another status is tried again
//! after an exponential backoff with jitter ([`Retry`]); after [`Retry::attempts`] tries the
//! batch goes to the sink's [`Spool`] (on disk in the state directory) and counts as taken, and
//! a background task sends the queued batches, oldest first, backing off up to
//! [`Retry::max_delay`] while the receiver stays down. While batches are queued, new ones join
//! the queue behind them, so the receiver gets them in order. A full queue makes the watcher
//! wait: nothing is dropped.

use super::spool::Spool;
use super::{DeliveryError, Outlet, Sending};
use crate::Notice;
use crate::alert::Alert;
use crate::metrics::Metrics;
use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::{Digest, Sha256};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

/// How a webhook retries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retry {
    /// Tries of a batch before it is queued.
    pub attempts: u32,
    /// The wait after the first failed try; it doubles with each try (with ±50 % jitter).
    pub base_delay: Duration,
    /// The longest wait between tries of a queued batch.
    pub max_delay: Duration,
    /// How long a request may take.
    pub timeout: Duration,
}

impl Default for Retry {
    /// 3 tries 200 ms apart and more, up to 30 s apart for queued batches; 10 s per request.
    fn default() -> Self {
        Retry {
            attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(30),
            timeout: Duration::from_secs(10),
        }
    }
}

impl Retry {
    /// The wait before try `n + 1` (after `n` failed tries).
    pub(crate) fn delay(&self, n: u32) -> Duration {
        let exponential = self.base_delay.saturating_mul(1 << n.min(16));
        let jitter = rand::rng().random_range(0.5..1.5);
        exponential.min(self.max_delay).mul_f64(jitter)
    }
}

/// The request body of a batch.
pub fn body(alerts: &[Alert]) -> Vec<u8> {
    let mut body = b"{\"matches\":[".to_vec();
    for (i, alert) in alerts.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(alert.json.as_bytes());
    }
    body.extend_from_slice(b"]}");
    body
}

/// The signature header's value of `body` with `secret`.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any size");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// What the webhook and its background sender share.
struct Shared {
    name: String,
    url: String,
    secret: Option<Vec<u8>>,
    retry: Retry,
    client: reqwest::Client,
    spool: Mutex<Spool>,
    queued: Notify,
    metrics: Arc<Metrics>,
    notices: Sender<Notice>,
}

/// A webhook sink (see the module docs).
pub struct Webhook {
    shared: Arc<Shared>,
}

impl Webhook {
    /// A webhook posting to `url`, queuing in `spool`; starts its background sender on the
    /// current runtime.
    pub fn new(
        url: &str,
        secret: Option<&str>,
        retry: Retry,
        spool: Spool,
        metrics: Arc<Metrics>,
        notices: Sender<Notice>,
    ) -> Result<Webhook, DeliveryError> {
        let client = reqwest::Client::builder()
            .timeout(retry.timeout)
            .build()
            .map_err(|e| DeliveryError::Setup(format!("webhook {url}: {e}")))?;
        let shared = Arc::new(Shared {
            name: format!("webhook {url}"),
            url: url.to_string(),
            secret: secret.map(|s| s.as_bytes().to_vec()),
            retry,
            client,
            spool: Mutex::new(spool),
            queued: Notify::new(),
            metrics,
            notices,
        });
        shared.gauge();
        tokio::spawn(send_queued(Arc::clone(&shared)));
        Ok(Webhook { shared })
    }
}

impl Shared {
    fn labels(&self) -> [(&str, &str); 1] {
        [("sink", self.name.as_str())]
    }

    fn gauge(&self) {
        let queued = self.spool.lock().expect("spool lock").len();
        self.metrics
            .set("sigil_spooled_batches", &self.labels(), queued as f64);
    }

    fn count(&self, outcome: &str) {
        let labels = [("sink", self.name.as_str()), ("outcome", outcome)];
        self.metrics.add("sigil_deliveries_total", &labels, 1.0);
    }

    /// One request; `Err` says why it did not deliver.
    async fn post(&self, body: &[u8], batch: &str) -> Result<(), String> {
        let mut request = self
            .client
            .post(&self.url)
            .header("content-type", "application/json")
            .header("x-sigil-batch", batch)
            .body(body.to_vec());
        if let Some(secret) = &self.secret {
            request = request.header("x-sigil-signature", signature(secret, body));
        }
        match request.send().await {
            Ok(response) if response.status().is_success() => Ok(()),
            Ok(response) => Err(format!("answered {}", response.status())),
            Err(error) => Err(error.to_string()),
        }
    }

    /// Queues a batch, waiting while the queue is full.
    async fn queue(&self, body: &[u8]) -> Result<(), DeliveryError> {
        loop {
            let pushed = self
                .spool
                .lock()
                .expect("spool lock")
                .push(body)
                .map_err(|e| DeliveryError::Fatal(format!("{}: queue: {e}", self.name)))?;
            if pushed {
                self.count("spooled");
                self.gauge();
                self.queued.notify_one();
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// The digest of a batch's match ids, for `X-Sigil-Batch`.
fn batch_id(body: &[u8]) -> String {
    hex::encode(&Sha256::digest(body)[..16])
}

/// Sends the queued batches, oldest first, backing off while they fail.
async fn send_queued(shared: Arc<Shared>) {
    let mut failures = 0;
    loop {
        let front = shared.spool.lock().expect("spool lock").front();
        let body = match front {
            Ok(Some(body)) => body,
            Ok(None) => {
                shared.queued.notified().await;
                continue;
            }
            Err(error) => {
                let _ = shared
                    .notices
                    .send(Notice::Delivery(format!("{}: queue: {error}", shared.name)));
                tokio::time::sleep(shared.retry.max_delay).await;
                continue;
            }
        };
        match shared.post(&body, &batch_id(&body)).await {
            Ok(()) => {
                failures = 0;
                shared.count("ok");
                if let Err(error) = shared.spool.lock().expect("spool lock").pop() {
                    let _ = shared
                        .notices
                        .send(Notice::Delivery(format!("{}: queue: {error}", shared.name)));
                }
                shared.gauge();
            }
            Err(why) => {
                shared.count("failed");
                shared
                    .metrics
                    .add("sigil_delivery_retries_total", &shared.labels(), 1.0);
                if failures == 0 {
                    let _ = shared.notices.send(Notice::Delivery(format!(
                        "{}: {why}; queued batches wait",
                        shared.name
                    )));
                }
                let wait = shared.retry.delay(failures);
                failures += 1;
                tokio::time::sleep(wait).await;
            }
        }
    }
}

impl Outlet for Webhook {
    fn name(&self) -> &str {
        &self.shared.name
    }

    fn deliver(&mut self, alerts: Arc<[Alert]>) -> Sending<'_> {
        Box::pin(async move {
            let shared = &self.shared;
            let body = body(&alerts);
            if !shared.spool.lock().expect("spool lock").is_empty() {
                return shared.queue(&body).await;
            }
            let batch = batch_id(&body);
            for attempt in 0..shared.retry.attempts.max(1) {
                if attempt > 0 {
                    shared
                        .metrics
                        .add("sigil_delivery_retries_total", &shared.labels(), 1.0);
                    tokio::time::sleep(shared.retry.delay(attempt - 1)).await;
                }
                match shared.post(&body, &batch).await {
                    Ok(()) => {
                        shared.count("ok");
                        return Ok(());
                    }
                    Err(why) => {
                        shared.count("failed");
                        if attempt + 1 == shared.retry.attempts.max(1) {
                            let message = format!("{}: {why}; the batch is queued", shared.name);
                            let _ = shared.notices.send(Notice::Delivery(message));
                        }
                    }
                }
            }
            shared.queue(&body).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_hmac_of_the_body() {
        // RFC 4231, test case 2.
        let mac = signature(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            mac,
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn backoff_doubles_with_jitter_up_to_the_limit() {
        let retry = Retry::default();
        for n in 0..20 {
            let delay = retry.delay(n);
            let nominal = retry
                .base_delay
                .saturating_mul(1 << n.min(16))
                .min(retry.max_delay);
            assert!(delay >= nominal.mul_f64(0.5) && delay <= nominal.mul_f64(1.5));
        }
    }
}
