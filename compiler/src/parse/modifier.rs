//! Field modifiers: `Image|endswith`, `CommandLine|base64offset|contains|all`.
//!
//! A search key is a field name followed by `|`-separated modifiers. This module parses them
//! into [`Modifier`]s with their spans and checks which ones may be combined; `value.rs` applies
//! them to the values.

use crate::diagnostic::{Code, Diagnostic};
use crate::source::Span;

/// Every modifier of the Sigma 2.1 modifiers appendix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Modifier {
    /// `contains`
    Contains,
    /// `startswith`
    StartsWith,
    /// `endswith`
    EndsWith,
    /// `all`
    All,
    /// `re`
    Re,
    /// `i` (with `re`)
    ReInsensitive,
    /// `m` (with `re`)
    ReMultiLine,
    /// `s` (with `re`)
    ReDotAll,
    /// `base64`
    Base64,
    /// `base64offset`
    Base64Offset,
    /// `utf16le` and its alias `wide`
    Utf16Le,
    /// `utf16be`
    Utf16Be,
    /// `utf16` (with a byte order mark)
    Utf16,
    /// `windash`
    Windash,
    /// `cidr`
    Cidr,
    /// `exists`
    Exists,
    /// `lt`
    Lt,
    /// `lte`
    Lte,
    /// `gt`
    Gt,
    /// `gte`
    Gte,
    /// `neq`
    Neq,
    /// `fieldref`
    FieldRef,
    /// `expand`
    Expand,
    /// `cased`
    Cased,
    /// `minute`
    Minute,
    /// `hour`
    Hour,
    /// `day`
    Day,
    /// `week`
    Week,
    /// `month`
    Month,
    /// `year`
    Year,
}

const NAMES: &[(&str, Modifier)] = &[
    ("contains", Modifier::Contains),
    ("startswith", Modifier::StartsWith),
    ("endswith", Modifier::EndsWith),
    ("all", Modifier::All),
    ("re", Modifier::Re),
    ("i", Modifier::ReInsensitive),
    ("m", Modifier::ReMultiLine),
    ("s", Modifier::ReDotAll),
    ("base64", Modifier::Base64),
    ("base64offset", Modifier::Base64Offset),
    ("utf16le", Modifier::Utf16Le),
    ("wide", Modifier::Utf16Le),
    ("utf16be", Modifier::Utf16Be),
    ("utf16", Modifier::Utf16),
    ("windash", Modifier::Windash),
    ("cidr", Modifier::Cidr),
    ("exists", Modifier::Exists),
    ("lt", Modifier::Lt),
    ("lte", Modifier::Lte),
    ("gt", Modifier::Gt),
    ("gte", Modifier::Gte),
    ("neq", Modifier::Neq),
    ("fieldref", Modifier::FieldRef),
    ("expand", Modifier::Expand),
    ("cased", Modifier::Cased),
    ("minute", Modifier::Minute),
    ("hour", Modifier::Hour),
    ("day", Modifier::Day),
    ("week", Modifier::Week),
    ("month", Modifier::Month),
    ("year", Modifier::Year),
];

impl Modifier {
    /// Looks a modifier up by name (case-insensitive).
    pub fn from_name(name: &str) -> Option<Modifier> {
        let lower = name.to_ascii_lowercase();
        NAMES.iter().find(|(n, _)| *n == lower).map(|&(_, m)| m)
    }

    /// The modifier's name in rules.
    pub fn name(self) -> &'static str {
        NAMES
            .iter()
            .find(|&&(_, m)| m == self)
            .map(|&(n, _)| n)
            .unwrap_or("?")
    }

    /// What family the modifier belongs to; two families cannot be mixed in one key.
    pub fn family(self) -> Family {
        use Modifier::*;
        match self {
            Contains | StartsWith | EndsWith | Base64 | Base64Offset | Utf16Le | Utf16Be
            | Utf16 | Windash | Expand => Family::String,
            Re | ReInsensitive | ReMultiLine | ReDotAll => Family::Regex,
            Cidr => Family::Cidr,
            Exists => Family::Exists,
            Lt | Lte | Gt | Gte => Family::Compare,
            FieldRef => Family::FieldRef,
            Minute | Hour | Day | Week | Month | Year => Family::TimePart,
            All | Neq | Cased => Family::Generic,
        }
    }
}

