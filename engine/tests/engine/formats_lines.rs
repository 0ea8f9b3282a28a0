//! Hand-written lines for every text format: every documented field under its name and type,
//! and the awkward cases (quoted fields with spaces and `\"`, `-`, URL-encoding, missing trailing
//! fields, header-less and repeated VPC headers, IPv6, NODATA rows, CloudFront with and without
//! `#Fields`, broken lines with their reasons).

use serde_json::{Value, json};
use sigil_engine::RecordSource;
use sigil_engine::formats::{LineError, LineKind, TextFormat, TextReader, detect};

/// Reads `log` (detected) line by line; returns the records and the errors, in order.
fn read(log: &str) -> (Vec<(Value, RecordSource)>, Vec<LineError>) {
    let format = detect(None, log.as_bytes()).unwrap_or_else(|| panic!("not detected: {log}"));
    read_as(format, log)
}

fn read_as(format: TextFormat, log: &str) -> (Vec<(Value, RecordSource)>, Vec<LineError>) {
    let mut reader = TextReader::new(format);
    let (mut records, mut errors) = (Vec::new(), Vec::new());
    for line in log.split('\n') {
        let mut out = Vec::new();
        match reader.read_line(line.as_bytes(), &mut out) {
            Ok(LineKind::Record(source)) => {
                records.push((serde_json::from_slice(&out).unwrap(), source));
            }
            Ok(_) => assert!(out.is_empty()),
            Err(error) => {
                assert!(out.is_empty(), "nothing written on error");
                errors.push(error);
            }
        }
    }
    (records, errors)
}

/// The only record of `log`, which must read without error.
fn only(log: &str) -> Value {
    let (records, errors) = read(log);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(records.len(), 1);
    records.into_iter().next().unwrap().0
}

/// Checks that `record` has exactly the members of `expected` (name, value).
fn assert_members(record: &Value, expected: Value) {
    assert_eq!(record, &expected, "\n got: {record:#}\nwant: {expected:#}");
}

#[test]
fn vpc_flow_every_field_through_version_8() {
    let header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets \
                  bytes start end action log-status vpc-id subnet-id instance-id tcp-flags type \
                  pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id \
                  pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path \
                  ecs-cluster-arn ecs-cluster-name ecs-container-instance-arn \
                  ecs-container-instance-id ecs-container-id ecs-second-container-id \
                  ecs-service-name ecs-task-definition-arn ecs-task-arn ecs-task-id reject-reason";
    let line = "8 123456789012 eni-0a1 10.0.1.5 2001:db8::7 443 49152 6 10 8400 1700000000 \
                1700000060 REJECT OK vpc-1 subnet-1 i-1 18 IPv6 10.0.1.5 2001:db8::7 us-east-1 \
                use1-az1 wavelength wl-1 S3 AMAZON egress 8 arn:aws:ecs:c cluster arn:aws:ecs:ci \
                ci-1 c-1 c-2 svc arn:aws:ecs:td arn:aws:ecs:t t-1 BPA";
    let record = only(&format!("{header}\n{line}"));
    assert_members(
        &record,
        json!({
            "version": 8, "account-id": "123456789012", "interface-id": "eni-0a1",
            "srcaddr": "10.0.1.5", "dstaddr": "2001:db8::7", "srcport": 443, "dstport": 49152,
            "protocol": 6, "packets": 10, "bytes": 8400, "start": 1700000000, "end": 1700000060,
            "action": "REJECT", "log-status": "OK", "vpc-id": "vpc-1", "subnet-id": "subnet-1",
            "instance-id": "i-1", "tcp-flags": 18, "type": "IPv6", "pkt-srcaddr": "10.0.1.5",
            "pkt-dstaddr": "2001:db8::7", "region": "us-east-1", "az-id": "use1-az1",
            "sublocation-type": "wavelength", "sublocation-id": "wl-1",
            "pkt-src-aws-service": "S3", "pkt-dst-aws-service": "AMAZON",
            "flow-direction": "egress", "traffic-path": 8, "ecs-cluster-arn": "arn:aws:ecs:c",
            "ecs-cluster-name": "cluster", "ecs-container-instance-arn": "arn:aws:ecs:ci",
            "ecs-container-instance-id": "ci-1", "ecs-container-id": "c-1",
            "ecs-second-container-id": "c-2", "ecs-service-name": "svc",
            "ecs-task-definition-arn": "arn:aws:ecs:td", "ecs-task-arn": "arn:aws:ecs:t",
            "ecs-task-id": "t-1", "reject-reason": "BPA", "timestamp": "2023-11-14T22:13:20Z"
        }),
    );
    // The same line without its header is the documented 40-field layout.
    assert_eq!(only(line), record);
}

