//! Cutting messages into the calls of a batch API (SNS `PublishBatch`, EventBridge
//! `PutEvents`, Security Hub `BatchImportFindings`): at most so many entries, and so many
//! bytes, per call; and sending again the entries a call refused for a passing reason
//! ([`until_taken`]).
//!
//! ```text
//! sizes 100 100 100 100 100, at most 2 entries and 250 bytes a call:  [100 100] [100 100] [100]
//! sizes 100 300 100,         at most 10 entries and 250 bytes a call: [100] [300] [100]
//! ```
//!
//! An entry over the byte limit on its own still goes, alone: the service refuses it, and
//! says why.

use crate::client::RequestError;
use std::time::Duration;

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

/// An entry a batch call refused, with the service's error code and message.
pub(crate) struct Refusal<'a, T> {
    /// The entry.
    pub item: &'a T,
    /// The error code (`ThrottlingException`, `InvalidInput`...).
    pub code: String,
    /// The service's words.
    pub message: String,
}

/// How many times entries refused for a passing reason are sent again.
const RETRIES: u32 = 4;

/// Sends `items` with `send` (one call of a batch API, which answers with the entries it
/// refused), sending again those refused for a passing reason (throttling, an internal
/// error), at most [`RETRIES`] times with backoff. An entry refused for good, or still
/// refused after that, fails the whole, named by `name`, with the service's code and words.
pub(crate) async fn until_taken<'a, T, F, Fut>(
    items: &'a [T],
    name: impl Fn(&T) -> String,
    mut send: F,
) -> Result<(), RequestError>
where
    F: FnMut(Vec<&'a T>) -> Fut,
    Fut: Future<Output = Result<Vec<Refusal<'a, T>>, RequestError>>,
{
    let mut pending: Vec<&T> = items.iter().collect();
    for attempt in 0..=RETRIES {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
        }
        let refused = send(pending).await?;
        if let Some(lasting) = refused.iter().find(|r| !passing(&r.code)) {
            return Err(RequestError {
                code: Some(lasting.code.clone()),
                message: format!(
                    "{} was refused: {}: {}",
                    name(lasting.item),
                    lasting.code,
                    lasting.message
                ),
            });
        }
        if refused.is_empty() {
            return Ok(());
        }
        pending = refused.into_iter().map(|r| r.item).collect();
    }
    Err(RequestError {
        code: None,
        message: format!("entries still refused after {RETRIES} retries"),
    })
}

/// Whether an entry's error code is a passing one, worth sending the entry again.
fn passing(code: &str) -> bool {
    matches!(
        code,
        "ThrottlingException"
            | "TooManyRequestsException"
            | "LimitExceededException"
            | "InternalException"
            | "InternalFailure"
            | "ServiceUnavailable"
    )
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
