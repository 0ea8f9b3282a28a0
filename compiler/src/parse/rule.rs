//! One YAML document to one [`Rule`]: metadata, then the detection, correlation or filter body.

use super::Context;
use super::correlation::parse_correlation;
use super::detection::{ItemSource, ParsedDetection, parse_detection};
use super::yaml::{Node, Value};
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{Filter, Level, LogSource, Matcher, Rule, RuleKind, RuleMeta};
use std::path::Path;

/// A parsed rule and the matchers its detection refers to.
pub struct ParsedRule {
    /// The rule; its `MatcherId`s index `matchers` until it joins a rule set.
    pub rule: Rule,
    /// The rule's own matchers.
    pub matchers: Vec<Matcher>,
    /// What each matcher was compiled from, by the same index.
    pub sources: Vec<ItemSource>,
    /// The log source as the rule file wrote it, before a pipeline changed it.
    pub written_logsource: LogSource,
    /// For a correlation rule, the log sources as written of the detection rules it refers to
    /// (through other correlations too), which a pipeline's log-source conditions look at.
    /// They are known once the whole load is parsed, so a pipeline applies to a correlation
    /// then.
    pub referenced_logsources: Vec<LogSource>,
}

/// Parses one document. Problems go to `diags`; `None` means the rule is refused.
pub fn parse_rule(
    doc: &Node,
    path: &Path,
    cx: &Context,
    diags: &mut Vec<Diagnostic>,
) -> Option<ParsedRule> {
    if doc.as_map().is_none() {
        diags.push(
            Diagnostic::new(
                Code::NotARule,
                doc.span,
                format!("this document is {}", doc.kind_name()),
            )
            .with_label("expected a Sigma rule (a mapping)"),
        );
        return None;
    }
    let errors_before = diags.iter().filter(|d| d.is_error()).count();
    let meta = parse_meta(doc, path, diags);
    let body = if let Some(node) = doc.get("correlation") {
        parse_correlation(node)
            .map_err(|d| diags.push(d))
            .ok()
            .map(|c| (RuleKind::Correlation(c), Vec::new(), Vec::new()))
    } else if let Some(node) = doc.get("filter") {
        parse_filter(node, cx, diags)
    } else if let Some(node) = doc.get("detection") {
        parse_detection(node, cx, diags).map(
            |ParsedDetection {
                 detection,
                 matchers,
                 sources,
             }| (RuleKind::Detection(detection), matchers, sources),
        )
    } else {
        diags.push(
            Diagnostic::new(
                Code::NotARule,
                doc.span,
                "not a rule: no `detection`, `correlation` or `filter`",
            )
            .with_label("this document")
            .with_help("a detection rule needs `logsource` and `detection`"),
        );
        None
    };
    let has_body = doc.get("detection").is_some() || doc.get("correlation").is_some();
    if has_body && doc.get("filter").is_none() {
        warn_missing_metadata(doc, &meta, diags);
    }
    let (kind, matchers, sources) = body?;
    if matches!(kind, RuleKind::Detection(_) | RuleKind::Filter(_))
        && doc.get("logsource").is_none()
    {
        diags.push(
            Diagnostic::new(Code::MissingKey, doc.span, "rule has no `logsource`")
                .with_label("this rule")
                .with_help("add e.g. `logsource: {product: aws, service: cloudtrail}`"),
        );
    }
    let meta = meta?;
    let failed = diags.iter().filter(|d| d.is_error()).count() > errors_before;
    (!failed).then_some(ParsedRule {
        written_logsource: meta.logsource.clone(),
        rule: Rule { meta, kind },
        matchers,
        sources,
        referenced_logsources: Vec::new(),
    })
}

fn parse_meta(doc: &Node, path: &Path, diags: &mut Vec<Diagnostic>) -> Option<RuleMeta> {
    let title = match doc.get("title") {
        Some(node) => match node.key_text() {
            Some(t) if node.as_map().is_none() => Some(t.to_string()),
            _ => {
                diags.push(wrong_type("title", node, "a string"));
                None
            }
        },
        None => {
            diags.push(
                Diagnostic::new(Code::MissingKey, doc.span, "rule has no `title`")
                    .with_label("this rule")
                    .with_help("add `title: What this rule detects`"),
            );
            None
        }
    };
    let text = |key: &str| doc.get(key).and_then(|n| n.key_text()).map(str::to_string);
    let level = doc.get("level").and_then(|node| {
        let level = node.as_str().and_then(Level::parse);
        if level.is_none() {
            diags.push(
                Diagnostic::new(Code::UnknownLevel, node.span, "unknown level")
                    .with_label("not a Sigma level")
                    .with_help("use informational, low, medium, high or critical"),
            );
        }
        level
    });
    let logsource = doc
        .get("logsource")
        .map(|node| parse_logsource(node, diags))
        .unwrap_or_default();
    Some(RuleMeta {
        id: text("id"),
        name: text("name"),
        title: title?,
        description: text("description"),
        status: text("status"),
        level,
        tags: string_list(doc.get("tags"), "tags", diags),
        falsepositives: string_list(doc.get("falsepositives"), "falsepositives", diags),
        logsource,
        path: path.to_path_buf(),
        span: doc.span,
    })
}

