//! Correlation rules as SQL window queries (see below).

use crate::{Converter, Query, Refusal};
use sigil_compiler::RuleId;
use sigil_compiler::correlation::Correlation;

/// The query of correlation rule `id`.
pub(crate) fn convert(
    _converter: &Converter,
    _id: RuleId,
    _correlation: &Correlation,
) -> Result<Query, Refusal> {
    Err(Refusal::new("correlations are not converted yet"))
}
