//! Blocks: an opened input's content, delivered in pieces that hold whole records.
//!
//! How streams are cut into blocks is documented on [`Blocks`].

use std::io::{self, Read};

use super::guard::GuardedMap;
use super::{Codec, InputError, InputSource};
use crate::framing::{
    self, BadReason, BadRecord, Cut, MAX_RECORD_BYTES, Origin, Records, Resume, Shape, Walk,
    count_records,
};

/// The size of the blocks NDJSON streams are read in (2 MiB), before cutting at a newline.
pub const BLOCK_BYTES: usize = 2 << 20;

/// The largest document read whole (1 GiB): a streamed document (an envelope, an array,
/// concatenated objects) is read in blocks cut between records, but one whose single record
/// does not end within [`MAX_RECORD_BYTES`] plus a block is read whole, up to this. Memory-mapped
/// files have no such limit, as their bytes are not copied.
pub const MAX_DOCUMENT_BYTES: usize = 1 << 30;

/// A piece of an input that holds whole records, and where it starts.
///
/// Blocks own their bytes (or the file's memory map) and are `Send`, so a driver can read them
/// on one thread and frame them on others.
#[derive(Debug)]
pub struct Block {
    data: Data,
    shape: Shape,
    origin: Origin,
}

#[derive(Debug)]
enum Data {
    Mapped { map: GuardedMap, start: usize },
    Owned(Vec<u8>),
}

impl Block {
    /// The block's bytes.
    pub fn bytes(&self) -> &[u8] {
        match &self.data {
            Data::Mapped { map, start } => &map.bytes()[*start..],
            Data::Owned(bytes) => bytes,
        }
    }

    /// How the block's records are laid out.
    pub fn shape(&self) -> Shape {
        self.shape
    }

    /// The number of the block's first record and the stream offset of its first byte.
    pub fn origin(&self) -> Origin {
        self.origin
    }

    /// Maps `range` of a memory-mapped block (offsets into [`Block::bytes`]) into this
    /// process in one call before it is scanned (`MADV_POPULATE_READ`), instead of one page
    /// fault per few pages as the scan first touches them. Best effort: kernels before 5.14
    /// refuse it and the pages fault in as before. Owned blocks ignore it.
    pub fn populate(&self, range: std::ops::Range<usize>) {
        if let Data::Mapped { map, start } = &self.data {
            let _ = map.map().advise_range(
                memmap2::Advice::PopulateRead,
                start + range.start,
                range.len(),
            );
        }
    }

    /// Tells the system that `range` of the block (offsets into [`Block::bytes`]) has been
    /// scanned: the pages of a memory-mapped block are dropped from this process's memory (they
    /// stay in the page cache, and are read again from it if touched). This keeps the resident
    /// size of a hunt bounded however large the mapped files are. Owned blocks ignore it.
    pub fn release(&self, range: std::ops::Range<usize>) {
        if let Data::Mapped { map, start } = &self.data {
            let page = 4096;
            // Only whole pages inside the range: a page shared with a neighbouring chunk may
            // still be in use by another thread.
            let first = (start + range.start).div_ceil(page) * page;
            let last = (start + range.end) / page * page;
            if last > first {
                // SAFETY: the map is a read-only mapping of a file. `DontNeed` only drops pages
                // from this process; any later access faults them in again from the file, so no
                // byte seen through `bytes()` can change.
                let _ = unsafe {
                    map.map().unchecked_advise_range(
                        memmap2::UncheckedAdvice::DontNeed,
                        first,
                        last - first,
                    )
                };
            }
        }
    }

    /// Whether the file of a memory-mapped block shrank while it was read (truncated, or
    /// rotated with `copytruncate`): bytes read from past its new end were zeros, so what was
    /// made of the block's bytes since then is not to be trusted. A reader checks this after
    /// scanning a range of the block, and if it is true, discards what it made of that range
    /// and reports [`Block::shrink_error`]. Owned blocks never shrink.
    ///
    /// The check is one atomic load; a range scanned wholly before the file shrank is sound
    /// (its check came before the fault), a range checked after it is discarded, even if its
    /// own bytes were intact.
    pub fn shrunk(&self) -> bool {
        matches!(&self.data, Data::Mapped { map, .. } if map.shrunk())
    }

    /// Whether the block [`shrunk`](Block::shrunk), or the file of a memory-mapped block is now
    /// shorter than its map, asked of the file (a system call; the block is then marked
    /// shrunk): for bytes of the block that the kernel reads, as when a batch is written from
    /// them, where a shrink raises no fault to tell.
    pub fn shrunk_now(&self) -> bool {
        matches!(&self.data, Data::Mapped { map, .. } if map.shrunk_now())
    }

