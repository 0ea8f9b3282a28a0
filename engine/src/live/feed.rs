//! A [`Feed`]: one input whose bytes arrive in pieces, cut into whole lines.

use crate::framing::{self, BadReason, BadRecord, MAX_RECORD_BYTES, Origin, Shape};
use crate::hunt::{Forced, Reading};
use crate::input::MAX_DOCUMENT_BYTES;
use crate::input::{Codec, InputSource};
use std::borrow::Cow;
use std::sync::Arc;

/// An input whose bytes arrive over time (a followed file, stdin, a socket), as the
/// [`LiveScanner`](super::LiveScanner) frames it: bytes are taken as they come
/// ([`LiveScanner::push`](super::LiveScanner::push)), and each whole line is scanned at once;
/// the bytes after the last newline wait for the rest of their line.
///
/// How the lines are read is decided from the first whole lines, as a hunt decides it from a
/// file's head: NDJSON, a text log (its header lines carried from piece to piece), an
/// envelope per line (CloudWatch Logs, or a CloudTrail `{"Records":[...]}` on one line).
/// Content that is not line by line (gzip or zstd, a pretty-printed document, an array over
/// many lines) is held, up to [`MAX_DOCUMENT_BYTES`], and read whole when the input ends
/// ([`LiveScanner::end`](super::LiveScanner::end)).
///
/// Records are numbered from 1 across pieces, as if the input were read in one go. A line
/// longer than [`MAX_RECORD_BYTES`] is never held whole: it is reported as a bad record and its
/// bytes are dropped up to its newline. [`Feed::position`] is where the next unscanned line
/// starts: what a follower saves, and [`Feed::resume`] starts from.
#[derive(Debug)]
pub struct Feed {
    pub(super) source: InputSource,
    /// Bytes after the last newline, waiting for the rest of their line.
    partial: Vec<u8>,
    /// The number and offset of the next line to scan.
    pub(super) next: Origin,
    pub(super) mode: Mode,
    /// Dropping the rest of an overlong line, up to its newline.
    discarding: bool,
}

/// How a feed's bytes are read.
#[derive(Debug)]
pub(super) enum Mode {
    /// No whole line seen yet.
    Undecided,
    /// Line by line: each line framed as `shape`, read as `reading`.
    Lines { reading: Arc<Reading>, shape: Shape },
    /// Held whole until the input ends.
    Document(Vec<u8>),
}

impl Feed {
    /// A feed of `source`, from its start.
    pub fn new(source: InputSource) -> Feed {
        Feed {
            source,
            partial: Vec::new(),
            next: Origin::START,
            mode: Mode::Undecided,
            discarding: false,
        }
    }

    /// A feed of `source` resumed at `at` (a [`Feed::position`] saved earlier); `head` is the
    /// input's first bytes (up to [`HEAD_BYTES`](crate::input::HEAD_BYTES)), from which the
    /// reading is decided again, with the text log headers among them that come before `at`.
    /// Content that is not read line by line cannot resume: the feed then starts over, at
    /// [`Origin::START`] (check [`Feed::position`]).
    pub fn resume(source: InputSource, at: Origin, head: &[u8]) -> Feed {
        let mut feed = Feed::new(source);
        let whole = head
            .len()
            .min(usize::try_from(at.offset).unwrap_or(usize::MAX));
        let lines = match memchr::memrchr(b'\n', &head[..whole]) {
            Some(last) => &head[..=last],
            None => &head[..0],
        };
        if at.offset > 0 && !lines.is_empty() {
            feed.decide(head);
            feed.partial.clear();
            if let Mode::Lines { reading, .. } = &mut feed.mode {
                *reading = Reading::after(reading, lines);
                feed.next = at;
            } else {
                feed.mode = Mode::Undecided;
            }
        }
        feed
    }

    /// The input.
    pub fn source(&self) -> &InputSource {
        &self.source
    }

    /// Where the next unscanned line starts: its record number and byte offset.
    pub fn position(&self) -> Origin {
        self.next
    }

    /// Bytes received and not scanned yet (a partial line, or a document held whole).
    pub fn held(&self) -> usize {
        match &self.mode {
            Mode::Document(bytes) => bytes.len() + self.partial.len(),
            _ => self.partial.len(),
        }
    }

