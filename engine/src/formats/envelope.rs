//! JSON envelopes that hold many events (see [`Envelope`]).

use super::{cloudwatch, config, eventbridge, securityhub};
use crate::framing::{skip_ws, top_level_members, value_end};
use crate::logsource::RecordSource;

/// A JSON document that holds many events, each of which becomes one record:
///
/// | envelope                 | recognised by (first object's keys) | a record is            |
/// |--------------------------|-------------------------------------|------------------------|
/// | [`Envelope::CloudWatch`] | `logEvents` and `messageType`       | one log event          |
/// | [`Envelope::Config`]     | `configurationItems`                | one configuration item |
/// | [`Envelope::EventBridge`] | `detail-type` and `detail` (an object) | the event's detail, or the event |
/// | [`Envelope::SecurityHub`] | `Findings`                         | one ASFF finding       |
///
/// A file's envelope is found once, from its head, by [`detect_envelope`]; the JSON framing
/// cuts the file into envelope objects as usual (one per line, or back to back when Firehose
/// delivered them), and [`Envelope::expand`] turns each envelope into its records. See
/// [`cloudwatch`](super::cloudwatch), [`config`](super::config),
/// [`eventbridge`](super::eventbridge) and [`securityhub`](super::securityhub) for the
/// records' fields.
///
/// An envelope's record is tagged with the log source of what it holds: an event embedded whole
/// (a CloudTrail record in a CloudWatch Logs message or in an EventBridge event's `detail`) is
/// a record of its own log, so that the rules of that log see it exactly as they would see it
/// delivered bare.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Envelope {
    /// CloudWatch Logs subscription data (`{"messageType":"DATA_MESSAGE","logEvents":[...]}`),
    /// as Firehose delivers it to S3 or a subscription receives it.
    CloudWatch,
    /// An AWS Config snapshot or history file (`{"configurationItems":[...]}`).
    Config,
    /// Amazon EventBridge events (`{"version":"0","detail-type":...,"source":...,"detail":{...}}`),
    /// as a rule's Firehose or S3 target stores them, one per line.
    EventBridge,
    /// A batch of findings as `GetFindings` returns them (`{"Findings":[...]}`): Security Hub's
    /// (ASFF), or GuardDuty's, each a record of its own log.
    SecurityHub,
}

impl Envelope {
    /// The log source of the records, unless a record shows another by its own keys (a
    /// CloudTrail event in a CloudWatch Logs message or an EventBridge event's `detail`, a
    /// GuardDuty finding in a `Findings` batch).
    pub fn source(self) -> RecordSource {
        match self {
            Envelope::CloudWatch => RecordSource::CloudWatch,
            Envelope::Config => RecordSource::Config,
            Envelope::EventBridge => RecordSource::EventBridge,
            Envelope::SecurityHub => RecordSource::SecurityHub,
        }
    }

    /// Appends the records held by `envelope`, one envelope object, to `out`. A record is
    /// valid JSON when the envelope is.
    ///
    /// ```
    /// use sigil_engine::formats::{Envelope, Records, detect_envelope};
    ///
    /// let snapshot = br#"{"fileVersion":"1.0","configurationItems":[{"resourceType":"AWS::S3::Bucket"},{"resourceType":"AWS::IAM::Role"}]}"#;
    /// assert_eq!(detect_envelope(snapshot), Some(Envelope::Config));
    /// let mut records = Records::default();
    /// Envelope::Config.expand(snapshot, &mut records).unwrap();
    /// assert_eq!(records.iter().collect::<Vec<_>>(), [&br#"{"resourceType":"AWS::S3::Bucket"}"#[..], br#"{"resourceType":"AWS::IAM::Role"}"#]);
    /// ```
    pub fn expand(self, envelope: &[u8], out: &mut Records) -> Result<(), EnvelopeError> {
        match self {
            Envelope::CloudWatch => cloudwatch::expand(envelope, out),
            Envelope::Config => config::expand(envelope, out),
            Envelope::EventBridge => eventbridge::expand(envelope, out),
            Envelope::SecurityHub => securityhub::expand(envelope, out),
        }
    }
}

