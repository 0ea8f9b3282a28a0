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
//! let decoded = decode(body.to_vec(), None).unwrap();
//! assert_eq!(decoded.kind, Kind::Firehose);
//! assert_eq!(decoded.request_id.as_deref(), Some("r-1"));
//! assert_eq!(decoded.document, b"{\"a\":1}\n");
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use std::borrow::Cow;
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
    /// The caller's `room` refused the memory decoding needs.
    #[error("no room to decode the request")]
    NoRoom,
}

#[derive(Deserialize)]
struct Probe<'a> {
    #[serde(rename = "requestId")]
    request_id: Option<String>,
    #[serde(borrow)]
    records: Option<Vec<FirehoseRecord<'a>>>,
    #[serde(borrow)]
    awslogs: Option<AwsLogs<'a>>,
}

/// Base64 data, borrowed from the body unless it holds JSON escapes.
#[derive(Deserialize)]
struct FirehoseRecord<'a> {
    #[serde(borrow)]
    data: Cow<'a, str>,
}

#[derive(Deserialize)]
struct AwsLogs<'a> {
    #[serde(borrow)]
    data: Cow<'a, str>,
}

#[derive(Deserialize)]
struct Subscription {
    #[serde(rename = "messageType")]
    message_type: Option<String>,
}

/// Asked for `n` more bytes before decoding allocates them; `false` refuses.
pub type Room<'a> = &'a mut dyn FnMut(usize) -> bool;

/// Decodes a request body, taking it (an events body becomes the document without a copy);
/// `firehose_request_id` is the `X-Amz-Firehose-Request-Id` header.
pub fn decode(body: Vec<u8>, firehose_request_id: Option<&str>) -> Result<Decoded, PayloadError> {
    decode_within(body, firehose_request_id, &mut |_| true)
}

/// Decodes a request body as [`decode`] does, taking it: an events body becomes the document
/// as it is, without a copy. Every allocation decoding makes beyond the body (the document,
/// the list of a Firehose delivery's records, data that had to be unescaped) is first asked
/// of `room`, in bytes; a refusal ends the decoding with [`PayloadError::NoRoom`]. Decoding
/// streams each record's data (base64, then gunzip) into the document, so nothing else of
/// size is held.
pub fn decode_within(
    body: Vec<u8>,
    firehose_request_id: Option<&str>,
    room: Room<'_>,
) -> Result<Decoded, PayloadError> {
    let mut decoded = Decoded {
        kind: Kind::Events,
        document: Vec::new(),
        request_id: firehose_request_id.map(str::to_string),
        control_messages: 0,
    };
    let probe = body
        .trim_ascii_start()
        .starts_with(b"{")
        .then(|| serde_json::from_slice::<Probe>(&body).ok())
        .flatten();
    match probe {
        Some(Probe {
            records: Some(records),
            request_id,
            ..
        }) if request_id.is_some() || firehose_request_id.is_some() => {
            decoded.kind = Kind::Firehose;
            decoded.request_id = decoded.request_id.or(request_id);
            let listed = records.capacity() * size_of::<FirehoseRecord>();
            if !room(listed + records.iter().map(|r| owned(&r.data)).sum::<usize>()) {
                return Err(PayloadError::NoRoom);
            }
            for (i, record) in records.iter().enumerate() {
                add(&mut decoded, &record.data, i + 1, room)?;
            }
        }
        Some(Probe {
            awslogs: Some(logs),
            ..
        }) => {
            decoded.kind = Kind::CloudWatch;
            if !room(owned(&logs.data)) {
                return Err(PayloadError::NoRoom);
            }
            add(&mut decoded, &logs.data, 1, room)?;
        }
        _ => decoded.document = body,
    }
    Ok(decoded)
}

/// The bytes a string holds of its own (not borrowed from the body).
#[allow(clippy::ptr_arg, reason = "borrowed or owned is the question")]
fn owned(data: &Cow<'_, str>) -> usize {
    match data {
        Cow::Borrowed(_) => 0,
        Cow::Owned(text) => text.capacity(),
    }
}

