//! The `detection` section: search identifiers and the condition over them.
//!
//! ```yaml
//! detection:
//!   selection:                 # a mapping: every item must hold
//!     eventSource: iam.amazonaws.com
//!     eventName|startswith: Delete
//!   filter:                    # a list of mappings: one must hold
//!     - userIdentity.type: AWSService
//!     - errorCode|exists: true
//!   keywords:                  # a list of plain values: keywords, searched everywhere
//!     - 'mimikatz'
//!   condition: selection and not 1 of filter*
//! ```

use super::Context;
use super::modifier::{FieldKey, edit_distance, parse_key};
use super::value::compile_item;
use super::yaml::{Node, Value};
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{Condition, Detection, Matcher, MatcherId, Search, SearchExpr};
use crate::source::Span;
use sigil_grammar::{Expr, ExprKind, OfTarget, ParseErrorKind, Quantifier};

/// A detection together with the matchers its searches refer to (ids index `matchers`).
pub struct ParsedDetection {
    /// The detection; its `MatcherId`s index `matchers`.
    pub detection: Detection,
    /// The rule's own matchers.
    pub matchers: Vec<Matcher>,
    /// What each matcher was compiled from, by the same index.
    pub sources: Vec<ItemSource>,
}

/// A field item as written (`field|modifiers: values`): what a matcher was compiled from, kept
/// so that processing pipelines can rename its field or rewrite its values and compile it again.
#[derive(Clone, Debug)]
pub struct ItemSource {
    /// The key: field name (empty for keywords) and modifiers.
    pub key: FieldKey,
    /// Where the key is written.
    pub key_span: Span,
    /// The value node (a scalar or a list).
    pub value: Node,
}

/// Keys of a detection that are not search identifiers.
const RESERVED: &[&str] = &["condition", "timeframe"];

/// Parses a `detection` mapping. Errors and warnings are pushed to `diags`; `None` means the
/// detection has errors.
pub fn parse_detection(
    node: &Node,
    cx: &Context,
    diags: &mut Vec<Diagnostic>,
) -> Option<ParsedDetection> {
    let Some(entries) = node.as_map() else {
        diags.push(
            Diagnostic::new(
                Code::WrongType,
                node.span,
                format!("`detection` is {}", node.kind_name()),
            )
            .with_label("expected a mapping of searches and a condition"),
        );
        return None;
    };
    let errors_before = diags.iter().filter(|d| d.is_error()).count();
    let mut items = Items::default();
    let mut searches = Vec::new();
    let mut condition_node = None;
    for (key, value) in entries {
        let name = key.key_text().unwrap_or_default();
        if name == "condition" {
            condition_node = Some(value);
        } else if !RESERVED.contains(&name) {
            // A search that fails still defines its name, so the condition does not report it
            // as undefined too; the rule is refused for the search's own error.
            let expr = parse_search(name, value, cx, &mut items, diags)
                .unwrap_or(SearchExpr::Or(Vec::new()));
            searches.push(Search {
                name: name.to_string(),
                span: key.span,
                expr,
            });
        }
    }
    let Some(condition_node) = condition_node else {
        diags.push(
            Diagnostic::new(Code::MissingKey, node.span, "detection has no `condition`")
                .with_label("in this detection")
                .with_help("add e.g. `condition: selection`"),
        );
        return None;
    };
    let failed = diags.iter().filter(|d| d.is_error()).count() > errors_before;
    let condition = compile_condition(condition_node, &searches, entries, diags)?;
    if failed {
        return None;
    }
    warn_unused(&searches, &condition, diags);
    let detection = Detection {
        searches,
        condition,
        condition_span: condition_node.span,
    };
    Some(ParsedDetection {
        detection,
        matchers: items.matchers,
        sources: items.sources,
    })
}

/// The matchers of a detection so far, with what each was compiled from.
#[derive(Default)]
struct Items {
    matchers: Vec<Matcher>,
    sources: Vec<ItemSource>,
}

