//! The `sigil-lambda` binary run as Lambda runs it, against a stand-in of the Runtime API
//! (`sigil_aws::testing::runtime_api`), with S3, SNS and SQS served by moto on 127.0.0.1:
//! one test per trigger shape (payloads in the shapes AWS documents), matches read back
//! from the SNS topic through a subscribed SQS queue, non-matches not, and from an
//! EventBridge bus through a rule's SQS target, and from Security Hub (`GetFindings`); a partial batch
//! response when one object of an SQS batch is missing; the init error of a bad rule set.
//! Skipped with a notice when moto is missing, failed when it is missing under `CI=true`.

use base64::Engine as _;
use serde_json::{Value, json};
use sigil_aws::testing::Moto;
use sigil_aws::testing::runtime_api::{Answer, RuntimeApi};
use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long an invocation may take here (objects are a few hundred bytes).
const INVOCATION: Duration = Duration::from_secs(60);

/// The function's process, killed when dropped, and the Runtime API it asks for work.
struct Function {
    child: Child,
    api: RuntimeApi,
}

impl Function {
    /// Starts the binary with `rules`, publishing to `topic`, reaching `moto`.
    fn start(moto: Option<&Moto>, rules: impl AsRef<OsStr>, topic: &str) -> Function {
        Function::start_with(moto, rules, topic, &[])
    }

    /// [`Function::start`] with more environment variables.
    fn start_with(
        moto: Option<&Moto>,
        rules: impl AsRef<OsStr>,
        topic: &str,
        env: &[(&str, &str)],
    ) -> Function {
        let api = RuntimeApi::start().unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_sigil-lambda"));
        if let Some(moto) = moto {
            command.envs(Moto::env(&moto.endpoint()));
        }
        let child = command
            .envs(api.env(512))
            .env("SIGIL_RULES", rules)
            .env("SIGIL_SNS_TOPIC_ARN", topic)
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        Function { child, api }
    }

