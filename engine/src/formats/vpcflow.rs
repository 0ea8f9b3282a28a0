//! VPC Flow Logs (`product: aws, service: vpcflow`): space-separated fields named by a header.
//!
//! Flow logs delivered to S3 start with a header line naming the fields, in the order of the
//! flow log's format (`version account-id interface-id srcaddr ...`); a file may hold the
//! header again further down (files concatenated), and each header applies to the lines after
//! it. Records are written under the AWS field names, hyphenated as AWS writes them; `-` means
//! the field has no value for this flow (NODATA and SKIPDATA rows are mostly `-`) and the member
//! is left out. The numeric fields (`version`, `srcport`, `dstport`, `protocol`, `packets`,
//! `bytes`, `start`, `end`, `tcp-flags`, `traffic-path` and the transit gateway
//! `packets-lost-*` counters) are JSON numbers. A derived `timestamp` gives `start` in RFC 3339,
//! so the engine finds the event's time.
//!
//! Lines without a header (flow logs read from CloudWatch Logs, or copied out of a file) are
//! matched by their field count against the layouts AWS documents: the default format
//! (version 2, 14 fields), every field up to version 5 (29), up to version 7 (39, with the ECS
//! fields), up to version 8 (40, with `reject-reason`), the transit gateway default format (36),
//! and the custom format of AWS's transit gateway example (17). A line is read with such a
//! layout only if its values fit it (numbers where numbers belong, `ACCEPT`/`REJECT`, `OK`/
//! `NODATA`/`SKIPDATA`); other lines are reported as bad, never guessed at.
//!
//! ```
//! use sigil_engine::formats::{LineKind, TextFormat, TextReader, detect};
//!
//! let log = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n\
//!            2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n";
//! let format = detect(None, log.as_bytes()).unwrap();
//! assert!(matches!(format, TextFormat::VpcFlow(Some(_))));
//! let mut reader = TextReader::new(format);
//! let mut out = Vec::new();
//! let mut lines = log.lines();
//! assert_eq!(reader.read_line(lines.next().unwrap().as_bytes(), &mut out), Ok(LineKind::Header));
//! reader.read_line(lines.next().unwrap().as_bytes(), &mut out).unwrap();
//! assert_eq!(
//!     String::from_utf8(out).unwrap(),
//!     r#"{"version":2,"account-id":"123456789010","interface-id":"eni-1235b8ca123456789","srcaddr":"172.31.16.139","dstaddr":"172.31.16.21","srcport":20641,"dstport":22,"protocol":6,"packets":20,"bytes":4249,"start":1418530010,"end":1418530070,"action":"ACCEPT","log-status":"OK","timestamp":"2014-12-14T04:06:50Z"}"#
//! );
//! ```

use std::sync::LazyLock;

use super::fields::{Fields, Kind, Scratch, Token, split_spaces, write_field};
use super::json::Object;
use super::{LineError, LineKind};
use crate::logsource::RecordSource;

/// Every field name AWS documents for VPC and transit gateway flow logs, by version.
const KNOWN: &[&str] = &[
    // version 2 (the default format)
    "version",
    "account-id",
    "interface-id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "action",
    "log-status",
    // version 3
    "vpc-id",
    "subnet-id",
    "instance-id",
    "tcp-flags",
    "type",
    "pkt-srcaddr",
    "pkt-dstaddr",
    // version 4
    "region",
    "az-id",
    "sublocation-type",
    "sublocation-id",
    // version 5
    "pkt-src-aws-service",
    "pkt-dst-aws-service",
    "flow-direction",
    "traffic-path",
    // version 7
    "ecs-cluster-arn",
    "ecs-cluster-name",
    "ecs-container-instance-arn",
    "ecs-container-instance-id",
    "ecs-container-id",
    "ecs-second-container-id",
    "ecs-service-name",
    "ecs-task-definition-arn",
    "ecs-task-arn",
    "ecs-task-id",
    // version 8
    "reject-reason",
    // transit gateway flow logs
    "resource-type",
    "tgw-id",
    "tgw-attachment-id",
    "tgw-src-vpc-account-id",
    "tgw-dst-vpc-account-id",
    "tgw-src-vpc-id",
    "tgw-dst-vpc-id",
    "tgw-src-subnet-id",
    "tgw-dst-subnet-id",
    "tgw-src-eni",
    "tgw-dst-eni",
    "tgw-src-az-id",
    "tgw-dst-az-id",
    "tgw-pair-attachment-id",
    "packets-lost-no-route",
    "packets-lost-blackhole",
    "packets-lost-mtu-exceeded",
    "packets-lost-ttl-expired",
];

/// The fields whose values are numbers.
const NUMERIC: &[&str] = &[
    "version",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "tcp-flags",
    "traffic-path",
    "packets-lost-no-route",
    "packets-lost-blackhole",
    "packets-lost-mtu-exceeded",
    "packets-lost-ttl-expired",
];

/// The transit gateway default format, in order.
const TRANSIT_GATEWAY: &[&str] = &[
    "version",
    "resource-type",
    "account-id",
    "tgw-id",
    "tgw-attachment-id",
    "tgw-src-vpc-account-id",
    "tgw-dst-vpc-account-id",
    "tgw-src-vpc-id",
    "tgw-dst-vpc-id",
    "tgw-src-subnet-id",
    "tgw-dst-subnet-id",
    "tgw-src-eni",
    "tgw-dst-eni",
    "tgw-src-az-id",
    "tgw-dst-az-id",
    "tgw-pair-attachment-id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "log-status",
    "type",
    "packets-lost-no-route",
    "packets-lost-blackhole",
    "packets-lost-mtu-exceeded",
    "packets-lost-ttl-expired",
    "tcp-flags",
    "region",
    "flow-direction",
    "pkt-src-aws-service",
    "pkt-dst-aws-service",
];

