//! A record as 64-byte blocks, the bitmask of where a byte occurs in a block, and which bytes
//! backslashes escape ([`Escapes`]): the first
//! step of the prefilter's string scan and escape check, and of framing's quick check of a
//! line's structure.
//!
//! On x86-64 a mask takes four SSE2 comparisons (SSE2 is part of the baseline); elsewhere
//! eight 8-byte words are compared with bit tricks.
//!
//! ```text
//! block  {"a":"b\"c"}...
//! '"'    0101010001010...   (bit i for byte i, written left to right)
//! ```

use std::ops::ControlFlow;

/// Bytes looked at together.
pub(crate) const BLOCK: usize = 64;

/// Calls `visit(base, block)` for each block of `record` in order (`base` is the offset of its
/// first byte; the last is padded with zero bytes), until `visit` breaks.
pub(crate) fn try_for_each_block(
    record: &[u8],
    mut visit: impl FnMut(usize, &[u8; BLOCK]) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let mut blocks = record.chunks_exact(BLOCK);
    for (k, block) in (&mut blocks).enumerate() {
        visit(k * BLOCK, block.try_into().expect("a whole block"))?;
    }
    let rest = blocks.remainder();
    if rest.is_empty() {
        return ControlFlow::Continue(());
    }
    let mut padded = [0; BLOCK];
    padded[..rest.len()].copy_from_slice(rest);
    visit(record.len() - rest.len(), &padded)
}

/// Which bytes backslashes escape, block after block: in order, each backslash that is not
/// itself escaped escapes the next byte, which may be the first of the next block. That is the
/// rule of a JSON string, where a quote after an odd run of backslashes is escaped.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Escapes {
    /// Whether the first byte of the next block is escaped.
    carry: bool,
}

impl Escapes {
    /// The bytes of the next block that are escaped (bit `i` for byte `i`), given the block's
    /// backslashes.
    pub(crate) fn escaped(&mut self, backslashes: u64) -> u64 {
        let mut escaped = u64::from(std::mem::take(&mut self.carry));
        let mut rest = backslashes;
        while rest != 0 {
            let bit = rest.trailing_zeros();
            rest &= rest - 1;
            if escaped >> bit & 1 == 1 {
                continue;
            }
            match bit {
                63 => self.carry = true,
                _ => escaped |= 1 << (bit + 1),
            }
        }
        escaped
    }
}

/// The bitmask of the bytes of `block` equal to `byte` (bit `i` for byte `i`).
#[cfg(target_arch = "x86_64")]
pub(crate) fn mask(block: &[u8; BLOCK], byte: u8) -> u64 {
    // SAFETY: SSE2 is part of the x86-64 baseline, so the target feature is always there.
    unsafe { mask_sse2(block, byte) }
}

/// [`mask`] with SSE2: four 16-byte comparisons.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
fn mask_sse2(block: &[u8; BLOCK], byte: u8) -> u64 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };
    let needle = _mm_set1_epi8(byte as i8);
    let mut mask = 0;
    for (k, lane) in block.chunks_exact(16).enumerate() {
        // SAFETY: `lane` is 16 readable bytes, and the load does not need them aligned.
        let bytes = unsafe { _mm_loadu_si128(lane.as_ptr().cast::<__m128i>()) };
        let bits = _mm_movemask_epi8(_mm_cmpeq_epi8(bytes, needle)) as u16;
        mask |= u64::from(bits) << (16 * k);
    }
    mask
}

/// [`mask`] without SIMD instructions: eight bytes at a time in a `u64`.
#[cfg(any(test, not(target_arch = "x86_64")))]
fn mask_portable(block: &[u8; BLOCK], byte: u8) -> u64 {
    const LOW: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let mut mask = 0;
    for (k, chunk) in block.chunks_exact(8).enumerate() {
        let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let x = word ^ (u64::from(byte) * 0x0101_0101_0101_0101);
        // The high bit of each byte that is zero in `x`, exactly (no carry between bytes),
        // then the eight high bits gathered into the top byte.
        let zero = !(((x & LOW) + LOW) | x | LOW);
        mask |= (zero.wrapping_mul(0x0002_0408_1020_4081) >> 56) << (8 * k);
    }
    mask
}

#[cfg(not(target_arch = "x86_64"))]
pub(crate) use mask_portable as mask;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_masks_agree() {
        let mut block = [0u8; BLOCK];
        let mut next = crate::testing::random(7);
        for _ in 0..2000 {
            for byte in &mut block {
                *byte = [b'"', b'\\', b'a', 0xa2, 0x02, 0][next(6)];
            }
            for byte in [b'"', b'\\', b'a', 0] {
                assert_eq!(mask(&block, byte), mask_portable(&block, byte), "{block:?}");
            }
        }
    }

    #[test]
    fn an_odd_run_of_backslashes_escapes_the_next_byte_across_blocks() {
        let mut escapes = Escapes::default();
        // Bytes 0-1 `\\`, 5-7 `\\\`, and a backslash ending the block.
        let backslashes = 0b11 | 0b111 << 5 | 1 << 63;
        assert_eq!(escapes.escaped(backslashes), 1 << 1 | 1 << 6 | 1 << 8);
        assert_eq!(escapes.escaped(0), 1);
        // A backslash escaped from the block before escapes nothing itself.
        assert_eq!(escapes.escaped(1 << 63), 0);
        assert_eq!(escapes.escaped(1), 1);
    }

    #[test]
    fn blocks_cover_the_record_once_and_pad_the_last() {
        let record: Vec<u8> = (1..=150u8).collect();
        let mut seen = Vec::new();
        let _ = try_for_each_block(&record, |base, block| {
            seen.push((base, block[0], block[BLOCK - 1]));
            ControlFlow::Continue(())
        });
        assert_eq!(seen, [(0, 1, 64), (64, 65, 128), (128, 129, 0)]);
    }
}
