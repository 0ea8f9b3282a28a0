//! Many literals that may occur anywhere, found by one four-byte gram of each.
//!
//! Each literal of four bytes or more is represented by one of its four-byte windows, its
//! gram, picked to be rare in logs (see [`rarity`]). A record
//! is read one position at a time: the four bytes there, ASCII case folded (`| 0x20` on each
//! byte, which also maps some punctuation together), are hashed into a bitset of 64 Kibit,
//! which stays in the L1 cache; only where a bit is set are the literals with that gram
//! compared with the record around it. An occurrence of a literal holds its gram, folded the
//! same, at a known offset from its start, so no occurrence is missed; the comparison keeps
//! only true ones.
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

/// Bits of a gram's hash: the bitset has `1 << HASH_BITS` bits.
const HASH_BITS: u32 = 16;

/// Words of the bitset.
const WORDS: usize = (1 << HASH_BITS) / 64;

/// Folds ASCII case (and maps some punctuation together) in the four bytes of a gram.
const FOLD: u32 = 0x2020_2020;

/// The multiplier of a gram's hash.
const MULTIPLIER: u32 = 0x9e37_79b1;

/// The literals of at least [`GRAM`] bytes, by their grams.
#[derive(Debug)]
pub(super) struct Grams {
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

/// The offset of the window of `bytes` (at least [`GRAM`] long) made of the rarest bytes.
fn rarest_window(bytes: &[u8]) -> usize {
    (0..=bytes.len() - GRAM)
        .max_by_key(|&at| bytes[at..at + GRAM].iter().map(|&b| rarity(b)).sum::<u32>())
        .expect("a literal has a window")
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
    /// The grams of `needles`, each at least [`GRAM`] bytes long.
    pub(super) fn new(needles: Vec<Needle>) -> Grams {
        let mut bits = Box::new([0u64; WORDS]);
        let mut grams: Vec<(u32, u32, u32)> = needles
            .iter()
            .enumerate()
            .map(|(at, needle)| {
                let offset = rarest_window(&needle.bytes);
                let folded = gram(&needle.bytes[offset..offset + GRAM]);
                let bit = slot(folded);
                bits[bit / 64] |= 1 << (bit % 64);
                (folded, offset as u32, at as u32)
            })
            .collect();
        grams.sort_unstable();
        let mut ranges = HashTable::new();
        let mut start = 0;
        for group in grams.chunk_by(|a, b| a.0 == b.0) {
            let range = (group[0].0, start, start + group.len() as u32);
            ranges.insert_unique(gram_hash(range.0), range, |r| gram_hash(r.0));
            start = range.2;
        }
        Grams {
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
            let from = unsafe { self.find_avx2(record, found) };
            return self.find_from(record, from, found);
        }
        self.find_from(record, 0, found);
    }

    /// [`find`](Grams::find) over the positions from `from`, one at a time.
    fn find_from(&self, record: &[u8], from: usize, found: &mut impl FnMut(usize)) {
        for at in from..(record.len() + 1).saturating_sub(GRAM) {
            let folded = gram(&record[at..at + GRAM]);
            let bit = slot(folded);
            if self.bits[bit / 64] & (1 << (bit % 64)) != 0 {
                self.check(record, at, folded, found);
            }
        }
    }

    /// [`find`](Grams::find) over the positions of `record` eight at a time, while 16 bytes
    /// are left to load; returns the first position not looked at. The eight grams are cut
    /// from one 16-byte load by a shuffle, hashed as [`slot`] does, and their bits fetched
    /// by one gather from the bitset read as 32-bit words (bit `s` of the bitset is bit
    /// `s % 32` of word `s / 32` on a little-endian CPU).
    ///
    /// # Safety
    ///
    /// The CPU must have AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn find_avx2(&self, record: &[u8], found: &mut impl FnMut(usize)) -> usize {
        use std::arch::x86_64::*;
        /// The four bytes of gram `k` of eight, from the same 16 bytes in both lanes.
        const GRAMS: [i8; 32] = [
            0, 1, 2, 3, 1, 2, 3, 4, 2, 3, 4, 5, 3, 4, 5, 6, //
            4, 5, 6, 7, 5, 6, 7, 8, 6, 7, 8, 9, 7, 8, 9, 10,
        ];
        const SHIFT: i32 = 32 - HASH_BITS as i32;
        // SAFETY: `GRAMS` is 32 readable bytes; the load does not need them aligned.
        let shuffle = unsafe { _mm256_loadu_si256(GRAMS.as_ptr().cast()) };
        let fold = _mm256_set1_epi32(FOLD as i32);
        let multiplier = _mm256_set1_epi32(MULTIPLIER as i32);
        let bit_of_word = _mm256_set1_epi32(31);
        let words: *const i32 = self.bits.as_ptr().cast();
        let mut at = 0;
        while at + 16 <= record.len() {
            // SAFETY: `at + 16 <= record.len()`, so the 16 bytes are readable.
            let bytes = unsafe { _mm_loadu_si128(record.as_ptr().add(at).cast()) };
            let grams = _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(bytes), shuffle);
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
                let k = at + hits.trailing_zeros() as usize;
                self.check(record, k, gram(&record[k..k + GRAM]), found);
                hits &= hits - 1;
            }
            at += 8;
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
    fn eight_positions_at_once_find_what_one_at_a_time_finds() {
        #[cfg(target_arch = "x86_64")]
        assert_eq!(has_avx2(), is_x86_feature_detected!("avx2"));
        let literals = ["login", "ogin", "abcd", "cdab", "ba]a", "xyzzy", r#"\"q\"#];
        let needles = (literals.iter().enumerate())
            .map(|(index, literal)| Needle::new(literal.as_bytes(), false, index))
            .collect();
        let grams = Grams::new(needles);
        // Records of every length to 70 made of the literals (in either case) and single
        // bytes, so that literals occur at every offset of an eight-position block and of the
        // tail.
        let singles = ["a", "B", "]", "[", "\\", "\"", "q", " "];
        let mut random = random(0x2545_f491_4f6c_dd1d);
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
                let expected = found(&grams, &record, true);
                hits += expected.len();
                assert_eq!(found(&grams, &record, false), expected, "{record:?}");
            }
        }
        assert!(hits > 10_000, "{hits}");
    }
}
