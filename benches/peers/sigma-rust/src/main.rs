//! `sigma-rust-harness RULES_DIR EVENTS.jsonl`: evaluates every rule sigma-rust can parse on
//! every event, single-threaded, and prints one `line<TAB>title` per match, then a summary on
//! stderr. sigma-rust has no log source routing, so only CloudTrail rules should be given.

use std::io::{BufRead, BufWriter, Write};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (rules_dir, events) = (&args[1], &args[2]);
    let mut rules = Vec::new();
    let mut refused = 0;
    let mut paths: Vec<_> = std::fs::read_dir(rules_dir)
        .expect("rules folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    paths.sort();
    for path in paths {
        let text = std::fs::read_to_string(&path).expect("rule file");
        match sigma_rust::rule_from_yaml(&text) {
            Ok(rule) => rules.push(rule),
            Err(_) => refused += 1,
        }
    }
    let file = std::io::BufReader::new(std::fs::File::open(events).expect("events file"));
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let (mut count, mut matches) = (0u64, 0u64);
    for (number, line) in file.lines().enumerate() {
        let line = line.expect("readable events");
        let Ok(event) = sigma_rust::event_from_json(&line) else { continue };
        count += 1;
        for rule in &rules {
            if rule.is_match(&event) {
                matches += 1;
                writeln!(out, "{}\t{}", number + 1, rule.title).expect("stdout");
            }
        }
    }
    out.flush().expect("stdout");
    eprintln!("sigma-rust: {} rules ({refused} refused), {count} events, {matches} matches", rules.len());
}
