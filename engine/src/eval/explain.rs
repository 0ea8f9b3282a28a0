//! Why a rule did or did not match a record, for `sigil explain`.
//!
//! [`explain`] evaluates a detection rule like [`Evaluator`] does and reports, for every search,
//! whether it held and, for every matcher in it, whether it held and which values it found at its
//! field (as JSON text).

use super::RecordError;
use super::field::Subject;
use super::matcher::subject_of;
use super::{Evaluator, detection_of};
use sigil_compiler::{MatcherId, RuleId, RuleSet, SearchExpr};
use simd_json::BorrowedValue;
use simd_json::prelude::*;

/// What a detection rule's evaluation found for one record.
///
/// ```
/// use sigil_compiler::{load_str, LoadOptions, RuleId};
/// use sigil_engine::explain;
///
/// let rule = "title: t\nlogsource: {product: aws}\ndetection:\n  sel:\n    eventName: StopLogging\n  \
///             filter:\n    userIdentity.type: AWSService\n  condition: sel and not filter\n";
/// let loaded = load_str("t.yml".as_ref(), rule, &LoadOptions::default());
/// let record = br#"{"eventName":"StopLogging","userIdentity":{"type":"Root"}}"#;
///
/// let explanation = explain(&loaded.rules, RuleId(0), record).unwrap().unwrap();
/// assert!(explanation.matched);
/// let filter = &explanation.searches[1];
/// assert_eq!((filter.name.as_str(), filter.held), ("filter", false));
/// assert_eq!(filter.matchers[0].seen, [r#""Root""#]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Explanation {
    /// The rule explained.
    pub rule: RuleId,
    /// Whether the rule's condition held: the rule matched.
    pub matched: bool,
    /// Every search of the rule, in file order.
    pub searches: Vec<SearchExplanation>,
}

/// One search of an [`Explanation`].
///
/// ```
/// use sigil_engine::SearchExplanation;
/// let search = SearchExplanation { name: "selection".into(), held: false, matchers: vec![] };
/// assert!(!search.held);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct SearchExplanation {
    /// The search identifier (`selection`, `filter_main`...).
    pub name: String,
    /// Whether the search held.
    pub held: bool,
    /// The search's matchers, in the order they are written.
    pub matchers: Vec<MatcherExplanation>,
}

/// One matcher of a [`SearchExplanation`].
///
/// ```
/// use sigil_compiler::MatcherId;
/// use sigil_engine::MatcherExplanation;
/// let matcher = MatcherExplanation {
///     matcher: MatcherId(0),
///     description: r#"eventName [eq "stoplogging"]"#.into(),
///     held: true,
///     seen: vec![r#""StopLogging""#.into()],
/// };
/// assert!(matcher.held);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct MatcherExplanation {
    /// The matcher's id in the rule set.
    pub matcher: MatcherId,
    /// What the matcher tests: its field, modifiers and values (the compiler's canonical key).
    pub description: String,
    /// Whether the matcher held.
    pub held: bool,
    /// The values found at the matcher's field, as JSON text; empty when the field is missing,
    /// and for keywords (which search the whole record).
    pub seen: Vec<String>,
}

/// Explains how detection rule `rule` fares on `record` (one JSON object); `Ok(None)` for filter
/// and correlation rules.
///
/// ```
/// use sigil_compiler::{load_str, LoadOptions, RuleId};
/// use sigil_engine::explain;
///
/// let rule = "title: t\nlogsource: {product: aws}\ndetection:\n  keywords:\n    - mimikatz\n  \
///             condition: keywords\n";
/// let loaded = load_str("t.yml".as_ref(), rule, &LoadOptions::default());
/// let record = br#"{"requestParameters":{"command":"run MimiKatz.exe"}}"#;
/// let explanation = explain(&loaded.rules, RuleId(0), record).unwrap().unwrap();
/// assert!(explanation.matched && explanation.searches[0].matchers[0].held);
/// ```
pub fn explain(
    rules: &RuleSet,
    rule: RuleId,
    record: &[u8],
) -> Result<Option<Explanation>, RecordError> {
    let mut bytes = record.to_vec();
    let value = simd_json::to_borrowed_value(&mut bytes)
        .map_err(|error| RecordError::Json(super::parse::describe_error(&error, record)))?;
    if !value.is_object() {
        return Err(RecordError::NotAnObject);
    }
    Ok(explain_value(rules, rule, &value))
}

/// [`explain`] of a parsed record.
fn explain_value(rules: &RuleSet, rule: RuleId, record: &BorrowedValue) -> Option<Explanation> {
    let detection = detection_of(rules, rule)?;
    let mut evaluator = Evaluator::new(rules);
    evaluator.start_record();
    let matched = evaluator.condition_holds(detection, &detection.condition, record);
    let searches = detection
        .searches
        .iter()
        .map(|search| {
            let mut ids = Vec::new();
            collect_matchers(&search.expr, &mut ids);
            SearchExplanation {
                name: search.name.clone(),
                held: evaluator.search_holds(&search.expr, record),
                matchers: ids
                    .into_iter()
                    .map(|id| explain_matcher(&mut evaluator, id, record))
                    .collect(),
            }
        })
        .collect();
    Some(Explanation {
        rule,
        matched,
        searches,
    })
}

/// The matchers of a search, in the order they are written.
fn collect_matchers(expr: &SearchExpr, out: &mut Vec<MatcherId>) {
    match expr {
        SearchExpr::And(items) | SearchExpr::Or(items) => {
            items.iter().for_each(|item| collect_matchers(item, out))
        }
        SearchExpr::Matcher(id) => out.push(*id),
    }
}

fn explain_matcher(
    evaluator: &mut Evaluator,
    id: MatcherId,
    record: &BorrowedValue,
) -> MatcherExplanation {
    let matcher = evaluator.rules.matcher(id);
    let mut seen = Vec::new();
    if let Subject::Field(path) = subject_of(matcher) {
        Subject::Field(path).any_value(record, &mut |value| {
            seen.push(value.encode());
            false
        });
    }
    MatcherExplanation {
        matcher: id,
        description: matcher.key.clone(),
        held: evaluator.matcher_holds(id, record),
        seen,
    }
}
