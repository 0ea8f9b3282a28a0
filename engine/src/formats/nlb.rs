//! Network Load Balancer access logs (`product: aws, service: nlb`).
//!
//! NLBs log TLS connections only, one per line, space-separated, in the documented order:
//! `type version time elb listener client:port destination:port connection_time
//! tls_handshake_time received_bytes sent_bytes incoming_tls_alert chosen_cert_arn
//! chosen_cert_serial tls_cipher tls_protocol_version tls_named_group domain_name
//! alpn_fe_protocol alpn_be_protocol alpn_client_preference_list tls_connection_creation_time`.
//! `type` is `tls`; version 1.0 lines stop after `domain_name`. No field is quoted: the
//! ALPN preference list is written as `"h2","http/1.1"` and kept as written. `client:port` and
//! `destination:port` are also split into `client_ip`/`client_port` and
//! `destination_ip`/`destination_port`. `time` carries no time zone (it is UTC): a derived
//! `timestamp` gives it in RFC 3339 so the engine finds the event's time.
//!
//! ```
//! use sigil_engine::formats::{LineKind, TextFormat, TextReader};
//! use sigil_engine::RecordSource;
//!
//! let line = br#"tls 2.0 2020-04-01T08:51:42 net/my-network-loadbalancer/c6e77e28c25b2234 g3d4b5e8bb8464cd 192.168.131.39:2817 10.0.0.1:80 5 2 98 246 - arn:aws:acm:us-east-2:671290407336:certificate/2a108f19-aded-46b0-8493-c63eb1ef4a99 - ECDHE-RSA-AES128-SHA tlsv12 - my-network-loadbalancer-c6e77e28c25b2234.elb.us-east-2.amazonaws.com h2 h2 "h2","http/1.1" 2020-04-01T08:51:20"#;
//! let mut reader = TextReader::new(TextFormat::LoadBalancer);
//! let mut out = Vec::new();
//! assert_eq!(reader.read_line(line, &mut out), Ok(LineKind::Record(RecordSource::Nlb)));
//! let record: serde_json::Value = serde_json::from_slice(&out).unwrap();
//! assert_eq!(record["destination_port"], 80);
//! assert_eq!(record["tls_handshake_time"], 2);
//! assert_eq!(record["alpn_client_preference_list"], r#""h2","http/1.1""#);
//! assert_eq!(record["timestamp"], "2020-04-01T08:51:42Z");
//! ```

use super::fields::Kind::{self, Endpoint, Number, Text};
use super::fields::Layout;

/// The fields, in order.
const FIELDS: &[(&str, Kind)] = &[
    ("type", Text),
    ("version", Text),
    ("time", Text),
    ("elb", Text),
    ("listener", Text),
    (
        "client:port",
        Endpoint {
            ip: "client_ip",
            port: "client_port",
        },
    ),
    (
        "destination:port",
        Endpoint {
            ip: "destination_ip",
            port: "destination_port",
        },
    ),
    ("connection_time", Number),
    ("tls_handshake_time", Number),
    ("received_bytes", Number),
    ("sent_bytes", Number),
    ("incoming_tls_alert", Text),
    ("chosen_cert_arn", Text),
    ("chosen_cert_serial", Text),
    ("tls_cipher", Text),
    ("tls_protocol_version", Text),
    ("tls_named_group", Text),
    ("domain_name", Text),
    ("alpn_fe_protocol", Text),
    ("alpn_be_protocol", Text),
    ("alpn_client_preference_list", Text),
    ("tls_connection_creation_time", Text),
];

/// The layout: version 1.0 lines stop after `domain_name`.
pub(crate) const LAYOUT: Layout = Layout {
    name: "NLB access log",
    fields: FIELDS,
    min_fields: 18,
};

/// Whether a line whose first two fields are `first` and `second` is an NLB access log line:
/// `tls` and a version number.
pub(crate) fn recognise(first: &[u8], second: &[u8]) -> bool {
    first == b"tls" && !second.is_empty() && second.iter().all(|&b| b.is_ascii_digit() || b == b'.')
}