    /// Decides how the lines are read from the input's first whole lines.
    pub(super) fn decide(&mut self, head: &[u8]) {
        if !matches!(self.mode, Mode::Undecided) {
            return;
        }
        let head = &head[..head.len().min(crate::input::HEAD_BYTES)];
        if Codec::sniff(head) != Codec::Plain {
            self.mode = Mode::Document(Vec::new());
            return;
        }
        let shape = framing::detect_shape(head);
        let reading = Reading::of(&self.source, head, shape, &Forced::default());
        let shape = if matches!(reading, Reading::Text(_)) {
            Shape::Ndjson
        } else {
            shape
        };
        let first_line = head.split(|&b| b == b'\n').next().unwrap_or_default();
        let line_by_line = shape == Shape::Ndjson
            || framing::records(first_line, shape, Origin::START).all(|r| r.is_ok());
        self.mode = if line_by_line {
            Mode::Lines {
                reading: Arc::new(reading),
                shape,
            }
        } else {
            Mode::Document(Vec::new())
        };
    }

    /// Whether enough has arrived to decide how the input is read: a whole line, a
    /// compressed stream's magic bytes, or a head's worth of bytes.
    pub(super) fn ready_to_decide(&self) -> bool {
        let head = &self.partial;
        memchr::memchr(b'\n', head).is_some()
            || head.len() >= crate::input::HEAD_BYTES
            || head.len() >= 4 && Codec::sniff(head) != Codec::Plain
    }

    /// Holds the bytes of an undecided input; returns them all once the input can be decided
    /// ([`Feed::decide`] them), `None` while it cannot.
    pub(super) fn undecided(&mut self, bytes: &[u8]) -> Option<Vec<u8>> {
        self.partial.extend_from_slice(bytes);
        self.ready_to_decide()
            .then(|| std::mem::take(&mut self.partial))
    }

    /// Takes the next piece of a line-by-line input: returns the whole lines it completes
    /// (with the partial line held before them), and keeps the bytes after the last newline.
    /// Bytes of an overlong line being dropped are skipped.
    pub(super) fn whole_lines<'a>(&mut self, bytes: &'a [u8]) -> Cow<'a, [u8]> {
        let mut bytes = bytes;
        if self.discarding {
            let Some(end) = memchr::memchr(b'\n', bytes) else {
                self.next.offset += bytes.len() as u64;
                return Cow::Borrowed(&[]);
            };
            self.next.offset += end as u64 + 1;
            bytes = &bytes[end + 1..];
            self.discarding = false;
        }
        let (lines, rest) = match memchr::memrchr(b'\n', bytes) {
            Some(last) => bytes.split_at(last + 1),
            None => (&bytes[..0], bytes),
        };
        let lines = if self.partial.is_empty() || lines.is_empty() {
            Cow::Borrowed(lines)
        } else {
            self.partial.extend_from_slice(lines);
            Cow::Owned(std::mem::take(&mut self.partial))
        };
        self.partial.extend_from_slice(rest);
        lines
    }

    /// Counts `lines` (scanned, holding `records` records) as done.
    pub(super) fn advance(&mut self, lines: usize, records: u64) {
        self.next.offset += lines as u64;
        self.next.index += records;
    }

    /// Drops the partial line if it is too long to hold, and reports it as a bad record; its
    /// bytes are skipped up to its newline.
    pub(super) fn drop_overlong(&mut self) -> Option<BadRecord> {
        if self.partial.len() <= MAX_RECORD_BYTES {
            return None;
        }
        let len = self.partial.len() as u64;
        let bad = BadRecord {
            index: self.next.index,
            offset: self.next.offset,
            reason: BadReason::TooLarge {
                len,
                limit: MAX_RECORD_BYTES as u64,
            },
        };
        self.partial = Vec::new();
        self.discarding = true;
        self.next.index += 1;
        self.next.offset += len;
        Some(bad)
    }

    /// The partial line left when the input ends, if any.
    pub(super) fn take_partial(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.partial)
    }

    /// Holds `bytes` of a document until the input ends; `true` when the document has just
    /// grown past [`MAX_DOCUMENT_BYTES`] (the bytes beyond are dropped).
    pub(super) fn hold(&mut self, bytes: &[u8]) -> bool {
        let Mode::Document(held) = &mut self.mode else {
            return false;
        };
        let room = MAX_DOCUMENT_BYTES.saturating_sub(held.len());
        held.extend_from_slice(&bytes[..bytes.len().min(room)]);
        room > 0 && bytes.len() > room
    }
}
