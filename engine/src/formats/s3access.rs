//! Amazon S3 server access logs (`product: aws, service: s3access`).
//!
//! One request per line, space-separated, in the documented order: `bucket_owner bucket
//! [time] remote_ip requester request_id operation key "request_uri" http_status error_code
//! bytes_sent object_size total_time turn_around_time "referrer" "user_agent" version_id
//! host_id signature_version cipher_suite authentication_type host_header tls_version
//! access_point_arn acl_required source_region`. S3 has added fields at the end over the years,
//! so a line may stop anywhere after `user_agent`; fields past the known ones are ignored.
//!
//! `time` is written in brackets with a space before its offset (`[06/Feb/2019:00:00:38
//! +0000]`) and kept as written, without the brackets; a derived `timestamp` gives it in
//! RFC 3339 so the engine finds the event's time. `request_uri` is also split into
//! `request_method`, `request_url` and `request_protocol`. `key` is kept as S3 writes it
//! (URL-encoded).
//!
//! ```
//! use sigil_engine::formats::{LineKind, TextFormat, TextReader};
//! use sigil_engine::RecordSource;
//!
//! let line = br#"0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9 my-bucket [03/Mar/2024:10:20:30 +0000] 198.51.100.7 arn:aws:iam::111122223333:user/ops 5EXAMPLE1A2B3C4D REST.PUT.BUCKETPOLICY - "PUT /my-bucket?policy HTTP/1.1" 204 - - 412 35 - "-" "aws-cli/2.15.0" -"#;
//! let mut reader = TextReader::new(TextFormat::S3Access);
//! let mut out = Vec::new();
//! assert_eq!(reader.read_line(line, &mut out), Ok(LineKind::Record(RecordSource::S3Access)));
//! let record: serde_json::Value = serde_json::from_slice(&out).unwrap();
//! assert_eq!(record["operation"], "REST.PUT.BUCKETPOLICY");
//! assert_eq!(record["http_status"], 204);
//! assert_eq!(record["time"], "03/Mar/2024:10:20:30 +0000");
//! assert_eq!(record["timestamp"], "2024-03-03T10:20:30Z");
//! assert_eq!(record["request_method"], "PUT");
//! assert!(record.get("key").is_none() && record.get("referrer").is_none());
//! ```

use std::fmt::Write as _;

use super::fields::Kind::{self, Number, Request, Text};
use super::fields::{Scratch, Token, split_quoted, write_field};
use super::json::Object;
use super::{LineError, LineKind};
use crate::logsource::RecordSource;

/// The fields, in order.
const FIELDS: &[(&str, Kind)] = &[
    ("bucket_owner", Text),
    ("bucket", Text),
    ("time", Text),
    ("remote_ip", Text),
    ("requester", Text),
    ("request_id", Text),
    ("operation", Text),
    ("key", Text),
    ("request_uri", Request),
    ("http_status", Number),
    ("error_code", Text),
    ("bytes_sent", Number),
    ("object_size", Number),
    ("total_time", Number),
    ("turn_around_time", Number),
    ("referrer", Text),
    ("user_agent", Text),
    ("version_id", Text),
    ("host_id", Text),
    ("signature_version", Text),
    ("cipher_suite", Text),
    ("authentication_type", Text),
    ("host_header", Text),
    ("tls_version", Text),
    ("access_point_arn", Text),
    ("acl_required", Text),
    ("source_region", Text),
];

/// Every line has the fields up to `user_agent`.
const MIN_FIELDS: usize = 17;

/// The position of `time` in [`FIELDS`].
const TIME: usize = 2;

/// How `time` is written, without its brackets.
const TIME_FORMAT: &str = "%d/%b/%Y:%H:%M:%S %z";

/// Reads S3 server access log lines.
#[derive(Default)]
pub(crate) struct S3AccessReader {
    tokens: Vec<Token>,
    scratch: Scratch,
    timestamp: String,
}

