//! Framing of whole documents: CloudTrail envelopes, JSON arrays and concatenated objects.
//!
//! The framer walks the document's outer structure one token at a time, and hands each record
//! (an envelope's `Records` element, an array element, a top-level object) to the structural
//! walk of the `scan` module to find where it ends:
//!
//! ```text
//! {"Version": "1", "Records": [ {...}, {...} ], "Other": {...}}
//!  `Members`: skip the value   `Elements`: each one is a record
//!                                                `Members` again: skip the value
//! ```
//!
//! Commas are taken as separators wherever they appear, and after a document closes another
//! may follow (`{"Records":[...]}\n{"Records":[...]}`, as when envelopes are shipped one per
//! line). An element that is not an object is a bad record and is skipped. When the outer
//! structure itself is broken, or a record in an envelope or array never closes, nothing
//! after it can be trusted: one bad record reports it and framing of the document stops.
//! Concatenated objects recover instead: after a broken object, framing resumes at the next
//! line that starts with `{`.

use super::scan::{ScanError, find_byte, member, skip_ws, value_end};
use super::{BadReason, BadRecord, Counter, RawRecord, Shape, scan_failure};

/// Where the walk is in the document's outer structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Between documents (or between concatenated objects).
    Top,
    /// Inside an envelope object, before a key or its closing `}`.
    Members,
    /// Inside an array (or an envelope's `Records`), before an element or the closing `]`.
    Elements,
    /// Finished, or stopped at a broken structure.
    Done,
}

/// The framer for every shape but NDJSON: the state of [`records`](super::records).
pub(super) struct Document<'a> {
    buf: &'a [u8],
    pos: usize,
    shape: Shape,
    stage: Stage,
    counter: Counter,
    /// Where the envelope object being walked starts, and whether a `Records` member was met
    /// in it.
    envelope: (usize, bool),
}

impl<'a> Document<'a> {
    pub(super) fn new(buf: &'a [u8], shape: Shape, counter: Counter) -> Document<'a> {
        Document {
            buf,
            pos: 0,
            shape,
            stage: Stage::Top,
            counter,
            envelope: (0, false),
        }
    }

    /// The next record, walking the outer structure up to it.
    pub(super) fn next(&mut self) -> Option<Result<RawRecord<'a>, BadRecord>> {
        loop {
            if self.stage == Stage::Done {
                return None;
            }
            self.pos = skip_ws(self.buf, self.pos);
            let Some(&byte) = self.buf.get(self.pos) else {
                let inside = self.stage != Stage::Top;
                self.stage = Stage::Done;
                return inside.then(|| Err(self.counter.bad(self.pos, BadReason::Truncated)));
            };
            match (self.stage, byte) {
                (Stage::Top, _) if self.shape == Shape::Concatenated => {
                    return Some(self.top_level_object());
                }
                (Stage::Top, b'{') if self.shape == Shape::Envelope => {
                    self.envelope = (self.pos, false);
                    self.enter(Stage::Members);
                }
                (Stage::Top, b'[') if self.shape == Shape::JsonArray => self.enter(Stage::Elements),
                (Stage::Top, _) if self.shape == Shape::Envelope => {
                    return Some(Err(
                        self.malformed("`{` opening a {\"Records\": [...]} envelope")
                    ));
                }
                (Stage::Top, _) => return Some(Err(self.malformed("`[` opening an array"))),
                (Stage::Members | Stage::Elements, b',') => self.pos += 1,
                (Stage::Members, b'}') => {
                    self.enter(Stage::Top);
                    if !self.envelope.1 {
                        return Some(Err(self.counter.bad(self.envelope.0, BadReason::NoRecords)));
                    }
                }
                (Stage::Members, b'"') => {
                    if let Err(bad) = self.member() {
                        return Some(Err(bad));
                    }
                }
                (Stage::Members, _) => return Some(Err(self.malformed("a key or `}`"))),
                (Stage::Elements, b']') if self.shape == Shape::Envelope => {
                    self.enter(Stage::Members);
                }
                (Stage::Elements, b']') => self.enter(Stage::Top),
                (Stage::Elements, _) => return Some(self.element()),
                (Stage::Done, _) => return None,
            }
        }
    }

    /// Steps over the current byte into `stage`.
    fn enter(&mut self, stage: Stage) {
        self.pos += 1;
        self.stage = stage;
    }

    /// Stops framing at a broken outer structure.
    fn malformed(&mut self, expected: &'static str) -> BadRecord {
        self.stage = Stage::Done;
        let unread = (self.buf.len() - self.pos) as u64;
        self.counter
            .bad(self.pos, BadReason::Malformed { expected, unread })
    }

