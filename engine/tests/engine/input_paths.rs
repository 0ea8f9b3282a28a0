//! One harness, every input path: the same records, laid out in every shape, read through
//! every way in (memory map, read fallback, a trickling stdin-like reader, gzip single and
//! multi-member, zstd, parallel chunks) must come out as the same records, with the same
//! numbers and offsets.

use std::io::{Read, Write};

use crate::support::input::{Outcome, read_path, read_stream};
use rayon::prelude::*;
use serde_json::{Value, json};
use sigil_engine::framing::{Origin, Shape, count_records, records, split_ndjson};
use sigil_engine::input::{InputSource, OpenOptions, Opened, open};

/// Records chosen to trip a structural scanner: brackets and quotes inside strings, escapes,
/// non-ASCII text, empty containers, deep-ish nesting, a key named `Records`.
fn sample_records() -> Vec<Value> {
    vec![
        json!({"eventVersion": "1.08", "eventName": "ConsoleLogin", "userIdentity": {"type": "IAMUser", "userName": "alice"}}),
        json!({}),
        json!({"tricky": "}{][\"\\", "more": "a \"quoted\" {word}", "slash": "a/b\\/c", "nl": "line\nbreak\ttab"}),
        json!({"unicode": "Ünïcødé – 東京 – 🎉", "kelvin": "\u{212A}", "esc": "\u{0026}"}),
        json!({"Records": [{"nested": true}], "s3": {"bucket": {"name": "b"}}, "eventVersion": "2.1"}),
        json!({"a": [[[[[[{"b": [1, 2, {"c": null}]}]]]]]], "n": -1.5e3, "t": true, "f": false}),
        json!({"requestParameters": {"policyDocument": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\"}]}"}}),
        json!({"empty": {}, "list": [], "str": ""}),
    ]
}

fn compact(value: &Value) -> String {
    serde_json::to_string(value).unwrap()
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap()
}

/// The sample records in every layout: (name, shape detection must find, bytes).
fn layouts(values: &[Value]) -> Vec<(&'static str, Shape, Vec<u8>)> {
    let lines: Vec<String> = values.iter().map(compact).collect();
    let pretties: Vec<String> = values.iter().map(pretty).collect();
    let crlf_blank: String = lines
        .iter()
        .enumerate()
        .map(|(i, line)| match i % 3 {
            0 => format!("{line}\r\n\r\n"),
            1 => format!("  {line}  \r\n \t \n"),
            _ => format!("{line}\n\n"),
        })
        .collect();
    let concatenated: String = lines
        .iter()
        .zip(&pretties)
        .enumerate()
        .map(|(i, (line, pretty))| match i % 3 {
            0 => line.clone(),
            1 => format!("\n{pretty}\n"),
            _ => format!(" {line}"),
        })
        .collect();
    vec![
        ("ndjson", Shape::Ndjson, format!("{}\n", lines.join("\n")).into_bytes()),
        ("ndjson-crlf-blank-lines", Shape::Ndjson, crlf_blank.into_bytes()),
        ("ndjson-no-final-newline", Shape::Ndjson, lines.join("\n").into_bytes()),
        ("ndjson-bom", Shape::Ndjson, format!("\u{FEFF}{}\n", lines.join("\n")).into_bytes()),
        ("envelope-compact", Shape::Envelope, format!("{{\"Records\":[{}]}}", lines.join(",")).into_bytes()),
        (
            "envelope-pretty-with-other-keys",
            Shape::Envelope,
            format!(
                "{{\n  \"Version\": \"1.0\",\n  \"Digest\": {{\"Records\": \"not these\", \"x\": [1, [2]]}},\n  \
                 \"Records\": [\n{}\n  ],\n  \"Trailer\": [{{\"a\": \"]}}\"}}]\n}}\n",
                pretties.join(",\n")
            )
            .into_bytes(),
        ),
        ("envelopes-one-per-line", Shape::Envelope, {
            let (first, second) = lines.split_at(3);
            format!("{{\"Records\":[{}]}}\n{{\"Records\":[{}]}}\n", first.join(","), second.join(",")).into_bytes()
        }),
        ("json-array-pretty", Shape::JsonArray, pretty(&Value::Array(values.to_vec())).into_bytes()),
        ("json-array-compact", Shape::JsonArray, compact(&Value::Array(values.to_vec())).into_bytes()),
        ("concatenated", Shape::Concatenated, concatenated.into_bytes()),
        ("concatenated-glued", Shape::Concatenated, lines.concat().into_bytes()),
    ]
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// gzip in three members, cut at arbitrary bytes (as `cat a.gz b.gz c.gz` makes).
fn gzip_members(bytes: &[u8]) -> Vec<u8> {
    let (a, rest) = bytes.split_at(bytes.len() / 3);
    let (b, c) = rest.split_at(rest.len() / 2);
    [gzip(a), gzip(b), gzip(c)].concat()
}

fn zstd_frames(bytes: &[u8]) -> Vec<u8> {
    let (a, b) = bytes.split_at(bytes.len() / 2);
    [
        zstd::encode_all(a, 3).unwrap(),
        zstd::encode_all(b, 1).unwrap(),
    ]
    .concat()
}

/// A reader that hands out 1 to 7 bytes per call, as a slow pipe does.
struct Trickle {
    bytes: Vec<u8>,
    pos: usize,
    calls: usize,
}

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.calls += 1;
        let len = (1 + self.calls % 7)
            .min(buf.len())
            .min(self.bytes.len() - self.pos);
        buf[..len].copy_from_slice(&self.bytes[self.pos..self.pos + len]);
        self.pos += len;
        Ok(len)
    }
}