/// The custom format of AWS's transit gateway example in the VPC flow log records docs.
const TRANSIT_EXAMPLE: &[&str] = &[
    "version",
    "interface-id",
    "account-id",
    "vpc-id",
    "subnet-id",
    "instance-id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "tcp-flags",
    "type",
    "pkt-srcaddr",
    "pkt-dstaddr",
    "action",
    "log-status",
];

/// The layouts a line without a header may have, told apart by their field count.
static HEADERLESS: LazyLock<Vec<Fields>> = LazyLock::new(|| {
    // The first fields of `KNOWN` up to the last field of a version, in documented order.
    let up_to = |count: usize| fields(KNOWN[..count].iter().copied());
    vec![
        up_to(14),
        fields(TRANSIT_EXAMPLE.iter().copied()),
        up_to(29),
        fields(TRANSIT_GATEWAY.iter().copied()),
        up_to(39),
        up_to(40),
    ]
});

/// Typed fields named `names`.
fn fields<'n>(names: impl IntoIterator<Item = &'n str>) -> Fields {
    Fields::new(names, |name| {
        if NUMERIC.contains(&name) {
            Kind::Number
        } else {
            Kind::Text
        }
    })
}

/// A header name as written: plain (`srcaddr`, S3) or in CloudWatch's `${srcaddr}` notation.
fn header_name(token: &[u8]) -> &[u8] {
    token
        .strip_prefix(b"${")
        .and_then(|t| t.strip_suffix(b"}"))
        .unwrap_or(token)
}

/// The names on a header line, as written (see [`header_name`]).
fn names(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    line.split(|&b| b == b' ' || b == b'\t')
        .filter(|name| !name.is_empty())
        .map(header_name)
}

/// Whether `line` is a header line: its first name is a known field name and all are shaped
/// like field names (lower-case letters, digits and hyphens). Data lines start with a version
/// number, an id (`i-...`, `eni-...`) or a value in upper case. Allocates nothing.
pub(crate) fn is_header(line: &[u8]) -> bool {
    let known = names(line)
        .next()
        .and_then(|first| std::str::from_utf8(first).ok())
        .is_some_and(|first| KNOWN.contains(&first));
    known
        && names(line).all(|name| {
            name.first().is_some_and(u8::is_ascii_lowercase)
                && name
                    .iter()
                    .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

/// Parses a header line, if `line` is one.
pub(crate) fn parse_header(line: &[u8]) -> Option<Fields> {
    // `is_header` checked the names are ASCII.
    is_header(line)
        .then(|| fields(names(line).map(|name| std::str::from_utf8(name).unwrap_or_default())))
}

/// Whether `line` (without a header) fits one of the header-less layouts.
pub(crate) fn fits_headerless(line: &[u8]) -> bool {
    let mut tokens = Vec::new();
    split_spaces(line, &mut tokens);
    headerless_layout(line, &tokens).is_some()
}

/// The header-less layout of the line's field count, if its values fit it.
fn headerless_layout<'l>(line: &[u8], tokens: &[Token]) -> Option<&'l Fields> {
    let layout = HEADERLESS.iter().find(|l| l.len() == tokens.len())?;
    let fits = layout.columns().zip(tokens).all(|((name, kind), token)| {
        let text = token.text(line);
        let dash = text == b"-";
        match name {
            "version" => !dash && text.iter().all(u8::is_ascii_digit),
            "action" => dash || text == b"ACCEPT" || text == b"REJECT",
            "log-status" => dash || matches!(text, b"OK" | b"NODATA" | b"SKIPDATA"),
            "interface-id" => dash || text.starts_with(b"eni-"),
            _ if kind == Kind::Number => dash || text.iter().all(u8::is_ascii_digit),
            _ => true,
        }
    });
    fits.then_some(layout)
}

/// Reads VPC flow log lines, following the headers it meets.
pub(crate) struct VpcFlowReader {
    header: Option<Fields>,
    tokens: Vec<Token>,
    scratch: Scratch,
}

impl VpcFlowReader {
    /// A reader that starts with `header` (the file's first header, if it has one).
    pub(crate) fn new(header: Option<Fields>) -> Self {
        VpcFlowReader {
            header,
            tokens: Vec::new(),
            scratch: Scratch::default(),
        }
    }

    /// Reads one line (see [`super::TextReader::read_line`]).
    pub(crate) fn read_line(
        &mut self,
        line: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<LineKind, LineError> {
        if let Some(header) = parse_header(line) {
            self.header = Some(header);
            return Ok(LineKind::Header);
        }
        split_spaces(line, &mut self.tokens);
        let found = self.tokens.len();
        let layout = match &self.header {
            Some(header) if header.len() == found => header,
            Some(header) => {
                return Err(LineError::FieldCount {
                    found,
                    expected: header.len(),
                });
            }
            None => headerless_layout(line, &self.tokens)
                .ok_or(LineError::UnknownVpcLayout { found })?,
        };
        let mut object = Object::open(out);
        let mut start = None;
        for ((name, kind), &token) in layout.columns().zip(&self.tokens) {
            write_field(&mut object, (name, kind), line, token, &mut self.scratch);
            if name == "start" {
                start = std::str::from_utf8(token.text(line))
                    .ok()
                    .and_then(|text| text.parse::<i64>().ok())
                    .and_then(|seconds| jiff::Timestamp::from_second(seconds).ok());
            }
        }
        if let Some(start) = start {
            object.display("timestamp", start, true);
        }
        object.close();
        Ok(LineKind::Record(RecordSource::VpcFlow))
    }
}
