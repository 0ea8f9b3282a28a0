//! Hot reload: a changed rule folder and SIGHUP load the rules again; a rule set that no
//! longer loads keeps the old one, and says why.

use crate::support::*;
use std::time::Duration;

const STOP_RULE: &str = "title: Trail stopped\nid: 00000000-0000-4000-8000-0000000000a1\nlevel: high\n\
    logsource: {product: aws, service: cloudtrail}\ndetection:\n  sel: {eventName: StopLogging}\n  condition: sel\n";
const DELETE_RULE: &str = "title: Trail deleted\nid: 00000000-0000-4000-8000-0000000000a2\nlevel: high\n\
    logsource: {product: aws, service: cloudtrail}\ndetection:\n  sel: {eventName: DeleteTrail}\n  condition: sel\n";

fn delete_trail(n: u64) -> String {
    stop_logging(n).replace("StopLogging", "DeleteTrail")
}

#[test]
fn rules_reload_on_change_and_on_sighup_and_a_broken_set_keeps_the_old() {
    let dir = tempfile::tempdir().unwrap();
    let (rules, log) = (dir.path().join("rules"), dir.path().join("trail.jsonl"));
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(rules.join("stop.yml"), STOP_RULE).unwrap();
    let watcher = Watcher::start(&[
        "-r",
        rules.to_str().unwrap(),
        "--poll-ms",
        "20",
        log.to_str().unwrap(),
    ]);
    append(&log, &format!("{}\n{}\n", delete_trail(1), stop_logging(2)));
    assert_eq!(event_id(&watcher.lines(1)[0]), "e-2");

    std::fs::write(rules.join("delete.yml"), DELETE_RULE).unwrap();
    watcher.wait_stderr("rules reloaded: 2 rules");
    append(&log, &format!("{}\n", delete_trail(3)));
    let m = watcher.lines(1);
    assert_eq!(
        (event_id(&m[0]), m[0]["source"]["record"].as_u64()),
        ("e-3".into(), Some(3))
    );

    std::fs::write(rules.join("broken.yml"), "title: broken\ndetection: [\n").unwrap();
    watcher.wait_stderr("the rules in force stay");
    append(&log, &format!("{}\n{}\n", stop_logging(4), delete_trail(5)));
    let ids: Vec<String> = watcher.lines(2).iter().map(event_id).collect();
    assert_eq!(ids, ["e-4", "e-5"]);

    std::fs::remove_file(rules.join("broken.yml")).unwrap();
    std::fs::remove_file(rules.join("delete.yml")).unwrap();
    watcher.wait_stderr("rules reloaded: 1 rules");
    std::thread::sleep(Duration::from_millis(100));
    std::fs::write(rules.join("delete.yml"), DELETE_RULE).unwrap();
    // Told at once (the change may be polled first all the same). Stderr said "2 rules"
    // before: only a reload after this mark puts the new rule in force.
    let mark = watcher.mark();
    watcher.signal("HUP");
    watcher.wait_stderr_since(mark, "rules reloaded: 2 rules");
    append(&log, &format!("{}\n", delete_trail(6)));
    assert_eq!(event_id(&watcher.lines(1)[0]), "e-6");
    assert!(watcher.line(Duration::from_millis(300)).is_none());
}

/// Writes `text` over the rule file at `path` without changing what polling sees: the same
/// length (`text` must have the old text's) and the same modification time.
fn rewrite_unseen(path: &std::path::Path, text: &str) {
    let meta = std::fs::metadata(path).unwrap();
    assert_eq!(meta.len(), text.len() as u64);
    std::fs::write(path, text).unwrap();
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(meta.modified().unwrap()).unwrap();
}