    /// Whether the block is a memory map of its file (which may shrink under it).
    pub fn is_mapped(&self) -> bool {
        matches!(&self.data, Data::Mapped { .. })
    }

    /// The error to report for a block that [`shrunk`](Block::shrunk), the first time it is
    /// asked for (`None` after that, and for blocks that did not shrink): one error per file.
    pub fn shrink_error(&self, input: &InputSource) -> Option<InputError> {
        let Data::Mapped { map, .. } = &self.data else {
            return None;
        };
        map.take_shrink_report().then(|| InputError::Shrank {
            input: input.clone(),
            mapped: map.bytes().len() as u64,
            now: map.current_len(),
        })
    }

    /// Frames the block's records (see [`framing::records`]).
    pub fn records(&self) -> Records<'_> {
        framing::records(self.bytes(), self.shape, self.origin)
    }
}

#[cfg(test)]
impl Block {
    /// A block owning `bytes`, NDJSON from the start of a stream.
    pub(crate) fn of_bytes(bytes: Vec<u8>) -> Block {
        Block {
            data: Data::Owned(bytes),
            shape: Shape::Ndjson,
            origin: Origin::START,
        }
    }
}

/// Why [`Blocks`] could not deliver a block.
#[derive(Debug, thiserror::Error)]
pub enum BlockError {
    /// An NDJSON line too long to read was skipped; the next blocks follow.
    #[error(transparent)]
    Record(BadRecord),
    /// Reading the input failed; no blocks follow.
    #[error(transparent)]
    Input(InputError),
}

/// The blocks of an opened input, in order.
///
/// A memory-mapped file is a single block. A stream (a compressed file, stdin, a file read
/// without a map) is read as follows:
///
/// - NDJSON is cut into blocks of about [`BLOCK_BYTES`], each ending at a newline; the bytes
///   after the last newline wait for the next block. Each block knows the number of its first
///   record (counted with [`count_records`]) and its offset in the stream. A line longer than
///   [`MAX_RECORD_BYTES`] is never held whole: once it is known to be too long, the rest of it
///   is read and dropped, and it is reported as a [`BadRecord`] in its place. Memory therefore
///   stays below about `MAX_RECORD_BYTES + BLOCK_BYTES` per stream.
/// - The other shapes (a CloudTrail envelope, an array, concatenated objects) are read in
///   blocks of about [`BLOCK_BYTES`] too, each cut after a complete record: inside the
///   envelope's `Records` array, or between documents. A block that starts inside the array
///   is given the envelope's opening (`{"Records":[`, or `[`) before its bytes, and one that
///   ends inside it the closing (`]}`, or `]`) after them, so that each block frames on its
///   own; its origin's offset is moved back by the opening's length, so that records carry
///   their offsets, and numbers, as if the document were framed in one piece. Memory is then
///   bounded by a block and the largest record, however large the document. A record that
///   does not end within [`MAX_RECORD_BYTES`] plus a block makes the rest of the document be
///   read whole, up to [`MAX_DOCUMENT_BYTES`], what lies beyond being reported as an
///   [`InputError`]; so does a document whose outer structure is broken (framing stops there).
///
/// ```text
/// stream:  {..}\n{..}\n{.. | ..}\n{..}\n .. 100 MiB line .. \n{..}\n
///          block 1 (records 1-3) | block 2 (records 3..) | BadRecord TooLarge | block 3
/// ```
///
/// When reading fails midway (a truncated gzip file, a corrupt zstd frame, an I/O error), the
/// bytes read before the failure are still delivered, the last partial line included (framing
/// reports it as unbalanced), and the error comes after them; then the blocks end.
#[derive(Debug)]
pub struct Blocks {
    shape: Shape,
    state: State,
}

#[derive(Debug)]
enum State {
    Ready(Block),
    Streamed(Stream),
    Done,
}

impl Blocks {
    /// The blocks of a memory-mapped file whose content starts at `map[start]`.
    pub(super) fn mapped(map: GuardedMap, start: usize, shape: Shape) -> Blocks {
        let origin = Origin {
            index: 1,
            offset: start as u64,
        };
        let block = Block {
            data: Data::Mapped { map, start },
            shape,
            origin,
        };
        Blocks {
            shape,
            state: State::Ready(block),
        }
    }

    /// The blocks of a stream.
    pub(super) fn streamed(stream: Stream, shape: Shape) -> Blocks {
        Blocks {
            shape,
            state: State::Streamed(stream),
        }
    }

    /// How the input's records are laid out, detected or forced.
    pub fn shape(&self) -> Shape {
        self.shape
    }

