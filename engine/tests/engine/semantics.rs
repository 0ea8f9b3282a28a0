//! The semantics tables: `testdata/semantics/*.yml`, one file per topic, run against the exact
//! evaluator.
//!
//! Each file holds `cases:`, each with a `name`, a `selection:` (short for
//! `detection: {sel: <selection>, condition: sel}`) or a whole `detection:`, optional
//! `placeholders:` (name -> values), an `event:` (a JSON object written in YAML) and the expected
//! `match:`. Every case becomes a one-rule file, loaded with the compiler; the event is turned into
//! JSON text and parsed with simd-json, as the engine does. Each case also goes through the whole
//! hunt path (an NDJSON file in, JSONL out), which must agree. All failures are reported at once.

use sigil_compiler::{LoadOptions, LogSource, Placeholders, RuleId, RuleSet, SourceId, load_str};
use sigil_compiler::{YamlNode as Node, YamlValue as Value, parse_yaml as parse_documents};
use sigil_engine::{Engine, ScanOptions};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[test]
fn semantics_tables() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/semantics");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("readable directory").path())
        .filter(|path| path.extension().is_some_and(|e| e == "yml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no tables in {}", dir.display());

    let mut failures = Vec::new();
    let mut summary = String::new();
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(file).expect("readable table");
        let cases = match table_cases(&text) {
            Ok(cases) => cases,
            Err(problem) => {
                failures.push(format!("{name}: {problem}"));
                continue;
            }
        };
        let before = failures.len();
        for case in &cases {
            if let Err(problem) = run_case(case) {
                failures.push(format!("{name}: {}: {problem}", case_name(case)));
            }
        }
        let failed = failures.len() - before;
        let _ = writeln!(
            summary,
            "{name}: {} passed, {failed} failed",
            cases.len() - failed
        );
    }
    eprint!("{summary}");
    assert!(
        failures.is_empty(),
        "{} failing cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The `cases` of a table file.
fn table_cases(text: &str) -> Result<Vec<Node>, String> {
    let docs = parse_documents(SourceId(0), text).map_err(|d| d.message.clone())?;
    let cases = docs.first().and_then(|doc| doc.get("cases"));
    match cases.map(|c| &c.value) {
        Some(Value::Seq(cases)) => Ok(cases.clone()),
        _ => Err("no `cases:` list".into()),
    }
}

fn case_name(case: &Node) -> &str {
    case.get("name")
        .and_then(Node::as_str)
        .unwrap_or("<unnamed>")
}

/// Runs one case: `Err` says how it failed.
fn run_case(case: &Node) -> Result<(), String> {
    let detection = match (case.get("selection"), case.get("detection")) {
        (Some(selection), None) => format!("{{sel: {}, condition: sel}}", flow(selection)),
        (None, Some(detection)) => flow(detection),
        _ => return Err("needs exactly one of `selection` and `detection`".into()),
    };
    let expected = match case.get("match").map(|m| &m.value) {
        Some(Value::Bool(expected)) => *expected,
        _ => return Err("`match` must be true or false".into()),
    };
    let event = case.get("event").ok_or("no `event`")?;

    let rule = format!(
        "title: {}\nid: 00000000-0000-4000-8000-000000000000\nlevel: medium\n\
         logsource: {{product: test}}\ndetection: {detection}\n",
        quote(case_name(case))
    );
    let options = LoadOptions {
        placeholders: placeholders(case.get("placeholders")),
        ..LoadOptions::default()
    };
    let loaded = load_str("case.yml".as_ref(), &rule, &options);
    let errors: Vec<&str> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.message.as_str())
        .collect();
    if !errors.is_empty() || loaded.rules.len() != 1 {
        return Err(format!(
            "rule refused: {} (expected match: {expected})\n    rule: {detection}",
            errors.join("; ")
        ));
    }

    let event_json = serde_json::to_vec(&event.to_json()?).expect("JSON values serialize");
    let direct = ScanOptions {
        prefilter: false,
        any_logsource: true,
        ..ScanOptions::default()
    };
    let engine = Engine::new(load_str("case.yml".as_ref(), &rule, &options).rules, direct);
    let got = match engine.scanner().scan(&event_json) {
        Ok(found) => found.rules == [RuleId(0)],
        Err(error) => return Err(error.to_string()),
    };
    let through_hunt = hunt_path(loaded.rules, &event_json);
    if got != through_hunt {
        Err(format!(
            "the scanner alone says {got} but the hunt path (file in, JSONL out) says {through_hunt}"
        ))
    } else if got == expected {
        Ok(())
    } else {
        Err(format!(
            "expected match: {expected}, got: {got}\n    rule: {detection}\n    event: {}",
            serde_json::to_string(&event.to_json()?).expect("JSON values serialize")
        ))
    }
}

