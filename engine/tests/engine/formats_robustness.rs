//! Random lines built from the pieces that make the text readers branch (quotes, escapes,
//! tabs, `%` escapes, header names, `#Fields`, timestamps, addresses, bytes that are not
//! UTF-8): every reader reads them without panicking, every record is a JSON object, nothing is
//! written for a bad line, records are numbered without gaps, and `count_records` agrees. The
//! fuzz target `text_formats` (engine/fuzz) does the same with arbitrary bytes.

use proptest::prelude::*;
use sigil_engine::formats::{
    Envelope, LineKind, Records, TextFormat, TextReader, detect, text_records,
};
use sigil_engine::framing::Origin;

const PIECES: &[&[u8]] = &[
    b" ",
    b" ",
    b" ",
    b"\t",
    b"\t",
    b"\n",
    b"\r\n",
    b"\"",
    b"\\",
    b"\\\"",
    b"-",
    b"0",
    b"17",
    b"-1",
    b"0.5",
    b"000",
    b"%",
    b"%2",
    b"%20",
    b"%FF",
    b"%C3%A9",
    b"#",
    b"#Fields: ",
    b"#Version: 1.0",
    b"version",
    b"srcaddr",
    b"dstport",
    b"${start}",
    b"start",
    b"ACCEPT",
    b"NODATA",
    b"eni-1",
    b"tls",
    b"2.0",
    b"http",
    b"h2",
    b"2024-01-01T00:00:00.5Z",
    b"2024-01-01T00:00:00",
    b"2024-01-01",
    b"00:00:00",
    b"10.0.0.1",
    b"10.0.0.1:80",
    b"[::1]:443",
    b"::1",
    b"GET",
    b"x",
    b"\xff",
    b"\xc3",
    b"\0",
    b"{",
    b"}",
    b"\xe2\x82\xac",
    b"1.0",
    b"[",
    b"]",
    b",",
    b":",
    b"\"detail-type\":",
    b"\"detail\":",
    b"\"source\":\"aws.securityhub\"",
    b"\"findings\":",
    b"\"Findings\":",
];

fn text() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(PIECES), 0..120).prop_map(|pieces| pieces.concat())
}

fn formats(bytes: &[u8]) -> Vec<TextFormat> {
    let mut formats: Vec<TextFormat> = ["vpcflow", "elb", "cloudfront", "s3access", "route53"]
        .iter()
        .map(|name| TextFormat::from_name(name).unwrap())
        .collect();
    formats.extend(detect(None, bytes));
    formats
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn readers_never_panic_and_write_json(bytes in text()) {
        for format in formats(&bytes) {
            let expected = format.count_records(&bytes);
            let mut reader = TextReader::new(format.clone());
            let mut records = text_records(&bytes, Origin::START, &mut reader);
            let mut count = 0;
            while let Some(item) = records.next_record() {
                count += 1;
                let index = match item {
                    Ok(record) => {
                        let value: serde_json::Value = serde_json::from_slice(record.json)
                            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(record.json)));
                        prop_assert!(value.is_object());
                        record.index
                    }
                    Err(bad) => bad.index,
                };
                prop_assert_eq!(index, count);
            }
            prop_assert_eq!(count, expected);

            // Line by line into one buffer: errors write nothing.
            let mut reader = TextReader::new(format);
            let mut out = Vec::new();
            for line in bytes.split(|&b| b == b'\n') {
                let before = out.len();
                match reader.read_line(line, &mut out) {
                    Ok(LineKind::Record(_)) => prop_assert!(out.len() > before),
                    _ => prop_assert_eq!(out.len(), before),
                }
            }
        }
    }

    #[test]
    fn envelopes_never_panic(bytes in text()) {
        let mut records = Records::default();
        for envelope in [
            Envelope::CloudWatch,
            Envelope::Config,
            Envelope::EventBridge,
            Envelope::SecurityHub,
        ] {
            let _ = envelope.expand(&bytes, &mut records);
        }
    }
}
