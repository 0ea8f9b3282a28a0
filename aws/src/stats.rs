//! What a read of S3 did, counted as it goes: for progress bars and `--stats`.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters shared by the listing and fetching tasks; read them at any time with
/// [`S3Stats::snapshot`].
#[derive(Debug, Default)]
pub struct S3Stats {
    list_requests: AtomicU64,
    objects_listed: AtomicU64,
    objects_skipped: AtomicU64,
    prefixes_pruned: AtomicU64,
    get_requests: AtomicU64,
    attempts: AtomicU64,
    resumed: AtomicU64,
    objects_done: AtomicU64,
    objects_failed: AtomicU64,
    bytes: AtomicU64,
}

/// The counters of [`S3Stats`] at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct S3Counts {
    /// `ListObjectsV2` requests made (one per page).
    pub list_requests: u64,
    /// Objects listed, read or not.
    pub objects_listed: u64,
    /// Objects listed but left unread by their key (digests, probe objects, out of range).
    pub objects_skipped: u64,
    /// Folders left unlisted: their account, region or dates are filtered out, or they hold
    /// digests.
    pub prefixes_pruned: u64,
    /// `GetObject` requests made (one per object, or per part of a large one).
    pub get_requests: u64,
    /// HTTP attempts of all requests, retries included.
    pub attempts: u64,
    /// Bodies that broke off and were resumed from where they broke.
    pub resumed: u64,
    /// Objects fetched whole.
    pub objects_done: u64,
    /// Objects that could not be fetched, or only partly.
    pub objects_failed: u64,
    /// Bytes received (compressed, as stored).
    pub bytes: u64,
}

impl S3Counts {
    /// Attempts beyond the first of each request: retries after throttling, server errors,
    /// timeouts and dropped connections.
    pub fn retries(&self) -> u64 {
        self.attempts
            .saturating_sub(self.list_requests + self.get_requests)
    }
}

macro_rules! counters {
    ($($name:ident => $field:ident),* $(,)?) => {
        impl S3Stats {
            $(
                pub(crate) fn $name(&self, n: u64) {
                    self.$field.fetch_add(n, Ordering::Relaxed);
                }
            )*

            /// The counters now.
            pub fn snapshot(&self) -> S3Counts {
                S3Counts {
                    $($field: self.$field.load(Ordering::Relaxed),)*
                }
            }
        }

        impl std::ops::AddAssign for S3Counts {
            fn add_assign(&mut self, other: S3Counts) {
                $(self.$field += other.$field;)*
            }
        }
    };
}

counters! {
    listed_page => list_requests,
    listed => objects_listed,
    skipped => objects_skipped,
    pruned => prefixes_pruned,
    get_request => get_requests,
    attempt => attempts,
    resume => resumed,
    done => objects_done,
    failed => objects_failed,
    received => bytes,
}
