//! A 100 MB line in a stream is skipped with a reason, never held whole, and the records after
//! it still come. Alone in its test binary, so that the allocation high-water mark measured by
//! the counting allocator below belongs to this test only.

#[path = "engine/support/input.rs"]
#[allow(dead_code)] // this binary uses one function of the shared helpers
mod input_support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};

use input_support::read_stream;
use sigil_engine::framing::{BadReason, MAX_RECORD_BYTES};
use sigil_engine::input::{BLOCK_BYTES, OpenOptions};

/// The system allocator, keeping track of the bytes in use and their peak.
struct Counting;

static IN_USE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = IN_USE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const LINE: usize = 100_000_000;

#[test]
fn a_100_mb_line_is_skipped_without_being_buffered() {
    let head = b"{\"n\":1}\n{\"big\":\"".to_vec();
    let body = std::io::repeat(b'x').take((LINE - 10) as u64);
    let tail = b"\"}\r\n{\"n\":2}\n\n{\"n\":3}\n".to_vec();
    let stream = std::io::Cursor::new(head)
        .chain(body)
        .chain(std::io::Cursor::new(tail));

    let before = IN_USE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let outcome = read_stream(stream, &OpenOptions::default());
    let peak = PEAK.load(Ordering::Relaxed) - before;

    assert_eq!(outcome.bad.len(), 1, "{:?}", outcome.bad);
    let bad = &outcome.bad[0];
    assert_eq!((bad.index, bad.offset), (2, 8));
    assert_eq!(
        bad.reason,
        BadReason::TooLarge {
            len: LINE as u64 + 1,
            limit: MAX_RECORD_BYTES as u64
        }
    );
    let after: Vec<(u64, u64)> = outcome.records.iter().map(|r| (r.0, r.1)).collect();
    let next = 8 + LINE as u64 + 2;
    assert_eq!(after, [(1, 0), (3, next), (4, next + 9)]);
    assert!(outcome.errors.is_empty());
    assert!(
        peak < 3 * (MAX_RECORD_BYTES + BLOCK_BYTES),
        "peak allocation {peak} bytes: the line was buffered"
    );
}
