//! Opening an input: decompression by magic bytes, the memory-map policy, content sniffing.
//!
//! ```text
//! file ──first 4 bytes──▶ codec ──plain + policy says map──▶ Mmap ────────────┐
//!                           │                                                  ├─▶ sniff head ─▶ Blocks
//!                           ├─gzip / zstd / no map─▶ [decoder] ─▶ Stream ──────┘     │
//!                           │                                                        └─▶ Skipped
//!                           └─Parquet─▶ rows as JSON lines ─▶ Stream ─────────────────▶ Blocks (NDJSON)
//! ```
//!
//! The sniff looks at the first [`HEAD_BYTES`] of the (decompressed) content, after a UTF-8
//! byte order mark if there is one: CloudTrail digests (and Parquet inside gzip or zstd) make
//! the input [`Opened::Skipped`], UTF-16 text is an [`InputError::Utf16`], and anything else gets its
//! [`Shape`] detected (unless forced). Then two checks decide on evidence, never on one byte:
//!
//! - a file named as documentation (`LICENSE`, `README.md`, `*.txt`, `*.yml`, `*.csv`...) whose
//!   content does not start like JSON, is no known text log, and gives no good record in its
//!   head is skipped ([`SkipReason::NotALog`]);
//! - content whose first [`BINARY_SNIFF_BYTES`] are at least [`BINARY_PERCENT`] percent non-text
//!   bytes (control bytes, invalid UTF-8), and whose head gives no good record, is an
//!   [`InputError::Binary`]. A log with a few damaged bytes is read, and its damaged records
//!   are reported one by one.

use std::fs::File;
use std::io::{self, Read, Seek};

use super::blocks::{BLOCK_BYTES, Blocks, Stream};
use super::guard::GuardedMap;
use super::{Codec, HEAD_BYTES, InputError, InputSource, SkipReason, parquet};
use crate::formats;
use crate::framing::{self, Origin, Shape};

/// How much of the content is looked at to tell binary files from logs.
const BINARY_SNIFF_BYTES: usize = 8 << 10;

/// The share of non-text bytes (in percent) from which the content may be binary: it is when,
/// besides, no record can be read from its head. A text log with a few damaged bytes (a NUL run
/// left by a crash, a stray control byte) is read, and only its damaged records are refused.
const BINARY_PERCENT: usize = 10;

/// The UTF-8 byte order mark, ignored at the start of the content.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// How to open inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenOptions {
    /// Allow memory-mapping plain files (default `true`). A driver turns it off where reading
    /// is the better trade, for instance over many small files, where mapping and unmapping
    /// cost more than a read. When maps are used, and when not, is documented in one place:
    /// the private `map_plain` function of this module (a big JSON document is read even when
    /// maps are allowed).
    pub mmap: bool,
    /// Frame every input as this shape instead of detecting it (`--input-format`).
    pub shape: Option<Shape>,
}

impl Default for OpenOptions {
    fn default() -> OpenOptions {
        OpenOptions {
            mmap: true,
            shape: None,
        }
    }
}

/// An opened input.
#[derive(Debug)]
pub enum Opened {
    /// Its records, in blocks.
    Blocks(Blocks),
    /// Its content shows that it holds no events (or none that can be read).
    Skipped(SkipReason),
}

/// Opens a file or stdin.
///
/// gzip, zstd and Parquet are recognised by their magic bytes, whatever the file is called;
/// a Parquet file's rows are read as JSON lines, one per row (see [`Codec::Parquet`]). Plain
/// files are memory-mapped or read as [`OpenOptions::mmap`] allows. Then the first 64 KiB of
/// the (decompressed) content, after a UTF-8 byte order mark if there is one, are sniffed:
/// CloudTrail digests and documentation
/// files ([`SkipReason::NotALog`]) make the input [`Opened::Skipped`], binary data (decided on
/// evidence, see [`InputError::Binary`]) and UTF-16 text are errors, and
/// anything else gets its [`Shape`] detected (see [`detect_shape`](framing::detect_shape))
/// unless one is forced.
///
/// Errors here concern opening only; errors met while reading come from [`Blocks`].
pub fn open(input: &InputSource, options: &OpenOptions) -> Result<Opened, InputError> {
    let path = match input {
        InputSource::Path(path) => path,
        InputSource::Stdin => return open_reader(input.clone(), io::stdin(), options),
        InputSource::Url(_) => {
            return Err(io_error(input)(io::Error::new(
                io::ErrorKind::Unsupported,
                "an object is read through its source, not opened by name",
            )));
        }
    };
    let mut file = File::open(path).map_err(io_error(input))?;
    let magic = read_magic(&mut file).map_err(io_error(input))?;
    let codec = Codec::sniff(&magic);
    if codec == Codec::Parquet {
        return Ok(parquet_blocks(input, parquet::file_rows(input, file)?));
    }
    match map_plain(file, codec, options) {
        Ok(map) => from_map(input.clone(), map, options),
        Err(file) => from_stream(
            input.clone(),
            codec,
            io::Cursor::new(magic).chain(file),
            options,
        ),
    }
}