fn parse_search(
    name: &str,
    node: &Node,
    cx: &Context,
    items: &mut Items,
    diags: &mut Vec<Diagnostic>,
) -> Option<SearchExpr> {
    match &node.value {
        Value::Map(entries) if !entries.is_empty() => {
            // Every item is compiled, even after a bad one, so all problems are reported.
            let parsed: Vec<Option<SearchExpr>> = entries
                .iter()
                .map(|(key, value)| parse_item(key, value, cx, items, diags))
                .collect();
            parsed
                .into_iter()
                .collect::<Option<Vec<_>>>()
                .map(flatten_and)
        }
        Value::Seq(elements) if !elements.is_empty() => {
            let keywords: Vec<&Node> = elements.iter().filter(|n| n.as_map().is_none()).collect();
            let mut alternatives = Vec::new();
            if !keywords.is_empty() {
                let list = Node {
                    value: Value::Seq(keywords.into_iter().cloned().collect()),
                    span: node.span,
                };
                let key = Node {
                    value: Value::Str(String::new()),
                    span: node.span,
                };
                alternatives.push(parse_item(&key, &list, cx, items, diags)?);
            }
            for element in elements.iter().filter(|n| n.as_map().is_some()) {
                alternatives.push(parse_search(name, element, cx, items, diags)?);
            }
            Some(if alternatives.len() == 1 {
                alternatives.pop()?
            } else {
                SearchExpr::Or(alternatives)
            })
        }
        Value::Str(_) | Value::Number { .. } => {
            let key = Node {
                value: Value::Str(String::new()),
                span: node.span,
            };
            parse_item(&key, node, cx, items, diags)
        }
        _ => {
            diags.push(
                Diagnostic::new(
                    Code::InvalidSearch,
                    node.span,
                    format!("search `{name}` is {}", describe_empty(node)),
                )
                .with_label(
                    "expected a mapping of fields, a list of mappings, or a list of keywords",
                ),
            );
            None
        }
    }
}

fn describe_empty(node: &Node) -> &'static str {
    match &node.value {
        Value::Map(_) => "an empty mapping",
        Value::Seq(_) => "an empty list",
        _ => node.kind_name(),
    }
}

fn flatten_and(mut items: Vec<SearchExpr>) -> SearchExpr {
    if items.len() == 1 {
        items.pop().expect("one item")
    } else {
        SearchExpr::And(items)
    }
}

fn parse_item(
    key: &Node,
    value: &Node,
    cx: &Context,
    items: &mut Items,
    diags: &mut Vec<Diagnostic>,
) -> Option<SearchExpr> {
    let text = key.key_text().unwrap_or_default();
    let compiled = parse_key(text, key.span).and_then(|field_key| {
        let item = compile_item(&field_key, key.span, value, cx)?;
        Ok((field_key, item))
    });
    match compiled {
        Ok((field_key, item)) => {
            diags.extend(item.warnings);
            items.matchers.push(item.matcher);
            items.sources.push(ItemSource {
                key: field_key,
                key_span: key.span,
                value: value.clone(),
            });
            Some(SearchExpr::Matcher(MatcherId(
                items.matchers.len() as u32 - 1,
            )))
        }
        Err(diag) => {
            diags.push(diag);
            None
        }
    }
}

/// Compiles the condition (a string, or a list of strings meaning OR).
fn compile_condition(
    node: &Node,
    searches: &[Search],
    entries: &[(Node, Node)],
    diags: &mut Vec<Diagnostic>,
) -> Option<Condition> {
    let items: Vec<&Node> = match &node.value {
        Value::Seq(items) if !items.is_empty() => items.iter().collect(),
        _ => vec![node],
    };
    let mut alternatives = Vec::new();
    for item in items {
        let Some(text) = item.as_str() else {
            diags.push(
                Diagnostic::new(
                    Code::WrongType,
                    item.span,
                    format!("the condition is {}", item.kind_name()),
                )
                .with_label("expected a string such as `selection and not filter`"),
            );
            return None;
        };
        let expr = match sigil_grammar::parse(text) {
            Ok(expr) => expr,
            Err(err) => {
                let span = item.span.in_scalar(text, err.span.start, err.span.end);
                let code = match err.kind {
                    ParseErrorKind::TooDeep => Code::ConditionTooDeep,
                    ParseErrorKind::Aggregation => Code::Aggregation,
                    ParseErrorKind::Near => Code::Near,
                    ParseErrorKind::ZeroQuantifier | ParseErrorKind::QuantifierTooLarge => {
                        Code::InvalidQuantifier
                    }
                    _ => Code::ConditionSyntax,
                };
                let mut diag = Diagnostic::new(code, span, err.message.clone()).with_label("here");
                if let Some(help) = &err.help {
                    diag = diag.with_help(help.clone());
                }
                diags.push(diag);
                return None;
            }
        };
        let resolver = Resolver {
            searches,
            entries,
            text,
            span: item.span,
        };
        alternatives.push(resolver.resolve(&expr, diags)?);
    }
    Some(if alternatives.len() == 1 {
        alternatives.pop()?
    } else {
        Condition::Or(alternatives)
    })
}

/// Turns a condition AST into a [`Condition`] over search indices.
struct Resolver<'a> {
    searches: &'a [Search],
    entries: &'a [(Node, Node)],
    text: &'a str,
    span: Span,
}

