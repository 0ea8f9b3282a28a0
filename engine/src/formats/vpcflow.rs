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
static HEADERLESS: LazyLock<Vec<Layout>> = LazyLock::new(|| {
    // The first fields of `KNOWN` up to the last field of a version, in documented order.
    let up_to = |count: usize| fields(KNOWN[..count].iter().copied());
    [
        up_to(14),
        fields(TRANSIT_EXAMPLE.iter().copied()),
        up_to(29),
        fields(TRANSIT_GATEWAY.iter().copied()),
        up_to(39),
        up_to(40),
    ]
    .into_iter()
    .map(Layout::new)
    .collect()
});

/// Fields, and where `start` is among them (it gives the derived `timestamp`).
struct Layout {
    fields: Fields,
    start: Option<usize>,
}

impl Layout {
    fn new(fields: Fields) -> Layout {
        Layout {
            start: fields.position("start"),
            fields,
        }
    }
}

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
    let starts_like_a_name = line
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b.is_ascii_lowercase() || b == b'$');
    if !starts_like_a_name {
        return false;
    }
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
fn headerless_layout<'l>(line: &[u8], tokens: &[Token]) -> Option<&'l Layout> {
    let layout = HEADERLESS.iter().find(|l| l.fields.len() == tokens.len())?;
    let fits = layout
        .fields
        .columns()
        .zip(tokens)
        .all(|((name, kind), token)| {
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

/// Writes epoch `seconds` as `YYYY-MM-DDTHH:MM:SSZ` (UTC) into `text`; `None` past year 9999.
/// (Days to civil date by Howard Hinnant's algorithm; a general formatter costs more than the rest
/// of the line.)
fn rfc3339(seconds: u64, text: &mut [u8; 20]) -> Option<&[u8]> {
    let (days, time) = (seconds / 86_400, seconds % 86_400);
    let shifted = days + 719_468;
    let era = shifted / 146_097;
    let day_of_era = shifted % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    if year > 9999 {
        return None;
    }
    let mut put = |at: usize, value: u64, width: usize| {
        let mut value = value;
        for slot in text[at..at + width].iter_mut().rev() {
            *slot = b'0' + (value % 10) as u8;
            value /= 10;
        }
    };
    put(0, year, 4);
    put(5, month, 2);
    put(8, day, 2);
    put(11, time / 3600, 2);
    put(14, time / 60 % 60, 2);
    put(17, time % 60, 2);
    for (at, separator) in [
        (4, b'-'),
        (7, b'-'),
        (10, b'T'),
        (13, b':'),
        (16, b':'),
        (19, b'Z'),
    ] {
        text[at] = separator;
    }
    Some(&text[..])
}

/// Reads VPC flow log lines, following the headers it meets.
pub(crate) struct VpcFlowReader {
    header: Option<Layout>,
    tokens: Vec<Token>,
    scratch: Scratch,
}

impl VpcFlowReader {
    /// A reader that starts with `header` (the file's first header, if it has one).
    pub(crate) fn new(header: Option<Fields>) -> Self {
        VpcFlowReader {
            header: header.map(Layout::new),
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
            self.header = Some(Layout::new(header));
            return Ok(LineKind::Header);
        }
        split_spaces(line, &mut self.tokens);
        let found = self.tokens.len();
        let layout = match &self.header {
            Some(header) if header.fields.len() == found => header,
            Some(header) => {
                return Err(LineError::FieldCount {
                    found,
                    expected: header.fields.len(),
                });
            }
            None => headerless_layout(line, &self.tokens)
                .ok_or(LineError::UnknownVpcLayout { found })?,
        };
        let mut object = Object::open(out);
        for (column, &token) in layout.fields.columns().zip(&self.tokens) {
            write_field(&mut object, column, line, token, &mut self.scratch);
        }
        let mut text = [0u8; 20];
        let start = layout
            .start
            .and_then(|at| std::str::from_utf8(self.tokens[at].text(line)).ok())
            .and_then(|text| text.parse::<u64>().ok())
            .and_then(|seconds| rfc3339(seconds, &mut text));
        if let Some(start) = start {
            object.string("timestamp", start);
        }
        object.close();
        Ok(LineKind::Record(RecordSource::VpcFlow))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_seconds_in_rfc3339_agree_with_jiff() {
        let mut text = [0u8; 20];
        for seconds in [
            0,
            951_782_400,
            1_418_530_010,
            1_709_164_799,
            4_107_542_400,
            253_402_207_199,
        ] {
            let ours = rfc3339(seconds, &mut text).map(|t| String::from_utf8(t.to_vec()).unwrap());
            let jiff = jiff::Timestamp::from_second(seconds as i64)
                .unwrap()
                .to_string();
            assert_eq!(ours.as_deref(), Some(jiff.as_str()));
        }
        assert_eq!(rfc3339(253_402_300_800, &mut text), None);
    }
}
