//! `S3Source` against a real S3-protocol server (moto) on loopback, behind a proxy that logs
//! requests and injects faults. Skipped with a notice when moto is missing, except under
//! `CI=true`.

use std::io::Read;
use std::sync::Once;
use std::time::Duration;

use sigil_aws::layout::Filter;
use sigil_aws::testing::{Fault, FaultProxy, Moto};
use sigil_aws::{ClientOptions, Entry, FetchError, FetchOptions, S3Options, S3Source, S3Url};

/// Fake credentials, a region, no metadata service and no shared config files, for every
/// client of this test process (set once, before any client exists).
fn fake_aws_env() {
    static ENV: Once = Once::new();
    ENV.call_once(|| {
        for (name, value) in Moto::env("http://127.0.0.1:9") {
            if name != "AWS_ENDPOINT_URL" {
                // SAFETY: every test calls this before it starts any thread that reads the
                // environment, and the `Once` makes the others wait until it is done.
                unsafe { std::env::set_var(name, value) };
            }
        }
    });
}

/// A moto server with a proxy in front, or `None` (with a notice) when moto is missing.
fn server(test: &str) -> Option<(Moto, FaultProxy)> {
    fake_aws_env();
    let moto = Moto::start_or_skip(test)?;
    let proxy = FaultProxy::start(moto.port).unwrap();
    Some((moto, proxy))
}

fn options(proxy: &FaultProxy) -> S3Options {
    S3Options {
        client: ClientOptions {
            endpoint_url: Some(proxy.endpoint()),
            initial_backoff: Duration::from_millis(20),
            ..ClientOptions::default()
        },
        ..S3Options::default()
    }
}

/// What a source yields, read whole: `Ok(bytes)` or `Err(message)` per object, and skips.
#[derive(Debug, PartialEq)]
enum Got {
    Object(String, Result<Vec<u8>, String>),
    Skipped(String, String),
    Failed(String, String),
}

fn read_all(url: &str, options: S3Options) -> Vec<Got> {
    let source = S3Source::open(vec![S3Url::parse(url).unwrap().unwrap()], options).unwrap();
    source
        .map(|entry| match entry {
            Entry::Object(mut object) => {
                let mut bytes = Vec::new();
                let result = object.body.read_to_end(&mut bytes);
                Got::Object(object.key, result.map(|_| bytes).map_err(|e| e.to_string()))
            }
            Entry::Skipped { url, reason } => Got::Skipped(url, reason.to_string()),
            Entry::Failed { url, error } => Got::Failed(url, error.to_string()),
        })
        .collect()
}

const ACCOUNT: &str = "AWSLogs/111122223333/";

fn trail_key(region: &str, day: u32, hhmm: &str) -> String {
    format!(
        "{ACCOUNT}CloudTrail/{region}/2026/10/{day:02}/111122223333_CloudTrail_{region}_202610{day:02}T{hhmm}Z_abcdefgh{day:02}{hhmm}.json.gz"
    )
}

fn body_of(key: &str) -> Vec<u8> {
    format!("{{\"Records\":[{{\"key\":\"{key}\"}}]}}\n").into_bytes()
}

/// A bucket in the AWS layout: two accounts, two regions, three days, digests, a probe object
/// and Firehose hours.
fn layout_bucket(moto: &Moto) -> Vec<String> {
    moto.create_bucket("trail").unwrap();
    let mut keys = Vec::new();
    for region in ["eu-west-1", "us-east-1"] {
        for day in 1..=3 {
            for hhmm in ["0005", "1200", "2355"] {
                keys.push(trail_key(region, day, hhmm));
            }
        }
        keys.push(format!(
            "{ACCOUNT}CloudTrail-Digest/{region}/2026/10/01/111122223333_CloudTrail-Digest_{region}_trail_us-east-1_20261001T010000Z.json.gz"
        ));
    }
    keys.push("AWSLogs/444455556666/CloudTrail/us-east-1/2026/10/01/444455556666_CloudTrail_us-east-1_20261001T1200Z_other.json.gz".into());
    keys.push("AWSLogs/aws-logs-write-test".into());
    for hour in ["00", "11", "12", "23"] {
        keys.push(format!(
            "waf/2026/10/01/{hour}/aws-waf-logs-acl-2026-10-01-{hour}-05-00-x.gz"
        ));
    }
    for key in &keys {
        moto.put("trail", key, &body_of(key)).unwrap();
    }
    keys.sort();
    keys
}

