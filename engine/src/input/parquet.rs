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
//!   its `time` fields (with a fraction for microseconds); UUIDs become their text, other
//!   byte arrays text when they are UTF-8 and base64 when not; decimals and dates become
//!   strings, and NaN or infinite floats `null`. A string column annotated as JSON becomes
//!   the JSON value it holds (kept as text if it does not parse).
//! - **Errors.** A file whose footer or schema does not parse is an [`InputError::Corrupt`]
//!   before any row; a row that fails to decode ends the file there with the error, the rows
//!   before it having been delivered. The decoder is a third-party one that is not hardened
//!   against crafted files, so a panic in it is caught and reported the same way.

use std::cell::Cell;
use std::io::{self, Read};
use std::panic::{AssertUnwindSafe, catch_unwind};

use bytes::Bytes;
use parquet::basic::{ConvertedType, LogicalType, Repetition};
use parquet::file::reader::{ChunkReader, FileReader, SerializedFileReader};
use parquet::record::reader::RowIter;
use parquet::record::{Field, Row};
use parquet::schema::types::{Type, TypePtr};
use serde_json::Value;

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
    /// The file's schema, for the logical types rows do not carry.
    schema: TypePtr,
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
        let schema = reader
            .metadata()
            .file_metadata()
            .schema_descr()
            .root_schema_ptr();
        let reader: Box<dyn FileReader> = Box::new(reader);
        let rows = guarded(|| RowIter::from_file_into(reader)).map_err(corrupt)?;
        Ok(JsonLines {
            rows,
            line: Vec::new(),
            read: 0,
            row: 0,
            total,
            schema,
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
        write_row(&mut self.line, &row, Some(&self.schema));
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

thread_local! {
    /// Whether this thread is in a [`guarded`] decode, whose panics are caught.
    static GUARDED: Cell<bool> = const { Cell::new(false) };
}

/// Makes the process's panic hook pass over the panics of the Parquet decoder, which are
/// caught and reported as an error naming the file and row: the default hook would print
/// them first, as if Sigil had crashed. Every other panic goes to the hook as before.
/// Binaries call it once, before they read any input.
pub fn quiet_caught_panics() {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !GUARDED.with(Cell::get) {
            hook(info);
        }
    }));
}

/// Runs `decode`, turning a panic of the decoder into an error message.
fn guarded<T>(decode: impl FnOnce() -> T) -> Result<T, String> {
    let outer = GUARDED.with(|guarded| guarded.replace(true));
    let decoded = catch_unwind(AssertUnwindSafe(decode));
    GUARDED.with(|guarded| guarded.set(outer));
    decoded.map_err(|panic| {
        let message = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("unknown cause");
        format!("the Parquet decoder failed: {message}")
    })
}

/// Writes a row (or group) as a JSON object, its columns in schema order, null ones left out.
/// `ty` is the group's schema type, when known, for the logical types the rows do not carry
/// (UUIDs, JSON text). Written straight from the row: no JSON tree is built.
fn write_row(out: &mut Vec<u8>, row: &Row, ty: Option<&Type>) {
    let fields = ty.filter(|ty| ty.is_group()).map(Type::get_fields);
    out.push(b'{');
    let mut first = true;
    for (i, (name, field)) in row.get_column_iter().enumerate() {
        if matches!(field, Field::Null) {
            continue;
        }
        if !std::mem::take(&mut first) {
            out.push(b',');
        }
        write_json(out, name);
        out.push(b':');
        let ty = fields.and_then(|fields| fields.get(i)).map(|ty| &**ty);
        write_field(out, field, ty);
    }
    out.push(b'}');
}

