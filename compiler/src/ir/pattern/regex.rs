//! `|re` values: regexes compiled by regex-automata, matched in time linear in the text.
//!
//! ```
//! use sigil_compiler::{RegexError, SigmaRegex};
//! let re = SigmaRegex::new("^ab+c", false, false, false).unwrap();
//! assert!(re.is_match("abbc-x"));
//! assert!(matches!(SigmaRegex::new("(a", false, false, false), Err(RegexError::Syntax(_))));
//! ```

use crate::limits::REGEX_SIZE_LIMIT;
use regex_automata::meta::Regex;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A compiled `|re` value. Written as its source and flags, and compiled again when read.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(into = "RegexSource", try_from = "RegexSource")]
pub struct SigmaRegex {
    /// The regex as written.
    pub source: String,
    /// `(?i)` from `|re|i`.
    pub case_insensitive: bool,
    /// `(?m)` from `|re|m`.
    pub multi_line: bool,
    /// `(?s)` from `|re|s`.
    pub dot_all: bool,
    regex: Arc<Regex>,
}

impl SigmaRegex {
    /// Compiles a Sigma regex. Matching is linear in the haystack (no backtracking).
    pub fn new(
        source: &str,
        case_insensitive: bool,
        multi_line: bool,
        dot_all: bool,
    ) -> Result<Self, RegexError> {
        let syntax = regex_automata::util::syntax::Config::new()
            .case_insensitive(case_insensitive)
            .multi_line(multi_line)
            .dot_matches_new_line(dot_all);
        let config = Regex::config()
            .nfa_size_limit(Some(REGEX_SIZE_LIMIT))
            .hybrid_cache_capacity(2 << 20);
        let regex = Regex::builder()
            .syntax(syntax)
            .configure(config)
            .build(source)
            .map_err(|e| RegexError::of(&e))?;
        Ok(SigmaRegex {
            source: source.to_string(),
            case_insensitive,
            multi_line,
            dot_all,
            regex: Arc::new(regex),
        })
    }

    /// The heap memory the compiled regex takes, in bytes (its automata; the per-thread caches
    /// of a search come on top).
    pub fn memory_usage(&self) -> usize {
        self.regex.memory_usage()
    }

    /// Whether the regex matches anywhere in `text`.
    pub fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }
}

/// What a [`SigmaRegex`] is written as.
#[derive(Serialize, Deserialize)]
struct RegexSource {
    source: String,
    case_insensitive: bool,
    multi_line: bool,
    dot_all: bool,
}

impl From<SigmaRegex> for RegexSource {
    fn from(re: SigmaRegex) -> Self {
        RegexSource {
            source: re.source,
            case_insensitive: re.case_insensitive,
            multi_line: re.multi_line,
            dot_all: re.dot_all,
        }
    }
}

impl TryFrom<RegexSource> for SigmaRegex {
    type Error = RegexError;

    fn try_from(re: RegexSource) -> Result<Self, RegexError> {
        SigmaRegex::new(&re.source, re.case_insensitive, re.multi_line, re.dot_all)
    }
}

/// Why a `|re` value was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegexError {
    /// The regex uses a construct that needs backtracking: look-around or a backreference.
    #[error("{0}")]
    Unsupported(String),
    /// The regex does not parse; the message is the parser's most specific one.
    #[error("{0}")]
    Syntax(String),
    /// The compiled regex would be larger than the limit, in bytes.
    #[error("the regex compiles to more than {0} bytes")]
    TooBig(usize),
}

impl RegexError {
    /// The error of a failed build: the syntax error itself (not "error parsing pattern 0"),
    /// or the size limit it exceeded.
    fn of(err: &regex_automata::meta::BuildError) -> RegexError {
        if let Some(syntax) = err.syntax_error() {
            let text = syntax.to_string();
            let last = text.lines().last().unwrap_or("invalid syntax").trim();
            let message = last.strip_prefix("error: ").unwrap_or(last).to_string();
            return if is_unsupported(syntax) {
                RegexError::Unsupported(message)
            } else {
                RegexError::Syntax(message)
            };
        }
        match err.size_limit() {
            Some(limit) => RegexError::TooBig(limit),
            None => RegexError::Syntax(err.to_string()),
        }
    }
}

/// Whether a syntax error is about look-around or backreferences, which a linear-time engine
/// cannot run, rather than about the regex being malformed.
fn is_unsupported(err: &regex_syntax::Error) -> bool {
    use regex_syntax::ast::ErrorKind;
    match err {
        regex_syntax::Error::Parse(parse) => matches!(
            parse.kind(),
            ErrorKind::UnsupportedLookAround | ErrorKind::UnsupportedBackreference
        ),
        _ => false,
    }
}
