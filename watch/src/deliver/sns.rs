//! The SNS sink (`--sns-topic ARN`): one message per match, published in batches, with a
//! subject naming the level, the rule and where (`[high] AWS CloudTrail logging stopped
//! (111122223333 us-east-1)`), as e-mail subscribers see it.
//!
//! The message is the match's JSON line. One over SNS's 256 KiB limit is sent without its
//! `event` (with `"event_omitted"` saying why), its `source` telling where to find it. A batch
//! SNS does not take is tried again, with backoff, until it does: the watcher waits meanwhile
//! (nothing is committed past an undelivered batch).

use super::{Publish, Published, Publishing};
use crate::alert::Alert;
use sigil_aws::sns::{MAX_PAYLOAD_BYTES, Notification, SnsPublisher};

/// An SNS topic as a sink.
pub type Sns = Published<SnsPublisher>;

impl Publish for SnsPublisher {
    fn name(&self) -> String {
        format!("sns {}", self.topic())
    }

    fn publish<'a>(&'a self, alerts: &'a [Alert]) -> Publishing<'a> {
        let notifications: Vec<Notification> = alerts
            .iter()
            .map(|alert| Notification {
                id: alert.id.clone(),
                subject: alert.subject.clone(),
                message: message(alert),
            })
            .collect();
        Box::pin(async move { SnsPublisher::publish(self, &notifications).await })
    }
}

/// The SNS message of an alert: its JSON line, without the event when too large.
pub fn message(alert: &Alert) -> String {
    if alert.json.len() + alert.subject.len() <= MAX_PAYLOAD_BYTES {
        return alert.json.clone();
    }
    let Ok(mut value) = serde_json::from_str::<serde_json::Value>(&alert.json) else {
        return alert.json.clone();
    };
    if let Some(object) = value.as_object_mut() {
        object.remove("event");
        object.insert(
            "event_omitted".into(),
            "larger than SNS's 256 KiB message limit".into(),
        );
    }
    value.to_string()
}
