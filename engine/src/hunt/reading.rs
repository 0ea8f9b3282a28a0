//! How an input's bytes become records: JSON framing, envelopes expanded, or text log lines.

use crate::formats::{self, Envelope, Records, TextFormat, TextReader};
use crate::framing::{Shape, count_records};
use crate::input::InputSource;
use std::sync::Arc;

/// How much of an input's head decides its reading.
pub(super) const HEAD_BYTES: usize = crate::input::HEAD_BYTES;

/// How an input's bytes become records: decided once per input, from the head of its content.
#[derive(Clone, Debug)]
pub(crate) enum Reading {
    /// JSON records, framed by the block's shape.
    Json,
    /// JSON envelopes (CloudWatch Logs, AWS Config), each expanded into its events.
    Envelope(Envelope),
    /// Lines of a text log (VPC Flow, load balancers, CloudFront).
    Text(TextFormat),
}

/// What decides a reading besides the content: the formats forced on the command line.
#[derive(Clone, Debug, Default)]
pub(crate) struct Forced {
    /// `--input-format` named a text log format.
    pub text: Option<TextFormat>,
    /// `--input-format` named a JSON shape.
    pub shape: bool,
}

impl Forced {
    /// What a hunt's options force.
    pub(crate) fn of(options: &super::HuntOptions<'_>) -> Forced {
        Forced {
            text: options.text_format.clone(),
            shape: options.open.shape.is_some(),
        }
    }
}

impl Reading {
    /// The reading of an input whose content starts with `head` and is framed as `shape` (a
    /// forced text format wins; a forced JSON shape reads JSON, as do the events of a
    /// CloudTrail envelope).
    pub(crate) fn of(source: &InputSource, head: &[u8], shape: Shape, forced: &Forced) -> Reading {
        if let Some(format) = &forced.text {
            return Reading::Text(format.clone());
        }
        if forced.shape {
            return Reading::Json;
        }
        let head = &head[..head.len().min(HEAD_BYTES)];
        if let Some(format) = formats::detect(source.path(), head) {
            Reading::Text(format)
        } else if shape == Shape::Envelope {
            Reading::Json
        } else if let Some(envelope) = formats::detect_envelope(head) {
            Reading::Envelope(envelope)
        } else {
            Reading::Json
        }
    }

    /// How the records after `bytes` (whole lines of an input read as `reading`) are read: a
    /// text log's last header in `bytes` applies to them ([`TextFormat::after`]).
    pub(crate) fn after(reading: &Arc<Reading>, bytes: &[u8]) -> Arc<Reading> {
        match &**reading {
            Reading::Text(format) => Arc::new(Reading::Text(format.after(bytes))),
            Reading::Json | Reading::Envelope(_) => Arc::clone(reading),
        }
    }

    /// Lines of `bytes` (whole lines) that NDJSON framing counts as records and this reading
    /// does not: a text log's header lines.
    pub(super) fn uncounted_lines(&self, bytes: &[u8]) -> u64 {
        match self {
            Reading::Text(format) => {
                count_records(bytes).saturating_sub(format.count_records(bytes))
            }
            Reading::Json | Reading::Envelope(_) => 0,
        }
    }

    /// Records in `bytes` (whole lines), for numbering the chunks of a file.
    pub(super) fn count_records(&self, bytes: &[u8]) -> u64 {
        match self {
            Reading::Text(format) => format.count_records(bytes),
            Reading::Json | Reading::Envelope(_) => count_records(bytes),
        }
    }
}

/// The per-buffer state of a [`Reading`].
pub(crate) enum Reader {
    Json,
    Envelope(Envelope, Records),
    Text(Box<TextReader>),
}

impl Reader {
    pub(crate) fn new(reading: &Reading) -> Reader {
        match reading {
            Reading::Json => Reader::Json,
            Reading::Envelope(envelope) => Reader::Envelope(*envelope, Records::default()),
            Reading::Text(format) => Reader::Text(Box::new(TextReader::new(format.clone()))),
        }
    }
}
