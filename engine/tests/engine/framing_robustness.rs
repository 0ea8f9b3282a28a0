//! Framing never panics, whatever the bytes, and NDJSON record counting agrees with framing:
//! mutated logs in every shape, and every split of a buffer into chunks. Lines framed unchecked
//! and checked later are the records of checked framing, and a line simd-json parses passes
//! the check.

use sigil_engine::framing::{
    BadRecord, MAX_DEPTH, Origin, RawRecord, Shape, check_line, count_records, detect_shape,
    records, records_unchecked, split_ndjson,
};

/// A xorshift generator: deterministic, so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const SEEDS: &[&str] = &[
    "{\"Records\":[{\"a\":\"x}\\\"y\",\"b\":[1,{\"c\":2}]},\n {\"d\":\"\\\\\"}],\"k\":{}}\n",
    "[\n  {\"a\": [1, 2]},\n  {\"b\": \"]\"}\n]\n",
    "{\"a\":1}{\"b\":{\"c\":[]}}\n{\n \"d\": \"{\"\n}\n",
    "{\"a\":1}\r\n\n  {\"b\":\"\\u00e9\"}\n[]\n\"s\"\n{\"c\":[[[]]]}",
];

/// Bytes that matter to the scanner, and some that do not.
const ALPHABET: &[u8] = b"{}[]\"\\,:\n\r \tax0\xff\xc3";

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut bytes = seed.to_vec();
    for _ in 0..1 + rng.below(6) {
        let at = rng.below(bytes.len() + 1);
        let byte = ALPHABET[rng.below(ALPHABET.len())];
        match rng.below(3) {
            0 if at < bytes.len() => bytes[at] = byte,
            1 if at < bytes.len() => {
                bytes.remove(at);
            }
            _ => bytes.insert(at, byte),
        }
    }
    bytes
}

#[test]
fn mutated_logs_frame_without_panicking_in_every_shape() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for round in 0..20_000 {
        let bytes = mutate(&mut rng, SEEDS[round % SEEDS.len()].as_bytes());
        let _ = detect_shape(&bytes);
        for shape in [
            Shape::Ndjson,
            Shape::Envelope,
            Shape::JsonArray,
            Shape::Concatenated,
        ] {
            let mut last = 0;
            for item in records(&bytes, shape, Origin::START) {
                let (index, offset) = match &item {
                    Ok(record) => {
                        assert_eq!(record.bytes.first(), Some(&b'{'));
                        assert_eq!(record.bytes.last(), Some(&b'}'));
                        assert!(std::str::from_utf8(record.bytes).is_ok());
                        (record.index, record.offset)
                    }
                    Err(bad) => (bad.index, bad.offset),
                };
                assert_eq!(
                    index,
                    last + 1,
                    "{shape}: {:?}",
                    String::from_utf8_lossy(&bytes)
                );
                assert!(offset <= bytes.len() as u64);
                last = index;
            }
            if shape == Shape::Ndjson {
                assert_eq!(
                    count_records(&bytes),
                    last,
                    "{:?}",
                    String::from_utf8_lossy(&bytes)
                );
            }
        }
    }
}

#[test]
fn unchecked_lines_checked_later_are_what_checked_framing_gives() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut buffers = simd_json::Buffers::with_max_depth(0, MAX_DEPTH);
    for round in 0..20_000 {
        let bytes = mutate(&mut rng, SEEDS[round % SEEDS.len()].as_bytes());
        for shape in [Shape::Ndjson, Shape::Envelope, Shape::Concatenated] {
            let later: Vec<Result<RawRecord, BadRecord>> =
                records_unchecked(&bytes, shape, Origin::START)
                    .map(|item| match item {
                        Ok(record) if !record.checked => {
                            let mut copy = record.bytes.to_vec();
                            let parsed = simd_json::to_tape_with_buffers(&mut copy, &mut buffers);
                            let checked = check_line(record.bytes);
                            assert!(
                                parsed.is_err() || checked.is_ok(),
                                "simd-json parses a line the walk refuses: {:?}",
                                String::from_utf8_lossy(record.bytes)
                            );
                            checked
                                .map(|()| RawRecord {
                                    checked: true,
                                    ..record
                                })
                                .map_err(|reason| BadRecord {
                                    index: record.index,
                                    offset: record.offset,
                                    reason,
                                })
                        }
                        item => item,
                    })
                    .collect();
            let now: Vec<_> = records(&bytes, shape, Origin::START).collect();
            assert_eq!(later, now, "{shape}: {:?}", String::from_utf8_lossy(&bytes));
        }
    }
}