/// Adds one record's data (base64, gzipped or not) to the document: a subscription's
/// control message is counted and left out; anything else becomes a line (or lines).
fn add(
    decoded: &mut Decoded,
    data: &str,
    record: usize,
    room: Room<'_>,
) -> Result<(), PayloadError> {
    let data = data.trim().as_bytes();
    // The first four characters tell gzip's magic bytes, and whether the data is base64.
    let head = STANDARD
        .decode(&data[..data.len().min(4)])
        .map_err(|_| PayloadError::Base64(record))?;
    let mut base64 = Base64 {
        inner: base64::read::DecoderReader::new(data, &STANDARD),
        failed: false,
    };
    let start = decoded.document.len();
    let copied = if head.starts_with(&[0x1f, 0x8b]) {
        let copied = copy(
            flate2::read::MultiGzDecoder::new(&mut base64),
            &mut decoded.document,
            room,
        );
        copied.map_err(|e| match e {
            Copy::Read if base64.failed => PayloadError::Base64(record),
            Copy::Read => PayloadError::Gzip(record),
            Copy::Refused(error) => error,
        })
    } else {
        copy(&mut base64, &mut decoded.document, room).map_err(|e| match e {
            Copy::Read => PayloadError::Base64(record),
            Copy::Refused(error) => error,
        })
    };
    copied?;
    let data = &decoded.document[start..];
    let is_subscription = data.trim_ascii_start().starts_with(b"{")
        && serde_json::from_slice::<Subscription>(data)
            .is_ok_and(|s| s.message_type.as_deref() == Some("CONTROL_MESSAGE"));
    if is_subscription {
        decoded.control_messages += 1;
        decoded.document.truncate(start);
        return Ok(());
    }
    let kept = start + data.trim_ascii_end().len();
    decoded.document.truncate(kept);
    if kept > start {
        grow(&mut decoded.document, 1, room)?;
        decoded.document.push(b'\n');
    }
    Ok(())
}

/// A base64 decoding reader that remembers whether the base64 was broken (under gunzip, its
/// error would otherwise read as broken gzip data).
struct Base64<R> {
    inner: R,
    failed: bool,
}

impl<R: Read> Read for Base64<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buf);
        self.failed |= read.is_err();
        read
    }
}

/// Why copying a record's data stopped.
enum Copy {
    /// Its data could not be read.
    Read,
    /// The document may not grow by it.
    Refused(PayloadError),
}

/// Appends what `reader` gives to `document`, within [`MAX_DECODED_BYTES`] and `room`.
fn copy(mut reader: impl Read, document: &mut Vec<u8>, room: Room<'_>) -> Result<(), Copy> {
    let mut chunk = [0; 16 << 10];
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return Err(Copy::Read),
        };
        grow(document, n, room).map_err(Copy::Refused)?;
        document.extend_from_slice(&chunk[..n]);
    }
}

/// Makes room in `document` for `n` more bytes within [`MAX_DECODED_BYTES`].
fn grow(document: &mut Vec<u8>, n: usize, room: Room<'_>) -> Result<(), PayloadError> {
    reserve(document, n, MAX_DECODED_BYTES, room)
}