/// The envelope of content starting with `head`, from the keys of its first object (the first
/// element, when the content is a JSON array of envelopes).
///
/// ```
/// use sigil_engine::formats::{Envelope, detect_envelope};
///
/// let event = br#"{"version":"0","detail-type":"GuardDuty Finding","source":"aws.guardduty","detail":{}}"#;
/// assert_eq!(detect_envelope(event), Some(Envelope::EventBridge));
/// assert_eq!(detect_envelope(br#"{"Findings":[]}"#), Some(Envelope::SecurityHub));
/// assert_eq!(detect_envelope(br#" [{"Findings":[]}]"#), Some(Envelope::SecurityHub));
/// assert_eq!(detect_envelope(br#"{"eventVersion":"1.08"}"#), None);
/// ```
pub fn detect_envelope(head: &[u8]) -> Option<Envelope> {
    let mut start = skip_ws(head, 0);
    if head.get(start) == Some(&b'[') {
        start = skip_ws(head, start + 1);
    }
    let (mut log_events, mut message_type, mut items) = (false, false, false);
    let (mut detail_type, mut detail, mut findings) = (false, false, false);
    for (key, value) in top_level_members(head, start) {
        let opens = |byte| head.get(value) == Some(&byte);
        log_events |= key == b"logEvents" && opens(b'[');
        message_type |= key == b"messageType";
        items |= key == b"configurationItems" && opens(b'[');
        detail_type |= key == b"detail-type";
        detail |= key == b"detail" && opens(b'{');
        findings |= key == b"Findings" && opens(b'[');
    }
    if log_events && message_type {
        Some(Envelope::CloudWatch)
    } else if items {
        Some(Envelope::Config)
    } else if detail_type && detail {
        Some(Envelope::EventBridge)
    } else if findings {
        Some(Envelope::SecurityHub)
    } else {
        None
    }
}

/// The log source an object shows by its own top-level keys (as [`RecordSource::detect`]
/// recognises records); `open` is where the object's `{` is in `json`.
pub(crate) fn source_of_object(json: &[u8], open: usize) -> RecordSource {
    let keys: Vec<&[u8]> = top_level_members(json, open).map(|(key, _)| key).collect();
    RecordSource::recognise(|key| keys.contains(&key.as_bytes()))
}

/// An envelope that is one object whose member `member` is an array of records, each an object
/// kept exactly as written: AWS Config's `configurationItems`, the `Findings` of Security Hub's
/// and GuardDuty's `GetFindings`. The elements are cut by the framing's structural walk, without
/// parsing them; each is tagged with the log source its own keys show, or `source` when they
/// show none.
pub(crate) struct ArrayOfRecords {
    /// Which envelope, for errors: `AWS Config`, `Security Hub`.
    pub(crate) envelope: &'static str,
    /// The member that holds the records.
    pub(crate) member: &'static str,
    /// What one record is called, for errors: `configuration item`, `finding`.
    pub(crate) item: &'static str,
    /// The log source of records whose own keys show none.
    pub(crate) source: RecordSource,
}

impl ArrayOfRecords {
    /// Appends the records of `document`, one envelope object, to `out`.
    pub(crate) fn expand(&self, document: &[u8], out: &mut Records) -> Result<(), EnvelopeError> {
        let error = |reason: String| EnvelopeError {
            envelope: self.envelope,
            reason,
        };
        let start = skip_ws(document, 0);
        let (_, array) = top_level_members(document, start)
            .find(|(key, _)| *key == self.member.as_bytes())
            .ok_or_else(|| error(format!("no `{}` member", self.member)))?;
        self.push_elements(document, array, out)
            .map_err(|e| error(e.reason(self.member, self.item)))
    }

