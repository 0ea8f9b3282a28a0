//! Bad input: every kind is counted and reported with its place, the rest is still framed, and
//! nothing panics.

use std::io::Write;

use crate::support::input::{Outcome, read_path, read_stream};
use sigil_engine::framing::{BadReason, MAX_DEPTH, MAX_RECORD_BYTES, Shape};
use sigil_engine::input::{Codec, InputError, InputSource, OpenOptions, SkipReason, open};

fn ndjson(count: usize) -> Vec<u8> {
    (0..count)
        .map(|i| format!("{{\"eventName\":\"Event{i}\",\"n\":{i}}}\n"))
        .collect::<String>()
        .into_bytes()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn write(dir: &tempfile::TempDir, name: &str, content: &[u8]) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, content).unwrap();
    path
}

fn reasons(outcome: &Outcome) -> Vec<(u64, BadReason)> {
    outcome
        .bad
        .iter()
        .map(|bad| (bad.index, bad.reason.clone()))
        .collect()
}

#[test]
fn truncated_gzip_delivers_records_before_the_break_then_an_error() {
    let plain = ndjson(2000);
    let compressed = gzip(&plain);
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        &dir,
        "cut.json.gz",
        &compressed[..compressed.len() * 6 / 10],
    );

    let outcome = read_path(&path, &OpenOptions::default());
    assert!(
        outcome.records.len() > 100 && outcome.records.len() < 2000,
        "{}",
        outcome.records.len()
    );
    for (i, (index, _, bytes)) in outcome.records.iter().enumerate() {
        assert_eq!(*index, i as u64 + 1);
        assert_eq!(
            bytes,
            format!("{{\"eventName\":\"Event{i}\",\"n\":{i}}}").as_bytes()
        );
    }
    // The line cut in the middle is a bad record, then comes the error.
    assert!(
        matches!(
            reasons(&outcome)[..],
            [(index, BadReason::LineEndsInside { .. })] if index == outcome.records.len() as u64 + 1
        ),
        "{:?}",
        reasons(&outcome)
    );
    let [
        InputError::Truncated {
            codec: Codec::Gzip,
            output,
            ..
        },
    ] = outcome.errors[..]
    else {
        panic!("{:?}", outcome.errors);
    };
    assert!(output > 0 && output < plain.len() as u64);
    let message = outcome.errors[0].to_string();
    assert!(
        message.contains("cut.json.gz")
            && message.contains(&format!(
                "truncated gzip stream after {output} bytes of output"
            )),
        "{message}"
    );
}

#[test]
fn truncated_gzip_envelope_delivers_the_complete_records() {
    let records: Vec<String> = (0..500)
        .map(|i| format!("{{\"eventID\":\"{i}\",\"p\":{{\"k\":[{i}]}}}}"))
        .collect();
    let compressed = gzip(format!("{{\"Records\":[{}]}}", records.join(",")).as_bytes());
    let outcome = read_stream(
        std::io::Cursor::new(compressed[..compressed.len() / 2].to_vec()),
        &OpenOptions::default(),
    );
    assert_eq!(outcome.shape, Some(Shape::Envelope));
    let got = outcome.bytes();
    assert!(got.len() > 10 && got.len() < 500);
    assert!(got.iter().zip(&records).all(|(a, b)| a == b.as_bytes()));
    assert_eq!(outcome.bad.len(), 1);
    assert!(matches!(
        outcome.errors[..],
        [InputError::Truncated {
            codec: Codec::Gzip,
            ..
        }]
    ));
}

