//! A pipeline file's text to a [`Pipeline`]: pySigma's processing pipeline YAML, read with the
//! same bounded YAML loader as rules, every problem a diagnostic with its position.
//!
//! What Sigil does not implement is refused by name (S061), never skipped: a pipeline that
//! half-applies would quietly change what rules find. Query post-processing (`postprocessing`,
//! `finalizers`, `allowed_backends`) shapes a backend's query text, which an engine has none of,
//! so those keys are accepted and have no effect.

use super::condition::{Conditions, FieldCondition, ItemCondition, RuleCondition, compile_regex};
use super::{Item, Pipeline, Transformation};
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::LogSource;
use crate::parse::yaml::{self, Node, Value};
use crate::source::SourceId;
use std::collections::BTreeMap;

type Parsed<T> = Result<T, Diagnostic>;

/// Parses a pipeline file's text (source `source`).
pub(super) fn parse_pipeline(source: SourceId, text: &str) -> Parsed<Pipeline> {
    let docs = yaml::parse_documents(source, text).map_err(|d| {
        Diagnostic::new(Code::InvalidPipeline, d.primary.span, d.message)
            .with_label(d.primary.message)
    })?;
    let doc = match docs.as_slice() {
        [doc] if doc.as_map().is_some() => doc,
        [doc] => return Err(invalid(doc, format!("the pipeline is {}", doc.kind_name()))),
        _ => {
            let span = docs
                .first()
                .map_or(crate::Span::new(source, 0, 0), |d| d.span);
            return Err(Diagnostic::new(
                Code::InvalidPipeline,
                span,
                "a pipeline file holds one YAML document",
            )
            .with_label("expected a mapping with `name`, `priority` and `transformations`"));
        }
    };
    let mut pipeline = Pipeline::default();
    for (key, value) in doc.as_map().unwrap_or_default() {
        match key.key_text().unwrap_or_default() {
            "name" => pipeline.name = Some(text_of(value, "name")?),
            "priority" => pipeline.priority = integer(value, "priority")?,
            "vars" => pipeline.vars = vars(value)?,
            "transformations" => {
                for item in list(value, "transformations")? {
                    pipeline.items.push(parse_item(item)?);
                }
            }
            "postprocessing" | "finalizers" | "allowed_backends" => {}
            other => {
                return Err(invalid(key, format!("unknown pipeline key `{other}`"))
                    .with_help("a pipeline has `name`, `priority`, `vars` and `transformations`"));
            }
        }
    }
    Ok(pipeline)
}

/// The keys of a processing item that are not parameters of its transformation.
const ITEM_KEYS: &[&str] = &[
    "id",
    "type",
    "rule_conditions",
    "rule_cond_op",
    "rule_cond_not",
    "detection_item_conditions",
    "detection_item_cond_op",
    "detection_item_cond_not",
    "field_name_conditions",
    "field_name_cond_op",
    "field_name_cond_not",
];

fn parse_item(node: &Node) -> Parsed<Item> {
    let map = node
        .as_map()
        .ok_or_else(|| invalid(node, format!("a transformation is {}", node.kind_name())))?;
    for (key, _) in map {
        let name = key.key_text().unwrap_or_default();
        if name.ends_with("_cond_expr") {
            return Err(unsupported(
                key,
                format!("`{name}`: condition expressions are not supported"),
            )
            .with_help("list the conditions and combine them with `*_cond_op: and|or`"));
        }
    }
    let kind = node
        .get("type")
        .ok_or_else(|| invalid(node, "transformation has no `type`"))?;
    let params = Params {
        node,
        kind: text_of(kind, "type")?,
    };
    let transformation = parse_transformation(kind, &params)?;
    Ok(Item {
        id: node.get("id").map(|n| text_of(n, "id")).transpose()?,
        transformation,
        rule: conditions(node, "rule", rule_condition)?,
        detection_item: conditions(node, "detection_item", item_condition)?,
        field_name: conditions(node, "field_name", field_condition)?,
        span: node.span,
    })
}

/// A transformation's parameters: the item's keys that are not [`ITEM_KEYS`].
struct Params<'a> {
    node: &'a Node,
    kind: String,
}

