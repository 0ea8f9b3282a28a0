//! Opening an input: decompression by magic bytes, the memory-map policy, content sniffing.
//!
//! ```text
//! file ──first 4 bytes──▶ codec ──plain + policy says map──▶ Mmap ────────────┐
//!                           │                                                  ├─▶ sniff head ─▶ Blocks
//!                           └─gzip / zstd / no map─▶ [decoder] ─▶ Stream ──────┘     │
//!                                                                                    └─▶ Skipped
//! ```
//!
//! The sniff looks at the first [`HEAD_BYTES`] of the (decompressed) content, after a UTF-8
//! byte order mark if there is one: Parquet magic and CloudTrail digests make the input
//! [`Opened::Skipped`], a NUL byte in the first [`BINARY_SNIFF_BYTES`] makes it an
//! [`InputError::Binary`], and anything else gets its [`Shape`] detected (unless forced).

use std::fs::File;
use std::io::{self, Read};

use memmap2::Mmap;

use super::blocks::{Blocks, Stream};
use super::{Codec, HEAD_BYTES, InputError, InputSource, SkipReason};
use crate::framing::{self, Shape};

/// How much of the content is searched for NUL bytes to tell binary files from logs. JSON text
/// never holds a raw NUL, but a damaged log may have some further on: those are bad records,
/// not a reason to refuse the whole file.
const BINARY_SNIFF_BYTES: usize = 8 << 10;

/// The UTF-8 byte order mark, ignored at the start of the content.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// How to open inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenOptions {
    /// Allow memory-mapping plain files (default `true`). A driver turns it off where reading
    /// is the better trade, for instance over many small files, where mapping and unmapping
    /// cost more than a read. When maps are used, and when not, is decided in one place: the
    /// private `map_plain` function of this module.
    pub mmap: bool,
    /// Frame every input as this shape instead of detecting it (`--format`).
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
/// gzip and zstd are recognised by their magic bytes, whatever the file is called. Plain
/// files are memory-mapped or read as [`OpenOptions::mmap`] allows. Then the first 64 KiB of
/// the (decompressed) content, after a UTF-8 byte order mark if there is one, are sniffed:
/// Parquet magic (`PAR1`) and CloudTrail digests make the input [`Opened::Skipped`], a NUL
/// byte in the first 8 KiB makes it an [`InputError::Binary`], and anything else gets its
/// [`Shape`] detected (see [`detect_shape`](framing::detect_shape)) unless one is forced.
///
/// Errors here concern opening only; errors met while reading come from [`Blocks`].
pub fn open(input: &InputSource, options: &OpenOptions) -> Result<Opened, InputError> {
    let path = match input {
        InputSource::Path(path) => path,
        InputSource::Stdin => return open_reader(input.clone(), io::stdin(), options),
        InputSource::Url(_) => {
            return Err(InputError::Io {
                input: input.clone(),
                error: io::Error::new(
                    io::ErrorKind::Unsupported,
                    "an object is read through its source, not opened by name",
                ),
            });
        }
    };
    let io_error = |error| InputError::Io {
        input: input.clone(),
        error,
    };
    let mut file = File::open(path).map_err(io_error)?;
    let magic = read_magic(&mut file).map_err(io_error)?;
    let codec = Codec::sniff(&magic);
    match map_plain(&file, codec, options) {
        Some(map) => from_map(input.clone(), map, options),
        None => from_stream(
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
    let magic = read_magic(&mut reader).map_err(|error| InputError::Io {
        input: input.clone(),
        error,
    })?;
    let codec = Codec::sniff(&magic);
    from_stream(input, codec, io::Cursor::new(magic).chain(reader), options)
}

/// The memory-map policy: the map of `file` if it should be read through one, `None` to
/// stream it with reads instead.
///
/// A file is mapped when all of these hold:
/// - `options.mmap` is on (see [`OpenOptions::mmap`]);
/// - its content is not compressed: a decoder reads its input front to back once, so a map
///   brings nothing over buffered reads;
/// - it is a regular, non-empty file: FIFOs, devices and `/dev/stdin` cannot be mapped, and
///   mapping zero bytes fails on some systems;
/// - mapping succeeds (it can fail, for instance on some network filesystems or when address
///   space runs out); a failure is not an error, the file is read instead.
///
/// A mapped file that another process truncates while it is being read makes this process
/// fault (SIGBUS). Log archives are written once and not modified, so this is the trade taken,
/// as ripgrep does; turn maps off to read files that are still being written.
fn map_plain(file: &File, codec: Codec, options: &OpenOptions) -> Option<Mmap> {
    if !options.mmap || codec != Codec::Plain {
        return None;
    }
    let meta = file.metadata().ok()?;
    if !meta.is_file() || meta.len() == 0 {
        return None;
    }
    // SAFETY: the map is only read, and its bytes are treated as untrusted input; the one
    // hazard, the file being truncated under the map, is documented above.
    unsafe { Mmap::map(file) }.ok()
}

/// Reads the first four bytes of `reader` (fewer if it is shorter), enough to tell codecs
/// apart, looping over short reads (pipes deliver what they have).
fn read_magic(reader: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut magic = Vec::with_capacity(4);
    reader.take(4).read_to_end(&mut magic)?;
    Ok(magic)
}

/// Opens a memory-mapped plain file.
fn from_map(input: InputSource, map: Mmap, options: &OpenOptions) -> Result<Opened, InputError> {
    let start = if map.starts_with(BOM) { BOM.len() } else { 0 };
    let head = &map[start..map.len().min(start + HEAD_BYTES)];
    Ok(match sniff(&input, head, start, options)? {
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
        Codec::Zstd => Box::new(zstd::Decoder::new(raw).map_err(|error| InputError::Io {
            input: input.clone(),
            error,
        })?),
    };
    let mut stream = Stream::new(input.clone(), codec, reader);
    stream.fill(HEAD_BYTES);
    if stream.pending().starts_with(BOM) {
        stream.drop_front(BOM.len());
        stream.fill(HEAD_BYTES);
    }
    let start = stream.offset() as usize;
    Ok(match sniff(&input, stream.pending(), start, options)? {
        Content::Records(shape) => Opened::Blocks(Blocks::streamed(stream, shape)),
        Content::Skip(reason) => Opened::Skipped(reason),
    })
}

/// What the first bytes of an input's content say about it.
enum Content {
    /// Frame it as this shape.
    Records(Shape),
    /// Skip it.
    Skip(SkipReason),
}

/// Looks at the first bytes of the content, which start at `offset` in the stream.
fn sniff(
    input: &InputSource,
    head: &[u8],
    offset: usize,
    options: &OpenOptions,
) -> Result<Content, InputError> {
    if head.starts_with(b"PAR1") {
        return Ok(Content::Skip(SkipReason::Parquet));
    }
    if let Some(at) = framing::find_byte(0, &head[..head.len().min(BINARY_SNIFF_BYTES)]) {
        return Err(InputError::Binary {
            input: input.clone(),
            offset: (offset + at) as u64,
        });
    }
    if framing::is_cloudtrail_digest(head) {
        return Ok(Content::Skip(SkipReason::CloudTrailDigest));
    }
    Ok(Content::Records(
        options.shape.unwrap_or_else(|| framing::detect_shape(head)),
    ))
}
