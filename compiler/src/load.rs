//! Loading rule files and folders: the driver that runs every stage and collects every problem.
//!
//! Folders are walked recursively for `.yml`/`.yaml` files in sorted order; a file named
//! directly is read whatever its extension. Each file is read and parsed (stage 1, `parse`)
//! into rules that join one [`RuleSet`] (stage 2, `ir`); then the rule set is checked as a
//! whole (duplicate ids, references of correlations and filters), filters are applied to the
//! rules they name (their condition AND-ed onto the rules'), and the rule set is analysed (stage 3,
//! `analysis`: rules the prefilter cannot narrow down get a `no_literal` warning). One bad file
//! or rule never stops the others.
//!
//! A compiled rule-set file (see [`compiled`]), recognised by its first bytes, is read instead:
//! its rules were checked when it was written.

use crate::analysis;
use crate::compiled::{self, MAX_COMPILED_BYTES};
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{LogSource, RuleId, RuleKind, RuleSet};
use crate::limits::{LOAD_GROUP, MAX_REGEX_BYTES, MAX_RULE_FILE_BYTES};
use crate::parse::{Context, ParsedFile, ParsedRule, Placeholders, parse_file};
use crate::pipeline::{BUILTIN_PIPELINES, Pipeline, builtin_pipeline};
use crate::source::{SourceFile, SourceId, SourceMap, Span};
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// How to load.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// Values for `|expand` placeholders.
    pub placeholders: Placeholders,
    /// A YAML file of further placeholder values (`--placeholders`), read by the load; its
    /// problems are diagnostics of the load like any rule file's.
    pub placeholder_file: Option<PathBuf>,
    /// Most memory the compiled `|re` values may take, in bytes ([`MAX_REGEX_BYTES`] by
    /// default); a regex past it is refused (S026).
    pub max_regex_bytes: usize,
    /// Processing pipelines applied to every rule (`-p`): each the name of a built-in pipeline
    /// ([`BUILTIN_PIPELINES`](crate::BUILTIN_PIPELINES)) or the path of a pySigma pipeline
    /// file. A pipeline that cannot be used is an error of the load (S001, S060, S061), and
    /// then no rule is loaded: rules run without their mapping would find other things.
    pub pipelines: Vec<String>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            placeholders: Placeholders::default(),
            placeholder_file: None,
            max_regex_bytes: MAX_REGEX_BYTES,
            pipelines: Vec::new(),
        }
    }
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

/// Loads rules from files and folders, or from one compiled rule-set file.
///
/// The files of each path are read and parsed on rayon's threads, [`LOAD_GROUP`] at a time,
/// then joined in file order, so the result (source ids, rule order, diagnostics) is that of
/// a load one file at a time. Each file of a group may compile regexes into its share of the
/// room [`LoadOptions::max_regex_bytes`] leaves. A file that several paths reach (the same
/// canonical path) is loaded once, where it is first reached.
pub fn load_paths(paths: &[PathBuf], options: &LoadOptions) -> Loaded {
    if let Some(file) = paths.iter().find(|p| compiled::is_compiled_file(p)) {
        return load_compiled(file, paths, options);
    }
    let mut loader = Loader::new(options);
    if let Some(file) = &options.placeholder_file {
        loader.read_placeholders(file);
    }
    if !loader.read_pipelines(&options.pipelines) {
        return loader.finish();
    }
    // A file reached through several paths (`-r rules -r rules/aws`, or two links to it) is
    // loaded once: twice, each of its rules would report every match twice.
    let mut seen = HashSet::new();
    for path in paths {
        let mut files = rule_files(path, &mut loader.loaded);
        files.retain(|file| seen.insert(file.canonicalize().unwrap_or_else(|_| file.clone())));
        for group in files.chunks(LOAD_GROUP) {
            // Each file adds exactly one source, so its id is known before it is read.
            let first = loader.loaded.sources.len();
            let share = loader.regex_room() / group.len();
            let loads: Vec<FileLoad> = group
                .par_iter()
                .enumerate()
                .map(|(i, file)| loader.load_file(file, SourceId((first + i) as u32), share))
                .collect();
            for (i, load) in loads.into_iter().enumerate() {
                // A file that ran out of its share is read again with all the room left at
                // its turn: the result is that of a load one file at a time.
                let load = if load.parsed.regex_room_spent && share < loader.regex_room() {
                    let room = loader.regex_room();
                    loader.load_file(&group[i], SourceId((first + i) as u32), room)
                } else {
                    load
                };
                loader.join(load);
            }
        }
    }
    loader.finish()
}

