//! Log formats beyond JSON records: the text logs of AWS services turned into JSON records with
//! named, typed fields, and JSON envelopes that hold many events.
//!
//! | format                          | module             | `service`      | a record is          |
//! |---------------------------------|--------------------|----------------|----------------------|
//! | VPC (and transit gateway) flow logs | [`vpcflow`]    | `vpcflow`      | a line               |
//! | ALB access logs                 | [`alb`]            | `alb`          | a line               |
//! | ALB connection logs             | [`alb_connection`] | `alb`          | a line               |
//! | Classic ELB access logs         | [`classic_elb`]    | `elb`          | a line               |
//! | NLB access logs                 | [`nlb`]            | `nlb`          | a line               |
//! | CloudFront standard logs        | [`cloudfront`]     | `cloudfront`   | a line               |
//! | S3 server access logs           | [`s3access`]       | `s3access`     | a line               |
//! | Route 53 public DNS query logs  | [`route53`]        | `route53`      | a line               |
//! | CloudWatch Logs subscriptions   | [`cloudwatch`]     | `cloudwatch`   | a log event          |
//! | AWS Config snapshots, history   | [`config`]         | `config`       | a configuration item |
//! | EventBridge events              | [`eventbridge`]    | the detail's, or `eventbridge` | an event's detail |
//! | Security Hub `{"Findings":[...]}` | [`securityhub`]  | `securityhub`  | a finding            |
//!
//! (`product` is `aws` for all.) The text formats share conventions: fields keep the names AWS
//! documents for the format; `-` means absent, so the member is left out; numeric fields are
//! JSON numbers (text that is not a plain decimal stays a string rather than being refused);
//! each text format also gets the derived fields its module lists (`client_ip`,
//! `request_method`, `timestamp`...).
//!
//! # Reading a text file
//!
//! [`detect`] recognises a text format from the first bytes of a file (the file name helps
//! when the content does not tell). A [`TextReader`] then reads the file's lines in order:
//! header lines (a VPC flow log header, CloudFront's `#Fields`) update its state and give no
//! record, and each data line appends exactly one compact JSON object to the output buffer.
//! A line that cannot be read is a [`LineError`] with the reason; reading goes on with the
//! next line. [`TextRecords`] does the line cutting and numbering over a buffer.
//!
//! ```
//! use sigil_engine::formats::{TextReader, detect, text_records};
//! use sigil_engine::framing::Origin;
//! use sigil_engine::RecordSource;
//!
//! let log = b"version srcaddr dstaddr dstport action\n\
//!             2 10.0.0.1 10.0.0.2 22 REJECT\n\
//!             2 10.0.0.1 10.0.0.2 oops\n";
//! let mut reader = TextReader::new(detect(None, log).unwrap());
//! let mut records = text_records(log, Origin::START, &mut reader);
//! let record = records.next_record().unwrap().unwrap();
//! assert_eq!(record.json, br#"{"version":2,"srcaddr":"10.0.0.1","dstaddr":"10.0.0.2","dstport":22,"action":"REJECT"}"#);
//! assert_eq!((record.index, record.source), (1, RecordSource::VpcFlow));
//! let bad = records.next_record().unwrap().unwrap_err();
//! assert_eq!(bad.to_string(), "record 2 at byte 69: 4 fields where the header names 5");
//! assert!(records.next_record().is_none());
//! ```
//!
//! # Envelopes
//!
//! [`detect_envelope`] recognises JSON files whose objects wrap many events; each object framed
//! from such a file is expanded into its records by [`Envelope::expand`].
//!
//! # Performance
//!
//! Readers allocate nothing per line once warmed up: fields are byte ranges of the line kept
//! in a reused vector, values are escaped straight into the output buffer, and decoding works
//! in reused scratch buffers.

#![deny(missing_docs)]

pub mod alb;
pub mod alb_connection;
pub mod classic_elb;
pub mod cloudfront;
pub mod cloudwatch;
pub mod config;
mod envelope;
pub mod eventbridge;
mod fields;
mod json;
mod load_balancer;
pub mod nlb;
pub mod route53;
pub mod s3access;
pub mod securityhub;
pub mod vpcflow;

use std::borrow::Cow;
use std::fmt;
use std::path::Path;

pub use envelope::{Envelope, EnvelopeError, Records, detect_envelope};
pub use fields::Fields;

use crate::framing::{MAX_RECORD_BYTES, Origin};
use crate::logsource::RecordSource;
use cloudfront::CloudFrontReader;
use load_balancer::LoadBalancerReader;
use route53::Route53Reader;
use s3access::S3AccessReader;
use vpcflow::VpcFlowReader;

