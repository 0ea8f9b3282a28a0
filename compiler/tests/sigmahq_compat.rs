//! Compatibility with the SigmaHQ rule collection in `../shared/data/sigmahq-rules`.
//!
//! Every rule file must load, except rules that use a construct Sigil refuses on purpose; each
//! refusal must be explained by a diagnostic. The test prints the counts so CI logs record them.
//! Skipped, with a notice, when the collection is absent.

use sigil_compiler::{Code, LoadOptions, Placeholders, load_paths};
use std::collections::{BTreeMap, BTreeSet};
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

/// Codes that mark a construct Sigil refuses on purpose (legacy syntax the spec dropped). Apart
/// from those, Sigil refuses only conditions that are not Sigma at all (`unsupported/`).
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
    // pySigma's verdict per file (`scripts/pysigma_compat.py` wrote the list it refuses).
    let pysigma_refuses: BTreeSet<&str> = include_str!("data/pysigma_refused.txt")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split('\t').next())
        .collect();
    let mut by_code: BTreeMap<&str, usize> = BTreeMap::new();
    let mut unexpected = Vec::new();
    let mut refused_files = BTreeSet::new();
    for diag in loaded.diagnostics.iter().filter(|d| d.is_error()) {
        *by_code.entry(diag.code.id()).or_default() += 1;
        let path = loaded.sources.path(diag.primary.span.source);
        let relative = path
            .strip_prefix(&root)
            .unwrap_or(path)
            .to_string_lossy()
            .into_owned();
        // Sigil refuses a rule only where pySigma does too, and then for a construct it refuses
        // on purpose (legacy aggregations, `near`) or with a clear syntax error.
        let explained = DELIBERATE.contains(&diag.code) || diag.code == Code::ConditionSyntax;
        if !pysigma_refuses.contains(relative.as_str()) || !explained {
            unexpected.push(format!("{relative}: {} {}", diag.code.id(), diag.message));
        }
        refused_files.insert(relative);
    }
    let both = refused_files
        .iter()
        .filter(|f| pysigma_refuses.contains(f.as_str()))
        .count();
    println!(
        "pySigma refuses {} files; Sigil refuses {} files, all of them among pySigma's ({both})",
        pysigma_refuses.len(),
        refused_files.len()
    );
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
