//! Applying a pipeline to one parsed rule, item by item, as pySigma does.
//!
//! A rule arrives with its matchers and, for each, the item it was compiled from
//! ([`ItemSource`]). Renaming a field rebuilds the matcher with the new field; a one-to-many
//! mapping turns it into an OR of one matcher per field; rewriting values compiles the item
//! again from its rewritten source, with the same modifier semantics as any rule. A search an
//! item is dropped from loses it; a search left empty is taken out of the condition, as
//! pySigma leaves it out of the query.

use super::condition::{field_refs, has_string_form, sigma_string, values};
use super::parse::text_of;
use super::{Applied, Item, Pipeline, Tracking, Transformation};
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{
    Condition, Detection, FieldPath, Matcher, MatcherId, RuleKind, Search, SearchExpr,
};
use crate::parse::detection::ItemSource;
use crate::parse::modifier::{Modifier, parse_key};
use crate::parse::value::compile_item;
use crate::parse::yaml::{Node, Value};
use crate::parse::{Context, ParsedRule, Placeholders};
use regex_automata::meta::Regex;
use std::collections::BTreeMap;

impl Pipeline {
    /// Applies the pipeline to a parsed rule. Problems (a rewritten value that no longer
    /// compiles) go to `diags`; `false` means the rule is refused.
    pub(crate) fn apply(
        &self,
        rule: &mut ParsedRule,
        cx: &Context,
        diags: &mut Vec<Diagnostic>,
    ) -> bool {
        let mut run = Run {
            pipeline: self,
            cx,
            applied: Applied::default(),
            tracking: vec![Tracking::default(); rule.sources.len()],
            diags,
            failed: false,
        };
        for item in &self.items {
            let applies =
                item.rule.list.is_empty() || item.rule.holds(|c| c.matches(rule, &run.applied));
            if !applies {
                continue;
            }
            if let Some(id) = &item.id {
                run.applied.rule.insert(id.clone());
            }
            run.apply_item(item, rule);
        }
        !run.failed
    }
}

/// What a transformation does to one detection item.
enum Leaf {
    Keep,
    Replace(SearchExpr),
    Drop,
}

struct Run<'a, 'd> {
    pipeline: &'a Pipeline,
    cx: &'a Context<'a>,
    applied: Applied,
    /// Per matcher of the rule, what applied to it.
    tracking: Vec<Tracking>,
    diags: &'d mut Vec<Diagnostic>,
    failed: bool,
}

impl Run<'_, '_> {
    fn apply_item(&mut self, item: &Item, rule: &mut ParsedRule) {
        match &item.transformation {
            Transformation::ChangeLogsource(logsource) => {
                if !matches!(rule.rule.kind, RuleKind::Correlation(_)) {
                    rule.rule.meta.logsource = logsource.clone();
                }
            }
            Transformation::AddCondition {
                conditions,
                template,
                negated,
            } => self.add_condition(item, rule, conditions, *template, *negated),
            Transformation::DropDetectionItem => {
                self.each_item(item, rule, |_, _, _, _| Leaf::Drop)
            }
            Transformation::FieldMapping(_)
            | Transformation::FieldPrefixMapping(_)
            | Transformation::FieldPrefix(_)
            | Transformation::FieldSuffix(_) => {
                self.map_correlation(item, rule);
                self.each_item(item, rule, Run::map_fields);
            }
            Transformation::ReplaceString { .. } => {
                self.each_item(item, rule, Run::replace_strings)
            }
            Transformation::ValuePlaceholders { .. } => {
                self.each_item(item, rule, Run::fill_placeholders)
            }
        }
    }

