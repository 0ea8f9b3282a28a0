//! What differs between the SQL engines: spelling of literals, lists, lambdas, JSON access,
//! regular expressions and time.
//!
//! Every query is built from the small vocabulary of [`Dialect`], so the modules that decide
//! *what* to ask (matchers, correlations) never spell an engine's function names. Each target
//! has one implementation: [`Athena`] (Trino, engine version 3), [`Spark`] (Spark SQL 4, whose
//! `VARIANT` holds parsed JSON) and [`DuckDb`] (DuckDB 1.3 or newer).
//!
//! JSON values held as text (CloudTrail's `requestParameters`) are parsed into the engine's own
//! JSON value ([`Dialect::json_parse`]): Trino's `JSON`, Spark's `VARIANT`, DuckDB's `JSON`. A
//! missing member is SQL `NULL`, a JSON `null` is a value of kind [`JsonKind::Null`]: the two
//! stay apart, as Sigil keeps them apart.
//!
//! ```
//! use sigil_convert::Target;
//! let duckdb = Target::DuckDb.dialect();
//! assert_eq!(duckdb.string("it's"), "'it''s'");
//! assert_eq!(Target::Spark.dialect().string("a\\b"), r"'a\\b'");
//! ```

mod athena;
mod duckdb;
mod spark;

pub use athena::Athena;
pub use duckdb::DuckDb;
pub use spark::Spark;

use crate::regex::Flavour;

/// The kinds of JSON value a query tells apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonKind {
    /// A string.
    String,
    /// A number.
    Number,
    /// `true` or `false`.
    Bool,
    /// `null`.
    Null,
    /// An array.
    Array,
    /// An object.
    Object,
}

/// An SQL engine's spelling of the operations the converter needs. Every method returns SQL
/// text; arguments named `expr`, `list` or `json` are SQL expressions.
pub trait Dialect: Sync {
    /// An identifier, quoted (`"type"`, `` `type` ``).
    fn ident(&self, name: &str) -> String;

    /// A string literal.
    fn string(&self, text: &str) -> String;

    /// `expr` folded so that it compares with ASCII text as Sigil's folding does: `lower`,
    /// after the two characters whose lowercase is ASCII (the Kelvin sign, the dotted capital
    /// I) are replaced by a private-use character that no ASCII pattern matches and that
    /// keeps lengths (`?` still counts characters). Other characters may lower differently
    /// from Sigil's folding; no ASCII pattern can tell. Several times faster than a
    /// `translate` of the 26 letters.
    fn ascii_lower(&self, expr: &str) -> String {
        format!("lower(replace(replace({expr}, '\u{130}', '\u{E000}'), '\u{212A}', '\u{E000}'))")
    }

    /// `expr LIKE pattern`, where `pattern` escapes `%`, `_` and `\` with a backslash.
    fn like(&self, expr: &str, pattern: &str) -> String {
        format!(
            "{expr} LIKE {} ESCAPE {}",
            self.string(pattern),
            self.string("\\")
        )
    }

    /// Whether `regex` (written in [`Dialect::regex_flavour`]) matches anywhere in `expr`.
    fn regex_match(&self, expr: &str, regex: &str) -> String;

    /// The regular-expression syntax of the engine.
    fn regex_flavour(&self) -> Flavour;

    /// The 1-based position of `needle` in `haystack`, 0 when it is not there.
    fn position(&self, haystack: &str, needle: &str) -> String {
        format!("strpos({haystack}, {needle})")
    }

    /// Every match of `regex` in `expr`, as a list of strings.
    fn regex_find_all(&self, expr: &str, regex: &str) -> String;

    /// `expr` as a double, `NULL` when it is not a number.
    fn try_double(&self, expr: &str) -> String {
        format!("TRY_CAST({expr} AS DOUBLE)")
    }

    /// `expr` (a number or string) as text.
    fn to_text(&self, expr: &str) -> String {
        format!("CAST({expr} AS VARCHAR)")
    }

    /// A list of the given expressions.
    fn list(&self, items: &[String]) -> String;

    /// Whether `predicate` (over the variable `var`) holds for an element of `list`.
    fn any(&self, list: &str, var: &str, predicate: &str) -> String;

