//! `sigil hunt s3://…` against a real S3-protocol server (moto) on loopback, behind a proxy
//! that logs requests and injects faults: the embedded sample, uploaded under its S3 layout,
//! hunts as the local copy does. Skipped with a notice when moto is missing, except under
//! `CI=true`.

use assert_cmd::Command;
use sigil_aws::testing::{Fault, FaultProxy, Moto};
use std::path::Path;

const SAMPLES: &str = "corpus/samples";

/// moto with the sample uploaded to bucket `sample`, and a proxy in front; `None` (with a
/// notice) when moto is missing.
fn sample_bucket(test: &str) -> Option<(Moto, FaultProxy, Vec<String>)> {
    let moto = Moto::start_or_skip(test)?;
    moto.create_bucket("sample").unwrap();
    moto.put_tree("sample", "", Path::new(SAMPLES)).unwrap();
    let proxy = FaultProxy::start(moto.port).unwrap();
    let keys = walkdir::WalkDir::new(SAMPLES)
        .sort_by_file_name()
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            e.path()
                .strip_prefix(SAMPLES)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    Some((moto, proxy, keys))
}

struct Run {
    stdout: String,
    stderr: String,
    code: i32,
}

/// Runs `sigil` with the environment of a client of `endpoint` (fake credentials, no
/// metadata service, no shared config files).
fn sigil(endpoint: &str, args: &[&str]) -> Run {
    let mut command = Command::cargo_bin("sigil").unwrap();
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (name, value) in Moto::env(endpoint) {
        command.env(name, value);
    }
    let output = command.args(args).output().unwrap();
    Run {
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
        code: output.status.code().unwrap_or(-1),
    }
}

/// The local hunt's output, with the sample's paths written as the bucket's URLs.
fn as_s3(local: &str) -> String {
    local.replace(&format!("\"path\":\"{SAMPLES}/"), "\"path\":\"s3://sample/")
}

fn hunt_args<'a>(input: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["hunt", "-r", "rules", input, "--format", "jsonl", "--stats"];
    args.extend_from_slice(extra);
    args
}

/// The `--stats` line starting with `name`.
fn stats_line<'a>(run: &'a Run, name: &str) -> &'a str {
    run.stderr
        .lines()
        .find(|l| l.starts_with(name))
        .unwrap_or_else(|| panic!("{}", run.stderr))
}

#[test]
fn the_sample_hunts_from_s3_as_it_hunts_locally() {
    let Some((_moto, proxy, keys)) = sample_bucket("the_sample_hunts_from_s3_as_it_hunts_locally")
    else {
        return;
    };
    let local = sigil(&proxy.endpoint(), &hunt_args(SAMPLES, &[]));
    let remote = sigil(&proxy.endpoint(), &hunt_args("s3://sample", &[]));
    assert_eq!(local.code, 0, "{}", local.stderr);
    assert_eq!(remote.code, 0, "{}", remote.stderr);
    assert!(local.stdout.lines().count() > 50, "{}", local.stdout);
    assert_eq!(remote.stdout, as_s3(&local.stdout));
    for line in ["files:", "records:", "matches:"] {
        assert_eq!(stats_line(&remote, line), stats_line(&local, line));
    }
    // Digests were skipped by name (their folder, as locally), never fetched.
    let s3 = stats_line(&remote, "s3:");
    let digests = keys.iter().filter(|k| k.contains("Digest")).count();
    let fetched = keys.len() - digests;
    assert!(
        s3.contains(&format!("{fetched} objects fetched, 0 failed")),
        "{s3}"
    );
    assert!(!proxy.requests().iter().any(|r| r.contains("Digest")));
}

