//! Sigma's wildcard patterns: `*` for any run of characters, `?` for one, `\*`, `\?` and `\\`
//! for the characters themselves; a backslash before anything else is literal. A value with
//! `|windash` also has dash classes ([`GlobToken::Dash`]): each dash-like character of the value
//! matches any of the [`WINDASH`] characters, without enumerating the spellings.
//!
//! ```
//! use sigil_compiler::{GlobToken, parse_wildcards};
//! assert_eq!(
//!     parse_wildcards("*\\cmd.exe"),
//!     [GlobToken::Star, GlobToken::Literal("\\cmd.exe".into())]
//! );
//! ```

/// One piece of a wildcard pattern.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum GlobToken {
    /// Literal text (already case-folded unless the pattern is cased).
    Literal(String),
    /// `*`: any run of characters.
    Star,
    /// `?`: exactly one character.
    Question,
    /// One of the [`WINDASH`] characters (a dash of a `|windash` value).
    Dash,
}

/// The characters `|windash` takes for one another: hyphen-minus, slash, en dash, em dash and
/// horizontal bar.
pub const WINDASH: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];

/// `tokens` with every [`WINDASH`] character of their literal text made a [`GlobToken::Dash`]:
/// the pattern of a `|windash` value.
///
/// ```
/// use sigil_compiler::{GlobToken, parse_wildcards, windash_classes};
/// let tokens = windash_classes(parse_wildcards("* -c*"));
/// assert_eq!(tokens[2], GlobToken::Dash);
/// ```
pub fn windash_classes(tokens: Vec<GlobToken>) -> Vec<GlobToken> {
    let mut out = Vec::with_capacity(tokens.len());
    for token in tokens {
        let GlobToken::Literal(text) = token else {
            out.push(token);
            continue;
        };
        let mut literal = String::new();
        for c in text.chars() {
            if WINDASH.contains(&c) {
                if !literal.is_empty() {
                    out.push(GlobToken::Literal(std::mem::take(&mut literal)));
                }
                out.push(GlobToken::Dash);
            } else {
                literal.push(c);
            }
        }
        if !literal.is_empty() {
            out.push(GlobToken::Literal(literal));
        }
    }
    out
}

/// Splits a Sigma value into literal runs and wildcards, resolving escapes.
pub fn parse_wildcards(value: &str) -> Vec<GlobToken> {
    let mut tokens = Vec::new();
    let mut literal = String::new();
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some(&next @ ('*' | '?' | '\\')) => {
                    literal.push(next);
                    chars.next();
                }
                _ => literal.push('\\'),
            },
            '*' | '?' => {
                if !literal.is_empty() {
                    tokens.push(GlobToken::Literal(std::mem::take(&mut literal)));
                }
                let token = if c == '*' {
                    GlobToken::Star
                } else {
                    GlobToken::Question
                };
                // `**` is the same as `*`.
                if !(token == GlobToken::Star && tokens.last() == Some(&GlobToken::Star)) {
                    tokens.push(token);
                }
            }
            _ => literal.push(c),
        }
    }
    if !literal.is_empty() {
        tokens.push(GlobToken::Literal(literal));
    }
    tokens
}

/// Escapes a literal so that [`parse_wildcards`] gives it back unchanged.
pub(crate) fn escape_wildcards(literal: &str) -> String {
    let mut out = String::with_capacity(literal.len());
    for c in literal.chars() {
        if matches!(c, '*' | '?' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Matches a wildcard pattern against the whole text, in O(text × pattern) at worst.
///
/// The pattern is cut at each `*` into segments; the first is anchored at the start, the last
/// at the end, and each middle segment is matched at its leftmost position (leftmost is always
/// best for a segment that follows a `*`). `?` matches one character inside a segment, a
/// [`GlobToken::Dash`] one of the [`WINDASH`] characters.
pub(super) fn glob_match(tokens: &[GlobToken], text: &str) -> bool {
    let segments: Vec<&[GlobToken]> = tokens.split(|t| *t == GlobToken::Star).collect();
    let text: Vec<char> = text.chars().collect();
    let (first, rest) = segments
        .split_first()
        .expect("split yields one segment at least");
    let Some(mut pos) = match_segment_at(first, &text, 0) else {
        return false;
    };
    let Some((last, middle)) = rest.split_last() else {
        return pos == text.len();
    };
    for segment in middle {
        let found = (pos..=text.len()).find_map(|start| match_segment_at(segment, &text, start));
        let Some(end) = found else {
            return false;
        };
        pos = end;
    }
    let last_len = segment_len(last);
    text.len() >= pos + last_len
        && match_segment_at(last, &text, text.len() - last_len) == Some(text.len())
}

fn segment_len(segment: &[GlobToken]) -> usize {
    segment
        .iter()
        .map(|t| match t {
            GlobToken::Literal(s) => s.chars().count(),
            _ => 1,
        })
        .sum()
}

/// Matches a star-free segment at `start`; returns the end position.
fn match_segment_at(segment: &[GlobToken], text: &[char], start: usize) -> Option<usize> {
    let mut pos = start;
    for token in segment {
        match token {
            GlobToken::Literal(s) => {
                for c in s.chars() {
                    if text.get(pos) != Some(&c) {
                        return None;
                    }
                    pos += 1;
                }
            }
            GlobToken::Question => {
                if pos >= text.len() {
                    return None;
                }
                pos += 1;
            }
            GlobToken::Dash => {
                if !text.get(pos).is_some_and(|c| WINDASH.contains(c)) {
                    return None;
                }
                pos += 1;
            }
            GlobToken::Star => unreachable!("segments are split at stars"),
        }
    }
    Some(pos)
}

/// The pattern text of `tokens`: what [`parse_wildcards`] turns back into them (a dash class
/// shows as `[-/–—―]`, which does not parse back: it is for reading only).
pub(crate) fn glob_text(tokens: &[GlobToken]) -> String {
    tokens
        .iter()
        .map(|t| match t {
            GlobToken::Literal(s) => escape_wildcards(s),
            GlobToken::Star => "*".into(),
            GlobToken::Question => "?".into(),
            GlobToken::Dash => format!("[{}]", WINDASH.iter().collect::<String>()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_follow_the_spec() {
        assert_eq!(
            parse_wildcards("\\cmd.exe"),
            vec![GlobToken::Literal("\\cmd.exe".into())]
        );
        assert_eq!(
            parse_wildcards("a\\\\*"),
            vec![GlobToken::Literal("a\\".into()), GlobToken::Star]
        );
        assert_eq!(parse_wildcards("\\?"), vec![GlobToken::Literal("?".into())]);
        assert_eq!(
            parse_wildcards(&escape_wildcards("a*b\\?")),
            vec![GlobToken::Literal("a*b\\?".into())]
        );
    }
}