#[test]
fn corrupt_zstd_is_an_error_for_that_file_after_the_good_records() {
    let plain = ndjson(20_000);
    let mut compressed = zstd::encode_all(&plain[..], 1).unwrap();
    let middle = compressed.len() / 2;
    for byte in &mut compressed[middle..middle + 64] {
        *byte ^= 0x5a;
    }
    let outcome = read_stream(std::io::Cursor::new(compressed), &OpenOptions::default());
    assert_eq!(outcome.errors.len(), 1, "{outcome:?}");
    let error = &outcome.errors[0];
    assert!(
        matches!(
            error,
            InputError::Corrupt {
                codec: Codec::Zstd,
                ..
            } | InputError::Truncated {
                codec: Codec::Zstd,
                ..
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("zstd stream after"), "{error}");
    assert!(outcome.records.len() < 20_000);
}

#[test]
fn broken_lines_are_bad_records_and_the_rest_is_framed() {
    let log = concat!(
        "{\"ok\":1}\n",
        "{\"broken\": \n",
        "[1,2,3]\n",
        "\n",
        "not json at all\n",
        "{\"a\":[}\n",
        "{\"a\":1}}\n",
        "{\"a\":1} {\"b\":2}\n",
        "{\"ok\":2}\n",
        "\"just a string\"\n",
        "}\n",
        "{\"ok\":3}",
    );
    let outcome = read_stream(
        std::io::Cursor::new(log.as_bytes().to_vec()),
        &OpenOptions::default(),
    );
    assert_eq!(outcome.shape, Some(Shape::Ndjson));
    assert_eq!(
        outcome.bytes(),
        [&b"{\"ok\":1}"[..], b"{\"ok\":2}", b"{\"ok\":3}"]
    );
    assert_eq!(
        outcome.records.iter().map(|r| r.0).collect::<Vec<_>>(),
        [1, 8, 11]
    );
    assert_eq!(
        reasons(&outcome),
        [
            (2, BadReason::LineEndsInside { in_string: false }),
            (3, BadReason::NotAnObject),
            (4, BadReason::NotAnObject),
            (5, BadReason::Mismatched { at: 6 }),
            (6, BadReason::TrailingData { at: 7 }),
            (7, BadReason::TrailingData { at: 7 }),
            (9, BadReason::NotAnObject),
            (10, BadReason::NotAnObject),
        ]
    );
    let fifth = &outcome.bad[3];
    assert_eq!(fifth.offset, log.find("{\"a\":[}").unwrap() as u64);
    assert_eq!(
        fifth.to_string(),
        format!(
            "record 5 at byte {}: mismatched closing bracket at byte 6 of the record",
            fifth.offset
        )
    );
}

#[test]
fn invalid_utf8_and_binary_garbage_lines_are_bad_records() {
    let mut log = b"{\"ok\":1}\n{\"bad\":\"caf\xe9\"}\n".to_vec();
    log.extend((0..300u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 | 1)); // garbage, no NUL
    log.extend_from_slice(b"\n{\"ok\":2}\n");
    let outcome = read_stream(std::io::Cursor::new(log), &OpenOptions::default());
    assert_eq!(outcome.bytes(), [&b"{\"ok\":1}"[..], b"{\"ok\":2}"]);
    assert_eq!(outcome.bad[0].reason, BadReason::InvalidUtf8 { at: 11 });
    assert!(!outcome.bad.is_empty() && outcome.errors.is_empty());
    let last = outcome.records.last().unwrap().0;
    assert_eq!(last as usize, 2 + outcome.bad.len());
}

#[test]
fn a_binary_file_is_refused_with_an_error() {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let noise: Vec<u8> = (0..100_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let outcome = read_path(&write(&dir, "photo.json", &noise), &OpenOptions::default());
    assert!(
        matches!(outcome.errors[..], [InputError::Binary { .. }]),
        "{outcome:?}"
    );
    assert!(
        outcome.errors[0]
            .to_string()
            .contains("photo.json: binary data, not a log: "),
        "{}",
        outcome.errors[0]
    );
}

/// Issue 18, item 11: one bad byte in the head of a text log costs the record that holds it,
/// not the whole file; binary is decided on evidence.
#[test]
fn a_few_bad_bytes_in_the_head_cost_only_their_records() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = b"{\"ok\":1}\n\0\n{\"ok\":2,\"x\":\"a\0b\"}\n".to_vec();
    log.extend_from_slice(&ndjson(10));
    // A run of NUL bytes, as a crash leaves in a log file, at the very start of another.
    let mut crashed = vec![0u8; 4096];
    crashed.extend_from_slice(b"\n");
    crashed.extend_from_slice(&ndjson(400));
    for (name, content, good) in [("one-nul.jsonl", log, 12), ("crashed.jsonl", crashed, 400)] {
        let path = write(&dir, name, &content);
        for mmap in [true, false] {
            let options = OpenOptions {
                mmap,
                ..OpenOptions::default()
            };
            let outcome = read_path(&path, &options);
            assert!(outcome.errors.is_empty(), "{name}: {:?}", outcome.errors);
            assert_eq!(outcome.records.len(), good, "{name}");
            assert_eq!(outcome.bad.len(), 1, "{name}: {:?}", outcome.bad);
            assert!(
                matches!(outcome.bad[0].reason, BadReason::Binary { at: 0 }),
                "{name}: {}",
                outcome.bad[0]
            );
        }
    }
    // An empty file is no binary file: it holds no record.
    let empty = read_path(&write(&dir, "empty.json", b""), &OpenOptions::default());
    assert!(
        empty.errors.is_empty() && empty.records.is_empty(),
        "{empty:?}"
    );
    // UTF-16 text is named as such.
    let utf16: Vec<u8> = "\u{feff}{\"a\":1}\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let outcome = read_path(
        &write(&dir, "windows.json", &utf16),
        &OpenOptions::default(),
    );
    assert!(
        matches!(outcome.errors[..], [InputError::Utf16 { .. }]),
        "{outcome:?}"
    );
}

/// Issue 18, item 13: documentation in a log folder is skipped with its reason, never parsed
/// as malformed records; a log is never skipped, whatever its name.
#[test]
fn documentation_files_are_skipped_and_logs_never() {
    use sigil_engine::{Engine, ScanOptions};
    let dir = tempfile::tempdir().unwrap();
    let license = "MIT License\n\nCopyright (c) 2024\n\nPermission is hereby granted...\n";
    write(&dir, "LICENSE", license.as_bytes());
    write(
        &dir,
        "README.md",
        b"# Samples\n\nCloudTrail events for tests.\n",
    );
    write(&dir, "metadata.yaml", b"title: dataset\nauthor: someone\n");
    write(
        &dir,
        "info.yml",
        b"notes: |-\n  > curl http://169.254.169.254/\n  {\n  \"Code\" : \"Success\"\n  }\n",
    );
    // Logs named like documentation are read: JSON, and a known text log.
    write(&dir, "events.txt", b"{\"eventName\":\"A\"}\n");
    write(
        &dir,
        "flows.txt",
        b"2 123456789012 eni-1 10.0.0.1 10.0.0.2 443 49152 6 10 840 1620000000 1620000060 ACCEPT OK\n",
    );
    let rule = "title: any\nlogsource: {product: aws}\ndetection:\n  sel: {eventName|exists: true}\n  condition: sel\n";
    let loaded = sigil_compiler::load_str("r.yml".as_ref(), rule, &Default::default());
    let engine = Engine::new(loaded.rules, ScanOptions::default());
    let (_, stats) = crate::support::hunt_jsonl(&engine, &[dir.path().to_path_buf()]);
    let skipped: Vec<(String, SkipReason)> = stats
        .skipped_files
        .iter()
        .map(|skipped| {
            let name = skipped.input.path().unwrap().file_name().unwrap();
            (name.to_string_lossy().into_owned(), skipped.reason)
        })
        .collect();
    let reason = SkipReason::NotALog;
    assert_eq!(
        skipped,
        [
            ("LICENSE".to_owned(), reason),
            ("README.md".to_owned(), reason),
            ("info.yml".to_owned(), reason),
            ("metadata.yaml".to_owned(), reason),
        ]
    );
    assert!(!stats.had_input_errors(), "{:?}", stats.problems);
    assert_eq!((stats.files, stats.records), (2, 2));
}

#[test]
fn parquet_by_magic_is_decoded_not_misparsed() {
    let dir = tempfile::tempdir().unwrap();
    let mut parquet = b"PAR1\x15\x04\x15\x10".to_vec();
    parquet.extend_from_slice(b"{\"looks\":\"like json\"}\nPAR1");
    // Whatever its name, it is read as Parquet: this one has no valid footer.
    let outcome = read_path(&write(&dir, "flows.log", &parquet), &OpenOptions::default());
    let [InputError::Corrupt { codec, .. }] = &outcome.errors[..] else {
        panic!("{outcome:?}")
    };
    assert_eq!(*codec, Codec::Parquet);
    assert!(outcome.records.is_empty());
    // Inside gzip, it is skipped: Parquet compresses its own pages.
    let gzipped = read_path(
        &write(&dir, "flows.log.gz", &gzip(&parquet)),
        &OpenOptions::default(),
    );
    assert_eq!(gzipped.skipped, Some(SkipReason::Parquet));
}

#[test]
fn missing_and_unreadable_files_are_errors_for_that_file_only() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.json.gz");
    let outcome = read_path(&missing, &OpenOptions::default());
    let [InputError::Io { input, error }] = &outcome.errors[..] else {
        panic!("{outcome:?}")
    };
    assert_eq!(
        (input, error.kind()),
        (
            &InputSource::Path(missing.clone()),
            std::io::ErrorKind::NotFound
        )
    );

    // A folder given to `open` cannot be read as a file.
    let folder = read_path(dir.path(), &OpenOptions::default());
    assert!(
        matches!(folder.errors[..], [InputError::Io { .. }]),
        "{folder:?}"
    );

    let locked = write(&dir, "locked.json", b"{\"a\":1}\n");
    let mut permissions = std::fs::metadata(&locked).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o000);
    std::fs::set_permissions(&locked, permissions).unwrap();
    if std::fs::read(&locked).is_ok() {
        eprintln!(
            "notice: running with privileges that ignore file modes, permission case skipped"
        );
    } else {
        let outcome = read_path(&locked, &OpenOptions::default());
        assert!(
            matches!(&outcome.errors[..], [InputError::Io { error, .. }] if error.kind() == std::io::ErrorKind::PermissionDenied)
        );
    }
    // The next file opens fine.
    let fine = read_path(
        &write(&dir, "fine.json", b"{\"a\":1}\n"),
        &OpenOptions::default(),
    );
    assert_eq!(fine.records.len(), 1);
    assert!(open(&InputSource::Path(missing), &OpenOptions::default()).is_err());
}