    /// Runs `leaf` on every detection item the item's detection-item and field-name conditions
    /// select, in every search of the rule's detection (or filter).
    fn each_item(
        &mut self,
        item: &Item,
        rule: &mut ParsedRule,
        leaf: fn(&mut Self, &Item, &mut ParsedRule, usize) -> Leaf,
    ) {
        let Some(detection) = detection_mut(&mut rule.rule.kind) else {
            return;
        };
        let mut searches = std::mem::take(&mut detection.searches);
        for search in &mut searches {
            search.expr = self
                .walk(&search.expr, item, rule, leaf)
                .unwrap_or(SearchExpr::And(Vec::new()));
        }
        let detection = detection_mut(&mut rule.rule.kind).expect("taken above");
        detection.searches = searches;
        prune_empty_searches(detection);
        compact(rule, &mut self.tracking);
    }

    fn walk(
        &mut self,
        expr: &SearchExpr,
        item: &Item,
        rule: &mut ParsedRule,
        leaf: fn(&mut Self, &Item, &mut ParsedRule, usize) -> Leaf,
    ) -> Option<SearchExpr> {
        let rebuild = |this: &mut Self, rule: &mut ParsedRule, children: &[SearchExpr]| {
            let mut kept = Vec::new();
            for child in children {
                kept.extend(this.walk(child, item, rule, leaf));
            }
            kept
        };
        match expr {
            SearchExpr::And(children) => {
                let kept = rebuild(self, rule, children);
                (!kept.is_empty()).then_some(SearchExpr::And(kept))
            }
            SearchExpr::Or(children) => {
                let kept = rebuild(self, rule, children);
                (!kept.is_empty()).then_some(SearchExpr::Or(kept))
            }
            SearchExpr::Matcher(id) => {
                let index = id.0 as usize;
                if !self.selects(item, &rule.sources[index], index) {
                    return Some(expr.clone());
                }
                match leaf(self, item, rule, index) {
                    Leaf::Keep => Some(expr.clone()),
                    Leaf::Replace(new) => Some(new),
                    Leaf::Drop => None,
                }
            }
        }
    }

    /// Whether the item's detection-item and field-name conditions hold for a detection item.
    fn selects(&self, item: &Item, source: &ItemSource, index: usize) -> bool {
        let tracking = &self.tracking[index];
        item.detection_item.holds(|c| c.matches(source, tracking))
            && item
                .field_name
                .holds(|c| c.matches_item(source, tracking, &self.applied))
    }

    /// Whether the item's field-name conditions hold for one field name.
    fn selects_field(&self, item: &Item, field: Option<&str>) -> bool {
        item.field_name
            .holds(|c| c.matches_field(field, &self.applied))
    }

    /// The names a field-mapping transformation gives `field`, if it maps it.
    fn mapped(&self, item: &Item, field: &str) -> Option<Vec<String>> {
        let names = match &item.transformation {
            Transformation::FieldMapping(mapping) => mapping.get(field)?.clone(),
            Transformation::FieldPrefixMapping(mapping) => {
                let (from, to) = mapping
                    .iter()
                    .find(|(from, _)| field.starts_with(from.as_str()))?;
                to.iter()
                    .map(|prefix| format!("{prefix}{}", &field[from.len()..]))
                    .collect()
            }
            Transformation::FieldPrefix(prefix) => vec![format!("{prefix}{field}")],
            Transformation::FieldSuffix(suffix) => vec![format!("{field}{suffix}")],
            _ => return None,
        };
        self.selects_field(item, Some(field)).then_some(names)
    }

    /// Records that `item` mapped `from` to `to` (for `processing_item_applied` on fields).
    fn track_field(&mut self, item: &Item, from: &str, to: &[String]) {
        if to.len() == 1 && to[0] == from {
            return;
        }
        let mut ids = self.applied.fields.remove(from).unwrap_or_default();
        ids.extend(item.id.clone());
        for field in to {
            self.applied.fields.insert(field.clone(), ids.clone());
        }
    }

