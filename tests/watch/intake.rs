//! The HTTP intake: every payload shape, answered once delivered; health and metrics.

use crate::support::*;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use std::io::Write;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

#[test]
fn every_payload_shape_is_scanned_and_answered_after_delivery() {
    let watcher = Watcher::start(&["-r", pack().to_str().unwrap(), "--listen", "127.0.0.1:0"]);
    let address = watcher.address();

    // NDJSON: answered 200 once its match is out.
    let ndjson = format!("{}\n{}\n", harmless(1), stop_logging(1));
    let (status, body) = http(
        address,
        "POST",
        "/events",
        &[("x-request-id", "req-1")],
        ndjson.as_bytes(),
    );
    assert_eq!((status, body.as_str()), (200, r#"{"status":"delivered"}"#));
    let m = watcher.lines(1);
    assert_eq!(event_id(&m[0]), "e-1");
    assert_eq!(
        m[0]["source"]["path"],
        format!("http://{address}/events/req-1")
    );
    assert_eq!(m[0]["source"]["record"], 2);

    // A JSON array, gzip-compressed.
    let array = format!("[{},{}]", stop_logging(2), harmless(2));
    let (status, _) = http(address, "POST", "/events", &[], &gzip(array.as_bytes()));
    assert_eq!(status, 200);
    assert_eq!(event_id(&watcher.lines(1)[0]), "e-2");

    // Kinesis Data Firehose: base64 records, the documented answer.
    let records = format!(
        r#"[{{"data":"{}"}},{{"data":"{}"}}]"#,
        STANDARD.encode(stop_logging(3)),
        STANDARD.encode(harmless(3))
    );
    let body = format!(r#"{{"requestId":"fh-1","timestamp":1790812800000,"records":{records}}}"#);
    let (status, answer) = http(
        address,
        "POST",
        "/firehose",
        &[("x-amz-firehose-request-id", "fh-1")],
        body.as_bytes(),
    );
    assert_eq!(status, 200);
    let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(answer["requestId"], "fh-1");
    assert!(answer["timestamp"].as_i64().unwrap() > 1_700_000_000_000);
    let m = watcher.lines(1);
    assert_eq!(
        (event_id(&m[0]), m[0]["source"]["path"].as_str()),
        ("e-3".into(), Some("firehose://fh-1"))
    );

    // CloudWatch Logs subscription: base64 gzip; the CloudTrail record inside is told by its
    // content, so the CloudTrail rule matches it; a control message is only acknowledged.
    let data = serde_json::json!({
        "messageType": "DATA_MESSAGE", "owner": "111122223333", "logGroup": "trail",
        "logStream": "111122223333_CloudTrail_us-east-1", "subscriptionFilters": ["all"],
        "logEvents": [{"id": "1", "timestamp": 1790812800000u64, "message": stop_logging(4)}]
    });
    let body = format!(
        r#"{{"awslogs":{{"data":"{}"}}}}"#,
        STANDARD.encode(gzip(data.to_string().as_bytes()))
    );
    let (status, _) = http(address, "POST", "/cloudwatch", &[], body.as_bytes());
    assert_eq!(status, 200);
    let m = watcher.lines(1);
    assert!(
        m[0]["event"].to_string().contains("StopLogging"),
        "{}",
        m[0]
    );
    assert_eq!(m[0]["rule"]["title"], "AWS CloudTrail logging stopped");
    let control = serde_json::json!({"messageType": "CONTROL_MESSAGE", "owner": "CloudwatchLogs", "logGroup": "", "logStream": "",
        "subscriptionFilters": [], "logEvents": [{"id": "", "timestamp": 1, "message": "CWL CONTROL MESSAGE: Checking health of destination"}]});
    let body = format!(
        r#"{{"awslogs":{{"data":"{}"}}}}"#,
        STANDARD.encode(gzip(control.to_string().as_bytes()))
    );
    assert_eq!(
        http(address, "POST", "/cloudwatch", &[], body.as_bytes()).0,
        200
    );

    // Broken payloads are refused with a reason, and the watcher goes on.
    let bad = r#"{"requestId":"fh-2","timestamp":1,"records":[{"data":"***"}]}"#;
    let (status, answer) = http(
        address,
        "POST",
        "/firehose",
        &[("x-amz-firehose-request-id", "fh-2")],
        bad.as_bytes(),
    );
    assert_eq!(status, 400);
    assert!(
        answer.contains(r#""errorMessage":"record 1: data is not base64""#),
        "{answer}"
    );
    let (status, _) = http(address, "POST", "/events", &[], b"{\"not\": closed\n");
    assert_eq!(status, 200);
    assert!(
        watcher
            .line(std::time::Duration::from_millis(300))
            .is_none()
    );

    assert_eq!(
        http(address, "GET", "/healthz", &[], b""),
        (200, "ok".to_string())
    );
    let (status, metrics) = http(address, "GET", "/metrics", &[], b"");
    assert_eq!(status, 200);
    assert!(
        metrics.contains(r#"sigil_matches_total{rule="AWS CloudTrail logging stopped"} 4"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"sigil_intake_requests_total{kind="firehose",status="400"} 1"#),
        "{metrics}"
    );
    assert!(metrics.contains("sigil_bad_records_total 1"), "{metrics}");
    assert!(
        metrics.contains("# TYPE sigil_records_total counter"),
        "{metrics}"
    );
    assert_eq!(watcher.stop(), Some(0));
}