/// Loads a compiled rule-set file, which must be the only path and comes with no placeholder
/// values or pipelines (they were applied when it was compiled); anything wrong refuses it, with an S070 error.
fn load_compiled(file: &Path, paths: &[PathBuf], options: &LoadOptions) -> Loaded {
    let read: Result<Loaded, String> = if paths.len() > 1 {
        Err(
            "a compiled rule set must be the only rule path: compile the other rules into it"
                .into(),
        )
    } else if options.placeholder_file.is_some() || !options.placeholders.is_empty() {
        Err(
            "placeholder values are fixed when rules are compiled: give them to `sigil compile`"
                .into(),
        )
    } else if !options.pipelines.is_empty() {
        Err("pipelines are applied when rules are compiled: give them to `sigil compile`".into())
    } else {
        match std::fs::metadata(file) {
            Ok(meta) if meta.len() > MAX_COMPILED_BYTES => Err(format!(
                "file is {} bytes; compiled rule sets may be at most {MAX_COMPILED_BYTES}",
                meta.len()
            )),
            _ => std::fs::read(file).map_err(|e| e.to_string()),
        }
        .and_then(|bytes| compiled::read(&bytes).map_err(|e| e.to_string()))
    };
    read.unwrap_or_else(|message| {
        let mut loaded = Loaded::default();
        let id = loaded.sources.add(SourceFile::new(file, String::new()));
        loaded.diagnostics.push(
            Diagnostic::new(
                Code::CompiledRules,
                Span::new(id, 0, 0),
                format!("compiled rule set not loaded: {message}"),
            )
            .with_label("this file"),
        );
        loaded.refused = 1;
        loaded
    })
}

/// Loads rules from text (as if read from `path`).
pub fn load_str(path: &Path, text: &str, options: &LoadOptions) -> Loaded {
    let mut loader = Loader::new(options);
    if !loader.read_pipelines(&options.pipelines) {
        return loader.finish();
    }
    let mut cx = Context::new(
        &loader.placeholders,
        loader.regex_room(),
        loader.max_regex_bytes,
    );
    cx.pipeline = loader.pipeline.as_ref();
    let id = SourceId(loader.loaded.sources.len() as u32);
    let load = FileLoad {
        parsed: parse_file(id, path, text, &cx),
        source: SourceFile::new(path, text.to_string()),
    };
    loader.join(load);
    loader.finish()
}