/// A text log format, with what is known of its layout from the head of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TextFormat {
    /// VPC flow logs, with the header found at the head of the file (`None`: header-less
    /// lines, read by their field count; see [`vpcflow`]).
    VpcFlow(Option<Fields>),
    /// Elastic Load Balancing logs: ALB access and connection logs, Classic ELB and NLB access
    /// logs, recognised line by line.
    LoadBalancer,
    /// CloudFront standard logs, with the fields of the head's `#Fields` line or the
    /// documented ones.
    CloudFront(Fields),
    /// S3 server access logs.
    S3Access,
    /// Route 53 public DNS query logs.
    Route53,
}

impl TextFormat {
    /// The format's name: `vpcflow`, `elb`, `cloudfront`, `s3access` or `route53`.
    pub fn name(&self) -> &'static str {
        match self {
            TextFormat::VpcFlow(_) => "vpcflow",
            TextFormat::LoadBalancer => "elb",
            TextFormat::CloudFront(_) => "cloudfront",
            TextFormat::S3Access => "s3access",
            TextFormat::Route53 => "route53",
        }
    }

    /// The format called `name`, as `--input-format` would force it: `vpcflow`; `elb`, `alb` or
    /// `nlb` (one reader reads them all); `cloudfront`; `s3access`; `route53`. A forced format starts without a
    /// header (VPC) or with the documented fields (CloudFront); header lines in the file still
    /// apply.
    ///
    /// ```
    /// use sigil_engine::formats::TextFormat;
    /// assert_eq!(TextFormat::from_name("ALB"), Some(TextFormat::LoadBalancer));
    /// assert_eq!(TextFormat::from_name("vpcflow"), Some(TextFormat::VpcFlow(None)));
    /// assert_eq!(TextFormat::from_name("ndjson"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<TextFormat> {
        match name.to_ascii_lowercase().as_str() {
            "vpcflow" | "vpc" => Some(TextFormat::VpcFlow(None)),
            "elb" | "alb" | "nlb" => Some(TextFormat::LoadBalancer),
            "cloudfront" => Some(TextFormat::CloudFront(cloudfront::default_fields())),
            "s3access" => Some(TextFormat::S3Access),
            "route53" => Some(TextFormat::Route53),
            _ => None,
        }
    }
}

impl TextFormat {
    /// The format a reader of this format is in after reading `buf` (whole lines): the last
    /// header line in `buf` wins, as in [`TextReader::read_line`]. A driver that reads a large
    /// file in chunks in parallel starts each chunk from the format after the chunks before it,
    /// so a header in the middle of a file applies to the lines after it in every chunk.
    ///
    /// ```
    /// use sigil_engine::formats::TextFormat;
    /// let vpc = TextFormat::VpcFlow(None);
    /// let lines = b"2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 1 2 ACCEPT OK\n\
    ///               version srcaddr dstaddr\n10.0.0.1 10.0.0.2\n";
    /// let TextFormat::VpcFlow(Some(header)) = vpc.after(lines) else { panic!() };
    /// assert_eq!(header.len(), 3);
    /// assert_eq!(vpc.after(b"10.0.0.1 10.0.0.2\n"), vpc);
    /// ```
    pub fn after(&self, buf: &[u8]) -> TextFormat {
        let header = |line: &[u8]| match self {
            TextFormat::VpcFlow(_) => {
                vpcflow::parse_header(line).map(|fields| TextFormat::VpcFlow(Some(fields)))
            }
            TextFormat::LoadBalancer | TextFormat::S3Access | TextFormat::Route53 => None,
            TextFormat::CloudFront(_) => {
                cloudfront::parse_fields_line(line).map(TextFormat::CloudFront)
            }
        };
        buf.split(|&b| b == b'\n')
            .rev()
            .map(trim_line_end)
            .find_map(header)
            .unwrap_or_else(|| self.clone())
    }

    /// How many records [`text_records`] numbers in `buf` (whole lines of a file of this
    /// format): its lines but for blank and header lines. A driver that reads a large file in
    /// chunks in parallel numbers each chunk's first record with the counts of the chunks
    /// before it.
    ///
    /// ```
    /// use sigil_engine::formats::TextFormat;
    /// let log = b"#Version: 1.0\n#Fields: date time\n2024-01-01\t00:00:00\n\n2024-01-01\t00:00:01\n";
    /// let format = TextFormat::from_name("cloudfront").unwrap();
    /// assert_eq!(format.count_records(log), 2);
    /// ```
    pub fn count_records(&self, buf: &[u8]) -> u64 {
        let header = |line: &[u8]| match self {
            TextFormat::VpcFlow(_) => vpcflow::is_header(line),
            TextFormat::LoadBalancer | TextFormat::S3Access | TextFormat::Route53 => false,
            TextFormat::CloudFront(_) => line.first() == Some(&b'#'),
        };
        let lines = buf.strip_suffix(b"\n").unwrap_or(buf);
        if lines.is_empty() {
            return 0;
        }
        split_lines(lines)
            .map(trim_line_end)
            .filter(|line| line.len() > MAX_RECORD_BYTES || !(is_blank(line) || header(line)))
            .count() as u64
    }
}

