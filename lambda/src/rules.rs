//! The rules, loaded and compiled once at cold start: from a folder, or from an `s3://`
//! prefix copied to a temporary folder first (rule files are small; the copy goes away once
//! they are compiled).
//!
//! A rule set that does not load cleanly (any rule refused, or no rule at all) is an
//! [`InitError`]: the function reports it through the Runtime API and does not start, rather
//! than run with part of its rules.

use crate::config::RulesAt;
use sigil_aws::{S3Options, S3Source, S3Url};
use sigil_compiler::{LoadOptions, Loaded, Severity, load_paths};
use sigil_engine::{Content, Engine, ScanOptions, Source, SourceItem};
use std::io::Read;
use std::path::PathBuf;

/// The most bytes one rule file read from S3 may have.
const MAX_RULE_FILE_BYTES: u64 = 1 << 20;

/// Why the function cannot start.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// The environment says something unusable.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// Rules could not be copied from S3.
    #[error("reading the rules from {url}: {message}")]
    S3 {
        /// The prefix.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// Rules were refused, or there were none.
    #[error("the rules do not load: {0}")]
    Rules(String),
    /// The Security Hub product could not be found (`SIGIL_SECURITYHUB=1` and the caller's
    /// identity unknown).
    #[error("Security Hub: {0}")]
    SecurityHub(#[from] sigil_aws::RequestError),
}

/// Loads the rules at `at`, through `pipelines`, and compiles them with `scan`.
pub fn engine(
    at: &RulesAt,
    pipelines: &[String],
    s3: &S3Options,
    scan: ScanOptions,
) -> Result<Engine, InitError> {
    let copied;
    let folder = match at {
        RulesAt::Folder(folder) => folder.clone(),
        RulesAt::S3(url) => {
            copied = copy(url, s3)?;
            copied.path().to_path_buf()
        }
    };
    let options = LoadOptions {
        pipelines: pipelines.to_vec(),
        ..LoadOptions::default()
    };
    let loaded = load_paths(&[folder], &options);
    if loaded.refused > 0 || loaded.rules.is_empty() {
        return Err(InitError::Rules(errors(&loaded)));
    }
    Ok(Engine::new(loaded.rules, scan))
}

/// The errors of a load, one a line: `file:line:column: code: message`.
fn errors(loaded: &Loaded) -> String {
    let lines: Vec<String> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.severity() == Severity::Error)
        .map(|d| {
            let file = loaded.sources.get(d.primary.span.source);
            let (line, column) = file.line_col(d.primary.span.start);
            let path = file.path.display();
            format!("{path}:{line}:{column}: {}: {}", d.code.id(), d.message)
        })
        .collect();
    match lines.is_empty() {
        true => "no rule found".to_string(),
        false => lines.join("\n"),
    }
}

/// Copies the `.yml`/`.yaml` objects under `url` to a temporary folder, keeping their keys
/// below the prefix as paths.
fn copy(url: &S3Url, s3: &S3Options) -> Result<tempfile::TempDir, InitError> {
    let failed = |message: String| InitError::S3 {
        url: url.to_string(),
        message,
    };
    let dir = tempfile::tempdir().map_err(|e| failed(e.to_string()))?;
    let mut source =
        S3Source::open(vec![url.clone()], s3.clone()).map_err(|e| failed(e.to_string()))?;
    let base = format!("s3://{}/{}", url.bucket, url.prefix);
    while let Some(item) = Source::next(&mut source) {
        let input = match item {
            SourceItem::Input(input) => input,
            SourceItem::Error(error) => return Err(failed(error.to_string())),
            _ => continue,
        };
        let name = input.source.to_string();
        let relative = name
            .strip_prefix(&base)
            .unwrap_or(&name)
            .trim_start_matches('/');
        if !is_rule_file(relative) {
            continue;
        }
        let Content::Reader(reader) = input.content else {
            continue;
        };
        let mut text = Vec::new();
        reader
            .take(MAX_RULE_FILE_BYTES + 1)
            .read_to_end(&mut text)
            .map_err(|e| failed(format!("{name}: {e}")))?;
        if text.len() as u64 > MAX_RULE_FILE_BYTES {
            return Err(failed(format!(
                "{name}: larger than {MAX_RULE_FILE_BYTES} bytes"
            )));
        }
        let path = dir.path().join(safe(relative));
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| failed(e.to_string()))?;
        }
        std::fs::write(&path, text).map_err(|e| failed(e.to_string()))?;
    }
    Ok(dir)
}

fn is_rule_file(key: &str) -> bool {
    key.ends_with(".yml") || key.ends_with(".yaml")
}

/// A key as a relative path that stays inside the folder (no `..`, no root).
fn safe(key: &str) -> PathBuf {
    key.split('/')
        .filter(|part| !part.is_empty() && *part != "." && *part != "..")
        .collect::<PathBuf>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn keys_become_paths_inside_the_folder() {
        assert_eq!(safe("aws/../../etc/x.yml"), Path::new("aws/etc/x.yml"));
        assert_eq!(safe("/a//b.yml"), Path::new("a/b.yml"));
        assert!(is_rule_file("a/b.yaml") && !is_rule_file("a/README.md"));
    }
}
