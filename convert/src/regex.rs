//! Sigil's regular expressions in each engine's flavour, with the same meaning.
//!
//! A rule's `|re` value is parsed exactly as Sigil compiles it (regex-syntax, Unicode mode, the
//! rule's `i`/`m`/`s` flags) and its high-level form (HIR) is written back out in a subset
//! that Java (Spark, Trino's Joni), and RE2 (DuckDB) read alike. The HIR has already resolved
//! everything on which the flavours disagree:
//!
//! - classes (`\d`, `\w`, `\s`, `.`, `[^...]`, case-insensitive letters) are explicit ranges
//!   of code points, written as positive classes: Java's `\d` is ASCII, Rust's is Unicode,
//!   and `(?i)k` also matches the Kelvin sign in Rust, which the written class keeps;
//! - `^`/`$` become `\A`/`\z` (Java's `$` also matches before a final line break), and their
//!   multi-line forms `(?m:^)`/`(?m:$)` in RE2 or look-arounds for `\n` in Java (whose `(?m)`
//!   knows other line breaks too);
//! - groups become non-capturing, repetitions greedy (laziness never changes whether a
//!   regex matches).
//!
//! What no flavour here can say the same way is refused with a reason: word boundaries
//! (Unicode in Rust, ASCII in RE2, another definition in Java), CRLF-aware anchors, classes
//! that match nothing, repetitions over 1000 (RE2's limit) and byte-oriented regexes.
//!
//! ```
//! use sigil_convert::regex::{Flavour, translate};
//! assert_eq!(translate(r"^a\d?$", false, false, false, Flavour::Re2).unwrap().len() > 10, true);
//! assert_eq!(translate("ab", false, false, false, Flavour::Java).unwrap(), "ab");
//! assert!(translate(r"\bword", false, false, false, Flavour::Java).is_err());
//! ```

use regex_syntax::hir::{Class, Hir, HirKind, Look, Repetition};
use std::fmt::Write as _;

/// A regular-expression syntax an engine reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavour {
    /// `java.util.regex` (Spark) and Trino's Joni in its Java syntax (Athena).
    Java,
    /// RE2 (DuckDB).
    Re2,
}

/// RE2 refuses counted repetitions above this.
const MAX_REPEAT: u32 = 1000;

/// Translates a Sigma regex with Sigil's flags into `flavour`; `Err` says why it cannot be.
pub fn translate(
    source: &str,
    case_insensitive: bool,
    multi_line: bool,
    dot_all: bool,
    flavour: Flavour,
) -> Result<String, String> {
    let hir = regex_syntax::ParserBuilder::new()
        .case_insensitive(case_insensitive)
        .multi_line(multi_line)
        .dot_matches_new_line(dot_all)
        .build()
        .parse(source)
        .map_err(|e| format!("the regex does not parse: {e}"))?;
    write(&hir, flavour)
}

/// Writes a HIR in `flavour`.
pub fn write(hir: &Hir, flavour: Flavour) -> Result<String, String> {
    let mut out = String::new();
    Writer { flavour }.hir(hir, &mut out)?;
    Ok(out)
}

struct Writer {
    flavour: Flavour,
}

impl Writer {
    fn hir(&self, hir: &Hir, out: &mut String) -> Result<(), String> {
        match hir.kind() {
            HirKind::Empty => Ok(()),
            HirKind::Literal(literal) => {
                let text = std::str::from_utf8(&literal.0)
                    .map_err(|_| "the regex matches bytes that are not UTF-8".to_string())?;
                text.chars().for_each(|c| literal_char(c, out));
                Ok(())
            }
            HirKind::Class(Class::Unicode(class)) => {
                let ranges = class.ranges();
                if ranges.is_empty() {
                    return Err("the regex has a class that matches nothing".into());
                }
                out.push('[');
                for range in ranges {
                    class_char(range.start(), out);
                    if range.end() != range.start() {
                        out.push('-');
                        class_char(range.end(), out);
                    }
                }
                out.push(']');
                Ok(())
            }
            HirKind::Class(Class::Bytes(_)) => {
                Err("the regex matches bytes, not characters".into())
            }
            HirKind::Look(look) => self.look(*look, out),
            HirKind::Repetition(repetition) => self.repetition(repetition, out),
            HirKind::Capture(capture) => {
                out.push_str("(?:");
                self.hir(&capture.sub, out)?;
                out.push(')');
                Ok(())
            }
            HirKind::Concat(parts) => parts.iter().try_for_each(|part| self.hir(part, out)),
            HirKind::Alternation(branches) => {
                out.push_str("(?:");
                for (i, branch) in branches.iter().enumerate() {
                    if i > 0 {
                        out.push('|');
                    }
                    self.hir(branch, out)?;
                }
                out.push(')');
                Ok(())
            }
        }
    }

