//! The ways a block's bitmasks (and its lowercased bytes) are computed, one per instruction set,
//! and the best one the CPU has ([`Level::best`]), detected once at run time.
//!
//! | level | a block's mask of one byte | prefix XOR | lowercase |
//! |---|---|---|---|
//! | [`Avx512`] | one 64-byte comparison into a mask register | one carry-less multiply | one masked add |
//! | [`Avx2`] | two 32-byte comparisons | one carry-less multiply | two range tests |
//! | [`Sse2`] (the x86-64 baseline) | four 16-byte comparisons | six shifts | four range tests |
//! | `Words` (other CPUs) | eight 8-byte words, with bit tricks | six shifts | byte by byte |
//!
//! A value of [`Avx2`] or [`Avx512`] exists only once the CPU was seen to have those
//! instructions, so holding one is what makes their intrinsics safe to call. Their methods are
//! always inlined, so that they are compiled with the instructions enabled by the function
//! that walks a record's blocks at that level (see [`try_for_each_block`](super::try_for_each_block)).

use super::BLOCK;

/// A way of computing the bitmasks of a block.
pub(crate) trait Simd: Copy {
    /// A block held in registers.
    type Loaded: Copy;

    /// Loads a block.
    fn load(self, bytes: &[u8; BLOCK]) -> Self::Loaded;

    /// The bitmask of the bytes of a loaded block equal to `byte` (bit `i` for byte `i`).
    fn mask(self, loaded: Self::Loaded, byte: u8) -> u64;

    /// The bitmask of the bytes of a loaded block that are not ASCII (their high bit is set).
    fn high_bits(self, loaded: Self::Loaded) -> u64;

    /// Bit `i` of the result: the XOR of bits `0..=i` of `bits` (with the bits of a block's
    /// unescaped quotes: whether byte `i` is inside a string).
    fn prefix_xor(self, bits: u64) -> u64;

    /// Writes a loaded block to `out` with its ASCII capitals lowercased (as
    /// [`u8::to_ascii_lowercase`] does).
    fn store_lowercase(self, loaded: Self::Loaded, out: &mut [u8; BLOCK]);
}

/// A level of SIMD instructions, holding the proof that the CPU has them.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Level {
    /// AVX-512 (F and BW) and carry-less multiplication.
    #[cfg(target_arch = "x86_64")]
    Avx512(Avx512),
    /// AVX2 and carry-less multiplication.
    #[cfg(target_arch = "x86_64")]
    Avx2(Avx2),
    /// SSE2, which every x86-64 CPU has.
    #[cfg(target_arch = "x86_64")]
    Sse2(Sse2),
    /// No SIMD: 64-bit words.
    #[cfg(any(test, not(target_arch = "x86_64")))]
    Words(Words),
}

impl Level {
    /// The widest level this CPU has, detected on the first call.
    pub(crate) fn best() -> Level {
        #[cfg(test)]
        if let Some(forced) = testing::FORCED.get() {
            return forced;
        }
        static BEST: std::sync::OnceLock<Level> = std::sync::OnceLock::new();
        *BEST.get_or_init(Level::detect)
    }

    /// Every level this CPU has, widest first.
    fn available() -> Vec<Level> {
        let mut levels = Vec::new();
        #[cfg(target_arch = "x86_64")]
        {
            levels.extend(Avx512::detect().map(Level::Avx512));
            levels.extend(Avx2::detect().map(Level::Avx2));
            levels.push(Level::Sse2(Sse2(())));
        }
        #[cfg(any(test, not(target_arch = "x86_64")))]
        levels.push(Level::Words(Words));
        levels
    }

    fn detect() -> Level {
        Level::available()[0]
    }
}

/// AVX-512: a block is one register.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy, Debug)]
pub(crate) struct Avx512(());

