//! S3 event notifications: which objects were created, from any of the shapes AWS delivers
//! them in.
//!
//! A new log object is announced by S3 in one of these shapes, all recognised by
//! [`objects_created`]:
//!
//! ```text
//! S3 → SQS / Lambda          {"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put",
//!                                         "s3":{"bucket":{"name":…},"object":{"key":…,"size":…}}}]}
//! S3 → SNS → SQS             {"Type":"Notification","Message":"<the S3 JSON above, as a string>",…}
//! S3 → SNS → Lambda          {"Records":[{"EventSource":"aws:sns","Sns":{"Message":"<S3 JSON>"}}]}
//! S3 → EventBridge           {"source":"aws.s3","detail-type":"Object Created",
//!                             "detail":{"bucket":{"name":…},"object":{"key":…,"size":…}}}
//! S3 test event              {"Service":"Amazon S3","Event":"s3:TestEvent",…}   (no objects)
//! ```
//!
//! Keys in S3's own notifications are URL-encoded (`+` for a space); EventBridge's are not.
//! Events other than object creation (removals, restores, replication) yield no object.
//!
//! ```
//! use sigil_aws::event::objects_created;
//!
//! let body = r#"{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"eu-west-1",
//!   "eventName":"ObjectCreated:Put","eventTime":"2026-11-02T10:05:00.000Z",
//!   "s3":{"bucket":{"name":"trail-bucket"},"object":{"key":"AWSLogs/x+y%3Dz.json.gz","size":512}}}]}"#;
//! let created = objects_created(body)?;
//! assert_eq!(created[0].url(), "s3://trail-bucket/AWSLogs/x y=z.json.gz");
//! assert_eq!(created[0].size, Some(512));
//! # Ok::<(), sigil_aws::event::EventError>(())
//! ```

use serde_json::Value;

use crate::url::object_url;

/// An object announced as created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectCreated {
    /// Its bucket.
    pub bucket: String,
    /// Its key, decoded.
    pub key: String,
    /// Its size, when the notification tells.
    pub size: Option<u64>,
    /// The bucket's region, when the notification tells.
    pub region: Option<String>,
    /// When it was created (RFC 3339), when the notification tells.
    pub time: Option<String>,
}

impl ObjectCreated {
    /// `s3://bucket/key`.
    pub fn url(&self) -> String {
        object_url(&self.bucket, &self.key)
    }
}

/// A message that is not an S3 event notification in any known shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// Not JSON.
    #[error("not JSON: {0}")]
    Json(String),
    /// JSON, but none of the shapes of an S3 event notification.
    #[error("not an S3 event notification (nor one wrapped by SNS or EventBridge)")]
    Unknown,
    /// An S3 event record without a bucket name or an object key.
    #[error("an S3 event record names no bucket or no key")]
    Incomplete,
}

/// The objects a notification message (an SQS message body, an SNS message, a Lambda event)
/// announces as created, in order. A test event, or an event of another kind, gives none.
pub fn objects_created(message: &str) -> Result<Vec<ObjectCreated>, EventError> {
    let value: Value =
        serde_json::from_str(message).map_err(|error| EventError::Json(error.to_string()))?;
    objects_in(&value)
}

/// [`objects_created`] of a message already parsed (a Lambda event).
pub fn objects_in(value: &Value) -> Result<Vec<ObjectCreated>, EventError> {
    let mut created = Vec::new();
    collect(value, &mut created)?;
    Ok(created)
}

/// Adds the objects `value` announces to `created`, unwrapping SNS envelopes.
fn collect(value: &Value, created: &mut Vec<ObjectCreated>) -> Result<(), EventError> {
    if value["Event"] == "s3:TestEvent" {
        return Ok(());
    }
    if value["Type"] == "Notification"
        && let Some(message) = value["Message"].as_str()
    {
        created.extend(objects_created(message)?);
        return Ok(());
    }
    if value["source"] == "aws.s3" && value["detail"].is_object() {
        if value["detail-type"] == "Object Created" {
            let detail = &value["detail"];
            created.push(ObjectCreated {
                bucket: text(&detail["bucket"]["name"]).ok_or(EventError::Incomplete)?,
                key: text(&detail["object"]["key"]).ok_or(EventError::Incomplete)?,
                size: detail["object"]["size"].as_u64(),
                region: text(&value["region"]),
                time: text(&value["time"]),
            });
        }
        return Ok(());
    }
    let Some(records) = value["Records"].as_array() else {
        return Err(EventError::Unknown);
    };
    for record in records {
        if let Some(message) = record["Sns"]["Message"].as_str() {
            created.extend(objects_created(message)?);
        } else if record["eventSource"] == "aws:s3" && record["s3"].is_object() {
            let name = record["eventName"].as_str().unwrap_or_default();
            if name.starts_with("ObjectCreated:") {
                created.push(s3_record(record)?);
            }
        } else {
            return Err(EventError::Unknown);
        }
    }
    Ok(())
}

/// An object created, from a record of S3's own notification format.
fn s3_record(record: &Value) -> Result<ObjectCreated, EventError> {
    let object = &record["s3"]["object"];
    let key = object["key"].as_str().ok_or(EventError::Incomplete)?;
    Ok(ObjectCreated {
        bucket: text(&record["s3"]["bucket"]["name"]).ok_or(EventError::Incomplete)?,
        key: decode_key(key),
        size: object["size"].as_u64(),
        region: text(&record["awsRegion"]),
        time: text(&record["eventTime"]),
    })
}

fn text(value: &Value) -> Option<String> {
    value.as_str().map(str::to_string)
}

/// A key as S3 notifications write it: URL-encoded, with `+` for a space.
fn decode_key(key: &str) -> String {
    let spaced = key.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests;
