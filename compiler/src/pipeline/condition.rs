//! When a processing item applies: conditions on the rule, on a detection item, on a field name,
//! each level combined with its `*_cond_op` (`and` by default) and `*_cond_not`, as pySigma does.
//!
//! Values are seen as pySigma sees them: a plain value keeps its text as written (`\*` is a
//! literal asterisk), and `contains`, `startswith` and `endswith` put their `*` around it
//! (`eventName|startswith: Delete` is `Delete*`). Values under other string modifiers
//! (encoders, `windash`) have no such form here: string conditions never hold for them.

use super::parse::invalid;
use super::{Applied, Tracking};
use crate::diagnostic::Diagnostic;
use crate::ir::{LogSource, RuleKind};
use crate::limits::REGEX_SIZE_LIMIT;
use crate::parse::ParsedRule;
use crate::parse::detection::ItemSource;
use crate::parse::modifier::{Family, Modifier};
use crate::parse::yaml::{Node, Value};
use regex_automata::meta::Regex;
use regex_automata::{Anchored, Input};

/// The conditions of one level and how they combine.
#[derive(Clone, Debug)]
pub(super) struct Conditions<C> {
    pub(super) list: Vec<C>,
    /// `*_cond_op: or`.
    pub(super) any: bool,
    /// `*_cond_not: true`.
    pub(super) negate: bool,
}

impl<C> Conditions<C> {
    /// The combined result (an empty `and` holds, an empty `or` does not, as in pySigma).
    pub(super) fn holds(&self, test: impl Fn(&C) -> bool) -> bool {
        let result = if self.any {
            self.list.iter().any(&test)
        } else {
            self.list.iter().all(&test)
        };
        result != self.negate
    }
}

/// A condition on the whole rule.
#[derive(Clone, Debug)]
pub(super) enum RuleCondition {
    /// `logsource`: every part given equals the rule's.
    Logsource(LogSource),
    /// `contains_field`: some detection item has this field.
    ContainsField(String),
    /// `contains_detection_item`: some item has this field and this value.
    ContainsDetectionItem(String, String),
    /// `processing_item_applied`: the item with this id applied to the rule.
    Applied(String),
    /// `is_sigma_rule`
    IsSigmaRule,
    /// `is_sigma_correlation_rule`
    IsCorrelationRule,
    /// `tag`
    Tag(String),
}

impl RuleCondition {
    pub(super) fn matches(&self, rule: &ParsedRule, applied: &Applied) -> bool {
        let items = || rule.sources.iter().filter(|s| !s.key.field.is_empty());
        match self {
            RuleCondition::Logsource(want) => {
                let part = |w: &Option<String>, h: &Option<String>| w.is_none() || w == h;
                let fits = |have: &LogSource| {
                    part(&want.category, &have.category)
                        && part(&want.product, &have.product)
                        && part(&want.service, &have.service)
                };
                // A correlation has the log sources of the rules it refers to (as pySigma's).
                match rule.rule.kind {
                    RuleKind::Correlation(_) => rule.referenced_logsources.iter().any(fits),
                    _ => fits(&rule.rule.meta.logsource),
                }
            }
            RuleCondition::ContainsField(field) => items().any(|s| &s.key.field == field),
            RuleCondition::ContainsDetectionItem(field, value) => items().any(|s| {
                &s.key.field == field
                    && values(s).any(|v| sigma_string(s, v).as_deref() == Some(value.as_str()))
            }),
            RuleCondition::Applied(id) => applied.rule.contains(id),
            RuleCondition::IsSigmaRule => !matches!(rule.rule.kind, RuleKind::Correlation(_)),
            RuleCondition::IsCorrelationRule => matches!(rule.rule.kind, RuleKind::Correlation(_)),
            RuleCondition::Tag(tag) => rule
                .rule
                .meta
                .tags
                .iter()
                .any(|t| t.eq_ignore_ascii_case(tag)),
        }
    }
}

/// A condition on one detection item (`field|modifiers: values`).
#[derive(Clone, Debug)]
pub(super) enum ItemCondition {
    /// `match_string`: the regex matches at the start of the value(s).
    MatchString {
        any: bool,
        regex: Regex,
        negate: bool,
    },
    /// `match_value`: the value(s) equal this one.
    MatchValue { any: bool, value: Value },
    /// `contains_wildcard`
    ContainsWildcard { any: bool },
    /// `is_null`
    IsNull { any: bool },
    /// `processing_item_applied`
    Applied(String),
}

impl ItemCondition {
    pub(super) fn matches(&self, item: &ItemSource, applied: &Tracking) -> bool {
        let each = |any: bool, test: &dyn Fn(&Node) -> bool| {
            let mut vals = values(item);
            if any { vals.any(test) } else { vals.all(test) }
        };
        match self {
            ItemCondition::MatchString { any, regex, negate } => each(*any, &|v| {
                let found = sigma_string(item, v).is_some_and(|s| matches_at_start(regex, &s));
                found != *negate
            }),
            ItemCondition::MatchValue { any, value } => each(*any, &|v| match (&v.value, value) {
                (Value::Number { value: a, .. }, Value::Number { value: b, .. }) => a == b,
                (Value::Bool(a), Value::Bool(b)) => a == b,
                (_, Value::Str(want)) => sigma_string(item, v).as_deref() == Some(want.as_str()),
                _ => false,
            }),
            ItemCondition::ContainsWildcard { any } => each(*any, &|v| {
                sigma_string(item, v).is_some_and(|s| has_wildcard(&s))
            }),
            ItemCondition::IsNull { any } => each(*any, &|v| v.value == Value::Null),
            ItemCondition::Applied(id) => applied.item.contains(id),
        }
    }
}