#[cfg(target_arch = "x86_64")]
impl Avx512 {
    fn detect() -> Option<Avx512> {
        let has = is_x86_feature_detected!("avx512f")
            && is_x86_feature_detected!("avx512bw")
            && is_x86_feature_detected!("pclmulqdq");
        has.then_some(Avx512(()))
    }
}

#[cfg(target_arch = "x86_64")]
impl Simd for Avx512 {
    type Loaded = std::arch::x86_64::__m512i;

    #[inline(always)]
    fn load(self, bytes: &[u8; BLOCK]) -> Self::Loaded {
        // SAFETY: `self` exists only on a CPU with AVX-512F (`detect`); `bytes` is 64 readable
        // bytes, and the load does not need them aligned.
        unsafe { std::arch::x86_64::_mm512_loadu_si512(bytes.as_ptr().cast()) }
    }

    #[inline(always)]
    fn mask(self, loaded: Self::Loaded, byte: u8) -> u64 {
        use std::arch::x86_64::{_mm512_cmpeq_epi8_mask, _mm512_set1_epi8};
        // SAFETY: `self` exists only on a CPU with AVX-512F and BW (`detect`).
        unsafe { _mm512_cmpeq_epi8_mask(loaded, _mm512_set1_epi8(byte as i8)) }
    }

    #[inline(always)]
    fn high_bits(self, loaded: Self::Loaded) -> u64 {
        // SAFETY: `self` exists only on a CPU with AVX-512F and BW (`detect`).
        unsafe { std::arch::x86_64::_mm512_movepi8_mask(loaded) }
    }

    #[inline(always)]
    fn prefix_xor(self, bits: u64) -> u64 {
        // SAFETY: `self` exists only on a CPU with carry-less multiplication (`detect`).
        unsafe { clmul_prefix_xor(bits) }
    }

    #[inline(always)]
    fn store_lowercase(self, loaded: Self::Loaded, out: &mut [u8; BLOCK]) {
        use std::arch::x86_64::*;
        // SAFETY: `self` exists only on a CPU with AVX-512F and BW (`detect`); `out` is 64
        // writable bytes, and the store does not need them aligned.
        unsafe {
            let from_a = _mm512_sub_epi8(loaded, _mm512_set1_epi8(b'A' as i8));
            let capitals = _mm512_cmplt_epu8_mask(from_a, _mm512_set1_epi8(26));
            let lower = _mm512_mask_add_epi8(loaded, capitals, loaded, _mm512_set1_epi8(0x20));
            _mm512_storeu_si512(out.as_mut_ptr().cast(), lower);
        }
    }
}

/// AVX2: a block is two registers.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy, Debug)]
pub(crate) struct Avx2(());

#[cfg(target_arch = "x86_64")]
impl Avx2 {
    fn detect() -> Option<Avx2> {
        let has = is_x86_feature_detected!("avx2") && is_x86_feature_detected!("pclmulqdq");
        has.then_some(Avx2(()))
    }
}

#[cfg(target_arch = "x86_64")]
impl Simd for Avx2 {
    type Loaded = [std::arch::x86_64::__m256i; 2];

    #[inline(always)]
    fn load(self, bytes: &[u8; BLOCK]) -> Self::Loaded {
        use std::arch::x86_64::_mm256_loadu_si256;
        let at = |k: usize| bytes[32 * k..].as_ptr().cast();
        // SAFETY: `self` exists only on a CPU with AVX2 (`detect`); each half of `bytes` is 32
        // readable bytes, and the loads do not need them aligned.
        unsafe { [_mm256_loadu_si256(at(0)), _mm256_loadu_si256(at(1))] }
    }

    #[inline(always)]
    fn mask(self, loaded: Self::Loaded, byte: u8) -> u64 {
        use std::arch::x86_64::{_mm256_cmpeq_epi8, _mm256_movemask_epi8, _mm256_set1_epi8};
        // SAFETY: `self` exists only on a CPU with AVX2 (`detect`).
        unsafe {
            let needle = _mm256_set1_epi8(byte as i8);
            let half = |k: usize| _mm256_movemask_epi8(_mm256_cmpeq_epi8(loaded[k], needle));
            u64::from(half(0) as u32) | u64::from(half(1) as u32) << 32
        }
    }

