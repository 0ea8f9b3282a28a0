//! Resolving correlation rules against a rule set: which rules each one reads, in which order
//! correlations must be evaluated, and which fields each input rule must provide.
//!
//! References (`rules`, `aliases`) name rules by `id` or `name`. A correlation may reference
//! other correlations (a chain); they are evaluated inner first (a topological order). A
//! correlation that cannot be evaluated (it references a filter rule, is part of a reference
//! cycle, or references one that cannot) is set aside with a reason, and so are the ones that
//! depend on it.

use sigil_compiler::{Correlation, CorrelationOp, CorrelationType};
use sigil_compiler::{FieldPath, RuleId, RuleKind, RuleSet};
use std::collections::HashMap;

/// Most rules one correlation may reference (they are tracked as bits of a `u64`).
pub const MAX_REFERENCED_RULES: usize = 64;

/// One correlation, resolved.
#[derive(Clone, Debug)]
pub(super) struct Plan {
    /// The correlation rule.
    pub rule: RuleId,
    /// The aggregation.
    pub kind: CorrelationType,
    /// The window length, in microseconds.
    pub timespan_us: i64,
    /// The names the events are grouped by (aliases as written).
    pub group_by: Vec<String>,
    /// Every comparison must hold; the temporal types default to "all rules seen".
    pub comparisons: Vec<(CorrelationOp, f64)>,
    /// The percentile of `value_percentile` (loading refuses one without it).
    pub percentile: Option<f64>,
    /// The referenced rules, in the order listed.
    pub inputs: Vec<PlanInput>,
}

/// One rule a correlation reads.
#[derive(Clone, Debug)]
pub(super) struct PlanInput {
    /// The referenced rule: a detection or a correlation.
    pub rule: RuleId,
    /// The field names read from its events: one per `group-by` entry (aliases resolved for
    /// this rule), then the aggregated field if the correlation has one.
    pub fields: Vec<String>,
    /// For a detection rule: where each of `fields` is in the values the driver observes for
    /// that rule (an index into its [`Plans::inputs`] field list). Empty for a correlation.
    pub slots: Vec<usize>,
}

/// Every correlation of a rule set, resolved.
#[derive(Debug, Default)]
pub(super) struct Plans {
    /// The correlations that can be evaluated, inner ones first.
    pub order: Vec<Plan>,
    /// Correlations set aside, with the reason.
    pub skipped: Vec<(RuleId, String)>,
    /// Detection rules read by some correlation, by id, with the fields to observe.
    pub inputs: Vec<(RuleId, Vec<FieldPath>)>,
    /// Rules (detections or correlations) whose own matches are not reported: referenced by
    /// a correlation without `generate: true`.
    pub silenced: Vec<RuleId>,
}

impl Plans {
    /// Resolves every correlation of `rules`.
    pub fn new(rules: &RuleSet) -> Plans {
        let names = Names::new(rules);
        let mut plans = Plans::default();
        let mut state: HashMap<RuleId, Visit> = HashMap::new();
        for (id, rule) in rules.iter() {
            if matches!(rule.kind, RuleKind::Correlation(_)) {
                // A correlation that cannot be evaluated is recorded in `plans.skipped`.
                let _ = visit(rules, &names, id, &mut state, &mut plans);
            }
        }
        plans.assign_slots();
        for plan in &plans.order {
            let RuleKind::Correlation(c) = &rules.rule(plan.rule).kind else {
                continue;
            };
            if !c.generate {
                plans.silenced.extend(plan.inputs.iter().map(|i| i.rule));
            }
        }
        plans.silenced.sort();
        plans.silenced.dedup();
        plans
    }

    /// Collects the fields each detection input must provide and points every plan input at
    /// them.
    fn assign_slots(&mut self) {
        let correlations: Vec<RuleId> = self.order.iter().map(|p| p.rule).collect();
        let mut fields: HashMap<RuleId, Vec<String>> = HashMap::new();
        for input in self.order.iter().flat_map(|p| &p.inputs) {
            if correlations.contains(&input.rule) {
                continue;
            }
            let list = fields.entry(input.rule).or_default();
            for name in &input.fields {
                if !list.contains(name) {
                    list.push(name.clone());
                }
            }
        }
        for plan in &mut self.order {
            for input in &mut plan.inputs {
                if let Some(list) = fields.get(&input.rule) {
                    input.slots = input
                        .fields
                        .iter()
                        .map(|name| list.iter().position(|f| f == name).unwrap_or(0))
                        .collect();
                }
            }
        }
        let mut inputs: Vec<(RuleId, Vec<FieldPath>)> = fields
            .into_iter()
            .map(|(rule, names)| (rule, names.iter().map(|n| FieldPath::new(n)).collect()))
            .collect();
        inputs.sort_by_key(|(rule, _)| *rule);
        self.inputs = inputs;
    }
}

/// Rule lookup by id or name.
struct Names<'r>(HashMap<&'r str, RuleId>);