    /// Invokes the function with `payload`; its answer.
    fn invoke(&mut self, payload: &Value) -> Answer {
        let id = self.api.invoke(&payload.to_string());
        let answer = self.api.answer(INVOCATION).expect("the function answers");
        match &answer {
            Answer::Response { id: to, .. } | Answer::Error { id: to, .. } => assert_eq!(*to, id),
            Answer::InitError(body) => panic!("init failed: {body}"),
        }
        answer
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An SNS topic and the SQS queue subscribed to it (raw delivery off: SNS envelopes).
struct Alerts {
    topic: String,
    inbox: String,
}

impl Alerts {
    fn create(moto: &Moto) -> Alerts {
        let made = moto.boto(
            "sns = boto3.client('sns'); sqs = boto3.client('sqs')\n\
             topic = sns.create_topic(Name='alerts')['TopicArn']\n\
             url = sqs.create_queue(QueueName='inbox')['QueueUrl']\n\
             arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=['QueueArn'])['Attributes']['QueueArn']\n\
             sns.subscribe(TopicArn=topic, Protocol='sqs', Endpoint=arn)\n\
             print(json.dumps({'topic': topic, 'queue': url}))",
        );
        Alerts {
            topic: made["topic"].as_str().unwrap().into(),
            inbox: made["queue"].as_str().unwrap().into(),
        }
    }

    /// Every notification on the topic so far (the publish calls have returned: SNS
    /// delivered to the queue before answering).
    fn received(&self, moto: &Moto) -> Vec<Value> {
        let read = format!(
            "sqs = boto3.client('sqs'); out = []\n\
             while True:\n    \
                 got = sqs.receive_message(QueueUrl='{0}', MaxNumberOfMessages=10).get('Messages', [])\n    \
                 if not got: break\n    \
                 for m in got:\n        \
                     out.append(json.loads(m['Body'])); sqs.delete_message(QueueUrl='{0}', ReceiptHandle=m['ReceiptHandle'])\n\
             print(json.dumps(out))",
            self.inbox
        );
        moto.boto(&read).as_array().cloned().unwrap_or_default()
    }

    /// The `eventID`s of the matched events received, sorted; each notification's subject
    /// checked.
    fn matched_events(&self, moto: &Moto) -> Vec<String> {
        let mut ids: Vec<String> = self
            .received(moto)
            .iter()
            .map(|notification| {
                assert_eq!(
                    notification["Subject"],
                    "[high] AWS CloudTrail trail deleted (210987654321 eu-west-1)"
                );
                let m: Value =
                    serde_json::from_str(notification["Message"].as_str().unwrap()).unwrap();
                assert_eq!(m["id"].as_str().unwrap().len(), 32);
                assert_eq!(m["rule"]["title"], "AWS CloudTrail trail deleted");
                m["event"]["eventID"].as_str().unwrap().to_string()
            })
            .collect();
        ids.sort();
        ids
    }
}

/// A CloudTrail event that deletes a trail (the bundled rule matches it), id `d-<n>`.
fn trail_deleted(n: u32) -> Value {
    json!({"eventVersion": "1.10", "eventTime": "2026-11-30T08:15:00Z", "eventSource": "cloudtrail.amazonaws.com",
        "eventName": "DeleteTrail", "awsRegion": "eu-west-1", "sourceIPAddress": "203.0.113.9",
        "userIdentity": {"type": "AssumedRole", "accountId": "210987654321",
            "arn": "arn:aws:sts::210987654321:assumed-role/ops/mallory"},
        "requestParameters": {"name": "org-trail"}, "eventID": format!("d-{n}"),
        "recipientAccountId": "210987654321"})
}

/// A CloudTrail event no bundled rule matches, id `q-<n>`.
fn quiet(n: u32) -> Value {
    json!({"eventVersion": "1.10", "eventTime": "2026-11-30T08:14:00Z", "eventSource": "ec2.amazonaws.com",
        "eventName": "DescribeVolumes", "awsRegion": "eu-west-1", "sourceIPAddress": "203.0.113.9",
        "userIdentity": {"type": "AssumedRole", "accountId": "210987654321"},
        "eventID": format!("q-{n}"), "recipientAccountId": "210987654321"})
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// The key CloudTrail would give log file `n`.
fn key(n: u32) -> String {
    format!(
        "AWSLogs/210987654321/CloudTrail/eu-west-1/2026/11/30/210987654321_CloudTrail_eu-west-1_20261130T08{n:02}Z_Qm9vdHN0cmFwcGVkMQ.json.gz"
    )
}

/// Stores CloudTrail log file `n` (a quiet event, then a deleted trail `d-<n>`) in `trail`.
fn put_log(moto: &Moto, n: u32) {
    let envelope = json!({"Records": [quiet(n), trail_deleted(n)]});
    moto.put("trail", &key(n), &gzip(envelope.to_string().as_bytes()))
        .unwrap();
}

/// An S3 event notification record for log file `n`, as S3 sends it (key URL-encoded).
fn s3_record(n: u32) -> Value {
    json!({"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "eu-west-1",
        "eventTime": "2026-11-30T08:20:01.512Z", "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": "AWS:AROAEXAMPLEID:regionalDeliverySession"},
        "requestParameters": {"sourceIPAddress": "198.51.100.20"},
        "responseElements": {"x-amz-request-id": "7B2EXAMPLE", "x-amz-id-2": "EXAMPLEid2"},
        "s3": {"s3SchemaVersion": "1.0", "configurationId": "sigil-new-logs",
            "bucket": {"name": "trail", "ownerIdentity": {"principalId": "A1EXAMPLE"}, "arn": "arn:aws:s3:::trail"},
            "object": {"key": key(n), "size": 420, "eTag": "0123456789abcdef0123456789abcdef", "sequencer": "0065EXAMPLE"}}})
}

fn s3_event(n: u32) -> Value {
    json!({"Records": [s3_record(n)]})
}

fn pack() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules")
}

/// Moto with a trail bucket and an alert topic, and the function started on the pack.
fn scene(test: &str) -> Option<(Moto, Alerts, Function)> {
    scene_with(test, |_| pack().into_os_string().into_string().unwrap())
}

/// [`scene`], the function's `SIGIL_RULES` being what `rules` makes of moto.
fn scene_with(test: &str, rules: impl Fn(&Moto) -> String) -> Option<(Moto, Alerts, Function)> {
    let moto = Moto::start_or_skip(test)?;
    moto.create_bucket("trail").unwrap();
    let alerts = Alerts::create(&moto);
    let function = Function::start(Some(&moto), rules(&moto), &alerts.topic);
    Some((moto, alerts, function))
}

fn response(answer: Answer) -> Value {
    match answer {
        Answer::Response { body, .. } => body,
        other => panic!("expected a response, got {other:?}"),
    }
}

#[test]
fn s3_notification_sent_to_the_function() {
    let Some((moto, alerts, mut function)) = scene("s3_notification_sent_to_the_function") else {
        return;
    };
    put_log(&moto, 1);
    put_log(&moto, 2);
    let event = json!({"Records": [s3_record(1), s3_record(2)]});
    assert_eq!(response(function.invoke(&event)), json!({"objects": 2}));
    assert_eq!(alerts.matched_events(&moto), ["d-1", "d-2"]);
    // The same object again (a retry): the same match ids.
    let ids = |function: &mut Function| {
        function.invoke(&s3_event(1));
        let received = alerts.received(&moto);
        let message =
            |n: &Value| -> Value { serde_json::from_str(n["Message"].as_str().unwrap()).unwrap() };
        received
            .iter()
            .map(|n| message(n)["id"].clone())
            .collect::<Vec<_>>()
    };
    let first = ids(&mut function);
    assert_eq!(first.len(), 1);
    assert_eq!(first, ids(&mut function));
}

#[test]
fn s3_notification_through_sns() {
    let Some((moto, alerts, mut function)) = scene("s3_notification_through_sns") else {
        return;
    };
    put_log(&moto, 3);
    let event = json!({"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0",
        "EventSubscriptionArn": "arn:aws:sns:eu-west-1:210987654321:trail-news:5d1e",
        "Sns": {"Type": "Notification", "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
            "TopicArn": "arn:aws:sns:eu-west-1:210987654321:trail-news", "Subject": "Amazon S3 Notification",
            "Message": s3_event(3).to_string(), "Timestamp": "2026-11-30T08:20:02.000Z",
            "SignatureVersion": "1", "Signature": "EXAMPLE", "SigningCertUrl": "EXAMPLE",
            "UnsubscribeUrl": "EXAMPLE", "MessageAttributes": {}}}]});
    assert_eq!(response(function.invoke(&event)), json!({"objects": 1}));
    assert_eq!(alerts.matched_events(&moto), ["d-3"]);
}

