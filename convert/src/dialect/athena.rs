//! Athena's SQL: Trino (Athena engine version 3).
//!
//! Queries stay within functions that `sqlglot` reads as Trino and writes as DuckDB with the
//! same meaning (`filter`, `transform`, `json_extract`...), so that the Athena proof can run
//! them (see the README): `any_match` and `json_query` are avoided for that reason.

use super::{Dialect, JsonKind, bracket_key, quote_with, standard_string};
use crate::regex::Flavour;

/// Amazon Athena (Trino).
#[derive(Clone, Copy, Debug, Default)]
pub struct Athena;

impl Athena {
    /// The first character of a JSON value's text, which tells its kind.
    fn json_lead(json: &str) -> String {
        format!("substr(json_format({json}), 1, 1)")
    }
}

impl Dialect for Athena {
    fn ident(&self, name: &str) -> String {
        quote_with(name, '"')
    }

    fn string(&self, text: &str) -> String {
        standard_string(text)
    }

    fn regex_match(&self, expr: &str, regex: &str) -> String {
        format!("regexp_like({expr}, {})", self.string(regex))
    }

    fn regex_flavour(&self) -> Flavour {
        Flavour::Java
    }

    fn regex_find_all(&self, expr: &str, regex: &str) -> String {
        format!("regexp_extract_all({expr}, {})", self.string(regex))
    }

    fn list(&self, items: &[String]) -> String {
        format!("ARRAY[{}]", items.join(", "))
    }

    fn any(&self, list: &str, var: &str, predicate: &str) -> String {
        format!("cardinality(filter({list}, {var} -> {predicate})) > 0")
    }

    fn element(&self, list: &str, index: &str) -> String {
        format!("element_at({list}, {index})")
    }

    fn json_parse(&self, text: &str) -> String {
        format!("json_extract({text}, '$')")
    }

    fn json_member(&self, json: &str, key: &str) -> String {
        format!("json_extract({json}, {})", self.string(&bracket_key(key)))
    }

    fn json_elements(&self, json: &str) -> String {
        format!("TRY_CAST({json} AS ARRAY(JSON))")
    }

    fn json_is(&self, json: &str, kind: JsonKind) -> String {
        let lead = Athena::json_lead(json);
        match kind {
            JsonKind::String => format!("{lead} = '\"'"),
            JsonKind::Object => format!("{lead} = '{{'"),
            JsonKind::Array => format!("{lead} = '['"),
            JsonKind::Null => format!("{lead} = 'n'"),
            JsonKind::Bool => format!("{lead} IN ('t', 'f')"),
            JsonKind::Number => {
                format!("{lead} IN ('-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9')")
            }
        }
    }

    fn json_string(&self, json: &str) -> String {
        format!("json_extract_scalar({json}, '$')")
    }

    fn json_number(&self, json: &str) -> String {
        format!("CAST(json_extract_scalar({json}, '$') AS DOUBLE)")
    }

    fn json_text(&self, json: &str) -> String {
        format!("json_format({json})")
    }

    fn json_unquote(&self, literal: &str) -> String {
        format!("json_extract_scalar({literal}, '$')")
    }

    fn iso_micros(&self, text: &str) -> String {
        // Whole seconds from the timestamp without its fraction (Trino keeps milliseconds
        // only), then the fraction's first six digits: exact to the microsecond.
        format!(
            "CAST(to_unixtime(from_iso8601_timestamp(regexp_replace({text}, '\\.[0-9]+', ''))) AS BIGINT) * 1000000 \
             + CAST(rpad(coalesce(regexp_extract({text}, '\\.([0-9]+)', 1), ''), 6, '0') AS BIGINT)"
        )
    }

    fn distinct_count_over(&self, expr: &str, window: &str) -> String {
        format!(
            "cardinality(array_distinct({}))",
            self.list_over(expr, window)
        )
    }

    fn list_over(&self, expr: &str, window: &str) -> String {
        format!("filter(array_agg({expr}) OVER {window}, e -> e IS NOT NULL)")
    }

    fn fail(&self, message: &str) -> String {
        format!("fail({})", self.string(message))
    }

    fn percent_decode(&self, expr: &str) -> String {
        // Trino's url_decode reads `+` as a space (protected here) and fails on a `%` that
        // starts no escape (CloudFront writes `%` as `%25`, so none occurs). Bytes that are
        // not UTF-8 come back as U+FFFD, where Sigil keeps the field as written.
        let decoded = format!("try(url_decode(replace({expr}, '+', '%2B')))");
        format!(
            "CASE WHEN strpos(coalesce({decoded}, '\u{FFFD}'), '\u{FFFD}') > 0 THEN {expr} ELSE {decoded} END"
        )
    }
}