/// `depth` nested objects around `{}`, as one line.
fn nested(depth: usize) -> String {
    format!("{}{{}}{}", "{\"a\":".repeat(depth), "}".repeat(depth))
}

#[test]
fn deep_nesting_is_bounded_in_every_shape() {
    let deep = nested(10_000);
    let fine = nested(MAX_DEPTH - 1);
    let layouts = [
        (Shape::Ndjson, format!("{deep}\n{fine}\n{{\"after\":1}}\n")),
        (
            Shape::Envelope,
            format!("{{\"Records\":[{deep},{fine},{{\"after\":1}}]}}"),
        ),
        (
            Shape::JsonArray,
            format!("[{deep},\n{fine},\n{{\"after\":1}}]"),
        ),
        (
            Shape::Concatenated,
            format!("{deep}{fine}\n{{\n\"after\":1}}"),
        ),
    ];
    for (shape, log) in layouts {
        let options = OpenOptions {
            shape: Some(shape),
            ..OpenOptions::default()
        };
        let outcome = read_stream(std::io::Cursor::new(log.into_bytes()), &options);
        assert_eq!(
            reasons(&outcome),
            [(
                1,
                BadReason::TooDeep {
                    limit: MAX_DEPTH as u64
                }
            )],
            "{shape}"
        );
        assert_eq!(
            outcome.records.iter().map(|r| r.0).collect::<Vec<_>>(),
            [2, 3],
            "{shape}"
        );
    }
    // Never closed: unbalanced, and no stack is harmed.
    let open_only = "[".repeat(100_000);
    let outcome = read_stream(
        std::io::Cursor::new(format!("{{\"a\":{open_only}\n{{}}\n").into_bytes()),
        &OpenOptions::default(),
    );
    assert_eq!(
        reasons(&outcome),
        [(1, BadReason::LineEndsInside { in_string: false })]
    );
    assert_eq!(outcome.records.len(), 1);
}

