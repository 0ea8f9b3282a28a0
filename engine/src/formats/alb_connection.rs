//! Application Load Balancer connection logs (`product: aws, service: alb`).
//!
//! One TLS connection per line, space-separated, in the documented order: `timestamp
//! client_ip client_port listener_port tls_protocol tls_cipher tls_handshake_latency
//! "leaf_client_cert_subject" leaf_client_cert_validity leaf_client_cert_serial_number
//! tls_verify_status conn_trace_id` (older lines stop before `conn_trace_id`). They are
//! records of the ALB log source; unlike access log records they have no `type` field, which
//! rules can use to tell them apart (`type|exists: false`).
//!
//! ```
//! use sigil_engine::formats::{LineKind, TextFormat, TextReader};
//! use sigil_engine::RecordSource;
//!
//! let line = br#"2024-10-04T17:05:15.514108Z 192.168.131.39 36280 443 TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 4.036 "CN=amazondomains.com,O=endEntity,L=Seattle,ST=Washington,C=US" NotBefore=2023-09-21T22:43:21Z;NotAfter=2026-06-17T22:43:21Z FEF257372D5C14D4 Success TID_16132ed0b4112148"#;
//! let mut reader = TextReader::new(TextFormat::LoadBalancer);
//! let mut out = Vec::new();
//! assert_eq!(reader.read_line(line, &mut out), Ok(LineKind::Record(RecordSource::Alb)));
//! let record: serde_json::Value = serde_json::from_slice(&out).unwrap();
//! assert_eq!(record["client_port"], 36280);
//! assert_eq!(record["leaf_client_cert_subject"], "CN=amazondomains.com,O=endEntity,L=Seattle,ST=Washington,C=US");
//! assert_eq!(record["tls_verify_status"], "Success");
//! ```

use super::fields::Kind::{self, Number, Text};
use super::fields::Layout;

/// The fields, in order.
const FIELDS: &[(&str, Kind)] = &[
    ("timestamp", Text),
    ("client_ip", Text),
    ("client_port", Number),
    ("listener_port", Number),
    ("tls_protocol", Text),
    ("tls_cipher", Text),
    ("tls_handshake_latency", Number),
    ("leaf_client_cert_subject", Text),
    ("leaf_client_cert_validity", Text),
    ("leaf_client_cert_serial_number", Text),
    ("tls_verify_status", Text),
    ("conn_trace_id", Text),
];

/// The layout: older lines stop before `conn_trace_id`.
pub(crate) const LAYOUT: Layout = Layout {
    name: "ALB connection log",
    fields: FIELDS,
    min_fields: 11,
};
