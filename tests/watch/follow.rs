//! Followed files (`tail -F`), folders and stdin.

use crate::support::*;
use std::io::Write;
use std::time::Duration;

#[test]
fn appends_rotation_truncation_and_a_late_file_are_followed() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let watcher = Watcher::start(&[
        "-r",
        pack().to_str().unwrap(),
        "--poll-ms",
        "20",
        log.to_str().unwrap(),
    ]);
    // The file does not exist yet: it is followed once it appears.
    std::thread::sleep(Duration::from_millis(300));
    append(&log, &format!("{}\n{}\n", harmless(0), stop_logging(1)));
    let first = watcher.lines(1);
    assert_eq!(event_id(&first[0]), "e-1");
    assert_eq!(first[0]["source"]["record"], 2);
    append(&log, &format!("{}\n", stop_logging(2)));
    assert_eq!(event_id(&watcher.lines(1)[0]), "e-2");

    // Rotation by rename: the old file still gets a line, a new file takes the name.
    let rotated = dir.path().join("app.log.1");
    std::fs::rename(&log, &rotated).unwrap();
    append(&rotated, &format!("{}\n", stop_logging(3)));
    append(&log, &format!("{}\n", stop_logging(4)));
    let mut ids: Vec<String> = watcher.lines(2).iter().map(event_id).collect();
    ids.sort();
    assert_eq!(ids, ["e-3", "e-4"]);

    // Truncation (copytruncate): read again from the start, with new match ids.
    std::thread::sleep(Duration::from_millis(200));
    let file = std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&log)
        .unwrap();
    drop(file);
    std::thread::sleep(Duration::from_millis(200));
    append(&log, &format!("{}\n", stop_logging(5)));
    let after = watcher.lines(1);
    assert_eq!(event_id(&after[0]), "e-5");
    assert_eq!(after[0]["source"]["record"], 1);
    assert!(
        watcher.line(Duration::from_millis(500)).is_none(),
        "no duplicate"
    );
}

#[test]
fn stdin_is_scanned_record_by_record() {
    let mut watcher = Watcher::start(&["-r", pack().to_str().unwrap(), "-"]);
    let mut stdin = watcher.stdin.take().unwrap();
    // One record, the writer still open: its match comes now.
    writeln!(stdin, "{}", stop_logging(1)).unwrap();
    stdin.flush().unwrap();
    assert_eq!(event_id(&watcher.lines(1)[0]), "e-1");
    // Half a record: nothing until its line is complete.
    let second = stop_logging(2);
    let (head, tail) = second.split_at(50);
    write!(stdin, "{head}").unwrap();
    stdin.flush().unwrap();
    assert!(watcher.line(Duration::from_millis(300)).is_none());
    writeln!(stdin, "{tail}").unwrap();
    stdin.flush().unwrap();
    let m = watcher.lines(1);
    assert_eq!(
        (event_id(&m[0]), m[0]["source"]["path"].as_str()),
        ("e-2".into(), Some("<stdin>"))
    );
    // Bad input is reported, never stops the watcher.
    writeln!(stdin, "{{\"broken\": ").unwrap();
    writeln!(stdin, "{}", stop_logging(3)).unwrap();
    drop(stdin);
    assert_eq!(event_id(&watcher.lines(1)[0]), "e-3");
    assert_eq!(watcher.wait(), Some(0));
}

#[test]
fn a_folders_new_files_are_read_as_they_appear() {
    let dir = tempfile::tempdir().unwrap();
    let watcher = Watcher::start(&[
        "-r",
        pack().to_str().unwrap(),
        "--poll-ms",
        "20",
        dir.path().to_str().unwrap(),
    ]);
    std::thread::sleep(Duration::from_millis(300));
    // A compressed CloudTrail file, as `aws s3 sync` leaves them: read whole once settled.
    let envelope = format!(r#"{{"Records":[{},{}]}}"#, harmless(1), stop_logging(7));
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(envelope.as_bytes()).unwrap();
    let nested = dir.path().join("AWSLogs/1/CloudTrail/us-east-1");
    std::fs::create_dir_all(&nested).unwrap();
    std::fs::write(
        nested.join("1_CloudTrail_us-east-1_20261001T0000Z_x.json.gz"),
        gz.finish().unwrap(),
    )
    .unwrap();
    // A plain file, followed as it grows.
    append(
        &dir.path().join("local.jsonl"),
        &format!("{}\n", stop_logging(8)),
    );
    let mut ids: Vec<String> = watcher.lines(2).iter().map(event_id).collect();
    ids.sort();
    assert_eq!(ids, ["e-7", "e-8"]);
    append(
        &dir.path().join("local.jsonl"),
        &format!("{}\n", stop_logging(9)),
    );
    assert_eq!(event_id(&watcher.lines(1)[0]), "e-9");
}
