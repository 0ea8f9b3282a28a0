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
    // Told at once, before the change is polled.
    watcher.signal("HUP");
    watcher.wait_stderr("rules reloaded: 2 rules");
    append(&log, &format!("{}\n", delete_trail(6)));
    assert_eq!(event_id(&watcher.lines(1)[0]), "e-6");
    assert!(watcher.line(Duration::from_millis(300)).is_none());
}