/// Groups of modifiers that decide how values are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// Applies to any kind: `all`, `neq`, `cased`.
    Generic,
    /// String transformations and match kinds.
    String,
    /// `re` and its flags.
    Regex,
    /// `cidr`.
    Cidr,
    /// `exists`.
    Exists,
    /// `lt`/`lte`/`gt`/`gte`.
    Compare,
    /// `fieldref`.
    FieldRef,
    /// `minute` ... `year`.
    TimePart,
}

/// A parsed search key.
#[derive(Clone, Debug)]
pub struct FieldKey {
    /// The field name; empty for keyword searches such as `'|all'`.
    pub field: String,
    /// The modifiers with their spans, in order.
    pub modifiers: Vec<(Modifier, Span)>,
}

impl FieldKey {
    /// Whether the key has this modifier.
    pub fn has(&self, modifier: Modifier) -> bool {
        self.modifiers.iter().any(|&(m, _)| m == modifier)
    }

    /// The family that decides how values are read (Generic when only generic modifiers).
    ///
    /// A time part or a field reference decides even when written after its companions
    /// (`|gte|hour`, `|contains|fieldref`).
    pub fn family(&self) -> Family {
        self.main().map_or(Family::Generic, |(m, _)| m.family())
    }

    /// The modifier that decides the key's family, with its span.
    fn main(&self) -> Option<(Modifier, Span)> {
        let first_of = |family: Family| {
            self.modifiers
                .iter()
                .copied()
                .find(|(m, _)| m.family() == family)
        };
        first_of(Family::TimePart)
            .or_else(|| first_of(Family::FieldRef))
            .or_else(|| {
                self.modifiers
                    .iter()
                    .copied()
                    .find(|(m, _)| m.family() != Family::Generic)
            })
    }
}

/// Whether `modifier` may accompany a key whose family is decided by `main`: its own family,
/// generic modifiers, a comparison on a time part (`|hour|gte`), and a match kind on a field
/// reference (`|fieldref|contains`).
fn may_accompany(main: Modifier, modifier: Modifier) -> bool {
    let kinds = [Modifier::Contains, Modifier::StartsWith, Modifier::EndsWith];
    modifier.family() == Family::Generic
        || modifier.family() == main.family()
        || (main.family() == Family::TimePart && modifier.family() == Family::Compare)
        || (main.family() == Family::FieldRef && kinds.contains(&modifier))
}

/// Parses `field|mod|mod` written at `span`, checking that the modifiers exist and combine.
pub fn parse_key(key: &str, span: Span) -> Result<FieldKey, Diagnostic> {
    let mut parts = key.split('|');
    let field = parts.next().unwrap_or_default().to_string();
    let mut offset = field.len();
    let mut modifiers = Vec::new();
    for name in parts {
        let start = offset + 1;
        offset = start + name.len();
        let mod_span = span.in_scalar(key, start, offset);
        let Some(modifier) = Modifier::from_name(name) else {
            let mut diag = Diagnostic::new(
                Code::UnknownModifier,
                mod_span,
                format!("unknown modifier `{name}`"),
            )
            .with_label("not a Sigma modifier");
            if let Some(close) = closest_name(name) {
                diag = diag.with_help(format!("did you mean `{close}`?"));
            } else {
                diag = diag.with_help(
                    "modifiers are: contains, startswith, endswith, all, re, base64, \
                     base64offset, utf16le, utf16be, utf16, wide, windash, cidr, exists, lt, lte, \
                     gt, gte, neq, fieldref, expand, cased, minute, hour, day, week, month, year",
                );
            }
            return Err(diag);
        };
        modifiers.push((modifier, mod_span));
    }
    let key = FieldKey { field, modifiers };
    check_combination(&key)?;
    Ok(key)
}

fn check_combination(key: &FieldKey) -> Result<(), Diagnostic> {
    check_regex_flags(key)?;
    check_families(key)?;
    check_match_kinds(key)
}

/// `i`, `m` and `s` only make sense after `re`.
fn check_regex_flags(key: &FieldKey) -> Result<(), Diagnostic> {
    let flags = [
        Modifier::ReInsensitive,
        Modifier::ReMultiLine,
        Modifier::ReDotAll,
    ];
    for &(modifier, span) in &key.modifiers {
        if flags.contains(&modifier) && !key.has(Modifier::Re) {
            return Err(Diagnostic::new(
                Code::InvalidModifierUse,
                span,
                format!(
                    "modifier `{}` is a flag of `re` and needs it",
                    modifier.name()
                ),
            )
            .with_label("only valid after `re`")
            .with_help(format!("write `|re|{}`", modifier.name())));
        }
    }
    Ok(())
}

