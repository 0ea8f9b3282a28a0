//! Many literals that may occur anywhere, found by four-byte grams.
//!
//! A record is read at every `step`-th position (1 to [`MAX_STEP`]): the four bytes there,
//! ASCII case folded (`| 0x20` on each byte, which also maps some punctuation together), are
//! hashed into a bitset of 64 Kibit, which stays in the L1 cache; only where a bit is set are
//! the literals with that gram compared with the record around it.
//!
//! Wherever a literal of at least `GRAM + step - 1` bytes occurs, the read positions inside it
//! fall at the same offsets of it modulo `step`, and one of them starts a window (four bytes)
//! of the literal. So each literal is represented by `step` of its windows, its grams: for
//! each offset modulo `step`, the window at such an offset made of the rarest bytes in logs
//! (see [`rarity`]). An occurrence of a literal then holds one of its grams, folded the same,
//! at a read position and at a known offset from its start, so no occurrence is missed; the
//! comparison keeps only true ones. A wider step reads fewer positions but takes more grams,
//! which are less rare, and leaves the shorter literals to another search (see
//! `Unanchored::grams`). With every SigmaHQ rule on CloudTrail, reading every second position
//! hits the bitset 11 % less often than reading every position (`benches/RESULTS.md`).
//!
//! Unlike a DFA over the same literals, whose table outgrows the caches and whose steps wait
//! on each other, the positions are independent and their look-ups hit the L1 cache.
//!
//! Where the CPU has AVX2, eight positions are hashed at once and their bits fetched by one
//! gather; elsewhere (and for the last bytes of a record) one position at a time.

use super::unanchored::Needle;
use hashbrown::HashTable;

/// Bytes of a gram.
pub(super) const GRAM: usize = 4;

/// The widest step between read positions: eight grams four bytes apart are the eight 32-bit
/// lanes of 32 bytes.
pub(super) const MAX_STEP: usize = 4;

/// Bits of a gram's hash: the bitset has `1 << HASH_BITS` bits.
const HASH_BITS: u32 = 16;

/// Words of the bitset.
const WORDS: usize = (1 << HASH_BITS) / 64;

/// Folds ASCII case (and maps some punctuation together) in the four bytes of a gram.
const FOLD: u32 = 0x2020_2020;

/// The multiplier of a gram's hash.
const MULTIPLIER: u32 = 0x9e37_79b1;

/// Literals of at least `GRAM + step - 1` bytes, by their grams, found by reading every
/// `step`-th position of a record.
#[derive(Debug)]
pub(super) struct Grams {
    /// Positions between two read ones.
    step: usize,
    /// One bit per hash of a literal's folded gram.
    bits: Box<[u64; WORDS]>,
    /// `(offset of the gram in the literal, literal)`, those of a gram together.
    entries: Vec<(u32, u32)>,
    /// Per folded gram, the range of its entries: `(gram, start, end)`, by [`gram_hash`].
    ranges: HashTable<(u32, u32, u32)>,
    /// The literals (by their place in the list given).
    needles: Vec<Needle>,
    /// Whether the CPU has AVX2 (see [`Grams::find_avx2`]).
    avx2: bool,
}

/// The folded gram of four bytes.
fn gram(bytes: &[u8]) -> u32 {
    u32::from_le_bytes(bytes.try_into().expect("four bytes")) | FOLD
}