/// Frames `bytes` through every input path, by name.
fn every_path(bytes: &[u8]) -> Vec<(&'static str, Outcome)> {
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, content: &[u8]| written(&dir, name, content);
    let mapped = OpenOptions::default();
    let read = OpenOptions {
        mmap: false,
        ..OpenOptions::default()
    };
    let plain = file("plain.log", bytes);
    vec![
        ("mmap", read_path(&plain, &mapped)),
        ("read fallback", read_path(&plain, &read)),
        (
            "stream",
            read_stream(std::io::Cursor::new(bytes.to_vec()), &mapped),
        ),
        (
            "trickle",
            read_stream(
                Trickle {
                    bytes: bytes.to_vec(),
                    pos: 0,
                    calls: 0,
                },
                &mapped,
            ),
        ),
        ("gzip", read_path(&file("one.gz", &gzip(bytes)), &mapped)),
        (
            "gzip multi-member",
            read_path(&file("multi.json.gz", &gzip_members(bytes)), &mapped),
        ),
        (
            "gzip named .json",
            read_path(&file("misnamed.json", &gzip(bytes)), &mapped),
        ),
        (
            "zstd",
            read_path(&file("two-frames.zst", &zstd_frames(bytes)), &mapped),
        ),
        (
            "zstd stream",
            read_stream(std::io::Cursor::new(zstd_frames(bytes)), &mapped),
        ),
    ]
}

/// Frames an NDJSON buffer in `parts` chunks on rayon threads, numbered by prefix sums.
fn chunked(bytes: &[u8], parts: usize) -> Vec<(u64, u64, Vec<u8>)> {
    let bom = if bytes.starts_with("\u{FEFF}".as_bytes()) {
        3
    } else {
        0
    };
    let body = &bytes[bom..];
    let chunks: Vec<_> = split_ndjson(body, parts).collect();
    assert!(chunks.len() <= parts.max(1));
    let counts: Vec<u64> = chunks
        .par_iter()
        .map(|r| count_records(&body[r.clone()]))
        .collect();
    let mut next = 1;
    let origins: Vec<Origin> = chunks
        .iter()
        .zip(&counts)
        .map(|(range, count)| {
            let origin = Origin {
                index: next,
                offset: (bom + range.start) as u64,
            };
            next += count;
            origin
        })
        .collect();
    chunks
        .par_iter()
        .zip(&origins)
        .flat_map_iter(|(range, &origin)| framed(&body[range.clone()], Shape::Ndjson, origin))
        .collect()
}

/// The records of `bytes` framed in one piece from `origin` (all good): number, offset, bytes.
fn framed(bytes: &[u8], shape: Shape, origin: Origin) -> Vec<(u64, u64, Vec<u8>)> {
    records(bytes, shape, origin)
        .map(|r| r.map(|r| (r.index, r.offset, r.bytes.to_vec())).unwrap())
        .collect()
}

#[test]
fn every_layout_through_every_path_gives_the_same_records() {
    let values = sample_records();
    for (layout, shape, bytes) in layouts(&values) {
        let outcomes = every_path(&bytes);
        let (_, reference) = &outcomes[0];
        assert_eq!(reference.shape, Some(shape), "{layout}: detected shape");
        assert!(
            reference.bad.is_empty() && reference.errors.is_empty(),
            "{layout}: {reference:?}"
        );
        assert_eq!(reference.values(), values, "{layout}: record values");
        let indices: Vec<u64> = (1..=values.len() as u64).collect();
        assert_eq!(reference.indices(), indices, "{layout}: numbering");
        for (_, offset, record) in &reference.records {
            let at = *offset as usize;
            assert_eq!(
                &bytes[at..at + record.len()],
                &record[..],
                "{layout}: offset {offset}"
            );
        }
        for (path, outcome) in &outcomes[1..] {
            assert_eq!(outcome.shape, Some(shape), "{layout} via {path}");
            assert!(
                outcome.bad.is_empty() && outcome.errors.is_empty(),
                "{layout} via {path}: {outcome:?}"
            );
            assert_eq!(outcome.records, reference.records, "{layout} via {path}");
        }
        if shape == Shape::Ndjson {
            for parts in 0..=5 {
                assert_eq!(
                    chunked(&bytes, parts),
                    reference.records,
                    "{layout} in {parts} chunks"
                );
            }
        }
    }
}