    /// An envelope member: enters `Records` if it is an array, or skips the value.
    fn member(&mut self) -> Result<(), BadRecord> {
        let Some((key, value)) = member(self.buf, self.pos) else {
            return Err(self.malformed("a `\"key\": value` member"));
        };
        let records = key == b"Records";
        if records && self.buf.get(value) == Some(&b'[') {
            self.envelope.1 = true;
            self.pos = value;
            self.enter(Stage::Elements);
            return Ok(());
        }
        if value == self.buf.len() {
            self.pos = value; // the next step reports the truncation
            return Ok(());
        }
        match value_end(self.buf, value) {
            Ok(end) | Err(ScanError::TooDeep(end)) => {
                self.pos = end;
                if !records {
                    return Ok(());
                }
                self.envelope.1 = true;
                let found = match self.buf[value] {
                    b'{' => "an object",
                    b'"' => "a string",
                    b'n' => "null",
                    b't' | b'f' => "a boolean",
                    _ => "a number",
                };
                Err(self
                    .counter
                    .bad(value, BadReason::RecordsNotAnArray { found }))
            }
            Err(error) => {
                self.stage = Stage::Done;
                Err(self.counter.bad(value, scan_failure(error, value, false)))
            }
        }
    }

    /// An array element, which must be an object.
    fn element(&mut self) -> Result<RawRecord<'a>, BadRecord> {
        let start = self.pos;
        match value_end(self.buf, start) {
            Ok(end) => {
                self.pos = end;
                if self.buf[start] == b'{' {
                    self.counter.finish(self.buf, start..end)
                } else {
                    Err(self.counter.bad(start, BadReason::NotAnObject))
                }
            }
            Err(error) => {
                match error {
                    ScanError::TooDeep(end) => self.pos = end,
                    _ => self.stage = Stage::Done,
                }
                Err(self.counter.bad(start, scan_failure(error, start, false)))
            }
        }
    }

    /// A top-level object of a concatenated file; after a broken one, resumes at the next line
    /// that starts with `{`.
    fn top_level_object(&mut self) -> Result<RawRecord<'a>, BadRecord> {
        let start = self.pos;
        if self.buf[start] != b'{' {
            self.pos = self.next_line_object(start);
            return Err(self.counter.bad(start, BadReason::NotAnObject));
        }
        match value_end(self.buf, start) {
            Ok(end) => {
                self.pos = end;
                self.counter.finish(self.buf, start..end)
            }
            Err(error) => {
                self.pos = match error {
                    ScanError::TooDeep(end) => end,
                    _ => self.next_line_object(start),
                };
                Err(self.counter.bad(start, scan_failure(error, start, false)))
            }
        }
    }

    /// The start of the first line after `from` that begins with `{`, or the end of the buffer.
    fn next_line_object(&self, from: usize) -> usize {
        let mut pos = from;
        while let Some(newline) = find_byte(b'\n', &self.buf[pos..]) {
            pos += newline + 1;
            if self.buf.get(pos) == Some(&b'{') {
                return pos;
            }
        }
        self.buf.len()
    }
}

/// Where a piece of a streamed document starts: between documents (or concatenated objects),
/// or inside the array of records of an envelope (or of an array document), at an element or
/// the comma before one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Resume {
    /// Between documents.
    #[default]
    Top,
    /// Inside the array of records.
    Elements,
}

/// A point where a streamed document can be cut: after `records` records (good and bad) of
/// the buffer, at byte `end`, the rest starting as `resume` says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cut {
    pub(crate) end: usize,
    pub(crate) resume: Resume,
    pub(crate) records: u64,
}

/// What [`last_cut`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Walk {
    /// The last point to cut at before the buffer's end.
    Cut(Cut),
    /// No record ends in the buffer: more bytes are needed.
    NeedMore,
    /// The document's outer structure is broken: framing stops there, cutting is pointless.
    Broken,
}

/// The last point of `buf` (a piece of a document of `shape` that starts as `resume` says)
/// after a complete record where a streamed document can be cut: inside the array of records,
/// or between documents. The records before it are framed exactly as they would be in one
/// piece, and so are those after it when framed from the cut with the same `Resume`.
pub(crate) fn last_cut(buf: &[u8], shape: Shape, resume: Resume) -> Walk {
    let counter = Counter { next: 0, base: 0 };
    let mut document = Document::new(buf, shape, counter);
    if resume == Resume::Elements {
        document.stage = Stage::Elements;
        document.envelope = (0, true);
    }
    let mut records = 0;
    let mut last = None;
    while let Some(item) = document.next() {
        match item {
            Err(bad) if bad.reason == BadReason::Truncated => break,
            Err(bad) if matches!(bad.reason, BadReason::Malformed { .. }) => return Walk::Broken,
            _ if document.stage == Stage::Done => return Walk::Broken,
            _ => {}
        }
        records += 1;
        let resume = match document.stage {
            Stage::Top => Resume::Top,
            Stage::Elements => Resume::Elements,
            Stage::Members | Stage::Done => continue,
        };
        last = Some(Cut {
            end: document.pos,
            resume,
            records,
        });
    }
    last.map_or(Walk::NeedMore, Walk::Cut)
}
