//! DuckDB's SQL (1.3 or newer: `lambda x: ...` lambdas, `json_type`, `url_decode`).

use super::{Dialect, JsonKind, quote_with, standard_string};
use crate::regex::Flavour;

/// DuckDB.
#[derive(Clone, Copy, Debug, Default)]
pub struct DuckDb;

impl Dialect for DuckDb {
    fn ident(&self, name: &str) -> String {
        quote_with(name, '"')
    }

    fn string(&self, text: &str) -> String {
        standard_string(text)
    }

    fn regex_match(&self, expr: &str, regex: &str) -> String {
        format!("regexp_matches({expr}, {})", self.string(regex))
    }

    fn regex_flavour(&self) -> Flavour {
        Flavour::Re2
    }

    fn regex_find_all(&self, expr: &str, regex: &str) -> String {
        format!("regexp_extract_all({expr}, {})", self.string(regex))
    }

    fn list(&self, items: &[String]) -> String {
        format!("[{}]", items.join(", "))
    }

    fn any(&self, list: &str, var: &str, predicate: &str) -> String {
        format!("len(list_filter({list}, lambda {var}: {predicate})) > 0")
    }

    fn filter(&self, list: &str, var: &str, predicate: &str) -> String {
        format!("list_filter({list}, lambda {var}: {predicate})")
    }

    fn transform(&self, list: &str, var: &str, expr: &str) -> String {
        format!("list_transform({list}, lambda {var}: {expr})")
    }

    fn concat(&self, first: &str, second: &str) -> String {
        format!("list_concat({first}, {second})")
    }

    fn element(&self, list: &str, index: &str) -> String {
        format!("list_extract({list}, {index})")
    }

    fn sort(&self, list: &str) -> String {
        format!("list_sort({list})")
    }

    fn json_parse(&self, text: &str) -> String {
        format!("TRY_CAST({text} AS JSON)")
    }

    fn json_member(&self, json: &str, key: &str) -> String {
        // DuckDB reads quoted keys as `$."key"` (not `$["key"]`).
        let escaped = key.replace('\\', "\\\\").replace('"', "\\\"");
        format!(
            "json_extract({json}, {})",
            self.string(&format!("$.\"{escaped}\""))
        )
    }

    fn json_elements(&self, json: &str) -> String {
        format!("TRY_CAST({json} AS JSON[])")
    }

    fn json_is(&self, json: &str, kind: JsonKind) -> String {
        let types = match kind {
            JsonKind::String => "'VARCHAR'",
            JsonKind::Number => "'BIGINT', 'UBIGINT', 'HUGEINT', 'DOUBLE'",
            JsonKind::Bool => "'BOOLEAN'",
            JsonKind::Null => "'NULL'",
            JsonKind::Array => "'ARRAY'",
            JsonKind::Object => "'OBJECT'",
        };
        format!("json_type({json}) IN ({types})")
    }

    fn json_string(&self, json: &str) -> String {
        format!("json_extract_string({json}, '$')")
    }

    fn json_number(&self, json: &str) -> String {
        format!("CAST({json} AS DOUBLE)")
    }

    fn json_text(&self, json: &str) -> String {
        format!("CAST({json} AS VARCHAR)")
    }

    fn json_unquote(&self, literal: &str) -> String {
        format!("json_extract_string({literal}, '$')")
    }

    fn iso_micros(&self, text: &str) -> String {
        format!("epoch_us(CAST({text} AS TIMESTAMPTZ))")
    }

    fn distinct_count_over(&self, expr: &str, window: &str) -> String {
        format!("len(list_distinct(list({expr}) OVER {window}))")
    }

    fn list_over(&self, expr: &str, window: &str) -> String {
        format!("list_filter(list({expr}) OVER {window}, lambda e: e IS NOT NULL)")
    }

    fn fail(&self, message: &str) -> String {
        format!("error({})", self.string(message))
    }

    fn percent_decode(&self, expr: &str) -> String {
        // DuckDB decodes `%XX` only (a `+` and a stray `%` stay) and fails when the bytes are
        // not UTF-8, where Sigil keeps the field as written.
        format!("coalesce(try(url_decode({expr})), {expr})")
    }
}