#[test]
fn objects_come_in_key_order_with_digests_and_probes_skipped() {
    let Some((moto, proxy)) = server("objects_come_in_key_order_with_digests_and_probes_skipped")
    else {
        return;
    };
    let keys = layout_bucket(&moto);
    let got = read_all("s3://trail", options(&proxy));
    let objects: Vec<&str> = got
        .iter()
        .filter_map(|got| match got {
            Got::Object(key, Ok(bytes)) => {
                assert_eq!(*bytes, body_of(key));
                Some(key.as_str())
            }
            _ => None,
        })
        .collect();
    let expected: Vec<&str> = keys
        .iter()
        .map(String::as_str)
        .filter(|key| !key.contains("Digest") && !key.ends_with("write-test"))
        .collect();
    assert_eq!(objects, expected);
    let skipped: Vec<&Got> = got
        .iter()
        .filter(|g| matches!(g, Got::Skipped(..)))
        .collect();
    assert_eq!(
        skipped,
        [
            &Got::Skipped(
                format!("s3://trail/{ACCOUNT}CloudTrail-Digest/"),
                "CloudTrail digest file (integrity hashes, not events)".into()
            ),
            &Got::Skipped(
                "s3://trail/AWSLogs/aws-logs-write-test".into(),
                "AWS log delivery write test object".into()
            ),
        ]
    );
    // The digests were never listed, let alone fetched.
    assert!(
        !proxy.requests().iter().any(|r| r.contains("Digest")),
        "{:#?}",
        proxy.requests()
    );
}

