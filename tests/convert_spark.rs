//! `sigil convert --target spark`, proven in a real local Spark (pyspark, local mode, one
//! session): every SigmaHQ AWS rule, the bundled pack and its correlations on the embedded
//! sample, through the views of `sigil convert --target spark --ddl`, answer as `sigil hunt`.
//! See `convert_support` for how.

mod convert_support;

use convert_support::{Engine, available, sample_proof};

#[test]
fn spark_answers_as_sigil_on_the_sample() {
    if available(Engine::Spark) {
        sample_proof("spark", &[]);
    }
}