/// The hash of a folded gram in [`Grams::ranges`]: all 64 bits, since the table takes its
/// position from the low ones and a tag from the high ones.
fn gram_hash(gram: u32) -> u64 {
    u64::from(gram).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// The bit of a folded gram.
fn slot(gram: u32) -> usize {
    (gram.wrapping_mul(MULTIPLIER) >> (32 - HASH_BITS)) as usize
}

/// How rare a byte is in AWS logs once folded, in bits (about minus the base-2 logarithm of
/// its share of the bytes): measured on 4.4 MB of the logs in `../shared/data` (CloudTrail,
/// WAF, ALB, CloudFront, VPC Flow), rounded into classes. A gram of rare bytes is met rarely.
fn rarity(byte: u8) -> u32 {
    const CLASSES: [(u32, &[u8]); 10] = [
        (4, b"\"aerst"),
        (5, b" -2:cdino"),
        (6, b",.0137flmpuv"),
        (7, b"/4569bghwy"),
        (8, b"*[]{}jkqxz"),
        (9, b")_"),
        (10, b"(+;"),
        (11, b"\\|"),
        (12, b"%"),
        (13, b"="),
    ];
    if !byte.is_ascii() {
        return 12;
    }
    let folded = byte | 0x20;
    CLASSES
        .iter()
        .find(|(_, bytes)| bytes.contains(&folded))
        .map_or(15, |(bits, _)| *bits)
}

/// The offset of the window of `bytes` made of the rarest bytes among those at offsets
/// `residue` modulo `step` (`bytes` being long enough to have one).
fn rarest_window(bytes: &[u8], step: usize, residue: usize) -> usize {
    (residue..=bytes.len() - GRAM)
        .step_by(step)
        .max_by_key(|&at| bytes[at..at + GRAM].iter().map(|&b| rarity(b)).sum::<u32>())
        .expect("a literal has a window at each offset below its step")
}

/// Whether the CPU has AVX2, for [`Grams::find`].
fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

impl Grams {
    /// The length of the shortest literal that grams reading every `step`-th position find.
    pub(super) fn shortest(step: usize) -> usize {
        GRAM + step - 1
    }

    /// The grams of `needles`, each at least [`Grams::shortest`]`(step)` bytes long, read
    /// every `step`-th position (at most [`MAX_STEP`]).
    pub(super) fn new(needles: Vec<Needle>, step: usize) -> Grams {
        assert!((1..=MAX_STEP).contains(&step), "step {step}");
        let mut bits = Box::new([0u64; WORDS]);
        let mut grams: Vec<(u32, u32, u32)> = Vec::with_capacity(needles.len() * step);
        for (at, needle) in needles.iter().enumerate() {
            assert!(needle.bytes.len() >= Grams::shortest(step));
            for residue in 0..step {
                let offset = rarest_window(&needle.bytes, step, residue);
                let folded = gram(&needle.bytes[offset..offset + GRAM]);
                let bit = slot(folded);
                bits[bit / 64] |= 1 << (bit % 64);
                grams.push((folded, offset as u32, at as u32));
            }
        }
        grams.sort_unstable();
        let mut ranges = HashTable::new();
        let mut start = 0;
        for group in grams.chunk_by(|a, b| a.0 == b.0) {
            let range = (group[0].0, start, start + group.len() as u32);
            ranges.insert_unique(gram_hash(range.0), range, |r| gram_hash(r.0));
            start = range.2;
        }
        Grams {
            step,
            bits,
            entries: grams.iter().map(|&(_, offset, at)| (offset, at)).collect(),
            ranges,
            needles,
            avx2: has_avx2(),
        }
    }

    /// Calls `found` with the index of every literal in `record` (some more than once).
    pub(super) fn find(&self, record: &[u8], found: &mut impl FnMut(usize)) {
        #[cfg(target_arch = "x86_64")]
        if self.avx2 {
            // SAFETY: the CPU has AVX2, checked when the grams were made.
            let from = unsafe {
                match self.step {
                    1 => self.find_avx2::<1>(record, found),
                    2 => self.find_avx2::<2>(record, found),
                    3 => self.find_avx2::<3>(record, found),
                    _ => self.find_avx2::<MAX_STEP>(record, found),
                }
            };
            return self.find_from(record, from, found);
        }
        self.find_from(record, 0, found);
    }

    /// [`find`](Grams::find) over the read positions from `from` (a read one), one at a
    /// time.
    fn find_from(&self, record: &[u8], from: usize, found: &mut impl FnMut(usize)) {
        for at in (from..(record.len() + 1).saturating_sub(GRAM)).step_by(self.step) {
            let folded = gram(&record[at..at + GRAM]);
            let bit = slot(folded);
            if self.bits[bit / 64] & (1 << (bit % 64)) != 0 {
                self.check(record, at, folded, found);
            }
        }
    }

    /// [`find`](Grams::find) over the read positions of `record` eight at a time, while
    /// their bytes are left to load, for grams whose step is `STEP` (a constant, so that each
    /// step gets a loop of its own); returns the first read position not looked at. The
    /// eight grams are cut by a shuffle from 16 bytes per 128-bit lane (the lanes four read
    /// positions apart; at step 1, both lanes hold the same 16 bytes), hashed as [`slot`]
    /// does, and their bits fetched by one gather from the bitset read as 32-bit words (bit
    /// `s` of the bitset is bit `s % 32` of word `s / 32` on a little-endian CPU).
    ///
    /// # Safety
    ///
    /// The CPU must have AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn find_avx2<const STEP: usize>(
        &self,
        record: &[u8],
        found: &mut impl FnMut(usize),
    ) -> usize {
        use std::arch::x86_64::*;
        const SHIFT: i32 = 32 - HASH_BITS as i32;
        debug_assert_eq!(STEP, self.step);
        let lane = 4 * STEP;
        let same_bytes = STEP == 1;
        // Gram `k` of eight: the bytes `STEP * k ..= STEP * k + 3` from the first byte of the
        // first lane, so `STEP * (k - 4)` and on in the second lane unless both lanes hold the
        // same bytes.
        let grams: [i8; 32] = std::array::from_fn(|byte| {
            let (k, of_gram) = (byte / GRAM, byte % GRAM);
            let lane_start = if byte >= 16 && !same_bytes { lane } else { 0 };
            (STEP * k + of_gram - lane_start) as i8
        });
        // SAFETY: `grams` is 32 readable bytes; the load does not need them aligned.
        let shuffle = unsafe { _mm256_loadu_si256(grams.as_ptr().cast()) };
        let fold = _mm256_set1_epi32(FOLD as i32);
        let multiplier = _mm256_set1_epi32(MULTIPLIER as i32);
        let bit_of_word = _mm256_set1_epi32(31);
        let words: *const i32 = self.bits.as_ptr().cast();
        let loaded = if same_bytes { 16 } else { lane + 16 };
        let mut at = 0;
        while at + loaded <= record.len() {
            // SAFETY: `at + loaded <= record.len()`, so the lanes' 16 bytes are readable.
            let bytes = unsafe {
                let start = record.as_ptr().add(at);
                match same_bytes {
                    true => _mm256_broadcastsi128_si256(_mm_loadu_si128(start.cast())),
                    false => _mm256_loadu2_m128i(start.add(lane).cast(), start.cast()),
                }
            };
            let grams = _mm256_shuffle_epi8(bytes, shuffle);
            let hashes = _mm256_mullo_epi32(_mm256_or_si256(grams, fold), multiplier);
            let slots = _mm256_srli_epi32::<SHIFT>(hashes);
            // SAFETY: a slot is below `1 << HASH_BITS`, so its word, `slot / 32`, is one of
            // the `2 * WORDS` 32-bit words of the bitset.
            let fetched =
                unsafe { _mm256_i32gather_epi32::<4>(words, _mm256_srli_epi32::<5>(slots)) };
            let bits = _mm256_srlv_epi32(fetched, _mm256_and_si256(slots, bit_of_word));
            let set = _mm256_slli_epi32::<31>(bits);
            let mut hits = _mm256_movemask_ps(_mm256_castsi256_ps(set)) as u32;
            while hits != 0 {
                let k = at + STEP * hits.trailing_zeros() as usize;
                self.check(record, k, gram(&record[k..k + GRAM]), found);
                hits &= hits - 1;
            }
            at += 8 * STEP;
        }
        at
    }

    /// Reports the literals whose gram is `folded` and that occur in `record` with it at
    /// `at`. Kept out of line: most positions never get here.
    #[inline(never)]
    fn check(&self, record: &[u8], at: usize, folded: u32, found: &mut impl FnMut(usize)) {
        let Some(&(_, from, to)) = self.ranges.find(gram_hash(folded), |r| r.0 == folded) else {
            return;
        };
        for &(offset, needle) in &self.entries[from as usize..to as usize] {
            let needle = &self.needles[needle as usize];
            let Some(start) = at.checked_sub(offset as usize) else {
                continue;
            };
            let Some(text) = record.get(start..start + needle.bytes.len()) else {
                continue;
            };
            let occurs = if needle.cased {
                *text == *needle.bytes
            } else {
                text.eq_ignore_ascii_case(&needle.bytes)
            };
            if occurs && needle.counts_at(record, start + needle.bytes.len()) {
                found(needle.index);
            }
        }
    }

    /// Positions between two read ones.
    #[cfg(test)]
    pub(super) fn step(&self) -> usize {
        self.step
    }

    /// Heap memory used, in bytes.
    pub(super) fn memory_usage(&self) -> usize {
        let needles: usize = self.needles.iter().map(|n| n.bytes.len()).sum();
        self.bits.len() * 8
            + self.entries.capacity() * 8
            + self.ranges.capacity() * 12
            + needles
            + self.needles.capacity() * size_of::<Needle>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::random;

    /// The literals `grams` finds in `record`, one position at a time or not, sorted and
    /// deduplicated.
    fn found(grams: &Grams, record: &[u8], one_at_a_time: bool) -> Vec<usize> {
        let mut found = Vec::new();
        if one_at_a_time {
            grams.find_from(record, 0, &mut |i| found.push(i));
        } else {
            grams.find(record, &mut |i| found.push(i));
        }
        found.sort_unstable();
        found.dedup();
        found
    }

    #[test]
    fn every_occurrence_is_found_at_every_step_eight_positions_at_once_or_not() {
        #[cfg(target_arch = "x86_64")]
        assert_eq!(has_avx2(), is_x86_feature_detected!("avx2"));
        let literals = [
            "login", "ogin", "abcd", "cdab", "ba]a", "xyzzy", r#"\"q\"#, "loginxyz", "ab]]cdab",
        ];
        // Records of every length to 70 made of the literals (in either case) and single
        // bytes, so that literals occur at every offset of an eight-position block and of the
        // tail.
        let singles = ["a", "B", "]", "[", "\\", "\"", "q", " "];
        let mut random = random(0x2545_f491_4f6c_dd1d);
        for step in 1..=MAX_STEP {
            let needles = (literals.iter().enumerate())
                .filter(|(_, literal)| literal.len() >= Grams::shortest(step))
                .map(|(index, literal)| Needle::new(literal.as_bytes(), false, index))
                .collect();
            let grams = Grams::new(needles, step);
            // Every occurrence, by trying each start.
            let naive = |record: &[u8]| -> Vec<usize> {
                (grams.needles.iter())
                    .filter(|needle| {
                        let len = needle.bytes.len();
                        (0..(record.len() + 1).saturating_sub(len)).any(|start| {
                            record[start..start + len].eq_ignore_ascii_case(&needle.bytes)
                                && needle.counts_at(record, start + len)
                        })
                    })
                    .map(|needle| needle.index)
                    .collect()
            };
            let mut hits = 0;
            for length in 0..70 {
                for _ in 0..200 {
                    let mut record = Vec::new();
                    while record.len() < length {
                        let piece = match random(3) {
                            0 => literals[random(literals.len())],
                            _ => singles[random(singles.len())],
                        };
                        match random(2) {
                            0 => record.extend(piece.bytes()),
                            _ => record.extend(piece.bytes().map(|b| b.to_ascii_uppercase())),
                        }
                    }
                    record.truncate(length);
                    let expected = naive(&record);
                    hits += expected.len();
                    assert_eq!(found(&grams, &record, true), expected, "{step} {record:?}");
                    assert_eq!(found(&grams, &record, false), expected, "{step} {record:?}");
                }
            }
            assert!(hits > 5_000, "{step}: {hits}");
        }
    }
}