impl Params<'_> {
    fn get(&self, name: &str) -> Option<&Node> {
        self.node.get(name)
    }

    fn required(&self, name: &str) -> Parsed<&Node> {
        self.get(name).ok_or_else(|| {
            invalid(
                self.node,
                format!("`{}` needs the parameter `{name}`", self.kind),
            )
        })
    }

    fn flag(&self, name: &str) -> Parsed<bool> {
        self.get(name).map_or(Ok(false), |n| boolean(n, name))
    }

    /// Refuses parameters other than `known`.
    fn only(&self, known: &[&str]) -> Parsed<()> {
        for (key, _) in self.node.as_map().unwrap_or_default() {
            let name = key.key_text().unwrap_or_default();
            if !ITEM_KEYS.contains(&name) && !known.contains(&name) {
                return Err(unsupported(
                    key,
                    format!("`{}` has no parameter `{name}` Sigil implements", self.kind),
                ));
            }
        }
        Ok(())
    }
}

fn parse_transformation(kind: &Node, p: &Params) -> Parsed<Transformation> {
    Ok(match p.kind.as_str() {
        "field_name_mapping" => {
            p.only(&["mapping"])?;
            Transformation::FieldMapping(
                field_mapping(p.required("mapping")?)?.into_iter().collect(),
            )
        }
        "field_name_prefix_mapping" => {
            p.only(&["mapping"])?;
            Transformation::FieldPrefixMapping(field_mapping(p.required("mapping")?)?)
        }
        "field_name_prefix" => {
            p.only(&["prefix"])?;
            Transformation::FieldPrefix(text_of(p.required("prefix")?, "prefix")?)
        }
        "field_name_suffix" => {
            p.only(&["suffix"])?;
            Transformation::FieldSuffix(text_of(p.required("suffix")?, "suffix")?)
        }
        "drop_detection_item" => {
            p.only(&[])?;
            Transformation::DropDetectionItem
        }
        "add_condition" => {
            p.only(&["conditions", "template", "negated", "name"])?;
            let conditions = map(p.required("conditions")?, "conditions")?.to_vec();
            Transformation::AddCondition {
                conditions,
                template: p.flag("template")?,
                negated: p.flag("negated")?,
            }
        }
        "change_logsource" => {
            p.only(&["category", "product", "service"])?;
            let part = |name: &str| -> Parsed<Option<String>> {
                p.get(name)
                    .filter(|n| n.value != Value::Null)
                    .map(|n| text_of(n, name).map(|s| s.to_ascii_lowercase()))
                    .transpose()
            };
            Transformation::ChangeLogsource(LogSource {
                category: part("category")?,
                product: part("product")?,
                service: part("service")?,
            })
        }
        "replace_string" => {
            p.only(&["regex", "replacement", "skip_special", "interpret_special"])?;
            if p.flag("interpret_special")? {
                return Err(unsupported(
                    p.required("interpret_special")?,
                    "`interpret_special: true` is not supported",
                ));
            }
            let regex_node = p.required("regex")?;
            Transformation::ReplaceString {
                regex: compile_regex(regex_node)?,
                replacement: text_of(p.required("replacement")?, "replacement")?,
                skip_special: p.flag("skip_special")?,
            }
        }
        "value_placeholders" => {
            p.only(&["include", "exclude"])?;
            let names = |name: &str| -> Parsed<Option<Vec<String>>> {
                p.get(name).map(|n| strings(n, name)).transpose()
            };
            let (include, exclude) = (names("include")?, names("exclude")?);
            if include.is_some() && exclude.is_some() {
                return Err(invalid(
                    p.node,
                    "`include` and `exclude` exclude each other",
                ));
            }
            Transformation::ValuePlaceholders { include, exclude }
        }
        other => {
            return Err(unsupported(
                kind,
                format!("transformation type `{other}` is not supported"),
            )
            .with_help(
                "Sigil implements field_name_mapping, field_name_prefix_mapping, \
                 field_name_prefix, field_name_suffix, add_condition, change_logsource, replace_string, value_placeholders and \
                 drop_detection_item",
            ));
        }
    })
}

/// `from: to` or `from: [to, ...]` per field, in file order.
fn field_mapping(node: &Node) -> Parsed<Vec<(String, Vec<String>)>> {
    let mut mapping = Vec::new();
    for (from, to) in map(node, "mapping")? {
        mapping.push((text_of(from, "a field")?, strings(to, "a mapped field")?));
    }
    Ok(mapping)
}

