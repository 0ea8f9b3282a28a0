//! Processing pipelines: pySigma's pipeline YAML, applied to rules as they load.
//!
//! A pipeline adapts rules written for one log schema to another: it renames fields (a rule
//! written with ECS's `source.ip` runs on CloudTrail's `sourceIPAddress`), adds conditions,
//! changes log sources and rewrites values. Sigil reads the file format of pySigma
//! (`sigma convert -p FILE`) and applies it when each rule is parsed, before the rule joins the
//! [`RuleSet`](crate::RuleSet): the literal prefilter, the evaluator, `sigil explain` and every
//! other stage see only the mapped rule.
//!
//! ```yaml
//! name: my-mapping
//! priority: 20
//! transformations:
//!   - id: ecs_to_cloudtrail
//!     type: field_name_mapping
//!     mapping:
//!       source.ip: sourceIPAddress
//!       user.name: [userIdentity.userName, userIdentity.principalId]   # one-to-many: OR
//!     rule_conditions:
//!       - type: logsource
//!         product: aws
//! ```
//!
//! Pipelines given together run in order of `priority` (lowest first; equal priorities in
//! the order of the names or paths they were given by), their items one after another on each rule, as pySigma's resolver orders
//! them. Which transformations and conditions are implemented is in `docs/pipelines.md`;
//! anything else is refused (S061) rather than skipped.
//!
//! ```
//! use sigil_compiler::{LoadOptions, load_str};
//! let rule = "title: t\nlogsource: {product: aws, service: cloudtrail}\n\
//!             detection:\n  sel: {source.ip: 10.0.0.1}\n  condition: sel\n";
//! let mut options = LoadOptions::default();
//! options.pipelines.push("ecs-aws".into()); // a built-in pipeline, or a file's path
//! let loaded = load_str("t.yml".as_ref(), rule, &options);
//! assert_eq!(loaded.rules.matchers()[0].key, r#"sourceIPAddress [eq "10.0.0.1"]"#);
//! ```

mod apply;
mod builtin;
mod condition;
mod parse;

pub use builtin::{BUILTIN_PIPELINES, builtin_pipeline};

use crate::diagnostic::Diagnostic;
use crate::ir::LogSource;
use crate::parse::yaml::Node;
use crate::source::{SourceId, Span};
use condition::{Conditions, FieldCondition, ItemCondition, RuleCondition};
use regex_automata::meta::Regex;
use std::collections::{BTreeMap, HashMap, HashSet};

/// One or more processing pipelines, ready to apply to rules.
#[derive(Clone, Debug, Default)]
pub struct Pipeline {
    name: Option<String>,
    priority: i64,
    /// `vars`: values for `value_placeholders`.
    vars: BTreeMap<String, Vec<String>>,
    items: Vec<Item>,
}

impl Pipeline {
    /// Parses the text of a pipeline file whose source has id `source`. The problem, if any,
    /// is an S060 (not a pipeline) or S061 (something Sigil does not implement) diagnostic.
    pub fn parse(source: SourceId, text: &str) -> Result<Pipeline, Diagnostic> {
        parse::parse_pipeline(source, text)
    }

    /// The pipeline's `name`.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The pipeline's `priority` (0 when not given).
    pub fn priority(&self) -> i64 {
        self.priority
    }

    /// Whether the pipeline has no transformation.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Joins pipelines, each given with the name or path it was asked for, into one, as
    /// pySigma's resolver does: sorted by priority, then by that name; items concatenated,
    /// `vars` merged (later ones win).
    pub fn chain(mut pipelines: Vec<(String, Pipeline)>) -> Pipeline {
        pipelines.sort_by(|(a, p), (b, q)| (p.priority, a).cmp(&(q.priority, b)));
        let mut chained = Pipeline::default();
        for (_, p) in pipelines {
            chained.vars.extend(p.vars);
            chained.items.extend(p.items);
        }
        chained
    }
}

/// One processing item: a transformation and when it applies.
#[derive(Clone, Debug)]
struct Item {
    /// `id`, which `processing_item_applied` conditions name.
    id: Option<String>,
    transformation: Transformation,
    rule: Conditions<RuleCondition>,
    detection_item: Conditions<ItemCondition>,
    field_name: Conditions<FieldCondition>,
    /// Where the item is written.
    span: Span,
}

/// What a processing item does.
#[derive(Clone, Debug)]
enum Transformation {
    /// `field_name_mapping`: each field to one or more fields (several: OR-ed).
    FieldMapping(BTreeMap<String, Vec<String>>),
    /// `field_name_prefix_mapping`: the first prefix a field starts with replaced by one or
    /// more prefixes (several: OR-ed).
    FieldPrefixMapping(Vec<(String, Vec<String>)>),
    /// `field_name_prefix`
    FieldPrefix(String),
    /// `field_name_suffix`
    FieldSuffix(String),
    /// `drop_detection_item`
    DropDetectionItem,
    /// `add_condition`: a search AND-ed onto the condition.
    AddCondition {
        conditions: Vec<(Node, Node)>,
        template: bool,
        negated: bool,
    },
    /// `change_logsource`: the rule's log source becomes this one.
    ChangeLogsource(LogSource),
    /// `replace_string`: `regex` replaced by `replacement` (Python `re.sub`) in string values.
    ReplaceString {
        regex: Regex,
        replacement: String,
        skip_special: bool,
    },
    /// `value_placeholders`: `|expand` placeholders take the values of `vars`.
    ValuePlaceholders {
        include: Option<Vec<String>>,
        exclude: Option<Vec<String>>,
    },
}

/// What the items applied so far did to one rule (for `processing_item_applied`).
#[derive(Debug, Default)]
struct Applied {
    /// Ids of the items applied to the rule.
    rule: HashSet<String>,
    /// Per field name, the ids of the items that mapped a field to it.
    fields: HashMap<String, HashSet<String>>,
}

/// The ids of the items applied to one detection item.
#[derive(Clone, Debug, Default)]
struct Tracking {
    item: HashSet<String>,
}