#[test]
fn a_line_over_the_limit_in_a_mapped_file_is_too_large() {
    let mut log = b"{\"ok\":1}\n{\"big\":\"".to_vec();
    log.resize(log.len() + MAX_RECORD_BYTES, b'x');
    log.extend_from_slice(b"\"}\n{\"ok\":2}\n");
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "big.log", &log);
    for options in [
        OpenOptions::default(),
        OpenOptions {
            mmap: false,
            ..OpenOptions::default()
        },
    ] {
        let outcome = read_path(&path, &options);
        let len = (MAX_RECORD_BYTES + 10) as u64;
        assert_eq!(
            reasons(&outcome),
            [(
                2,
                BadReason::TooLarge {
                    len,
                    limit: MAX_RECORD_BYTES as u64
                }
            )]
        );
        assert_eq!(outcome.bad[0].offset, 9);
        assert_eq!(
            outcome
                .records
                .iter()
                .map(|r| (r.0, r.1))
                .collect::<Vec<_>>(),
            [(1, 0), (3, len + 10)]
        );
    }
}

/// Issue 18, item 18: each message names what is wrong with the record, not where the parser
/// gave up or what it is called inside.
#[test]
fn messages_name_what_is_wrong() {
    let log: &[u8] = b"{\"eventName\":\"A\"}\n\
        {\"eventName\":\"B\", \"x\": \"open\n\
        {\"eventName\":[\"C\"\n\
        \xe9t\xe9\n\
        {\"eventName\":\"caf\xe9\"}\n\
        {\"eventName\":\"D\",\"n\":NaN}\n\
        {\"eventName\":\"E\",\"n\":01}\n\
        {\"eventName\":\"F\",\"n\":1}\n";
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "events.jsonl", log);
    let rule = "title: any\nlogsource: {product: aws}\ndetection:\n  sel: {eventName|exists: true}\n  condition: sel\n";
    let loaded = sigil_compiler::load_str("r.yml".as_ref(), rule, &Default::default());
    let engine = crate::support::any_source_engine(loaded.rules);
    let (_, stats) = crate::support::hunt_jsonl(&engine, &[path]);
    let reasons: Vec<(u64, String)> = stats
        .problems
        .iter()
        .map(|p| (p.record.unwrap(), p.kind.to_string()))
        .collect();
    assert_eq!(
        reasons,
        [
            (
                2,
                "the line ends inside a string (a closing quote is missing)".to_owned()
            ),
            (
                3,
                "the line ends before the record closes (a closing bracket is missing)".to_owned()
            ),
            (4, "invalid UTF-8 at byte 0 of the record".to_owned()),
            (5, "invalid UTF-8 at byte 17 of the record".to_owned()),
            (
                6,
                "invalid JSON: unexpected `NaN` at byte 21 (a value is a string, number, \
                 object, array, true, false or null)"
                    .to_owned()
            ),
            (7, "invalid JSON: invalid number `01` at byte 21".to_owned()),
        ]
    );
}

