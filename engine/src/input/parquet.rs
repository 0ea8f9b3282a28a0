//! Parquet files (Amazon Security Lake's OCSF tables, or any other), read as JSON lines.
//!
//! A Parquet file is decoded row group by row group, and each row is handed on as one JSON
//! object on its own line, so that everything after opening (blocks, framing, record numbers,
//! source detection, the scan) is what it is for NDJSON: the record number of a row is its
//! row number in the file, from 1.
//!
//! ```text
//! file.parquet ──footer──▶ schema, row groups ──row group 1──▶ {"time":…,"api":{…}}\n …
//!                                             ──row group 2──▶ …
//! ```
//!
//! - **Where the bytes come from.** A local file is read in place: the footer first, then the
//!   column chunks of each row group as its rows are needed. A stream (stdin, an S3 object) is
//!   read into memory first, up to [`MAX_DOCUMENT_BYTES`], since a Parquet file's metadata is at
//!   its end. Either way, one row group's columns are decoded at a time.
//! - **Values.** A null column is left out of its row, or group: Parquet cannot tell a field
//!   that is absent from one that is null, and a wide schema such as OCSF's has hundreds of
//!   columns, most of them null in any row; so a rule sees the fields an event has. Nulls in
//!   lists stay, as their positions count. Groups become objects, lists arrays and maps
//!   objects (a key that is not a
//!   string is written as its JSON text); timestamps become epoch milliseconds, as OCSF writes
//!   its `time` fields (with a fraction for microseconds); byte arrays that are not UTF-8
//!   become base64, decimals and dates strings, and NaN or infinite floats `null`.
//! - **Errors.** A file whose footer or schema does not parse is an [`InputError::Corrupt`]
//!   before any row; a row that fails to decode ends the file there with the error, the rows
//!   before it having been delivered. The decoder is a third-party one that is not hardened
//!   against crafted files, so a panic in it is caught and reported the same way.

use std::io::{self, Read};
use std::panic::{AssertUnwindSafe, catch_unwind};

use bytes::Bytes;
use parquet::file::reader::{ChunkReader, FileReader, SerializedFileReader};
use parquet::record::reader::RowIter;
use parquet::record::{Field, Row};
use serde_json::{Map, Number, Value};

use super::blocks::MAX_DOCUMENT_BYTES;
use super::{Codec, InputError, InputSource};

/// The magic bytes a Parquet file starts (and ends) with.
pub(super) const MAGIC: &[u8; 4] = b"PAR1";

/// The rows of a local Parquet file, as JSON lines.
pub(super) fn file_rows(input: &InputSource, file: std::fs::File) -> Result<JsonLines, InputError> {
    JsonLines::new(input, file)
}

/// The rows of a Parquet file read from a stream, as JSON lines: the stream is read whole
/// first, up to [`MAX_DOCUMENT_BYTES`].
pub(super) fn stream_rows(
    input: &InputSource,
    mut stream: impl Read,
) -> Result<JsonLines, InputError> {
    let mut bytes = Vec::new();
    let limit = MAX_DOCUMENT_BYTES as u64;
    (&mut stream)
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| InputError::Io {
            input: input.clone(),
            error,
        })?;
    if bytes.len() as u64 > limit {
        let input = input.clone();
        return Err(InputError::DocumentTooLarge { input, limit });
    }
    JsonLines::new(input, Bytes::from(bytes))
}

/// A Parquet file's rows as JSON lines, produced one row at a time as they are read.
pub(super) struct JsonLines {
    rows: RowIter<'static>,
    /// The JSON line of the current row, and how much of it was read.
    line: Vec<u8>,
    read: usize,
    /// Rows turned into lines so far.
    row: u64,
    /// Rows in the file, from its metadata.
    total: i64,
}

impl JsonLines {
    fn new<R: ChunkReader + 'static>(
        input: &InputSource,
        bytes: R,
    ) -> Result<JsonLines, InputError> {
        let corrupt = |error: String| InputError::Corrupt {
            input: input.clone(),
            codec: Codec::Parquet,
            output: 0,
            error: io::Error::new(io::ErrorKind::InvalidData, error),
        };
        let reader = guarded(|| SerializedFileReader::new(bytes).map_err(|e| e.to_string()))
            .and_then(|reader| reader)
            .map_err(corrupt)?;
        let total = reader.metadata().file_metadata().num_rows();
        let reader: Box<dyn FileReader> = Box::new(reader);
        let rows = guarded(|| RowIter::from_file_into(reader)).map_err(corrupt)?;
        Ok(JsonLines {
            rows,
            line: Vec::new(),
            read: 0,
            row: 0,
            total,
        })
    }

    /// Puts the next row's JSON line in `line`; `false` at the end of the rows.
    fn next_line(&mut self) -> io::Result<bool> {
        let row = match guarded(|| self.rows.next()) {
            Ok(None) => return Ok(false),
            Ok(Some(Ok(row))) => row,
            Ok(Some(Err(error))) => return Err(self.row_error(error.to_string())),
            Err(panic) => return Err(self.row_error(panic)),
        };
        self.row += 1;
        self.line.clear();
        self.read = 0;
        serde_json::to_writer(&mut self.line, &row_json(&row))?;
        self.line.push(b'\n');
        Ok(true)
    }

    /// The error that ends the rows at the one after the last delivered.
    fn row_error(&self, error: String) -> io::Error {
        let (row, total) = (self.row + 1, self.total);
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("row {row} of {total}: {error}"),
        )
    }
}

impl Read for JsonLines {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.read == self.line.len() && !self.next_line()? {
            return Ok(0);
        }
        let rest = &self.line[self.read..];
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.read += n;
        Ok(n)
    }
}

/// Runs `decode`, turning a panic of the decoder into an error message.
fn guarded<T>(decode: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(decode)).map_err(|panic| {
        let message = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("unknown cause");
        format!("the Parquet decoder failed: {message}")
    })
}

/// A row (or group) as a JSON object, its columns in schema order, null ones left out.
fn row_json(row: &Row) -> Value {
    Value::Object(
        row.get_column_iter()
            .filter(|(_, field)| !matches!(field, Field::Null))
            .map(|(name, field)| (name.clone(), field_json(field)))
            .collect::<Map<String, Value>>(),
    )
}

/// A value as JSON (see the module documentation).
fn field_json(field: &Field) -> Value {
    match field {
        Field::TimestampMillis(ms) => Value::from(*ms),
        Field::TimestampMicros(us) if us % 1000 == 0 => Value::from(us / 1000),
        Field::TimestampMicros(us) => {
            Number::from_f64(*us as f64 / 1000.0).map_or(Value::Null, Value::Number)
        }
        Field::Bytes(bytes) => match std::str::from_utf8(bytes.data()) {
            Ok(text) => Value::from(text),
            Err(_) => field.to_json_value(),
        },
        Field::Group(row) => row_json(row),
        Field::ListInternal(list) => Value::Array(list.elements().iter().map(field_json).collect()),
        Field::MapInternal(map) => Value::Object(
            map.entries()
                .iter()
                .map(|(key, value)| {
                    let key = match field_json(key) {
                        Value::String(text) => text,
                        other => other.to_string(),
                    };
                    (key, field_json(value))
                })
                .collect(),
        ),
        _ => field.to_json_value(),
    }
}