/// Runs the case through the whole hunt path: the event written to an NDJSON file, framed,
/// scanned and written as JSONL. True when a match came out, carrying the event unchanged.
fn hunt_path(rules: RuleSet, event: &[u8]) -> bool {
    let dir = tempfile::tempdir().expect("temporary directory");
    let input = dir.path().join("events.jsonl");
    let mut file = event.to_vec();
    file.push(b'\n');
    std::fs::write(&input, file).expect("writable temporary file");
    let options = ScanOptions {
        forced_logsource: Some(LogSource {
            product: Some("test".into()),
            ..LogSource::default()
        }),
        ..ScanOptions::default()
    };
    let engine = Engine::new(rules, options);
    let (lines, stats) = crate::support::hunt_matches(&engine, &[input]);
    assert_eq!(
        (stats.records, stats.bad_records),
        (1, 0),
        "the event frames as one record"
    );
    for line in &lines {
        let original: serde_json::Value = serde_json::from_slice(event).expect("JSON event");
        assert_eq!(
            line["event"], original,
            "the match carries the event unchanged"
        );
        assert_eq!(line["source"]["record"], 1);
    }
    !lines.is_empty()
}

/// A YAML node as YAML flow text that parses back to the same node (strings stay strings,
/// numbers keep their spelling).
fn flow(node: &Node) -> String {
    match &node.value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number { text, .. } => text.clone(),
        Value::Str(s) => quote(s),
        Value::Seq(items) => format!("[{}]", join(items.iter().map(flow))),
        Value::Map(entries) => format!(
            "{{{}}}",
            join(
                entries
                    .iter()
                    .map(|(k, v)| format!("{}: {}", flow(k), flow(v)))
            )
        ),
    }
}

fn join(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

/// A YAML double-quoted scalar; everything outside printable ASCII is escaped.
fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            c if (c as u32) <= 0xFFFF => write!(out, "\\u{:04X}", c as u32).unwrap(),
            c => write!(out, "\\U{:08X}", c as u32).unwrap(),
        }
    }
    out.push('"');
    out
}

/// The `placeholders:` of a case: each name with its value or list of values.
fn placeholders(node: Option<&Node>) -> Placeholders {
    let scalar = |n: &Node| n.key_text().map(str::to_string);
    let values: BTreeMap<String, Vec<String>> = node
        .and_then(Node::as_map)
        .unwrap_or_default()
        .iter()
        .filter_map(|(name, values)| {
            let list = match &values.value {
                Value::Seq(items) => items.iter().filter_map(scalar).collect(),
                _ => scalar(values).into_iter().collect(),
            };
            Some((scalar(name)?, list))
        })
        .collect();
    Placeholders::new(values)
}

/// The rules of `yaml` (documents separated by `---`), each with `logsource: {product: aws}`.
fn engine_of(yaml: &str, prefilter: bool) -> Engine {
    let loaded = load_str("json.yml".as_ref(), yaml, &LoadOptions::default());
    assert!(
        loaded.diagnostics.iter().all(|d| !d.is_error()),
        "{:?}",
        loaded.diagnostics
    );
    let options = ScanOptions {
        prefilter,
        any_logsource: true,
        ..ScanOptions::default()
    };
    Engine::new(loaded.rules, options)
}

/// The titles of the rules of `engine` matching `record`, the same with the prefilter on and off.
fn matching_titles(yaml: &str, record: &str) -> Vec<String> {
    let [on, off] = [true, false].map(|prefilter| {
        let engine = engine_of(yaml, prefilter);
        let mut scanner = engine.scanner();
        let found = scanner
            .scan(record.as_bytes())
            .unwrap_or_else(|error| panic!("{record}: {error}"));
        found
            .rules
            .iter()
            .map(|&id| engine.rules().rule(id).meta.title.clone())
            .collect::<Vec<_>>()
    });
    assert_eq!(on, off, "prefilter on and off disagree on {record}");
    on
}