/// Issue 18, item 12: what is not read is reported, never dropped in silence.
#[test]
fn what_a_layout_cannot_read_is_reported() {
    // A first line holding an array does not turn an NDJSON file into an array.
    let log = b"[1,2,3]\n{\"a\":1}\n{\"a\":2}\n".to_vec();
    let outcome = read_stream(std::io::Cursor::new(log), &OpenOptions::default());
    assert_eq!(outcome.shape, Some(Shape::Ndjson));
    assert_eq!(outcome.bytes(), [&b"{\"a\":1}"[..], b"{\"a\":2}"]);
    assert_eq!(reasons(&outcome), [(1, BadReason::NotAnObject)]);

    let cloudtrail = OpenOptions {
        shape: Some(Shape::Envelope),
        ..OpenOptions::default()
    };
    // `Records` that is not an array, and objects without `Records`, read as CloudTrail.
    let log = b"{\"Records\":{\"eventName\":\"A\"},\"x\":1}\n{\"eventName\":\"B\"}\n{\"Records\":[{\"eventName\":\"C\"}]}\n";
    let outcome = read_stream(std::io::Cursor::new(log.to_vec()), &cloudtrail);
    assert_eq!(outcome.bytes(), [&b"{\"eventName\":\"C\"}"[..]]);
    assert_eq!(
        reasons(&outcome),
        [
            (1, BadReason::RecordsNotAnArray { found: "an object" }),
            (2, BadReason::NoRecords),
        ]
    );
    assert_eq!(
        outcome.bad[0].reason.to_string(),
        "`Records` holds an object, not an array of records: it was not read"
    );

    // Objects after the arrays of an array file: framing stops, and says how much is left.
    let log = b"[{\"a\":1}]\n{\"b\":2}\n{\"b\":3}\n";
    let array = OpenOptions {
        shape: Some(Shape::JsonArray),
        ..OpenOptions::default()
    };
    let outcome = read_stream(std::io::Cursor::new(log.to_vec()), &array);
    assert_eq!(outcome.bytes(), [&b"{\"a\":1}"[..]]);
    assert_eq!(
        reasons(&outcome),
        [(
            2,
            BadReason::Malformed {
                expected: "`[` opening an array",
                unread: 16
            }
        )]
    );
    assert!(
        outcome.bad[0]
            .to_string()
            .ends_with("the 16 bytes from here on were not read"),
        "{}",
        outcome.bad[0]
    );
}