/// Modifiers of two families (say `cidr` and `contains`) cannot share a key.
fn check_families(key: &FieldKey) -> Result<(), Diagnostic> {
    let Some((main, _)) = key.main() else {
        return Ok(());
    };
    match key.modifiers.iter().find(|(m, _)| !may_accompany(main, *m)) {
        Some(&(modifier, span)) => Err(Diagnostic::new(
            Code::InvalidModifierUse,
            span,
            format!(
                "modifier `{}` cannot be combined with `{}`",
                modifier.name(),
                main.name()
            ),
        )
        .with_label("conflicts with another modifier of this key")),
        None => Ok(()),
    }
}

/// At most one of `contains`, `startswith`, `endswith`.
fn check_match_kinds(key: &FieldKey) -> Result<(), Diagnostic> {
    let kinds = [Modifier::Contains, Modifier::StartsWith, Modifier::EndsWith];
    let used: Vec<_> = key
        .modifiers
        .iter()
        .filter(|(m, _)| kinds.contains(m))
        .collect();
    if let [_, (second, span), ..] = used.as_slice() {
        return Err(Diagnostic::new(
            Code::InvalidModifierUse,
            *span,
            format!(
                "`{}` conflicts with an earlier match-kind modifier",
                second.name()
            ),
        )
        .with_help("use one of contains, startswith, endswith"));
    }
    Ok(())
}

fn closest_name(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    NAMES
        .iter()
        .map(|&(n, _)| (edit_distance(&lower, n), n))
        .filter(|&(d, n)| d <= 2 && d < n.len())
        .min()
        .map(|(_, n)| n)
}

/// Levenshtein distance, for "did you mean" suggestions.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceId;

    fn span(text: &str) -> Span {
        Span::new(SourceId(0), 10, 10 + text.len())
    }

    #[test]
    fn parses_field_and_modifiers() {
        let key = parse_key("CommandLine|base64offset|contains|all", span("x")).unwrap();
        assert_eq!(key.field, "CommandLine");
        let mods: Vec<_> = key.modifiers.iter().map(|(m, _)| *m).collect();
        assert_eq!(
            mods,
            [Modifier::Base64Offset, Modifier::Contains, Modifier::All]
        );
        assert_eq!(key.family(), Family::String);
    }

    #[test]
    fn unknown_modifier_points_at_it_and_suggests() {
        let text = "Image|endwith";
        let err = parse_key(text, span(text)).unwrap_err();
        assert_eq!(err.code, Code::UnknownModifier);
        assert_eq!((err.primary.span.start, err.primary.span.end), (16, 23));
        assert_eq!(err.help.as_deref(), Some("did you mean `endswith`?"));
    }

    #[test]
    fn time_parts_compare_and_field_references_take_match_kinds() {
        for ok in [
            "x|hour|gte",
            "x|gte|hour",
            "x|fieldref|contains",
            "x|endswith|fieldref|neq",
        ] {
            assert!(parse_key(ok, span(ok)).is_ok(), "{ok}");
        }
        assert_eq!(
            parse_key("x|gte|hour", span("x|gte|hour"))
                .unwrap()
                .family(),
            Family::TimePart
        );
        for bad in ["x|fieldref|base64", "x|hour|contains", "x|cidr|gt"] {
            assert_eq!(
                parse_key(bad, span(bad)).unwrap_err().code,
                Code::InvalidModifierUse,
                "{bad}"
            );
        }
    }

    #[test]
    fn families_do_not_mix() {
        let text = "x|cidr|contains";
        assert_eq!(
            parse_key(text, span(text)).unwrap_err().code,
            Code::InvalidModifierUse
        );
        let text = "x|i";
        assert_eq!(
            parse_key(text, span(text)).unwrap_err().code,
            Code::InvalidModifierUse
        );
        let text = "x|contains|endswith";
        assert_eq!(
            parse_key(text, span(text)).unwrap_err().code,
            Code::InvalidModifierUse
        );
        assert!(parse_key("x|re|i|m", span("x|re|i|m")).is_ok());
        assert!(parse_key("x|fieldref|neq", span("x|fieldref|neq")).is_ok());
    }
}
