//! The encoding modifiers' variants of a value: `base64`, `base64offset`, `utf16le`/`utf16be`/
//! `utf16`/`wide`, and `windash`.
//!
//! Encoders work on bytes: `wide` and the `utf16` modifiers turn text into bytes, which a later
//! `base64` or `base64offset` encodes, or which are matched as Latin-1 text (one character per
//! byte, how a decoded log shows them).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::modifier::Modifier;
use crate::ir::WINDASH;

/// `text` in UTF-16 (little-endian for `utf16le`/`wide`, big-endian for `utf16be`, little-endian
/// after a byte order mark for `utf16`).
pub(super) fn encode_utf16(text: &str, modifier: Modifier) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() * 2 + 2);
    if modifier == Modifier::Utf16 {
        out.extend([0xFF, 0xFE]);
    }
    for unit in text.encode_utf16() {
        let bytes = if modifier == Modifier::Utf16Be {
            unit.to_be_bytes()
        } else {
            unit.to_le_bytes()
        };
        out.extend(bytes);
    }
    out
}

/// Bytes as text, one character per byte (how encoded bytes appear once decoded as Latin-1).
pub(super) fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| b as char).collect()
}

/// The three base64 forms a value takes depending on its offset in the encoded data, trimmed
/// to the characters that depend on the value alone.
pub(super) fn base64_offsets(value: &[u8]) -> Vec<String> {
    (0..3)
        .map(|shift| {
            let mut data = vec![b' '; shift];
            data.extend_from_slice(value);
            let encoded = BASE64.encode(&data);
            let start = [0, 2, 3][shift];
            let trim_end = [0, 3, 2][data.len() % 3];
            encoded
                .get(start..encoded.len().saturating_sub(trim_end))
                .unwrap_or("")
                .to_string()
        })
        .filter(|s| !s.is_empty())
        .collect()
}

/// Every spelling of a value with each [`WINDASH`] character replaced by each of them, or
/// `None` if there would be more than `limit` (the count is known before any is made).
pub(super) fn windash_variants(pattern: &str, limit: usize) -> Option<Vec<String>> {
    let dashes = pattern.chars().filter(|c| WINDASH.contains(c)).count();
    let count = u32::try_from(dashes)
        .ok()
        .and_then(|d| WINDASH.len().checked_pow(d))?;
    if count > limit {
        return None;
    }
    let mut variants = vec![String::new()];
    for c in pattern.chars() {
        if WINDASH.contains(&c) {
            variants = variants
                .iter()
                .flat_map(|v| WINDASH.iter().map(move |d| format!("{v}{d}")))
                .collect();
        } else {
            for v in &mut variants {
                v.push(c);
            }
        }
    }
    Some(variants)
}

/// `bytes` in standard base64.
pub(super) fn base64(bytes: &[u8]) -> String {
    BASE64.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_offsets_cover_every_alignment() {
        // "ping" in a base64-encoded command line, at any offset.
        let variants = base64_offsets(b"ping");
        for prefix in ["", "a", "ab", "abc"] {
            let encoded = BASE64.encode(format!("{prefix}ping -n 1"));
            assert!(
                variants.iter().any(|v| encoded.contains(v.as_str())),
                "{prefix}: {encoded}"
            );
        }
    }

    #[test]
    fn windash_makes_every_dash_spelling() {
        let v = windash_variants("-a /b", 25).unwrap();
        assert_eq!(v.len(), 25);
        assert_eq!(windash_variants("-a /b", 24), None);
        assert_eq!(windash_variants(&"-".repeat(100), 4096), None);
        assert!(v.contains(&"/a -b".to_string()));
        assert!(v.contains(&"\u{2013}a \u{2015}b".to_string()));
    }

    #[test]
    fn utf16_encodings() {
        assert_eq!(encode_utf16("cm", Modifier::Utf16Le), [0x63, 0, 0x6d, 0]);
        assert_eq!(encode_utf16("cm", Modifier::Utf16Be), [0, 0x63, 0, 0x6d]);
        assert_eq!(encode_utf16("c", Modifier::Utf16), [0xFF, 0xFE, 0x63, 0]);
    }
}
