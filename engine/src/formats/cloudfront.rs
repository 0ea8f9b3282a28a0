//! CloudFront standard logs (`product: aws, service: cloudfront`): W3C extended format.
//!
//! A file starts with `#Version: 1.0` and `#Fields: date time x-edge-location ...`, then one
//! request per line, fields separated by tabs, in the order `#Fields` names them. Fields are
//! written under those names (`c-ip`, `cs-uri-stem`, `cs(User-Agent)`...). A file without
//! `#Fields` (lines copied out of a log) is read with the 33 fields AWS documents, in their
//! documented order; a line with fewer fields than named keeps the ones it has (older logs
//! have 24), a line with more is a bad line.
//!
//! CloudFront URL-encodes values when it writes them (`%20` for a space in a user agent, `%25`
//! for a `%`); every text value is percent-decoded once, which gives it as the client sent it
//! (a client's own `%2C` is logged `%252C` and read back as `%2C`). A value that would not be
//! UTF-8 once decoded is kept as written. `-` is an absent field. `sc-bytes`, `sc-status`,
//! `cs-bytes`, `time-taken`, `c-port`, `time-to-first-byte`, `sc-content-len`,
//! `sc-range-start` and `sc-range-end` are numbers (status `000`, CloudFront's "no response",
//! is `0`). A derived `timestamp` joins `date` and `time` (UTC) into RFC 3339, so the engine
//! finds the event's time.
//!
//! ```
//! use sigil_engine::formats::{LineKind, TextReader, detect};
//!
//! let log = "#Version: 1.0\n\
//!            #Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent)\n\
//!            2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100\tGET\td111111abcdef8.cloudfront.net\t/index.html\t200\t-\tMozilla/5.0%20(Windows%20NT%2010.0)\n";
//! let mut reader = TextReader::new(detect(None, log.as_bytes()).unwrap());
//! let mut out = Vec::new();
//! for line in log.lines() {
//!     reader.read_line(line.as_bytes(), &mut out).unwrap();
//! }
//! let record: serde_json::Value = serde_json::from_slice(&out).unwrap();
//! assert_eq!(record["cs(User-Agent)"], "Mozilla/5.0 (Windows NT 10.0)");
//! assert_eq!(record["sc-status"], 200);
//! assert_eq!(record["timestamp"], "2019-12-04T21:02:31Z");
//! assert!(record.get("cs(Referer)").is_none());
//! ```

use std::sync::LazyLock;

use super::fields::{Fields, Kind, Scratch, Token, split_tabs, write_field};
use super::json::Object;
use super::{LineError, LineKind};
use crate::logsource::RecordSource;

/// The fields AWS documents, in order: the layout of lines without `#Fields`.
const DEFAULT_FIELDS: &[&str] = &[
    "date",
    "time",
    "x-edge-location",
    "sc-bytes",
    "c-ip",
    "cs-method",
    "cs(Host)",
    "cs-uri-stem",
    "sc-status",
    "cs(Referer)",
    "cs(User-Agent)",
    "cs-uri-query",
    "cs(Cookie)",
    "x-edge-result-type",
    "x-edge-request-id",
    "x-host-header",
    "cs-protocol",
    "cs-bytes",
    "time-taken",
    "x-forwarded-for",
    "ssl-protocol",
    "ssl-cipher",
    "x-edge-response-result-type",
    "cs-protocol-version",
    "fle-status",
    "fle-encrypted-fields",
    "c-port",
    "time-to-first-byte",
    "x-edge-detailed-result-type",
    "sc-content-type",
    "sc-content-len",
    "sc-range-start",
    "sc-range-end",
];

/// The fields whose values are numbers.
const NUMERIC: &[&str] = &[
    "sc-bytes",
    "sc-status",
    "cs-bytes",
    "time-taken",
    "c-port",
    "time-to-first-byte",
    "sc-content-len",
    "sc-range-start",
    "sc-range-end",
];

/// Lines with fewer fields than this (or than `#Fields` names, if fewer) are bad lines: they
/// do not reach `sc-status`.
const MIN_FIELDS: usize = 9;

/// The documented layout.
static DEFAULT: LazyLock<Fields> = LazyLock::new(|| fields(DEFAULT_FIELDS.iter().copied()));