#[test]
fn from_and_to_list_and_fetch_only_objects_in_range() {
    let Some((_moto, proxy, keys)) =
        sample_bucket("from_and_to_list_and_fetch_only_objects_in_range")
    else {
        return;
    };
    let range = [
        "--from",
        "2026-10-01T01:00:00Z",
        "--to",
        "2026-10-01T01:30:00Z",
    ];
    let local = sigil(&proxy.endpoint(), &hunt_args(SAMPLES, &range));
    proxy.clear_log();
    let remote = sigil(&proxy.endpoint(), &hunt_args("s3://sample/", &range));
    assert_eq!(remote.code, 0, "{}", remote.stderr);
    assert_eq!(remote.stdout, as_s3(&local.stdout));
    assert!(!remote.stdout.is_empty());
    // CloudTrail files are fetched only when delivered in [from, to + 1 hour].
    let gets: Vec<String> = proxy
        .requests()
        .into_iter()
        .filter(|r| r.contains("x-id=GetObject"))
        .collect();
    let trail: Vec<&String> = keys.iter().filter(|k| k.contains("_CloudTrail_")).collect();
    let mut fetched_trail = 0;
    for key in trail {
        let stamp = &key[key.find("_2026").unwrap() + 1..][..14]; // 20261001T0113Z
        let in_range = ("20261001T0100Z".."20261001T0231Z").contains(&stamp);
        let fetched = gets.iter().any(|r| r.contains(key.as_str()));
        assert_eq!(fetched, in_range, "{key}");
        fetched_trail += usize::from(fetched);
    }
    assert!(fetched_trail > 0);
    assert!(!gets.iter().any(|r| r.contains("Digest")));

    // A range on another day lists no day folder and fetches only the files outside the
    // layout (the top-level ALB and CloudFront logs and the ground truth).
    proxy.clear_log();
    let other_day = ["--from", "2026-10-05", "--to", "2026-10-06"];
    let remote = sigil(&proxy.endpoint(), &hunt_args("s3://sample/", &other_day));
    assert_eq!(remote.code, 0, "{}", remote.stderr);
    let requests = proxy.requests();
    let gets: Vec<&String> = requests
        .iter()
        .filter(|r| r.contains("x-id=GetObject"))
        .collect();
    assert_eq!(gets.len(), 3, "{gets:#?}");
    assert!(
        !requests.iter().any(|r| r.contains("%2F01%2F")),
        "{requests:#?}"
    );
    assert!(
        stats_line(&remote, "s3:").contains("3 objects fetched"),
        "{}",
        remote.stderr
    );
}

#[test]
fn faults_are_survived_and_an_unreadable_object_fails_alone() {
    let Some((_moto, proxy, keys)) =
        sample_bucket("faults_are_survived_and_an_unreadable_object_fails_alone")
    else {
        return;
    };
    let local = as_s3(&sigil(&proxy.endpoint(), &hunt_args(SAMPLES, &[])).stdout);
    // Objects whose matches show in the output, and objects that have none.
    let (matched, silent): (Vec<&String>, Vec<&String>) = keys
        .iter()
        .filter(|k| !k.contains("Digest") && k.ends_with(".gz"))
        .partition(|k| local.contains(&format!("s3://sample/{k}\"")));
    proxy.inject("list-type=2", Fault::SlowDown, 3);
    proxy.inject(&format!("/sample/{}?", matched[0]), Fault::SlowDown, 2);
    proxy.inject(&format!("/sample/{}?", matched[1]), Fault::InternalError, 2);
    proxy.inject(&format!("/sample/{}?", matched[2]), Fault::Drop, 1);
    proxy.inject(&format!("/sample/{}?", matched[3]), Fault::Truncate, 1);
    let missing = silent[0];
    proxy.inject(&format!("/sample/{missing}?"), Fault::NoSuchKey, 100);
    let remote = sigil(&proxy.endpoint(), &hunt_args("s3://sample", &[]));
    // Every match is there, in order; the missing object is an error naming it, and exit 2.
    assert_eq!(remote.stdout, local);
    assert_eq!(remote.code, 2, "{}", remote.stderr);
    assert!(
        remote
            .stderr
            .contains(&format!("error: s3://sample/{missing}: NoSuchKey")),
        "{}",
        remote.stderr
    );
    let s3 = stats_line(&remote, "s3:");
    assert!(
        s3.contains(", 1 failed,") && s3.contains("1 resumed"),
        "{s3}"
    );
    assert!(
        stats_line(&remote, "files:").contains("1 unreadable"),
        "{}",
        remote.stderr
    );
}

