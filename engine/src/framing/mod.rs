//! Framing: cutting a buffer of log bytes into records, each the raw bytes of one JSON object.
//!
//! AWS delivers JSON events in four layouts, the [`Shape`]s:
//!
//! | shape                      | looks like                              | a record is               |
//! |----------------------------|-----------------------------------------|---------------------------|
//! | [`Shape::Ndjson`]          | `{...}\n{...}\n`                        | a non-blank line          |
//! | [`Shape::Envelope`]        | `{"Records":[{...},{...}]}` (CloudTrail) | an element of `Records`   |
//! | [`Shape::JsonArray`]       | `[{...},{...}]` (pretty or not)         | an element of the array   |
//! | [`Shape::Concatenated`]    | `{...}{...}` or pretty objects in a row | a top-level object        |
//!
//! [`detect_shape`] picks one from the first bytes of the content; an `--input-format` override can
//! force one instead.
//!
//! # The algorithm
//!
//! No framer parses JSON. They run a string-aware structural walk (see the `scan` module):
//! skip strings by searching for `"` and `\`, count and match brackets, and stop where the
//! value's outermost bracket closes. An envelope is walked member by member: values of keys
//! other than `Records` are skipped whole, and the `Records` array is cut element by element.
//! NDJSON is cut at newlines first, and each line must then hold exactly one object.
//!
//! Each record is then checked: it must be an object, balance and match its brackets, nest no
//! deeper than [`MAX_DEPTH`], be valid UTF-8 and be at most [`MAX_RECORD_BYTES`] long. A record
//! that fails is a [`BadRecord`] carrying its number, offset and [`BadReason`]; framing goes on
//! with the next one. Whether the bytes inside a good record are valid JSON is for the parser
//! that reads it later: framing guarantees boundaries, not grammar. A reader that parses most
//! NDJSON lines anyway may take them unchecked from [`records_unchecked`] and [`check_line`]
//! only those it does not parse, or fails to (the hunt does: simd-json checks all of it).
//!
//! # Numbering
//!
//! Records are numbered from 1 within their file, good and bad alike, and carry the byte
//! offset where they start in the (decompressed) stream. An [`Origin`] says which number and
//! offset a buffer starts at, so a file read in blocks, or split into chunks for threads (see
//! [`split_ndjson`] and [`count_records`]), numbers its records as if framed in one piece.
//! Blank NDJSON lines are not records and take no number.
//!
//! # Example
//!
//! ```
//! use sigil_engine::framing::{Origin, Shape, detect_shape, records};
//!
//! let log = b"{\"Records\": [\n  {\"eventName\": \"A\"},\n  {\"eventName\": \"B\"}\n]}\n";
//! assert_eq!(detect_shape(log), Shape::Envelope);
//!
//! let found: Vec<_> = records(log, Shape::Envelope, Origin::START)
//!     .collect::<Result<_, _>>()
//!     .unwrap();
//! assert_eq!(found.len(), 2);
//! assert_eq!(found[1].bytes, br#"{"eventName": "B"}"#);
//! assert_eq!((found[1].index, found[1].offset), (2, 38));
//! ```

#![deny(missing_docs)]

mod detect;
mod document;
mod ndjson;
mod scan;
mod split;

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

pub use detect::{detect_shape, is_cloudtrail_digest};
pub use ndjson::check_line;
pub use split::{count_records, split_ndjson};

pub(crate) use detect::top_level_members;
pub(crate) use document::{Cut, Resume, Walk, last_cut};
pub(crate) use scan::{find_byte, is_ws, rfind_byte, skip_ws, string_end, value_end};

/// The largest record framing accepts, in bytes (16 MiB). A longer NDJSON line, or a longer
/// element of a document, is a [`BadReason::TooLarge`] record. CloudTrail caps its events at
/// 256 KiB, so real records stay far below this.
pub const MAX_RECORD_BYTES: usize = 16 << 20;

/// The deepest nesting of objects and arrays a record may have, the record itself being level
/// 1. Deeper records are [`BadReason::TooDeep`]; real CloudTrail records nest about 11 deep.
pub const MAX_DEPTH: usize = 512;

/// How the records of a file are laid out (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shape {
    /// One JSON object per line.
    Ndjson,
    /// One or more `{"Records": [...]}` objects; every element of `Records` is a record.
    Envelope,
    /// One or more JSON arrays; every element is a record.
    JsonArray,
    /// JSON objects back to back, glued (`}{`) or separated by whitespace, each possibly
    /// spanning many lines. A single pretty-printed object is this shape too.
    Concatenated,
}

