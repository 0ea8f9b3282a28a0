//! A record as 64-byte blocks, the bitmask of where a byte occurs in a block, and which bytes
//! backslashes escape ([`Escapes`]): the first
//! step of the prefilter's string scan and escape check, and of framing's quick check of a
//! line's structure. Also the record lowercased ([`lowercase_into`]), which Teddy searches.
//!
//! A walk over a record's blocks ([`try_for_each_block`]) shows each block to a
//! [`BlockVisitor`], loaded for the widest SIMD level the CPU has (see `simd`): one 64-byte
//! comparison per mask with AVX-512, two with AVX2, four with SSE2 (the x86-64 baseline), and
//! bit tricks over eight 8-byte words on other CPUs. The level is chosen once per record, so
//! the visitor is compiled once per level, with that level's instructions.
//!
//! ```text
//! block  {"a":"b\"c"}...
//! '"'    0101010001010...   (bit i for byte i, written left to right)
//! ```

mod simd;

use simd::Level;
pub(crate) use simd::Simd;
#[cfg(test)]
pub(crate) use simd::testing::at_every_level;
#[cfg(target_arch = "x86_64")]
use simd::{Avx2, Avx512};
use std::ops::ControlFlow;

/// Bytes looked at together.
pub(crate) const BLOCK: usize = 64;

/// What visits the blocks of a record, in order.
pub(crate) trait BlockVisitor {
    /// Visits the block at `base` (the offset of its first byte in the record); breaks to stop
    /// the walk.
    fn visit<S: Simd>(&mut self, base: usize, block: &Block<'_, S>) -> ControlFlow<()>;
}

/// A block of a record: its bytes, and the same loaded for the masks of a SIMD level.
pub(crate) struct Block<'a, S: Simd> {
    /// The bytes (the last block of a record is padded with zero bytes).
    pub(crate) bytes: &'a [u8; BLOCK],
    loaded: S::Loaded,
    simd: S,
}

impl<S: Simd> Block<'_, S> {
    /// The bitmask of the bytes equal to `byte` (bit `i` for byte `i`).
    #[inline(always)]
    pub(crate) fn mask(&self, byte: u8) -> u64 {
        self.simd.mask(self.loaded, byte)
    }

    /// The bitmask of the bytes that are not ASCII.
    #[inline(always)]
    pub(crate) fn high_bits(&self) -> u64 {
        self.simd.high_bits(self.loaded)
    }

    /// Bit `i` of the result: the XOR of bits `0..=i` of `bits`.
    #[inline(always)]
    pub(crate) fn prefix_xor(&self, bits: u64) -> u64 {
        self.simd.prefix_xor(bits)
    }

    /// Writes the bytes to `out` with their ASCII capitals lowercased.
    #[inline(always)]
    pub(crate) fn store_lowercase(&self, out: &mut [u8; BLOCK]) {
        self.simd.store_lowercase(self.loaded, out);
    }
}

/// Replaces the bytes of `out` with those of `record`, ASCII capitals lowercased (as
/// [`<[u8]>::to_ascii_lowercase`](slice::to_ascii_lowercase) does): a block at a time, at the
/// widest SIMD level the CPU has.
pub(crate) fn lowercase_into(record: &[u8], out: &mut Vec<u8>) {
    /// Writes each block lowercased at its place in `out`, which is as long as the record.
    struct Lowercase<'a>(&'a mut [u8]);
    impl BlockVisitor for Lowercase<'_> {
        #[inline(always)]
        fn visit<S: Simd>(&mut self, base: usize, block: &Block<'_, S>) -> ControlFlow<()> {
            match self.0.get_mut(base..base + BLOCK) {
                Some(place) => block.store_lowercase(place.try_into().expect("a whole block")),
                None => {
                    let mut last = [0; BLOCK];
                    block.store_lowercase(&mut last);
                    let place = &mut self.0[base..];
                    place.copy_from_slice(&last[..place.len()]);
                }
            }
            ControlFlow::Continue(())
        }
    }
    out.clear();
    out.resize(record.len(), 0);
    let _ = try_for_each_block(record, &mut Lowercase(out));
}

/// Shows `visitor` each block of `record` in order, until it breaks, with the widest SIMD
/// level the CPU has ([`Level::best`]).
pub(crate) fn try_for_each_block(
    record: &[u8],
    visitor: &mut impl BlockVisitor,
) -> ControlFlow<()> {
    match Level::best() {
        // SAFETY: the level's value is the proof that the CPU has its instructions.
        #[cfg(target_arch = "x86_64")]
        Level::Avx512(simd) => unsafe { walk_avx512(simd, record, visitor) },
        // SAFETY: as above.
        #[cfg(target_arch = "x86_64")]
        Level::Avx2(simd) => unsafe { walk_avx2(simd, record, visitor) },
        #[cfg(target_arch = "x86_64")]
        Level::Sse2(simd) => walk(simd, record, visitor),
        #[cfg(any(test, not(target_arch = "x86_64")))]
        Level::Words(simd) => walk(simd, record, visitor),
    }
}

/// [`walk`] compiled with AVX-512.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,pclmulqdq")]
fn walk_avx512(simd: Avx512, record: &[u8], visitor: &mut impl BlockVisitor) -> ControlFlow<()> {
    walk(simd, record, visitor)
}

/// [`walk`] compiled with AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,pclmulqdq")]
fn walk_avx2(simd: Avx2, record: &[u8], visitor: &mut impl BlockVisitor) -> ControlFlow<()> {
    walk(simd, record, visitor)
}

/// Shows `visitor` each block of `record`, loaded with `simd`. Always inlined, so that the
/// visitor's code is compiled with the instructions of its caller ([`walk_avx2`] and
/// [`walk_avx512`]).
#[inline(always)]
fn walk<S: Simd>(simd: S, record: &[u8], visitor: &mut impl BlockVisitor) -> ControlFlow<()> {
    let mut visit = |base: usize, bytes: &[u8; BLOCK]| {
        let loaded = simd.load(bytes);
        visitor.visit(
            base,
            &Block {
                bytes,
                loaded,
                simd,
            },
        )
    };
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

#[cfg(test)]
mod tests {
    use super::*;

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
        /// The base, first byte, last byte and mask of `\x01` of each block.
        struct Seen(Vec<(usize, u8, u8, u64)>);
        impl BlockVisitor for Seen {
            fn visit<S: Simd>(&mut self, base: usize, block: &Block<'_, S>) -> ControlFlow<()> {
                let bytes = block.bytes;
                self.0
                    .push((base, bytes[0], bytes[BLOCK - 1], block.mask(1)));
                ControlFlow::Continue(())
            }
        }
        let record: Vec<u8> = (1..=150u8).collect();
        at_every_level(|| {
            let mut seen = Seen(Vec::new());
            let _ = try_for_each_block(&record, &mut seen);
            assert_eq!(
                seen.0,
                [(0, 1, 64, 1), (64, 65, 128, 0), (128, 129, 0, 0)],
                "{:?}",
                Level::best()
            );
        });
    }

    #[test]
    fn a_record_of_any_length_is_lowercased_at_every_level() {
        let mut random = crate::testing::random(11);
        let records: Vec<Vec<u8>> = (0..200)
            .map(|len| (0..len).map(|_| random(256) as u8).collect())
            .collect();
        at_every_level(|| {
            let mut out = b"left over".to_vec();
            for record in &records {
                lowercase_into(record, &mut out);
                assert_eq!(out, record.to_ascii_lowercase(), "{:?}", Level::best());
            }
        });
    }
}
