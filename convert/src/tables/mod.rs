//! The tables the queries run against: one per log source, shaped as AWS documents it for
//! Athena, and how each column holds the values Sigil reads from a record.
//!
//! A [`Table`] lists [`Column`]s: the record's field (`eventName`, `c-ip`), the column's name
//! (`eventname`, `request_ip`) and its [`Kind`]: a string column and what its text is to Sigil
//! (a JSON string, a boolean written as text, a whole JSON value as text, a text-log field
//! where `-` means absent...), a number, a struct of further columns, an array. The three
//! targets share these shapes: Athena's tables are AWS's DDL, and the DuckDB and Spark views
//! (see [`crate::ddl`]) build the same columns from the raw files.
//!
//! [`Table::resolve`] finds a rule's field path in a table:
//!
//! ```text
//! userIdentity.sessionContext.sessionIssuer.type   "useridentity"."sessioncontext"."sessionissuer"."type"
//! resources.ARN                                    any element v of "resources": v."arn"
//! requestParameters.policyDocument                 "requestparameters" (JSON text), then $.policyDocument
//! ```
//!
//! A field the table has no column for is refused: the table cannot see it, Sigil can.

mod alb;
mod cloudfront;
mod cloudtrail;
mod guardduty;
mod vpcflow;
mod waf;

use crate::Refusal;
use crate::dialect::Dialect;
use sigil_compiler::{FieldPath, LogSource};

/// One column (or struct member) of a table.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    /// The record's field name, as Sigil reads it (case-sensitive).
    pub field: &'static str,
    /// The column's name in the table.
    pub name: &'static str,
    /// What the column holds.
    pub kind: Kind,
}

/// What a column holds.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// A string column, whose text is `Content` to Sigil.
    Text(Content),
    /// A number column (`INT`, `BIGINT` or `DOUBLE`): a JSON number, or a text-log number
    /// (`-` and anything that is not a number read as `NULL`).
    Number(Numeric),
    /// A struct of further columns.
    Struct(&'static [Column]),
    /// An array whose elements are of this kind.
    Array(&'static Kind),
    /// A column the converter cannot answer for exactly, with its SQL type and the reason.
    Opaque(&'static str, &'static str),
}

/// What the text of a string column is to Sigil.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Content {
    /// A JSON string.
    Str,
    /// A JSON boolean, written `true` or `false`.
    Bool,
    /// A JSON number, written as text.
    Number,
    /// Any JSON value, written as JSON text (objects and arrays), or the string's text.
    Json,
    /// A text-log field: `-` means absent.
    Log,
    /// A CloudFront field: `-` means absent, the text is URL-encoded (Sigil decodes it once).
    LogEncoded,
    /// A text-log number kept as text: `-` means absent, a plain decimal is a number to
    /// Sigil, anything else a string.
    LogNumber,
}

/// The SQL type of a number column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Numeric {
    /// `INT`.
    Int,
    /// `BIGINT`.
    BigInt,
    /// `DOUBLE`.
    Double,
}

/// How a table's event time is found, as Sigil finds it (`engine::time::event_time`).
#[derive(Clone, Copy, Debug)]
pub enum EventTime {
    /// An RFC 3339 string column.
    Iso(&'static str),
    /// A number column of epoch milliseconds (or seconds, below 10^11).
    Epoch(&'static str),
    /// A `DATE` column and a `HH:MM:SS` string column (CloudFront).
    DateAndTime(&'static str, &'static str),
}

/// How the records of a log source are stored, for the DDL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// JSON records: NDJSON lines, or CloudTrail's `{"Records":[...]}` envelopes.
    Json,
    /// Space-separated text lines after one header line (VPC Flow Logs).
    Spaces,
    /// Tab-separated text lines after `#` header lines (CloudFront).
    Tabs,
    /// Lines read by a regular expression (ALB).
    Regex(&'static str),
}

/// A log source's table.
#[derive(Debug)]
pub struct Table {
    /// The Sigma `service` of the log source (`cloudtrail`).
    pub service: &'static str,
    /// The default table name.
    pub name: &'static str,
    /// The columns.
    pub columns: &'static [Column],
    /// Where the event time is.
    pub time: EventTime,
    /// How the files are laid out.
    pub layout: Layout,
    /// Whether Athena's JSON SerDe lowercases the keys of objects held as JSON text (the
    /// OpenX SerDe does; CloudTrail's keeps them).
    pub athena_lowercases_keys: bool,
}

/// Every table, in a fixed order.
pub const TABLES: [&Table; 6] = [
    &cloudtrail::TABLE,
    &guardduty::TABLE,
    &waf::TABLE,
    &vpcflow::TABLE,
    &alb::TABLE,
    &cloudfront::TABLE,
];

/// The table of a log source (`aws/cloudtrail`): its product must be `aws` (or unset) and its
/// service one of the tables'.
pub fn for_logsource(logsource: &LogSource) -> Result<&'static Table, Refusal> {
    if logsource.product.as_deref().is_some_and(|p| p != "aws") || logsource.category.is_some() {
        return Err(Refusal::new(format!(
            "log source `{logsource}` has no table (the tables are AWS's: {})",
            services()
        )));
    }
    let service = logsource.service.as_deref().ok_or_else(|| {
        Refusal::new(format!(
            "log source `{logsource}` names no service, so no one table holds its records"
        ))
    })?;
    by_service(service)
}

/// The table of a service (`cloudtrail`, `vpcflow`...).
pub fn by_service(service: &str) -> Result<&'static Table, Refusal> {
    TABLES
        .iter()
        .copied()
        .find(|t| t.service == service)
        .ok_or_else(|| {
            Refusal::new(format!(
                "service `{service}` has no table (the tables are: {})",
                services()
            ))
        })
}

