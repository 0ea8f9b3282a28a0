//! Discovery: sorted recursive walks, and the AWS objects and hidden files that are skipped
//! with a reason.

use std::path::{Path, PathBuf};

use sigil_engine::input::{InputError, InputSource, SkipReason, discover};

fn touch(root: &Path, relative: &str) -> PathBuf {
    let path = root.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, b"{}\n").unwrap();
    path
}

fn relative(root: &Path, input: &InputSource) -> String {
    match input {
        InputSource::Path(path) => path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .into_owned(),
        other => other.to_string(),
    }
}

#[test]
fn an_s3_layout_is_walked_in_order_and_noise_is_skipped_with_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let trail = "AWSLogs/o-abc/111122223333/CloudTrail/us-east-1/2024/05/01";
    for name in [
        format!("{trail}/111122223333_CloudTrail_us-east-1_20240501T0010Z_b.json.gz"),
        format!("{trail}/111122223333_CloudTrail_us-east-1_20240501T0005Z_a.json.gz"),
        "AWSLogs/o-abc/111122223333/CloudTrail-Insight/us-east-1/2024/05/01/x.json.gz".to_owned(),
        "AWSLogs/o-abc/111122223333/CloudTrail-Digest/us-east-1/2024/05/01/d.json.gz".to_owned(),
        "copied/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20240501T010000Z_backfill.json.gz".to_owned(),
        "AWSLogs/111122223333/Config/ConfigWritabilityCheckFile".to_owned(),
        "AWSLogs/aws-logs-write-test".to_owned(),
        "flows/part-0000.snappy.parquet".to_owned(),
        "waf/.DS_Store".to_owned(),
        "waf/._events.log".to_owned(),
        "waf/Thumbs.db".to_owned(),
        "waf/events.log".to_owned(),
        ".git/objects/ab/cdef".to_owned(),
    ] {
        touch(root, &name);
    }
    let fifo = root.join("waf/pipe");
    let made_fifo = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());

    let found = discover(&[root.to_path_buf()]);
    assert!(found.errors.is_empty(), "{:?}", found.errors);
    let inputs: Vec<String> = found.inputs.iter().map(|i| relative(root, i)).collect();
    assert_eq!(
        inputs,
        [
            format!("{trail}/111122223333_CloudTrail_us-east-1_20240501T0005Z_a.json.gz"),
            format!("{trail}/111122223333_CloudTrail_us-east-1_20240501T0010Z_b.json.gz"),
            "AWSLogs/o-abc/111122223333/CloudTrail-Insight/us-east-1/2024/05/01/x.json.gz"
                .to_owned(),
            "flows/part-0000.snappy.parquet".to_owned(),
            "waf/events.log".to_owned(),
        ]
    );
    let mut skipped: Vec<(String, SkipReason)> = found
        .skipped
        .iter()
        .map(|s| (relative(root, &s.input), s.reason))
        .collect();
    skipped.sort();
    let mut expected = vec![
        (".git".to_owned(), SkipReason::Hidden),
        ("AWSLogs/111122223333/Config/ConfigWritabilityCheckFile".to_owned(), SkipReason::ConfigWritabilityCheck),
        ("AWSLogs/aws-logs-write-test".to_owned(), SkipReason::WriteTest),
        ("AWSLogs/o-abc/111122223333/CloudTrail-Digest".to_owned(), SkipReason::CloudTrailDigest),
        (
            "copied/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20240501T010000Z_backfill.json.gz".to_owned(),
            SkipReason::CloudTrailDigest,
        ),
        ("waf/.DS_Store".to_owned(), SkipReason::Hidden),
        ("waf/._events.log".to_owned(), SkipReason::Hidden),
        ("waf/Thumbs.db".to_owned(), SkipReason::Hidden),
    ];
    if made_fifo {
        expected.push(("waf/pipe".to_owned(), SkipReason::Special));
    }
    expected.sort();
    assert_eq!(skipped, expected);
    assert_eq!(
        SkipReason::Parquet.to_string(),
        "Parquet file inside a gzip or zstd stream: decompress it to hunt it"
    );
}

#[test]
fn explicit_paths_keep_their_order_and_only_aws_objects_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let hidden = touch(dir.path(), ".hidden.json");
    let digest = touch(dir.path(), "CloudTrail-Digest/d.json.gz");
    let plain = touch(dir.path(), "b.json");
    let missing = dir.path().join("missing.json");
    let found = discover(&[
        plain.clone(),
        PathBuf::from("-"),
        hidden.clone(),
        digest.clone(),
        missing.clone(),
    ]);
    assert_eq!(
        found.inputs,
        [
            InputSource::Path(plain),
            InputSource::Stdin,
            InputSource::Path(hidden)
        ]
    );
    assert_eq!(found.skipped.len(), 1);
    assert_eq!(found.skipped[0].reason, SkipReason::CloudTrailDigest);
    let [InputError::Io { input, error }] = &found.errors[..] else {
        panic!("{:?}", found.errors)
    };
    assert_eq!(
        (input, error.kind()),
        (&InputSource::Path(missing), std::io::ErrorKind::NotFound)
    );
}

#[test]
fn symlink_loops_are_reported_not_followed_forever() {
    let dir = tempfile::tempdir().unwrap();
    touch(dir.path(), "a/events.json");
    std::os::unix::fs::symlink(dir.path(), dir.path().join("a/loop")).unwrap();
    let found = discover(&[dir.path().to_path_buf()]);
    assert_eq!(found.inputs.len(), 1);
    assert_eq!(found.errors.len(), 1, "{:?}", found.errors);
}