/// A condition on a field name.
#[derive(Clone, Debug)]
pub(super) enum FieldCondition {
    /// `include_fields` / `exclude_fields`, plain names or (`mode: re`) regexes matched at the
    /// start of the name.
    Fields {
        fields: Vec<String>,
        regexes: Option<Vec<Regex>>,
        exclude: bool,
    },
    /// `processing_item_applied`: the item with this id mapped this field (or this item).
    Applied(String),
}

impl FieldCondition {
    /// Whether the condition holds for a field name (`None` for keywords).
    pub(super) fn matches_field(&self, field: Option<&str>, applied: &Applied) -> bool {
        match self {
            FieldCondition::Fields {
                fields,
                regexes,
                exclude,
            } => {
                let included = field.is_some_and(|f| match regexes {
                    None => fields.iter().any(|x| x == f),
                    Some(res) => res.iter().any(|re| matches_at_start(re, f)),
                });
                included != *exclude
            }
            FieldCondition::Applied(id) => field
                .and_then(|f| applied.fields.get(f))
                .is_some_and(|ids| ids.contains(id)),
        }
    }

    /// Whether the condition holds for a detection item: for its field, or for a field one of
    /// its `|fieldref` values names.
    pub(super) fn matches_item(
        &self,
        item: &ItemSource,
        tracking: &Tracking,
        applied: &Applied,
    ) -> bool {
        if let FieldCondition::Applied(id) = self {
            return tracking.item.contains(id);
        }
        let field = (!item.key.field.is_empty()).then_some(item.key.field.as_str());
        self.matches_field(field, applied)
            || field_refs(item).any(|r| self.matches_field(Some(r), applied))
    }
}

/// The values of an item, one node each.
pub(super) fn values(item: &ItemSource) -> impl Iterator<Item = &Node> {
    match &item.value.value {
        Value::Seq(items) => items.iter().collect::<Vec<_>>().into_iter(),
        _ => vec![&item.value].into_iter(),
    }
}

/// The fields an item's `|fieldref` values name.
pub(super) fn field_refs(item: &ItemSource) -> impl Iterator<Item = &str> {
    let refs = item.key.has(Modifier::FieldRef);
    values(item).filter(move |_| refs).filter_map(Node::as_str)
}

/// Whether the item's values are plain strings to pySigma: no encoder, no regex, no other kind.
pub(super) fn has_string_form(item: &ItemSource) -> bool {
    let plain = [
        Modifier::Contains,
        Modifier::StartsWith,
        Modifier::EndsWith,
        Modifier::All,
        Modifier::Cased,
        Modifier::Expand,
        Modifier::Neq,
    ];
    matches!(item.key.family(), Family::String | Family::Generic)
        && item.key.modifiers.iter().all(|(m, _)| plain.contains(m))
}

/// A value as pySigma's string form: its text with the wildcards `contains`, `startswith` and
/// `endswith` add; `None` for values that are no such string.
pub(super) fn sigma_string(item: &ItemSource, value: &Node) -> Option<String> {
    if !has_string_form(item) {
        return None;
    }
    let text = match &value.value {
        Value::Str(s) => s.clone(),
        Value::Number { text, .. } => text.clone(),
        _ => return None,
    };
    let (before, after) = if item.key.has(Modifier::Contains) {
        ("*", "*")
    } else if item.key.has(Modifier::StartsWith) {
        ("", "*")
    } else if item.key.has(Modifier::EndsWith) {
        ("*", "")
    } else {
        ("", "")
    };
    let before = if text.starts_with('*') { "" } else { before };
    let after = if text.ends_with('*') && !text.ends_with("\\*") {
        ""
    } else {
        after
    };
    Some(format!("{before}{text}{after}"))
}

/// Whether a Sigma string has an unescaped `*` or `?`.
fn has_wildcard(text: &str) -> bool {
    let mut escaped = false;
    for c in text.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '*' | '?' => return true,
            _ => {}
        }
    }
    false
}

/// Compiles a pipeline regex (linear time, bounded like a rule's `|re`).
pub(super) fn compile_regex(node: &Node) -> Result<Regex, Diagnostic> {
    let pattern = node
        .key_text()
        .filter(|_| !matches!(node.value, Value::Seq(_) | Value::Map(_)))
        .ok_or_else(|| invalid(node, "expected a regular expression"))?;
    Regex::builder()
        .configure(Regex::config().nfa_size_limit(Some(REGEX_SIZE_LIMIT)))
        .build(pattern)
        .map_err(|e| invalid(node, format!("invalid regular expression: {e}")))
}

/// Python's `re.match`: a match starting at the first character.
pub(super) fn matches_at_start(regex: &Regex, text: &str) -> bool {
    regex.is_match(Input::new(text).anchored(Anchored::Yes))
}