#[test]
fn s3_object_created_through_eventbridge_and_matches_put_on_a_bus() {
    let Some(moto) =
        Moto::start_or_skip("s3_object_created_through_eventbridge_and_matches_put_on_a_bus")
    else {
        return;
    };
    moto.create_bucket("trail").unwrap();
    let alerts = Alerts::create(&moto);
    // An event bus whose rule sends Sigil's events to a queue.
    let bus_inbox = moto.boto(
        "ev = boto3.client('events'); sqs = boto3.client('sqs')\n\
         ev.create_event_bus(Name='detections')\n\
         url = sqs.create_queue(QueueName='bus-inbox')['QueueUrl']\n\
         arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=['QueueArn'])['Attributes']['QueueArn']\n\
         ev.put_rule(Name='sigil', EventBusName='detections', EventPattern=json.dumps({'source': ['sigil']}))\n\
         ev.put_targets(Rule='sigil', EventBusName='detections', Targets=[{'Id': 'q', 'Arn': arn}])\n\
         print(json.dumps(url))",
    );
    let mut function = Function::start_with(
        Some(&moto),
        pack(),
        &alerts.topic,
        &[("SIGIL_EVENT_BUS", "detections")],
    );
    put_log(&moto, 4);
    let event = json!({"version": "0", "id": "17793124-05d4-b198-2fde-7ededc63b103",
        "detail-type": "Object Created", "source": "aws.s3", "account": "210987654321",
        "time": "2026-11-30T08:20:01Z", "region": "eu-west-1", "resources": ["arn:aws:s3:::trail"],
        "detail": {"version": "0", "bucket": {"name": "trail"},
            "object": {"key": key(4), "size": 420, "etag": "0123456789abcdef0123456789abcdef", "sequencer": "0065EXAMPLE"},
            "request-id": "N4N7GDK58NMKJ12R", "requester": "210987654321", "source-ip-address": "198.51.100.20",
            "reason": "PutObject"}});
    assert_eq!(response(function.invoke(&event)), json!({"objects": 1}));
    assert_eq!(alerts.matched_events(&moto), ["d-4"]);
    let on_bus = Alerts {
        topic: String::new(),
        inbox: bus_inbox.as_str().unwrap().into(),
    }
    .received(&moto);
    assert_eq!(on_bus.len(), 1, "{on_bus:?}");
    assert_eq!(on_bus[0]["source"], "sigil");
    assert_eq!(on_bus[0]["detail-type"], "AWS CloudTrail trail deleted");
    assert_eq!(on_bus[0]["detail"]["event"]["eventID"], "d-4");
    assert_eq!(
        on_bus[0]["resources"][0],
        format!("arn:aws:s3:::trail/{}", key(4))
    );
}