#[test]
fn forced_shape_overrides_detection() {
    // One glued line, detected as concatenated; forced NDJSON reports it as one bad record.
    let bytes = b"{\"a\":1}{\"a\":2}\n".to_vec();
    let forced = OpenOptions {
        shape: Some(Shape::Ndjson),
        ..OpenOptions::default()
    };
    let outcome = read_stream(std::io::Cursor::new(bytes.clone()), &forced);
    assert_eq!(
        (outcome.shape, outcome.records.len(), outcome.bad.len()),
        (Some(Shape::Ndjson), 0, 1)
    );
    let detected = read_stream(std::io::Cursor::new(bytes), &OpenOptions::default());
    assert_eq!(
        (detected.shape, detected.records.len()),
        (Some(Shape::Concatenated), 2)
    );
}

/// Many blocks: a stream of ~20 MiB of NDJSON is read in 8 MiB blocks cut at newlines, and must
/// number and place its records exactly as the memory-mapped file does.
#[test]
fn block_boundaries_do_not_change_records() {
    let values = sample_records();
    let mut bytes = Vec::new();
    let mut expected = 0u64;
    while bytes.len() < 20 << 20 {
        for value in &values {
            bytes.extend_from_slice(compact(value).as_bytes());
            bytes.extend_from_slice(if expected.is_multiple_of(5) {
                b"\r\n\n"
            } else {
                b"\n"
            });
            expected += 1;
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.log");
    std::fs::write(&path, &bytes).unwrap();
    let mapped = read_path(&path, &OpenOptions::default());
    let streamed = read_stream(std::io::Cursor::new(gzip(&bytes)), &OpenOptions::default());
    assert_eq!(mapped.records.len() as u64, expected);
    assert!(streamed.bad.is_empty() && streamed.errors.is_empty());
    assert_eq!(streamed.records, mapped.records);
    assert_eq!(chunked(&bytes, 7), mapped.records);
}

/// A CloudTrail envelope of about 6 MiB (three blocks) made of the sample records, after a byte
/// order mark, with `garbage` in place of the record in its middle; and its number of records.
fn big_envelope(garbage: Option<&str>) -> (Vec<u8>, usize) {
    let round: Vec<String> = sample_records().iter().map(compact).collect();
    let round_bytes: usize = round.iter().map(|text| text.len() + 2).sum();
    let rounds = (6 << 20) / round_bytes + 1;
    let mut texts: Vec<String> = std::iter::repeat_n(&round, rounds)
        .flatten()
        .cloned()
        .collect();
    if let Some(garbage) = garbage {
        let middle = texts.len() / 2;
        texts[middle] = garbage.to_string();
    }
    let bytes = format!("\u{FEFF}{{\"Records\":[{}]}}\n", texts.join(",\n")).into_bytes();
    (bytes, texts.len())
}

/// Writes `bytes` as `name` in `dir`.
fn written(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// A plain JSON document larger than a block is read in blocks cut between records, as a
/// compressed one is, not mapped as one block: one unit of a hunt would scan it on one thread,
/// with the whole file resident and all its matches held until its end. Its records are those
/// of the document framed in one piece.
#[test]
fn a_big_plain_document_is_read_in_blocks() {
    let (bytes, count) = big_envelope(None);
    let dir = tempfile::tempdir().unwrap();
    let path = written(&dir, "big-envelope.json", &bytes);
    let source = InputSource::Path(path.clone());
    let Ok(Opened::Blocks(blocks)) = open(&source, &OpenOptions::default()) else {
        panic!("not opened as blocks");
    };
    assert!(blocks.into_iter().count() > 1, "read as one block");
    let read = read_path(&path, &OpenOptions::default());
    assert!(read.bad.is_empty() && read.errors.is_empty());
    assert_eq!(read.records.len(), count);
    let after_bom = Origin {
        index: 1,
        offset: 3,
    };
    assert_eq!(
        read.records,
        framed(&bytes[3..], Shape::Envelope, after_bom)
    );
}

/// A bad record in the middle of a big plain document is reported with its number and offset,
/// and the records after it are read, as they are from the same document gzipped.
#[test]
fn a_bad_record_in_a_big_plain_document_is_reported_and_the_rest_read() {
    let (bytes, count) = big_envelope(Some("tru"));
    let dir = tempfile::tempdir().unwrap();
    let plain = read_path(&written(&dir, "bad.json", &bytes), &OpenOptions::default());
    let gzipped = read_path(
        &written(&dir, "bad.json.gz", &gzip(&bytes)),
        &OpenOptions::default(),
    );
    assert_eq!(plain.bad.len(), 1, "{:?}", plain.bad);
    assert_eq!(plain.bad[0].index, count as u64 / 2 + 1);
    assert_eq!(
        plain.records.len(),
        count - 1,
        "the records after it are read"
    );
    assert!(plain.errors.is_empty());
    assert_eq!(plain.bad, gzipped.bad);
    assert_eq!(plain.records, gzipped.records);
}