#[test]
fn chunks_cover_the_buffer_at_newlines_and_count_what_framing_finds() {
    let mut rng = Rng(42);
    for round in 0..2_000 {
        let bytes: Vec<u8> = (0..rng.below(400))
            .map(|_| ALPHABET[rng.below(ALPHABET.len())])
            .collect();
        let parts = round % 9;
        let chunks: Vec<_> = split_ndjson(&bytes, parts).collect();
        assert!(chunks.len() <= parts.max(1));
        let mut expected_start = 0;
        for chunk in &chunks {
            assert_eq!(chunk.start, expected_start);
            assert!(chunk.end > chunk.start);
            assert!(chunk.end == bytes.len() || bytes[chunk.end - 1] == b'\n');
            expected_start = chunk.end;
        }
        assert_eq!(expected_start, bytes.len());
        let total: u64 = chunks
            .iter()
            .map(|c| count_records(&bytes[c.clone()]))
            .sum();
        assert_eq!(
            total,
            records(&bytes, Shape::Ndjson, Origin::START).count() as u64
        );
    }
}

#[test]
fn records_carry_their_offsets_in_documents() {
    let log = b"[\n {\"a\":1},\n 7,\n {\"b\":[\"]\"]}\n]";
    let items: Vec<_> = records(
        log,
        Shape::JsonArray,
        Origin {
            index: 10,
            offset: 100,
        },
    )
    .collect();
    assert_eq!(items.len(), 3);
    let first = items[0].as_ref().unwrap();
    assert_eq!(
        (first.bytes, first.index, first.offset),
        (&b"{\"a\":1}"[..], 10, 103)
    );
    let bad = items[1].as_ref().unwrap_err();
    assert_eq!((bad.index, bad.offset), (11, 113));
    let last = items[2].as_ref().unwrap();
    assert_eq!(
        (last.bytes, last.index, last.offset),
        (&b"{\"b\":[\"]\"]}"[..], 12, 117)
    );
}

#[test]
fn broken_documents_stop_with_one_bad_record() {
    let cases: &[(Shape, &[u8], usize, usize)] = &[
        (Shape::Envelope, b"{\"Records\":[{\"a\":1},{\"b\":", 1, 1),
        (Shape::Envelope, b"{\"Records\":[{\"a\":1},", 1, 1),
        (Shape::Envelope, b"{\"Records\":[{\"a\":1}] junk", 1, 1),
        (Shape::Envelope, b"[{\"a\":1}]", 0, 1),
        (Shape::JsonArray, b"[{\"a\":1}, {\"b\":]", 1, 1),
        (Shape::JsonArray, b"{\"a\":1}", 0, 1),
        (
            Shape::Concatenated,
            b"{\"a\":\n{\"b\":1}\nxyz\n{\"c\":2}",
            2,
            2,
        ),
    ];
    for &(shape, log, good, bad) in cases {
        let (ok, err): (Vec<_>, Vec<_>) =
            records(log, shape, Origin::START).partition(Result::is_ok);
        assert_eq!(
            (ok.len(), err.len()),
            (good, bad),
            "{shape}: {}",
            String::from_utf8_lossy(log)
        );
    }
}