#[test]
fn sighup_loads_what_polling_cannot_see_and_a_change_only_once() {
    let dir = tempfile::tempdir().unwrap();
    let (rules, log) = (dir.path().join("rules"), dir.path().join("trail.jsonl"));
    std::fs::create_dir(&rules).unwrap();
    let stop = rules.join("stop.yml");
    std::fs::write(&stop, STOP_RULE).unwrap();
    // Polls far apart: a change is polled at least a second after the last reload.
    let poll = Duration::from_millis(1000);
    let watcher = Watcher::start(&[
        "-r",
        rules.to_str().unwrap(),
        "--poll-ms",
        "1000",
        log.to_str().unwrap(),
    ]);
    append(&log, &format!("{}\n", stop_logging(1)));
    assert_eq!(event_id(&watcher.lines(1)[0]), "e-1");

    // The same size and time: only SIGHUP can load it.
    rewrite_unseen(&stop, DELETE_RULE);
    let mark = watcher.mark();
    watcher.signal("HUP");
    watcher.wait_stderr_since(mark, "rules reloaded: 1 rules");
    append(&log, &format!("{}\n{}\n", stop_logging(2), delete_trail(3)));
    assert_eq!(event_id(&watcher.lines(1)[0]), "e-3");

    // A change that polling sees, told at once (right after a reload, so long before the
    // next poll): loaded once, not again when the poll comes.
    let mark = watcher.mark();
    watcher.signal("HUP");
    watcher.wait_stderr_since(mark, "rules reloaded: 1 rules");
    std::fs::write(rules.join("stop2.yml"), STOP_RULE.replace("a1", "a3")).unwrap();
    watcher.signal("HUP");
    wait_until(
        || watcher.stderr_count_since(mark, "rules reloaded") == 2,
        "the second reload",
        || watcher.errors(),
    );
    std::thread::sleep(poll + poll / 2);
    assert_eq!(
        watcher.stderr_count_since(mark, "rules reloaded"),
        2,
        "{}",
        watcher.errors()
    );
    append(&log, &format!("{}\n", stop_logging(4)));
    assert_eq!(event_id(&watcher.lines(1)[0]), "e-4");
    assert!(watcher.line(Duration::from_millis(300)).is_none());
}

#[test]
fn records_appended_across_reloads_are_each_matched_once() {
    let dir = tempfile::tempdir().unwrap();
    let (rules, log) = (dir.path().join("rules"), dir.path().join("trail.jsonl"));
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(rules.join("stop.yml"), STOP_RULE).unwrap();
    std::fs::write(rules.join("delete.yml"), DELETE_RULE).unwrap();
    let watcher = Watcher::start(&[
        "-r",
        rules.to_str().unwrap(),
        "--poll-ms",
        "20",
        log.to_str().unwrap(),
    ]);
    // Matched once, the watcher handles SIGHUP.
    append(&log, &format!("{}\n", stop_logging(0)));
    assert_eq!(event_id(&watcher.lines(1)[0]), "e-0");
    // Every rule set matches every record. Each record is appended in two halves, with two
    // reloads or more between them (told twice; the rewritten file may be polled too), after
    // the follower has had time to read the first half.
    let records = 12;
    for n in 1..=records {
        let record = if n % 2 == 0 {
            stop_logging(n)
        } else {
            delete_trail(n)
        };
        let (head, tail) = record.split_at(record.len() / 2);
        append(&log, head);
        std::thread::sleep(Duration::from_millis(60));
        let mark = watcher.mark();
        std::fs::write(rules.join("delete.yml"), DELETE_RULE).unwrap();
        for reloads in 1..=2 {
            watcher.signal("HUP");
            wait_until(
                || watcher.stderr_count_since(mark, "rules reloaded: 2 rules") >= reloads,
                "a reload",
                || watcher.errors(),
            );
        }
        append(&log, &format!("{tail}\n"));
    }
    let ids: Vec<String> = watcher
        .lines(records as usize)
        .iter()
        .map(event_id)
        .collect();
    let want: Vec<String> = (1..=records).map(|n| format!("e-{n}")).collect();
    assert_eq!(ids, want);
    assert!(watcher.line(Duration::from_millis(300)).is_none());
}
