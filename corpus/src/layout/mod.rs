//! Writing record streams to files, and the ground truth beside them.
//!
//! Two file layouts exist per source:
//!
//! - flat ([`flat`]): one plain file per source (`cloudtrail.jsonl`, `waf.jsonl`,
//!   `vpcflow-v2.log`, `vpcflow-v5.log`, `alb.log`, `cloudfront.log`, `guardduty.jsonl`), one
//!   record per line, text formats with their header lines;
//! - S3 ([`s3`]): the object keys and gzip files AWS delivers, rolled by delivery window, with
//!   CloudTrail `{"Records":[...]}` envelopes and `CloudTrail-Digest/` files.
//!
//! [`Layout::Mixed`] picks S3 for some sources and flat for others (the committed sample uses it).
//! Gzip output is deterministic: mtime 0, no file name, fixed compression level.

mod flat;
mod s3;

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::str::FromStr;

use flate2::write::GzEncoder;
use flate2::{Compression, GzBuilder};

use crate::scenario::GroundTruth;
use crate::stream::{RecordInfo, RecordStream};
use crate::{Generator, Source};

/// The name of the ground-truth file in every output folder.
pub const GROUND_TRUTH_FILE: &str = "ground-truth.jsonl";

/// How files are laid out in the output folder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// One plain file per source (NDJSON for JSON sources, the native text format otherwise).
    Flat,
    /// The S3 object layout AWS delivers, gzipped.
    S3,
    /// S3 layout for CloudTrail, WAF, VPC Flow Logs and GuardDuty; flat for ALB and CloudFront.
    Mixed,
}

impl Layout {
    fn uses_s3(self, source: Source) -> bool {
        match self {
            Layout::Flat => false,
            Layout::S3 => true,
            Layout::Mixed => !matches!(source, Source::Alb | Source::CloudFront),
        }
    }
}

impl FromStr for Layout {
    type Err = String;

    /// `flat` (or `ndjson`), `s3`, `mixed`.
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "flat" | "ndjson" => Ok(Layout::Flat),
            "s3" => Ok(Layout::S3),
            "mixed" => Ok(Layout::Mixed),
            _ => Err(format!(
                "unknown layout `{text}` (expected flat, ndjson, s3 or mixed)"
            )),
        }
    }
}

/// What [`Generator::write`] produced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Files written, not counting `ground-truth.jsonl`.
    pub files: u64,
    /// Records written, planted ones included.
    pub records: u64,
    /// Planted records (lines of `ground-truth.jsonl`).
    pub planted: u64,
    /// Uncompressed bytes of the records (with their newlines, without headers).
    pub record_bytes: u64,
}

/// A destination for the records of one source.
trait Sink {
    /// Writes one record; returns its 1-based number within its file.
    fn write(&mut self, info: &RecordInfo, text: &str) -> io::Result<u64>;
    /// The path (relative, `/`-separated) of the file the last record of `stream` went to.
    fn path_of(&self, stream: usize) -> &str;
    /// Flushes and closes everything; returns the number of files written.
    fn finish(self: Box<Self>) -> io::Result<u64>;
}

/// Writes all sources of `generator` to `out_dir`. See [`Generator::write`].
pub(crate) fn write_corpus(generator: &Generator, out_dir: &Path) -> io::Result<Summary> {
    std::fs::create_dir_all(out_dir)?;
    let mut truth = BufWriter::new(File::create(out_dir.join(GROUND_TRUTH_FILE))?);
    let mut summary = Summary::default();
    for &source in &generator.config().sources {
        let mut stream = generator.stream(source);
        let streams = stream.streams().to_vec();
        let mut sink: Box<dyn Sink> = if generator.config().layout.uses_s3(source) {
            Box::new(s3::S3Sink::new(
                source,
                out_dir,
                streams,
                generator.account().to_owned(),
                generator.layout_rng(source),
            ))
        } else {
            Box::new(flat::FlatSink::new(out_dir, &streams)?)
        };
        write_stream(&mut stream, sink.as_mut(), &mut truth, &mut summary)?;
        summary.files += sink.finish()?;
    }
    truth.flush()?;
    Ok(summary)
}

/// Writes all sources of `generator` to `out`, one record a line, source after source, without
/// ground truth. See [`Generator::write_ndjson`].
pub(crate) fn write_ndjson(generator: &Generator, out: &mut dyn Write) -> io::Result<Summary> {
    if let Some(source) = generator
        .config()
        .sources
        .iter()
        .find(|source| !source.is_json())
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{source} records are text with per-file headers: write them to a folder"),
        ));
    }
    let mut summary = Summary::default();
    let mut sink = LineSink { out, records: 0 };
    for &source in &generator.config().sources {
        let mut stream = generator.stream(source);
        write_stream(&mut stream, &mut sink, &mut io::sink(), &mut summary)?;
    }
    Box::new(sink).finish()?;
    Ok(summary)
}

/// Writes every record of `stream` to `sink` and a ground-truth line for each planted one to
/// `truth`, counting them in `summary`.
fn write_stream(
    stream: &mut RecordStream,
    sink: &mut dyn Sink,
    truth: &mut dyn Write,
    summary: &mut Summary,
) -> io::Result<()> {
    let mut text = String::with_capacity(8 * 1024);
    while let Some(info) = stream.next_into(&mut text) {
        let record = sink.write(&info, &text)?;
        summary.records += 1;
        summary.record_bytes += text.len() as u64 + 1;
        if let Some(plant) = info.plant {
            summary.planted += 1;
            let entry = GroundTruth {
                scenario: plant.scenario.name().to_owned(),
                source: stream.source().name().to_owned(),
                file: sink.path_of(info.stream).to_owned(),
                record,
                key: plant.key,
                detail: plant.detail,
            };
            serde_json::to_writer(&mut *truth, &entry)?;
            truth.write_all(b"\n")?;
        }
    }
    Ok(())
}

/// One stream of lines (standard output): every record of every source, in order.
struct LineSink<'a> {
    out: &'a mut dyn Write,
    records: u64,
}

impl Sink for LineSink<'_> {
    fn write(&mut self, _info: &RecordInfo, text: &str) -> io::Result<u64> {
        self.out.write_all(text.as_bytes())?;
        self.out.write_all(b"\n")?;
        self.records += 1;
        Ok(self.records)
    }

    fn path_of(&self, _stream: usize) -> &str {
        "-"
    }

    fn finish(self: Box<Self>) -> io::Result<u64> {
        self.out.flush()?;
        Ok(0)
    }
}

/// Creates `out_dir/relative` (and its folders) for buffered writing.
fn create_file(out_dir: &Path, relative: &str) -> io::Result<BufWriter<File>> {
    let path = out_dir.join(relative);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    Ok(BufWriter::with_capacity(256 * 1024, File::create(path)?))
}

/// A deterministic gzip writer: mtime 0, no file name.
fn gzip<W: Write>(inner: W) -> GzEncoder<W> {
    GzBuilder::new().mtime(0).write(inner, Compression::new(6))
}
