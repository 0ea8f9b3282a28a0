//! Helpers shared by the crate's unit tests.

/// A pseudo-random `next(n)` in `0..n` (an LCG from `seed`), the same each run: for the
/// randomized tests.
pub(crate) fn random(mut state: u64) -> impl FnMut(usize) -> usize {
    move |n| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize % n
    }
}
