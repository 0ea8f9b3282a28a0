//! What the HTTP intake receives, turned into one document of records for the scanner.
//!
//! Three payloads, told apart by their content (and Firehose's request header):
//!
//! - **events**: NDJSON, a JSON array, a CloudTrail `{"Records":[...]}` envelope, a single
//!   object, gzip or zstd compressed or not: the body is the document, read as a hunt reads a
//!   file;
//! - **Kinesis Data Firehose HTTP endpoint delivery**:
//!   `{"requestId":"…","timestamp":…,"records":[{"data":"<base64>"},…]}`; each record's data
//!   is decoded (and gunzipped when compressed) and becomes one line of the document (a
//!   record holding several lines keeps them);
//! - **CloudWatch Logs subscription** payloads: `{"awslogs":{"data":"<base64 gzip>"}}` (or
//!   the same payload as a Firehose record), whose decoded JSON lists `logEvents`; the
//!   engine expands them, tagging CloudTrail records among them by their content.
//!   `CONTROL_MESSAGE` payloads (CloudWatch Logs checking the destination) are ignored.
//!
//! ```
//! use sigil_watch::payload::{Kind, decode};
//! let body = br#"{"requestId":"r-1","timestamp":1,"records":[{"data":"eyJhIjoxfQ=="}]}"#;
//! let decoded = decode(body, None).unwrap();
//! assert_eq!(decoded.kind, Kind::Firehose);
//! assert_eq!(decoded.request_id.as_deref(), Some("r-1"));
//! assert_eq!(decoded.document, b"{\"a\":1}\n");
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use std::io::Read;

/// The most bytes a request may decode to (gzip inside base64 can inflate a lot).
pub const MAX_DECODED_BYTES: usize = 256 << 20;

/// Which payload a request held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Records as they are (NDJSON, an array, an envelope...).
    Events,
    /// A Kinesis Data Firehose HTTP endpoint delivery.
    Firehose,
    /// A CloudWatch Logs subscription payload.
    CloudWatch,
}

impl Kind {
    /// Its name in metrics.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Events => "events",
            Kind::Firehose => "firehose",
            Kind::CloudWatch => "cloudwatch",
        }
    }
}

/// A decoded request.
#[derive(Debug, PartialEq)]
pub struct Decoded {
    /// Which payload it was.
    pub kind: Kind,
    /// The records, as one document.
    pub document: Vec<u8>,
    /// Firehose's request id (echoed in the answer).
    pub request_id: Option<String>,
    /// CloudWatch Logs control messages ignored.
    pub control_messages: usize,
}

/// Why a request could not be decoded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PayloadError {
    /// A `data` field is not base64.
    #[error("record {0}: data is not base64")]
    Base64(usize),
    /// Compressed data is broken.
    #[error("record {0}: broken gzip data")]
    Gzip(usize),
    /// The request decodes to more than [`MAX_DECODED_BYTES`].
    #[error("the request decodes to more than {MAX_DECODED_BYTES} bytes")]
    TooLarge,
}

#[derive(Deserialize)]
struct Probe {
    #[serde(rename = "requestId")]
    request_id: Option<String>,
    records: Option<Vec<FirehoseRecord>>,
    awslogs: Option<AwsLogs>,
}

#[derive(Deserialize)]
struct FirehoseRecord {
    data: String,
}

#[derive(Deserialize)]
struct AwsLogs {
    data: String,
}

#[derive(Deserialize)]
struct Subscription {
    #[serde(rename = "messageType")]
    message_type: Option<String>,
}

/// Decodes a request body; `firehose_request_id` is the `X-Amz-Firehose-Request-Id` header.
pub fn decode(body: &[u8], firehose_request_id: Option<&str>) -> Result<Decoded, PayloadError> {
    let probe = body
        .trim_ascii_start()
        .starts_with(b"{")
        .then(|| serde_json::from_slice::<Probe>(body).ok())
        .flatten();
    let mut decoded = Decoded {
        kind: Kind::Events,
        document: Vec::new(),
        request_id: firehose_request_id.map(str::to_string),
        control_messages: 0,
    };
    match probe {
        Some(Probe {
            records: Some(records),
            request_id,
            ..
        }) if request_id.is_some() || firehose_request_id.is_some() => {
            decoded.kind = Kind::Firehose;
            decoded.request_id = decoded.request_id.or(request_id);
            for (i, record) in records.iter().enumerate() {
                let data = unpack(&record.data, i + 1)?;
                add(&mut decoded, data)?;
            }
        }
        Some(Probe {
            awslogs: Some(logs),
            ..
        }) => {
            decoded.kind = Kind::CloudWatch;
            let data = unpack(&logs.data, 1)?;
            add(&mut decoded, data)?;
        }
        _ => decoded.document = body.to_vec(),
    }
    Ok(decoded)
}

