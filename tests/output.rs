//! Output never passes silently (issue 18): a failed write stops the hunt with exit code 3, a
//! closed pipe ends every command quietly, `-o` never names an input, `--stats` counts every
//! record by its source, and a text log's match keeps its raw line.

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use std::process::Stdio;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn sigil() -> std::process::Command {
    std::process::Command::new(assert_cmd::cargo::cargo_bin("sigil"))
}

/// A CloudTrail log of `n` records, every one matched by the rule below.
fn trail(dir: &Path, n: usize) -> (PathBuf, PathBuf) {
    let rule = dir.join("rule.yml");
    std::fs::write(
        &rule,
        "title: any call\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  \
         sel: {eventName|startswith: Describe}\n  condition: sel\n",
    )
    .unwrap();
    let log = dir.join("trail.jsonl");
    let line = r#"{"eventVersion":"1.08","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","eventTime":"2026-11-01T10:00:00Z"}"#;
    std::fs::write(&log, format!("{line}\n").repeat(n)).unwrap();
    (rule, log)
}

#[test]
fn a_failed_write_stops_the_hunt_with_exit_code_3() {
    let dir = tempfile::tempdir().unwrap();
    let (rule, log) = trail(dir.path(), 20_000);
    for to_file in [true, false] {
        let mut command = sigil();
        command.args(["hunt", "-r"]).arg(&rule).arg(&log);
        if to_file {
            command.args(["-o", "/dev/full"]);
        } else {
            let full = std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .unwrap();
            command.stdout(full);
        }
        let output = command.output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(3), "{stderr}");
        assert!(stderr.contains("writing the output failed"), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn a_closed_pipe_ends_every_command_quietly() {
    let rules = root().join("rules");
    let rule = root().join("rules/cloudtrail/aws_cloudtrail_logging_stopped.yml");
    let event = root().join("rules/cloudtrail/aws_cloudtrail_logging_stopped.tests.yml");
    let samples = root().join("corpus/samples");
    let commands: [Vec<&std::ffi::OsStr>; 8] = [
        vec!["list".as_ref(), rules.as_ref()],
        vec!["test".as_ref(), rules.as_ref()],
        vec!["check".as_ref(), rules.as_ref()],
        vec!["compile".as_ref(), "--stats".as_ref(), rules.as_ref()],
        vec!["debug".as_ref(), "ir".as_ref(), rules.as_ref()],
        vec![
            "explain".as_ref(),
            "-r".as_ref(),
            rule.as_ref(),
            event.as_ref(),
        ],
        vec![
            "hunt".as_ref(),
            "-r".as_ref(),
            rules.as_ref(),
            samples.as_ref(),
        ],
        vec![
            "metrics".as_ref(),
            "--by".as_ref(),
            "eventName".as_ref(),
            samples.as_ref(),
        ],
    ];
    for args in commands {
        let mut child = sigil()
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take()); // the reader goes away before the first line
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(
            !stderr.contains("writing the output failed"),
            "{args:?}: {stderr}"
        );
        assert_ne!(output.status.code(), Some(101), "{args:?}: {stderr}");
    }
}

#[test]
fn the_output_file_is_never_one_of_the_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let (rule, log) = trail(dir.path(), 3);
    let before = std::fs::read(&log).unwrap();
    for output in [log.clone(), dir.path().join("matches.jsonl")] {
        let result = Command::cargo_bin("sigil")
            .unwrap()
            .args(["hunt", "-r"])
            .arg(&rule)
            .arg(if output == log { &log } else { dir.path() })
            .arg("-o")
            .arg(&output)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert_eq!(result.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("the output would overwrite"), "{stderr}");
    }
    assert_eq!(std::fs::read(&log).unwrap(), before, "the input is intact");
    assert!(!dir.path().join("matches.jsonl").exists());
}

#[test]
fn stats_count_every_record_by_its_source() {
    let dir = tempfile::tempdir().unwrap();
    let (_, log) = trail(dir.path(), 50);
    // A rule no record matches: the prefilter keeps every record from being parsed.
    let rule = dir.path().join("none.yml");
    std::fs::write(
        &rule,
        "title: none\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  \
         sel: {eventName: StopLogging}\n  condition: sel\n",
    )
    .unwrap();
    let run = |extra: &[&str]| {
        let output = Command::cargo_bin("sigil")
            .unwrap()
            .args(["hunt", "--stats", "-r"])
            .arg(&rule)
            .arg(&log)
            .args(extra)
            .output()
            .unwrap();
        String::from_utf8(output.stderr).unwrap()
    };
    let stats = run(&[]);
    assert!(stats.contains("sources:  aws/cloudtrail 50\n"), "{stats}");
    let forced = run(&["--logsource", "aws/guardduty"]);
    assert!(
        forced.contains("sources:  aws/guardduty 50 (--logsource)"),
        "{forced}"
    );
}

#[test]
fn a_text_log_match_keeps_its_raw_line() {
    let output = Command::cargo_bin("sigil")
        .unwrap()
        .args(["hunt", "-r"])
        .arg(root().join("rules/alb"))
        .arg(root().join("corpus/samples/alb.log"))
        .args(["--format", "jsonl"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let first: serde_json::Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    let line = first["source"]["line"].as_str().unwrap();
    let log = std::fs::read_to_string(root().join("corpus/samples/alb.log")).unwrap();
    let record = first["source"]["record"].as_u64().unwrap() as usize;
    assert_eq!(line, log.lines().nth(record - 1).unwrap());
    assert!(first["event"].is_object(), "the parsed fields are kept too");
}