    /// Takes the one block of a memory-mapped input, so that a driver can cut it into chunks
    /// for several threads (the blocks are then empty); `None`, leaving the blocks as they
    /// are, when the input is streamed.
    pub fn take_mapped(&mut self) -> Option<Block> {
        match std::mem::replace(&mut self.state, State::Done) {
            State::Ready(block) if matches!(block.data, Data::Mapped { .. }) => Some(block),
            state => {
                self.state = state;
                None
            }
        }
    }
}

impl Iterator for Blocks {
    type Item = Result<Block, BlockError>;

    fn next(&mut self) -> Option<Self::Item> {
        match std::mem::replace(&mut self.state, State::Done) {
            State::Ready(block) => Some(Ok(block)),
            State::Streamed(mut stream) => {
                let item = stream.next_block(self.shape);
                if let Some(Ok(_) | Err(BlockError::Record(_))) = item {
                    self.state = State::Streamed(stream);
                }
                item
            }
            State::Done => None,
        }
    }
}

/// A stream being read into blocks.
pub(super) struct Stream {
    input: InputSource,
    codec: Codec,
    reader: Box<dyn Read + Send>,
    /// Bytes read and not yet delivered; for NDJSON they start at the start of a line.
    pending: Vec<u8>,
    /// The stream offset of `pending[0]`.
    offset: u64,
    /// The number of the first record in `pending`.
    next_index: u64,
    eof: bool,
    /// The read error met, reported once the bytes before it are delivered.
    failure: Option<InputError>,
    /// For a document read in blocks: where the pending bytes start in its structure.
    resume: Resume,
    /// For a document: read the rest whole (see [`MAX_DOCUMENT_BYTES`]).
    whole: bool,
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream")
            .field("input", &self.input)
            .field("codec", &self.codec)
            .field("offset", &self.offset)
            .field("pending", &self.pending.len())
            .finish_non_exhaustive()
    }
}

impl Stream {
    pub(super) fn new(input: InputSource, codec: Codec, reader: Box<dyn Read + Send>) -> Stream {
        Stream {
            input,
            codec,
            reader,
            pending: Vec::new(),
            offset: 0,
            next_index: 1,
            eof: false,
            failure: None,
            resume: Resume::Top,
            whole: false,
        }
    }

    /// The bytes read and not yet delivered.
    pub(super) fn pending(&self) -> &[u8] {
        &self.pending
    }

    /// Reads until `len` bytes are pending, or the stream ends or fails.
    pub(super) fn fill(&mut self, len: usize) {
        if self.ended() || self.pending.len() >= len {
            return;
        }
        let want = len - self.pending.len();
        self.pending.reserve(want);
        match (&mut self.reader)
            .take(want as u64)
            .read_to_end(&mut self.pending)
        {
            Ok(read) if read < want => self.eof = true,
            Ok(_) => {}
            Err(error) => self.failure = Some(self.read_error(error)),
        }
    }

    /// Drops the first `len` pending bytes.
    pub(super) fn drop_front(&mut self, len: usize) {
        self.pending.drain(..len);
        self.offset += len as u64;
    }

    /// Whether nothing more can be read.
    fn ended(&self) -> bool {
        self.eof || self.failure.is_some()
    }

    /// The error for a failed read, after the bytes already pending.
    fn read_error(&self, error: io::Error) -> InputError {
        let input = self.input.clone();
        let output = self.offset + self.pending.len() as u64;
        match (self.codec, error.kind()) {
            (Codec::Plain, _) => InputError::Io { input, error },
            (codec, io::ErrorKind::UnexpectedEof) => InputError::Truncated {
                input,
                codec,
                output,
            },
            (
                codec,
                io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData | io::ErrorKind::Other,
            ) => InputError::Corrupt {
                input,
                codec,
                output,
                error,
            },
            _ => InputError::Io { input, error },
        }
    }

    /// The next block of the stream, or the error that ended it.
    fn next_block(&mut self, shape: Shape) -> Option<Result<Block, BlockError>> {
        if shape.needs_whole_document() {
            return self.next_document_block(shape);
        }
        loop {
            self.fill(BLOCK_BYTES);
            if let Some(newline) = framing::rfind_byte(b'\n', &self.pending) {
                return self.deliver(newline + 1, shape);
            }
            if self.ended() {
                return self
                    .deliver(self.pending.len(), shape)
                    .or_else(|| self.finish());
            }
            // All pending bytes are the start of one line: read on until it ends, up to the limit.
            if self.pending.len() > MAX_RECORD_BYTES {
                return Some(Err(BlockError::Record(self.skip_long_line())));
            }
            self.fill((self.pending.len() + BLOCK_BYTES).min(MAX_RECORD_BYTES + 1));
        }
    }