    fn look(&self, look: Look, out: &mut String) -> Result<(), String> {
        let text = match (look, self.flavour) {
            (Look::Start, _) => r"\A",
            (Look::End, _) => r"\z",
            (Look::StartLF, Flavour::Re2) => "(?m:^)",
            (Look::EndLF, Flavour::Re2) => "(?m:$)",
            (Look::StartLF, Flavour::Java) => r"(?:\A|(?<=\n))",
            (Look::EndLF, Flavour::Java) => r"(?:\z|(?=\n))",
            (Look::StartCRLF | Look::EndCRLF, _) => {
                return Err("the regex has CRLF-aware anchors (`R` flag)".into());
            }
            _ => {
                return Err(
                    "the regex has a word boundary, which each engine defines differently".into(),
                );
            }
        };
        out.push_str(text);
        Ok(())
    }

    fn repetition(&self, repetition: &Repetition, out: &mut String) -> Result<(), String> {
        let (min, max) = (repetition.min, repetition.max);
        if min > MAX_REPEAT || max.is_some_and(|m| m > MAX_REPEAT) {
            return Err(format!("the regex repeats more than {MAX_REPEAT} times"));
        }
        let mut sub = String::new();
        self.hir(&repetition.sub, &mut sub)?;
        let atomic = matches!(
            repetition.sub.kind(),
            HirKind::Class(_) | HirKind::Capture(_) | HirKind::Alternation(_)
        ) || (matches!(repetition.sub.kind(), HirKind::Literal(l) if std::str::from_utf8(&l.0).is_ok_and(|t| t.chars().count() == 1)));
        if atomic {
            out.push_str(&sub);
        } else {
            let _ = write!(out, "(?:{sub})");
        }
        let _ = match (min, max) {
            (0, None) => write!(out, "*"),
            (1, None) => write!(out, "+"),
            (0, Some(1)) => write!(out, "?"),
            (n, None) => write!(out, "{{{n},}}"),
            (n, Some(m)) if n == m => write!(out, "{{{n}}}"),
            (n, Some(m)) => write!(out, "{{{n},{m}}}"),
        };
        Ok(())
    }
}

/// A character outside a class: ASCII punctuation escaped, control characters in hex,
/// everything else as itself.
fn literal_char(c: char, out: &mut String) {
    if c.is_ascii_punctuation() {
        out.push('\\');
        out.push(c);
    } else if c.is_ascii_control() {
        let _ = write!(out, "\\x{:02X}", c as u32);
    } else {
        out.push(c);
    }
}

/// A character inside a class: the same escapes (they cover `]`, `\`, `^`, `-` and Java's
/// `&&`).
fn class_char(c: char, out: &mut String) {
    literal_char(c, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn java(source: &str) -> String {
        translate(source, false, false, false, Flavour::Java).unwrap()
    }

    #[test]
    fn anchors_are_absolute() {
        assert_eq!(java("^ab$"), r"\Aab\z");
        let multi = translate("^a$", false, true, false, Flavour::Re2).unwrap();
        assert_eq!(multi, "(?m:^)a(?m:$)");
        let multi = translate("^a", false, true, false, Flavour::Java).unwrap();
        assert_eq!(multi, r"(?:\A|(?<=\n))a");
    }

    #[test]
    fn classes_are_explicit() {
        assert_eq!(java("[a-c]"), "[a-c]");
        assert_eq!(
            java("a.b"),
            format!("a[\\x00-\\x09\\x0B-{}]b", '\u{10FFFF}')
        );
        // (?i)k folds to k, K and the Kelvin sign, as Sigil's regexes do.
        assert_eq!(
            translate("k", true, false, false, Flavour::Java).unwrap(),
            "[Kk\u{212A}]"
        );
        assert!(java(r"\d").contains('\u{0660}'));
        assert_eq!(java(r"[\]\-^&]"), r"[\&\-\]-\^]");
    }

    #[test]
    fn groups_and_repetitions() {
        assert_eq!(java("(ab)+c?"), "(?:ab)+c?");
        assert_eq!(java("a{2,3}b{4}c{5,}"), "a{2,3}b{4}c{5,}");
        assert_eq!(java("ab|cd"), "(?:ab|cd)");
        assert_eq!(java(r"a\.b\*"), r"a\.b\*");
        assert_eq!(java("x*?"), "x*");
    }

    #[test]
    fn refuses_what_the_flavours_disagree_on() {
        for source in [r"\bx", r"(?-u:\B)y", "a{1001}", r"[^\x00-\x{10FFFF}]"] {
            assert!(
                translate(source, false, false, false, Flavour::Re2).is_err(),
                "{source}"
            );
        }
        assert!(translate(r"(?-u:\xFF)", false, false, false, Flavour::Re2).is_err());
    }
}
