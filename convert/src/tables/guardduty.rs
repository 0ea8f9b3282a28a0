//! GuardDuty findings exported to S3: Athena's `gd_logs` table from the Athena User Guide
//! ("Querying Amazon GuardDuty findings"). `resource` and `service` are JSON text, whose keys
//! the OpenX SerDe lowercases; `severity` is a JSON number held as text.

use super::{Column, Content, EventTime, Kind, Layout, Table, column, text};

const JSON: Kind = Kind::Text(Content::Json);

const COLUMNS: &[Column] = &[
    text("schemaVersion", "schemaversion"),
    text("accountId", "accountid"),
    text("region", "region"),
    text("partition", "partition"),
    text("id", "id"),
    text("arn", "arn"),
    text("type", "type"),
    column("resource", "resource", JSON),
    column("service", "service", JSON),
    column("severity", "severity", Kind::Text(Content::Number)),
    text("createdAt", "createdat"),
    text("updatedAt", "updatedat"),
    text("title", "title"),
    text("description", "description"),
];

/// GuardDuty's table.
pub(crate) const TABLE: Table = Table {
    service: "guardduty",
    name: "guardduty",
    columns: COLUMNS,
    time: EventTime::Iso("updatedat"),
    layout: Layout::Json,
    athena_lowercases_keys: true,
};
