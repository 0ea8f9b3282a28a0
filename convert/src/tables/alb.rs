//! Application Load Balancer access logs: Athena's `alb_logs` table from the Athena User Guide
//! ("Creating the table for ALB logs in Athena using partition projection"), read by AWS's
//! regular expression, whose last field is `conn_trace_id` and which ignores fields AWS adds
//! after it. Sigil splits `request` into `request_method`/`request_url`/`request_protocol`
//! (the table's `request_verb`/`request_url`/`request_proto`) and names the Lambda error
//! field `error_reason`.

use super::{Column, Content, EventTime, Kind, Layout, Numeric, Table, column};

const LOG: Kind = Kind::Text(Content::Log);
const INT: Kind = Kind::Number(Numeric::Int);
const BIGINT: Kind = Kind::Number(Numeric::BigInt);
const DOUBLE: Kind = Kind::Number(Numeric::Double);
const NUMBER_TEXT: Kind = Kind::Text(Content::LogNumber);

/// AWS's regular expression for ALB access log lines, as documented, with its final group made
/// non-capturing (the table has one column per capturing group).
pub(crate) const LINE: &str = concat!(
    r#"([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*):([0-9]*) ([^ ]*)[:-]([0-9]*) ([-.0-9]*) ([-.0-9]*) "#,
    r#"([-.0-9]*) (|[-0-9]*) (-|[-0-9]*) ([-0-9]*) ([-0-9]*) \"([^ ]*) (.*) (- |[^ ]*)\" "#,
    r#"\"([^\"]*)\" ([A-Z0-9-_]+) ([A-Za-z0-9.-]*) ([^ ]*) \"([^\"]*)\" \"([^\"]*)\" "#,
    r#"\"([^\"]*)\" ([-.0-9]*) ([^ ]*) \"([^\"]*)\" \"([^\"]*)\" \"([^ ]*)\" "#,
    r#"\"([^\s]+?)\" \"([^\s]+)\" \"([^ ]*)\" \"([^ ]*)\" ?([^ ]*)?(?: .*)?"#
);

const COLUMNS: &[Column] = &[
    column("type", "type", LOG),
    column("time", "time", LOG),
    column("elb", "elb", LOG),
    column("client_ip", "client_ip", LOG),
    column("client_port", "client_port", INT),
    column(
        "target_ip",
        "target_ip",
        Kind::Opaque(
            "STRING",
            "AWS's regex reads a missing target (`-`) as an empty address",
        ),
    ),
    column("target_port", "target_port", INT),
    column("request_processing_time", "request_processing_time", DOUBLE),
    column("target_processing_time", "target_processing_time", DOUBLE),
    column(
        "response_processing_time",
        "response_processing_time",
        DOUBLE,
    ),
    column("elb_status_code", "elb_status_code", INT),
    column("target_status_code", "target_status_code", NUMBER_TEXT),
    column("received_bytes", "received_bytes", BIGINT),
    column("sent_bytes", "sent_bytes", BIGINT),
    column("request_method", "request_verb", LOG),
    column("request_url", "request_url", LOG),
    column(
        "request_protocol",
        "request_proto",
        Kind::Opaque(
            "STRING",
            "AWS's regex reads a missing protocol as `- ` (with a space)",
        ),
    ),
    column("user_agent", "user_agent", LOG),
    column("ssl_cipher", "ssl_cipher", LOG),
    column("ssl_protocol", "ssl_protocol", LOG),
    column("target_group_arn", "target_group_arn", LOG),
    column("trace_id", "trace_id", LOG),
    column("domain_name", "domain_name", LOG),
    column("chosen_cert_arn", "chosen_cert_arn", LOG),
    column(
        "matched_rule_priority",
        "matched_rule_priority",
        NUMBER_TEXT,
    ),
    column("request_creation_time", "request_creation_time", LOG),
    column("actions_executed", "actions_executed", LOG),
    column("redirect_url", "redirect_url", LOG),
    column("error_reason", "lambda_error_reason", LOG),
    column("target:port_list", "target_port_list", LOG),
    column("target_status_code_list", "target_status_code_list", LOG),
    column("classification", "classification", LOG),
    column("classification_reason", "classification_reason", LOG),
    column(
        "conn_trace_id",
        "conn_trace_id",
        Kind::Opaque(
            "STRING",
            "AWS's regex reads a line that ends before it as an empty string",
        ),
    ),
];

/// ALB's table.
pub(crate) const TABLE: Table = Table {
    service: "alb",
    name: "alb",
    columns: COLUMNS,
    time: EventTime::Iso("time"),
    layout: Layout::Regex(LINE),
    athena_lowercases_keys: false,
};