/// Writes a value as JSON (see the module documentation); `ty` is its schema type, if known.
fn write_field(out: &mut Vec<u8>, field: &Field, ty: Option<&Type>) {
    match field {
        Field::Str(text) if ty.is_some_and(holds_json) => {
            match serde_json::from_str::<Value>(text) {
                Ok(value) => write_json(out, &value),
                Err(_) => write_json(out, text),
            }
        }
        Field::Str(text) => write_json(out, text),
        Field::Long(n) => write_json(out, n),
        Field::Int(n) => write_json(out, n),
        Field::Bool(b) => write_json(out, b),
        Field::TimestampMillis(ms) => write_json(out, ms),
        Field::TimestampMicros(us) if us % 1000 == 0 => write_json(out, &(us / 1000)),
        Field::TimestampMicros(us) => write_json(out, &(*us as f64 / 1000.0)),
        Field::Bytes(bytes) => match (
            bytes.data(),
            ty.and_then(|ty| ty.get_basic_info().logical_type_ref()),
        ) {
            (uuid, Some(LogicalType::Uuid)) if uuid.len() == 16 => {
                write_json(out, &uuid_text(uuid))
            }
            (data, _) => match std::str::from_utf8(data) {
                Ok(text) => write_json(out, text),
                Err(_) => write_json(out, &field.to_json_value()),
            },
        },
        Field::Group(row) => write_row(out, row, ty),
        Field::ListInternal(list) => {
            let element = ty.and_then(list_element);
            out.push(b'[');
            for (i, item) in list.elements().iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_field(out, item, element);
            }
            out.push(b']');
        }
        Field::MapInternal(map) => {
            let (key_ty, value_ty) = ty.and_then(map_entry).unzip();
            out.push(b'{');
            for (i, (key, value)) in map.entries().iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                let mut text = Vec::new();
                write_field(&mut text, key, key_ty);
                match serde_json::from_slice::<Value>(&text) {
                    Ok(Value::String(key)) => write_json(out, &key),
                    _ => write_json(out, &String::from_utf8_lossy(&text)),
                }
                out.push(b':');
                write_field(out, value, value_ty);
            }
            out.push(b'}');
        }
        other => write_json(out, &other.to_json_value()),
    }
}

/// Appends `value` as JSON (NaN and infinities as `null`).
fn write_json(out: &mut Vec<u8>, value: &(impl serde::Serialize + ?Sized)) {
    if serde_json::to_writer(&mut *out, value).is_err() {
        out.extend_from_slice(b"null");
    }
}

/// Whether a column is annotated as holding JSON text.
fn holds_json(ty: &Type) -> bool {
    let info = ty.get_basic_info();
    info.logical_type_ref() == Some(&LogicalType::Json)
        || info.converted_type() == ConvertedType::JSON
}

/// The type of a list's elements, given the list's type: a repeated field is a list of
/// itself; a `LIST` group holds a repeated group around the element, or (in the legacy
/// two-level form, or when the repeated group has several fields) is the element.
fn list_element(list: &Type) -> Option<&Type> {
    if !list.is_group() || list.get_basic_info().repetition() == Repetition::REPEATED {
        return Some(list);
    }
    let repeated = &**list.get_fields().first()?;
    match repeated.is_group().then(|| repeated.get_fields()) {
        Some([element]) if repeated.name() != "array" && !repeated.name().ends_with("_tuple") => {
            Some(element)
        }
        _ => Some(repeated),
    }
}

/// The key and value types of a map, given the map's type (a group around a repeated group of
/// a key and a value).
fn map_entry(map: &Type) -> Option<(&Type, &Type)> {
    let entry = &**map.get_fields().first()?;
    match entry.is_group().then(|| entry.get_fields()) {
        Some([key, value]) => Some((key, value)),
        _ => None,
    }
}

/// A UUID's 16 bytes in its canonical text form.
fn uuid_text(bytes: &[u8]) -> String {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_is_not_parquet_inside_is_corrupt() {
        for bytes in [
            &b"PAR1"[..],
            b"PAR1PAR1",
            b"PAR1 not a footer \x08\x00\x00\x00PAR1",
        ] {
            match stream_rows(&InputSource::Stdin, bytes) {
                Err(InputError::Corrupt { codec, output, .. }) => {
                    assert_eq!((codec, output), (Codec::Parquet, 0));
                }
                Err(other) => panic!("{bytes:?}: {other}"),
                Ok(_) => panic!("{bytes:?}: read"),
            }
        }
    }

    #[test]
    fn uuids_are_written_as_text() {
        let bytes: Vec<u8> = (0..16).collect();
        assert_eq!(uuid_text(&bytes), "00010203-0405-0607-0809-0a0b0c0d0e0f");
    }
}
