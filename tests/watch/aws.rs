//! The AWS sources and sink against moto's server mode on 127.0.0.1: S3 event notifications
//! from SQS (direct, through SNS, through EventBridge; a message deleted once its matches are
//! delivered), matches published to SNS (read back through a subscribed queue) and imported
//! into Security Hub (read back with `GetFindings`), and an
//! `s3://` prefix polled from the last key seen, across a restart. Skipped with a notice when
//! moto is missing, failed when it is missing under `CI=true`.

use crate::support::*;
use sigil_aws::testing::{Fault, FaultProxy, Moto};
use std::io::Write;
use std::time::Duration;

/// Runs a boto3 snippet against moto; returns its stdout as JSON.
fn boto(moto: &Moto, script: &str) -> serde_json::Value {
    moto.boto(script)
}

/// A compressed CloudTrail file holding `StopLogging` number `n`.
fn trail_object(n: u64) -> Vec<u8> {
    let envelope = format!(r#"{{"Records":[{},{}]}}"#, harmless(n), stop_logging(n));
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(envelope.as_bytes()).unwrap();
    gz.finish().unwrap()
}

fn key(region: &str, n: u64) -> String {
    format!(
        "AWSLogs/111122223333/CloudTrail/{region}/2026/10/01/111122223333_CloudTrail_{region}_20261001T00{n:02}Z_abcdefghijklmnop.json.gz"
    )
}

/// A watcher reaching moto.
fn watcher(moto: &Moto, args: &[&str]) -> Watcher {
    Watcher::start_with(args, &Moto::env(&moto.endpoint()))
}

#[test]
fn sqs_notifications_are_scanned_and_deleted_once_delivered() {
    let Some(moto) =
        Moto::start_or_skip("sqs_notifications_are_scanned_and_deleted_once_delivered")
    else {
        return;
    };
    moto.create_bucket("trail").unwrap();
    for n in 1..=3 {
        moto.put("trail", &key("us-east-1", n), &trail_object(n))
            .unwrap();
    }
    let queue = boto(
        &moto,
        "print(json.dumps(boto3.client('sqs').create_queue(QueueName='events')['QueueUrl']))",
    );
    let queue = queue.as_str().unwrap().to_string();
    let s3_event = |n: u64| {
        serde_json::json!({"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
            "eventTime": "2026-10-01T00:05:00.000Z", "eventName": "ObjectCreated:Put",
            "s3": {"bucket": {"name": "trail"}, "object": {"key": key("us-east-1", n), "size": 100}}}]})
        .to_string()
    };
    let through_sns = serde_json::json!({"Type": "Notification", "MessageId": "m", "TopicArn": "arn:aws:sns:us-east-1:123456789012:t",
        "Message": s3_event(2)}).to_string();
    let eventbridge = serde_json::json!({"version": "0", "source": "aws.s3", "detail-type": "Object Created",
        "detail": {"bucket": {"name": "trail"}, "object": {"key": key("us-east-1", 3), "size": 100}}}).to_string();
    let test_event = r#"{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-10-01T00:00:00.000Z","Bucket":"trail"}"#;
    let bodies = serde_json::json!([
        s3_event(1),
        through_sns,
        eventbridge,
        test_event,
        "not a notification"
    ]);
    let send = format!(
        "sqs = boto3.client('sqs')\nfor body in json.loads({:?}): sqs.send_message(QueueUrl='{queue}', MessageBody=body)\nprint('null')",
        bodies.to_string()
    );
    boto(&moto, &send);
    let endpoint = moto.endpoint();
    let watcher = watcher(
        &moto,
        &[
            "-r",
            pack().to_str().unwrap(),
            "--sqs-queue",
            &queue,
            "--endpoint-url",
            &endpoint,
        ],
    );
    let mut ids: Vec<String> = watcher.lines(3).iter().map(event_id).collect();
    ids.sort();
    assert_eq!(ids, ["e-1", "e-2", "e-3"]);
    let counts = format!(
        "a = boto3.client('sqs').get_queue_attributes(QueueUrl='{queue}', AttributeNames=['All'])['Attributes']\n\
         print(int(a['ApproximateNumberOfMessages']) + int(a['ApproximateNumberOfMessagesNotVisible']))"
    );
    // Every notification deleted once delivered; the one that is none is left for redrive.
    wait_until(
        || boto(&moto, &counts) == 1,
        "four messages deleted",
        || watcher.errors(),
    );
    watcher.wait_stderr("left in the queue");
    assert_eq!(watcher.stop(), Some(0));
}