impl fmt::Display for TextFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Detects the text format of content that starts with `head`, and of a file at `path` when
/// the content does not tell; `None` when it is not a text log (JSON, or unknown text).
///
/// The first non-blank line decides, in this order:
///
/// 1. `{` or `[`: JSON, not text.
/// 2. `#Version:` or `#Fields:`: CloudFront, with the fields of the head's `#Fields` line.
/// 3. A VPC flow log header line (known field names): VPC flow logs with that header.
/// 4. A tab-separated line starting with a date and a time: CloudFront, documented fields.
/// 5. A line the load balancer reader reads: [`TextFormat::LoadBalancer`].
/// 6. A line whose third field is a bracketed time (`[06/Feb/2019:00:00:38 +0000]`):
///    [`TextFormat::S3Access`].
/// 7. A line that starts with a version and an ISO 8601 time (`1.0 2017-12-13T08:16:02.130Z`),
///    with every field of a Route 53 query line: [`TextFormat::Route53`].
/// 8. A line that fits a header-less VPC flow log layout: VPC flow logs without header.
/// 9. Otherwise, the path: an S3 key with `vpcflowlogs` or `elasticloadbalancing` in it, or a
///    CloudFront log file name (`E2EXAMPLE.2024-01-01-10.abcd1234.gz`), gives that format,
///    so that its lines are reported with the reason they cannot be read.
///
/// ```
/// use std::path::Path;
/// use sigil_engine::formats::{TextFormat, detect};
///
/// let alb = br#"h2 2018-07-02T22:23:00.186641Z app/my-lb/50dc6c495c0c9188 10.0.1.252:48160 10.0.0.66:9000 0.000 0.002 0.000 200 200 5 257 "GET https://10.0.2.105:773/ HTTP/2.0" "curl/7.46.0" - -"#;
/// assert_eq!(detect(None, alb), Some(TextFormat::LoadBalancer));
/// let v2 = b"2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA\n";
/// assert_eq!(detect(None, v2), Some(TextFormat::VpcFlow(None)));
/// assert_eq!(detect(None, br#"{"eventVersion":"1.08"}"#), None);
/// let key = Path::new("AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/01/x.log.gz");
/// assert_eq!(detect(Some(key), b"garbage\n"), Some(TextFormat::VpcFlow(None)));
/// assert_eq!(detect(None, b"garbage\n"), None);
/// ```
pub fn detect(path: Option<&Path>, head: &[u8]) -> Option<TextFormat> {
    let mut lines = split_lines(head)
        .map(trim_line_end)
        .filter(|line| !is_blank(line));
    let first = lines.next().unwrap_or_default();
    let first_byte = first.iter().find(|b| !b.is_ascii_whitespace());
    if matches!(first_byte, Some(b'{' | b'[')) {
        return None;
    }
    if first.starts_with(b"#Version:") || first.starts_with(b"#Fields:") {
        let fields = std::iter::once(first)
            .chain(lines)
            .take_while(|line| line.starts_with(b"#"))
            .find_map(cloudfront::parse_fields_line);
        return Some(TextFormat::CloudFront(
            fields.unwrap_or_else(cloudfront::default_fields),
        ));
    }
    if let Some(header) = vpcflow::parse_header(first) {
        return Some(TextFormat::VpcFlow(Some(header)));
    }
    if cloudfront::is_data_line(first) {
        return Some(TextFormat::CloudFront(cloudfront::default_fields()));
    }
    let mut scratch = Vec::new();
    if let Ok(LineKind::Record(_)) = LoadBalancerReader::default().read_line(first, &mut scratch) {
        return Some(TextFormat::LoadBalancer);
    }
    if s3access::recognise(first) {
        return Some(TextFormat::S3Access);
    }
    if route53::recognise(first) {
        return Some(TextFormat::Route53);
    }
    if vpcflow::fits_headerless(first) {
        return Some(TextFormat::VpcFlow(None));
    }
    path.and_then(format_of_path)
}

