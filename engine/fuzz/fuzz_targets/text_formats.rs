//! Feeds arbitrary bytes to every text reader and envelope: no panic, every record a JSON
//! object of valid UTF-8 that serde_json accepts, records numbered without gaps, and
//! `count_records` in agreement with the reading.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sigil_engine::formats::{
    Envelope, Records, TextFormat, TextReader, detect, detect_envelope, text_records,
};
use sigil_engine::framing::Origin;

fuzz_target!(|bytes: &[u8]| {
    let mut formats = vec![
        TextFormat::from_name("vpcflow").unwrap(),
        TextFormat::from_name("elb").unwrap(),
        TextFormat::from_name("cloudfront").unwrap(),
        TextFormat::from_name("s3access").unwrap(),
        TextFormat::from_name("route53").unwrap(),
    ];
    formats.extend(detect(None, bytes));
    for format in formats {
        let expected = format.count_records(bytes);
        let mut reader = TextReader::new(format);
        let mut records = text_records(bytes, Origin::START, &mut reader);
        let mut count = 0;
        while let Some(item) = records.next_record() {
            count += 1;
            let index = match item {
                Ok(record) => {
                    assert!(record.json.starts_with(b"{") && record.json.ends_with(b"}"));
                    let value: serde_json::Value = serde_json::from_slice(record.json).unwrap();
                    assert!(value.is_object());
                    record.index
                }
                Err(bad) => bad.index,
            };
            assert_eq!(index, count);
        }
        assert_eq!(count, expected);
    }
    let _ = detect_envelope(bytes);
    let mut records = Records::default();
    for envelope in [
        Envelope::CloudWatch,
        Envelope::Config,
        Envelope::EventBridge,
        Envelope::SecurityHub,
    ] {
        let valid_json = serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok();
        records.clear();
        let expanded = envelope.expand(bytes, &mut records);
        if expanded.is_ok() && valid_json {
            for record in records.iter() {
                serde_json::from_slice::<serde_json::Value>(record).unwrap();
            }
        }
    }
});
