//! Compatibility with the SigmaHQ rule collection in `../shared/data/sigmahq-rules`.
//!
//! Every rule file must load, except rules that use a construct Sigil refuses on purpose; each
//! refusal must be explained by a diagnostic. The test prints the counts so CI logs record them.
//! Skipped, with a notice, when the collection is absent.

use sigil_compiler::{Code, LoadOptions, Placeholders, load_paths};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn collection() -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/sigmahq-rules");
    if path.is_dir() {
        Some(path)
    } else {
        eprintln!(
            "notice: {} is absent; SigmaHQ compatibility test skipped",
            path.display()
        );
        None
    }
}

/// Codes that mark a construct Sigil refuses on purpose (legacy syntax the spec dropped).
const DELIBERATE: &[Code] = &[Code::Aggregation, Code::Near];

/// A value for every `%name%` placeholder used in the collection, as a user's placeholder file
/// would give (pySigma likewise needs a pipeline to resolve them).
fn placeholders_for(root: &Path) -> Placeholders {
    let mut names = BTreeMap::new();
    for entry in walkdir::WalkDir::new(root).into_iter().flatten() {
        let Ok(text) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        for (i, part) in text.split('%').enumerate() {
            let is_name = !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if i > 0 && is_name {
                names.insert(part.to_string(), vec![format!("{part}-value")]);
            }
        }
    }
    Placeholders::new(names)
}

#[test]
fn sigmahq_rules_load() {
    let Some(root) = collection() else { return };
    let placeholders = placeholders_for(&root);
    let options = LoadOptions {
        placeholders,
        ..LoadOptions::default()
    };
    let loaded = load_paths(std::slice::from_ref(&root), &options);
    let mut by_code: BTreeMap<&str, usize> = BTreeMap::new();
    let mut unexpected = Vec::new();
    for diag in loaded.diagnostics.iter().filter(|d| d.is_error()) {
        *by_code.entry(diag.code.id()).or_default() += 1;
        let path = loaded.sources.path(diag.primary.span.source);
        // `unsupported/` holds rules in syntax that no Sigma tool accepts (`write ... to list`,
        // `count(x) per y`): a clear syntax error is the right answer there.
        let legacy = path.components().any(|c| c.as_os_str() == "unsupported");
        let expected =
            DELIBERATE.contains(&diag.code) || (legacy && diag.code == Code::ConditionSyntax);
        if !expected {
            unexpected.push(format!(
                "{}: {} {}",
                path.display(),
                diag.code.id(),
                diag.message
            ));
        }
    }
    println!(
        "SigmaHQ: {} rules loaded, {} refused, {} warnings; refusals by code: {by_code:?}",
        loaded.rules.len(),
        loaded.refused,
        loaded.warnings()
    );
    assert!(
        unexpected.is_empty(),
        "unexpected refusals:\n{}",
        unexpected.join("\n")
    );
}
