//! Loading rule files and folders: every file, every document, every problem collected.
//!
//! Folders are walked recursively for `.yml`/`.yaml` files in sorted order; a file named
//! directly is read whatever its extension. Each file may hold several YAML documents, including
//! legacy Sigma collections (`action: global` merged into the documents that follow,
//! `action: reset` to forget it, `action: repeat` to derive a rule from the previous one).
//! One bad file or rule never stops the others.

use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{RuleId, RuleKind};
use crate::placeholders::Placeholders;
use crate::rule::parse_rule;
use crate::ruleset::RuleSet;
use crate::source::{SourceFile, SourceId, SourceMap, Span};
use crate::yaml::{self, Node, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Largest rule file read (larger files are refused with an error).
pub const MAX_RULE_FILE_BYTES: u64 = 16 << 20;

/// How to load.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Values for `|expand` placeholders.
    pub placeholders: Placeholders,
    /// A YAML file of further placeholder values (`--placeholders`), read by the load; its
    /// problems are diagnostics of the load like any rule file's.
    pub placeholder_file: Option<PathBuf>,
}

/// What a load produced.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Every file read, for rendering diagnostics.
    pub sources: SourceMap,
    /// The rules that loaded.
    pub rules: RuleSet,
    /// Every error and warning, in file order.
    pub diagnostics: Vec<Diagnostic>,
    /// Number of rules (or unreadable files) refused.
    pub refused: usize,
}

impl Loaded {
    /// Number of warnings.
    pub fn warnings(&self) -> usize {
        self.diagnostics.iter().filter(|d| !d.is_error()).count()
    }
}

/// Loads rules from files and folders.
pub fn load_paths(paths: &[PathBuf], options: &LoadOptions) -> Loaded {
    let mut loader = Loader {
        placeholders: options.placeholders.clone(),
        loaded: Loaded::default(),
    };
    if let Some(file) = &options.placeholder_file {
        loader.read_placeholders(file);
    }
    for path in paths {
        for file in rule_files(path, &mut loader.loaded) {
            loader.load_file(&file);
        }
    }
    loader.finish()
}

/// Loads rules from text (as if read from `path`).
pub fn load_str(path: &Path, text: &str, options: &LoadOptions) -> Loaded {
    let mut loader = Loader {
        placeholders: options.placeholders.clone(),
        loaded: Loaded::default(),
    };
    let id = loader
        .loaded
        .sources
        .add(SourceFile::new(path, text.to_string()));
    loader.load_text(id, path);
    loader.finish()
}

fn rule_files(path: &Path, loaded: &mut Loaded) -> Vec<PathBuf> {
    if !path.is_dir() {
        return vec![path.to_path_buf()];
    }
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(path).sort_by_file_name() {
        match entry {
            Ok(e) if e.file_type().is_file() && is_rule_file(e.path()) => files.push(e.into_path()),
            Ok(_) => {}
            Err(err) => {
                let p = err.path().unwrap_or(path).to_path_buf();
                io_error(loaded, &p, &err.to_string());
            }
        }
    }
    files
}

fn is_rule_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let yaml = name.ends_with(".yml") || name.ends_with(".yaml");
    // `.tests.yml` files hold a rule's example events, not rules.
    yaml && !name.ends_with(".tests.yml")
        && !name.ends_with(".tests.yaml")
        && !name.starts_with('.')
}

fn io_error(loaded: &mut Loaded, path: &Path, message: &str) {
    let id = loaded.sources.add(SourceFile::new(path, String::new()));
    loaded.diagnostics.push(
        Diagnostic::new(
            Code::Io,
            Span::new(id, 0, 0),
            format!("cannot read rule file: {message}"),
        )
        .with_label("this file"),
    );
    loaded.refused += 1;
}

struct Loader {
    placeholders: Placeholders,
    loaded: Loaded,
}