/// Typed fields named `names`.
fn fields<'n>(names: impl IntoIterator<Item = &'n str>) -> Fields {
    Fields::new(names, |name| {
        if NUMERIC.contains(&name) {
            Kind::Number
        } else {
            Kind::Encoded
        }
    })
}

/// The documented fields, for files without `#Fields`.
pub(crate) fn default_fields() -> Fields {
    DEFAULT.clone()
}

/// The fields of a `#Fields:` line, if `line` is one.
pub(crate) fn parse_fields_line(line: &[u8]) -> Option<Fields> {
    let names = line.strip_prefix(b"#Fields:")?;
    let names = std::str::from_utf8(names).ok()?;
    Some(fields(names.split_ascii_whitespace()))
}

/// Whether `line` looks like a CloudFront log line without a header: tab-separated, starting
/// with a date and a time.
pub(crate) fn is_data_line(line: &[u8]) -> bool {
    let mut tokens = Vec::new();
    split_tabs(line, &mut tokens);
    let shaped = |token: Option<&Token>, pattern: &[u8]| {
        token.is_some_and(|t| {
            let text = t.text(line);
            text.len() == pattern.len()
                && text.iter().zip(pattern).all(|(&b, &p)| {
                    if p == b'0' {
                        b.is_ascii_digit()
                    } else {
                        b == p
                    }
                })
        })
    };
    tokens.len() >= MIN_FIELDS
        && shaped(tokens.first(), b"0000-00-00")
        && shaped(tokens.get(1), b"00:00:00")
}

/// Reads CloudFront log lines, following the `#Fields` lines it meets.
pub(crate) struct CloudFrontReader {
    fields: Fields,
    /// Where `date` and `time` are in `fields`.
    date_time: Option<(usize, usize)>,
    tokens: Vec<Token>,
    scratch: Scratch,
}

impl CloudFrontReader {
    /// A reader that starts with `fields` (the file's `#Fields`, or the documented ones).
    pub(crate) fn new(fields: Fields) -> Self {
        let mut reader = CloudFrontReader {
            date_time: None,
            fields: fields.clone(),
            tokens: Vec::new(),
            scratch: Scratch::default(),
        };
        reader.set_fields(fields);
        reader
    }

    fn set_fields(&mut self, fields: Fields) {
        self.date_time = fields.position("date").zip(fields.position("time"));
        self.fields = fields;
    }

    /// Reads one line (see [`super::TextReader::read_line`]).
    pub(crate) fn read_line(
        &mut self,
        line: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<LineKind, LineError> {
        if line.first() == Some(&b'#') {
            if let Some(fields) = parse_fields_line(line) {
                self.set_fields(fields);
            }
            return Ok(LineKind::Header);
        }
        split_tabs(line, &mut self.tokens);
        let (found, expected) = (self.tokens.len(), self.fields.len());
        if found > expected {
            return Err(LineError::FieldCount { found, expected });
        }
        let min = MIN_FIELDS.min(expected);
        if found < min {
            return Err(LineError::TooFewFields {
                format: "CloudFront log",
                found,
                min,
            });
        }
        let mut object = Object::open(out);
        for (column, &token) in self.fields.columns().zip(&self.tokens) {
            write_field(&mut object, column, line, token, &mut self.scratch);
        }
        if let Some((date, time)) = self.date_time {
            let text = |at: usize| self.tokens.get(at).map(|t| t.text(line));
            if let (Some(date), Some(time)) = (text(date), text(time)) {
                write_timestamp(&mut object, date, time);
            }
        }
        object.close();
        Ok(LineKind::Record(RecordSource::CloudFront))
    }
}

/// Writes `timestamp` as `<date>T<time>Z` when `date` is `YYYY-MM-DD` and `time` `HH:MM:SS`.
fn write_timestamp(object: &mut Object<'_>, date: &[u8], time: &[u8]) {
    if date.len() == 10 && time.len() == 8 {
        let mut text = [0u8; 20];
        text[..10].copy_from_slice(date);
        text[10] = b'T';
        text[11..19].copy_from_slice(time);
        text[19] = b'Z';
        if super::fields::is_iso_time(&text) {
            object.string("timestamp", &text);
        }
    }
}
