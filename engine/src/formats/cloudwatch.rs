//! CloudWatch Logs subscription records (`product: aws, service: cloudwatch`).
//!
//! Logs that leave CloudWatch Logs through a subscription (to Firehose and on to S3, to
//! Lambda, to Kinesis) travel in envelopes:
//! `{"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"...","logStream":"...",
//! "subscriptionFilters":[...],"logEvents":[{"id":"...","timestamp":1510109208016,"message":"..."}]}`.
//! Each log event becomes one record:
//!
//! `{"owner":..,"logGroup":..,"logStream":..,"id":..,"timestamp":..,"message":..}`
//!
//! where `message` is the event's message parsed when it is a JSON object or array (so rules
//! can name `message.eventName`), and the message string otherwise; `timestamp` is the event's
//! time in epoch milliseconds, which the engine reads as the event time. `CONTROL_MESSAGE`
//! envelopes (the reachability checks CloudWatch sends) hold no events.
//!
//! ```
//! use sigil_engine::formats::{Envelope, Records};
//!
//! let envelope = br#"{"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"app","logStream":"s1","subscriptionFilters":["f"],"logEvents":[{"id":"1","timestamp":1510109208016,"message":"{\"user\":\"root\"}"},{"id":"2","timestamp":1510109208017,"message":"plain text"}]}"#;
//! let mut records = Records::default();
//! Envelope::CloudWatch.expand(envelope, &mut records).unwrap();
//! let events: Vec<serde_json::Value> = records.iter().map(|r| serde_json::from_slice(r).unwrap()).collect();
//! assert_eq!(events[0]["message"]["user"], "root");
//! assert_eq!(events[1]["message"], "plain text");
//! assert_eq!(events[1]["logGroup"], "app");
//! assert_eq!(events[1]["timestamp"], 1510109208017u64);
//! ```

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::envelope::{EnvelopeError, Records};
use super::json::Object;

/// A subscription envelope; the fields a record keeps.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Subscription<'a> {
    #[serde(borrow, default)]
    message_type: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    owner: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    log_group: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    log_stream: Option<Cow<'a, str>>,
    #[serde(borrow)]
    log_events: Vec<LogEvent<'a>>,
}

/// One log event.
#[derive(Deserialize)]
struct LogEvent<'a> {
    #[serde(borrow, default)]
    id: Option<Cow<'a, str>>,
    #[serde(default)]
    timestamp: Option<serde_json::Number>,
    #[serde(borrow)]
    message: Cow<'a, str>,
}

/// Appends the log events of `envelope` to `out`.
pub(crate) fn expand(envelope: &[u8], out: &mut Records) -> Result<(), EnvelopeError> {
    let subscription: Subscription<'_> =
        serde_json::from_slice(envelope).map_err(|error| EnvelopeError {
            envelope: "CloudWatch Logs",
            reason: error.to_string(),
        })?;
    if subscription.message_type.as_deref() == Some("CONTROL_MESSAGE") {
        return Ok(());
    }
    for event in &subscription.log_events {
        out.push_with(|bytes| write_event(bytes, &subscription, event));
    }
    Ok(())
}

/// Writes one event's record.
fn write_event(out: &mut Vec<u8>, subscription: &Subscription<'_>, event: &LogEvent<'_>) {
    let mut object = Object::open(out);
    for (name, value) in [
        ("owner", &subscription.owner),
        ("logGroup", &subscription.log_group),
        ("logStream", &subscription.log_stream),
        ("id", &event.id),
    ] {
        if let Some(value) = value {
            object.string(name, value.as_bytes());
        }
    }
    if let Some(timestamp) = &event.timestamp {
        object.display_number("timestamp", timestamp);
    }
    let message = event.message.trim();
    let structured = matches!(message.as_bytes().first(), Some(b'{' | b'['))
        && serde_json::from_str::<IgnoredAny>(message).is_ok();
    if structured {
        object.raw("message", message.as_bytes());
    } else {
        object.string("message", event.message.as_bytes());
    }
    object.close();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_messages_hold_no_events_and_bad_envelopes_are_errors() {
        let mut out = Records::default();
        let control = br#"{"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs","logGroup":"","logStream":"","subscriptionFilters":[],"logEvents":[{"id":"","timestamp":1432826855000,"message":"CWL CONTROL MESSAGE: Checking health of destination Kinesis stream."}]}"#;
        expand(control, &mut out).unwrap();
        assert!(out.is_empty());
        let error = expand(br#"{"messageType":"DATA_MESSAGE"}"#, &mut out).unwrap_err();
        assert!(error.to_string().contains("logEvents"), "{error}");
        // A message that only starts like JSON stays a string; escapes survive.
        let envelope =
            br#"{"messageType":"DATA_MESSAGE","logEvents":[{"message":"{not json \"x\""}]}"#;
        expand(envelope, &mut out).unwrap();
        let record: serde_json::Value = serde_json::from_slice(out.iter().next().unwrap()).unwrap();
        assert_eq!(record["message"], r#"{not json "x""#);
    }
}
