//! VPC Flow Logs: Athena's `vpc_flow_logs` table from the Athena User Guide, every field up to
//! version 5 in AWS's order (files with fewer fields, such as the default format, leave the
//! last columns `NULL`). Sigil's field names keep AWS's hyphens (`interface-id`); the table's
//! use underscores. `-` reads as `NULL` in number columns and as `-` in string columns.

use super::{Column, Content, EventTime, Kind, Layout, Numeric, Table, column};

const LOG: Kind = Kind::Text(Content::Log);
const INT: Kind = Kind::Number(Numeric::Int);
const BIGINT: Kind = Kind::Number(Numeric::BigInt);

const COLUMNS: &[Column] = &[
    column("version", "version", INT),
    column("account-id", "account_id", LOG),
    column("interface-id", "interface_id", LOG),
    column("srcaddr", "srcaddr", LOG),
    column("dstaddr", "dstaddr", LOG),
    column("srcport", "srcport", INT),
    column("dstport", "dstport", INT),
    column("protocol", "protocol", BIGINT),
    column("packets", "packets", BIGINT),
    column("bytes", "bytes", BIGINT),
    column("start", "start", BIGINT),
    column("end", "end", BIGINT),
    column("action", "action", LOG),
    column("log-status", "log_status", LOG),
    column("vpc-id", "vpc_id", LOG),
    column("subnet-id", "subnet_id", LOG),
    column("instance-id", "instance_id", LOG),
    column("tcp-flags", "tcp_flags", INT),
    column("type", "type", LOG),
    column("pkt-srcaddr", "pkt_srcaddr", LOG),
    column("pkt-dstaddr", "pkt_dstaddr", LOG),
    column("region", "region", LOG),
    column("az-id", "az_id", LOG),
    column("sublocation-type", "sublocation_type", LOG),
    column("sublocation-id", "sublocation_id", LOG),
    column("pkt-src-aws-service", "pkt_src_aws_service", LOG),
    column("pkt-dst-aws-service", "pkt_dst_aws_service", LOG),
    column("flow-direction", "flow_direction", LOG),
    column("traffic-path", "traffic_path", INT),
];

/// VPC Flow Logs' table.
pub(crate) const TABLE: Table = Table {
    service: "vpcflow",
    name: "vpcflow",
    columns: COLUMNS,
    time: EventTime::Epoch("start"),
    layout: Layout::Spaces,
    athena_lowercases_keys: false,
};
