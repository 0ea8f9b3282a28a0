//! Random identifiers in the shapes AWS uses: UUIDs, hex resource ids, access key ids.
//!
//! Every function draws from the caller's seeded RNG and appends to a `String`, so identifiers
//! are reproducible and cost no allocation on hot paths. The `*_string` helpers allocate, for
//! values built once.

use rand::Rng as _;

use crate::pick::Rng;

const HEX: &[u8; 16] = b"0123456789abcdef";
/// The alphabet of AWS access key ids and unique principal ids (upper-case base32).
const UPPER_BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const LOWER_ALNUM: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const UPPER_ALNUM: &[u8; 36] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const MIXED_ALNUM: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

fn push_from(rng: &mut Rng, alphabet: &[u8], len: usize, out: &mut String) {
    for _ in 0..len {
        out.push(char::from(alphabet[rng.random_range(0..alphabet.len())]));
    }
}

/// Appends `len` lower-case hex digits.
pub(crate) fn hex(rng: &mut Rng, len: usize, out: &mut String) {
    push_from(rng, HEX, len, out);
}

/// Appends `len` lower-case letters and digits.
pub(crate) fn lower_alnum(rng: &mut Rng, len: usize, out: &mut String) {
    push_from(rng, LOWER_ALNUM, len, out);
}

/// Appends `len` upper-case letters and digits (S3 request ids, distribution ids).
pub(crate) fn upper_alnum(rng: &mut Rng, len: usize, out: &mut String) {
    push_from(rng, UPPER_ALNUM, len, out);
}

/// Appends `len` letters of both cases and digits (CloudTrail object-name suffixes).
pub(crate) fn mixed_alnum(rng: &mut Rng, len: usize, out: &mut String) {
    push_from(rng, MIXED_ALNUM, len, out);
}

/// Appends a random (version 4) UUID such as `1f0a3c5e-8b2d-4e6f-9a1b-3c5d7e9f0a2b`.
pub(crate) fn uuid(rng: &mut Rng, out: &mut String) {
    let bits: u128 = rng.random();
    let bits = (bits & !(0xF << 76) | (0x4 << 76)) & !(0x3 << 62) | (0x2 << 62);
    let hex = format!("{bits:032x}");
    out.push_str(&hex[0..8]);
    out.push('-');
    out.push_str(&hex[8..12]);
    out.push('-');
    out.push_str(&hex[12..16]);
    out.push('-');
    out.push_str(&hex[16..20]);
    out.push('-');
    out.push_str(&hex[20..32]);
}

/// A new random UUID string.
pub(crate) fn uuid_string(rng: &mut Rng) -> String {
    let mut out = String::with_capacity(36);
    uuid(rng, &mut out);
    out
}

/// Appends an AWS key or principal id: `prefix` (`AKIA`, `ASIA`, `AIDA`, `AROA`) and base32 tail.
pub(crate) fn aws_id(rng: &mut Rng, prefix: &str, tail_len: usize, out: &mut String) {
    out.push_str(prefix);
    push_from(rng, UPPER_BASE32, tail_len, out);
}

/// A new access key id (`AKIA`/`ASIA` and 16 characters).
pub(crate) fn access_key_string(rng: &mut Rng, prefix: &str) -> String {
    let mut out = String::with_capacity(20);
    aws_id(rng, prefix, 16, &mut out);
    out
}

/// A new unique principal id (`AIDA`/`AROA` and 17 characters).
pub(crate) fn principal_id_string(rng: &mut Rng, prefix: &str) -> String {
    let mut out = String::with_capacity(21);
    aws_id(rng, prefix, 17, &mut out);
    out
}

/// A new EC2-style resource id: `prefix-` and 17 hex digits (`i-0abc...`, `sg-...`, `eni-...`).
pub(crate) fn resource_id_string(rng: &mut Rng, prefix: &str) -> String {
    let mut out = String::with_capacity(prefix.len() + 18);
    out.push_str(prefix);
    out.push_str("-0");
    hex(rng, 16, &mut out);
    out
}

/// A new string of `len` hex digits.
pub(crate) fn hex_string(rng: &mut Rng, len: usize) -> String {
    let mut out = String::with_capacity(len);
    hex(rng, len, &mut out);
    out
}

/// A new string of `len` lower-case letters and digits.
pub(crate) fn lower_alnum_string(rng: &mut Rng, len: usize) -> String {
    let mut out = String::with_capacity(len);
    lower_alnum(rng, len, &mut out);
    out
}

/// Appends `len` hex digits derived from `text` alone (not random): a stable stand-in for a
/// hash such as a TLS client fingerprint, so the same client always shows the same value.
pub(crate) fn stable_hex(text: &str, len: usize, out: &mut String) {
    // FNV-1a, re-mixed per output digit.
    let mut state: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        state = (state ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    for _ in 0..len {
        state = (state ^ (state >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        out.push(char::from(HEX[(state >> 60) as usize]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng as _;

    #[test]
    fn uuid_is_version_4() {
        let mut rng = Rng::seed_from_u64(1);
        for _ in 0..100 {
            let id = uuid_string(&mut rng);
            assert_eq!(id.len(), 36);
            assert_eq!(&id[14..15], "4");
            assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"), "{id}");
        }
    }
}