impl Loader {
    /// Reads a placeholder file; a problem with it refuses the load's use of it (counted once).
    fn read_placeholders(&mut self, path: &Path) {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) => {
                let id = self
                    .loaded
                    .sources
                    .add(SourceFile::new(path, String::new()));
                self.loaded.diagnostics.push(
                    Diagnostic::new(
                        Code::InvalidPlaceholders,
                        Span::new(id, 0, 0),
                        format!("cannot read placeholder file: {e}"),
                    )
                    .with_label("this file"),
                );
                self.loaded.refused += 1;
                return;
            }
        };
        let id = self.loaded.sources.add(SourceFile::new(path, text));
        match Placeholders::parse(id, &self.loaded.sources.get(id).text) {
            Ok(values) => self.placeholders.extend(values),
            Err(diag) => {
                self.loaded.diagnostics.push(diag);
                self.loaded.refused += 1;
            }
        }
    }

    fn load_file(&mut self, path: &Path) {
        let bytes = match std::fs::metadata(path) {
            Ok(meta) if meta.len() > MAX_RULE_FILE_BYTES => Err(format!(
                "file is {} bytes; rule files may be at most {MAX_RULE_FILE_BYTES}",
                meta.len()
            )),
            _ => std::fs::read(path).map_err(|e| e.to_string()),
        };
        let bytes = match bytes {
            Ok(b) => b,
            Err(message) => return io_error(&mut self.loaded, path, &message),
        };
        match String::from_utf8(bytes) {
            Ok(text) => {
                let id = self.loaded.sources.add(SourceFile::new(path, text));
                self.load_text(id, path);
            }
            Err(err) => {
                let at = err.utf8_error().valid_up_to();
                let text = String::from_utf8_lossy(err.as_bytes()).into_owned();
                let id = self.loaded.sources.add(SourceFile::new(path, text));
                self.loaded.diagnostics.push(
                    Diagnostic::new(
                        Code::NotUtf8,
                        Span::new(id, at, at + 1),
                        "rule file is not valid UTF-8",
                    )
                    .with_label(format!("invalid byte at offset {at}"))
                    .with_help("save the file as UTF-8"),
                );
                self.loaded.refused += 1;
            }
        }
    }

    fn load_text(&mut self, id: SourceId, path: &Path) {
        let text = &self.loaded.sources.get(id).text;
        let docs = match yaml::parse_documents(id, text) {
            Ok(docs) => docs,
            Err(diag) => {
                self.loaded.diagnostics.push(diag);
                self.loaded.refused += 1;
                return;
            }
        };
        let docs: Vec<Node> = docs
            .into_iter()
            .filter(|d| d.value != Value::Null)
            .collect();
        if docs.is_empty() {
            self.loaded.diagnostics.push(
                Diagnostic::new(
                    Code::NotARule,
                    Span::new(id, 0, 0),
                    "rule file holds no rule",
                )
                .with_label("empty file"),
            );
            self.loaded.refused += 1;
            return;
        }
        let errors_before = self.loaded.diagnostics.len();
        let rules = resolve_collections(docs, &mut self.loaded.diagnostics);
        // Each bad collection document is a rule that could not be loaded.
        self.loaded.refused += self.loaded.diagnostics.len() - errors_before;
        for doc in rules {
            let mut diags = Vec::new();
            let parsed = parse_rule(&doc, path, &self.placeholders, &mut diags);
            match parsed {
                Some(p) => {
                    self.loaded.rules.add(p.rule, p.matchers);
                }
                None => self.loaded.refused += 1,
            }
            self.loaded.diagnostics.extend(diags);
        }
    }

    fn finish(mut self) -> Loaded {
        self.check_ids();
        self.check_references();
        // Rules the prefilter cannot narrow down are evaluated on every record: say which.
        let slow = crate::literals::warnings(&self.loaded.rules);
        self.loaded.diagnostics.extend(slow);
        self.loaded
    }

    fn check_ids(&mut self) {
        let mut first: HashMap<&str, Span> = HashMap::new();
        let mut diags = Vec::new();
        for (_, rule) in self.loaded.rules.iter() {
            let Some(id) = rule.meta.id.as_deref() else {
                continue;
            };
            match first.get(id) {
                Some(&previous) => diags.push(
                    Diagnostic::new(
                        Code::DuplicateRuleId,
                        rule.meta.span,
                        format!("duplicate rule id `{id}`"),
                    )
                    .with_label("this rule")
                    .with_secondary(previous, "first rule with this id")
                    .with_help("give each rule its own UUID"),
                ),
                None => {
                    first.insert(id, rule.meta.span);
                }
            }
        }
        self.loaded.diagnostics.extend(diags);
    }

    /// Correlation and filter rules must name loaded rules; those that do not are refused.
    fn check_references(&mut self) {
        let known: Vec<&str> = self
            .loaded
            .rules
            .rules()
            .iter()
            .flat_map(|r| {
                r.meta
                    .id
                    .as_deref()
                    .into_iter()
                    .chain(r.meta.name.as_deref())
            })
            .collect();
        let mut bad: Vec<RuleId> = Vec::new();
        let mut diags = Vec::new();
        for (rule_id, rule) in self.loaded.rules.iter() {
            let refs = match &rule.kind {
                RuleKind::Correlation(c) => &c.rules,
                RuleKind::Filter(f) => &f.rules,
                RuleKind::Detection(_) => continue,
            };
            for (name, span) in refs {
                if !known.contains(&name.as_str()) {
                    diags.push(
                        Diagnostic::new(
                            Code::UnknownRuleReference,
                            *span,
                            format!("no loaded rule has id or name `{name}`"),
                        )
                        .with_label("referenced here")
                        .with_help("load the referenced rule too, or fix the id"),
                    );
                    bad.push(rule_id);
                }
            }
        }
        if !bad.is_empty() {
            bad.dedup();
            self.loaded.refused += bad.len();
            let mut index = 0;
            self.loaded.rules.retain(|_| {
                let keep = !bad.contains(&RuleId(index));
                index += 1;
                keep
            });
        }
        self.loaded.diagnostics.extend(diags);
    }
}