/// Opens any byte stream as an input named `input`: decompressed by magic bytes, then read in
/// blocks like stdin. This is how tests, and later S3 objects, feed bytes in.
///
/// ```
/// use sigil_engine::input::{InputSource, OpenOptions, Opened, open_reader};
///
/// let bytes = b"{\"a\":1}\n\n{\"a\":2}\n";
/// let Opened::Blocks(blocks) = open_reader(InputSource::Stdin, &bytes[..], &OpenOptions::default())? else {
///     panic!("not skipped");
/// };
/// let block = blocks.into_iter().next().unwrap()?;
/// assert_eq!(block.records().count(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn open_reader(
    input: InputSource,
    mut reader: impl Read + Send + 'static,
    options: &OpenOptions,
) -> Result<Opened, InputError> {
    let magic = read_magic(&mut reader).map_err(io_error(&input))?;
    let codec = Codec::sniff(&magic);
    from_stream(input, codec, io::Cursor::new(magic).chain(reader), options)
}

/// The memory-map policy: the map of `file` if it should be read through one, or the file
/// back to stream it with reads instead.
///
/// A file is mapped when all of these hold:
/// - `options.mmap` is on (see [`OpenOptions::mmap`]);
/// - its content is not compressed: a decoder reads its input front to back once, so a map
///   brings nothing over buffered reads;
/// - it is a regular, non-empty file: FIFOs, devices and `/dev/stdin` cannot be mapped, and
///   mapping zero bytes fails on some systems;
/// - mapping succeeds (it can fail, for instance on some network filesystems or when address
///   space runs out), and the map can be registered (see below); otherwise the file is read.
///
/// Once its head has shown the content's shape, a JSON document larger than a block is read
/// instead after all (see [`from_map`]).
///
/// A file that another process truncates while it is mapped would make this process fault
/// (SIGBUS) and die. Maps are therefore [`GuardedMap`]s: a page past the file's new end reads
/// as zeros, and the map tells it shrank ([`Block::shrunk`](super::Block::shrunk)), so that
/// the reader discards what it read after that and reports the file.
fn map_plain(file: File, codec: Codec, options: &OpenOptions) -> Result<GuardedMap, File> {
    if !options.mmap || codec != Codec::Plain {
        return Err(file);
    }
    match file.metadata() {
        Ok(meta) if meta.is_file() && meta.len() > 0 => GuardedMap::new(file),
        _ => Err(file),
    }
}

/// The error of an I/O `error` met while opening `input`.
fn io_error(input: &InputSource) -> impl Fn(io::Error) -> InputError + '_ {
    |error| InputError::Io {
        input: input.clone(),
        error,
    }
}

/// Reads the first four bytes of `reader` (fewer if it is shorter), enough to tell codecs
/// apart, looping over short reads (pipes deliver what they have).
fn read_magic(reader: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut magic = Vec::with_capacity(4);
    reader.take(4).read_to_end(&mut magic)?;
    Ok(magic)
}

/// Opens a memory-mapped plain file.
///
/// A JSON document (an envelope, an array, concatenated objects) larger than one block is
/// read with reads instead, in blocks cut between records like a compressed one: a map of it
/// would be one unit, scanned by one thread, resident whole and holding all its matches until
/// its end (a 199 MB envelope peaked at 388 MB).
fn from_map(
    input: InputSource,
    map: GuardedMap,
    options: &OpenOptions,
) -> Result<Opened, InputError> {
    let bytes = map.bytes();
    let start = if bytes.starts_with(BOM) { BOM.len() } else { 0 };
    let head = &bytes[start..bytes.len().min(start + HEAD_BYTES)];
    Ok(match sniff(&input, head, options)? {
        Content::Records(shape) if shape.needs_whole_document() && bytes.len() > BLOCK_BYTES => {
            let mut file = map.file().map_err(io_error(&input))?;
            drop(map);
            file.seek(io::SeekFrom::Start(0))
                .map_err(io_error(&input))?;
            return from_stream(input, Codec::Plain, file, options);
        }
        Content::Records(shape) => Opened::Blocks(Blocks::mapped(map, start, shape)),
        Content::Skip(reason) => Opened::Skipped(reason),
    })
}

/// Opens a stream, decompressing it if `codec` says so.
fn from_stream(
    input: InputSource,
    codec: Codec,
    raw: impl Read + Send + 'static,
    options: &OpenOptions,
) -> Result<Opened, InputError> {
    let reader: Box<dyn Read + Send> = match codec {
        Codec::Plain => Box::new(raw),
        Codec::Gzip => Box::new(flate2::read::MultiGzDecoder::new(raw)),
        Codec::Zstd => Box::new(zstd::Decoder::new(raw).map_err(io_error(&input))?),
        Codec::Parquet => return Ok(parquet_blocks(&input, parquet::stream_rows(&input, raw)?)),
    };
    let mut stream = Stream::new(input.clone(), codec, reader);
    stream.fill(HEAD_BYTES);
    if stream.pending().starts_with(BOM) {
        stream.drop_front(BOM.len());
        stream.fill(HEAD_BYTES);
    }
    Ok(match sniff(&input, stream.pending(), options)? {
        Content::Records(shape) => Opened::Blocks(Blocks::streamed(stream, shape)),
        Content::Skip(reason) => Opened::Skipped(reason),
    })
}

