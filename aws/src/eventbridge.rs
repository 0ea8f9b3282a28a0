//! Putting events on an EventBridge event bus: one event per match, in `PutEvents` calls.
//!
//! Each [`BusEvent`] becomes an entry with source [`SOURCE`], a detail-type naming what
//! happened (for a match, the rule's title) and the match record as its detail, so that an
//! EventBridge rule can route matches of one rule to an automated response:
//!
//! ```json
//! {"source": ["sigil"], "detail-type": ["CloudTrail logging stopped"], "detail": {"rule": {"level": ["high"]}}}
//! ```
//!
//! Entries go at most 10 per call and under 256 KB per call (EventBridge's limits, sizes
//! counted as EventBridge counts them: source, detail-type, detail and resources, 14 bytes
//! for a time). Entries EventBridge refuses for a passing reason (throttling, an internal
//! error) are put again, a few times with backoff; an entry still refused after that, or
//! refused for good (too large, malformed), fails the call, after the entries before it
//! were put: the caller tries again (events are delivered at least once).

use aws_sdk_eventbridge::types::PutEventsRequestEntry;

use crate::batch::{Refusal, until_taken};
use crate::client::{ClientOptions, RequestError, shared_config};

/// The `source` of every event this crate puts.
pub const SOURCE: &str = "sigil";

/// The most bytes of the entries of one `PutEvents` call (EventBridge: "less than 256KB").
pub const MAX_ENTRY_BYTES: usize = 256_000;

/// The longest detail-type EventBridge takes, in characters.
pub const MAX_DETAIL_TYPE_CHARS: usize = 128;

/// Most entries of one `PutEvents` call.
const MAX_ENTRIES: usize = 10;

/// One event to put.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BusEvent {
    /// What happened (cut to [`MAX_DETAIL_TYPE_CHARS`] when put).
    pub detail_type: String,
    /// The event's detail: a JSON object.
    pub detail: String,
    /// ARNs of the resources involved (an S3 object's `arn:aws:s3:::bucket/key`).
    pub resources: Vec<String>,
}

impl BusEvent {
    /// Its size as EventBridge counts it (no time is set: EventBridge stamps the call's).
    pub fn size(&self) -> usize {
        SOURCE.len()
            + cut(&self.detail_type).len()
            + self.detail.len()
            + self.resources.iter().map(String::len).sum::<usize>()
    }
}

/// A publisher to one event bus.
#[derive(Clone, Debug)]
pub struct EventBusPublisher {
    client: aws_sdk_eventbridge::Client,
    bus: String,
}

impl EventBusPublisher {
    /// A publisher to the event bus `bus` (a name or an ARN), configured as `options` say.
    pub async fn connect(bus: &str, options: &ClientOptions) -> EventBusPublisher {
        let shared = shared_config(options).await;
        EventBusPublisher {
            client: aws_sdk_eventbridge::Client::new(&shared),
            bus: bus.to_string(),
        }
    }

    /// The event bus's name or ARN.
    pub fn bus(&self) -> &str {
        &self.bus
    }

    /// Puts `events`, in order; returns once EventBridge has accepted every one.
    pub async fn publish(&self, events: &[BusEvent]) -> Result<(), RequestError> {
        for batch in crate::batch::batches(events, MAX_ENTRIES, MAX_ENTRY_BYTES, BusEvent::size) {
            self.put(batch).await?;
        }
        Ok(())
    }

    /// Puts one call's worth of events, putting again those refused for a passing reason.
    async fn put(&self, events: &[BusEvent]) -> Result<(), RequestError> {
        let name = |event: &BusEvent| format!("an event of `{}`", event.detail_type);
        until_taken(events, name, |pending: Vec<&BusEvent>| async move {
            let entries = pending.iter().map(|event| self.entry(event)).collect();
            let output = self
                .client
                .put_events()
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(RequestError::of)?;
            // Results come in the order of the entries; a failed one has an error code.
            Ok(pending
                .into_iter()
                .zip(output.entries())
                .filter_map(|(item, result)| {
                    let code = result.error_code()?.to_string();
                    let message = result.error_message().unwrap_or_default().to_string();
                    Some(Refusal {
                        item,
                        code,
                        message,
                    })
                })
                .collect())
        })
        .await
    }

    fn entry(&self, event: &BusEvent) -> PutEventsRequestEntry {
        PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus)
            .source(SOURCE)
            .detail_type(cut(&event.detail_type))
            .detail(&event.detail)
            .set_resources(Some(event.resources.clone()).filter(|r| !r.is_empty()))
            .build()
    }
}

/// `text` cut to [`MAX_DETAIL_TYPE_CHARS`] characters.
fn cut(text: &str) -> &str {
    match text.char_indices().nth(MAX_DETAIL_TYPE_CHARS) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detail_types_are_cut_to_128_characters_and_sizes_counted_as_eventbridge_does() {
        let long = "é".repeat(200);
        assert_eq!(cut(&long).chars().count(), 128);
        assert_eq!(cut("short"), "short");
        let event = BusEvent {
            detail_type: "Stop".into(),
            detail: "{}".into(),
            resources: vec!["arn:aws:s3:::b/k".into()],
        };
        assert_eq!(event.size(), "sigil".len() + 4 + 2 + 16);
    }
}