    fn map_fields(&mut self, item: &Item, rule: &mut ParsedRule, index: usize) -> Leaf {
        let source = rule.sources[index].clone();
        let mut changed = false;
        let mut current = source.clone();
        // `|fieldref` values name fields too.
        if field_refs(&source).next().is_some() {
            let mut new_values = Vec::new();
            for value in values(&source) {
                match value
                    .as_str()
                    .and_then(|f| Some((f, self.mapped(item, f)?)))
                {
                    Some((from, names)) => {
                        self.track_field(item, from, &names);
                        new_values.extend(names.into_iter().map(|name| Node {
                            value: Value::Str(name),
                            span: value.span,
                        }));
                        changed = true;
                    }
                    None => new_values.push(value.clone()),
                }
            }
            if changed {
                current.value = Node {
                    value: Value::Seq(new_values),
                    span: source.value.span,
                };
                match self.recompile(&current) {
                    Some(matcher) => rule.matchers[index] = matcher,
                    None => return Leaf::Keep,
                }
                rule.sources[index] = current.clone();
            }
        }
        let field = source.key.field.as_str();
        let names = match (!field.is_empty())
            .then(|| self.mapped(item, field))
            .flatten()
        {
            Some(names) if !names.is_empty() => names,
            _ => {
                if changed {
                    self.mark(item, index);
                }
                return Leaf::Keep;
            }
        };
        self.track_field(item, field, &names);
        let mut alternatives = Vec::new();
        for (n, name) in names.iter().enumerate() {
            let old = &rule.matchers[index];
            let matcher = Matcher::new(
                Some(FieldPath::new(name)),
                old.values.clone(),
                old.combine,
                old.negate,
                old.span,
            );
            let mut renamed = current.clone();
            renamed.key.field = name.clone();
            let at = if n == 0 {
                rule.matchers[index] = matcher;
                rule.sources[index] = renamed;
                index
            } else {
                rule.matchers.push(matcher);
                rule.sources.push(renamed);
                self.tracking.push(self.tracking[index].clone());
                rule.matchers.len() - 1
            };
            self.mark(item, at);
            alternatives.push(SearchExpr::Matcher(MatcherId(at as u32)));
        }
        if alternatives.len() == 1 {
            Leaf::Keep
        } else {
            Leaf::Replace(SearchExpr::Or(alternatives))
        }
    }

    fn replace_strings(&mut self, item: &Item, rule: &mut ParsedRule, index: usize) -> Leaf {
        let Transformation::ReplaceString {
            regex,
            replacement,
            skip_special,
        } = &item.transformation
        else {
            return Leaf::Keep;
        };
        let source = &rule.sources[index];
        if !has_string_form(source) {
            return Leaf::Keep;
        }
        let mut changed = false;
        let new_values: Vec<Node> = values(source)
            .map(|value| match sigma_string(source, value) {
                Some(text) => {
                    let replaced = if *skip_special {
                        replace_plain_parts(regex, &text, replacement)
                    } else {
                        substitute(regex, &text, replacement)
                    };
                    changed |= replaced != text || !matches!(value.value, Value::Str(_));
                    Node {
                        value: Value::Str(replaced),
                        span: value.span,
                    }
                }
                None => value.clone(),
            })
            .collect();
        if !changed {
            return Leaf::Keep;
        }
        // The wildcards of `contains`/`startswith`/`endswith` are now in the values.
        let mut rewritten = source.clone();
        rewritten.key.modifiers.retain(|(m, _)| {
            ![Modifier::Contains, Modifier::StartsWith, Modifier::EndsWith].contains(m)
        });
        rewritten.value = Node {
            value: Value::Seq(new_values),
            span: source.value.span,
        };
        self.replace_item(item, rule, index, rewritten)
    }

