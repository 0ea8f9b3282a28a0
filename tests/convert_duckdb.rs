//! `sigil convert --target duckdb`, proven in DuckDB: every SigmaHQ AWS rule and the bundled pack
//! on the embedded sample and on the real CloudTrail of `../shared/data`, the pack's
//! correlations, correlations at their window edges, and `--from/--to`, each answering as
//! `sigil hunt` does. See `convert_support` for how.

mod convert_support;

use convert_support::cases::{ordered_ties_proof, semantics_proof, windows_proof};
use convert_support::{Engine, available, sample_proof, shared_cloudtrail_proof};

#[test]
fn duckdb_answers_as_sigil_on_the_sample() {
    if available(Engine::DuckDb) {
        sample_proof("duckdb", &[]);
    }
}

#[test]
fn duckdb_answers_as_sigil_on_real_cloudtrail() {
    if available(Engine::DuckDb) {
        shared_cloudtrail_proof("duckdb");
    }
}

#[test]
fn duckdb_correlation_windows_are_sigils() {
    if available(Engine::DuckDb) {
        windows_proof("duckdb");
    }
}

#[test]
fn duckdb_time_range_is_hunts() {
    if available(Engine::DuckDb) {
        sample_proof(
            "duckdb",
            &[
                "--from",
                "2026-10-01T00:30:00Z",
                "--to",
                "2026-10-01T01:30:00Z",
            ],
        );
    }
}

#[test]
fn duckdb_matches_sigils_semantics_point_by_point() {
    if available(Engine::DuckDb) {
        semantics_proof("duckdb");
    }
}

#[test]
fn duckdb_temporal_ordered_stops_on_tied_events() {
    if available(Engine::DuckDb) {
        ordered_ties_proof("duckdb");
    }
}
