//! `--format sarif` of `sigil check` and `sigil test`: a SARIF 2.1.0 log, for code-scanning CI
//! (GitHub code scanning, GitLab, Azure DevOps) to show rule problems on the rule files' lines.
//!
//! One run, its tool `Sigil`; each problem a result with its `ruleId`, `level`, message and
//! location:
//!
//! - `sigil check`: each diagnostic; `ruleId` its stable code (`S022`, `no_literal`...),
//!   `level` `error` or `warning`, the region its span (1-based lines and columns, the end
//!   included), the help line (the fix) appended to the message;
//! - `sigil test`: each failed example (`ruleId` `test_failed`, at the case's `name:` line of
//!   the `.tests.yml`), each rule file without examples under `--require-tests`
//!   (`test_missing`, at the rule file), each test file that does not read (`test_invalid`),
//!   and the diagnostics of refused rules as `sigil check` gives them.
//!
//! Paths relative to the current directory are written as relative URIs under the
//! `%SRCROOT%` base (so CI run from the repository root resolves them); absolute paths as
//! `file://` URIs.
//!
//! ```json
//! {"version":"2.1.0","$schema":"https://json.schemastore.org/sarif-2.1.0.json",
//!  "runs":[{"tool":{"driver":{"name":"Sigil","version":"0.1.0","rules":[{"id":"S022",…}]}},
//!           "results":[{"ruleId":"S022","level":"error","message":{"text":"…"},
//!                       "locations":[{"physicalLocation":{"artifactLocation":{"uri":"rules/x.yml","uriBaseId":"%SRCROOT%"},
//!                                     "region":{"startLine":7,"startColumn":16,…}}}]}]}]}
//! ```
//!
//! The log is written with serde_json: the few objects it needs are simpler to write than
//! to build with a SARIF type crate (`serde-sarif` would bring typed builders and every
//! SARIF object into the binary for them).

use serde_json::{Value, json};
use sigil_compiler::{Diagnostic, Severity, SourceMap};
use std::collections::BTreeMap;
use std::path::Path;

/// The schema a log names.
const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// A SARIF log being collected: its results, and the rules they refer to.
#[derive(Default)]
pub struct SarifLog {
    /// Each rule id with its short description, in id order.
    rules: BTreeMap<String, String>,
    results: Vec<Value>,
}

/// Where a result is: a file, and a region in it (1-based).
pub struct Region {
    /// The first line and column.
    pub start: (usize, usize),
    /// The last line and column, if known.
    pub end: Option<(usize, usize)>,
}

impl SarifLog {
    /// Adds a result of rule `rule_id` (described as `rule_text`) at `region` of `file`.
    pub fn add(
        &mut self,
        rule_id: &str,
        rule_text: &str,
        level: &str,
        message: String,
        file: &Path,
        region: Region,
    ) {
        self.rules
            .entry(rule_id.to_string())
            .or_insert_with(|| rule_text.to_string());
        let mut location = json!({"startLine": region.start.0, "startColumn": region.start.1});
        if let Some((line, column)) = region.end {
            location["endLine"] = line.into();
            location["endColumn"] = column.into();
        }
        self.results.push(json!({
            "ruleId": rule_id,
            "level": level,
            "message": {"text": message},
            "locations": [{"physicalLocation": {
                "artifactLocation": artifact(file),
                "region": location,
            }}],
        }));
    }

    /// Adds a diagnostic, as `sigil check` gives it.
    pub fn diagnostic(&mut self, diag: &Diagnostic, sources: &SourceMap) {
        let file = sources.get(diag.primary.span.source);
        let start = file.line_col(diag.primary.span.start);
        let (end_line, end_column) = file.line_col(diag.primary.span.end);
        // SARIF's end column is exclusive; an empty span still covers its first character.
        let end = (
            end_line,
            end_column.max(start.1 + usize::from(end_line == start.0)),
        );
        let mut message = format!("{}: {}", diag.message, diag.primary.message);
        if let Some(help) = &diag.help {
            message.push_str(&format!(" (help: {help})"));
        }
        let level = match diag.severity() {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let region = Region {
            start,
            end: Some(end),
        };
        self.add(
            diag.code.id(),
            &diag.message,
            level,
            message,
            &file.path,
            region,
        );
    }

    /// The whole log.
    pub fn to_json(&self) -> Value {
        let rules: Vec<Value> = self
            .rules
            .iter()
            .map(|(id, text)| json!({"id": id, "shortDescription": {"text": text}}))
            .collect();
        json!({
            "version": "2.1.0",
            "$schema": SCHEMA,
            "runs": [{
                "tool": {"driver": {
                    "name": "Sigil",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://sigmahq.io",
                    "rules": rules,
                }},
                "results": self.results,
            }],
        })
    }
}

/// The `artifactLocation` of a file.
fn artifact(file: &Path) -> Value {
    let text = file.to_string_lossy().replace('\\', "/");
    let encoded = text.replace('%', "%25").replace(' ', "%20");
    if file.is_absolute() {
        json!({ "uri": format!("file://{encoded}") })
    } else {
        let relative = encoded.strip_prefix("./").unwrap_or(&encoded).to_string();
        json!({"uri": relative, "uriBaseId": "%SRCROOT%"})
    }
}

/// The 1-based line of `text` on which the case named `name` is declared (its `name:` line),
/// or 1.
pub fn case_line(text: &str, name: &str) -> usize {
    text.lines()
        .position(|line| {
            let line = line.trim_start().trim_start_matches("- ").trim_start();
            line.starts_with("name:") && line.contains(name)
        })
        .map_or(1, |i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_are_found_by_their_name_line() {
        let text = "matches:\n  - name: \"first\"\n    event: {}\n  - name: second\n";
        assert_eq!(case_line(text, "first"), 2);
        assert_eq!(case_line(text, "second"), 4);
        assert_eq!(case_line(text, "third"), 1);
    }

    #[test]
    fn relative_paths_are_uris_under_the_source_root() {
        assert_eq!(
            artifact(Path::new("./rules/a b.yml")),
            json!({"uri": "rules/a%20b.yml", "uriBaseId": "%SRCROOT%"})
        );
        assert_eq!(
            artifact(Path::new("/r/x.yml")),
            json!({"uri": "file:///r/x.yml"})
        );
    }
}