/// One rule per `(title, selection)`, the selection a YAML flow mapping.
fn rules(selections: &[(&str, &str)]) -> String {
    selections
        .iter()
        .map(|(title, selection)| {
            format!(
                "title: {title}\nlogsource: {{product: aws}}\ndetection:\n  sel: {selection}\n  condition: sel\n"
            )
        })
        .collect::<Vec<_>>()
        .join("---\n")
}

#[test]
fn numbers_beyond_64_bits_keep_the_record_and_compare_as_doubles() {
    let yaml = rules(&[
        ("name", "{eventName: Hidden}"),
        ("big", "{id|gt: 1e28}"),
        ("exact", "{id: '123456789012345678901234567890'}"),
        ("other", "{id: 5}"),
        ("infinite", "{n|gt: 1e300}"),
        ("minus", "{m|lt: -1e300}"),
        ("u64", "{u: 18446744073709551616}"),
        ("text", "{id|startswith: '1234'}"),
    ]);
    let record = r#"{"eventName":"Hidden","id":123456789012345678901234567890,"n":[1e400],"m":-1E+400,"u":18446744073709551616}"#;
    assert_eq!(
        matching_titles(&yaml, record),
        ["name", "big", "exact", "infinite", "minus", "u64"]
    );
    // The record's time and source are read as usual, and group-by values keep the text.
    let engine = engine_of(&rules(&[("name", "{eventName: Hidden}")]), true);
    let mut scanner = engine.scanner();
    let with_time = r#"{"eventTime":"2024-05-01T10:00:00Z","eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"Hidden","big":-123456789012345678901234567890}"#;
    let found = scanner.scan(with_time.as_bytes()).unwrap();
    assert_eq!(found.timestamp.unwrap().to_string(), "2024-05-01T10:00:00Z");
    assert_eq!(found.source, sigil_engine::RecordSource::CloudTrail);
    let text = found
        .view()
        .unwrap()
        .first_scalar(&sigil_compiler::FieldPath::new("big"));
    assert_eq!(text.as_deref(), Some("-123456789012345678901234567890"));
    drop(found);
    // A number that is not valid JSON is still an error, named as such.
    let error = scanner
        .scan(br#"{"eventName":"Hidden","a":0123}"#)
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid JSON: invalid number `0123` at byte 26"
    );
}

#[test]
fn with_duplicate_keys_the_last_value_wins_everywhere() {
    let yaml = rules(&[
        ("first", "{eventName: A}"),
        ("last", "{eventName: B}"),
        ("keyword-first", "{requestParameters|contains: shadowed}"),
        ("keyword-last", "{requestParameters|contains: visible}"),
    ]);
    let record =
        r#"{"eventName":"A","requestParameters":{"x":"shadowed","x":"visible"},"eventName":"B"}"#;
    assert_eq!(matching_titles(&yaml, record), ["last", "keyword-last"]);

    let engine = engine_of(&rules(&[("last", "{eventName: B}")]), false);
    let mut scanner = engine.scanner();
    let record = r#"{"eventTime":"2020-01-01T00:00:00Z","eventSource":"x","eventVersion":"1.08","eventName":"B","user":"alice","eventTime":"2024-05-01T10:00:00Z","user":"bob"}"#;
    let found = scanner.scan(record.as_bytes()).unwrap();
    assert_eq!(found.timestamp.unwrap().to_string(), "2024-05-01T10:00:00Z");
    let user = found
        .view()
        .unwrap()
        .first_scalar(&sigil_compiler::FieldPath::new("user"));
    assert_eq!(user.as_deref(), Some("bob"));
    // `sigil explain` reads simd-json's DOM: the same answer.
    let explained = sigil_engine::explain(engine.rules(), RuleId(0), record.as_bytes());
    assert!(explained.unwrap().unwrap().matched);
    let explained = sigil_engine::explain(
        engine.rules(),
        RuleId(0),
        br#"{"eventName":"B","eventName":"A"}"#,
    )
    .unwrap()
    .unwrap();
    assert!(!explained.matched);
    assert_eq!(explained.searches[0].matchers[0].seen, [r#""A""#]);
}