    #[inline(always)]
    fn high_bits(self, loaded: Self::Loaded) -> u64 {
        use std::arch::x86_64::_mm256_movemask_epi8;
        // SAFETY: `self` exists only on a CPU with AVX2 (`detect`).
        let half = |k: usize| unsafe { _mm256_movemask_epi8(loaded[k]) } as u32;
        u64::from(half(0)) | u64::from(half(1)) << 32
    }

    #[inline(always)]
    fn prefix_xor(self, bits: u64) -> u64 {
        // SAFETY: `self` exists only on a CPU with carry-less multiplication (`detect`).
        unsafe { clmul_prefix_xor(bits) }
    }

    #[inline(always)]
    fn store_lowercase(self, loaded: Self::Loaded, out: &mut [u8; BLOCK]) {
        use std::arch::x86_64::*;
        for (k, half) in loaded.into_iter().enumerate() {
            // SAFETY: `self` exists only on a CPU with AVX2 (`detect`); each half of `out` is
            // 32 writable bytes, and the store does not need them aligned.
            unsafe {
                let from_a = _mm256_sub_epi8(half, _mm256_set1_epi8(b'A' as i8));
                let capitals =
                    _mm256_cmpeq_epi8(_mm256_min_epu8(from_a, _mm256_set1_epi8(25)), from_a);
                let lower =
                    _mm256_or_si256(half, _mm256_and_si256(capitals, _mm256_set1_epi8(0x20)));
                _mm256_storeu_si256(out[32 * k..].as_mut_ptr().cast(), lower);
            }
        }
    }
}

/// The prefix XOR of `bits` as the carry-less product of `bits` and all ones.
///
/// # Safety
///
/// The CPU must have carry-less multiplication (`pclmulqdq`).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn clmul_prefix_xor(bits: u64) -> u64 {
    use std::arch::x86_64::{_mm_clmulepi64_si128, _mm_cvtsi128_si64, _mm_set_epi64x};
    // SAFETY: the caller's CPU has `pclmulqdq`; the other intrinsics are SSE2, the baseline.
    unsafe {
        let product =
            _mm_clmulepi64_si128::<0>(_mm_set_epi64x(0, bits as i64), _mm_set_epi64x(0, -1));
        _mm_cvtsi128_si64(product) as u64
    }
}

/// SSE2, the x86-64 baseline: a block is four registers.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sse2(());

#[cfg(target_arch = "x86_64")]
impl Simd for Sse2 {
    type Loaded = [std::arch::x86_64::__m128i; 4];

    #[inline(always)]
    fn load(self, bytes: &[u8; BLOCK]) -> Self::Loaded {
        use std::arch::x86_64::_mm_loadu_si128;
        // SAFETY: each quarter of `bytes` is 16 readable bytes, and the loads do not need them
        // aligned (SSE2 is part of the x86-64 baseline).
        std::array::from_fn(|k| unsafe { _mm_loadu_si128(bytes[16 * k..].as_ptr().cast()) })
    }

    #[inline(always)]
    fn mask(self, loaded: Self::Loaded, byte: u8) -> u64 {
        use std::arch::x86_64::{_mm_cmpeq_epi8, _mm_movemask_epi8, _mm_set1_epi8};
        // SAFETY: SSE2 is part of the x86-64 baseline.
        unsafe {
            let needle = _mm_set1_epi8(byte as i8);
            let mut mask = 0;
            for (k, lane) in loaded.into_iter().enumerate() {
                let bits = _mm_movemask_epi8(_mm_cmpeq_epi8(lane, needle)) as u16;
                mask |= u64::from(bits) << (16 * k);
            }
            mask
        }
    }

