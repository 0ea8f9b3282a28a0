//! Monotone formulas over "literal present in the record", simplified as they are built.
//!
//! [`Formula::and`] and [`Formula::or`] flatten nested connectives of the same kind, absorb the
//! constants (`x & true = x`, `x | true = true`, ...), sort and deduplicate their operands, and
//! collapse a single operand to itself. A formula built only through them is therefore `True`,
//! `False`, or free of constants, so with no literal present it is false unless it is `True`:
//! the prefilter only looks at rules one of whose literals was seen, plus the `True` ones.
//!
//! ```
//! use sigil_compiler::{Formula, LiteralId};
//! let (a, b) = (Formula::Lit(LiteralId(0)), Formula::Lit(LiteralId(1)));
//! let f = Formula::and([a.clone(), Formula::or([b.clone(), Formula::True]), a.clone()]);
//! assert_eq!(f, a);
//! assert!(Formula::or([a, b]).holds(&mut |id| id == LiteralId(1)));
//! ```

use serde::{Deserialize, Serialize};

/// Index of a literal in [`Literals::literals`](super::Literals::literals).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LiteralId(pub u32);

/// A monotone boolean formula over literal presence.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Formula {
    /// Always holds: the prefilter cannot rule anything out.
    True,
    /// Never holds: the matcher or rule cannot match any record.
    False,
    /// The literal occurs in the record.
    Lit(LiteralId),
    /// All operands hold (two or more, none a constant or an `And`).
    And(#[serde(deserialize_with = "crate::compiled::nested")] Vec<Formula>),
    /// One operand holds (two or more, none a constant or an `Or`).
    Or(#[serde(deserialize_with = "crate::compiled::nested")] Vec<Formula>),
}

impl Formula {
    /// The simplified conjunction of `items` (`True` when empty).
    pub fn and(items: impl IntoIterator<Item = Formula>) -> Formula {
        Formula::join(items, true)
    }

    /// The simplified disjunction of `items` (`False` when empty).
    pub fn or(items: impl IntoIterator<Item = Formula>) -> Formula {
        Formula::join(items, false)
    }

    /// Builds an `And` (`conjunction`) or an `Or`: the identity element of the connective is
    /// dropped, its absorbing element wins.
    fn join(items: impl IntoIterator<Item = Formula>, conjunction: bool) -> Formula {
        let (identity, absorbing) = if conjunction {
            (Formula::True, Formula::False)
        } else {
            (Formula::False, Formula::True)
        };
        let mut operands = Vec::new();
        for item in items {
            match item {
                f if f == identity => {}
                f if f == absorbing => return absorbing,
                Formula::And(inner) if conjunction => operands.extend(inner),
                Formula::Or(inner) if !conjunction => operands.extend(inner),
                f => operands.push(f),
            }
        }
        operands.sort_unstable();
        operands.dedup();
        match operands.len() {
            0 => identity,
            1 => operands.pop().expect("one operand"),
            _ if conjunction => Formula::And(operands),
            _ => Formula::Or(operands),
        }
    }

    /// Whether the formula holds when `present` tells which literals occur.
    pub fn holds(&self, present: &mut impl FnMut(LiteralId) -> bool) -> bool {
        match self {
            Formula::True => true,
            Formula::False => false,
            Formula::Lit(id) => present(*id),
            Formula::And(items) => items.iter().all(|f| f.holds(present)),
            Formula::Or(items) => items.iter().any(|f| f.holds(present)),
        }
    }

    /// Calls `visit` with every literal the formula mentions (those [`holds`](Formula::holds)
    /// may ask about), repeats included.
    pub fn visit_literals(&self, visit: &mut impl FnMut(LiteralId)) {
        match self {
            Formula::True | Formula::False => {}
            Formula::Lit(id) => visit(*id),
            Formula::And(items) | Formula::Or(items) => {
                items.iter().for_each(|f| f.visit_literals(visit));
            }
        }
    }

    /// A set of literals one of which occurs whenever the formula holds, chosen cheap by
    /// `cost`: every operand's set for an `Or`, the cheapest operand's set for an `And`. A
    /// prefilter need only look at the formula when one of these literals was seen. Empty for
    /// the constants.
    ///
    /// ```
    /// use sigil_compiler::{Formula, LiteralId};
    /// let (a, b, c) = (LiteralId(0), LiteralId(1), LiteralId(2));
    /// let f = Formula::and([Formula::Lit(a), Formula::or([Formula::Lit(b), Formula::Lit(c)])]);
    /// assert_eq!(f.triggers(&|_| 1), [a]);
    /// assert_eq!(f.triggers(&|id| if id == a { 5 } else { 1 }), [b, c]);
    /// ```
    pub fn triggers(&self, cost: &impl Fn(LiteralId) -> u64) -> Vec<LiteralId> {
        match self {
            Formula::True | Formula::False => Vec::new(),
            Formula::Lit(id) => vec![*id],
            Formula::Or(items) => items.iter().flat_map(|f| f.triggers(cost)).collect(),
            Formula::And(items) => items
                .iter()
                .map(|f| f.triggers(cost))
                .min_by_key(|set| set.iter().map(|&id| cost(id)).sum::<u64>())
                .unwrap_or_default(),
        }
    }

    /// Renders the formula with `name` giving each literal's text: `a & (b | c)`.
    pub fn render(&self, name: &impl Fn(LiteralId) -> String) -> String {
        let operand = |f: &Formula| match f {
            Formula::And(_) | Formula::Or(_) => format!("({})", f.render(name)),
            _ => f.render(name),
        };
        match self {
            Formula::True => "true".into(),
            Formula::False => "false".into(),
            Formula::Lit(id) => name(*id),
            Formula::And(items) => items.iter().map(operand).collect::<Vec<_>>().join(" & "),
            Formula::Or(items) => items.iter().map(operand).collect::<Vec<_>>().join(" | "),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(n: u32) -> Formula {
        Formula::Lit(LiteralId(n))
    }

    #[test]
    fn constants_are_absorbed() {
        assert_eq!(Formula::and([]), Formula::True);
        assert_eq!(Formula::or([]), Formula::False);
        assert_eq!(Formula::and([lit(1), Formula::False]), Formula::False);
        assert_eq!(Formula::or([lit(1), Formula::True]), Formula::True);
        assert_eq!(Formula::or([lit(1), Formula::False]), lit(1));
    }

    #[test]
    fn nesting_is_flattened_and_deduplicated() {
        let f = Formula::and([lit(2), Formula::and([lit(1), lit(2)])]);
        assert_eq!(f, Formula::And(vec![lit(1), lit(2)]));
        let g = Formula::or([f.clone(), lit(3), f.clone()]);
        assert_eq!(g, Formula::Or(vec![lit(3), f]));
        assert_eq!(g.render(&|id| format!("L{}", id.0)), "L3 | (L1 & L2)");
    }
}
