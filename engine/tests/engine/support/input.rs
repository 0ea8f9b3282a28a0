//! Shared helpers for the input and framing tests: open an input, frame every block, and
//! collect what came out.

use std::io::Read;
use std::path::{Path, PathBuf};

use sigil_engine::framing::{BadRecord, Shape};
use sigil_engine::input::{BlockError, InputError, InputSource, OpenOptions, Opened, SkipReason};

/// Everything an input produced.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Good records: (index, offset, bytes).
    pub records: Vec<(u64, u64, Vec<u8>)>,
    /// Bad records, from framing or from the block reader.
    pub bad: Vec<BadRecord>,
    /// Input errors (at most one, at the end).
    pub errors: Vec<InputError>,
    /// Why the input was skipped, if it was.
    pub skipped: Option<SkipReason>,
    /// The shape the input was framed as.
    pub shape: Option<Shape>,
}

impl Outcome {
    /// The good records' bytes.
    pub fn bytes(&self) -> Vec<Vec<u8>> {
        self.records
            .iter()
            .map(|(_, _, bytes)| bytes.clone())
            .collect()
    }

    /// The good records parsed with serde_json, to compare across layouts.
    pub fn values(&self) -> Vec<serde_json::Value> {
        self.records
            .iter()
            .map(|(_, _, bytes)| serde_json::from_slice(bytes).expect("a good record parses"))
            .collect()
    }

    /// Every record slot's index, good and bad, in order of appearance.
    pub fn indices(&self) -> Vec<u64> {
        let mut all: Vec<u64> = self
            .records
            .iter()
            .map(|r| r.0)
            .chain(self.bad.iter().map(|b| b.index))
            .collect();
        all.sort_unstable();
        all
    }
}

/// Frames everything an opened input yields.
pub fn collect(opened: Result<Opened, InputError>) -> Outcome {
    let mut outcome = Outcome::default();
    let blocks = match opened {
        Err(error) => {
            outcome.errors.push(error);
            return outcome;
        }
        Ok(Opened::Skipped(reason)) => {
            outcome.skipped = Some(reason);
            return outcome;
        }
        Ok(Opened::Blocks(blocks)) => blocks,
    };
    outcome.shape = Some(blocks.shape());
    for block in blocks {
        match block {
            Ok(block) => {
                for record in block.records() {
                    match record {
                        Ok(r) => outcome.records.push((r.index, r.offset, r.bytes.to_vec())),
                        Err(bad) => outcome.bad.push(bad),
                    }
                }
            }
            Err(BlockError::Record(bad)) => outcome.bad.push(bad),
            Err(BlockError::Input(error)) => outcome.errors.push(error),
        }
    }
    outcome
}

/// Opens and frames a file.
pub fn read_path(path: &Path, options: &OpenOptions) -> Outcome {
    let source = InputSource::Path(path.to_path_buf());
    collect(sigil_engine::input::open(&source, options))
}

/// Opens and frames a byte stream, as stdin would be.
pub fn read_stream(reader: impl Read + Send + 'static, options: &OpenOptions) -> Outcome {
    collect(sigil_engine::input::open_reader(
        InputSource::Stdin,
        reader,
        options,
    ))
}

/// The shared data folder, or `None` (with a notice) when it is absent.
pub fn shared_data() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data"));
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "notice: {} is absent, skipping real-data test",
            dir.display()
        );
        None
    }
}