    #[inline(always)]
    fn high_bits(self, loaded: Self::Loaded) -> u64 {
        use std::arch::x86_64::_mm_movemask_epi8;
        let mut mask = 0;
        for (k, lane) in loaded.into_iter().enumerate() {
            // SAFETY: SSE2 is part of the x86-64 baseline.
            let bits = unsafe { _mm_movemask_epi8(lane) } as u16;
            mask |= u64::from(bits) << (16 * k);
        }
        mask
    }

    #[inline(always)]
    fn prefix_xor(self, bits: u64) -> u64 {
        shifted_prefix_xor(bits)
    }

    #[inline(always)]
    fn store_lowercase(self, loaded: Self::Loaded, out: &mut [u8; BLOCK]) {
        use std::arch::x86_64::*;
        for (k, lane) in loaded.into_iter().enumerate() {
            // SAFETY: SSE2 is part of the x86-64 baseline; each quarter of `out` is 16 writable
            // bytes, and the store does not need them aligned.
            unsafe {
                let from_a = _mm_sub_epi8(lane, _mm_set1_epi8(b'A' as i8));
                let capitals = _mm_cmpeq_epi8(_mm_min_epu8(from_a, _mm_set1_epi8(25)), from_a);
                let lower = _mm_or_si128(lane, _mm_and_si128(capitals, _mm_set1_epi8(0x20)));
                _mm_storeu_si128(out[16 * k..].as_mut_ptr().cast(), lower);
            }
        }
    }
}

/// No SIMD: a block is eight 64-bit words.
#[cfg(any(test, not(target_arch = "x86_64")))]
#[derive(Clone, Copy, Debug)]
pub(crate) struct Words;

#[cfg(any(test, not(target_arch = "x86_64")))]
impl Simd for Words {
    type Loaded = [u64; 8];

    #[inline(always)]
    fn load(self, bytes: &[u8; BLOCK]) -> Self::Loaded {
        std::array::from_fn(|k| {
            u64::from_le_bytes(bytes[8 * k..8 * k + 8].try_into().expect("eight bytes"))
        })
    }

    #[inline(always)]
    fn mask(self, loaded: Self::Loaded, byte: u8) -> u64 {
        const LOW: u64 = 0x7f7f_7f7f_7f7f_7f7f;
        let mut mask = 0;
        for (k, word) in loaded.into_iter().enumerate() {
            let x = word ^ (u64::from(byte) * 0x0101_0101_0101_0101);
            // The high bit of each byte that is zero in `x`, exactly (no carry between bytes),
            // then the eight high bits gathered into the top byte.
            let zero = !(((x & LOW) + LOW) | x | LOW);
            mask |= gather_high_bits(zero) << (8 * k);
        }
        mask
    }

    #[inline(always)]
    fn high_bits(self, loaded: Self::Loaded) -> u64 {
        let mut mask = 0;
        for (k, word) in loaded.into_iter().enumerate() {
            mask |= gather_high_bits(word & 0x8080_8080_8080_8080) << (8 * k);
        }
        mask
    }

    #[inline(always)]
    fn prefix_xor(self, bits: u64) -> u64 {
        shifted_prefix_xor(bits)
    }

    #[inline(always)]
    fn store_lowercase(self, loaded: Self::Loaded, out: &mut [u8; BLOCK]) {
        for (k, word) in loaded.into_iter().enumerate() {
            let bytes = word.to_le_bytes().map(|byte| byte.to_ascii_lowercase());
            out[8 * k..8 * k + 8].copy_from_slice(&bytes);
        }
    }
}

/// The high bits of the eight bytes of `word` (which has no other bits set), as the low byte.
#[cfg(any(test, not(target_arch = "x86_64")))]
fn gather_high_bits(word: u64) -> u64 {
    word.wrapping_mul(0x0002_0408_1020_4081) >> 56
}