/// The conditions of one level (`rule`, `detection_item`, `field_name`) with their
/// `*_cond_op` and `*_cond_not`.
fn conditions<C>(
    node: &Node,
    level: &str,
    parse: fn(&str, &Node) -> Parsed<C>,
) -> Parsed<Conditions<C>> {
    let mut list = Vec::new();
    if let Some(conds) = node.get(&format!("{level}_conditions")) {
        let entries: Vec<&Node> = match &conds.value {
            Value::Seq(items) => items.iter().collect(),
            Value::Map(entries) => entries.iter().map(|(_, v)| v).collect(),
            Value::Null => Vec::new(),
            _ => {
                return Err(invalid(
                    conds,
                    format!("`{level}_conditions` is {}", conds.kind_name()),
                ));
            }
        };
        for cond in entries {
            let kind = cond
                .get("type")
                .ok_or_else(|| invalid(cond, "condition has no `type`"))?;
            list.push(parse(&text_of(kind, "type")?, cond)?);
        }
    }
    let any = match node.get(&format!("{level}_cond_op")) {
        None => false,
        Some(op) => match op.as_str() {
            Some("and") => false,
            Some("or") => true,
            _ => return Err(invalid(op, "expected `and` or `or`")),
        },
    };
    let negate = node
        .get(&format!("{level}_cond_not"))
        .map_or(Ok(false), |n| boolean(n, "cond_not"))?;
    Ok(Conditions { list, any, negate })
}

/// Refuses parameters of a condition other than `known` (and `type`).
fn cond_params(node: &Node, kind: &str, known: &[&str]) -> Parsed<()> {
    for (key, _) in node.as_map().unwrap_or_default() {
        let name = key.key_text().unwrap_or_default();
        if name != "type" && !known.contains(&name) {
            return Err(unsupported(
                key,
                format!("condition `{kind}` has no parameter `{name}` Sigil implements"),
            ));
        }
    }
    Ok(())
}

fn unknown_condition(node: &Node, level: &str, kind: &str) -> Diagnostic {
    let at = node.get("type").unwrap_or(node);
    unsupported(at, format!("{level} condition `{kind}` is not supported"))
}

fn rule_condition(kind: &str, node: &Node) -> Parsed<RuleCondition> {
    let text = |name: &str| node.get(name).map(|n| text_of(n, name)).transpose();
    Ok(match kind {
        "logsource" => {
            cond_params(node, kind, &["category", "product", "service"])?;
            let lower = |name: &str| -> Parsed<Option<String>> {
                Ok(text(name)?.map(|s| s.to_ascii_lowercase()))
            };
            RuleCondition::Logsource(LogSource {
                category: lower("category")?,
                product: lower("product")?,
                service: lower("service")?,
            })
        }
        "contains_field" => {
            cond_params(node, kind, &["field"])?;
            RuleCondition::ContainsField(required_text(node, "field")?)
        }
        "contains_detection_item" => {
            cond_params(node, kind, &["field", "value"])?;
            let value = node
                .get("value")
                .ok_or_else(|| invalid(node, "`contains_detection_item` needs `value`"))?;
            RuleCondition::ContainsDetectionItem(
                required_text(node, "field")?,
                text_of(value, "value")?,
            )
        }
        "processing_item_applied" => {
            cond_params(node, kind, &["processing_item_id"])?;
            RuleCondition::Applied(required_text(node, "processing_item_id")?)
        }
        "is_sigma_rule" => {
            cond_params(node, kind, &[])?;
            RuleCondition::IsSigmaRule
        }
        "is_sigma_correlation_rule" => {
            cond_params(node, kind, &[])?;
            RuleCondition::IsCorrelationRule
        }
        "tag" => {
            cond_params(node, kind, &["tag"])?;
            RuleCondition::Tag(required_text(node, "tag")?.to_ascii_lowercase())
        }
        _ => return Err(unknown_condition(node, "rule", kind)),
    })
}

fn item_condition(kind: &str, node: &Node) -> Parsed<ItemCondition> {
    let any = || -> Parsed<bool> {
        match node.get("cond").and_then(Node::as_str) {
            Some("any") => Ok(true),
            Some("all") => Ok(false),
            _ => Err(invalid(
                node,
                format!("`{kind}` needs `cond: any` or `cond: all`"),
            )),
        }
    };
    Ok(match kind {
        "match_string" => {
            cond_params(node, kind, &["cond", "pattern", "negate"])?;
            let pattern = node
                .get("pattern")
                .ok_or_else(|| invalid(node, "`match_string` needs `pattern`"))?;
            ItemCondition::MatchString {
                any: any()?,
                regex: compile_regex(pattern)?,
                negate: node
                    .get("negate")
                    .map_or(Ok(false), |n| boolean(n, "negate"))?,
            }
        }
        "match_value" => {
            cond_params(node, kind, &["cond", "value"])?;
            let value = node
                .get("value")
                .ok_or_else(|| invalid(node, "`match_value` needs `value`"))?;
            ItemCondition::MatchValue {
                any: any()?,
                value: value.value.clone(),
            }
        }
        "contains_wildcard" => {
            cond_params(node, kind, &["cond"])?;
            ItemCondition::ContainsWildcard { any: any()? }
        }
        "is_null" => {
            cond_params(node, kind, &["cond"])?;
            ItemCondition::IsNull { any: any()? }
        }
        "processing_item_applied" => {
            cond_params(node, kind, &["processing_item_id"])?;
            ItemCondition::Applied(required_text(node, "processing_item_id")?)
        }
        _ => return Err(unknown_condition(node, "detection item", kind)),
    })
}

