//! Recognising a file's [`Shape`], and CloudTrail digest files, from its first bytes.
//!
//! The rules are documented on [`detect_shape`], the one entry point.

use super::Shape;
use super::scan::{ScanError, find_byte, member, skip_ws, value_end};

/// Detects the shape of content that starts with `head`.
///
/// Detection looks only at the head of the content (the input layer passes the first 64 KiB),
/// so it is cheap and gives the same answer however the file is read. After leading whitespace:
///
/// 1. `[` is a [`Shape::JsonArray`], unless the array closes on its line and an object follows
///    on the next: that is NDJSON with a bad first line, which line framing reports.
/// 2. `{` opening an object with a top-level `"Records"` key holding an array is a
///    [`Shape::Envelope`] (other keys may come before it).
/// 3. `{` otherwise: the objects in the head are walked. If each one sits alone on its line it
///    is [`Shape::Ndjson`]; if one spans lines (pretty-printed) or is followed by another on
///    the same line (`}{`), it is [`Shape::Concatenated`]. An object that never closes after
///    a good single-line one is a broken NDJSON line. A first object that does not end
///    within the head is NDJSON when the head holds no newline (a very long line), and
///    concatenated otherwise (a large pretty-printed object).
/// 4. Anything else, including empty content, is NDJSON: line framing reports what is wrong
///    line by line.
///
/// ```
/// use sigil_engine::framing::{Shape, detect_shape};
///
/// assert_eq!(detect_shape(b"{\"a\":1}\n{\"a\":2}\n"), Shape::Ndjson);
/// assert_eq!(detect_shape(b"{\"a\":1}{\"a\":2}"), Shape::Concatenated);
/// // A broken line after a good one is a bad NDJSON record, not a pretty-printed document.
/// assert_eq!(detect_shape(b"{\"a\":1}\n{\"a\": oops\n{\"a\":2}\n"), Shape::Ndjson);
/// assert_eq!(detect_shape(b"{\n  \"a\": 1\n}\n"), Shape::Concatenated);
/// assert_eq!(detect_shape(b"{\"Version\":1,\"Records\":[]}"), Shape::Envelope);
/// assert_eq!(detect_shape(b"\n [\n {\"a\":1}\n]"), Shape::JsonArray);
/// assert_eq!(detect_shape(b"[1,2,3]\n{\"a\":1}\n"), Shape::Ndjson);
/// ```
pub fn detect_shape(head: &[u8]) -> Shape {
    let start = skip_ws(head, 0);
    match head.get(start) {
        Some(b'[') if !array_line_then_object(head, start) => Shape::JsonArray,
        Some(b'{') if has_records_array(head, start) => Shape::Envelope,
        Some(b'{') if !one_object_per_line(head, start) => Shape::Concatenated,
        _ => Shape::Ndjson,
    }
}

/// Whether content starting with `head` is a CloudTrail digest file: its first object has the
/// keys `digestPublicKeyFingerprint` and `digestSignatureAlgorithm`. An object with a
/// `"Records"` array before them is a log file's envelope, and is not walked past it.
///
/// Digest files list the hashes of delivered log files, for integrity checks; they are not
/// events. Their S3 keys give them away (see `input::discover`), but copies under other names
/// (such as test fixtures) are only recognised by content.
///
/// ```
/// use sigil_engine::framing::is_cloudtrail_digest;
///
/// let digest = br#"{"awsAccountId":"1","digestPublicKeyFingerprint":"47aa","digestSignatureAlgorithm":"SHA256withRSA","logFiles":[]}"#;
/// assert!(is_cloudtrail_digest(digest));
/// assert!(!is_cloudtrail_digest(br#"{"eventName":"ConsoleLogin"}"#));
/// let log = br#"{"Records":[],"digestPublicKeyFingerprint":"47aa","digestSignatureAlgorithm":"SHA256withRSA"}"#;
/// assert!(!is_cloudtrail_digest(log));
/// ```
pub fn is_cloudtrail_digest(head: &[u8]) -> bool {
    let start = skip_ws(head, 0);
    let (mut fingerprint, mut algorithm) = (false, false);
    for (key, value) in top_level_members(head, start) {
        if is_records_array(head, key, value) {
            return false;
        }
        fingerprint |= key == b"digestPublicKeyFingerprint";
        algorithm |= key == b"digestSignatureAlgorithm";
    }
    fingerprint && algorithm
}