impl<'r> Names<'r> {
    fn new(rules: &'r RuleSet) -> Self {
        let mut map = HashMap::new();
        for (id, rule) in rules.iter() {
            for key in [rule.meta.id.as_deref(), rule.meta.name.as_deref()]
                .into_iter()
                .flatten()
            {
                map.entry(key).or_insert(id);
            }
        }
        Names(map)
    }

    fn get(&self, reference: &str) -> Option<RuleId> {
        self.0.get(reference).copied()
    }
}

/// Where the depth-first walk over references stands with a correlation.
#[derive(Clone, Debug)]
enum Visit {
    InProgress,
    Done,
    Failed(String),
}

/// Resolves correlation `id` after the correlations it references; returns why it cannot be
/// evaluated, if it cannot.
fn visit(
    rules: &RuleSet,
    names: &Names<'_>,
    id: RuleId,
    state: &mut HashMap<RuleId, Visit>,
    plans: &mut Plans,
) -> Result<(), String> {
    match state.get(&id) {
        Some(Visit::Done) => return Ok(()),
        Some(Visit::Failed(reason)) => return Err(reason.clone()),
        Some(Visit::InProgress) => return Err("its references form a cycle".into()),
        None => {}
    }
    state.insert(id, Visit::InProgress);
    let RuleKind::Correlation(correlation) = &rules.rule(id).kind else {
        unreachable!("only correlations are visited");
    };
    let result = resolve(rules, names, correlation).and_then(|inputs| {
        for input in &inputs {
            if matches!(rules.rule(input.rule).kind, RuleKind::Correlation(_)) {
                visit(rules, names, input.rule, state, plans).map_err(|why| {
                    format!("it references a correlation that is set aside: {why}")
                })?;
            }
        }
        Ok(inputs)
    });
    match result {
        Ok(inputs) => {
            plans.order.push(plan(id, correlation, inputs));
            state.insert(id, Visit::Done);
            Ok(())
        }
        Err(reason) => {
            plans.skipped.push((id, reason.clone()));
            state.insert(id, Visit::Failed(reason.clone()));
            Err(reason)
        }
    }
}

/// The inputs of one correlation, with the field names each must provide.
fn resolve(
    rules: &RuleSet,
    names: &Names<'_>,
    correlation: &Correlation,
) -> Result<Vec<PlanInput>, String> {
    if correlation.rules.len() > MAX_REFERENCED_RULES {
        return Err(format!(
            "it references more than {MAX_REFERENCED_RULES} rules"
        ));
    }
    let field = aggregated_field(correlation);
    correlation
        .rules
        .iter()
        .map(|(reference, _)| {
            let input = names
                .get(reference)
                .ok_or_else(|| format!("no loaded rule has id or name `{reference}`"))?;
            if matches!(rules.rule(input).kind, RuleKind::Filter(_)) {
                return Err(format!(
                    "`{reference}` is a filter rule, which has no matches"
                ));
            }
            let fields = correlation
                .group_by
                .iter()
                .chain(field.as_ref())
                .map(|name| alias_for(correlation, names, input, name))
                .collect();
            Ok(PlanInput {
                rule: input,
                fields,
                slots: Vec::new(),
            })
        })
        .collect()
}

/// The field `name` stands for in the events of `input`: an alias's field for that rule, or
/// the name itself.
fn alias_for(correlation: &Correlation, names: &Names<'_>, input: RuleId, name: &str) -> String {
    correlation
        .aliases
        .iter()
        .filter(|alias| alias.name == name)
        .flat_map(|alias| &alias.fields)
        .find(|(reference, _)| names.get(reference) == Some(input))
        .map_or_else(|| name.to_string(), |(_, field)| field.clone())
}

fn plan(rule: RuleId, correlation: &Correlation, inputs: Vec<PlanInput>) -> Plan {
    let comparisons = match &correlation.condition {
        Some(condition) => condition.comparisons.clone(),
        // The temporal types without a condition: every referenced rule seen in the window.
        None => vec![(CorrelationOp::Gte, inputs.len() as f64)],
    };
    let condition = correlation.condition.as_ref();
    Plan {
        rule,
        kind: correlation.kind,
        timespan_us: i64::try_from(correlation.timespan_secs)
            .unwrap_or(i64::MAX / 1_000_000)
            .saturating_mul(1_000_000),
        group_by: correlation.group_by.clone(),
        comparisons,
        percentile: condition.and_then(|c| c.percentile),
        inputs,
    }
}

/// The field a `value_*` correlation aggregates (the other types aggregate no field).
fn aggregated_field(correlation: &Correlation) -> Option<String> {
    let aggregates = matches!(
        correlation.kind,
        CorrelationType::ValueCount
            | CorrelationType::ValueSum
            | CorrelationType::ValueAvg
            | CorrelationType::ValuePercentile
    );
    correlation
        .condition
        .as_ref()
        .and_then(|c| c.field.clone())
        .filter(|_| aggregates)
}