#[test]
fn vpc_flow_awkward_lines() {
    // Header-less default format, a NODATA row, IPv6, CRLF line ends.
    let (records, errors) = read(
        "2 123456789010 eni-1 - - - - - - - 1431280876 1431280934 - NODATA\r\n\
         2 123456789010 eni-1 2001:db8::1 2001:db8::2 34892 22 6 54 8855 1477913708 1477913820 ACCEPT OK\r\n",
    );
    assert!(errors.is_empty(), "{errors:?}");
    assert_members(
        &records[0].0,
        json!({"version": 2, "account-id": "123456789010", "interface-id": "eni-1",
               "start": 1431280876, "end": 1431280934, "log-status": "NODATA",
               "timestamp": "2015-05-10T18:01:16Z"}),
    );
    assert_eq!(records[1].0["dstaddr"], "2001:db8::2");

    // Headers change the layout for the lines after them; CloudWatch's `${field}` notation.
    let (records, errors) = read(
        "version srcaddr dstport action\n2 10.0.0.1 22 ACCEPT\n\
         ${instance-id} ${dstport}\ni-0abc 3389\n",
    );
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        records[0].0,
        json!({"version": 2, "srcaddr": "10.0.0.1", "dstport": 22, "action": "ACCEPT"})
    );
    assert_eq!(
        records[1].0,
        json!({"instance-id": "i-0abc", "dstport": 3389})
    );

    // A value that is not a number where one belongs stays a string.
    let record = only("version dstport bytes\n2 22 lots");
    assert_eq!(record["bytes"], "lots");

    // Bad lines: counts off the header, unknown header-less layouts, values that do not fit.
    let (records, errors) = read("version dstport\n2 22 extra\n2 23\n");
    assert_eq!(records.len(), 1);
    assert_eq!(
        errors,
        [LineError::FieldCount {
            found: 3,
            expected: 2
        }]
    );
    let (_, errors) = read_as(
        TextFormat::VpcFlow(None),
        "2 1 2 3\nx 123 eni-1 - - - - - - - 1 2 - NODATA",
    );
    assert_eq!(
        errors,
        [
            LineError::UnknownVpcLayout { found: 4 },
            LineError::UnknownVpcLayout { found: 14 }
        ]
    );
    // Bytes that are not UTF-8 are replaced, never refused.
    let mut out = Vec::new();
    let mut reader = TextReader::new(TextFormat::VpcFlow(None));
    reader.read_line(b"version account-id", &mut out).unwrap();
    reader.read_line(b"2 acc\xffount", &mut out).unwrap();
    let record: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(record["account-id"], "acc\u{fffd}ount");
}

const ALB_LINE: &str = r#"h2 2024-03-01T10:00:00.123456Z app/lb/0123 [2001:db8::9]:5555 10.0.0.7:8080 0.001 0.020 0.000 502 200 300 4000 "POST https://api.example.com:443/a%20b?q=\"x\" y HTTP/2.0" "Mozilla/5.0 (X11; \"quoted\")" TLS_AES_128_GCM_SHA256 TLSv1.3 arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/tg/1 "Root=1-65e1a7f0-abc" "api.example.com" "arn:aws:acm:us-east-1:1:certificate/c" 5 2024-03-01T10:00:00.100000Z "waf,forward" "-" "TargetResponseError" "10.0.0.7:8080" "200" "Ambiguous" "UndefinedContentLengthSemantics" TID_0a1b "new.example.com" "/rewritten" "TRANSFORMED" "future field""#;