/// The format an AWS delivery path implies (see [`detect`], step 9).
fn format_of_path(path: &Path) -> Option<TextFormat> {
    let text = path.to_string_lossy();
    if text.contains("vpcflowlogs") {
        return Some(TextFormat::VpcFlow(None));
    }
    if text.contains("elasticloadbalancing") {
        return Some(TextFormat::LoadBalancer);
    }
    let name = path.file_name()?.to_str()?;
    let mut parts = name.split('.');
    let (distribution, hour) = (parts.next()?, parts.next()?);
    let hour_shaped = hour.len() == 13
        && hour.bytes().enumerate().all(|(at, b)| {
            matches!(at, 4 | 7 | 10) == (b == b'-') && (b == b'-' || b.is_ascii_digit())
        });
    let id_shaped = distribution.starts_with('E')
        && distribution
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    (hour_shaped && id_shaped).then(|| TextFormat::CloudFront(cloudfront::default_fields()))
}

/// Whether `line` holds only whitespace.
/// The pieces of `buf` between `\n`s, as `buf.split(|&b| b == b'\n')` gives them, found by
/// a vector search: a JSON file's head is one long line.
fn split_lines(buf: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(buf);
    std::iter::from_fn(move || {
        let line = rest?;
        match memchr::memchr(b'\n', line) {
            Some(end) => {
                rest = Some(&line[end + 1..]);
                Some(&line[..end])
            }
            None => {
                rest = None;
                Some(line)
            }
        }
    })
}

fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

/// `line` without a trailing carriage return.
fn trim_line_end(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// What a line was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineKind {
    /// A data line: one record was appended, from this source.
    Record(RecordSource),
    /// A header or comment line (`version srcaddr ...`, `#Fields: ...`, `#Version: 1.0`).
    Header,
    /// An empty or all-whitespace line.
    Blank,
}

/// Why a line could not be read. Reading goes on with the next line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    /// The line does not have as many fields as its header names.
    #[error("{found} fields where the header names {expected}")]
    FieldCount {
        /// Fields on the line.
        found: usize,
        /// Fields the header names.
        expected: usize,
    },
    /// A VPC flow log line, with no header line before it, that fits none of the layouts
    /// AWS documents.
    #[error(
        "VPC flow log line of {found} fields without a header line: it fits none of the \
         documented layouts (14, 17, 29, 36, 39 or 40 fields); put the flow log's header line \
         before it"
    )]
    UnknownVpcLayout {
        /// Fields on the line.
        found: usize,
    },
    /// The line stops before the fields every line of its format has.
    #[error("{format} line of {found} fields, fewer than the {min} every line has")]
    TooFewFields {
        /// The kind of line.
        format: &'static str,
        /// Fields on the line.
        found: usize,
        /// The fewest fields a line has.
        min: usize,
    },
    /// A quoted field never closes.
    #[error("the quoted field at byte {at} of the line never closes")]
    UnterminatedQuote {
        /// Where its opening quote is.
        at: usize,
    },
    /// An S3 server access log line whose third field is not a bracketed time
    /// (`[06/Feb/2019:00:00:38 +0000]`).
    #[error("no bracketed time such as [06/Feb/2019:00:00:38 +0000] as the third field")]
    NoS3AccessTime,
    /// A Route 53 query log line that does not start with a version and an ISO 8601 time
    /// (`1.0 2017-12-13T08:16:02.130Z`).
    #[error("not a Route 53 query log line: it does not start with a version and an ISO 8601 time")]
    NoRoute53Query,
    /// The line is none of the load balancer logs.
    #[error("not an ALB, NLB, Classic ELB or ALB connection log line")]
    UnknownLoadBalancerLine,
    /// The line is longer than [`MAX_RECORD_BYTES`].
    #[error("line of {len} bytes exceeds the limit of {limit} bytes")]
    TooLong {
        /// The line's length.
        len: usize,
        /// The limit.
        limit: usize,
    },
}

/// Reads the lines of one text file, in order (see the [module docs](self)).
pub struct TextReader {
    inner: Inner,
}

enum Inner {
    VpcFlow(VpcFlowReader),
    LoadBalancer(LoadBalancerReader),
    CloudFront(CloudFrontReader),
    S3Access(S3AccessReader),
    Route53(Route53Reader),
}

impl TextReader {
    /// A reader for a file of `format`, starting with the layout the format carries (the
    /// header found at the head of the file). Readers of chunks of one file each start from
    /// the same format.
    pub fn new(format: TextFormat) -> Self {
        let inner = match format {
            TextFormat::VpcFlow(header) => Inner::VpcFlow(VpcFlowReader::new(header)),
            TextFormat::LoadBalancer => Inner::LoadBalancer(LoadBalancerReader::default()),
            TextFormat::CloudFront(fields) => Inner::CloudFront(CloudFrontReader::new(fields)),
            TextFormat::S3Access => Inner::S3Access(S3AccessReader::default()),
            TextFormat::Route53 => Inner::Route53(Route53Reader::default()),
        };
        TextReader { inner }
    }