    fn fill_placeholders(&mut self, item: &Item, rule: &mut ParsedRule, index: usize) -> Leaf {
        let Transformation::ValuePlaceholders { include, exclude } = &item.transformation else {
            return Leaf::Keep;
        };
        let source = rule.sources[index].clone();
        if !source.key.has(Modifier::Expand) {
            return Leaf::Keep;
        }
        let handled = |name: &str| {
            include
                .as_ref()
                .is_none_or(|names| names.iter().any(|n| n == name))
                && exclude
                    .as_ref()
                    .is_none_or(|names| !names.iter().any(|n| n == name))
        };
        let vars: BTreeMap<String, Vec<String>> = self
            .pipeline
            .vars
            .iter()
            .filter(|(name, _)| handled(name))
            .map(|(name, values)| (name.clone(), values.clone()))
            .collect();
        let uses = values(&source)
            .filter_map(Node::as_str)
            .any(|text| vars.keys().any(|name| text.contains(&format!("%{name}%"))));
        if !uses {
            return Leaf::Keep;
        }
        let mut placeholders = self.cx.placeholders.clone();
        placeholders.extend(Placeholders::new(vars));
        let cx = Context::new(&placeholders, self.cx.regex_room.get(), self.cx.regex_limit);
        let value_span = source.value.span;
        match compile_item(&source.key, source.key_span, &source.value, &cx) {
            Ok(compiled) => {
                // The warnings of the first compilation (placeholders without values) are
                // replaced by this one's.
                self.diags.retain(|d| {
                    !(d.code == Code::PlaceholderWithoutValues
                        && d.primary.span.source == value_span.source
                        && d.primary.span.start >= value_span.start
                        && d.primary.span.end <= value_span.end)
                });
                self.diags.extend(compiled.warnings);
                rule.matchers[index] = compiled.matcher;
                self.mark(item, index);
            }
            Err(diag) => self.fail(diag),
        }
        Leaf::Keep
    }

    /// Replaces a matcher by the compilation of `rewritten`.
    fn replace_item(
        &mut self,
        item: &Item,
        rule: &mut ParsedRule,
        index: usize,
        rewritten: ItemSource,
    ) -> Leaf {
        if let Some(matcher) = self.recompile(&rewritten) {
            rule.matchers[index] = matcher;
            rule.sources[index] = rewritten;
            self.mark(item, index);
        }
        Leaf::Keep
    }

    /// Compiles a rewritten item; a problem refuses the rule.
    fn recompile(&mut self, source: &ItemSource) -> Option<Matcher> {
        match compile_item(&source.key, source.key_span, &source.value, self.cx) {
            Ok(compiled) => {
                self.diags.extend(compiled.warnings);
                Some(compiled.matcher)
            }
            Err(diag) => {
                self.fail(diag);
                None
            }
        }
    }

    fn fail(&mut self, diag: Diagnostic) {
        self.diags.push(diag);
        self.failed = true;
    }

    fn mark(&mut self, item: &Item, index: usize) {
        if let Some(id) = &item.id {
            self.tracking[index].item.insert(id.clone());
        }
    }

    /// `add_condition`: a new search `_cond_N`, AND-ed (or its negation) onto the condition.
    fn add_condition(
        &mut self,
        item: &Item,
        rule: &mut ParsedRule,
        conditions: &[(Node, Node)],
        template: bool,
        negated: bool,
    ) {
        if !matches!(rule.rule.kind, RuleKind::Detection(_)) {
            return;
        }
        let logsource = rule.rule.meta.logsource.clone();
        let mut parts = Vec::new();
        for (key, value) in conditions {
            let value = if template {
                substitute_template(value, &logsource)
            } else {
                value.clone()
            };
            let text = match text_of(key, "a field") {
                Ok(text) => text,
                Err(diag) => return self.fail(diag),
            };
            let compiled = parse_key(&text, key.span)
                .and_then(|k| Ok((compile_item(&k, key.span, &value, self.cx)?, k)));
            match compiled {
                Ok((compiled, key_parsed)) => {
                    self.diags.extend(compiled.warnings);
                    rule.matchers.push(compiled.matcher);
                    rule.sources.push(ItemSource {
                        key: key_parsed,
                        key_span: key.span,
                        value,
                    });
                    self.tracking.push(Tracking::default());
                    let at = rule.matchers.len() - 1;
                    self.mark(item, at);
                    parts.push(SearchExpr::Matcher(MatcherId(at as u32)));
                }
                Err(diag) => return self.fail(diag),
            }
        }
        let Some(detection) = detection_mut(&mut rule.rule.kind) else {
            return;
        };
        let expr = if parts.len() == 1 {
            parts.pop().expect("one part")
        } else {
            SearchExpr::And(parts)
        };
        let name = (0..)
            .map(|n| format!("_cond_{n}"))
            .find(|name| detection.searches.iter().all(|s| &s.name != name))
            .expect("a free name");
        detection.searches.push(Search {
            name,
            span: item.span,
            expr,
        });
        let added = Condition::Search(detection.searches.len() - 1);
        let added = if negated {
            Condition::Not(Box::new(added))
        } else {
            added
        };
        let old = std::mem::replace(&mut detection.condition, Condition::And(Vec::new()));
        detection.condition = Condition::And(vec![added, old]);
    }

