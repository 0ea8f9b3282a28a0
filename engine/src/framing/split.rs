//! Splitting NDJSON for threads: newline-aligned chunks, and cheap record counts.
//!
//! A big NDJSON buffer (a memory-mapped file, or a large block) is cut into a few chunks at
//! newlines, so that each chunk holds whole lines and can be framed on its own thread. To
//! number the records as if the buffer were framed in one piece, each chunk's [`Origin`](super::Origin) needs
//! the number of records in the chunks before it: [`count_records`] gives that without
//! framing, by looking at one byte of most lines.

use std::ops::Range;

use super::ndjson::is_record_line;
use super::scan::find_byte;

/// Splits `buf` into at most `parts` ranges (at least one unless `buf` is empty) that cover it
/// in order and each end just after a newline, or at the end of `buf`. Each is found as it is
/// asked for, reading only from about its end to the next newline: a caller can release the
/// memory of a mapped chunk before the next cut maps more of it in.
///
/// Chunks are about `buf.len() / parts` bytes; a line longer than that makes its chunk longer
/// (and there may be fewer chunks). `parts == 0` is taken as 1.
///
/// To frame the chunks on threads and still number records as a whole, give each chunk the
/// [`Origin`](super::Origin) that follows the records of the chunks before it:
///
/// ```
/// use rayon::prelude::*;
/// use sigil_engine::framing::{Origin, Shape, count_records, records, split_ndjson};
///
/// let log = b"{\"n\":1}\n\n{\"n\":2}\r\n{\"n\":3}\n  \n{\"n\":4}\n".repeat(1000);
/// let chunks: Vec<_> = split_ndjson(&log, 4).collect();
/// let counts: Vec<u64> = chunks.par_iter().map(|r| count_records(&log[r.clone()])).collect();
///
/// // Each chunk starts numbering after the records of the chunks before it.
/// let mut next = Origin::START.index;
/// let origins: Vec<Origin> = chunks.iter().zip(&counts).map(|(range, count)| {
///     let origin = Origin { index: next, offset: range.start as u64 };
///     next += count;
///     origin
/// }).collect();
///
/// let indices: Vec<u64> = chunks.par_iter().zip(&origins)
///     .flat_map_iter(|(range, &origin)| records(&log[range.clone()], Shape::Ndjson, origin))
///     .map(|record| record.unwrap().index)
///     .collect();
/// assert_eq!(indices, (1..=4000).collect::<Vec<u64>>());
/// ```
pub fn split_ndjson(buf: &[u8], parts: usize) -> impl Iterator<Item = Range<usize>> + '_ {
    let target = buf.len().div_ceil(parts.max(1)).max(1);
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= buf.len() {
            return None;
        }
        let cut = start + target - 1; // the chunk's last byte, if it were a newline
        let end = match buf.get(cut..).and_then(|rest| find_byte(b'\n', rest)) {
            Some(newline) => cut + newline + 1,
            None => buf.len(),
        };
        let chunk = start..end;
        start = end;
        Some(chunk)
    })
}

/// The number of records (good and bad) that NDJSON framing finds in `buf`: its lines that are
/// not blank or are longer than [`MAX_RECORD_BYTES`](super::MAX_RECORD_BYTES).
///
/// ```
/// use sigil_engine::framing::count_records;
/// assert_eq!(count_records(b"{}\n\n  \r\nnot json\n{}"), 3);
/// ```
pub fn count_records(buf: &[u8]) -> u64 {
    let mut count = 0;
    let mut start = 0;
    while start < buf.len() {
        let end = find_byte(b'\n', &buf[start..]).map_or(buf.len(), |n| start + n);
        count += u64::from(is_record_line(&buf[start..end]));
        start = end + 1;
    }
    count
}