#[test]
fn sqs_batch_answers_with_the_messages_that_failed() {
    let Some((moto, alerts, mut function)) =
        scene("sqs_batch_answers_with_the_messages_that_failed")
    else {
        return;
    };
    put_log(&moto, 5);
    put_log(&moto, 7);
    // Log file 6 is announced but missing; message m-0 is S3's test event (no object).
    let test_event = json!({"Service": "Amazon S3", "Event": "s3:TestEvent",
        "Time": "2026-11-30T08:00:00.000Z", "Bucket": "trail", "RequestId": "R", "HostId": "H"});
    let bodies = [test_event, s3_event(5), s3_event(6), s3_event(7)];
    let records: Vec<Value> = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| {
            json!({"messageId": format!("m-{i}"), "receiptHandle": format!("handle-{i}"),
                "body": body.to_string(),
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1796026801512",
                    "SenderId": "AIDAEXAMPLE", "ApproximateFirstReceiveTimestamp": "1796026801530"},
                "messageAttributes": {}, "md5OfBody": "00000000000000000000000000000000",
                "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:eu-west-1:210987654321:trail-news",
                "awsRegion": "eu-west-1"})
        })
        .collect();
    let answer = response(function.invoke(&json!({"Records": records})));
    assert_eq!(
        answer,
        json!({"batchItemFailures": [{"itemIdentifier": "m-2"}]})
    );
    assert_eq!(alerts.matched_events(&moto), ["d-5", "d-7"]);
}

#[test]
fn cloudwatch_logs_subscription_with_rules_read_from_s3() {
    let rules_in_s3 = |moto: &Moto| {
        moto.create_bucket("rule-store").unwrap();
        let rule = "cloudtrail/aws_cloudtrail_trail_deleted.yml";
        let text = std::fs::read(pack().join(rule)).unwrap();
        moto.put("rule-store", &format!("sigil/{rule}"), &text)
            .unwrap();
        moto.put("rule-store", "sigil/README.md", b"# not a rule")
            .unwrap();
        "s3://rule-store/sigil/".to_string()
    };
    let Some((moto, alerts, mut function)) = scene_with(
        "cloudwatch_logs_subscription_with_rules_read_from_s3",
        rules_in_s3,
    ) else {
        return;
    };
    let payload = |data: Value| {
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(gzip(data.to_string().as_bytes()));
        json!({"awslogs": {"data": encoded}})
    };
    let events: Vec<Value> = [quiet(8), trail_deleted(8)]
        .iter()
        .enumerate()
        .map(|(i, event)| {
            json!({"id": format!("3795301660696698337880902507980421114328961542429822156{i}"),
            "timestamp": 1796026500000u64, "message": event.to_string()})
        })
        .collect();
    let data = json!({"messageType": "DATA_MESSAGE", "owner": "210987654321",
        "logGroup": "aws-cloudtrail-logs-210987654321", "logStream": "210987654321_CloudTrail_eu-west-1",
        "subscriptionFilters": ["sigil"], "logEvents": events});
    assert_eq!(
        response(function.invoke(&payload(data))),
        json!({"control_messages": 0})
    );
    assert_eq!(alerts.matched_events(&moto), ["d-8"]);
    let control = json!({"messageType": "CONTROL_MESSAGE", "owner": "CloudwatchLogs", "logGroup": "",
        "logStream": "", "subscriptionFilters": [], "logEvents": [{"id": "", "timestamp": 1796026500000u64,
        "message": "CWL CONTROL MESSAGE: Checking health of destination Lambda function."}]});
    assert_eq!(
        response(function.invoke(&payload(control))),
        json!({"control_messages": 1})
    );
    assert!(alerts.received(&moto).is_empty());
}