    /// Field mappings also rename a correlation's `group-by` fields, alias fields and
    /// aggregated field (one-to-one only, as pySigma requires).
    fn map_correlation(&mut self, item: &Item, rule: &mut ParsedRule) {
        let RuleKind::Correlation(correlation) = &mut rule.rule.kind else {
            return;
        };
        let one = |this: &mut Self, field: &mut String| {
            let Some(names) = this.mapped(item, field) else {
                return;
            };
            match names.as_slice() {
                [name] => {
                    this.track_field(item, field, &names);
                    *field = name.clone();
                }
                _ => this.fail(
                    Diagnostic::new(
                        Code::UnsupportedPipeline,
                        item.span,
                        format!("`{field}` maps to several fields, which a correlation cannot use"),
                    )
                    .with_label("this mapping")
                    .with_secondary(rule.rule.meta.span, "in this correlation rule"),
                ),
            }
        };
        let aliases: Vec<String> = correlation.aliases.iter().map(|a| a.name.clone()).collect();
        for alias in &mut correlation.aliases {
            for (_, field) in &mut alias.fields {
                one(self, field);
            }
        }
        for field in &mut correlation.group_by {
            if !aliases.contains(field) {
                one(self, field);
            }
        }
        if let Some(field) = correlation
            .condition
            .as_mut()
            .and_then(|c| c.field.as_mut())
        {
            one(self, field);
        }
    }
}

fn detection_mut(kind: &mut RuleKind) -> Option<&mut Detection> {
    match kind {
        RuleKind::Detection(detection) => Some(detection),
        RuleKind::Filter(filter) => Some(&mut filter.detection),
        RuleKind::Correlation(_) => None,
    }
}

/// Takes searches left without items out of the condition: an operator forgets them (pySigma
/// leaves them out of the query), a `not` of one goes with it.
fn prune_empty_searches(detection: &mut Detection) {
    let empty: Vec<bool> = detection
        .searches
        .iter()
        .map(|s| matches!(&s.expr, SearchExpr::And(items) | SearchExpr::Or(items) if items.is_empty()))
        .collect();
    if !empty.contains(&true) {
        return;
    }
    fn prune(condition: &Condition, empty: &[bool]) -> Option<Condition> {
        match condition {
            Condition::Search(i) => (!empty[*i]).then(|| condition.clone()),
            Condition::Not(inner) => prune(inner, empty).map(|c| Condition::Not(Box::new(c))),
            Condition::And(items) => Some(Condition::And(
                items.iter().filter_map(|c| prune(c, empty)).collect(),
            )),
            Condition::Or(items) => Some(Condition::Or(
                items.iter().filter_map(|c| prune(c, empty)).collect(),
            )),
            Condition::AtLeast(n, items) => Some(Condition::AtLeast(
                *n,
                items.iter().filter_map(|c| prune(c, empty)).collect(),
            )),
        }
    }
    detection.condition = prune(&detection.condition, &empty).unwrap_or(Condition::And(Vec::new()));
}