#[test]
fn alb_every_field() {
    let (records, errors) = read(ALB_LINE);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(records[0].1, RecordSource::Alb);
    assert_members(
        &records[0].0,
        json!({
            "type": "h2", "time": "2024-03-01T10:00:00.123456Z", "elb": "app/lb/0123",
            "client:port": "[2001:db8::9]:5555", "client_ip": "2001:db8::9", "client_port": 5555,
            "target:port": "10.0.0.7:8080", "target_ip": "10.0.0.7", "target_port": 8080,
            "request_processing_time": 0.001, "target_processing_time": 0.020,
            "response_processing_time": 0.000, "elb_status_code": 502, "target_status_code": 200,
            "received_bytes": 300, "sent_bytes": 4000,
            "request": r#"POST https://api.example.com:443/a%20b?q="x" y HTTP/2.0"#,
            "request_method": "POST", "request_url": r#"https://api.example.com:443/a%20b?q="x" y"#,
            "request_protocol": "HTTP/2.0", "user_agent": r#"Mozilla/5.0 (X11; "quoted")"#,
            "ssl_cipher": "TLS_AES_128_GCM_SHA256", "ssl_protocol": "TLSv1.3",
            "target_group_arn": "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/tg/1",
            "trace_id": "Root=1-65e1a7f0-abc", "domain_name": "api.example.com",
            "chosen_cert_arn": "arn:aws:acm:us-east-1:1:certificate/c", "matched_rule_priority": 5,
            "request_creation_time": "2024-03-01T10:00:00.100000Z", "actions_executed": "waf,forward",
            "error_reason": "TargetResponseError", "target:port_list": "10.0.0.7:8080",
            "target_status_code_list": "200", "classification": "Ambiguous",
            "classification_reason": "UndefinedContentLengthSemantics", "conn_trace_id": "TID_0a1b",
            "transformed_host": "new.example.com", "transformed_uri": "/rewritten",
            "request_transform_status": "TRANSFORMED", "timestamp": "2024-03-01T10:00:00.123456Z"
        }),
    );
    // An older line stops after `matched_rule_priority`; the missing fields are absent.
    let old = ALB_LINE
        .split(" 2024-03-01T10:00:00.100000Z")
        .next()
        .unwrap();
    let record = only(old);
    assert_eq!(record["matched_rule_priority"], 5);
    assert!(record.get("request_creation_time").is_none());
}

#[test]
fn classic_elb_nlb_and_connection_log_every_field() {
    let elb = only(
        r#"2015-05-13T23:39:43.945958Z my-lb 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.38.0" - -"#,
    );
    assert_members(
        &elb,
        json!({
            "timestamp": "2015-05-13T23:39:43.945958Z", "elb": "my-lb",
            "client:port": "192.168.131.39:2817", "client_ip": "192.168.131.39", "client_port": 2817,
            "backend:port": "10.0.0.1:80", "backend_ip": "10.0.0.1", "backend_port": 80,
            "request_processing_time": 0.000073, "backend_processing_time": 0.001048,
            "response_processing_time": 0.000057, "elb_status_code": 200, "backend_status_code": 200,
            "received_bytes": 0, "sent_bytes": 29, "request": "GET http://www.example.com:80/ HTTP/1.1",
            "request_method": "GET", "request_url": "http://www.example.com:80/",
            "request_protocol": "HTTP/1.1", "user_agent": "curl/7.38.0"
        }),
    );
    let nlb = only(
        r#"tls 2.0 2024-10-25T17:33:59 net/lb/53192f3a0 46712e747de 192.168.131.39:2817 10.0.0.1:443 108 65 256 527 20 arn:aws:acm:c 0123 ECDHE-RSA-AES128-GCM-SHA256 tlsv12 secp256r1 api.example.com h2 h2 "h2","http/1.1" 2024-10-25T17:33:58"#,
    );
    assert_members(
        &nlb,
        json!({
            "type": "tls", "version": "2.0", "time": "2024-10-25T17:33:59", "elb": "net/lb/53192f3a0",
            "listener": "46712e747de", "client:port": "192.168.131.39:2817",
            "client_ip": "192.168.131.39", "client_port": 2817, "destination:port": "10.0.0.1:443",
            "destination_ip": "10.0.0.1", "destination_port": 443, "connection_time": 108,
            "tls_handshake_time": 65, "received_bytes": 256, "sent_bytes": 527,
            "incoming_tls_alert": "20", "chosen_cert_arn": "arn:aws:acm:c", "chosen_cert_serial": "0123",
            "tls_cipher": "ECDHE-RSA-AES128-GCM-SHA256", "tls_protocol_version": "tlsv12",
            "tls_named_group": "secp256r1", "domain_name": "api.example.com",
            "alpn_fe_protocol": "h2", "alpn_be_protocol": "h2",
            "alpn_client_preference_list": r#""h2","http/1.1""#,
            "tls_connection_creation_time": "2024-10-25T17:33:58", "timestamp": "2024-10-25T17:33:59Z"
        }),
    );
    let (records, _) = read(
        r#"2024-11-29T13:45:24.599544Z 2001:db8::5 58206 443 TLSv1.3 TLS_AES_128_GCM_SHA256 1.5 "CN=client, O=Example" NotBefore=2024-01-01T00:00:00Z;NotAfter=2025-01-01T00:00:00Z 0A1B Success TID_1"#,
    );
    assert_eq!(records[0].1, RecordSource::Alb);
    assert_members(
        &records[0].0,
        json!({
            "timestamp": "2024-11-29T13:45:24.599544Z", "client_ip": "2001:db8::5", "client_port": 58206,
            "listener_port": 443, "tls_protocol": "TLSv1.3", "tls_cipher": "TLS_AES_128_GCM_SHA256",
            "tls_handshake_latency": 1.5, "leaf_client_cert_subject": "CN=client, O=Example",
            "leaf_client_cert_validity": "NotBefore=2024-01-01T00:00:00Z;NotAfter=2025-01-01T00:00:00Z",
            "leaf_client_cert_serial_number": "0A1B", "tls_verify_status": "Success",
            "conn_trace_id": "TID_1"
        }),
    );
    // Broken lines, with reasons.
    let (_, errors) = read_as(
        TextFormat::LoadBalancer,
        "http 2024-01-01T00:00:00Z app/x 1.2.3.4:5 - 0 0 0 200 200 1 1 \"GET / HTTP/1.1\n\
         2024-01-01T00:00:00Z some text that is not a load balancer log line at all here\n\
         tls 2.0 2024-10-25T17:33:59 net/lb/1 listener",
    );
    assert_eq!(
        errors,
        [
            LineError::UnterminatedQuote { at: 62 },
            LineError::UnknownLoadBalancerLine,
            LineError::TooFewFields {
                format: "NLB access log",
                found: 5,
                min: 18
            },
        ]
    );
}

