//! The payload shapes of the AWS documentation (S3 event message structure, SNS HTTP/SQS
//! notification, Lambda's S3 and SNS events, EventBridge's "Object Created"), with values of
//! our own.

use super::*;

const KEY: &str = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/02/111122223333_CloudTrail_us-east-1_20261102T1005Z_a1b2.json.gz";

/// S3's own notification (event version 2.1), as sent to SQS or a Lambda function.
fn s3_notification(event_name: &str, key: &str) -> String {
    serde_json::json!({
        "Records": [{
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": "us-east-1",
            "eventTime": "2026-11-02T10:05:12.345Z",
            "eventName": event_name,
            "userIdentity": {"principalId": "AWS:AIDAEXAMPLE"},
            "requestParameters": {"sourceIPAddress": "198.51.100.7"},
            "responseElements": {"x-amz-request-id": "4C2B1A", "x-amz-id-2": "abc/def"},
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": "new-trail-logs",
                "bucket": {
                    "name": "trail-bucket",
                    "ownerIdentity": {"principalId": "A3EXAMPLE"},
                    "arn": "arn:aws:s3:::trail-bucket"
                },
                "object": {"key": key, "size": 4096, "eTag": "0f1e2d", "sequencer": "0066A1B2C3"}
            }
        }]
    })
    .to_string()
}

fn trail_object() -> ObjectCreated {
    ObjectCreated {
        bucket: "trail-bucket".into(),
        key: KEY.into(),
        size: Some(4096),
        region: Some("us-east-1".into()),
        time: Some("2026-11-02T10:05:12.345Z".into()),
    }
}

#[test]
fn direct_notifications_name_the_created_objects() {
    let body = s3_notification("ObjectCreated:Put", KEY);
    assert_eq!(objects_created(&body).unwrap(), [trail_object()]);
    let multipart = s3_notification("ObjectCreated:CompleteMultipartUpload", KEY);
    assert_eq!(objects_created(&multipart).unwrap().len(), 1);
}

#[test]
fn other_events_and_test_events_name_nothing() {
    let removed = s3_notification("ObjectRemoved:Delete", KEY);
    assert_eq!(objects_created(&removed).unwrap(), []);
    let test = r#"{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-11-02T10:00:00.000Z",
        "Bucket":"trail-bucket","RequestId":"5582815E1AEA5ADF","HostId":"8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE"}"#;
    assert_eq!(objects_created(test).unwrap(), []);
}

#[test]
fn keys_are_url_decoded() {
    let body = s3_notification("ObjectCreated:Put", "logs/a+b%2Bc%C3%A9%3A1.json");
    assert_eq!(objects_created(&body).unwrap()[0].key, "logs/a b+cé:1.json");
}

#[test]
fn sns_envelopes_are_unwrapped() {
    // As SNS delivers to an SQS queue (raw message delivery off): the S3 JSON as a string.
    let sqs_body = serde_json::json!({
        "Type": "Notification",
        "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
        "TopicArn": "arn:aws:sns:us-east-1:111122223333:trail-logs",
        "Subject": "Amazon S3 Notification",
        "Message": s3_notification("ObjectCreated:Put", KEY),
        "Timestamp": "2026-11-02T10:05:13.001Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLE",
        "SigningCertURL": "https://sns.us-east-1.amazonaws.com/cert.pem",
        "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe"
    })
    .to_string();
    assert_eq!(objects_created(&sqs_body).unwrap(), [trail_object()]);
    // As Lambda receives an SNS trigger.
    let lambda_event = serde_json::json!({
        "Records": [{
            "EventVersion": "1.0",
            "EventSubscriptionArn": "arn:aws:sns:us-east-1:111122223333:trail-logs:2bcfbf39",
            "EventSource": "aws:sns",
            "Sns": {
                "Type": "Notification",
                "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
                "TopicArn": "arn:aws:sns:us-east-1:111122223333:trail-logs",
                "Subject": "Amazon S3 Notification",
                "Message": s3_notification("ObjectCreated:Put", KEY),
                "Timestamp": "2026-11-02T10:05:13.001Z",
                "MessageAttributes": {}
            }
        }]
    })
    .to_string();
    assert_eq!(objects_created(&lambda_event).unwrap(), [trail_object()]);
}

#[test]
fn eventbridge_events_are_read_without_decoding() {
    let event = |detail_type: &str| {
        serde_json::json!({
            "version": "0",
            "id": "17793124-05d4-b198-2fde-7ededc63b103",
            "detail-type": detail_type,
            "source": "aws.s3",
            "account": "111122223333",
            "time": "2026-11-02T10:05:12Z",
            "region": "us-east-1",
            "resources": ["arn:aws:s3:::trail-bucket"],
            "detail": {
                "version": "0",
                "bucket": {"name": "trail-bucket"},
                "object": {"key": "raw/a+b:c.json.gz", "size": 99, "etag": "b1946ac9", "sequencer": "00617F08299329D189"},
                "request-id": "N4N7GDK58NMKJ12R",
                "requester": "111122223333",
                "source-ip-address": "198.51.100.7",
                "reason": "PutObject"
            }
        })
        .to_string()
    };
    let created = objects_created(&event("Object Created")).unwrap();
    assert_eq!(
        created,
        [ObjectCreated {
            bucket: "trail-bucket".into(),
            key: "raw/a+b:c.json.gz".into(),
            size: Some(99),
            region: Some("us-east-1".into()),
            time: Some("2026-11-02T10:05:12Z".into()),
        }]
    );
    assert_eq!(objects_created(&event("Object Deleted")).unwrap(), []);
}

#[test]
fn other_messages_are_errors() {
    assert!(matches!(
        objects_created("not json"),
        Err(EventError::Json(_))
    ));
    assert_eq!(objects_created(r#"{"hello":1}"#), Err(EventError::Unknown));
    // CloudTrail's envelope also has `Records`, but its records are no S3 events.
    let trail = r#"{"Records":[{"eventVersion":"1.08","eventSource":"s3.amazonaws.com"}]}"#;
    assert_eq!(objects_created(trail), Err(EventError::Unknown));
    let keyless = r#"{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{}}}]}"#;
    assert_eq!(objects_created(keyless), Err(EventError::Incomplete));
}
