//! JSON envelopes that hold many events (see [`Envelope`]).

use super::{cloudwatch, config};
use crate::framing::{skip_ws, top_level_members};
use crate::logsource::RecordSource;

/// A JSON document that holds many events, each of which becomes one record:
///
/// | envelope                 | recognised by (first object's keys) | a record is            |
/// |--------------------------|-------------------------------------|------------------------|
/// | [`Envelope::CloudWatch`] | `logEvents` and `messageType`       | one log event          |
/// | [`Envelope::Config`]     | `configurationItems`                | one configuration item |
///
/// A file's envelope is found once, from its head, by [`detect_envelope`]; the JSON framing
/// cuts the file into envelope objects as usual (one per line, or back to back when Firehose
/// delivered them), and [`Envelope::expand`] turns each envelope into its records. See
/// [`cloudwatch`](super::cloudwatch) and [`config`](super::config) for the records' fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Envelope {
    /// CloudWatch Logs subscription data (`{"messageType":"DATA_MESSAGE","logEvents":[...]}`),
    /// as Firehose delivers it to S3 or a subscription receives it.
    CloudWatch,
    /// An AWS Config snapshot or history file (`{"configurationItems":[...]}`).
    Config,
}

impl Envelope {
    /// The log source of the records.
    pub fn source(self) -> RecordSource {
        match self {
            Envelope::CloudWatch => RecordSource::CloudWatch,
            Envelope::Config => RecordSource::Config,
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
        }
    }
}

/// The envelope of content starting with `head`, from the keys of its first object.
pub fn detect_envelope(head: &[u8]) -> Option<Envelope> {
    let start = skip_ws(head, 0);
    let (mut log_events, mut message_type, mut items) = (false, false, false);
    for (key, value) in top_level_members(head, start) {
        log_events |= key == b"logEvents" && head.get(value) == Some(&b'[');
        message_type |= key == b"messageType";
        items |= key == b"configurationItems" && head.get(value) == Some(&b'[');
    }
    if log_events && message_type {
        Some(Envelope::CloudWatch)
    } else if items {
        Some(Envelope::Config)
    } else {
        None
    }
}

/// An envelope that could not be expanded, and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{envelope} envelope: {reason}")]
pub struct EnvelopeError {
    /// Which envelope: `CloudWatch Logs` or `AWS Config`.
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

    /// Appends a record of `source` written by `write`.
    pub(crate) fn push_with(&mut self, source: RecordSource, write: impl FnOnce(&mut Vec<u8>)) {
        write(&mut self.bytes);
        self.ends.push(self.bytes.len());
        self.sources.push(source);
    }
}
