//! Criterion benchmarks for Sigil live in `benches/benches/`; whole-command comparisons with
//! other engines live in `benches/compare.sh`. This library holds what the benches share.

use std::path::PathBuf;

/// A folder of `../shared/data`, if the shared data are present.
pub fn shared_data(path: &str) -> Option<PathBuf> {
    let full = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data")
        .join(path);
    full.exists().then_some(full)
}
