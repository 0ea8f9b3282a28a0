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

use super::yaml::{self, Value};
use crate::diagnostic::{Code, Diagnostic};
use crate::limits::MAX_VARIANTS;
use crate::source::SourceId;
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

    /// Whether no placeholder has values.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Adds (or replaces) the values of `other`.
    pub fn extend(&mut self, other: Placeholders) {
        self.values.extend(other.values);
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
    /// `\%` is a literal percent sign, as the Sigma specification says.
    pub fn expand(&self, pattern: &str) -> Result<Vec<String>, String> {
        let mut expansions = vec![String::new()];
        let mut rest = pattern;
        while !rest.is_empty() {
            let (literal, placeholder, after) = next_placeholder(rest);
            for e in &mut expansions {
                e.push_str(&literal);
            }
            if let Some(name) = placeholder {
                let values = self
                    .values
                    .get(name)
                    .filter(|v| !v.is_empty())
                    .ok_or_else(|| name.to_string())?;
                expansions = expansions
                    .iter()
                    .flat_map(|e| values.iter().map(move |v| format!("{e}{v}")))
                    .take(MAX_VARIANTS + 1)
                    .collect();
            }
            rest = after;
        }
        Ok(expansions)
    }
}

/// Splits `text` into the literal text before the next `%name%` (with `\%` unescaped), the
/// name, and what follows it. Without a complete placeholder, all of `text` is literal.
fn next_placeholder(text: &str) -> (String, Option<&str>, &str) {
    let mut literal = String::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            // `\\` is an escaped backslash (kept for the wildcard parser); `\%` a literal `%`.
            '\\' if chars.peek().is_some_and(|&(_, n)| n == '\\') => {
                literal.push_str("\\\\");
                chars.next();
            }
            '\\' if chars.peek().is_some_and(|&(_, n)| n == '%') => {
                literal.push('%');
                chars.next();
            }
            '%' => match text[i + 1..].find('%') {
                Some(len) => {
                    let end = i + 1 + len;
                    return (literal, Some(&text[i + 1..end]), &text[end + 1..]);
                }
                None => literal.push('%'),
            },
            _ => literal.push(c),
        }
    }
    (literal, None, "")
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
        assert_eq!(p.expand("CORP\\%a%").unwrap(), ["CORP%a%"]);
        assert_eq!(p.expand("50%").unwrap(), ["50%"]);
    }
}
