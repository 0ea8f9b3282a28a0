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

use super::unanchored::Needle;

/// Bytes of a gram.
pub(super) const GRAM: usize = 4;

/// Bits of a gram's hash: the bitset has `1 << HASH_BITS` bits.
const HASH_BITS: u32 = 16;

/// Words of the bitset.
const WORDS: usize = (1 << HASH_BITS) / 64;

/// Folds ASCII case (and maps some punctuation together) in the four bytes of a gram.
const FOLD: u32 = 0x2020_2020;

/// The literals of at least [`GRAM`] bytes, by their grams.
#[derive(Debug)]
pub(super) struct Grams {
    /// One bit per hash of a literal's folded gram.
    bits: Box<[u64; WORDS]>,
    /// `(folded gram, offset of the gram in the literal, literal)`, sorted.
    entries: Vec<(u32, u32, u32)>,
    /// The literals (by their place in the list given).
    needles: Vec<Needle>,
}

/// The folded gram of four bytes.
fn gram(bytes: &[u8]) -> u32 {
    u32::from_le_bytes(bytes.try_into().expect("four bytes")) | FOLD
}

/// The bit of a folded gram.
fn slot(gram: u32) -> usize {
    (gram.wrapping_mul(0x9e37_79b1) >> (32 - HASH_BITS)) as usize
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

impl Grams {
    /// The grams of `needles`, each at least [`GRAM`] bytes long.
    pub(super) fn new(needles: Vec<Needle>) -> Grams {
        let mut bits = Box::new([0u64; WORDS]);
        let mut entries: Vec<(u32, u32, u32)> = needles
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
        entries.sort_unstable();
        Grams {
            bits,
            entries,
            needles,
        }
    }

    /// Calls `found` with the index of every literal in `record` (some more than once).
    pub(super) fn find(&self, record: &[u8], found: &mut impl FnMut(usize)) {
        for (at, window) in record.windows(GRAM).enumerate() {
            let folded = gram(window);
            let bit = slot(folded);
            if self.bits[bit / 64] & (1 << (bit % 64)) != 0 {
                self.check(record, at, folded, found);
            }
        }
    }

    /// Reports the literals whose gram is `folded` and that occur in `record` with it at
    /// `at`. Kept out of line: most positions never get here.
    #[inline(never)]
    fn check(&self, record: &[u8], at: usize, folded: u32, found: &mut impl FnMut(usize)) {
        let from = self.entries.partition_point(|entry| entry.0 < folded);
        for &(_, offset, needle) in self.entries[from..]
            .iter()
            .take_while(|entry| entry.0 == folded)
        {
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
            + self.entries.capacity() * 12
            + needles
            + self.needles.capacity() * size_of::<Needle>()
    }
}