    /// Appends the records of the array whose `[` is at `array` in `document` (which may be
    /// nested deeper than the envelope's own member) to `out`, in order.
    pub(crate) fn push_elements(
        &self,
        document: &[u8],
        array: usize,
        out: &mut Records,
    ) -> Result<(), ArrayError> {
        if document.get(array) != Some(&b'[') {
            return Err(ArrayError::NotArray);
        }
        let mut pos = skip_ws(document, array + 1);
        loop {
            match document.get(pos) {
                Some(b']') => return Ok(()),
                Some(b'{') => {}
                Some(_) => return Err(ArrayError::NotObject),
                None => return Err(ArrayError::Unterminated),
            }
            let end = value_end(document, pos).map_err(|_| ArrayError::Malformed)?;
            let element = &document[pos..end];
            let source = match source_of_object(element, 0) {
                RecordSource::Unknown => self.source,
                known => known,
            };
            out.push_with(source, |bytes| bytes.extend_from_slice(element));
            pos = skip_ws(document, end);
            if document.get(pos) == Some(&b',') {
                pos = skip_ws(document, pos + 1);
            }
        }
    }
}

/// Why the elements of an array of records could not be cut (see [`ArrayOfRecords`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ArrayError {
    /// The member is not an array.
    NotArray,
    /// An element is not an object.
    NotObject,
    /// The document ends inside the array.
    Unterminated,
    /// An element is truncated or malformed.
    Malformed,
}

impl ArrayError {
    /// The reason, for an array `member` whose elements are `items`.
    pub(crate) fn reason(self, member: &str, item: &str) -> String {
        match self {
            ArrayError::NotArray => format!("`{member}` is not an array"),
            ArrayError::NotObject => format!("a {item} is not an object"),
            ArrayError::Unterminated => format!("the document ends inside `{member}`"),
            ArrayError::Malformed => format!("a {item} is truncated or malformed"),
        }
    }
}

/// An envelope that could not be expanded, and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{envelope} envelope: {reason}")]
pub struct EnvelopeError {
    /// Which envelope: `CloudWatch Logs`, `AWS Config`, `EventBridge` or `Security Hub`.
    pub envelope: &'static str,
    /// What is wrong with it.
    pub reason: String,
}

/// Records expanded from envelopes: their bytes back to back in one buffer, reused from
/// envelope to envelope so that expanding allocates only while the buffer grows, and the log
/// source of each.
#[derive(Clone, Debug, Default)]
pub struct Records {
    bytes: Vec<u8>,
    ends: Vec<usize>,
    sources: Vec<RecordSource>,
}

impl Records {
    /// Forgets the records, keeping the memory.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
        self.sources.clear();
    }

    /// How many records there are.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The records, in order.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(&self.ends)
            .map(|(start, &end)| &self.bytes[start..end])
    }

    /// The records, in order, each with its log source: the envelope's
    /// ([`Envelope::source`]), or the one an event embedded whole shows by its own keys (a
    /// CloudTrail record delivered through CloudWatch Logs is a CloudTrail record).
    pub fn sourced(&self) -> impl Iterator<Item = (&[u8], RecordSource)> {
        self.iter().zip(self.sources.iter().copied())
    }

    /// Forgets the records after the first `len`.
    pub(crate) fn truncate(&mut self, len: usize) {
        if len >= self.ends.len() {
            return;
        }
        let end = if len == 0 { 0 } else { self.ends[len - 1] };
        self.bytes.truncate(end);
        self.ends.truncate(len);
        self.sources.truncate(len);
    }

    /// Appends a record of `source` written by `write`.
    pub(crate) fn push_with(&mut self, source: RecordSource, write: impl FnOnce(&mut Vec<u8>)) {
        write(&mut self.bytes);
        self.ends.push(self.bytes.len());
        self.sources.push(source);
    }
}