/// Issue 18, item 9: a file truncated while a hunt reads it through a memory map (log rotation
/// with `copytruncate`) used to kill the process with SIGBUS. It is an error for that file, and
/// the hunt goes on with the next input.
///
/// The hunt runs in a child process (this test binary again, running
/// [`shrink_child_hunt`]), so that a regression kills the child, not the test harness. The child
/// truncates the big file itself from the hunt's progress callback, once the first chunk of
/// it is scanned: the other chunks are then read past the file's new end, on every thread.
#[test]
fn a_file_shrinking_under_its_map_is_an_error_for_that_file() {
    let dir = tempfile::tempdir().unwrap();
    let line = |i: usize| {
        format!(
            "{{\"eventName\":\"Event{i}\",\"pad\":\"{}\"}}\n",
            "x".repeat(400)
        )
    };
    // About 43 MB, over 20 chunks. Events this long are written from the map, not copied
    // (`TextOut::event`): the first chunk's are written after the file shrank.
    let big: String = (0..100_000).map(line).collect();
    write(&dir, "a-big.jsonl", big.as_bytes());
    write(&dir, "z-later.jsonl", b"{\"eventName\":\"Later\"}\n");
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["shrink_child_hunt", "--nocapture", "--test-threads=1"])
        .env("SIGIL_SHRINK_CHILD_DIR", dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&child.stdout);
    assert!(
        child.status.success(),
        "the child hunt died: {:?}\n{stdout}\n{}",
        child.status,
        String::from_utf8_lossy(&child.stderr)
    );
    assert!(stdout.contains("shrink child: checked"), "{stdout}");
}

/// The hunt of [`a_file_shrinking_under_its_map_is_an_error_for_that_file`]; does nothing unless
/// that test runs it.
#[test]
fn shrink_child_hunt() {
    use sigil_engine::{HuntOptions, HuntStats, JsonlSink, LocalSource};
    let Some(dir) = std::env::var_os("SIGIL_SHRINK_CHILD_DIR") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    let big = dir.join("a-big.jsonl");
    let rules = "title: big\nlogsource: {product: aws}\ndetection:\n  sel: {eventName|startswith: Event}\n  condition: sel\n---\n\
                 title: later\nlogsource: {product: aws}\ndetection:\n  sel: {eventName: Later}\n  condition: sel\n";
    let loaded = sigil_compiler::load_str("r.yml".as_ref(), rules, &Default::default());
    let engine = crate::support::any_source_engine(loaded.rules);
    drop_from_page_cache(&big);
    let truncated = std::sync::Once::new();
    let progress = |_: &HuntStats| {
        truncated.call_once(|| {
            let file = std::fs::OpenOptions::new().write(true).open(&big).unwrap();
            file.set_len(1 << 20).unwrap();
        });
    };
    let hunt_options = HuntOptions {
        progress: Some(&progress),
        ..HuntOptions::default()
    };
    let mut sink = JsonlSink::new(Vec::new(), engine.rules());
    let mut source = LocalSource::new(std::slice::from_ref(&dir));
    let stats = sigil_engine::hunt(&engine, &mut source, &hunt_options, &mut sink).unwrap();
    let out = sink.into_inner();
    assert!(truncated.is_completed());
    let file_errors: Vec<String> = stats
        .problems
        .iter()
        .filter(|p| p.record.is_none())
        .map(|p| p.kind.to_string())
        .collect();
    assert_eq!(file_errors.len(), 1, "{:?}", stats.problems);
    assert!(
        file_errors[0].contains("a-big.jsonl: the file shrank while it was read"),
        "{}",
        file_errors[0]
    );
    assert!(stats.had_input_errors()); // the CLI's exit status 2
    assert_eq!(stats.files, 2);
    // The later input was scanned; what came out of the big file was read before it shrank,
    // and is exactly what the file held.
    let titles: Vec<serde_json::Value> = out
        .split(|&b| b == b'\n')
        .filter(|line| !line.is_empty())
        .map(|line| serde_json::from_slice(line).unwrap())
        .collect();
    assert_eq!(
        titles.last().unwrap()["rule"]["title"],
        "later",
        "{} matches",
        titles.len()
    );
    let big_matches = titles.len() - 1;
    assert!(big_matches < 100_000, "{big_matches}");
    for event in &titles[..big_matches] {
        let record = event["source"]["record"].as_u64().unwrap();
        assert_eq!(event["event"]["eventName"], format!("Event{}", record - 1));
        assert_eq!(event["event"]["pad"].as_str().map(str::len), Some(400));
    }
    println!("shrink child: checked ({big_matches} matches before the new end)");
}