const CLOUDFRONT_FIELDS: &str = "date time x-edge-location sc-bytes c-ip cs-method cs(Host) \
     cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type \
     x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol \
     ssl-cipher x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields \
     c-port time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len \
     sc-range-start sc-range-end";

const CLOUDFRONT_LINE: &str = "2024-02-03\t04:05:06\tFRA56-P5\t1234\t2001:db8::1\tGET\td1.cloudfront.net\t/a%20b/%3Cscript%3E\t000\thttps://ref.example/%3Fx\tMozilla/5.0%20(X11;%20Linux)\tq=%2522quoted%2522\tsession=abc\tError\tReqId==\twww.example.com\thttps\t321\t0.250\t198.51.100.1,%20198.51.100.2\tTLSv1.3\tTLS_AES_128_GCM_SHA256\tError\tHTTP/2.0\tForwarded\tssn\t51234\t0.200\tOriginConnectError\ttext/html\t4567\t0\t99";

#[test]
fn cloudfront_every_field() {
    let record = only(&format!(
        "#Version: 1.0\n#Fields: {CLOUDFRONT_FIELDS}\n{CLOUDFRONT_LINE}"
    ));
    assert_members(
        &record,
        json!({
            "date": "2024-02-03", "time": "04:05:06", "x-edge-location": "FRA56-P5", "sc-bytes": 1234,
            "c-ip": "2001:db8::1", "cs-method": "GET", "cs(Host)": "d1.cloudfront.net",
            "cs-uri-stem": "/a b/<script>", "sc-status": 0, "cs(Referer)": "https://ref.example/?x",
            "cs(User-Agent)": "Mozilla/5.0 (X11; Linux)", "cs-uri-query": "q=%22quoted%22",
            "cs(Cookie)": "session=abc", "x-edge-result-type": "Error", "x-edge-request-id": "ReqId==",
            "x-host-header": "www.example.com", "cs-protocol": "https", "cs-bytes": 321,
            "time-taken": 0.250, "x-forwarded-for": "198.51.100.1, 198.51.100.2",
            "ssl-protocol": "TLSv1.3", "ssl-cipher": "TLS_AES_128_GCM_SHA256",
            "x-edge-response-result-type": "Error", "cs-protocol-version": "HTTP/2.0",
            "fle-status": "Forwarded", "fle-encrypted-fields": "ssn", "c-port": 51234,
            "time-to-first-byte": 0.200, "x-edge-detailed-result-type": "OriginConnectError",
            "sc-content-type": "text/html", "sc-content-len": 4567, "sc-range-start": 0,
            "sc-range-end": 99, "timestamp": "2024-02-03T04:05:06Z"
        }),
    );
    // Without `#Fields`: the documented order.
    assert_eq!(only(CLOUDFRONT_LINE), record);
}