/// Makes room in `buffer` for `n` more bytes, growing its capacity as `Vec` does (doubling)
/// up to `max` bytes ([`PayloadError::TooLarge`] past it), after asking `room` for the
/// capacity added ([`PayloadError::NoRoom`] when it refuses).
pub(crate) fn reserve(
    buffer: &mut Vec<u8>,
    n: usize,
    max: usize,
    room: Room<'_>,
) -> Result<(), PayloadError> {
    let needed = buffer.len() + n;
    if needed > max {
        return Err(PayloadError::TooLarge);
    }
    if needed <= buffer.capacity() {
        return Ok(());
    }
    let capacity = (buffer.capacity() * 2).clamp(needed, max);
    if !room(capacity - buffer.capacity()) {
        return Err(PayloadError::NoRoom);
    }
    buffer.reserve_exact(capacity - buffer.len());
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
        let decoded = decode(body.to_vec(), None).unwrap();
        assert_eq!(
            (decoded.kind, &decoded.document[..]),
            (Kind::Events, &body[..])
        );
        let one = br#"{"eventName":"StopLogging"}"#;
        assert_eq!(decode(one.to_vec(), None).unwrap().document, one);
    }

    #[test]
    fn cloudwatch_subscriptions_are_unpacked_and_control_messages_ignored() {
        let data = br#"{"messageType":"DATA_MESSAGE","owner":"1","logGroup":"g","logStream":"s","subscriptionFilters":["f"],"logEvents":[{"id":"1","timestamp":1,"message":"{\"a\":1}"}]}"#;
        let body = format!(
            r#"{{"awslogs":{{"data":"{}"}}}}"#,
            STANDARD.encode(gzip(data))
        );
        let decoded = decode(body.into(), None).unwrap();
        assert_eq!(decoded.kind, Kind::CloudWatch);
        assert_eq!(decoded.document, [&data[..], b"\n"].concat());
        let control = br#"{"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs","logGroup":"","logStream":"","subscriptionFilters":[],"logEvents":[{"id":"","timestamp":1,"message":"CWL CONTROL MESSAGE: Checking health of destination Firehose."}]}"#;
        let body = format!(
            r#"{{"awslogs":{{"data":"{}"}}}}"#,
            STANDARD.encode(gzip(control))
        );
        let decoded = decode(body.into(), None).unwrap();
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
        let decoded = decode(body.into(), None).unwrap();
        assert_eq!(decoded.document, b"{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n");
        let bad = br#"{"requestId":"r","timestamp":1,"records":[{"data":"not base64!"}]}"#;
        assert_eq!(decode(bad.to_vec(), None), Err(PayloadError::Base64(1)));
    }

    #[test]
    fn broken_gzip_and_base64_inside_gzip_name_their_record() {
        let whole = gzip(b"{\"a\":1}\n");
        let body = |second: String| {
            let first = STANDARD.encode(b"{\"ok\":1}");
            format!(r#"{{"requestId":"r","records":[{{"data":"{first}"}},{{"data":"{second}"}}]}}"#)
        };
        // Gzip cut short: the second record's gzip is broken.
        let truncated = STANDARD.encode(&whole[..whole.len() - 6]);
        assert_eq!(
            decode(body(truncated).into_bytes(), None),
            Err(PayloadError::Gzip(2))
        );
        // Gzip's magic, then text that is not base64: its base64 is broken, not its gzip.
        let mut bad = STANDARD.encode(&whole);
        bad.replace_range(8.., "!!!!");
        assert_eq!(
            decode(body(bad).into_bytes(), None),
            Err(PayloadError::Base64(2))
        );
    }

    #[test]
    fn decoding_asks_room_for_all_it_allocates_and_stops_when_refused() {
        let records: Vec<String> = (0..50)
            .map(|n| {
                format!(
                    r#"{{"data":"{}"}}"#,
                    STANDARD.encode(gzip(format!("{{\"n\":{n}}}").as_bytes()))
                )
            })
            .collect();
        let body = format!(
            r#"{{"requestId":"r","timestamp":1,"records":[{}]}}"#,
            records.join(",")
        )
        .into_bytes();
        let mut asked = 0;
        let decoded = decode_within(body.clone(), None, &mut |n| {
            asked += n;
            true
        })
        .unwrap();
        assert_eq!(
            decoded.document,
            decode(body.clone(), None).unwrap().document
        );
        let listed = 50 * size_of::<FirehoseRecord>();
        assert!(asked >= listed + decoded.document.capacity(), "{asked}");
        // Refused part of the way: no document.
        let mut room = asked / 2;
        let refused = decode_within(body, None, &mut |n| {
            room = room.saturating_sub(n);
            room > 0
        });
        assert_eq!(refused, Err(PayloadError::NoRoom));
        // An events body is its own document: nothing is asked.
        let events = b"{\"a\":1}\n".to_vec();
        let decoded = decode_within(events.clone(), None, &mut |_| false).unwrap();
        assert_eq!(decoded.document, events);
    }
}
