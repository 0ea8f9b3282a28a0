//! Spark SQL (4.0 or newer, for `VARIANT`): JSON text is parsed with `try_parse_json`.
//!
//! String literals take backslash escapes in Spark, so backslashes and quotes are escaped.

use super::{Dialect, JsonKind, bracket_key, quote_with};
use crate::regex::Flavour;

/// Apache Spark SQL.
#[derive(Clone, Copy, Debug, Default)]
pub struct Spark;

impl Dialect for Spark {
    fn ident(&self, name: &str) -> String {
        quote_with(name, '`')
    }

    fn string(&self, text: &str) -> String {
        format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
    }

    fn like(&self, expr: &str, pattern: &str) -> String {
        // `\` is Spark's default LIKE escape.
        format!("{expr} LIKE {}", self.string(pattern))
    }

    fn regex_match(&self, expr: &str, regex: &str) -> String {
        format!("{expr} RLIKE {}", self.string(regex))
    }

    fn regex_flavour(&self) -> Flavour {
        Flavour::Java
    }

    fn position(&self, haystack: &str, needle: &str) -> String {
        format!("instr({haystack}, {needle})")
    }

    fn regex_find_all(&self, expr: &str, regex: &str) -> String {
        format!("regexp_extract_all({expr}, {}, 0)", self.string(regex))
    }

    fn to_text(&self, expr: &str) -> String {
        format!("CAST({expr} AS STRING)")
    }

    fn list(&self, items: &[String]) -> String {
        format!("array({})", items.join(", "))
    }

    fn any(&self, list: &str, var: &str, predicate: &str) -> String {
        format!("exists({list}, {var} -> {predicate})")
    }

    fn element(&self, list: &str, index: &str) -> String {
        format!("try_element_at({list}, {index})")
    }

    fn json_parse(&self, text: &str) -> String {
        format!("try_parse_json({text})")
    }

    fn json_member(&self, json: &str, key: &str) -> String {
        format!("variant_get({json}, {})", self.string(&bracket_key(key)))
    }

    fn json_elements(&self, json: &str) -> String {
        format!("try_cast({json} AS ARRAY<VARIANT>)")
    }

    fn json_is(&self, json: &str, kind: JsonKind) -> String {
        // `schema_of_variant` describes a whole object or array: containers are told by a
        // cast instead (the queries test for them first), scalars by their schema.
        let schema = format!("schema_of_variant({json})");
        match kind {
            JsonKind::String => format!("{schema} = 'STRING'"),
            JsonKind::Bool => format!("{schema} = 'BOOLEAN'"),
            JsonKind::Null => format!("is_variant_null({json})"),
            JsonKind::Array => format!("try_cast({json} AS ARRAY<VARIANT>) IS NOT NULL"),
            JsonKind::Object => format!("try_cast({json} AS MAP<STRING, VARIANT>) IS NOT NULL"),
            JsonKind::Number => {
                format!("{schema} RLIKE '^(TINYINT|SMALLINT|INT|BIGINT|FLOAT|DOUBLE|DECIMAL)'")
            }
        }
    }

    fn json_string(&self, json: &str) -> String {
        format!("CAST({json} AS STRING)")
    }

    fn json_number(&self, json: &str) -> String {
        format!("CAST({json} AS DOUBLE)")
    }

    fn json_text(&self, json: &str) -> String {
        format!("to_json({json})")
    }

    fn json_unquote(&self, literal: &str) -> String {
        format!("CAST(parse_json({literal}) AS STRING)")
    }

    fn iso_micros(&self, text: &str) -> String {
        format!("unix_micros(try_to_timestamp({text}))")
    }

    fn distinct_count_over(&self, expr: &str, window: &str) -> String {
        format!("size(collect_set({expr}) OVER {window})")
    }

    fn list_over(&self, expr: &str, window: &str) -> String {
        format!("collect_list({expr}) OVER {window}")
    }

    fn fail(&self, message: &str) -> String {
        format!("raise_error({})", self.string(message))
    }

    fn percent_decode(&self, expr: &str) -> String {
        // Java's decoder reads `+` as a space (protected here), returns NULL on a `%` that
        // starts no escape (CloudFront writes `%` as `%25`, so none occurs), and gives U+FFFD
        // for bytes that are not UTF-8, where Sigil keeps the field as written.
        let decoded = format!("try_url_decode(replace({expr}, '+', '%2B'))");
        format!(
            "CASE WHEN instr(coalesce({decoded}, '\u{FFFD}'), '\u{FFFD}') > 0 THEN {expr} ELSE {decoded} END"
        )
    }
}
