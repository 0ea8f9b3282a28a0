//! Standard input as a source: each read is scanned as it arrives, so a slow producer sees a
//! match as soon as its record's line is complete.

use crate::scan::{FeedId, Job};
use sigil_engine::InputSource;
use std::io::Read;
use tokio::sync::mpsc;

/// The most bytes read at once.
const READ_BYTES: usize = 64 << 10;

/// Reads `input` (stdin) until it ends, sending its bytes as they come as feed `feed`; a read
/// error ends it as its end would (the error is returned for a notice).
pub fn run(mut input: impl Read, feed: FeedId, jobs: mpsc::Sender<Job>) -> std::io::Result<()> {
    let open = Job::Open {
        feed,
        source: InputSource::Stdin,
        file: None,
    };
    if jobs.blocking_send(open).is_err() {
        return Ok(());
    }
    let mut buf = vec![0; READ_BYTES];
    let result = loop {
        match input.read(&mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => {
                let bytes = buf[..n].to_vec();
                if jobs.blocking_send(Job::Bytes { feed, bytes }).is_err() {
                    return Ok(());
                }
            }
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => break Err(error),
        }
    };
    let _ = jobs.blocking_send(Job::End { feed });
    result
}
