//! Criterion benchmarks for Sigil live in `benches/benches/`; this library is empty.
