//! Route 53 public DNS query logs (`product: aws, service: route53`).
//!
//! Route 53 logs the queries a public hosted zone answers to CloudWatch Logs, one query per
//! log event, as a space-separated line in the documented order: `version query_timestamp
//! hosted_zone_id query_name query_type rcode transport edge_location resolver_ip
//! edns_client_subnet`, e.g. `1.0 2017-12-13T08:16:02.130Z Z123412341234 example.com A NOERROR
//! UDP FRA6 192.168.1.1 -`. The lines come to Sigil three ways, each giving the same record:
//!
//! - as the message of a CloudWatch Logs event (a subscription to Firehose or Lambda): see
//!   [`cloudwatch`](super::cloudwatch);
//! - as the lines of a text file (messages saved one per line);
//! - as the lines of a CloudWatch Logs export to S3, where each line starts with the time the
//!   event was ingested (`2017-12-13T08:16:03.000Z 1.0 2017-12-13T08:16:02.130Z ...`): that
//!   leading time is skipped.
//!
//! Field names follow Route 53 Resolver query logs where they mean the same (`version`,
//! `query_timestamp`, `query_name`, `query_type`, `rcode`, `transport`), so that one rule can
//! read both logs; `query_timestamp` is the event time. Fields past the known ones are ignored.
//!
//! ```
//! use sigil_engine::formats::{LineKind, TextFormat, TextReader};
//! use sigil_engine::RecordSource;
//!
//! let line = b"1.0 2017-12-13T08:16:02.130Z Z123412341234 example.com A NOERROR UDP FRA6 192.168.1.1 -";
//! let mut reader = TextReader::new(TextFormat::Route53);
//! let mut out = Vec::new();
//! assert_eq!(reader.read_line(line, &mut out), Ok(LineKind::Record(RecordSource::Route53)));
//! let record: serde_json::Value = serde_json::from_slice(&out).unwrap();
//! assert_eq!(record["query_name"], "example.com");
//! assert_eq!(record["rcode"], "NOERROR");
//! assert_eq!(record["edge_location"], "FRA6");
//! assert!(record.get("edns_client_subnet").is_none());
//! ```

use super::fields::Kind::Text;
use super::fields::{Kind, Scratch, Token, is_iso_time, split_spaces, write_field};
use super::json::Object;
use super::{LineError, LineKind};
use crate::logsource::RecordSource;

/// The fields, in order.
const FIELDS: &[(&str, Kind)] = &[
    ("version", Text),
    ("query_timestamp", Text),
    ("hosted_zone_id", Text),
    ("query_name", Text),
    ("query_type", Text),
    ("rcode", Text),
    ("transport", Text),
    ("edge_location", Text),
    ("resolver_ip", Text),
    ("edns_client_subnet", Text),
];

/// Reads Route 53 public DNS query log lines.
#[derive(Default)]
pub(crate) struct Route53Reader {
    tokens: Vec<Token>,
    scratch: Scratch,
}

impl Route53Reader {
    /// Reads one line (see [`super::TextReader::read_line`]).
    pub(crate) fn read_line(
        &mut self,
        line: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<LineKind, LineError> {
        split_spaces(line, &mut self.tokens);
        if self.tokens.is_empty() {
            return Ok(LineKind::Blank);
        }
        let fields = query_fields(line, &self.tokens).ok_or(LineError::NoRoute53Query)?;
        if fields.len() < FIELDS.len() {
            return Err(LineError::TooFewFields {
                format: "Route 53 query log",
                found: fields.len(),
                min: FIELDS.len(),
            });
        }
        let mut object = Object::open(out);
        for (&field, &token) in FIELDS.iter().zip(fields) {
            write_field(&mut object, field, line, token, &mut self.scratch);
        }
        object.close();
        Ok(LineKind::Record(RecordSource::Route53))
    }
}

/// The fields of a query line cut into `tokens`, without a CloudWatch Logs export's leading
/// time; `None` unless they start with a version (`1.0`) and an ISO 8601 time.
fn query_fields<'t>(line: &[u8], tokens: &'t [Token]) -> Option<&'t [Token]> {
    let is_version = |token: &Token| {
        let text = token.text(line);
        let mut parts = text.split(|&b| b == b'.');
        let digits = |part: Option<&[u8]>| {
            part.is_some_and(|p| !p.is_empty() && p.iter().all(u8::is_ascii_digit))
        };
        digits(parts.next()) && digits(parts.next()) && parts.next().is_none()
    };
    let starts = |fields: &[Token]| {
        fields.len() >= 2 && is_version(&fields[0]) && is_iso_time(fields[1].text(line))
    };
    if starts(tokens) {
        Some(tokens)
    } else if tokens.len() > 1 && is_iso_time(tokens[0].text(line)) && starts(&tokens[1..]) {
        Some(&tokens[1..])
    } else {
        None
    }
}

/// Whether `line` is a Route 53 public DNS query log line, with every documented field.
pub(crate) fn recognise(line: &[u8]) -> bool {
    let mut tokens = Vec::new();
    split_spaces(line, &mut tokens);
    query_fields(line, &tokens).is_some_and(|fields| fields.len() >= FIELDS.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(line: &str) -> Result<serde_json::Value, LineError> {
        let mut out = Vec::new();
        Route53Reader::default().read_line(line.as_bytes(), &mut out)?;
        Ok(serde_json::from_slice(&out).unwrap())
    }

    const LINE: &str = "1.0 2024-02-29T23:59:59.123Z Z0123456789ABCDEFGHIJ login.example.com. AAAA NXDOMAIN TCP NRT57-P1 2001:db8::53 198.51.100.0/24";

    #[test]
    fn every_field_and_the_export_prefix() {
        let record = read(LINE).unwrap();
        assert_eq!(
            record,
            serde_json::json!({
                "version": "1.0", "query_timestamp": "2024-02-29T23:59:59.123Z",
                "hosted_zone_id": "Z0123456789ABCDEFGHIJ", "query_name": "login.example.com.",
                "query_type": "AAAA", "rcode": "NXDOMAIN", "transport": "TCP",
                "edge_location": "NRT57-P1", "resolver_ip": "2001:db8::53",
                "edns_client_subnet": "198.51.100.0/24"
            })
        );
        assert_eq!(
            read(&format!("2024-03-01T00:00:01.000Z {LINE} extra")),
            Ok(record)
        );
        assert!(recognise(LINE.as_bytes()));
    }

    #[test]
    fn bad_lines_have_reasons() {
        assert_eq!(
            read("1.0 2024-02-29T23:59:59.123Z Z01 example.com A").unwrap_err(),
            LineError::TooFewFields {
                format: "Route 53 query log",
                found: 5,
                min: 10
            }
        );
        for other in [
            "2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 1 2 ACCEPT OK",
            "1.0.1 2024-02-29T23:59:59.123Z Z01 a A NOERROR UDP FRA6 192.0.2.1 -",
            "v1.0 2024-02-29T23:59:59.123Z Z01 a A NOERROR UDP FRA6 192.0.2.1 -",
        ] {
            assert_eq!(
                read(other).unwrap_err(),
                LineError::NoRoute53Query,
                "{other}"
            );
            assert!(!recognise(other.as_bytes()));
        }
        assert!(!recognise(
            b"1.0 2024-02-29T23:59:59.123Z Z01 example.com A"
        ));
    }
}
