//! Cutting messages into the calls of a batch API (SNS `PublishBatch`, EventBridge
//! `PutEvents`): at most so many entries, and so many bytes, per call.
//!
//! ```text
//! sizes 100 100 100 100 100, at most 2 entries and 250 bytes a call:  [100 100] [100 100] [100]
//! sizes 100 300 100,         at most 10 entries and 250 bytes a call: [100] [300] [100]
//! ```
//!
//! An entry over the byte limit on its own still goes, alone: the service refuses it, and
//! says why.

/// Cuts `items` into runs of at most `max_entries` items whose `size`s add up to at most
/// `max_bytes` (but never an empty run), in order.
pub(crate) fn batches<T>(
    items: &[T],
    max_entries: usize,
    max_bytes: usize,
    size: impl Fn(&T) -> usize,
) -> Vec<&[T]> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, item) in items.iter().enumerate() {
        let item_size = size(item);
        if i > start && (i - start == max_entries || bytes + item_size > max_bytes) {
            out.push(&items[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += item_size;
    }
    if start < items.len() {
        out.push(&items[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::batches;

    fn lengths(sizes: &[usize], entries: usize, bytes: usize) -> Vec<usize> {
        batches(sizes, entries, bytes, |&s| s)
            .iter()
            .map(|b| b.len())
            .collect()
    }

    #[test]
    fn runs_hold_so_many_entries_and_bytes_at_most() {
        assert_eq!(lengths(&[10; 25], 10, 1000), [10, 10, 5]);
        assert_eq!(lengths(&[100; 5], 10, 250), [2, 2, 1]);
        assert_eq!(lengths(&[100, 300, 100], 10, 250), [1, 1, 1]);
        assert!(lengths(&[], 10, 250).is_empty());
    }
}