/// Keeps only the matchers the rule's searches still use, renumbered in order.
fn compact(rule: &mut ParsedRule, tracking: &mut Vec<Tracking>) {
    let mut used = vec![false; rule.matchers.len()];
    if let Some(detection) = detection_mut(&mut rule.rule.kind) {
        for search in &detection.searches {
            for id in search.expr.matchers() {
                used[id.0 as usize] = true;
            }
        }
    }
    if used.iter().all(|u| *u) {
        return;
    }
    let mut renumber = vec![0u32; used.len()];
    let mut next = 0;
    for (i, u) in used.iter().enumerate() {
        renumber[i] = next;
        next += u32::from(*u);
    }
    keep_used(&mut rule.matchers, &used);
    keep_used(&mut rule.sources, &used);
    keep_used(tracking, &used);
    fn remap(expr: &mut SearchExpr, renumber: &[u32]) {
        match expr {
            SearchExpr::Matcher(id) => id.0 = renumber[id.0 as usize],
            SearchExpr::And(items) | SearchExpr::Or(items) => {
                items.iter_mut().for_each(|e| remap(e, renumber))
            }
        }
    }
    if let Some(detection) = detection_mut(&mut rule.rule.kind) {
        for search in &mut detection.searches {
            remap(&mut search.expr, &renumber);
        }
    }
}

/// Keeps the elements whose `used` flag is set.
fn keep_used<T>(items: &mut Vec<T>, used: &[bool]) {
    let mut i = 0;
    items.retain(|_| {
        i += 1;
        used[i - 1]
    });
}

/// `add_condition` with `template: true`: `$category`, `$product`, `$service` (or `${...}`)
/// in string values become the rule's log source (`None` when unset, as in Python); `$$` is
/// a dollar sign.
fn substitute_template(node: &Node, logsource: &crate::ir::LogSource) -> Node {
    let value = match &node.value {
        Value::Str(text) => Value::Str(template(text, logsource)),
        Value::Seq(items) => Value::Seq(
            items
                .iter()
                .map(|i| substitute_template(i, logsource))
                .collect(),
        ),
        other => other.clone(),
    };
    Node {
        value,
        span: node.span,
    }
}

fn template(text: &str, logsource: &crate::ir::LogSource) -> String {
    let lookup = |name: &str| {
        let part = match name {
            "category" => &logsource.category,
            "product" => &logsource.product,
            "service" => &logsource.service,
            _ => return None,
        };
        Some(part.clone().unwrap_or_else(|| "None".into()))
    };
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
            continue;
        }
        let (name, tail) = match after.strip_prefix('{') {
            Some(braced) => match braced.find('}') {
                Some(end) => (&braced[..end], &braced[end + 1..]),
                None => ("", after),
            },
            None => {
                let end = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                (&after[..end], &after[end..])
            }
        };
        match lookup(name) {
            Some(value) => {
                out.push_str(&value);
                rest = tail;
            }
            None => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Python's `re.sub(regex, replacement, text)`: every non-overlapping match replaced, with
/// `\1`, `\g<1>` and `\g<name>` standing for groups and `\\`, `\n`, `\t` for characters.
fn substitute(regex: &Regex, text: &str, replacement: &str) -> String {
    let mut out = String::new();
    let mut last = 0;
    let mut caps = regex.create_captures();
    let mut at = 0;
    while at <= text.len() {
        regex.search_captures(&regex_automata::Input::new(text).range(at..), &mut caps);
        let Some(m) = caps.get_match() else { break };
        out.push_str(&text[last..m.start()]);
        expand(&caps, text, replacement, &mut out);
        last = m.end();
        at = if m.is_empty() {
            // Step past an empty match by one character.
            text[m.end()..]
                .chars()
                .next()
                .map_or(text.len() + 1, |c| m.end() + c.len_utf8())
        } else {
            m.end()
        };
    }
    out.push_str(&text[last..]);
    out
}

fn expand(
    caps: &regex_automata::util::captures::Captures,
    text: &str,
    replacement: &str,
    out: &mut String,
) {
    let group = |out: &mut String, name: &str| {
        let span = match name.parse::<usize>() {
            Ok(n) => caps.get_group(n),
            Err(_) => caps.get_group_by_name(name),
        };
        if let Some(span) = span {
            out.push_str(&text[span.range()]);
        }
    };
    let mut chars = replacement.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.peek().copied() {
            Some((_, d)) if d.is_ascii_digit() => {
                let mut digits = String::new();
                while let Some((_, d)) = chars
                    .peek()
                    .copied()
                    .filter(|(_, d)| d.is_ascii_digit() && digits.len() < 2)
                {
                    digits.push(d);
                    chars.next();
                }
                group(out, &digits);
            }
            Some((_, 'g')) if replacement[i + 2..].starts_with('<') => {
                let rest = &replacement[i + 3..];
                match rest.find('>') {
                    Some(end) => {
                        group(out, &rest[..end]);
                        // Skip `g<name>`.
                        for _ in 0..end + 3 {
                            chars.next();
                        }
                    }
                    None => out.push(c),
                }
            }
            Some((_, 'n')) => {
                out.push('\n');
                chars.next();
            }
            Some((_, 't')) => {
                out.push('\t');
                chars.next();
            }
            Some((_, '\\')) => {
                out.push('\\');
                chars.next();
            }
            _ => out.push(c),
        }
    }
}

