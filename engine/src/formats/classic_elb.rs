//! Classic Load Balancer access logs (`product: aws, service: elb`).
//!
//! One request per line, space-separated, in the documented order: `timestamp elb
//! client:port backend:port request_processing_time backend_processing_time
//! response_processing_time elb_status_code backend_status_code received_bytes sent_bytes
//! "request" "user_agent" ssl_cipher ssl_protocol`. Older logs stop after `request`. TCP
//! listeners log `"- - - "` as the request and `-` status codes (absent). `client:port` and
//! `backend:port` are also split into `client_ip`/`client_port` and
//! `backend_ip`/`backend_port`, `request` into `request_method`, `request_url` and
//! `request_protocol`.
//!
//! ```
//! use sigil_engine::formats::{LineKind, TextFormat, TextReader};
//! use sigil_engine::RecordSource;
//!
//! let line = br#"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000086 0.001048 0.001337 200 200 0 57 "GET https://www.example.com:443/ HTTP/1.1" "curl/7.38.0" DHE-RSA-AES128-SHA TLSv1.2"#;
//! let mut reader = TextReader::new(TextFormat::LoadBalancer);
//! let mut out = Vec::new();
//! assert_eq!(reader.read_line(line, &mut out), Ok(LineKind::Record(RecordSource::Elb)));
//! let record: serde_json::Value = serde_json::from_slice(&out).unwrap();
//! assert_eq!(record["backend_ip"], "10.0.0.1");
//! assert_eq!(record["backend_processing_time"], 0.001048);
//! assert_eq!(record["request_method"], "GET");
//! assert_eq!(record["ssl_protocol"], "TLSv1.2");
//! ```

use super::fields::Kind::{self, Endpoint, Number, Request, Text};
use super::fields::Layout;

/// The fields, in order.
const FIELDS: &[(&str, Kind)] = &[
    ("timestamp", Text),
    ("elb", Text),
    (
        "client:port",
        Endpoint {
            ip: "client_ip",
            port: "client_port",
        },
    ),
    (
        "backend:port",
        Endpoint {
            ip: "backend_ip",
            port: "backend_port",
        },
    ),
    ("request_processing_time", Number),
    ("backend_processing_time", Number),
    ("response_processing_time", Number),
    ("elb_status_code", Number),
    ("backend_status_code", Number),
    ("received_bytes", Number),
    ("sent_bytes", Number),
    ("request", Request),
    ("user_agent", Text),
    ("ssl_cipher", Text),
    ("ssl_protocol", Text),
];

/// The layout: lines have at least the fields up to `request`.
pub(crate) const LAYOUT: Layout = Layout {
    name: "Classic ELB access log",
    fields: FIELDS,
    min_fields: 12,
};