fn field_condition(kind: &str, node: &Node) -> Parsed<FieldCondition> {
    Ok(match kind {
        "include_fields" | "exclude_fields" => {
            cond_params(node, kind, &["fields", "mode"])?;
            let fields = node
                .get("fields")
                .ok_or_else(|| invalid(node, format!("`{kind}` needs `fields`")))?;
            let regexes = match node.get("mode").map(|m| (m, m.as_str())) {
                None | Some((_, Some("plain"))) => None,
                Some((_, Some("re"))) => Some(match &fields.value {
                    Value::Seq(items) => items
                        .iter()
                        .map(compile_regex)
                        .collect::<Parsed<Vec<_>>>()?,
                    _ => vec![compile_regex(fields)?],
                }),
                Some((m, _)) => return Err(invalid(m, "`mode` is `plain` or `re`")),
            };
            FieldCondition::Fields {
                fields: strings(fields, "fields")?,
                regexes,
                exclude: kind == "exclude_fields",
            }
        }
        "processing_item_applied" => {
            cond_params(node, kind, &["processing_item_id"])?;
            FieldCondition::Applied(required_text(node, "processing_item_id")?)
        }
        _ => return Err(unknown_condition(node, "field name", kind)),
    })
}

/// `name: [value, ...]` per variable; values are scalars, as pySigma requires.
fn vars(node: &Node) -> Parsed<BTreeMap<String, Vec<String>>> {
    let mut out = BTreeMap::new();
    for (key, value) in map(node, "vars")? {
        out.insert(
            text_of(key, "a variable name")?,
            strings(value, "a variable")?,
        );
    }
    Ok(out)
}

fn required_text(node: &Node, name: &str) -> Parsed<String> {
    let value = node
        .get(name)
        .ok_or_else(|| invalid(node, format!("missing `{name}`")))?;
    text_of(value, name)
}

/// A scalar's text (numbers as spelled, booleans as `true`/`false`).
pub(super) fn text_of(node: &Node, what: &str) -> Parsed<String> {
    match &node.value {
        Value::Seq(_) | Value::Map(_) | Value::Null => {
            Err(invalid(node, format!("`{what}` is {}", node.kind_name()))
                .with_label("expected a string"))
        }
        _ => Ok(node.key_text().unwrap_or_default().to_string()),
    }
}

/// A scalar or a list of scalars, as strings.
fn strings(node: &Node, what: &str) -> Parsed<Vec<String>> {
    match &node.value {
        Value::Seq(items) => items.iter().map(|i| text_of(i, what)).collect(),
        _ => Ok(vec![text_of(node, what)?]),
    }
}

fn list<'a>(node: &'a Node, what: &str) -> Parsed<&'a [Node]> {
    match &node.value {
        Value::Seq(items) => Ok(items),
        Value::Null => Ok(&[]),
        _ => Err(invalid(node, format!("`{what}` is {}", node.kind_name()))
            .with_label("expected a list")),
    }
}

fn map<'a>(node: &'a Node, what: &str) -> Parsed<&'a [(Node, Node)]> {
    node.as_map().ok_or_else(|| {
        invalid(node, format!("`{what}` is {}", node.kind_name())).with_label("expected a mapping")
    })
}

fn boolean(node: &Node, what: &str) -> Parsed<bool> {
    match node.value {
        Value::Bool(b) => Ok(b),
        _ => Err(invalid(node, format!("`{what}` is {}", node.kind_name()))
            .with_label("expected true or false")),
    }
}

fn integer(node: &Node, what: &str) -> Parsed<i64> {
    match &node.value {
        Value::Number { text, .. } => text
            .parse()
            .map_err(|_| invalid(node, format!("`{what}` is not an integer"))),
        _ => Err(invalid(node, format!("`{what}` is {}", node.kind_name()))
            .with_label("expected an integer")),
    }
}

/// An S060 diagnostic at `node`.
pub(super) fn invalid(node: &Node, message: impl Into<String>) -> Diagnostic {
    Diagnostic::new(Code::InvalidPipeline, node.span, message).with_label("here")
}

/// An S061 diagnostic at `node`.
fn unsupported(node: &Node, message: impl Into<String>) -> Diagnostic {
    Diagnostic::new(Code::UnsupportedPipeline, node.span, message).with_label("not supported")
}
