//! CloudFront standard logs: Athena's `cloudfront_logs` table from the Athena User Guide
//! (tab-separated, two header lines). CloudFront URL-encodes the values it writes; Sigil
//! decodes them once, and so do the queries. Sigil's field names are the W3C ones
//! (`c-ip`, `cs-uri-stem`), the table's AWS's (`request_ip`, `uri`).

use super::{Column, Content, EventTime, Kind, Layout, Numeric, Table, column};

const TEXT: Kind = Kind::Text(Content::LogEncoded);
const INT: Kind = Kind::Number(Numeric::Int);
const BIGINT: Kind = Kind::Number(Numeric::BigInt);
const FLOAT: Kind = Kind::Opaque(
    "FLOAT",
    "the documented table holds it as a single-precision FLOAT, which cannot compare exactly",
);

const COLUMNS: &[Column] = &[
    column(
        "date",
        "date",
        Kind::Opaque(
            "DATE",
            "the documented table holds it as a DATE, not as text",
        ),
    ),
    column("time", "time", TEXT),
    column("x-edge-location", "location", TEXT),
    column("sc-bytes", "bytes", BIGINT),
    column("c-ip", "request_ip", TEXT),
    column("cs-method", "method", TEXT),
    column("cs(Host)", "host", TEXT),
    column("cs-uri-stem", "uri", TEXT),
    column("sc-status", "status", INT),
    column("cs(Referer)", "referrer", TEXT),
    column("cs(User-Agent)", "user_agent", TEXT),
    column("cs-uri-query", "query_string", TEXT),
    column("cs(Cookie)", "cookie", TEXT),
    column("x-edge-result-type", "result_type", TEXT),
    column("x-edge-request-id", "request_id", TEXT),
    column("x-host-header", "host_header", TEXT),
    column("cs-protocol", "request_protocol", TEXT),
    column("cs-bytes", "request_bytes", BIGINT),
    column("time-taken", "time_taken", FLOAT),
    column("x-forwarded-for", "xforwarded_for", TEXT),
    column("ssl-protocol", "ssl_protocol", TEXT),
    column("ssl-cipher", "ssl_cipher", TEXT),
    column("x-edge-response-result-type", "response_result_type", TEXT),
    column("cs-protocol-version", "http_version", TEXT),
    column("fle-status", "fle_status", TEXT),
    column(
        "fle-encrypted-fields",
        "fle_encrypted_fields",
        Kind::Opaque(
            "INT",
            "the documented table holds this text field as an INT",
        ),
    ),
    column("c-port", "c_port", INT),
    column("time-to-first-byte", "time_to_first_byte", FLOAT),
    column(
        "x-edge-detailed-result-type",
        "x_edge_detailed_result_type",
        TEXT,
    ),
    column("sc-content-type", "sc_content_type", TEXT),
    column("sc-content-len", "sc_content_len", BIGINT),
    column("sc-range-start", "sc_range_start", BIGINT),
    column("sc-range-end", "sc_range_end", BIGINT),
];

/// CloudFront's table.
pub(crate) const TABLE: Table = Table {
    service: "cloudfront",
    name: "cloudfront",
    columns: COLUMNS,
    time: EventTime::DateAndTime("date", "time"),
    layout: Layout::Tabs,
    athena_lowercases_keys: false,
};