/// The blocks of a Parquet file's rows: NDJSON, whatever shape was asked for.
fn parquet_blocks(input: &InputSource, rows: parquet::JsonLines) -> Opened {
    let stream = Stream::new(input.clone(), Codec::Parquet, Box::new(rows));
    Opened::Blocks(Blocks::streamed(stream, Shape::Ndjson))
}

/// What the first bytes of an input's content say about it.
enum Content {
    /// Frame it as this shape.
    Records(Shape),
    /// Skip it.
    Skip(SkipReason),
}

/// Looks at the first bytes of the content (see [`open`]).
fn sniff(input: &InputSource, head: &[u8], options: &OpenOptions) -> Result<Content, InputError> {
    if head.starts_with(parquet::MAGIC) {
        return Ok(Content::Skip(SkipReason::Parquet));
    }
    if is_utf16(head) {
        let input = input.clone();
        return Err(InputError::Utf16 { input });
    }
    if framing::is_cloudtrail_digest(head) {
        return Ok(Content::Skip(SkipReason::CloudTrailDigest));
    }
    let shape = options.shape.unwrap_or_else(|| framing::detect_shape(head));
    let text_log = formats::detect(None, head).is_some();
    let starts_like_json = matches!(head.get(framing::skip_ws(head, 0)), Some(b'{' | b'['));
    if named_like_documentation(input)
        && !text_log
        && !starts_like_json
        && !holds_a_record(head, shape)
    {
        return Ok(Content::Skip(SkipReason::NotALog));
    }
    let sniffed = &head[..head.len().min(BINARY_SNIFF_BYTES)];
    let non_text = non_text_bytes(sniffed);
    if non_text > 0
        && non_text * 100 >= sniffed.len() * BINARY_PERCENT
        && !text_log
        && !holds_a_record(head, shape)
    {
        return Err(InputError::Binary {
            input: input.clone(),
            non_text,
            sniffed: sniffed.len(),
        });
    }
    Ok(Content::Records(shape))
}

/// How many bytes of `bytes` are not text: control bytes other than tab, line ends, form feed
/// and escape, and the bytes of invalid UTF-8 sequences.
fn non_text_bytes(bytes: &[u8]) -> usize {
    bytes
        .utf8_chunks()
        .map(|chunk| {
            let controls = chunk
                .valid()
                .bytes()
                .filter(|&b| {
                    (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b)) || b == 0x7f
                })
                .count();
            controls + chunk.invalid().len()
        })
        .sum()
}

/// Whether framing `head` as `shape` gives at least one good record.
fn holds_a_record(head: &[u8], shape: Shape) -> bool {
    framing::records(head, shape, Origin::START).any(|record| record.is_ok())
}

/// Whether `head` starts with a UTF-16 byte order mark, or its first 256 bytes have a NUL in
/// nearly every other byte and nearly none in the others (as ASCII text written in UTF-16).
fn is_utf16(head: &[u8]) -> bool {
    if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") {
        return true;
    }
    let pairs = &head[..head.len().min(256) & !1];
    let nul_at = |parity: usize| {
        pairs
            .iter()
            .skip(parity)
            .step_by(2)
            .filter(|&&b| b == 0)
            .count()
    };
    let (half, nul_even, nul_odd) = (pairs.len() / 2, nul_at(0), nul_at(1));
    let mostly = |n: usize| n * 10 >= half * 9;
    let rarely = |n: usize| n * 10 <= half;
    half >= 8 && ((mostly(nul_even) && rarely(nul_odd)) || (mostly(nul_odd) && rarely(nul_even)))
}

/// Whether an input's file name is that of documentation or metadata (`LICENSE`, `README.md`,
/// `notes.txt`, `info.yml`): such a file is skipped when its content does not look like a log.
fn named_like_documentation(input: &InputSource) -> bool {
    let InputSource::Path(path) = input else {
        return false;
    };
    let Some(name) = path
        .file_name()
        .map(|name| name.to_string_lossy().to_ascii_lowercase())
    else {
        return false;
    };
    const STEMS: &[&str] = &[
        "license",
        "licence",
        "copying",
        "notice",
        "readme",
        "changelog",
        "changes",
        "authors",
        "contributing",
        "security",
        "code_of_conduct",
    ];
    const EXTENSIONS: &[&str] = &[
        "md", "markdown", "rst", "txt", "yml", "yaml", "toml", "ini", "cfg", "html", "htm", "py",
        "sh", "pdf", "csv",
    ];
    let stem = name.split('.').next().unwrap_or_default();
    let extension = name.rsplit_once('.').map(|(_, extension)| extension);
    STEMS.iter().any(|known| stem.starts_with(known))
        || extension.is_some_and(|extension| EXTENSIONS.contains(&extension))
}