impl Shape {
    /// The shape's name as `--input-format` spells it: `ndjson`, `envelope`, `array`, `concatenated`.
    pub fn name(self) -> &'static str {
        match self {
            Shape::Ndjson => "ndjson",
            Shape::Envelope => "envelope",
            Shape::JsonArray => "array",
            Shape::Concatenated => "concatenated",
        }
    }

    /// Whether framing needs the whole document in memory; only NDJSON can be framed in
    /// independent blocks.
    pub fn needs_whole_document(self) -> bool {
        self != Shape::Ndjson
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A shape name that [`Shape::from_str`] does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown record format `{0}` (expected ndjson, envelope, array or concatenated)")]
pub struct UnknownShape(pub String);

impl FromStr for Shape {
    type Err = UnknownShape;

    /// Parses a shape name, ASCII case-insensitively: [`Shape::name`], or one of the aliases
    /// `jsonl` (NDJSON), `cloudtrail` (envelope) and `concat` (concatenated).
    ///
    /// ```
    /// use sigil_engine::framing::Shape;
    /// assert_eq!("JSONL".parse(), Ok(Shape::Ndjson));
    /// assert!("yaml".parse::<Shape>().is_err());
    /// ```
    fn from_str(name: &str) -> Result<Shape, UnknownShape> {
        match name.to_ascii_lowercase().as_str() {
            "ndjson" | "jsonl" => Ok(Shape::Ndjson),
            "envelope" | "cloudtrail" => Ok(Shape::Envelope),
            "array" => Ok(Shape::JsonArray),
            "concatenated" | "concat" => Ok(Shape::Concatenated),
            _ => Err(UnknownShape(name.to_owned())),
        }
    }
}

/// Where a buffer starts: the number its first record gets, and the buffer's byte offset in
/// the file's (decompressed) stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Origin {
    /// The 1-based number of the buffer's first record.
    pub index: u64,
    /// The stream offset of the buffer's first byte.
    pub offset: u64,
}

impl Origin {
    /// The start of a file: record 1 at offset 0.
    pub const START: Origin = Origin {
        index: 1,
        offset: 0,
    };
}

/// One framed record: the raw bytes of a JSON object, and where it was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawRecord<'a> {
    /// The object's bytes, from its `{` to its `}`, exactly as in the input.
    pub bytes: &'a [u8],
    /// The record's 1-based number within its file.
    pub index: u64,
    /// The offset of the record's `{` in the file's (decompressed) stream.
    pub offset: u64,
    /// Whether framing checked the record. Only [`records_unchecked`] leaves records
    /// unchecked: NDJSON lines that start with `{`, which [`check_line`] checks.
    pub checked: bool,
}

/// A record that could not be framed, and why. Framing continues after it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("record {index} at byte {offset}: {reason}")]
pub struct BadRecord {
    /// The record's 1-based number within its file.
    pub index: u64,
    /// The offset where the record starts in the file's (decompressed) stream.
    pub offset: u64,
    /// What is wrong with it.
    pub reason: BadReason,
}

/// Why a record is bad. Positions (`at`) count bytes from the record's start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadReason {
    /// The record is not a JSON object: it does not start with `{`.
    #[error("not a JSON object")]
    NotAnObject,
    /// The input ends inside the record, in a string or before a closing bracket (a document
    /// cut short).
    #[error("the input ends inside the record (a string or a bracket is not closed)")]
    Truncated,
    /// An NDJSON line ends inside its record: a string or a bracket is not closed.
    #[error("{}", if *in_string {
        "the line ends inside a string (a closing quote is missing)"
    } else {
        "the line ends before the record closes (a closing bracket is missing)"
    })]
    LineEndsInside {
        /// Whether the line ends inside a string.
        in_string: bool,
    },
    /// A closing bracket does not match the bracket it closes.
    #[error("mismatched closing bracket at byte {at} of the record")]
    Mismatched {
        /// Where the bracket is.
        at: u64,
    },
    /// Something other than whitespace follows the object on its line.
    #[error("unexpected data after the object, at byte {at} (concatenated JSON?)")]
    TrailingData {
        /// Where the extra data starts.
        at: u64,
    },
    /// A line that is not an object holds a NUL byte: binary data, which JSON text never holds.
    #[error("binary data (a NUL byte at byte {at} of the line), not JSON")]
    Binary {
        /// Where the first NUL byte is.
        at: u64,
    },
    /// The record is not valid UTF-8.
    #[error("invalid UTF-8 at byte {at} of the record")]
    InvalidUtf8 {
        /// Where the first invalid sequence starts.
        at: u64,
    },
    /// The record is longer than [`MAX_RECORD_BYTES`].
    #[error("record of {len} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The record's length in bytes.
        len: u64,
        /// The limit it exceeds.
        limit: u64,
    },
    /// The record nests objects and arrays deeper than [`MAX_DEPTH`].
    #[error("nesting deeper than {limit} levels")]
    TooDeep {
        /// The limit it exceeds.
        limit: u64,
    },
    /// The document around the records is broken: framing of the document stops here, and
    /// the bytes after it are not read.
    #[error(
        "malformed document: expected {expected}; the {unread} bytes from here on were not read"
    )]
    Malformed {
        /// What the framer expected to find.
        expected: &'static str,
        /// How many bytes of the document (from the start of this record) are left unread.
        unread: u64,
    },
    /// An envelope's `Records` member is not an array: what it holds was not read.
    #[error("`Records` holds {found}, not an array of records: it was not read")]
    RecordsNotAnArray {
        /// What it holds (`an object`, `a string`...).
        found: &'static str,
    },
    /// An object in a file read as CloudTrail envelopes has no `Records` array.
    #[error(
        "not a CloudTrail envelope: the object has no `Records` array, so no record of it was read"
    )]
    NoRecords,
}

