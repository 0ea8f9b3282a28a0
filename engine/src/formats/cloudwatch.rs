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
//! A message that is a record of a log Sigil knows by its own keys (a CloudTrail event, as a
//! trail sending to CloudWatch Logs delivers it; a VPC flow log record; a Route 53 Resolver
//! query; a Network Firewall log) is that record: it becomes the record itself, tagged with its
//! own log source, so that the rules of that log run on it with their usual field names
//! (`eventName`, not `message.eventName`). The envelope's `logGroup` and `owner` are not added
//! to it. So does a message that is a Route 53 public DNS query line (read as
//! [`route53`](super::route53) reads it), and a message that is an EventBridge event (an
//! EventBridge rule with a log group target) gives the records
//! [`eventbridge`] gives.
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

use super::LineKind;
use super::envelope::{EnvelopeError, Records, source_of_object};
use super::eventbridge;
use super::json::Object;
use super::route53::Route53Reader;
use crate::logsource::RecordSource;

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
    let (mut route53, mut query) = (Route53Reader::default(), Vec::new());
    for event in &subscription.log_events {
        let message = event.message.trim();
        let pushed = out.len();
        let embedded = match embedded_source(message) {
            Some(RecordSource::EventBridge) => eventbridge::expand(message.as_bytes(), out).is_ok(),
            Some(source) => {
                out.push_with(source, |bytes| bytes.extend_from_slice(message.as_bytes()));
                true
            }
            None => {
                query.clear();
                let read = route53.read_line(message.as_bytes(), &mut query);
                let is_query = read == Ok(LineKind::Record(RecordSource::Route53));
                if is_query {
                    out.push_with(RecordSource::Route53, |bytes| {
                        bytes.extend_from_slice(&query)
                    });
                }
                is_query
            }
        };
        if !embedded {
            out.truncate(pushed);
            out.push_with(RecordSource::CloudWatch, |bytes| {
                write_event(bytes, &subscription, event);
            });
        }
    }
    Ok(())
}

/// The log source of a message that is a whole record of a log Sigil knows (by its own
/// top-level keys, as [`RecordSource::detect`] recognises records), if it is one: a valid JSON
/// object that is not itself a CloudWatch Logs event.
fn embedded_source(message: &str) -> Option<RecordSource> {
    if !message.starts_with('{') || serde_json::from_str::<IgnoredAny>(message).is_err() {
        return None;
    }
    let source = source_of_object(message.as_bytes(), 0);
    (!matches!(source, RecordSource::Unknown | RecordSource::CloudWatch)).then_some(source)
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

    #[test]
    fn an_embedded_cloudtrail_record_is_a_cloudtrail_record() {
        let mut out = Records::default();
        let message = |text: &str| serde_json::json!({"id": "1", "timestamp": 1, "message": text});
        let envelope = serde_json::json!({
            "messageType": "DATA_MESSAGE",
            "owner": "1",
            "logGroup": "aws-cloudtrail-logs",
            "logEvents": [
                message(r#" {"eventVersion":"1.08","eventSource":"iam.amazonaws.com","eventName":"CreateUser"}"#),
                message(r#"{"eventVersion":"1.07","eventType":"AwsCloudTrailInsight","insightDetails":{}}"#),
                message(r#"{"level":"info"}"#),
            ]
        })
        .to_string();
        expand(envelope.as_bytes(), &mut out).unwrap();
        let records: Vec<(&[u8], RecordSource)> = out.sourced().collect();
        assert_eq!(
            records[0],
            (
                &br#"{"eventVersion":"1.08","eventSource":"iam.amazonaws.com","eventName":"CreateUser"}"#[..],
                RecordSource::CloudTrail
            )
        );
        assert_eq!(records[1].1, RecordSource::CloudTrail);
        assert_eq!(records[2].1, RecordSource::CloudWatch);
        let wrapped: serde_json::Value = serde_json::from_slice(records[2].0).unwrap();
        assert_eq!(wrapped["message"]["level"], "info");
    }
}