#[test]
fn cloudfront_awkward_lines() {
    // `#Fields` in another order, with fewer fields; a line with fewer fields than named keeps
    // the ones it has; a line with more is bad; invalid UTF-8 once decoded stays encoded.
    let log = "#Version: 1.0\n#Fields: time date sc-status cs-uri-stem c-ip cs-method cs(Host) x-edge-location sc-bytes cs(User-Agent)\n\
               01:02:03\t2024-01-01\t403\t/%FF\t192.0.2.1\tGET\th\tLAX1\t10\tcurl\n\
               01:02:04\t2024-01-01\t404\t/x\t192.0.2.1\tGET\th\tLAX1\t10\n\
               01:02:05\t2024-01-01\t404\t/x\t192.0.2.1\tGET\th\tLAX1\t10\tcurl\textra\n\
               01:02:06\t2024-01-01\n";
    let (records, errors) = read(log);
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].0["cs-uri-stem"], "/%FF");
    assert_eq!(records[0].0["timestamp"], "2024-01-01T01:02:03Z");
    assert_eq!(records[1].0["sc-status"], 404);
    assert!(records[1].0.get("cs(User-Agent)").is_none());
    assert_eq!(
        errors,
        [
            LineError::FieldCount {
                found: 11,
                expected: 10
            },
            LineError::TooFewFields {
                format: "CloudFront log",
                found: 2,
                min: 9
            },
        ]
    );
}

