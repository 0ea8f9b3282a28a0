//! Any bytes, framed in every shape: framing never panics and records stay inside the buffer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigil_engine::framing::{Origin, Shape, detect_shape, records};

fuzz_target!(|bytes: &[u8]| {
    let detected = detect_shape(bytes);
    for shape in [detected, Shape::Ndjson, Shape::Envelope, Shape::JsonArray, Shape::Concatenated] {
        for record in records(bytes, shape, Origin::START).flatten() {
            assert!(record.bytes.len() <= bytes.len());
        }
    }
});