/// Events of a memory-mapped file are written from the map, after the scan (`TextOut::event`).
/// A file that shrinks while they are written leaves zeros (or nothing) where they were: the
/// hunt stops with an error naming the file, rather than write them. (A file that shrinks
/// between the scan and the write is the test above: its unit is discarded and reported.)
#[test]
fn a_file_shrinking_while_its_events_are_written_stops_the_hunt() {
    use sigil_compiler::Rule;
    use sigil_engine::{
        CorrelationMatch, HuntOptions, Jsonl, JsonlSink, LocalSource, Sink, SinkError, TextBatch,
    };

    /// A JSONL sink that truncates `path` as it starts writing the first batch.
    struct Truncating {
        inner: JsonlSink<Vec<u8>>,
        path: std::path::PathBuf,
    }

    impl Sink for Truncating {
        type Batch = TextBatch<Jsonl>;
        fn batch(&mut self) -> TextBatch<Jsonl> {
            self.inner.batch()
        }
        fn write(&mut self, batch: TextBatch<Jsonl>) -> Result<(), SinkError> {
            std::fs::OpenOptions::new()
                .write(true)
                .open(&self.path)?
                .set_len(0)?;
            self.inner.write(batch)
        }
        fn correlation(&mut self, rule: &Rule, m: &CorrelationMatch) -> Result<(), SinkError> {
            self.inner.correlation(rule, m)
        }
    }

    let dir = tempfile::tempdir().unwrap();
    let line = |i: usize| {
        format!(
            "{{\"eventName\":\"Event{i}\",\"pad\":\"{}\"}}\n",
            "x".repeat(400)
        )
    };
    let path = write(
        &dir,
        "big.jsonl",
        (0..1000).map(line).collect::<String>().as_bytes(),
    );
    let rules = "title: big\nlogsource: {product: aws}\ndetection:\n  sel: {eventName|startswith: Event}\n  condition: sel\n";
    let loaded = sigil_compiler::load_str("r.yml".as_ref(), rules, &Default::default());
    let engine = crate::support::any_source_engine(loaded.rules);
    let mut sink = Truncating {
        inner: JsonlSink::new(Vec::new(), engine.rules()),
        path: path.clone(),
    };
    let mut source = LocalSource::new(std::slice::from_ref(&path));
    let stopped = sigil_engine::hunt(&engine, &mut source, &HuntOptions::default(), &mut sink)
        .expect_err("the events could not be written");
    assert!(
        stopped
            .to_string()
            .contains("big.jsonl: the file shrank while matches read from it were written"),
        "{stopped}"
    );
}

/// Writes `path`'s pages to disk and drops them from the page cache, so that a hunt reads the
/// file from disk through its map (read ahead in huge pages where the system gives them), as a
/// hunt over an archive does.
fn drop_from_page_cache(path: &std::path::Path) {
    use std::os::fd::AsRawFd;
    let file = std::fs::File::open(path).unwrap();
    file.sync_all().unwrap();
    // SAFETY: a valid descriptor; the advice only drops clean cached pages.
    let status = unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
    assert_eq!(status, 0);
}