/// Base64 data, gunzipped when compressed.
fn unpack(data: &str, record: usize) -> Result<Vec<u8>, PayloadError> {
    let bytes = STANDARD
        .decode(data.trim())
        .map_err(|_| PayloadError::Base64(record))?;
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(bytes);
    }
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(&bytes[..])
        .take(MAX_DECODED_BYTES as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|_| PayloadError::Gzip(record))?;
    Ok(out)
}

/// Adds one record's data to the document: a subscription's control message is counted and
/// left out; anything else becomes a line (or lines).
fn add(decoded: &mut Decoded, data: Vec<u8>) -> Result<(), PayloadError> {
    let is_subscription = data.trim_ascii_start().starts_with(b"{")
        && serde_json::from_slice::<Subscription>(&data)
            .is_ok_and(|s| s.message_type.as_deref() == Some("CONTROL_MESSAGE"));
    if is_subscription {
        decoded.control_messages += 1;
        return Ok(());
    }
    let data = data.trim_ascii_end();
    if data.is_empty() {
        return Ok(());
    }
    if decoded.document.len() + data.len() + 1 > MAX_DECODED_BYTES {
        return Err(PayloadError::TooLarge);
    }
    decoded.document.extend_from_slice(data);
    decoded.document.push(b'\n');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(bytes).unwrap();
        gz.finish().unwrap()
    }

    #[test]
    fn events_are_the_body_itself() {
        let body = b"{\"a\":1}\n{\"a\":2}\n";
        let decoded = decode(body, None).unwrap();
        assert_eq!(
            (decoded.kind, &decoded.document[..]),
            (Kind::Events, &body[..])
        );
        let one = br#"{"eventName":"StopLogging"}"#;
        assert_eq!(decode(one, None).unwrap().document, one);
    }

    #[test]
    fn cloudwatch_subscriptions_are_unpacked_and_control_messages_ignored() {
        let data = br#"{"messageType":"DATA_MESSAGE","owner":"1","logGroup":"g","logStream":"s","subscriptionFilters":["f"],"logEvents":[{"id":"1","timestamp":1,"message":"{\"a\":1}"}]}"#;
        let body = format!(
            r#"{{"awslogs":{{"data":"{}"}}}}"#,
            STANDARD.encode(gzip(data))
        );
        let decoded = decode(body.as_bytes(), None).unwrap();
        assert_eq!(decoded.kind, Kind::CloudWatch);
        assert_eq!(decoded.document, [&data[..], b"\n"].concat());
        let control = br#"{"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs","logGroup":"","logStream":"","subscriptionFilters":[],"logEvents":[{"id":"","timestamp":1,"message":"CWL CONTROL MESSAGE: Checking health of destination Firehose."}]}"#;
        let body = format!(
            r#"{{"awslogs":{{"data":"{}"}}}}"#,
            STANDARD.encode(gzip(control))
        );
        let decoded = decode(body.as_bytes(), None).unwrap();
        assert_eq!((decoded.control_messages, decoded.document.len()), (1, 0));
    }

    #[test]
    fn firehose_records_become_lines_and_bad_data_is_refused() {
        let records = [b"{\"a\":1}".to_vec(), gzip(b"{\"b\":2}\n{\"c\":3}\n")];
        let data: Vec<String> = records
            .iter()
            .map(|r| format!(r#"{{"data":"{}"}}"#, STANDARD.encode(r)))
            .collect();
        let body = format!(
            r#"{{"requestId":"r","timestamp":1,"records":[{}]}}"#,
            data.join(",")
        );
        let decoded = decode(body.as_bytes(), None).unwrap();
        assert_eq!(decoded.document, b"{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n");
        let bad = br#"{"requestId":"r","timestamp":1,"records":[{"data":"not base64!"}]}"#;
        assert_eq!(decode(bad, None), Err(PayloadError::Base64(1)));
    }
}