/// The prefix XOR of `bits` by six shifts.
fn shifted_prefix_xor(mut bits: u64) -> u64 {
    for shift in [1, 2, 4, 8, 16, 32] {
        bits ^= bits << shift;
    }
    bits
}

/// Runs code at a chosen level, on this thread, in tests.
#[cfg(test)]
pub(crate) mod testing {
    use super::Level;
    use std::cell::Cell;

    thread_local! {
        /// The level [`Level::best`] answers on this thread, when set.
        pub(super) static FORCED: Cell<Option<Level>> = const { Cell::new(None) };
    }

    /// Runs `test` once at each level this CPU has, so that every level's walk is checked
    /// against the same expectations.
    pub(crate) fn at_every_level(mut test: impl FnMut()) {
        for level in Level::available() {
            FORCED.set(Some(level));
            test();
        }
        FORCED.set(None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a level computes of a block: masks of some bytes, high bits, the prefix XOR of
    /// the first mask, and the block lowercased.
    type Computed = (Vec<u64>, u64, u64, [u8; BLOCK]);

    /// Each level's masks of `bytes`, high bits, prefix XOR of the first mask, and the block
    /// lowercased.
    fn masks(level: Level, block: &[u8; BLOCK], bytes: &[u8]) -> Computed {
        fn at<S: Simd>(simd: S, block: &[u8; BLOCK], bytes: &[u8]) -> Computed {
            let loaded = simd.load(block);
            let masks: Vec<u64> = bytes.iter().map(|&byte| simd.mask(loaded, byte)).collect();
            let high = simd.high_bits(loaded);
            let mut lower = [0; BLOCK];
            simd.store_lowercase(loaded, &mut lower);
            (masks.clone(), high, simd.prefix_xor(masks[0]), lower)
        }
        match level {
            #[cfg(target_arch = "x86_64")]
            Level::Avx512(simd) => at(simd, block, bytes),
            #[cfg(target_arch = "x86_64")]
            Level::Avx2(simd) => at(simd, block, bytes),
            #[cfg(target_arch = "x86_64")]
            Level::Sse2(simd) => at(simd, block, bytes),
            Level::Words(simd) => at(simd, block, bytes),
        }
    }

    #[test]
    fn every_level_computes_the_same_masks_and_lowercase() {
        let levels = Level::available();
        println!("levels on this CPU: {levels:?}");
        let mut block = [0u8; BLOCK];
        let mut next = crate::testing::random(7);
        let bytes = [b'"', b'\\', b'a', 0xa2, 0];
        for _ in 0..2000 {
            for byte in &mut block {
                // With the capitals' ends and their neighbours, in and out of ASCII.
                *byte = [
                    b'"', b'\\', b'a', 0xa2, 0x02, 0, 0x80, 0x7f, 0xff, b'@', b'A', b'Z', b'[',
                    0xc1, 0xda,
                ][next(15)];
            }
            let expected = masks(Level::Words(Words), &block, &bytes);
            let naive: Vec<u64> = bytes
                .iter()
                .map(|&byte| {
                    (0..BLOCK)
                        .filter(|&i| block[i] == byte)
                        .map(|i| 1 << i)
                        .sum()
                })
                .collect();
            assert_eq!(expected.0, naive);
            let high: u64 = (0..BLOCK)
                .filter(|&i| block[i] >= 0x80)
                .map(|i| 1 << i)
                .sum();
            assert_eq!(expected.1, high);
            let odd_so_far: u64 = (0..BLOCK)
                .filter(|&i| (0..=i).filter(|&j| naive[0] >> j & 1 == 1).count() % 2 == 1)
                .map(|i| 1u64 << i)
                .sum();
            assert_eq!(expected.2, odd_so_far);
            assert_eq!(expected.3, block.map(|byte| byte.to_ascii_lowercase()));
            for &level in &levels {
                assert_eq!(
                    masks(level, &block, &bytes),
                    expected,
                    "{level:?} {block:?}"
                );
            }
        }
    }
}