/// Whether the object at `head[start]` has a top-level `"Records": [`.
fn has_records_array(head: &[u8], start: usize) -> bool {
    top_level_members(head, start).any(|(key, value)| is_records_array(head, key, value))
}

/// Whether the member `key` whose value starts at `head[value]` is an envelope's `"Records"`
/// array.
fn is_records_array(head: &[u8], key: &[u8], value: usize) -> bool {
    key == b"Records" && head.get(value) == Some(&b'[')
}

/// The top-level members of the object opening at `buf[open]`, as (raw key, value start), up
/// to the first that cannot be read within `buf`.
///
/// A member's value is stepped over only when the next member is asked for, so a caller that
/// stops at a member does not walk its value (a CloudTrail envelope's `Records` array is
/// nearly all of the file).
pub(crate) fn top_level_members(buf: &[u8], open: usize) -> impl Iterator<Item = (&[u8], usize)> {
    let mut pos = if buf.get(open) == Some(&b'{') {
        open + 1
    } else {
        buf.len()
    };
    let mut last_value = None;
    std::iter::from_fn(move || {
        if let Some(value) = last_value.take() {
            pos = match (value < buf.len()).then(|| value_end(buf, value)) {
                Some(Ok(end) | Err(ScanError::TooDeep(end))) => end,
                _ => buf.len(),
            };
        }
        pos = skip_ws(buf, pos);
        if buf.get(pos) == Some(&b',') {
            pos = skip_ws(buf, pos + 1);
        }
        if buf.get(pos) != Some(&b'"') {
            return None;
        }
        let (key, value) = member(buf, pos)?;
        last_value = Some(value);
        Some((key, value))
    })
}

/// Whether the array at `head[start]` closes on its line, and the next line starts with `{`.
fn array_line_then_object(head: &[u8], start: usize) -> bool {
    let Ok(end) = value_end(head, start) else {
        return false;
    };
    if find_byte(b'\n', &head[start..end]).is_some() {
        return false;
    }
    let next = skip_ws(head, end);
    head.get(next) == Some(&b'{') && find_byte(b'\n', &head[end..next]).is_some()
}

/// Whether the objects in `head`, from the one at `head[start]`, each sit alone on a line.
fn one_object_per_line(head: &[u8], mut start: usize) -> bool {
    // Once a complete object has been seen alone on its line, a later object that does not
    // close is a broken NDJSON line, not the start of a pretty-printed document.
    let mut seen_line = false;
    loop {
        match value_end(head, start) {
            Ok(end) | Err(ScanError::TooDeep(end)) => {
                if find_byte(b'\n', &head[start..end]).is_some() {
                    return false; // pretty-printed
                }
                let next = end
                    + head[end..]
                        .iter()
                        .take_while(|&&b| b == b' ' || b == b'\t' || b == b'\r')
                        .count();
                match head.get(next) {
                    Some(b'\n') => seen_line = true,
                    Some(b'{') => return false, // glued, or on the same line
                    _ => return true,           // the end, or garbage that line framing will report
                }
                start = skip_ws(head, next);
                if head.get(start) != Some(&b'{') {
                    return true;
                }
            }
            Err(ScanError::Truncated { .. }) => {
                return seen_line || find_byte(b'\n', &head[start..]).is_none();
            }
            Err(ScanError::Mismatched(_)) => return true,
        }
    }
}