#[test]
fn matches_are_published_to_sns_with_a_subject() {
    let Some(moto) = Moto::start_or_skip("matches_are_published_to_sns_with_a_subject") else {
        return;
    };
    let setup = "sns = boto3.client('sns'); sqs = boto3.client('sqs')\n\
        topic = sns.create_topic(Name='alerts')['TopicArn']\n\
        url = sqs.create_queue(QueueName='inbox')['QueueUrl']\n\
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=['QueueArn'])['Attributes']['QueueArn']\n\
        sns.subscribe(TopicArn=topic, Protocol='sqs', Endpoint=arn)\n\
        print(json.dumps({'topic': topic, 'queue': url}))";
    let made = boto(&moto, setup);
    let (topic, inbox) = (
        made["topic"].as_str().unwrap(),
        made["queue"].as_str().unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("trail.jsonl");
    let endpoint = moto.endpoint();
    let watcher = watcher(
        &moto,
        &[
            "-r",
            pack().to_str().unwrap(),
            "--sns-topic",
            topic,
            "--endpoint-url",
            &endpoint,
            "--poll-ms",
            "20",
            log.to_str().unwrap(),
        ],
    );
    append(
        &log,
        &format!(
            "{}\n{}\n{}\n",
            harmless(1),
            stop_logging(1),
            stop_logging(2)
        ),
    );
    let read = format!(
        "sqs = boto3.client('sqs')\nout = []\nfor m in sqs.receive_message(QueueUrl='{inbox}', MaxNumberOfMessages=10, WaitTimeSeconds=1).get('Messages', []):\n    \
         out.append(json.loads(m['Body'])); sqs.delete_message(QueueUrl='{inbox}', ReceiptHandle=m['ReceiptHandle'])\nprint(json.dumps(out))"
    );
    let mut received = Vec::new();
    wait_until(
        || {
            received.extend(boto(&moto, &read).as_array().cloned().unwrap_or_default());
            received.len() >= 2
        },
        "two SNS messages",
        || watcher.errors(),
    );
    let mut ids = Vec::new();
    for notification in &received {
        assert_eq!(
            notification["Subject"],
            "[high] AWS CloudTrail logging stopped (111122223333 us-east-1)"
        );
        let m: serde_json::Value =
            serde_json::from_str(notification["Message"].as_str().unwrap()).unwrap();
        assert_eq!(m["id"].as_str().unwrap().len(), 32);
        ids.push(event_id(&m));
    }
    ids.sort();
    assert_eq!(ids, ["e-1", "e-2"]);
    assert_eq!(watcher.stop(), Some(0));
}

/// Every finding moto's Security Hub holds.
fn findings(moto: &Moto) -> Vec<serde_json::Value> {
    let all = boto(
        moto,
        "sh = boto3.client('securityhub')\nout = []\n\
         for page in sh.get_paginator('get_findings').paginate():\n    out += page['Findings']\n\
         print(json.dumps(out))",
    );
    all.as_array().cloned().unwrap_or_default()
}

#[test]
fn matches_are_imported_into_security_hub_as_asff_findings() {
    let Some(moto) = Moto::start_or_skip("matches_are_imported_into_security_hub_as_asff_findings")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("trail.jsonl");
    // Security Hub refuses the first two imports: the watcher says so, waits and tries again.
    let proxy = FaultProxy::start(moto.port).unwrap();
    proxy.inject("/findings/import", Fault::AccessDenied, 2);
    let (endpoint, rules) = (proxy.endpoint(), pack());
    let args = [
        "-r",
        rules.to_str().unwrap(),
        "--security-hub",
        "--endpoint-url",
        &endpoint,
        "--poll-ms",
        "20",
        log.to_str().unwrap(),
    ];
    let watcher = watcher(&moto, &args);
    append(&log, &format!("{}\n{}\n", harmless(1), stop_logging(1)));
    watcher.wait_stderr("trying again (the watcher waits)");
    let mut found = Vec::new();
    wait_until(
        || {
            found = findings(&moto);
            !found.is_empty()
        },
        "a Security Hub finding",
        || watcher.errors(),
    );
    assert_eq!(watcher.stop(), Some(0));
    assert_eq!(found.len(), 1, "{found:?}");
    let f = &found[0];
    assert_eq!(f["SchemaVersion"], "2018-10-08");
    assert_eq!(
        f["ProductArn"],
        "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default"
    );
    assert_eq!(f["AwsAccountId"], "123456789012");
    assert_eq!(f["Title"], "AWS CloudTrail logging stopped");
    assert_eq!(f["Severity"]["Label"], "HIGH");
    assert_eq!(f["CreatedAt"], "2026-10-01T00:00:01Z");
    assert!(f["Types"][0].as_str().unwrap().starts_with("TTPs/"), "{f}");
    let resources: Vec<&str> = f["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Id"].as_str().unwrap())
        .collect();
    assert!(
        resources.contains(&"AWS::::Account:111122223333"),
        "{resources:?}"
    );
    assert_eq!(f["ProductFields"]["sigil/match/id"], f["Id"]);
    let imports = proxy
        .requests()
        .iter()
        .filter(|r| r.contains("/findings/import"))
        .count();
    assert_eq!(imports, 3);
}

