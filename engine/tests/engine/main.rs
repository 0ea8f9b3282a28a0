//! The engine's integration tests: one binary, one module per topic.
//!
//! Tests that read `../shared/data` skip with a notice when it is absent. The 100 MB line test
//! is a binary of its own (`input_long_line`), as it measures allocations with a global
//! allocator.

mod support;

mod correlate_live;
mod correlate_rules;
mod correlate_sql;
mod correlate_types;
mod formats_corpus;
mod formats_lines;
mod formats_real_data;
mod formats_robustness;
mod formats_security_logs;
mod framing_robustness;
mod input_bad;
mod input_discover;
mod input_paths;
mod input_real_data;
mod live_scan;
mod prefilter_real;
mod prefilter_soundness;
mod real_cloudtrail;
mod semantics;