#[test]
fn a_truncated_object_yields_its_records_before_the_break() {
    let Some((_moto, proxy, keys)) =
        sample_bucket("a_truncated_object_yields_its_records_before_the_break")
    else {
        return;
    };
    let local = as_s3(&sigil(&proxy.endpoint(), &hunt_args(SAMPLES, &[])).stdout);
    // The compressed object with the most matches, of which each attempt gets a tenth: six
    // attempts (five resumes) get 60 % of it.
    let count = |key: &str| local.matches(&format!("s3://sample/{key}\"")).count();
    let cut = keys
        .iter()
        .filter(|k| k.ends_with(".gz"))
        .max_by_key(|k| count(k))
        .unwrap();
    assert!(count(cut) >= 2);
    let size = std::fs::metadata(Path::new(SAMPLES).join(cut))
        .unwrap()
        .len() as usize;
    proxy.inject(&format!("/sample/{cut}?"), Fault::Cut(size / 10), 100);
    let remote = sigil(&proxy.endpoint(), &hunt_args("s3://sample", &[]));
    assert_eq!(remote.code, 2, "{}", remote.stderr);
    assert!(
        remote.stderr.contains(&format!("s3://sample/{cut}")),
        "{}",
        remote.stderr
    );
    // The other objects' detections are all there (correlations may change with the events
    // lost); the cut one keeps a prefix of its own.
    let detections = |text: &str, of_cut: bool| -> Vec<String> {
        let cut = format!("\"source\":{{\"path\":\"s3://sample/{cut}\"");
        text.lines()
            .filter(|l| l.contains("\"source\":{") && l.contains(&cut) == of_cut)
            .map(str::to_string)
            .collect()
    };
    assert!(detections(&remote.stdout, false) == detections(&local, false));
    let (kept, all) = (detections(&remote.stdout, true), detections(&local, true));
    assert!(
        !kept.is_empty() && kept.len() < all.len(),
        "{cut}: {} of {}",
        kept.len(),
        all.len()
    );
    assert!(kept[..] == all[..kept.len()]);
}

#[test]
fn explain_and_metrics_read_s3_objects() {
    let Some((moto, proxy, _)) = sample_bucket("explain_and_metrics_read_s3_objects") else {
        return;
    };
    let event = r#"{"eventVersion":"1.09","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","userIdentity":{"type":"IAMUser"}}"#;
    moto.put("sample", "events/stop.json", event.as_bytes())
        .unwrap();
    let rule = "rules/cloudtrail/aws_cloudtrail_logging_stopped.yml";
    let explained = sigil(
        &proxy.endpoint(),
        &["explain", "-r", rule, "s3://sample/events/stop.json"],
    );
    assert_eq!(
        explained.code, 0,
        "{}{}",
        explained.stdout, explained.stderr
    );
    let missing = sigil(
        &proxy.endpoint(),
        &["explain", "-r", rule, "s3://sample/events/nope.json"],
    );
    assert_ne!(missing.code, 0);
    // Metrics count the same records from the bucket as from the folder.
    let by = ["metrics", "--by", "eventSource", "--format", "jsonl"];
    let local = sigil(
        &proxy.endpoint(),
        &[&by[..], &["corpus/samples/AWSLogs"]].concat(),
    );
    let remote = sigil(
        &proxy.endpoint(),
        &[&by[..], &["s3://sample/AWSLogs/"]].concat(),
    );
    assert_eq!(remote.code, 0, "{}", remote.stderr);
    assert!(
        remote.stdout.contains("cloudtrail.amazonaws.com"),
        "{}",
        remote.stdout
    );
    assert_eq!(remote.stdout, local.stdout);
}
