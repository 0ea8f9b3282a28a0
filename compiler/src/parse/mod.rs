//! Stage 1, parsing: a rule file's text to rule IR, every problem collected as a diagnostic.
//!
//! The text is read into a spanned YAML tree (`yaml`, bounded against YAML bombs), legacy
//! collections are resolved (`collections`), and each document becomes a [`Rule`](crate::Rule)
//! (`rule`): its metadata, then its body, a detection (`detection`: searches and the
//! condition), a correlation (`correlation`) or a filter. A search's field items are parsed
//! key first (`modifier`: `field|mod|mod`), then each value is sent through the modifiers
//! (`value`, with the encoders in `encode` and `|expand` placeholders in `placeholders`),
//! giving the IR's [`Matcher`](crate::Matcher)s.
//!
//! ```
//! use sigil_compiler::{Code, load_str};
//! let rule = "title: t\nlogsource: {product: aws}\ndetection:\n  sel:\n    \
//!             eventName|endwith: Trail\n  condition: sel\n";
//! let loaded = load_str("t.yml".as_ref(), rule, &Default::default());
//! let error = &loaded.diagnostics[0];
//! assert_eq!(error.code, Code::UnknownModifier);
//! assert_eq!(error.help.as_deref(), Some("did you mean `endswith`?"));
//! ```

mod collections;
mod correlation;
pub(crate) mod detection;
mod encode;
pub(crate) mod modifier;
mod placeholders;
mod rule;
pub(crate) mod value;
pub(crate) mod yaml;

pub use correlation::parse_timespan;
pub use placeholders::Placeholders;
pub(crate) use rule::ParsedRule;

use crate::diagnostic::{Code, Diagnostic};
use crate::ir::ValuePattern;
use crate::pipeline::Pipeline;
use crate::source::{SourceId, Span};
use std::cell::Cell;
use std::path::Path;
use yaml::{Node, Value};

/// What parsing one file needs besides its text.
pub(crate) struct Context<'a> {
    /// Values for `|expand` placeholders.
    pub(crate) placeholders: &'a Placeholders,
    /// The bytes the file's compiled `|re` values may still take.
    pub(crate) regex_room: Cell<usize>,
    /// The most all the load's regexes may take (for messages).
    pub(crate) regex_limit: usize,
    /// The processing pipeline applied to each rule parsed (`-p`).
    pub(crate) pipeline: Option<&'a Pipeline>,
}

impl<'a> Context<'a> {
    /// A context whose file may compile regexes into `regex_room` bytes of a load's
    /// `regex_limit` (see [`LoadOptions::max_regex_bytes`](crate::LoadOptions)).
    pub(crate) fn new(
        placeholders: &'a Placeholders,
        regex_room: usize,
        regex_limit: usize,
    ) -> Self {
        Context {
            placeholders,
            regex_room: Cell::new(regex_room),
            regex_limit,
            pipeline: None,
        }
    }
}

/// The rules of one file, and its problems.
#[derive(Default)]
pub(crate) struct ParsedFile {
    /// The rules that parsed.
    pub(crate) rules: Vec<ParsedRule>,
    /// Every error and warning, in file order.
    pub(crate) diagnostics: Vec<Diagnostic>,
    /// Rules (or the file as a whole) refused.
    pub(crate) refused: usize,
    /// The bytes the compiled `|re` values of its rules take.
    pub(crate) regex_bytes: usize,
    /// Whether a regex was refused for want of room (S026).
    pub(crate) regex_room_spent: bool,
}

impl ParsedFile {
    /// A file refused as a whole, for one problem.
    pub(crate) fn refused(diagnostic: Diagnostic) -> ParsedFile {
        ParsedFile {
            rules: Vec::new(),
            diagnostics: vec![diagnostic],
            refused: 1,
            regex_bytes: 0,
            regex_room_spent: false,
        }
    }
}

/// Parses the rules of the text of the file `path`, whose source has id `id`.
pub(crate) fn parse_file(id: SourceId, path: &Path, text: &str, cx: &Context) -> ParsedFile {
    let docs = match yaml::parse_documents(id, text) {
        Ok(docs) => docs,
        Err(diag) => return ParsedFile::refused(diag),
    };
    let docs: Vec<Node> = docs
        .into_iter()
        .filter(|d| d.value != Value::Null)
        .collect();
    if docs.is_empty() {
        let diag = Diagnostic::new(
            Code::NotARule,
            Span::new(id, 0, 0),
            "rule file holds no rule",
        )
        .with_label("empty file");
        return ParsedFile::refused(diag);
    }
    let mut parsed = ParsedFile::default();
    let docs = collections::resolve_collections(docs, &mut parsed.diagnostics);
    // Each bad collection document is a rule that could not be loaded.
    parsed.refused += parsed.diagnostics.len();
    for doc in docs {
        let mut rule = rule::parse_rule(&doc, path, cx, &mut parsed.diagnostics);
        // A correlation gets the pipeline once the rules it refers to are loaded (`load`).
        if let (Some(parsed_rule), Some(pipeline)) = (rule.as_mut(), cx.pipeline)
            && !matches!(parsed_rule.rule.kind, crate::ir::RuleKind::Correlation(_))
            && !pipeline.apply(parsed_rule, cx, &mut parsed.diagnostics)
        {
            rule = None;
        }
        match rule {
            Some(rule) => parsed.rules.push(rule),
            None => parsed.refused += 1,
        }
    }
    let regexes = parsed
        .rules
        .iter()
        .flat_map(|r| &r.matchers)
        .flat_map(|m| &m.values);
    parsed.regex_bytes = regexes.map(ValuePattern::regex_memory_usage).sum();
    parsed.regex_room_spent = parsed
        .diagnostics
        .iter()
        .any(|d| d.code == Code::RegexBudget);
    parsed
}
