//! A spanned YAML tree, parsed with bounded resources.
//!
//! Sigma rules are dynamic (any field name can be a key), so they are first read into a generic
//! [`Node`] tree in which every node, key and scalar keeps its byte [`Span`]: diagnostics can point
//! at the exact value that is wrong, however deeply it is nested. Parsing goes through
//! `serde-saphyr` with a [`Budget`](serde_saphyr::Budget): alias expansion, node count and nesting
//! depth are capped ([`MAX_NODES`], [`MAX_DEPTH`]), so a YAML bomb is refused with an error in bounded memory.
//!
//! Booleans are YAML 1.2's `true`/`false` only (`yes`, `N` and friends stay strings), as pySigma's
//! users write them.

use crate::diagnostic::{Code, Diagnostic};
use crate::limits::{MAX_ALIASES, MAX_DEPTH, MAX_DOCUMENTS, MAX_NODES, MAX_RULE_FILE_BYTES};
use crate::source::{SourceId, Span};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;
use serde_saphyr::budget::BudgetBreach;
use std::fmt;

/// A YAML node with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The node's value.
    pub value: Value,
    /// Where it is in its file.
    pub span: Span,
}

/// The value of a YAML node.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `null`, `~`, or nothing.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number; `text` is its spelling in the file (`4688`, `0x10`, `1.50`).
    Number {
        /// The number's value.
        value: f64,
        /// Its spelling in the source.
        text: String,
    },
    /// A string (quoted or plain).
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in file order.
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// The string, if this is a string scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The entries, if this is a mapping.
    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The value of `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.key_text() == Some(key))
            .map(|(_, v)| v)
    }

    /// The text of a scalar used as a mapping key: strings as they are, numbers as spelled,
    /// booleans and null by their YAML spelling.
    pub fn key_text(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            Value::Number { text, .. } => Some(text),
            Value::Bool(true) => Some("true"),
            Value::Bool(false) => Some("false"),
            Value::Null => Some(""),
            Value::Seq(_) | Value::Map(_) => None,
        }
    }

    /// The node as a JSON value (example events in test files are written in YAML). Numbers
    /// keep their spelling where JSON can (integers stay integers); keys must be scalars.
    pub fn to_json(&self) -> Result<serde_json::Value, String> {
        use serde_json::Value as Json;
        Ok(match &self.value {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Number { value, text } => match (text.parse::<i64>(), text.parse::<u64>()) {
                (Ok(n), _) => n.into(),
                (_, Ok(n)) => n.into(),
                _ => serde_json::Number::from_f64(*value)
                    .map(Json::Number)
                    .ok_or_else(|| format!("`{text}` is not a JSON number"))?,
            },
            Value::Str(s) => Json::String(s.clone()),
            Value::Seq(items) => {
                Json::Array(items.iter().map(Node::to_json).collect::<Result<_, _>>()?)
            }
            Value::Map(entries) => Json::Object(
                entries
                    .iter()
                    .map(|(k, v)| {
                        let key = k.key_text().ok_or("a key is not a scalar")?;
                        Ok((key.to_string(), v.to_json()?))
                    })
                    .collect::<Result<_, String>>()?,
            ),
        })
    }

    /// A short name of the node's kind for messages ("a string", "a list", ...).
    pub fn kind_name(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number { .. } => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

/// Parses every YAML document of a file. On failure, the diagnostic names the position.
pub fn parse_documents(source: SourceId, text: &str) -> Result<Vec<Node>, Diagnostic> {
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_nodes: MAX_NODES,
            max_depth: MAX_DEPTH,
            flow_nesting_limit: MAX_DEPTH,
            max_documents: MAX_DOCUMENTS,
            max_aliases: MAX_ALIASES,
        },
        strict_booleans: true,
    };
    let raw: Vec<Spanned<RawNode>> = serde_saphyr::from_multiple_with_options(text, options)
        .map_err(|err| yaml_error(source, text, &err))?;
    Ok(raw
        .into_iter()
        .map(|node| convert(source, text, node))
        .collect())
}

fn yaml_error(source: SourceId, text: &str, err: &serde_saphyr::Error) -> Diagnostic {
    let offset = err
        .location()
        .map_or(0, |loc| match loc.span().byte_offset() {
            Some(offset) => offset as usize,
            None => offset_of(text, loc.line() as usize, loc.column() as usize),
        });
    let offset = offset.min(text.len());
    let span = Span::new(source, offset, offset);
    let rendered = err.to_string();
    let first = rendered.lines().next().unwrap_or("invalid YAML");
    let message = strip_location_prefix(first);
    if let Some(limit) = limit_of(err, message) {
        let (what, help) = limit.describe();
        return Diagnostic::new(Code::YamlLimit, span, what)
            .with_label("limit reached here")
            .with_help(help);
    }
    Diagnostic::new(Code::YamlSyntax, span, format!("invalid YAML: {message}"))
        .with_label("here")
        .with_help("check brackets, quotes and indentation on this line and the lines before it")
}

/// The resource limits of a parse, as a diagnostic tells them.
enum Limit {
    Nodes,
    Depth,
    Documents,
    Aliases,
    /// Anchors, aliases and merge keys that expand too much in other ways.
    Expansion,
    /// A limit of the parser that rule files do not normally come near.
    Other,
}

/// The limit a parse error reports, if it is one: a budget breach (under the wrappers that add
/// a snippet or the alias that led to it), or the scanner's bound on nested `[`/`{`, which it
/// reports as a message only (`message`, the error's text).
fn limit_of(mut err: &serde_saphyr::Error, message: &str) -> Option<Limit> {
    use serde_saphyr::Error;
    if message == "recursion limit exceeded" {
        return Some(Limit::Depth);
    }
    let breach = loop {
        match err {
            Error::Budget { breach, .. } => break breach,
            Error::WithSnippet { error, .. } | Error::AliasError { error, .. } => err = error,
            _ => return None,
        }
    };
    Some(match breach {
        BudgetBreach::Nodes { .. } => Limit::Nodes,
        BudgetBreach::Depth { .. } => Limit::Depth,
        BudgetBreach::Documents { .. } => Limit::Documents,
        BudgetBreach::Aliases { .. } => Limit::Aliases,
        BudgetBreach::Anchors { .. }
        | BudgetBreach::AliasAnchorRatio { .. }
        | BudgetBreach::MergeKeys { .. }
        | BudgetBreach::RecordedAnchorEvents { .. }
        | BudgetBreach::RecordedAnchorBytes { .. } => Limit::Expansion,
        _ => Limit::Other,
    })
}

impl Limit {
    /// What went over the limit, and the limit itself as help.
    fn describe(&self) -> (String, String) {
        match self {
            Limit::Nodes => (
                format!("the file expands to more than {MAX_NODES} YAML nodes"),
                format!(
                    "a rule file may hold at most {MAX_NODES} nodes (scalars, lists and \
                     mappings), counting every node an alias expands to"
                ),
            ),
            Limit::Depth => (
                format!("the file nests lists and mappings deeper than {MAX_DEPTH} levels"),
                format!("a rule file may nest lists and mappings at most {MAX_DEPTH} deep"),
            ),
            Limit::Documents => (
                format!("the file holds more than {MAX_DOCUMENTS} YAML documents"),
                format!(
                    "a rule file may hold at most {MAX_DOCUMENTS} documents (separated by \
                     `---`); split it into several files"
                ),
            ),
            Limit::Aliases => (
                format!("the file uses more than {MAX_ALIASES} aliases (`*name`)"),
                format!("a rule file may use at most {MAX_ALIASES} aliases; write the values out"),
            ),
            Limit::Expansion => (
                "the file's anchors and aliases (`&name`, `*name`) expand too much".to_string(),
                "write the repeated values out instead of aliasing them".to_string(),
            ),
            Limit::Other => (
                "the file is too large for the YAML parser's limits".to_string(),
                format!(
                    "a rule file may be at most {MAX_RULE_FILE_BYTES} bytes and hold at most \
                     {MAX_NODES} nodes"
                ),
            ),
        }
    }
}

/// The byte offset of a 1-based line and character column.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let rest = &text[line_start.min(text.len())..];
    line_start
        + rest
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(rest.len(), |(i, _)| i)
}

/// `line 3 column 7: mapping values are not allowed` -> `mapping values are not allowed`.
fn strip_location_prefix(message: &str) -> &str {
    let rest = message.strip_prefix("error: ").unwrap_or(message);
    match rest.strip_prefix("line ").and_then(|r| r.split_once(": ")) {
        Some((position, text)) if position.contains("column") => text,
        _ => rest,
    }
}

fn convert(source: SourceId, text: &str, node: Spanned<RawNode>) -> Node {
    let span = span_of(source, text, &node);
    let value = match node.value {
        RawNode::Null => Value::Null,
        RawNode::Bool(b) => Value::Bool(b),
        RawNode::Number(value) => {
            let spelled = text.get(span.start..span.end).unwrap_or_default().trim();
            let text = if spelled.is_empty() {
                value.to_string()
            } else {
                spelled.to_string()
            };
            Value::Number { value, text }
        }
        RawNode::Str(s) => Value::Str(s),
        RawNode::Seq(items) => Value::Seq(
            items
                .into_iter()
                .map(|n| convert(source, text, n))
                .collect(),
        ),
        RawNode::Map(entries) => Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| (convert(source, text, k), convert(source, text, v)))
                .collect(),
        ),
    };
    Node { value, span }
}

fn span_of<T>(source: SourceId, text: &str, node: &Spanned<T>) -> Span {
    let span = node.referenced.span();
    let start = span.byte_offset().map_or(0, |o| o as usize).min(text.len());
    let len = span.byte_len().map_or(0, |l| l as usize);
    Span::new(source, start, (start + len).min(text.len()))
}

/// The shape serde-saphyr hands us, before spans are turned into [`Span`]s.
enum RawNode {
    Null,
    Bool(bool),
    Number(f64),
    Str(String),
    Seq(Vec<Spanned<RawNode>>),
    Map(Vec<(Spanned<RawNode>, Spanned<RawNode>)>),
}

impl<'de> Deserialize<'de> for RawNode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RawNodeVisitor)
    }
}

struct RawNodeVisitor;

impl<'de> Visitor<'de> for RawNodeVisitor {
    type Value = RawNode;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<RawNode, E> {
        Ok(RawNode::Null)
    }
    fn visit_none<E>(self) -> Result<RawNode, E> {
        Ok(RawNode::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<RawNode, D::Error> {
        RawNode::deserialize(d)
    }
    fn visit_bool<E>(self, b: bool) -> Result<RawNode, E> {
        Ok(RawNode::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<RawNode, E> {
        Ok(RawNode::Number(n as f64))
    }
    fn visit_u64<E>(self, n: u64) -> Result<RawNode, E> {
        Ok(RawNode::Number(n as f64))
    }
    fn visit_i128<E>(self, n: i128) -> Result<RawNode, E> {
        Ok(RawNode::Number(n as f64))
    }
    fn visit_u128<E>(self, n: u128) -> Result<RawNode, E> {
        Ok(RawNode::Number(n as f64))
    }
    fn visit_f64<E>(self, n: f64) -> Result<RawNode, E> {
        Ok(RawNode::Number(n))
    }
    fn visit_str<E>(self, s: &str) -> Result<RawNode, E> {
        Ok(RawNode::Str(s.to_owned()))
    }
    fn visit_string<E>(self, s: String) -> Result<RawNode, E> {
        Ok(RawNode::Str(s))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawNode, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(RawNode::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawNode, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(RawNode::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<Node>, Diagnostic> {
        parse_documents(SourceId(0), text)
    }

    #[test]
    fn nested_values_keep_their_own_span() {
        let text = "detection:\n  sel:\n    EventID: 4688\n    Image|endswith: '\\cmd.exe'\n";
        let doc = &parse(text).unwrap()[0];
        let sel = doc.get("detection").unwrap().get("sel").unwrap();
        let value = sel.get("Image|endswith").unwrap();
        assert_eq!(&text[value.span.start..value.span.end], "'\\cmd.exe'");
        let number = sel.get("EventID").unwrap();
        assert_eq!(
            number.value,
            Value::Number {
                value: 4688.0,
                text: "4688".into()
            }
        );
    }

    #[test]
    fn only_true_and_false_are_booleans() {
        let doc = &parse("Y: yes\nN: no\nT: true\n").unwrap()[0];
        assert_eq!(doc.get("Y").unwrap().as_str(), Some("yes"));
        assert_eq!(doc.get("N").unwrap().as_str(), Some("no"));
        assert_eq!(doc.get("T").unwrap().value, Value::Bool(true));
    }

    #[test]
    fn multi_document_files_give_one_node_per_document() {
        assert_eq!(parse("a: 1\n---\nb: 2\n").unwrap().len(), 2);
    }

    #[test]
    fn a_yaml_bomb_is_refused_with_a_limit_error() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let prev = format!("*a{}", i - 1);
            let items = [prev.as_str(); 10].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{items}]\n"));
        }
        let err = parse(&text).unwrap_err();
        assert_eq!(err.code, Code::YamlLimit, "{err:?}");
    }

    /// Each limit is named in words with its value, never as the parser's debug text.
    #[test]
    fn every_limit_names_itself() {
        let documents = "a: 1\n---\n".repeat(MAX_DOCUMENTS + 1);
        let aliases = format!("a: &a x\n{}", "- *a\n".repeat(MAX_ALIASES + 1));
        let aliases = aliases.replacen("- *a", "b:\n- *a", 1);
        let deep_block: String = (0..=MAX_DEPTH)
            .map(|i| format!("{}k:\n", "  ".repeat(i)))
            .collect();
        let cases = [
            (
                documents,
                format!("more than {MAX_DOCUMENTS} YAML documents"),
            ),
            (aliases, format!("more than {MAX_ALIASES} aliases")),
            (
                "[".repeat(10_000),
                format!("deeper than {MAX_DEPTH} levels"),
            ),
            (deep_block, format!("deeper than {MAX_DEPTH} levels")),
        ];
        for (text, expected) in cases {
            let err = parse(&text).unwrap_err();
            assert_eq!(err.code, Code::YamlLimit, "{}", err.message);
            assert!(err.message.contains(&expected), "{}", err.message);
            let help = err.help.unwrap();
            assert!(
                !format!("{} {help}", err.message).contains(['{', '}']),
                "{help}"
            );
        }
    }

    #[test]
    fn syntax_errors_point_at_the_problem() {
        let err = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert_eq!(err.code, Code::YamlSyntax);
        assert!(err.primary.span.start > 0);
    }

    #[test]
    fn deep_nesting_is_refused_without_overflow() {
        let text = "[".repeat(10_000);
        assert!(parse(&text).is_err());
    }
}