impl Resolver<'_> {
    fn resolve(&self, expr: &Expr, diags: &mut Vec<Diagnostic>) -> Option<Condition> {
        let span = self
            .span
            .in_scalar(self.text, expr.span.start, expr.span.end);
        Some(match &expr.kind {
            ExprKind::Ident(name) => match self.searches.iter().position(|s| &s.name == name) {
                Some(index) => Condition::Search(index),
                None => {
                    diags.push(self.undefined(name, span));
                    return None;
                }
            },
            ExprKind::Not(inner) => Condition::Not(Box::new(self.resolve(inner, diags)?)),
            ExprKind::And(items) => Condition::And(self.resolve_all(items, diags)?),
            ExprKind::Or(items) => Condition::Or(self.resolve_all(items, diags)?),
            ExprKind::Of {
                quantifier,
                target,
                target_span,
            } => {
                let target_span =
                    self.span
                        .in_scalar(self.text, target_span.start, target_span.end);
                let indices: Vec<usize> = self
                    .searches
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| match target {
                        OfTarget::Them => !s.name.starts_with('_'),
                        // As with `them`, identifiers starting with `_` are left out unless
                        // the pattern itself starts with `_`.
                        OfTarget::Pattern(p) => {
                            glob_ident(p, &s.name)
                                && (p.starts_with('_') || !s.name.starts_with('_'))
                        }
                    })
                    .map(|(i, _)| i)
                    .collect();
                if indices.is_empty() {
                    let what = match target {
                        OfTarget::Them => "`them`".to_string(),
                        OfTarget::Pattern(p) => format!("`{p}`"),
                    };
                    diags.push(
                        Diagnostic::new(
                            Code::UndefinedIdentifier,
                            target_span,
                            format!("{what} matches no search identifier"),
                        )
                        .with_label("no search has a matching name"),
                    );
                    return None;
                }
                let items: Vec<Condition> = indices.into_iter().map(Condition::Search).collect();
                match quantifier {
                    Quantifier::All => Condition::And(items),
                    Quantifier::AtLeast(1) => Condition::Or(items),
                    Quantifier::AtLeast(n) => {
                        diags.push(
                            Diagnostic::new(
                                Code::NonStandardQuantifier,
                                span,
                                format!("`{n} of` is not in the Sigma specification"),
                            )
                            .with_label("other Sigma tools may refuse this rule")
                            .with_help("Sigma defines `1 of` and `all of`"),
                        );
                        Condition::AtLeast(*n, items)
                    }
                }
            }
        })
    }

    fn resolve_all(&self, items: &[Expr], diags: &mut Vec<Diagnostic>) -> Option<Vec<Condition>> {
        items.iter().map(|e| self.resolve(e, diags)).collect()
    }

    fn undefined(&self, name: &str, span: Span) -> Diagnostic {
        let mut diag = Diagnostic::new(
            Code::UndefinedIdentifier,
            span,
            format!("`{name}` is not defined in this detection"),
        )
        .with_label("no search has this name");
        let closest = self
            .entries
            .iter()
            .filter_map(|(k, _)| k.key_text())
            .filter(|k| !RESERVED.contains(k))
            .map(|k| (edit_distance(name, k), k))
            .filter(|&(d, _)| d <= 3)
            .min();
        if let Some((_, close)) = closest {
            diag = diag.with_help(format!("did you mean `{close}`?"));
        }
        diag
    }
}

/// Matches a condition identifier pattern (`*` is any run of characters) against a name.
fn glob_ident(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(i) => rest = &rest[i + middle.len()..],
            None => return false,
        }
    }
    true
}

fn warn_unused(searches: &[Search], condition: &Condition, diags: &mut Vec<Diagnostic>) {
    let mut used = vec![false; searches.len()];
    mark_used(condition, &mut used);
    for (search, used) in searches.iter().zip(used) {
        if !used {
            diags.push(
                Diagnostic::new(
                    Code::UnusedSearch,
                    search.span,
                    format!("search `{}` is never used in the condition", search.name),
                )
                .with_label("defined here")
                .with_help("use it in the condition, or remove it"),
            );
        }
    }
}

fn mark_used(condition: &Condition, used: &mut [bool]) {
    match condition {
        Condition::Search(i) => used[*i] = true,
        Condition::Not(inner) => mark_used(inner, used),
        Condition::And(items) | Condition::Or(items) | Condition::AtLeast(_, items) => {
            items.iter().for_each(|c| mark_used(c, used))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifier_patterns() {
        assert!(glob_ident("sel*", "selection"));
        assert!(glob_ident("*_filter", "main_filter"));
        assert!(glob_ident("a*b*c", "axxbyyc"));
        assert!(!glob_ident("a*b*c", "axxc"));
        assert!(glob_ident("x", "x"));
        assert!(!glob_ident("x", "xy"));
        assert!(glob_ident("*", "anything"));
    }
}
