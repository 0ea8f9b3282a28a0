//! Optional JSON escapes: the records the prefilter must let through.
//!
//! JSON must escape `"` and `\` inside strings and may escape anything else as `\u....` (and `/`
//! as `\/`). The literals are written in the mandatory form (`\"`, `\\`); a record that uses an
//! optional escape might spell a literal differently, so it bypasses the prefilter. The scan
//! walks backslashes only, skipping the character each escapes, so the `\u` inside `\\u` (an
//! escaped backslash followed by a `u`) does not count.
//!
//! ```
//! use sigil_engine::prefilter::has_optional_escape;
//! assert!(has_optional_escape(br#"{"a":"\u0041"}"#));
//! assert!(has_optional_escape(br#"{"a":"x\/y"}"#));
//! assert!(!has_optional_escape(br#"{"a":"C:\\users\\x \"q\""}"#));
//! ```

/// Whether `record` contains a `\u` or `\/` escape.
pub fn has_optional_escape(record: &[u8]) -> bool {
    let mut at = 0;
    while let Some(found) = memchr::memchr(b'\\', &record[at..]) {
        let backslash = at + found;
        match record.get(backslash + 1) {
            Some(b'u' | b'/') => return true,
            Some(_) => at = backslash + 2,
            None => return false,
        }
    }
    false
}