    /// Reads one line (without its newline; a trailing `\r` is ignored). A header line updates
    /// the reader and gives [`LineKind::Header`]; a data line appends one compact JSON object
    /// to `out` and gives [`LineKind::Record`] with the record's source. On error nothing is
    /// appended. Bytes that are not UTF-8 are replaced by U+FFFD. Never panics.
    pub fn read_line(&mut self, line: &[u8], out: &mut Vec<u8>) -> Result<LineKind, LineError> {
        let line = trim_line_end(line);
        if is_blank(line) {
            return Ok(LineKind::Blank);
        }
        let line = match std::str::from_utf8(line) {
            Ok(_) => Cow::Borrowed(line),
            Err(_) => Cow::Owned(String::from_utf8_lossy(line).into_owned().into_bytes()),
        };
        match &mut self.inner {
            Inner::VpcFlow(reader) => reader.read_line(&line, out),
            Inner::LoadBalancer(reader) => reader.read_line(&line, out),
            Inner::CloudFront(reader) => reader.read_line(&line, out),
            Inner::S3Access(reader) => reader.read_line(&line, out),
            Inner::Route53(reader) => reader.read_line(&line, out),
        }
    }
}

/// A record read from a text line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TextRecord<'a> {
    /// The record: one compact JSON object.
    pub json: &'a [u8],
    /// The line it was read from (without its newline).
    pub line: &'a [u8],
    /// The record's 1-based number in its file. Data lines are numbered, good and bad alike;
    /// header and blank lines are not (as blank NDJSON lines are not).
    pub index: u64,
    /// The offset of the line's first byte in the file's (decompressed) stream.
    pub offset: u64,
    /// Where the record comes from.
    pub source: RecordSource,
}

/// A line that could not be read, and where it is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("record {index} at byte {offset}: {reason}")]
pub struct BadLine {
    /// The line's 1-based record number in its file (see [`TextRecord::index`]).
    pub index: u64,
    /// The offset of the line's first byte in the file's (decompressed) stream.
    pub offset: u64,
    /// Why it could not be read.
    pub reason: LineError,
}

/// The records of a buffer of text lines, from [`text_records`].
pub struct TextRecords<'a> {
    buf: &'a [u8],
    pos: usize,
    origin: Origin,
    reader: &'a mut TextReader,
    out: Vec<u8>,
}

/// Reads the lines of `buf` with `reader`; the first record is numbered `origin.index`, and
/// `buf` starts at stream offset `origin.offset`. For a chunk of a file, give the number of
/// records before it plus one (see [`TextFormat::count_records`]).
pub fn text_records<'a>(
    buf: &'a [u8],
    origin: Origin,
    reader: &'a mut TextReader,
) -> TextRecords<'a> {
    TextRecords {
        buf,
        pos: 0,
        origin,
        reader,
        out: Vec::new(),
    }
}

impl TextRecords<'_> {
    /// The next record or bad line; `None` at the end of the buffer. (A lending iterator: the
    /// record borrows a buffer reused for the next one.)
    pub fn next_record(&mut self) -> Option<Result<TextRecord<'_>, BadLine>> {
        while self.pos < self.buf.len() {
            let start = self.pos;
            let end =
                memchr::memchr(b'\n', &self.buf[start..]).map_or(self.buf.len(), |n| start + n);
            self.pos = end + 1;
            let line = &self.buf[start..end];
            let index = self.origin.index;
            let offset = self.origin.offset + start as u64;
            self.out.clear();
            let read = if line.len() > MAX_RECORD_BYTES {
                Err(LineError::TooLong {
                    len: line.len(),
                    limit: MAX_RECORD_BYTES,
                })
            } else {
                self.reader.read_line(line, &mut self.out)
            };
            if !matches!(read, Ok(LineKind::Header | LineKind::Blank)) {
                self.origin.index += 1;
            }
            match read {
                Ok(LineKind::Record(source)) => {
                    return Some(Ok(TextRecord {
                        json: &self.out,
                        line,
                        index,
                        offset,
                        source,
                    }));
                }
                Ok(LineKind::Header | LineKind::Blank) => {}
                Err(reason) => {
                    return Some(Err(BadLine {
                        index,
                        offset,
                        reason,
                    }));
                }
            }
        }
        None
    }
}