impl S3AccessReader {
    /// Reads one line (see [`super::TextReader::read_line`]).
    pub(crate) fn read_line(
        &mut self,
        line: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<LineKind, LineError> {
        split_quoted(line, &mut self.tokens)
            .map_err(|open| LineError::UnterminatedQuote { at: open.at })?;
        if self.tokens.is_empty() {
            return Ok(LineKind::Blank);
        }
        let time = join_bracketed_time(line, &mut self.tokens).ok_or(LineError::NoS3AccessTime)?;
        if self.tokens.len() < MIN_FIELDS {
            return Err(LineError::TooFewFields {
                format: "S3 server access log",
                found: self.tokens.len(),
                min: MIN_FIELDS,
            });
        }
        let mut object = Object::open(out);
        for (&field, &token) in FIELDS.iter().zip(&self.tokens) {
            write_field(&mut object, field, line, token, &mut self.scratch);
        }
        self.timestamp.clear();
        // Writing into a `String` cannot fail.
        let _ = write!(self.timestamp, "{time}");
        object.string("timestamp", self.timestamp.as_bytes());
        object.close();
        Ok(LineKind::Record(RecordSource::S3Access))
    }
}

/// Makes the bracketed time (field 3, cut in two at its space by the splitter) one token
/// without its brackets, and gives the time it holds; `None` when field 3 is not such a time.
fn join_bracketed_time(line: &[u8], tokens: &mut Vec<Token>) -> Option<jiff::Timestamp> {
    let (date, offset) = (tokens.get(TIME)?, tokens.get(TIME + 1)?);
    if !(date.text(line).starts_with(b"[") && offset.text(line).ends_with(b"]")) {
        return None;
    }
    let joined = Token {
        start: date.start + 1,
        end: offset.end - 1,
        escaped: false,
    };
    let time = jiff::fmt::strtime::parse(TIME_FORMAT, joined.text(line))
        .and_then(|time| time.to_timestamp())
        .ok()?;
    tokens[TIME] = joined;
    tokens.remove(TIME + 1);
    Some(time)
}

/// Whether `line` is an S3 server access log line: its third field is a bracketed time.
pub(crate) fn recognise(line: &[u8]) -> bool {
    let mut tokens = Vec::new();
    split_quoted(line, &mut tokens).is_ok() && join_bracketed_time(line, &mut tokens).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(line: &str) -> Result<serde_json::Value, LineError> {
        let mut out = Vec::new();
        S3AccessReader::default().read_line(line.as_bytes(), &mut out)?;
        Ok(serde_json::from_slice(&out).unwrap())
    }

    const OWNER: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9";

    #[test]
    fn newest_fields_and_offsets() {
        let line = format!(
            r#"{OWNER} logs-b [29/Feb/2024:23:59:59 -0130] 2001:db8::5 - 7EXAMPLE REST.GET.OBJECT dir/a%20b.txt "GET /logs-b/dir/a%20b.txt?x=1 HTTP/1.1" 403 AccessDenied 243 - 9 - "https://example.org/" "Mozilla/5.0 (X11; \"quoted\")" - aGVsbG8= SigV4 TLS_AES_128_GCM_SHA256 QueryString logs-b.s3.eu-west-1.amazonaws.com TLSv1.3 - Yes eu-west-1 future-field"#
        );
        let record = read(&line).unwrap();
        assert_eq!(record["timestamp"], "2024-03-01T01:29:59Z");
        assert_eq!(record["time"], "29/Feb/2024:23:59:59 -0130");
        assert!(record.get("requester").is_none());
        assert_eq!(record["key"], "dir/a%20b.txt");
        assert_eq!(record["error_code"], "AccessDenied");
        assert_eq!(record["bytes_sent"], 243);
        assert_eq!(record["user_agent"], r#"Mozilla/5.0 (X11; "quoted")"#);
        assert_eq!(record["request_url"], "/logs-b/dir/a%20b.txt?x=1");
        assert_eq!(record["acl_required"], "Yes");
        assert_eq!(record["source_region"], "eu-west-1");
        assert!(!record.to_string().contains("future-field"));
    }

    #[test]
    fn bad_lines_have_reasons() {
        let short = format!(
            r#"{OWNER} b [03/Mar/2024:10:20:30 +0000] 1.2.3.4 - X REST.GET.OBJECT k "GET /k HTTP/1.1" 200"#
        );
        assert_eq!(
            read(&short).unwrap_err(),
            LineError::TooFewFields {
                format: "S3 server access log",
                found: 10,
                min: 17
            }
        );
        assert_eq!(
            read(&format!("{OWNER} b [31/Feb/2024:10:20:30 +0000] x")).unwrap_err(),
            LineError::NoS3AccessTime
        );
        assert_eq!(read("a b c").unwrap_err(), LineError::NoS3AccessTime);
        assert!(!recognise(
            b"2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 1 2 ACCEPT OK"
        ));
        assert!(recognise(
            format!("{OWNER} b [03/Mar/2024:10:20:30 +0000] 1.2.3.4").as_bytes()
        ));
    }
}