/// Issue 18, item 17: a compressed CloudTrail envelope (or array, or concatenated objects) is
/// streamed in blocks cut between records, not held whole: memory stays bounded by a block and
/// the largest record, and the records come out with the numbers and offsets of the document
/// framed in one piece, bad ones included.
#[test]
fn documents_are_streamed_in_blocks_numbered_as_one_piece() {
    use sigil_engine::framing::{Origin, records};
    use sigil_engine::input::{BLOCK_BYTES, Opened, open_reader};
    let element = |i: usize| match i % 1000 {
        7 => "42".to_owned(), // not an object: a bad record
        8 => format!("{{\"deep\":{}1{}}}", "[".repeat(600), "]".repeat(600)), // too deep
        _ => format!(
            "{{\"eventID\":\"{i}\",\"p\":\"{}\",\"q\":[\"]\\\"\"]}}",
            "x".repeat(i % 300)
        ),
    };
    let elements: Vec<String> = (0..36_000).map(element).collect();
    let documents = [
        (
            Shape::Envelope,
            format!(
                "{{\"Version\":\"1\",\"Records\":[\n{}\n],\"Other\":{{\"a\":[1]}}}}\n{{\"Records\":[{}]}}",
                elements.join(",\n"),
                elements[..10].join(",")
            ),
        ),
        (
            Shape::JsonArray,
            format!("[{}]\n[{}]", elements.join(","), elements[..5].join(",")),
        ),
        (
            Shape::Concatenated,
            elements
                .iter()
                .filter(|e| e.starts_with('{'))
                .cloned()
                .collect::<Vec<_>>()
                .join("\n"),
        ),
    ];
    for (shape, document) in documents {
        assert!(
            document.len() > 3 * BLOCK_BYTES,
            "{shape}: {}",
            document.len()
        );
        // Framed in one piece, as a mapped file is.
        let whole: Vec<(u64, u64, Result<Vec<u8>, String>)> =
            records(document.as_bytes(), shape, Origin::START)
                .map(|r| match r {
                    Ok(r) => (r.index, r.offset, Ok(r.bytes.to_vec())),
                    Err(bad) => (bad.index, bad.offset, Err(bad.reason.to_string())),
                })
                .collect();
        let options = OpenOptions {
            shape: Some(shape),
            ..OpenOptions::default()
        };
        // Read as a stream (stdin, a compressed file, a file read without a map).
        let Ok(Opened::Blocks(blocks)) = open_reader(
            InputSource::Stdin,
            std::io::Cursor::new(document.clone().into_bytes()),
            &options,
        ) else {
            panic!("{shape}: not opened");
        };
        let mut streamed = Vec::new();
        let mut largest = 0;
        let mut count = 0;
        for block in blocks {
            let block = match block {
                Ok(block) => block,
                Err(error) => panic!("{shape}: {error}"),
            };
            count += 1;
            largest = largest.max(block.bytes().len());
            for r in block.records() {
                streamed.push(match r {
                    Ok(r) => (r.index, r.offset, Ok(r.bytes.to_vec())),
                    Err(bad) => (bad.index, bad.offset, Err(bad.reason.to_string())),
                });
            }
        }
        assert!(count > 3, "{shape}: {count} blocks");
        assert!(
            largest < 2 * BLOCK_BYTES,
            "{shape}: a block of {largest} bytes"
        );
        assert_eq!(streamed.len(), whole.len(), "{shape}");
        for (a, b) in streamed.iter().zip(&whole) {
            assert_eq!(a, b, "{shape}");
        }
        assert!(
            whole.iter().any(|r| r.2.is_err()),
            "{shape}: bad records too"
        );
    }
    // A document cut short after a block boundary still reports its unfinished record.
    let cut = format!("{{\"Records\":[{}", elements[..20_000].join(","));
    let outcome = read_stream(
        std::io::Cursor::new(gzip(cut.as_bytes())),
        &OpenOptions::default(),
    );
    assert_eq!(outcome.records.len() + outcome.bad.len(), 20_001);
    assert_eq!(outcome.bad.last().unwrap().reason, BadReason::Truncated);
}