    /// The elements of `list` for which `predicate` holds (Trino's and Spark's spelling).
    fn filter(&self, list: &str, var: &str, predicate: &str) -> String {
        format!("filter({list}, {var} -> {predicate})")
    }

    /// `list` with each element replaced by `expr` (over `var`).
    fn transform(&self, list: &str, var: &str, expr: &str) -> String {
        format!("transform({list}, {var} -> {expr})")
    }

    /// A list of lists, flattened one level.
    fn flatten(&self, list: &str) -> String {
        format!("flatten({list})")
    }

    /// Two lists, one after the other.
    fn concat(&self, first: &str, second: &str) -> String {
        format!("concat({first}, {second})")
    }

    /// The element at 1-based `index` of `list`, `NULL` past its end.
    fn element(&self, list: &str, index: &str) -> String;

    /// `list` sorted in ascending order.
    fn sort(&self, list: &str) -> String {
        format!("array_sort({list})")
    }

    /// The JSON value that a text column holds (`NULL` for `NULL`).
    fn json_parse(&self, text: &str) -> String;

    /// The member `key` of a JSON value: `NULL` when it has none or is not an object.
    fn json_member(&self, json: &str, key: &str) -> String;

    /// The elements of a JSON array, as a list of JSON values; `NULL` for anything else.
    fn json_elements(&self, json: &str) -> String;

    /// Whether a JSON value is of `kind`.
    fn json_is(&self, json: &str, kind: JsonKind) -> String;

    /// The text of a JSON string.
    fn json_string(&self, json: &str) -> String;

    /// The value of a JSON number, as a double.
    fn json_number(&self, json: &str) -> String;

    /// A JSON value written as JSON text.
    fn json_text(&self, json: &str) -> String;

    /// The text of a JSON string literal (with its quotes and escapes) found in JSON text.
    fn json_unquote(&self, literal: &str) -> String;

    /// An RFC 3339 time held as text, in microseconds since the epoch (`BIGINT`).
    fn iso_micros(&self, text: &str) -> String;

    /// `count(DISTINCT expr)` over a window (`NULL`s not counted).
    fn distinct_count_over(&self, expr: &str, window: &str) -> String;

    /// The values of `expr` in a window, as a list (`NULL`s left out).
    fn list_over(&self, expr: &str, window: &str) -> String;

    /// An expression that stops the query with the error `message` when it is evaluated.
    fn fail(&self, message: &str) -> String;

    /// A date partition value `yyyy/MM/dd` compared as text (Athena only; others have none).
    fn date_text(&self, date: &jiff::civil::Date) -> String {
        self.string(&date.strftime("%Y/%m/%d").to_string())
    }

    /// Percent-decodes `expr` once, as Sigil reads CloudFront fields: every `%XX` is decoded,
    /// every other character (a lone `%`, a `+`) kept.
    fn percent_decode(&self, expr: &str) -> String;
}

/// Quotes an identifier with `quote`, doubling it inside.
fn quote_with(name: &str, quote: char) -> String {
    let doubled = format!("{quote}{quote}");
    format!("{quote}{}{quote}", name.replace(quote, &doubled))
}

/// A standard SQL string literal: `'` doubled, nothing else escaped.
fn standard_string(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A JSON path member accessor for `key`, quoted (`$."key"` style is not portable; every
/// engine here reads `["key"]`).
fn bracket_key(key: &str) -> String {
    let escaped = key.replace('\\', "\\\\").replace('"', "\\\"");
    format!("$[\"{escaped}\"]")
}

/// The regex that finds the tokens of JSON text: strings (a key with its colon), numbers and
/// literals. Matched from the start, it never starts inside a string, since a string's quotes
/// are the only quotes in JSON text. Like the crate's other constant regexes, it is written in
/// the subset Java and RE2 read alike (ASCII, `\A`/`\z` anchors, no `.` across lines).
pub(crate) const JSON_TOKENS: &str =
    r#""(?:[^"\\]|\\.)*"(?:[ \t\r\n]*:)?|-?[0-9][0-9.eE+-]*|true|false|null"#;
