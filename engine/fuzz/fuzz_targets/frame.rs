//! Frames arbitrary bytes in every shape: no panic, records numbered without gaps, every good
//! record an object of valid UTF-8, and NDJSON counting in agreement with NDJSON framing.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sigil_engine::framing::{Origin, Shape, count_records, detect_shape, records, split_ndjson};

fuzz_target!(|bytes: &[u8]| {
    let _ = detect_shape(bytes);
    for shape in [
        Shape::Ndjson,
        Shape::Envelope,
        Shape::JsonArray,
        Shape::Concatenated,
    ] {
        let mut count = 0;
        for item in records(bytes, shape, Origin::START) {
            count += 1;
            let index = match item {
                Ok(record) => {
                    assert!(record.bytes.starts_with(b"{") && record.bytes.ends_with(b"}"));
                    assert!(std::str::from_utf8(record.bytes).is_ok());
                    record.index
                }
                Err(bad) => bad.index,
            };
            assert_eq!(index, count);
        }
        if shape == Shape::Ndjson {
            assert_eq!(count_records(bytes), count);
            assert_eq!(
                split_ndjson(bytes, 3)
                    .map(|c| count_records(&bytes[c]))
                    .sum::<u64>(),
                count
            );
        }
    }
});
