//! Values for `|expand` placeholders (`%admin_users%`), read from a YAML file.
//!
//! The file maps each placeholder name to a value or a list of values:
//!
//! ```yaml
//! admin_users: [alice, bob]
//! internal_domain: corp.example
//! ```
//!
//! A value holding `%name%` expands to one value per listed value (several placeholders in one
//! value expand to every combination).

use crate::diagnostic::{Code, Diagnostic};
use crate::source::SourceId;
use crate::yaml::{self, Value};
use std::collections::BTreeMap;

/// Placeholder names and their values.
#[derive(Clone, Debug, Default)]
pub struct Placeholders {
    values: BTreeMap<String, Vec<String>>,
}

impl Placeholders {
    /// Placeholders from a map.
    pub fn new(values: BTreeMap<String, Vec<String>>) -> Self {
        Placeholders { values }
    }

    /// Parses a placeholder file's text.
    pub fn parse(source: SourceId, text: &str) -> Result<Self, Diagnostic> {
        let docs = yaml::parse_documents(source, text)?;
        let mut values = BTreeMap::new();
        for doc in &docs {
            let entries = doc.as_map().ok_or_else(|| {
                Diagnostic::new(Code::InvalidPlaceholders, doc.span, "expected a mapping")
                    .with_help("write `name: [value, value]` per placeholder")
            })?;
            for (key, value) in entries {
                let name = key
                    .key_text()
                    .unwrap_or_default()
                    .trim_matches('%')
                    .to_string();
                let list = match &value.value {
                    Value::Seq(items) => items.iter().filter_map(scalar).collect(),
                    _ => scalar(value).into_iter().collect(),
                };
                values.insert(name, list);
            }
        }
        Ok(Placeholders { values })
    }

    /// Expands every `%name%` in `pattern`; `Err(name)` names a placeholder without values.
    pub fn expand(&self, pattern: &str) -> Result<Vec<String>, String> {
        let Some(start) = pattern.find('%') else {
            return Ok(vec![pattern.to_string()]);
        };
        let Some(len) = pattern[start + 1..].find('%') else {
            return Ok(vec![pattern.to_string()]);
        };
        let name = &pattern[start + 1..start + 1 + len];
        let rest = self.expand(&pattern[start + len + 2..])?;
        let values = self
            .values
            .get(name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| name.to_string())?;
        let head = &pattern[..start];
        Ok(values
            .iter()
            .flat_map(|v| rest.iter().map(move |r| format!("{head}{v}{r}")))
            .take(crate::value::MAX_VARIANTS + 1)
            .collect())
    }
}

fn scalar(node: &yaml::Node) -> Option<String> {
    match &node.value {
        Value::Str(s) => Some(s.clone()),
        Value::Number { text, .. } => Some(text.clone()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_every_combination() {
        let p = Placeholders::parse(SourceId(0), "a: [x, y]\nb: z\n").unwrap();
        assert_eq!(p.expand("%a%-%b%").unwrap(), ["x-z", "y-z"]);
        assert_eq!(p.expand("plain").unwrap(), ["plain"]);
        assert_eq!(p.expand("%missing%").unwrap_err(), "missing");
    }
}