#[test]
fn an_s3_prefix_is_polled_from_the_last_key_seen_across_a_restart() {
    let Some(moto) =
        Moto::start_or_skip("an_s3_prefix_is_polled_from_the_last_key_seen_across_a_restart")
    else {
        return;
    };
    moto.create_bucket("trail").unwrap();
    // Already there at the first start: history, left to `sigil hunt`.
    moto.put("trail", &key("us-east-1", 1), &trail_object(1))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let endpoint = moto.endpoint();
    let rules = pack();
    let args = [
        "-r",
        rules.to_str().unwrap(),
        "--state",
        state.to_str().unwrap(),
        "--endpoint-url",
        &endpoint,
        "--s3-poll-ms",
        "300",
        "s3://trail/AWSLogs/",
    ];
    let first = watcher(&moto, &args);
    std::thread::sleep(Duration::from_millis(1500));
    moto.put("trail", &key("us-east-1", 2), &trail_object(2))
        .unwrap();
    assert_eq!(event_id(&first.lines(1)[0]), "e-2");
    // A new region: a new stream, read from its start.
    moto.put("trail", &key("eu-west-1", 3), &trail_object(3))
        .unwrap();
    let m = first.lines(1);
    assert_eq!(event_id(&m[0]), "e-3");
    assert!(
        m[0]["source"]["path"]
            .as_str()
            .unwrap()
            .starts_with("s3://trail/AWSLogs/111122223333/CloudTrail/eu-west-1/")
    );
    assert_eq!(first.stop(), Some(0));
    moto.put("trail", &key("us-east-1", 4), &trail_object(4))
        .unwrap();
    let second = watcher(&moto, &args);
    assert_eq!(event_id(&second.lines(1)[0]), "e-4");
    assert!(
        second.line(Duration::from_millis(1500)).is_none(),
        "nothing read twice"
    );
    assert_eq!(second.stop(), Some(0));
}