/// Applies legacy `action: global/reset/repeat` documents, returning the rules to parse.
fn resolve_collections(docs: Vec<Node>, diags: &mut Vec<Diagnostic>) -> Vec<Node> {
    let mut global: Option<Node> = None;
    let mut previous: Option<Node> = None;
    let mut rules = Vec::new();
    for doc in docs {
        let action = doc.get("action").and_then(Node::as_str).map(str::to_string);
        let body = without_key(&doc, "action");
        match action.as_deref() {
            None => {
                let rule = match &global {
                    Some(g) => merge(g, &body),
                    None => body,
                };
                previous = Some(rule.clone());
                rules.push(rule);
            }
            Some("global") => {
                global = Some(match &global {
                    Some(g) => merge(g, &body),
                    None => body,
                })
            }
            Some("reset") => global = None,
            Some("repeat") => match &previous {
                Some(prev) => {
                    let rule = merge(prev, &body);
                    previous = Some(rule.clone());
                    rules.push(rule);
                }
                None => diags.push(
                    Diagnostic::new(
                        Code::InvalidCollection,
                        doc.span,
                        "`action: repeat` with no rule before it",
                    )
                    .with_label("nothing to repeat"),
                ),
            },
            Some(other) => diags.push(
                Diagnostic::new(
                    Code::InvalidCollection,
                    doc.span,
                    format!("unknown collection action `{other}`"),
                )
                .with_help("Sigma collections use `action: global`, `reset` or `repeat`"),
            ),
        }
    }
    rules
}

fn without_key(doc: &Node, key: &str) -> Node {
    match &doc.value {
        Value::Map(entries) => Node {
            value: Value::Map(
                entries
                    .iter()
                    .filter(|(k, _)| k.key_text() != Some(key))
                    .cloned()
                    .collect(),
            ),
            span: doc.span,
        },
        _ => doc.clone(),
    }
}

/// Deep-merges `over` onto `base`: mappings merge key by key, anything else is replaced.
fn merge(base: &Node, over: &Node) -> Node {
    match (&base.value, &over.value) {
        (Value::Map(b), Value::Map(o)) => {
            let mut entries = b.clone();
            for (key, value) in o {
                match entries
                    .iter_mut()
                    .find(|(k, _)| k.key_text() == key.key_text())
                {
                    Some((_, existing)) => *existing = merge(existing, value),
                    None => entries.push((key.clone(), value.clone())),
                }
            }
            Node {
                value: Value::Map(entries),
                span: over.span,
            }
        }
        _ => over.clone(),
    }
}