/// Issue 18, item 16: CloudTrail delivered through CloudWatch Logs (a trail's log group,
/// subscribed to Firehose) is CloudTrail: its rules fire on it, with CloudTrail's field names.
/// So are CloudTrail Insights events, which have no `eventSource`.
#[test]
fn cloudtrail_through_cloudwatch_logs_is_cloudtrail() {
    use sigil_engine::{Engine, ScanOptions};
    let event = |id: u32, json: &str| {
        format!(
            r#"{{"id":"{id}","timestamp":1700000000000,"message":{}}}"#,
            serde_json::to_string(json).unwrap()
        )
    };
    let envelope = format!(
        r#"{{"messageType":"DATA_MESSAGE","owner":"111122223333","logGroup":"aws-cloudtrail-logs-111122223333","logStream":"111122223333_CloudTrail_us-east-1","subscriptionFilters":["all"],"logEvents":[{},{},{}]}}"#,
        event(
            1,
            r#"{"eventVersion":"1.08","eventTime":"2023-11-14T22:13:20Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1"}"#
        ),
        event(
            2,
            r#"{"eventVersion":"1.07","eventTime":"2023-11-14T22:13:21Z","eventType":"AwsCloudTrailInsight","eventCategory":"Insight","insightDetails":{"state":"Start","eventName":"AttachUserPolicy"}}"#
        ),
        event(3, "plain text"),
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("firehose-delivery");
    std::fs::write(&path, format!("{envelope}\n")).unwrap();
    let rules = "title: stop\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  \
                 sel: {eventName: StopLogging}\n  condition: sel\n---\n\
                 title: insight\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  \
                 sel: {eventCategory: Insight}\n  condition: sel\n---\n\
                 title: text\nlogsource: {product: aws, service: cloudwatch}\ndetection:\n  \
                 sel: {message: plain text}\n  condition: sel\n";
    let loaded = sigil_compiler::load_str("rules.yml".as_ref(), rules, &Default::default());
    let engine = Engine::new(loaded.rules, ScanOptions::default());
    let (matches, stats) = crate::support::hunt_matches(&engine, &[path]);
    assert_eq!(stats.bad_records, 0);
    let titles: Vec<&str> = matches
        .iter()
        .map(|m| m["rule"]["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["stop", "insight", "text"]);
    assert_eq!(matches[0]["event"]["eventName"], "StopLogging");
    assert_eq!(matches[0]["timestamp"], "2023-11-14T22:13:20Z");
}

/// An S3 server access log line written for this test, with every documented field.
const S3_ACCESS_LINE: &str = r#"0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9 audit-bucket [07/Jan/2025:14:05:09 +0000] 203.0.113.44 arn:aws:sts::111122223333:assumed-role/ci/runner 9F3EXAMPLE00A1B2 REST.PUT.BUCKETPOLICY - "PUT /audit-bucket?policy= HTTP/1.1" 204 - - 611 48 - "-" "aws-cli/2.15.0 md/command#s3api.put-bucket-policy" - c2lnaWwgdGVzdCBob3N0IGlk SigV4 TLS_AES_128_GCM_SHA256 AuthHeader audit-bucket.s3.us-east-1.amazonaws.com TLSv1.3 arn:aws:s3:us-east-1:111122223333:accesspoint/ap1 Yes us-east-1"#;

#[test]
fn s3_access_every_field() {
    let (records, errors) = read(S3_ACCESS_LINE);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(records[0].1, RecordSource::S3Access);
    assert_members(
        &records[0].0,
        json!({
            "bucket_owner": "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9",
            "bucket": "audit-bucket", "time": "07/Jan/2025:14:05:09 +0000",
            "remote_ip": "203.0.113.44",
            "requester": "arn:aws:sts::111122223333:assumed-role/ci/runner",
            "request_id": "9F3EXAMPLE00A1B2", "operation": "REST.PUT.BUCKETPOLICY",
            "request_uri": "PUT /audit-bucket?policy= HTTP/1.1", "request_method": "PUT",
            "request_url": "/audit-bucket?policy=", "request_protocol": "HTTP/1.1",
            "http_status": 204, "object_size": 611, "total_time": 48,
            "user_agent": "aws-cli/2.15.0 md/command#s3api.put-bucket-policy",
            "host_id": "c2lnaWwgdGVzdCBob3N0IGlk", "signature_version": "SigV4",
            "cipher_suite": "TLS_AES_128_GCM_SHA256", "authentication_type": "AuthHeader",
            "host_header": "audit-bucket.s3.us-east-1.amazonaws.com", "tls_version": "TLSv1.3",
            "access_point_arn": "arn:aws:s3:us-east-1:111122223333:accesspoint/ap1",
            "acl_required": "Yes", "source_region": "us-east-1",
            "timestamp": "2025-01-07T14:05:09Z"
        }),
    );
    // Older lines stop after `user_agent`; a broken line is reported, the next still read.
    let old = S3_ACCESS_LINE.split(" - c2lnaW").next().unwrap();
    let log = format!("{old}\n{old} \"unclosed\n{S3_ACCESS_LINE}");
    let (records, errors) = read(&log);
    assert_eq!(records.len(), 2);
    assert!(records[0].0.get("host_id").is_none());
    assert!(matches!(errors[..], [LineError::UnterminatedQuote { .. }]));
}

/// An S3 server access log file is read as records of its own source, with the event's time,
/// and rules written for `service: s3access` match them (before the format was known, every
/// line was a malformed record).
#[test]
fn s3_access_log_file_is_hunted() {
    use sigil_engine::{Engine, ScanOptions};
    let other = S3_ACCESS_LINE
        .replace("REST.PUT.BUCKETPOLICY", "REST.GET.OBJECT")
        .replace("[07/Jan/2025:14:05:09", "[07/Jan/2025:14:06:00");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("2025-01-07-14-10-00-ABCDEF0123456789");
    std::fs::write(&path, format!("{other}\n{S3_ACCESS_LINE}\n")).unwrap();
    let rules = "title: policy\nlogsource: {product: aws, service: s3access}\ndetection:\n  \
                 sel: {operation: REST.PUT.BUCKETPOLICY, http_status: 204}\n  condition: sel\n";
    let loaded = sigil_compiler::load_str("rules.yml".as_ref(), rules, &Default::default());
    let engine = Engine::new(loaded.rules, ScanOptions::default());
    let (matches, stats) = crate::support::hunt_matches(&engine, &[path]);
    assert_eq!(stats.bad_records, 0);
    assert_eq!(matches.len(), 1, "{matches:?}");
    assert_eq!(matches[0]["rule"]["title"], "policy");
    assert_eq!(matches[0]["timestamp"], "2025-01-07T14:05:09Z");
    assert_eq!(matches[0]["event"]["bucket"], "audit-bucket");
}