fn services() -> String {
    TABLES.map(|t| t.service).join(", ")
}

/// A rule's field, found in a table.
#[derive(Clone, Debug)]
pub struct Resolved {
    /// The arrays walked on the way, outermost first: the list expression and the variable
    /// its elements are bound to (Sigil matches when any element does).
    pub arrays: Vec<(String, String)>,
    /// The value: an SQL expression over the innermost variable (or the row).
    pub expr: String,
    /// What the value is.
    pub kind: Kind,
    /// The rest of the path inside a JSON-text column (empty otherwise).
    pub json_path: Vec<String>,
}

impl Table {
    /// Finds `path` in the table, naming the elements of the arrays on the way with `var`.
    pub fn resolve(
        &self,
        d: &dyn Dialect,
        path: &FieldPath,
        var: &dyn Fn() -> String,
    ) -> Result<Resolved, Refusal> {
        let segments = &path.segments;
        let mut columns = self.columns;
        let mut resolved = Resolved {
            arrays: Vec::new(),
            expr: String::new(),
            kind: Kind::Struct(self.columns),
            json_path: Vec::new(),
        };
        for (i, segment) in segments.iter().enumerate() {
            let column = columns.iter().find(|c| c.field == segment).ok_or_else(|| {
                let near = columns
                    .iter()
                    .find(|c| c.field.eq_ignore_ascii_case(segment))
                    .map(|c| {
                        format!(
                            " (the table has `{}`: field names are case-sensitive)",
                            c.field
                        )
                    })
                    .unwrap_or_default();
                Refusal::new(format!(
                    "field `{}`: the {} table has no column for `{segment}`{near}",
                    path.name, self.service
                ))
            })?;
            resolved.expr = if resolved.expr.is_empty() {
                d.ident(column.name)
            } else {
                format!("{}.{}", resolved.expr, d.ident(column.name))
            };
            resolved.kind = column.kind;
            // Arrays of structs: the rest of the path applies to each element.
            while let Kind::Array(element) = resolved.kind
                && i + 1 < segments.len()
            {
                let var = var();
                resolved
                    .arrays
                    .push((std::mem::replace(&mut resolved.expr, var.clone()), var));
                resolved.kind = *element;
            }
            match resolved.kind {
                Kind::Struct(members) => columns = members,
                Kind::Text(Content::Json) => {
                    resolved.json_path = segments[i + 1..].to_vec();
                    return Ok(resolved);
                }
                _ if i + 1 < segments.len() => {
                    return Err(Refusal::new(format!(
                        "field `{}`: `{segment}` holds no object in the {} table",
                        path.name, self.service
                    )));
                }
                _ => {}
            }
        }
        Ok(resolved)
    }

    /// The column named `name` (top level).
    pub fn column(&self, name: &str) -> Option<&'static Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// A string column of JSON strings.
pub(crate) const fn text(field: &'static str, name: &'static str) -> Column {
    Column {
        field,
        name,
        kind: Kind::Text(Content::Str),
    }
}

/// A column of the given kind.
pub(crate) const fn column(field: &'static str, name: &'static str, kind: Kind) -> Column {
    Column { field, name, kind }
}