/// The rule files of `path`: itself if it is not a folder, else every rule file below it.
///
/// Symbolic links to files and folders are followed. A link that leads back to a folder it is
/// in (a loop) or to nothing (broken, under a name that is not a rule file's) is skipped with a
/// `symlink_skipped` warning; a file that cannot be read is an error.
fn rule_files(path: &Path, loaded: &mut Loaded) -> Vec<PathBuf> {
    if !path.is_dir() {
        return vec![path.to_path_buf()];
    }
    let mut files = Vec::new();
    let walk = walkdir::WalkDir::new(path)
        .follow_links(true)
        .sort_by_file_name();
    for entry in walk {
        let err = match entry {
            Ok(e) if e.file_type().is_file() && is_rule_file(e.path()) => {
                files.push(e.into_path());
                continue;
            }
            Ok(_) => continue,
            Err(err) => err,
        };
        let at = err.path().unwrap_or(path).to_path_buf();
        let id = SourceId(loaded.sources.len() as u32);
        let broken_link = at.is_symlink() && !at.exists();
        let skipped = match err.loop_ancestor() {
            Some(ancestor) => Some(format!(
                "symbolic link `{}` leads back to `{}`, which holds it: not followed",
                at.display(),
                ancestor.display()
            )),
            None if broken_link && !is_rule_file(&at) => Some(format!(
                "symbolic link `{}` leads nowhere: not followed",
                at.display()
            )),
            None => None,
        };
        match skipped {
            Some(message) => {
                loaded.sources.add(SourceFile::new(&at, String::new()));
                loaded.diagnostics.push(
                    Diagnostic::new(Code::SymlinkSkipped, Span::new(id, 0, 0), message)
                        .with_label("this link"),
                );
            }
            None => {
                let reason = match err.io_error() {
                    _ if broken_link => "symbolic link leads nowhere".to_string(),
                    Some(io) => io.to_string(),
                    None => err.to_string(),
                };
                let load = FileLoad::unreadable(&at, id, &reason);
                loaded.sources.add(load.source);
                loaded.diagnostics.extend(load.parsed.diagnostics);
                loaded.refused += load.parsed.refused;
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

/// What loading one file gave, before it joins the load.
struct FileLoad {
    /// The file (its text is empty if it could not be read).
    source: SourceFile,
    /// Its rules and problems.
    parsed: ParsedFile,
}

impl FileLoad {
    /// A file that could not be read, whose source will have id `id`.
    fn unreadable(path: &Path, id: SourceId, message: &str) -> FileLoad {
        FileLoad::refused_file(
            SourceFile::new(path, String::new()),
            Diagnostic::new(
                Code::Io,
                Span::new(id, 0, 0),
                format!("cannot read rule file: {message}"),
            )
            .with_label("this file"),
        )
    }

    /// A file refused as a whole, for one problem.
    fn refused_file(source: SourceFile, diagnostic: Diagnostic) -> FileLoad {
        FileLoad {
            source,
            parsed: ParsedFile::refused(diagnostic),
        }
    }
}

/// Reads a file of at most [`MAX_RULE_FILE_BYTES`] as text.
fn read_small(path: &Path) -> Result<String, String> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.len() > MAX_RULE_FILE_BYTES => Err(format!(
            "file is {} bytes; at most {MAX_RULE_FILE_BYTES} are read",
            meta.len()
        )),
        _ => std::fs::read_to_string(path).map_err(|e| e.to_string()),
    }
}

/// Reads and parses one rule file, whose source will have id `id`.
fn load_file(path: &Path, id: SourceId, cx: &Context) -> FileLoad {
    let bytes = match std::fs::metadata(path) {
        Ok(meta) if meta.len() > MAX_RULE_FILE_BYTES => Err(format!(
            "file is {} bytes; rule files may be at most {MAX_RULE_FILE_BYTES}",
            meta.len()
        )),
        _ => std::fs::read(path).map_err(|e| e.to_string()),
    };
    let bytes = match bytes {
        Ok(b) => b,
        Err(message) => return FileLoad::unreadable(path, id, &message),
    };
    match String::from_utf8(bytes) {
        Ok(text) => FileLoad {
            parsed: parse_file(id, path, &text, cx),
            source: SourceFile::new(path, text),
        },
        Err(err) => {
            let at = err.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(err.as_bytes()).into_owned();
            FileLoad::refused_file(
                SourceFile::new(path, text),
                Diagnostic::new(
                    Code::NotUtf8,
                    Span::new(id, at, at + 1),
                    "rule file is not valid UTF-8",
                )
                .with_label(format!("invalid byte at offset {at}"))
                .with_help("save the file as UTF-8"),
            )
        }
    }
}

struct Loader {
    placeholders: Placeholders,
    /// The pipelines of the load, chained.
    pipeline: Option<Pipeline>,
    loaded: Loaded,
    /// The bytes the compiled regexes of the files joined so far take.
    regex_bytes: usize,
    /// The most they may take.
    max_regex_bytes: usize,
    /// The log source each rule's file wrote (before a pipeline), by the rule's id and name.
    written_logsources: HashMap<String, LogSource>,
}

impl Loader {
    fn new(options: &LoadOptions) -> Loader {
        Loader {
            placeholders: options.placeholders.clone(),
            pipeline: None,
            loaded: Loaded::default(),
            regex_bytes: 0,
            max_regex_bytes: options.max_regex_bytes,
            written_logsources: HashMap::new(),
        }
    }

    /// The bytes compiled regexes may still take.
    fn regex_room(&self) -> usize {
        self.max_regex_bytes.saturating_sub(self.regex_bytes)
    }

    /// Reads and parses one rule file, whose source will have id `id` and whose regexes may
    /// take `regex_room` bytes.
    fn load_file(&self, path: &Path, id: SourceId, regex_room: usize) -> FileLoad {
        let mut cx = Context::new(&self.placeholders, regex_room, self.max_regex_bytes);
        cx.pipeline = self.pipeline.as_ref();
        load_file(path, id, &cx)
    }

    /// Reads and chains the pipelines named by `specs` (built-in names first, then paths).
    /// Returns `false` when one cannot be used: its problem is an error of the load.
    fn read_pipelines(&mut self, specs: &[String]) -> bool {
        let mut pipelines = Vec::new();
        let mut ok = true;
        for spec in specs {
            let (path, text) = match builtin_pipeline(spec) {
                Some(text) => (
                    PathBuf::from(format!("<builtin pipeline {spec}>")),
                    Ok(text.to_string()),
                ),
                None => (PathBuf::from(spec), read_small(Path::new(spec))),
            };
            let id = SourceId(self.loaded.sources.len() as u32);
            let result = match text {
                Ok(text) => {
                    let parsed = Pipeline::parse(id, &text);
                    self.loaded.sources.add(SourceFile::new(&path, text));
                    parsed
                }
                Err(message) => {
                    self.loaded
                        .sources
                        .add(SourceFile::new(&path, String::new()));
                    Err(Diagnostic::new(
                        Code::Io,
                        Span::new(id, 0, 0),
                        format!("cannot read pipeline `{spec}`: {message}"),
                    )
                    .with_label("this file")
                    .with_help(format!(
                        "give a pipeline file, or one of the built-in pipelines: {}",
                        BUILTIN_PIPELINES
                            .iter()
                            .map(|(n, _)| *n)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )))
                }
            };
            match result {
                Ok(pipeline) => pipelines.push((spec.clone(), pipeline)),
                Err(diag) => {
                    self.loaded.diagnostics.push(diag);
                    self.loaded.refused += 1;
                    ok = false;
                }
            }
        }
        if ok && !pipelines.is_empty() {
            self.pipeline = Some(Pipeline::chain(pipelines));
        }
        ok
    }

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

    /// Adds one file's source, rules and diagnostics to the load.
    fn join(&mut self, load: FileLoad) {
        self.loaded.sources.add(load.source);
        for parsed in load.parsed.rules {
            let meta = &parsed.rule.meta;
            for name in meta.id.iter().chain(&meta.name) {
                let written = parsed.written_logsource.clone();
                self.written_logsources
                    .entry(name.clone())
                    .or_insert(written);
            }
            self.loaded.rules.add(parsed.rule, parsed.matchers);
        }
        self.loaded.diagnostics.extend(load.parsed.diagnostics);
        self.loaded.refused += load.parsed.refused;
        self.regex_bytes += load.parsed.regex_bytes;
    }

    fn finish(mut self) -> Loaded {
        self.check_ids();
        self.check_references();
        self.apply_pipeline_to_correlations();
        let not_applied = self.loaded.rules.apply_filters();
        self.loaded.diagnostics.extend(not_applied);
        // Rules the prefilter cannot narrow down are evaluated on every record: say which.
        let slow = analysis::no_literal_warnings(&self.loaded.rules);
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
        bad.dedup();
        self.refuse(&bad);
        self.loaded.diagnostics.extend(diags);
    }

    /// Applies the pipeline to the correlation rules, now that the rules they refer to are
    /// loaded: a log-source condition holds for a correlation when it holds for one of them,
    /// so the field mappings meant for those rules rename the correlation's `group-by` fields
    /// too. A correlation the pipeline cannot apply to is refused.
    fn apply_pipeline_to_correlations(&mut self) {
        let Some(pipeline) = &self.pipeline else {
            return;
        };
        let mut cx = Context::new(&self.placeholders, 0, self.max_regex_bytes);
        cx.pipeline = Some(pipeline);
        let rules = &self.loaded.rules;
        let by_name: HashMap<&str, RuleId> = rules
            .iter()
            .flat_map(|(id, r)| {
                let names = r.meta.id.iter().chain(&r.meta.name);
                names.map(move |name| (name.as_str(), id))
            })
            .collect();
        let mut applied = Vec::new();
        let mut bad = Vec::new();
        for (id, rule) in rules.iter() {
            if !matches!(rule.kind, RuleKind::Correlation(_)) {
                continue;
            }
            let mut parsed = ParsedRule {
                rule: rule.clone(),
                matchers: Vec::new(),
                sources: Vec::new(),
                written_logsource: rule.meta.logsource.clone(),
                referenced_logsources: self.referenced_logsources(id, &by_name),
            };
            if pipeline.apply(&mut parsed, &cx, &mut self.loaded.diagnostics) {
                applied.push((id, parsed.rule));
            } else {
                bad.push(id);
            }
        }
        let slots = self.loaded.rules.rules_mut();
        for (id, rule) in applied {
            slots[id.0 as usize] = rule;
        }
        self.refuse(&bad);
    }

    /// The log sources as written of the detection rules `correlation` refers to, directly or
    /// through other correlations (each rule once, whatever the cycles); `by_name` finds a
    /// rule by its id or name.
    fn referenced_logsources(
        &self,
        correlation: RuleId,
        by_name: &HashMap<&str, RuleId>,
    ) -> Vec<LogSource> {
        let rules = &self.loaded.rules;
        let mut seen = vec![correlation];
        let mut pending = vec![correlation];
        let mut logsources = Vec::new();
        while let Some(id) = pending.pop() {
            let RuleKind::Correlation(c) = &rules.rule(id).kind else {
                continue;
            };
            for (name, _) in &c.rules {
                let Some(&next) = by_name.get(name.as_str()) else {
                    continue;
                };
                if matches!(rules.rule(next).kind, RuleKind::Correlation(_)) {
                    if !seen.contains(&next) {
                        seen.push(next);
                        pending.push(next);
                    }
                } else if let Some(written) = self.written_logsources.get(name) {
                    logsources.push(written.clone());
                }
            }
        }
        logsources
    }

    /// Takes the rules `bad` (ascending) out of the load, counted as refused.
    fn refuse(&mut self, bad: &[RuleId]) {
        if bad.is_empty() {
            return;
        }
        self.loaded.refused += bad.len();
        let mut index = 0;
        self.loaded.rules.retain(|_| {
            let keep = bad.binary_search(&RuleId(index)).is_err();
            index += 1;
            keep
        });
    }
}