/// `skip_special: true`: the replacement applies to the plain parts between wildcards only,
/// and a `*` or `?` it writes is a literal character.
fn replace_plain_parts(regex: &Regex, text: &str, replacement: &str) -> String {
    let mut out = String::new();
    let mut plain = String::new();
    let flush = |plain: &mut String, out: &mut String| {
        let replaced = substitute(regex, plain, replacement);
        for c in replaced.chars() {
            if c == '*' || c == '?' {
                out.push('\\');
            }
            out.push(c);
        }
        plain.clear();
    };
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(next @ ('*' | '?')) => plain.push(next),
                Some(next) => {
                    plain.push('\\');
                    plain.push(next);
                }
                None => plain.push('\\'),
            },
            '*' | '?' => {
                flush(&mut plain, &mut out);
                out.push(c);
            }
            _ => plain.push(c),
        }
    }
    flush(&mut plain, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn re(pattern: &str) -> Regex {
        Regex::new(pattern).unwrap()
    }

    #[test]
    fn substitution_follows_python_re_sub() {
        assert_eq!(substitute(&re("a"), "banana", "o"), "bonono");
        assert_eq!(
            substitute(&re(r"(\w+)@(\w+)"), "x alice@corp y", r"\2\\\1"),
            r"x corp\alice y"
        );
        assert_eq!(
            substitute(&re(r"(?P<user>\w+)@"), "bob@corp", r"\g<user>+\g<1>:"),
            "bob+bob:corp"
        );
        assert_eq!(substitute(&re("x*"), "ab", "-"), "-a-b-");
        assert_eq!(substitute(&re("^"), "ab", "^"), "^ab");
    }

    #[test]
    fn skip_special_keeps_wildcards() {
        assert_eq!(replace_plain_parts(&re("a"), "*a?a*", "*"), r"*\*?\**");
        assert_eq!(replace_plain_parts(&re(r"\\"), r"C:\x*", "/"), "C:/x*");
    }

    #[test]
    fn templates_name_the_log_source() {
        let logsource = crate::ir::LogSource {
            product: Some("aws".into()),
            service: Some("cloudtrail".into()),
            category: None,
        };
        assert_eq!(
            template("$product/${service}:$category $$x $other", &logsource),
            "aws/cloudtrail:None $x $other"
        );
    }
}