#[test]
fn the_filter_lists_and_fetches_only_what_can_hold_events_in_range() {
    let Some((moto, proxy)) =
        server("the_filter_lists_and_fetches_only_what_can_hold_events_in_range")
    else {
        return;
    };
    layout_bucket(&moto);
    proxy.clear_log();
    let mut options = options(&proxy);
    options.filter = Filter {
        from: Some("2026-10-02T10:00:00Z".parse().unwrap()),
        to: Some("2026-10-02T13:00:00Z".parse().unwrap()),
        accounts: vec!["111122223333".into()],
        regions: vec!["us-east-1".into()],
    };
    let got = read_all("s3://trail/", options);
    let objects: Vec<&str> = got
        .iter()
        .filter_map(|got| match got {
            Got::Object(key, Ok(_)) => Some(key.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(objects, [trail_key("us-east-1", 2, "1200").as_str()]);
    let requests = proxy.requests();
    let gets: Vec<&String> = requests
        .iter()
        .filter(|r| r.contains("x-id=GetObject"))
        .collect();
    assert_eq!(gets.len(), 1, "{requests:#?}");
    let lists: Vec<&String> = requests
        .iter()
        .filter(|r| r.contains("list-type=2"))
        .collect();
    for pruned in [
        "eu-west-1",
        "444455556666",
        "Digest",
        "%2F01%2F",
        "%2F03%2F",
    ] {
        assert!(
            !lists.iter().any(|r| r.contains(pruned)),
            "{pruned} listed: {lists:#?}"
        );
    }
    // The day of the range was listed; the other CloudTrail files of that day were skipped by
    // their names' delivery times, unfetched.
    assert!(
        lists
            .iter()
            .any(|r| r.contains("us-east-1%2F2026%2F10%2F02%2F")),
        "{lists:#?}"
    );
    let skipped = got.iter().filter(|g| matches!(g, Got::Skipped(..))).count();
    assert_eq!(skipped, 4, "{got:#?}"); // the digest folder, the write test, 0005 and 2355 of that day
}

#[test]
fn throttling_server_errors_drops_and_truncations_are_survived() {
    let Some((moto, proxy)) = server("throttling_server_errors_drops_and_truncations_are_survived")
    else {
        return;
    };
    let keys = layout_bucket(&moto);
    let objects: Vec<String> = keys
        .into_iter()
        .filter(|k| !k.contains("Digest") && !k.ends_with("write-test"))
        .collect();
    proxy.inject("list-type=2", Fault::SlowDown, 2);
    proxy.inject(&format!("GET /trail/{}", objects[0]), Fault::SlowDown, 3);
    proxy.inject(
        &format!("GET /trail/{}", objects[1]),
        Fault::InternalError,
        2,
    );
    proxy.inject(&format!("GET /trail/{}", objects[2]), Fault::Drop, 1);
    proxy.inject(&format!("GET /trail/{}", objects[3]), Fault::Truncate, 2);
    let source = S3Source::open(
        vec![S3Url::parse("s3://trail").unwrap().unwrap()],
        options(&proxy),
    )
    .unwrap();
    let stats = source.stats();
    let mut read = Vec::new();
    for entry in source {
        if let Entry::Object(mut object) = entry {
            let mut bytes = Vec::new();
            object.body.read_to_end(&mut bytes).unwrap();
            assert_eq!(bytes, body_of(&object.key), "{}", object.key);
            read.push(object.key);
        }
    }
    assert_eq!(read, objects);
    let counts = stats.snapshot();
    assert_eq!(counts.objects_failed, 0);
    assert_eq!(counts.objects_done, objects.len() as u64);
    // Two listing retries, three and two GET retries, one after the dropped connection.
    let injected = 2 + 3 + 2 + 1;
    assert!(counts.retries() >= injected, "{counts:?}");
    assert!(counts.resumed >= 1, "{counts:?}");
}

#[test]
fn missing_and_denied_objects_fail_alone() {
    let Some((moto, proxy)) = server("missing_and_denied_objects_fail_alone") else {
        return;
    };
    moto.create_bucket("logs").unwrap();
    for name in ["a", "b", "c", "d"] {
        moto.put("logs", &format!("{name}.json"), &body_of(name))
            .unwrap();
    }
    proxy.inject("GET /logs/b.json", Fault::NoSuchKey, 100);
    proxy.inject("GET /logs/c.json", Fault::AccessDenied, 100);
    let got = read_all("s3://logs/", options(&proxy));
    assert_eq!(got.len(), 4);
    assert_eq!(got[0], Got::Object("a.json".into(), Ok(body_of("a"))));
    assert!(
        matches!(&got[1], Got::Failed(url, e) if url == "s3://logs/b.json" && e.starts_with("NoSuchKey")),
        "{got:?}"
    );
    assert!(
        matches!(&got[2], Got::Failed(url, e) if url == "s3://logs/c.json" && e.starts_with("AccessDenied")),
        "{got:?}"
    );
    assert_eq!(got[3], Got::Object("d.json".into(), Ok(body_of("d"))));
    // Not retried: a client error is the object's answer.
    let b_gets = proxy
        .requests()
        .iter()
        .filter(|r| r.contains("/logs/b.json"))
        .count();
    assert_eq!(b_gets, 1);
}

#[test]
fn a_body_that_keeps_breaking_yields_its_bytes_then_the_error() {
    let Some((moto, proxy)) = server("a_body_that_keeps_breaking_yields_its_bytes_then_the_error")
    else {
        return;
    };
    moto.create_bucket("logs").unwrap();
    let big: Vec<u8> = (0..4000)
        .flat_map(|i| format!("{{\"n\":{i}}}\n").into_bytes())
        .collect();
    moto.put("logs", "big.jsonl", &big).unwrap();
    proxy.inject("GET /logs/big.jsonl", Fault::Truncate, 100);
    let mut options = options(&proxy);
    options.fetch.resumes = 2;
    let source =
        S3Source::open(vec![S3Url::parse("s3://logs/").unwrap().unwrap()], options).unwrap();
    let stats = source.stats();
    let mut entries: Vec<Entry> = source.collect();
    let Some(Entry::Object(object)) = entries.pop() else {
        panic!("not an object");
    };
    let mut body = object.body;
    let mut bytes = Vec::new();
    let error = body.read_to_end(&mut bytes).unwrap_err();
    // Each attempt got half of what it asked for: 1/2, then 3/4, then 7/8 of the object.
    assert_eq!(bytes, big[..bytes.len()]);
    assert!(
        bytes.len() >= big.len() * 7 / 8 - 1 && bytes.len() < big.len(),
        "{}",
        bytes.len()
    );
    let inner = error.get_ref().and_then(|e| e.downcast_ref::<FetchError>());
    assert!(
        matches!(inner, Some(FetchError::Broken { resumes: 2, .. })),
        "{error}"
    );
    drop(body);
    assert_eq!(stats.snapshot().objects_failed, 1);
}

#[test]
fn large_objects_are_read_in_ranged_parts_within_the_memory_budget() {
    let Some((moto, proxy)) =
        server("large_objects_are_read_in_ranged_parts_within_the_memory_budget")
    else {
        return;
    };
    moto.create_bucket("logs").unwrap();
    let big: Vec<u8> = (0..60_000)
        .flat_map(|i| format!("{{\"n\":{i}}}\n").into_bytes())
        .collect();
    moto.put("logs", "a/big.jsonl", &big).unwrap();
    for name in ["a/small1.json", "a/small2.json", "b/small3.json"] {
        moto.put("logs", name, &body_of(name)).unwrap();
    }
    proxy.clear_log();
    let mut options = options(&proxy);
    options.fetch = FetchOptions {
        part_size: 64 << 10,
        memory: 256 << 10,
        ..FetchOptions::default()
    };
    let got = read_all("s3://logs/", options);
    assert_eq!(got[0], Got::Object("a/big.jsonl".into(), Ok(big.clone())));
    assert_eq!(got.len(), 4);
    let parts = proxy
        .requests()
        .iter()
        .filter(|r| r.contains("/logs/a/big.jsonl"))
        .count();
    assert_eq!(parts, big.len().div_ceil(64 << 10));
}