    /// The next block of a document (see [`Blocks`]), or the error that ended it.
    fn next_document_block(&mut self, shape: Shape) -> Option<Result<Block, BlockError>> {
        let mut want = BLOCK_BYTES;
        while !self.whole {
            self.fill(want);
            if self.ended() {
                break;
            }
            match framing::last_cut(&self.pending, shape, self.resume) {
                Walk::Cut(cut) => return self.deliver_piece(shape, Some(cut)),
                Walk::NeedMore if self.pending.len() < MAX_RECORD_BYTES + BLOCK_BYTES => {
                    want = self.pending.len() + BLOCK_BYTES;
                }
                Walk::NeedMore | Walk::Broken => self.whole = true,
            }
        }
        if self.whole {
            self.fill(MAX_DOCUMENT_BYTES + 1);
            if self.pending.len() > MAX_DOCUMENT_BYTES {
                self.pending.truncate(MAX_DOCUMENT_BYTES);
                let (input, limit) = (self.input.clone(), MAX_DOCUMENT_BYTES as u64);
                self.failure
                    .get_or_insert(InputError::DocumentTooLarge { input, limit });
            }
        }
        if self.pending.is_empty() && self.resume == Resume::Top {
            return self.finish();
        }
        // Inside the array of records, even with nothing left: framing reports the cut.
        self.deliver_piece(shape, None)
    }

    /// Delivers the pending bytes of a document up to `cut` (all of them when `None`) as a
    /// block that frames on its own: with the envelope's (or array's) opening before them if
    /// they start inside its array of records, and its closing after them if they end inside
    /// it.
    fn deliver_piece(
        &mut self,
        shape: Shape,
        cut: Option<Cut>,
    ) -> Option<Result<Block, BlockError>> {
        let inside = |resume| match (resume, shape) {
            (Resume::Elements, Shape::Envelope) => (&b"{\"Records\":["[..], &b"]}"[..]),
            (Resume::Elements, _) => (&b"["[..], &b"]"[..]),
            (Resume::Top, _) => (&b""[..], &b""[..]),
        };
        let (opening, _) = inside(self.resume);
        let (_, closing) = inside(cut.map_or(Resume::Top, |cut| cut.resume));
        let len = cut.map_or(self.pending.len(), |cut| cut.end);
        let mut bytes = Vec::with_capacity(opening.len() + len + closing.len());
        bytes.extend_from_slice(opening);
        bytes.extend_from_slice(&self.pending[..len]);
        bytes.extend_from_slice(closing);
        self.pending.drain(..len);
        let origin = Origin {
            index: self.next_index,
            offset: self.offset.saturating_sub(opening.len() as u64),
        };
        self.next_index += cut.map_or(0, |cut| cut.records);
        self.offset += len as u64;
        self.resume = cut.map_or(Resume::Top, |cut| cut.resume);
        Some(Ok(Block {
            data: Data::Owned(bytes),
            shape,
            origin,
        }))
    }

    /// Delivers the first `len` pending bytes as a block, unless there are none.
    fn deliver(&mut self, len: usize, shape: Shape) -> Option<Result<Block, BlockError>> {
        if len == 0 {
            return None;
        }
        let rest = self.pending[len..].to_vec();
        let mut bytes = std::mem::replace(&mut self.pending, rest);
        bytes.truncate(len);
        let origin = Origin {
            index: self.next_index,
            offset: self.offset,
        };
        self.next_index += count_records(&bytes);
        self.offset += len as u64;
        Some(Ok(Block {
            data: Data::Owned(bytes),
            shape,
            origin,
        }))
    }

    /// The error that ended the stream, once.
    fn finish(&mut self) -> Option<Result<Block, BlockError>> {
        self.eof = true; // a failed reader is not read again
        self.failure
            .take()
            .map(|error| Err(BlockError::Input(error)))
    }

    /// Reads past the line that starts the pending bytes, holding at most a block of it at a
    /// time, and reports it as too large.
    fn skip_long_line(&mut self) -> BadRecord {
        let (index, start) = (self.next_index, self.offset);
        self.next_index += 1;
        let len = loop {
            if let Some(newline) = framing::find_byte(b'\n', &self.pending) {
                self.drop_front(newline + 1);
                break self.offset - start - 1;
            }
            self.drop_front(self.pending.len());
            if self.ended() {
                break self.offset - start;
            }
            self.fill(BLOCK_BYTES);
        };
        let reason = BadReason::TooLarge {
            len,
            limit: MAX_RECORD_BYTES as u64,
        };
        BadRecord {
            index,
            offset: start,
            reason,
        }
    }
}
