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
    assert_eq!(
        reasons(&outcome),
        [(outcome.records.len() as u64 + 1, BadReason::Truncated)]
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
            (2, BadReason::Truncated),
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
            .contains("photo.json: binary data (NUL byte at offset")
    );
}

#[test]
fn parquet_by_magic_is_skipped_not_misparsed() {
    let dir = tempfile::tempdir().unwrap();
    let mut parquet = b"PAR1\x15\x04\x15\x10".to_vec();
    parquet.extend_from_slice(b"{\"looks\":\"like json\"}\nPAR1");
    let outcome = read_path(&write(&dir, "flows.log", &parquet), &OpenOptions::default());
    assert_eq!(outcome.skipped, Some(SkipReason::Parquet));
    assert!(outcome.records.is_empty());
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
    assert_eq!(reasons(&outcome), [(1, BadReason::Truncated)]);
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
