//! What invoked the function, told from the payload itself.
//!
//! ```text
//! {"Records":[{"eventSource":"aws:sqs","messageId":…,"body":…},…]}   an SQS batch: each body an
//!                                                                     S3 notification (any shape)
//! {"awslogs":{"data":"<base64 gzip>"}}                               a CloudWatch Logs subscription
//! {"Records":[{"eventSource":"aws:s3",…}]}                           S3 → Lambda
//! {"Records":[{"EventSource":"aws:sns","Sns":{"Message":…}}]}        S3 → SNS → Lambda
//! {"source":"aws.s3","detail-type":"Object Created",…}               S3 → EventBridge → Lambda
//! ```

use aws_lambda_events::sqs::SqsEvent;
use serde_json::Value;
use sigil_aws::event::{EventError, ObjectCreated, objects_in};
use sigil_watch::payload::{Decoded, PayloadError, decode};

/// One way the function was invoked.
#[derive(Debug)]
pub enum Trigger {
    /// An SQS batch, its messages in order (answered with the ids of those that failed).
    Sqs {
        /// The messages.
        messages: Vec<Message>,
        /// Whether they come from a FIFO queue (whose order a failure must keep: the
        /// messages after a failed one fail too, unread).
        fifo: bool,
    },
    /// A CloudWatch Logs subscription payload, decoded (control messages left out).
    Logs(Decoded),
    /// S3 notifications delivered to the function itself (directly, by SNS or EventBridge).
    Objects(Vec<ObjectCreated>),
}

/// One SQS message.
#[derive(Debug)]
pub struct Message {
    /// Its id (what a partial batch response names).
    pub id: String,
    /// Its body.
    pub body: String,
}

/// A payload that is none of the triggers.
#[derive(Debug, thiserror::Error)]
pub enum TriggerError {
    /// Neither SQS, nor CloudWatch Logs, nor an S3 notification.
    #[error("not a payload sigil-lambda knows: {0}")]
    Unknown(#[from] EventError),
    /// A CloudWatch Logs payload that does not decode.
    #[error("CloudWatch Logs payload: {0}")]
    Logs(#[from] PayloadError),
    /// An SQS batch that does not parse.
    #[error("SQS batch: {0}")]
    Sqs(String),
}

/// Tells what `payload` is.
pub fn recognise(payload: Value) -> Result<Trigger, TriggerError> {
    if payload["awslogs"]["data"].is_string() {
        return Ok(Trigger::Logs(decode(
            payload.to_string().into_bytes(),
            None,
        )?));
    }
    if payload["Records"][0]["eventSource"] == "aws:sqs" {
        let batch: SqsEvent =
            serde_json::from_value(payload).map_err(|e| TriggerError::Sqs(e.to_string()))?;
        let fifo = batch.records.iter().any(|m| {
            m.event_source_arn
                .as_deref()
                .is_some_and(|arn| arn.ends_with(".fifo"))
        });
        let messages = batch
            .records
            .into_iter()
            .map(|m| Message {
                id: m.message_id.unwrap_or_default(),
                body: m.body.unwrap_or_default(),
            })
            .collect();
        return Ok(Trigger::Sqs { messages, fifo });
    }
    Ok(Trigger::Objects(objects_in(&payload)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_shape_is_told_by_its_content() {
        let sqs = json!({"Records": [{"messageId": "m-1", "receiptHandle": "h", "body": "{}",
            "attributes": {}, "messageAttributes": {}, "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:111122223333:q", "awsRegion": "us-east-1"}]});
        let Trigger::Sqs { messages, fifo } = recognise(sqs).unwrap() else {
            panic!()
        };
        assert_eq!(
            (messages[0].id.as_str(), messages[0].body.as_str(), fifo),
            ("m-1", "{}", false)
        );
        let bridge = json!({"version": "0", "source": "aws.s3", "detail-type": "Object Created",
            "region": "us-east-1", "detail": {"bucket": {"name": "trail"}, "object": {"key": "a b.json", "size": 3}}});
        let Trigger::Objects(objects) = recognise(bridge).unwrap() else {
            panic!()
        };
        assert_eq!(objects[0].url(), "s3://trail/a b.json");
        assert!(matches!(
            recognise(json!({"hello": 1})),
            Err(TriggerError::Unknown(_))
        ));
        assert!(matches!(
            recognise(json!({"awslogs": {"data": "not base64!"}})),
            Err(TriggerError::Logs(_))
        ));
    }
}
