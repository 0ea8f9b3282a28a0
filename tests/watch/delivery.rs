//! Delivery: webhooks that fail (retries, the on-disk queue, then delivery), and a `kill -9`
//! in the middle of it all (nothing lost, duplicates only past the last commit, same ids).

use crate::support::*;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

fn queued_batches(state: &Path) -> usize {
    let Ok(sinks) = std::fs::read_dir(state.join("spool")) else {
        return 0;
    };
    sinks
        .flatten()
        .flat_map(|sink| std::fs::read_dir(sink.path()).unwrap().flatten())
        .filter(|f| f.path().extension().is_some_and(|e| e == "json"))
        .count()
}

#[test]
fn a_failing_webhook_is_retried_then_queued_then_delivered_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let (log, state) = (dir.path().join("trail.jsonl"), dir.path().join("state"));
    let receiver = Receiver::start();
    receiver.fail(true);
    let watcher = Watcher::start(&[
        "-r",
        pack().to_str().unwrap(),
        "--webhook",
        &receiver.url,
        "--webhook-secret",
        "s3cret",
        "--webhook-attempts",
        "2",
        "--state",
        state.to_str().unwrap(),
        "--poll-ms",
        "20",
        log.to_str().unwrap(),
    ]);
    append(&log, &format!("{}\n{}\n", stop_logging(1), stop_logging(2)));
    wait_until(
        || queued_batches(&state) > 0,
        "a queued batch",
        || watcher.errors(),
    );
    assert!(
        *receiver.refused.lock().unwrap() >= 2,
        "tried twice before queuing"
    );
    watcher.wait_stderr("the batch is queued");
    // More matches while the receiver is down: they queue behind.
    append(&log, &format!("{}\n", stop_logging(3)));
    std::thread::sleep(Duration::from_millis(300));
    receiver.fail(false);
    wait_until(
        || receiver.matches().len() >= 3,
        "three matches delivered",
        || watcher.errors(),
    );
    let ids: Vec<String> = receiver.matches().iter().map(event_id).collect();
    assert_eq!(ids, ["e-1", "e-2", "e-3"]);
    for request in receiver.accepted.lock().unwrap().iter() {
        let signature = sigil_watch::deliver::signature(b"s3cret", &request.body);
        assert_eq!(
            request.header("x-sigil-signature"),
            Some(signature.as_str())
        );
        assert_eq!(request.header("content-type"), Some("application/json"));
    }
    wait_until(
        || queued_batches(&state) == 0,
        "an empty queue",
        || watcher.errors(),
    );
    // Up again: straight through.
    append(&log, &format!("{}\n", stop_logging(4)));
    wait_until(
        || receiver.matches().len() == 4,
        "the fourth match",
        || watcher.errors(),
    );
    assert_eq!(watcher.stop(), Some(0));
}

/// Reads the JSON lines of `path`.
fn lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

#[test]
fn kill_9_and_a_restart_on_the_same_state_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (log, state, out) = (
        dir.path().join("trail.jsonl"),
        dir.path().join("state"),
        dir.path().join("out.jsonl"),
    );
    let receiver = Receiver::start();
    let args = |receiver: &Receiver| {
        vec![
            "-r".to_string(),
            pack().display().to_string(),
            "--state".into(),
            state.display().to_string(),
            "-o".into(),
            out.display().to_string(),
            "--webhook".into(),
            receiver.url.clone(),
            "--webhook-attempts".into(),
            "1".into(),
            "--poll-ms".into(),
            "10".into(),
            log.display().to_string(),
        ]
    };
    let owned = args(&receiver);
    let watcher = Watcher::start(&owned.iter().map(String::as_str).collect::<Vec<_>>());
    let total = 300;
    let mut written = 0;
    let burst = |from: u64| -> String {
        (from..from + 10)
            .map(|n| format!("{}\n{}\n", stop_logging(n), harmless(n)))
            .collect()
    };
    while written < 150 {
        append(&log, &burst(written + 1));
        written += 10;
        std::thread::sleep(Duration::from_millis(15));
    }
    let delivered = || {
        lines(&out)
            .iter()
            .filter(|m| m.get("event").is_some())
            .count()
            >= 100
    };
    wait_until(delivered, "the first matches", || watcher.errors());
    // The receiver goes down, batches queue on disk; then the watcher dies mid-stream.
    receiver.fail(true);
    while written < 200 {
        append(&log, &burst(written + 1));
        written += 10;
        std::thread::sleep(Duration::from_millis(15));
    }
    // Killed while it may still be scanning and delivering the last bursts.
    std::thread::sleep(Duration::from_millis(20));
    watcher.kill9();
    let positions: serde_json::Value =
        serde_json::from_slice(&std::fs::read(state.join("positions.json")).unwrap()).unwrap();
    let committed = positions["files"][0]["record"].as_u64().unwrap();
    // Written while it is down.
    while written < total {
        append(&log, &burst(written + 1));
        written += 10;
    }
    receiver.fail(false);
    let watcher = Watcher::start(&owned.iter().map(String::as_str).collect::<Vec<_>>());
    wait_until(
        || {
            let ids: std::collections::BTreeSet<String> =
                lines(&out).iter().map(event_id).collect();
            ids.len() == total as usize
        },
        "every match in the output file",
        || watcher.errors(),
    );
    wait_until(
        || {
            let ids: std::collections::BTreeSet<String> =
                receiver.matches().iter().map(event_id).collect();
            ids.len() == total as usize
        },
        "every match at the webhook",
        || watcher.errors(),
    );
    for (sink, matches) in [("file", lines(&out)), ("webhook", receiver.matches())] {
        let mut seen: BTreeMap<String, (String, u64)> = BTreeMap::new();
        let mut duplicates = 0;
        for m in matches.iter().filter(|m| m.get("event").is_some()) {
            let record = m["source"]["record"].as_u64().unwrap();
            let id = m["id"].as_str().unwrap().to_string();
            if let Some((first_id, _)) = seen.insert(event_id(m), (id.clone(), record)) {
                // A duplicate: the same id, and only for a record past the last commit.
                duplicates += 1;
                assert_eq!(first_id, id, "{sink}: a duplicate keeps its id");
                assert!(
                    record >= committed,
                    "{sink}: record {record} was committed ({committed}) yet sent twice"
                );
            }
        }
        assert_eq!(seen.len(), total as usize, "{sink}");
        println!("{sink}: {duplicates} duplicates, all past record {committed} (the last commit)");
    }
    assert_eq!(watcher.stop(), Some(0));
}