fn warn_missing_metadata(doc: &Node, meta: &Option<RuleMeta>, diags: &mut Vec<Diagnostic>) {
    let title_span = doc
        .as_map()
        .and_then(|m| m.first())
        .map_or(doc.span, |(k, _)| k.span);
    if doc.get("id").is_none() {
        diags.push(
            Diagnostic::new(Code::MissingId, title_span, "rule has no `id`")
                .with_label("in this rule")
                .with_help("add `id:` with a fresh UUID so tools can track the rule"),
        );
    }
    if doc.get("level").is_none() && meta.is_some() {
        diags.push(
            Diagnostic::new(Code::MissingLevel, title_span, "rule has no `level`")
                .with_label("in this rule")
                .with_help("add `level:` informational, low, medium, high or critical"),
        );
    }
}

fn wrong_type(key: &str, node: &Node, expected: &str) -> Diagnostic {
    Diagnostic::new(
        Code::WrongType,
        node.span,
        format!("`{key}` is {}", node.kind_name()),
    )
    .with_label(format!("expected {expected}"))
}

fn string_list(node: Option<&Node>, key: &str, diags: &mut Vec<Diagnostic>) -> Vec<String> {
    let Some(node) = node else { return Vec::new() };
    match &node.value {
        Value::Seq(items) => items
            .iter()
            .filter_map(|i| i.key_text().map(str::to_string))
            .collect(),
        Value::Null => Vec::new(),
        Value::Map(_) => {
            diags.push(wrong_type(key, node, "a list of strings"));
            Vec::new()
        }
        _ => node.key_text().map(str::to_string).into_iter().collect(),
    }
}

fn parse_logsource(node: &Node, diags: &mut Vec<Diagnostic>) -> LogSource {
    if node.as_map().is_none() {
        diags.push(wrong_type(
            "logsource",
            node,
            "a mapping with product, service or category",
        ));
        return LogSource::default();
    }
    let field = |key: &str| {
        node.get(key)
            .and_then(|n| n.key_text())
            .map(|s| s.to_ascii_lowercase())
    };
    LogSource {
        product: field("product"),
        service: field("service"),
        category: field("category"),
    }
}

fn parse_filter(
    node: &Node,
    cx: &Context,
    diags: &mut Vec<Diagnostic>,
) -> Option<(RuleKind, Vec<Matcher>, Vec<ItemSource>)> {
    let Some(entries) = node.as_map() else {
        diags.push(
            Diagnostic::new(
                Code::InvalidFilter,
                node.span,
                format!("`filter` is {}", node.kind_name()),
            )
            .with_label("expected a mapping with `rules`, searches and a condition"),
        );
        return None;
    };
    let rules = match node.get("rules").map(|n| &n.value) {
        Some(Value::Seq(items)) => items
            .iter()
            .filter_map(|i| Some((i.key_text()?.to_string(), i.span)))
            .collect(),
        Some(_) => {
            let n = node.get("rules").expect("checked above");
            n.key_text()
                .map(|s| vec![(s.to_string(), n.span)])
                .unwrap_or_default()
        }
        None => {
            diags.push(
                Diagnostic::new(Code::InvalidFilter, node.span, "filter has no `rules`")
                    .with_label("in this filter")
                    .with_help("list the ids or names of the rules this filter applies to"),
            );
            return None;
        }
    };
    let searches: Vec<(Node, Node)> = entries
        .iter()
        .filter(|(k, _)| k.key_text() != Some("rules"))
        .cloned()
        .collect();
    let detection_node = Node {
        value: Value::Map(searches),
        span: node.span,
    };
    let ParsedDetection {
        detection,
        matchers,
        sources,
    } = parse_detection(&detection_node, cx, diags)?;
    Some((
        RuleKind::Filter(Filter { rules, detection }),
        matchers,
        sources,
    ))
}