#[test]
fn a_rule_set_that_does_not_load_fails_the_init() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("broken.yml"),
        "title: broken\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel: {eventName: X}\n  condition: sel and nothing\n",
    )
    .unwrap();
    let mut function = Function::start(None, dir.path(), "arn:aws:sns:eu-west-1:210987654321:none");
    let answer = function.api.answer(INVOCATION).expect("an init error");
    let Answer::InitError(body) = answer else {
        panic!("expected an init error, got {answer:?}");
    };
    assert_eq!(body["errorType"], "Runtime.InitError");
    let message = body["errorMessage"].as_str().unwrap();
    assert!(message.contains("broken.yml"), "{message}");
    let started = Instant::now();
    while function.child.try_wait().unwrap().is_none() {
        assert!(started.elapsed() < INVOCATION, "the function exits");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(function.child.wait().unwrap().code(), Some(1));
    assert!(function.api.first_next().is_none());
}

#[test]
fn matches_are_imported_into_security_hub_once_per_match() {
    let Some(moto) = Moto::start_or_skip("matches_are_imported_into_security_hub_once_per_match")
    else {
        return;
    };
    moto.create_bucket("trail").unwrap();
    let alerts = Alerts::create(&moto);
    // As deploy/template.yaml sets it with SecurityHub=true.
    let product = "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default";
    let mut function = Function::start_with(
        Some(&moto),
        pack(),
        &alerts.topic,
        &[("SIGIL_SECURITYHUB", product)],
    );
    put_log(&moto, 8);
    let findings = || {
        moto.boto(
            "sh = boto3.client('securityhub')\nout = []\n\
             for page in sh.get_paginator('get_findings').paginate():\n    out += page['Findings']\n\
             print(json.dumps(out))",
        )
        .as_array()
        .cloned()
        .unwrap()
    };
    assert_eq!(
        response(function.invoke(&s3_event(8))),
        json!({"objects": 1})
    );
    let found = findings();
    assert_eq!(found.len(), 1, "{found:?}");
    let f = &found[0];
    assert_eq!(f["ProductArn"], product);
    assert_eq!(f["AwsAccountId"], "123456789012");
    assert_eq!(f["Title"], "AWS CloudTrail trail deleted");
    assert_eq!(f["CreatedAt"], "2026-11-30T08:15:00Z");
    let resources: Vec<(&str, &str)> = f["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["Type"].as_str().unwrap(), r["Id"].as_str().unwrap()))
        .collect();
    let object = format!("arn:aws:s3:::trail/{}", key(8));
    assert!(
        resources.contains(&("AwsS3Object", object.as_str())),
        "{resources:?}"
    );
    assert!(resources.contains(&("AwsAccount", "AWS::::Account:210987654321")));
    assert_eq!(f["Resources"][0]["Region"], "eu-west-1");
    assert_eq!(f["ProductFields"]["sigil/event/account"], "210987654321");
    // The SNS topic got the match too.
    assert_eq!(alerts.matched_events(&moto), ["d-8"]);
    // The same object again (a retry): the finding is updated, not doubled.
    assert_eq!(
        response(function.invoke(&s3_event(8))),
        json!({"objects": 1})
    );
    assert_eq!(findings().len(), 1);
}
