//! Literals a `|re` value requires, through regex-syntax's literal extraction.
//!
//! The regex is parsed with the flags it is compiled with. Character classes that are exactly
//! the two cases of one ASCII letter (what `(?i)` makes of `a`) become that lowercase letter,
//! since the prefilter folds ASCII case anyway; classes with a non-ASCII member stay classes, so
//! `(?i)k` (which also matches the Kelvin sign) requires nothing.
//!
//! Then, recursively: if the prefix literals of an expression are a small finite set each of
//! which yields a usable piece (see `string_literals`), the expression requires one of them (an
//! OR). Otherwise a concatenation requires what each part requires (an AND), an alternation
//! what one branch requires, a group or a repetition of at least once what its inside requires,
//! and anything else nothing. Limits on classes, repetitions and the number of literals keep
//! the extraction small.
//!
//! ```text
//! regex                     formula
//! ^(Get|Put)Object$         getobject | putobject
//! (?i)ROLE-[0-9]+           role-      (K and S also fold to non-ASCII letters, so
//!                                       (?i)AKIA needs nothing)
//! [0-9]+\.amazonaws\.com    .amazonaws.com
//! ```
//!
//! A regex matches anywhere in the string, so unlike other patterns its literals never carry
//! a quote.

use super::Interner;
use super::formula::Formula;
use super::string_literals::longest_piece;
use crate::ir::SigmaRegex;
use crate::limits::MAX_DEPTH;
use regex_syntax::hir::literal::{ExtractKind, Extractor};
use regex_syntax::hir::{Class, Hir, HirKind};

/// Most literals one extraction may produce.
const LIMIT_TOTAL: usize = 64;

/// The formula a regex value requires.
pub(super) fn formula(regex: &SigmaRegex, interner: &mut Interner) -> Formula {
    let parsed = regex_syntax::ParserBuilder::new()
        .case_insensitive(regex.case_insensitive)
        .multi_line(regex.multi_line)
        .dot_matches_new_line(regex.dot_all)
        .build()
        .parse(&regex.source);
    match parsed {
        Ok(hir) => required(&fold_ascii_case(&hir, 0), interner, 0),
        Err(_) => Formula::True,
    }
}

fn required(hir: &Hir, interner: &mut Interner, depth: usize) -> Formula {
    if depth > MAX_DEPTH {
        return Formula::True;
    }
    if let Some(prefixes) = prefix_literals(hir) {
        return Formula::or(prefixes.into_iter().map(|lit| interner.formula(lit)));
    }
    match hir.kind() {
        HirKind::Concat(parts) => {
            Formula::and(parts.iter().map(|p| required(p, interner, depth + 1)))
        }
        HirKind::Alternation(branches) => {
            Formula::or(branches.iter().map(|b| required(b, interner, depth + 1)))
        }
        HirKind::Capture(capture) => required(&capture.sub, interner, depth + 1),
        HirKind::Repetition(rep) if rep.min >= 1 => required(&rep.sub, interner, depth + 1),
        _ => Formula::True,
    }
}

/// The usable pieces of the prefix literals of `hir`, if every one has one.
fn prefix_literals(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    let seq = Extractor::new()
        .kind(ExtractKind::Prefix)
        .limit_class(16)
        .limit_repeat(8)
        .limit_literal_len(64)
        .limit_total(LIMIT_TOTAL)
        .extract(hir);
    seq.literals()?
        .iter()
        .map(|lit| longest_piece(lit.as_bytes(), false, false))
        .collect()
}

/// `hir` with every class of exactly the two ASCII cases of one letter replaced by the lowercase
/// letter (see the module docs).
fn fold_ascii_case(hir: &Hir, depth: usize) -> Hir {
    if depth > MAX_DEPTH {
        return hir.clone();
    }
    let fold = |sub: &Hir| Box::new(fold_ascii_case(sub, depth + 1));
    match hir.kind() {
        HirKind::Class(class) => match ascii_letter_pair(class) {
            Some(lower) => Hir::literal([lower]),
            None => hir.clone(),
        },
        HirKind::Concat(parts) => Hir::concat(parts.iter().map(|p| *fold(p)).collect()),
        HirKind::Alternation(branches) => {
            Hir::alternation(branches.iter().map(|b| *fold(b)).collect())
        }
        HirKind::Capture(capture) => {
            let mut capture = capture.clone();
            capture.sub = fold(&capture.sub);
            Hir::capture(capture)
        }
        HirKind::Repetition(rep) => {
            let mut rep = rep.clone();
            rep.sub = fold(&rep.sub);
            Hir::repetition(rep)
        }
        HirKind::Empty | HirKind::Literal(_) | HirKind::Look(_) => hir.clone(),
    }
}

/// The lowercase letter if `class` is exactly `[Xx]` for an ASCII letter.
fn ascii_letter_pair(class: &Class) -> Option<u8> {
    let members: Vec<(u32, u32)> = match class {
        Class::Unicode(c) => c
            .ranges()
            .iter()
            .map(|r| (u32::from(r.start()), u32::from(r.end())))
            .collect(),
        Class::Bytes(c) => c
            .ranges()
            .iter()
            .map(|r| (u32::from(r.start()), u32::from(r.end())))
            .collect(),
    };
    match members.as_slice() {
        [(a, a_end), (b, b_end)] if a == a_end && b == b_end => {
            let (upper, lower) = (u8::try_from(*a).ok()?, u8::try_from(*b).ok()?);
            (upper.is_ascii_uppercase() && upper.to_ascii_lowercase() == lower).then_some(lower)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(source: &str, insensitive: bool) -> String {
        let regex = SigmaRegex::new(source, insensitive, false, false).unwrap();
        let mut interner = Interner::default();
        let f = formula(&regex, &mut interner);
        f.render(&|id| String::from_utf8_lossy(&interner.literals[id.0 as usize]).into_owned())
    }

    #[test]
    fn alternations_and_inner_literals() {
        assert_eq!(render("^(Get|Put)Object$", false), "getobject | putobject");
        assert_eq!(render("[0-9]+\\.amazonaws\\.com", false), ".amazonaws.com");
        assert_eq!(render("x+(abc|def)y+ghi", false), "ghi & (abc | def)");
    }

    #[test]
    fn case_insensitive_ascii_folds_but_kelvin_does_not() {
        assert_eq!(render("ROLE[A-Z0-9]{16}", true), "role");
        assert_eq!(render("AKIA[A-Z0-9]{16}", true), "true");
        assert_eq!(render("kill", true), "kill | ill");
        assert_eq!(render("pass", true), "true");
        assert_eq!(render("DROP TABLE", true), "drop table");
    }

    #[test]
    fn unbounded_or_empty_regexes_need_nothing() {
        assert_eq!(render(".*", false), "true");
        assert_eq!(render("a?b?c?", false), "true");
        assert_eq!(render("[a-z]{3}", false), "true");
    }

    #[test]
    fn quotes_and_backslashes_are_escaped() {
        assert_eq!(render("say \"hi\"", false), "say \\\"hi\\\"");
        assert_eq!(render("C:\\\\Temp", false), "c:\\\\temp");
    }
}
