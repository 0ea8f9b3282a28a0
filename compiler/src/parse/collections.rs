//! Legacy Sigma collections: several rules in one file sharing parts.
//!
//! A document with `action: global` is merged into every rule document after it (until
//! `action: reset`); `action: repeat` derives a rule from the previous one with the keys it
//! gives replaced. Merging is deep: mappings merge key by key, anything else is replaced.
//!
//! ```yaml
//! action: global
//! logsource: {product: aws, service: cloudtrail}
//! ---
//! title: Trail deleted
//! detection: {sel: {eventName: DeleteTrail}, condition: sel}
//! ---
//! action: repeat
//! title: Trail stopped
//! detection: {sel: {eventName: StopLogging}}
//! ```

use super::yaml::{Node, Value};
use crate::diagnostic::{Code, Diagnostic};

/// Applies legacy `action: global/reset/repeat` documents, returning the rules to parse.
pub(super) fn resolve_collections(docs: Vec<Node>, diags: &mut Vec<Diagnostic>) -> Vec<Node> {
    let mut global: Option<Node> = None;
    let mut previous: Option<Node> = None;
    let mut rules = Vec::new();
    for doc in docs {
        let action = doc.get("action").and_then(Node::as_str).map(str::to_string);
        let body = without_key(&doc, "action");
        match action.as_deref() {
            None => {
                let rule = match &global {
                    Some(g) => merge(g, &body),
                    None => body,
                };
                previous = Some(rule.clone());
                rules.push(rule);
            }
            Some("global") => {
                global = Some(match &global {
                    Some(g) => merge(g, &body),
                    None => body,
                })
            }
            Some("reset") => global = None,
            Some("repeat") => match &previous {
                Some(prev) => {
                    let rule = merge(prev, &body);
                    previous = Some(rule.clone());
                    rules.push(rule);
                }
                None => diags.push(
                    Diagnostic::new(
                        Code::InvalidCollection,
                        doc.span,
                        "`action: repeat` with no rule before it",
                    )
                    .with_label("nothing to repeat"),
                ),
            },
            Some(other) => diags.push(
                Diagnostic::new(
                    Code::InvalidCollection,
                    doc.span,
                    format!("unknown collection action `{other}`"),
                )
                .with_help("Sigma collections use `action: global`, `reset` or `repeat`"),
            ),
        }
    }
    rules
}

fn without_key(doc: &Node, key: &str) -> Node {
    match &doc.value {
        Value::Map(entries) => Node {
            value: Value::Map(
                entries
                    .iter()
                    .filter(|(k, _)| k.key_text() != Some(key))
                    .cloned()
                    .collect(),
            ),
            span: doc.span,
        },
        _ => doc.clone(),
    }
}

/// Deep-merges `over` onto `base`: mappings merge key by key, anything else is replaced.
fn merge(base: &Node, over: &Node) -> Node {
    match (&base.value, &over.value) {
        (Value::Map(b), Value::Map(o)) => {
            let mut entries = b.clone();
            for (key, value) in o {
                match entries
                    .iter_mut()
                    .find(|(k, _)| k.key_text() == key.key_text())
                {
                    Some((_, existing)) => *existing = merge(existing, value),
                    None => entries.push((key.clone(), value.clone())),
                }
            }
            Node {
                value: Value::Map(entries),
                span: over.span,
            }
        }
        _ => over.clone(),
    }
}