/// Frames `buf`, which holds records laid out as `shape`, numbering them from `origin`.
///
/// The iterator yields every record in order, good or bad; it never panics, whatever the
/// bytes. See the [module docs](self) for an example.
pub fn records(buf: &[u8], shape: Shape, origin: Origin) -> Records<'_> {
    framer(buf, shape, origin, true)
}

/// Frames `buf` as [`records`] does, except that NDJSON lines are not walked: a line that
/// starts with `{` (after whitespace) comes out unchecked ([`RawRecord::checked`] is
/// `false`), numbered as [`records`] numbers it. It is for a reader that parses most records
/// with a parser at least as strict as the walk (simd-json with a depth limit of
/// [`MAX_DEPTH`]), and calls [`check_line`] on those it does not parse, or fails to: the
/// records and the reasons it reports are then those of [`records`].
///
/// ```
/// use sigil_engine::framing::{BadReason, Origin, Shape, check_line, records_unchecked};
///
/// let log = b"{\"a\":1}\n{\"b\":[}\n";
/// let found: Vec<_> = records_unchecked(log, Shape::Ndjson, Origin::START).flatten().collect();
/// assert_eq!(found.len(), 2);
/// assert!(!found[1].checked);
/// assert_eq!(check_line(found[0].bytes), Ok(()));
/// assert_eq!(check_line(found[1].bytes), Err(BadReason::Mismatched { at: 6 }));
/// ```
pub fn records_unchecked(buf: &[u8], shape: Shape, origin: Origin) -> Records<'_> {
    framer(buf, shape, origin, false)
}

/// The framer of `buf`; `check_lines` tells whether NDJSON lines are walked.
fn framer(buf: &[u8], shape: Shape, origin: Origin, check_lines: bool) -> Records<'_> {
    let counter = Counter {
        next: origin.index,
        base: origin.offset,
    };
    Records(match shape {
        Shape::Ndjson => Framer::Lines(ndjson::Lines::new(buf, counter, check_lines)),
        shape => Framer::Document(document::Document::new(buf, shape, counter)),
    })
}

/// The records of a buffer, from [`records`].
pub struct Records<'a>(Framer<'a>);

enum Framer<'a> {
    Lines(ndjson::Lines<'a>),
    Document(document::Document<'a>),
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<RawRecord<'a>, BadRecord>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            Framer::Lines(lines) => lines.next(),
            Framer::Document(document) => document.next(),
        }
    }
}

/// Numbers records as the framers find them.
struct Counter {
    next: u64,
    base: u64,
}

impl Counter {
    /// Numbers the record at `buf[range]` once its structure is known to be sound, after
    /// checking its size and encoding.
    fn finish<'a>(
        &mut self,
        buf: &'a [u8],
        range: Range<usize>,
    ) -> Result<RawRecord<'a>, BadRecord> {
        let bytes = &buf[range.start..range.end];
        if let Err(reason) = check_contents(bytes) {
            return Err(self.bad(range.start, reason));
        }
        Ok(self.number(buf, range, true))
    }

    /// Numbers the record at `buf[range]`, `checked` or not.
    fn number<'a>(&mut self, buf: &'a [u8], range: Range<usize>, checked: bool) -> RawRecord<'a> {
        let record = RawRecord {
            bytes: &buf[range.start..range.end],
            index: self.next,
            offset: self.base + range.start as u64,
            checked,
        };
        self.next += 1;
        record
    }

    /// Numbers a bad record that starts at `buf[at]`.
    fn bad(&mut self, at: usize, reason: BadReason) -> BadRecord {
        let bad = BadRecord {
            index: self.next,
            offset: self.base + at as u64,
            reason,
        };
        self.next += 1;
        bad
    }
}

/// The checks on a record's bytes that do not depend on its shape: size and UTF-8.
fn check_contents(bytes: &[u8]) -> Result<(), BadReason> {
    if bytes.len() > MAX_RECORD_BYTES {
        return Err(BadReason::TooLarge {
            len: bytes.len() as u64,
            limit: MAX_RECORD_BYTES as u64,
        });
    }
    std::str::from_utf8(bytes)
        .map(drop)
        .map_err(|error| BadReason::InvalidUtf8 {
            at: error.valid_up_to() as u64,
        })
}

/// The reason for a record starting at `buf[start]` whose structural walk failed; `line` when
/// the record is an NDJSON line (which ends at its newline, not at the end of the input).
fn scan_failure(error: scan::ScanError, start: usize, line: bool) -> BadReason {
    match error {
        scan::ScanError::Truncated { in_string } if line => BadReason::LineEndsInside { in_string },
        scan::ScanError::Truncated { .. } => BadReason::Truncated,
        scan::ScanError::Mismatched(at) => BadReason::Mismatched {
            at: (at - start) as u64,
        },
        scan::ScanError::TooDeep(_) => BadReason::TooDeep {
            limit: MAX_DEPTH as u64,
        },
    }
}
