//! Shared by the prefilter tests: scanning records with the prefilter on and off, and checking
//! the literal formulas directly against the raw bytes.

use sigil_compiler::LiteralId;
use sigil_compiler::RuleSet;
use sigil_engine::spell_out_escapes;
use sigil_engine::{Engine, ScanOptions};

/// Two engines over the same rules: prefilter on, prefilter off.
pub struct Pair {
    pub on: Engine,
    pub off: Engine,
}

impl Pair {
    /// `rules` is loaded twice by `load` (a `RuleSet` is not `Clone`).
    pub fn new(load: impl Fn() -> RuleSet, options: ScanOptions) -> Pair {
        Pair::narrowing_above(load, options, None)
    }

    /// [`Pair::new`], the prefilter narrowing the sets of rules whose literals come to more
    /// than `bytes` (`Some(0)`: every set) instead of only those too big for a DFA.
    pub fn narrowing_above(
        load: impl Fn() -> RuleSet,
        options: ScanOptions,
        bytes: Option<usize>,
    ) -> Pair {
        let on_options = ScanOptions {
            prefilter: true,
            ..options.clone()
        };
        let on = match bytes {
            Some(bytes) => Engine::with_narrowing_above(load(), on_options, bytes),
            None => Engine::new(load(), on_options),
        };
        let off = Engine::new(
            load(),
            ScanOptions {
                prefilter: false,
                ..options
            },
        );
        Pair { on, off }
    }

    /// Scans `records` both ways; returns the number of (rule, record) matches and of rules the
    /// prefilter spared the evaluator, or the first difference. Also checks the contract on the formulas themselves: every rule that matches a
    /// record has a formula true for the record's bytes once its optional escapes are spelled out
    /// (literals found by a naive case-insensitive search, not by the automaton).
    pub fn compare<'a>(
        &self,
        records: impl IntoIterator<Item = &'a [u8]>,
    ) -> Result<(u64, u64), String> {
        let (mut on, mut off) = (self.on.scanner(), self.off.scanner());
        let prefilter = self.on.prefilter().expect("prefilter on");
        let mut matches = 0;
        for (index, record) in records.into_iter().enumerate() {
            let with = on.scan(record).map(|m| m.rules.to_vec());
            let without = off.scan(record).map(|m| m.rules.to_vec());
            let without = match (with, without) {
                (Ok(with), Ok(without)) if with == without => without,
                (Err(_), Err(_)) => continue,
                (Ok(with), Err(e)) if with.is_empty() => {
                    let _ = e; // a malformed record the prefilter did not need to parse
                    continue;
                }
                (with, without) => {
                    return Err(format!(
                        "record {index}: prefilter on {with:?}, off {without:?}\n{}",
                        String::from_utf8_lossy(record)
                    ));
                }
            };
            matches += without.len() as u64;
            let mut spelled = Vec::new();
            let record = if spell_out_escapes(record, &mut spelled) {
                &spelled[..]
            } else {
                record
            };
            let lower = record.to_ascii_lowercase();
            for rule in without {
                let formula = prefilter.literals().rule(rule);
                let literals = prefilter.literals();
                let mut present = |id: LiteralId| {
                    let haystack = if literals.is_cased(id) {
                        record
                    } else {
                        &lower
                    };
                    contains(haystack, literals.literal(id))
                };
                if !formula.holds(&mut present) {
                    return Err(format!(
                        "record {index} matches {rule:?} but its formula {} is false\n{}",
                        prefilter.literals().render(formula),
                        String::from_utf8_lossy(record)
                    ));
                }
            }
        }
        let spared = off.stats().rules_evaluated - on.stats().rules_evaluated;
        Ok((matches, spared))
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}
