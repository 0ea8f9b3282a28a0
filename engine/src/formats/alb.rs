//! Application Load Balancer access logs (`product: aws, service: alb`).
//!
//! One request per line, fields separated by spaces, in the documented order; fields that may
//! hold spaces are in double quotes (a `"` inside is written `\"`). AWS appends new fields at
//! the end over time, so lines may stop after any field from `user_agent` on (older load
//! balancers), and fields beyond the last one known here are ignored, as AWS asks parsers to
//! do. `-` is an absent field; `-1` timings (no target reached) are kept as the number `-1`.
//!
//! Besides the documented fields, `client:port` and `target:port` are split into
//! `client_ip`/`client_port` and `target_ip`/`target_port`, and `request` into
//! `request_method`, `request_url` and `request_protocol` (the URL is everything between the
//! first and the last space, so a URL with a space survives); `timestamp` repeats `time`
//! (RFC 3339), the name every reader gives the event's time.
//!
//! ```
//! use sigil_engine::formats::{LineKind, TextFormat, TextReader};
//! use sigil_engine::RecordSource;
//!
//! let line = br#"https 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.086 0.048 0.037 200 200 0 57 "GET https://www.example.com:443/ HTTP/1.1" "curl/7.46.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337281-1d84f3d73c47ec4e58577259" "www.example.com" "arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012" 1 2018-07-02T22:22:48.364000Z "authenticate,forward" "-" "-" "10.0.0.1:80" "200" "-" "-" TID_1234abcd"#;
//! let mut reader = TextReader::new(TextFormat::LoadBalancer);
//! let mut out = Vec::new();
//! assert_eq!(reader.read_line(line, &mut out), Ok(LineKind::Record(RecordSource::Alb)));
//! let record: serde_json::Value = serde_json::from_slice(&out).unwrap();
//! assert_eq!(record["client_ip"], "192.168.131.39");
//! assert_eq!(record["target_port"], 80);
//! assert_eq!(record["elb_status_code"], 200);
//! assert_eq!(record["request_url"], "https://www.example.com:443/");
//! assert_eq!(record["user_agent"], "curl/7.46.0");
//! assert_eq!(record["conn_trace_id"], "TID_1234abcd");
//! assert_eq!(record["timestamp"], "2018-07-02T22:23:00.186641Z");
//! assert!(record.get("redirect_url").is_none()); // "-"
//! ```

use super::fields::Kind::{self, Endpoint, Number, Request, Text};
use super::fields::Layout;

/// The fields, in order.
const FIELDS: &[(&str, Kind)] = &[
    ("type", Text),
    ("time", Text),
    ("elb", Text),
    (
        "client:port",
        Endpoint {
            ip: "client_ip",
            port: "client_port",
        },
    ),
    (
        "target:port",
        Endpoint {
            ip: "target_ip",
            port: "target_port",
        },
    ),
    ("request_processing_time", Number),
    ("target_processing_time", Number),
    ("response_processing_time", Number),
    ("elb_status_code", Number),
    ("target_status_code", Number),
    ("received_bytes", Number),
    ("sent_bytes", Number),
    ("request", Request),
    ("user_agent", Text),
    ("ssl_cipher", Text),
    ("ssl_protocol", Text),
    ("target_group_arn", Text),
    ("trace_id", Text),
    ("domain_name", Text),
    ("chosen_cert_arn", Text),
    ("matched_rule_priority", Number),
    ("request_creation_time", Text),
    ("actions_executed", Text),
    ("redirect_url", Text),
    ("error_reason", Text),
    ("target:port_list", Text),
    ("target_status_code_list", Text),
    ("classification", Text),
    ("classification_reason", Text),
    ("conn_trace_id", Text),
    ("transformed_host", Text),
    ("transformed_uri", Text),
    ("request_transform_status", Text),
];

/// The layout: lines have at least the fields up to `user_agent`.
pub(crate) const LAYOUT: Layout = Layout {
    name: "ALB access log",
    fields: FIELDS,
    min_fields: 14,
};

/// The values of the first field, the request type.
const TYPES: &[&[u8]] = &[b"http", b"https", b"h2", b"grpcs", b"ws", b"wss"];

/// Whether a line whose first two fields are `first` and `second` is an ALB access log line.
pub(crate) fn recognise(first: &[u8], second: &[u8]) -> bool {
    TYPES.contains(&first) && super::fields::is_iso_time(second)
}
