//! `|re` values: regexes compiled by regex-automata, matched in time linear in the text.
//!
//! ```
//! use sigil_compiler::{RegexError, SigmaRegex};
//! let re = SigmaRegex::new("^ab+c", false, false, false).unwrap();
//! assert!(re.is_match("abbc-x"));
//! assert!(matches!(SigmaRegex::new("(a", false, false, false), Err(RegexError::Syntax(_))));
//! ```

use crate::limits::{MAX_REGEX_BYTES, REGEX_SIZE_LIMIT};
use regex_automata::meta::Regex;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

/// A `|re` value. Written as its source and flags.
///
/// A value made from a rule ([`SigmaRegex::new`]) is compiled at once, so that a rule whose
/// regex is too big is refused where it is read. A value read back from a compiled rule-set
/// file is only checked for syntax, and compiled the first time it is matched: building the
/// automata of all of SigmaHQ's regexes was half of the start-up from such a file, and a hunt
/// over one kind of log matches few of them.
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
    /// The compiled regex, once built; `None` when a deferred build failed (see
    /// [`RegexBudget`]).
    regex: Arc<OnceLock<Option<Regex>>>,
    /// What a deferred build may take; `None` for a regex built when it was made.
    budget: Option<Arc<RegexBudget>>,
}

impl SigmaRegex {
    /// Compiles a Sigma regex. Matching is linear in the haystack (no backtracking).
    pub fn new(
        source: &str,
        case_insensitive: bool,
        multi_line: bool,
        dot_all: bool,
    ) -> Result<Self, RegexError> {
        let mut regex = SigmaRegex::unbuilt(source, case_insensitive, multi_line, dot_all);
        let built = regex.build()?;
        regex.regex = Arc::new(OnceLock::from(Some(built)));
        Ok(regex)
    }

    /// A regex whose syntax is checked now and whose automata are built when it is first
    /// matched, within `budget`.
    fn deferred(source: RegexSource, budget: Arc<RegexBudget>) -> Result<Self, RegexError> {
        let mut regex = SigmaRegex::unbuilt(
            &source.source,
            source.case_insensitive,
            source.multi_line,
            source.dot_all,
        );
        regex_syntax::ParserBuilder::new()
            .case_insensitive(regex.case_insensitive)
            .multi_line(regex.multi_line)
            .dot_matches_new_line(regex.dot_all)
            .build()
            .parse(&regex.source)
            .map_err(|e| RegexError::of_syntax(&e))?;
        regex.budget = Some(budget);
        Ok(regex)
    }

    fn unbuilt(source: &str, case_insensitive: bool, multi_line: bool, dot_all: bool) -> Self {
        SigmaRegex {
            source: source.to_string(),
            case_insensitive,
            multi_line,
            dot_all,
            regex: Arc::default(),
            budget: None,
        }
    }

    /// Builds the automata, under the size limit of one regex.
    fn build(&self) -> Result<Regex, RegexError> {
        let syntax = regex_automata::util::syntax::Config::new()
            .case_insensitive(self.case_insensitive)
            .multi_line(self.multi_line)
            .dot_matches_new_line(self.dot_all);
        let config = Regex::config()
            .nfa_size_limit(Some(REGEX_SIZE_LIMIT))
            .hybrid_cache_capacity(2 << 20);
        Regex::builder()
            .syntax(syntax)
            .configure(config)
            .build(&self.source)
            .map_err(|e| RegexError::of(&e))
    }

    /// The compiled regex, built now if it was deferred; `None` if that build failed.
    fn compiled(&self) -> Option<&Regex> {
        self.regex
            .get_or_init(|| {
                let regex = self.build().ok()?;
                let budget = self.budget.as_ref();
                budget
                    .is_none_or(|b| b.take(regex.memory_usage()))
                    .then_some(regex)
            })
            .as_ref()
    }

    /// The heap memory the compiled regex takes, in bytes (its automata; the per-thread caches
    /// of a search come on top). A deferred regex takes none until it is first matched.
    pub fn memory_usage(&self) -> usize {
        self.regex
            .get()
            .and_then(Option::as_ref)
            .map_or(0, Regex::memory_usage)
    }

    /// Whether the regex matches anywhere in `text`.
    pub fn is_match(&self, text: &str) -> bool {
        self.compiled().is_some_and(|regex| regex.is_match(text))
    }
}

/// The memory the deferred regexes of one compiled rule-set file may take together:
/// [`MAX_REGEX_BYTES`], the bound a load from YAML puts on all of its regexes.
///
/// `sigil compile` built every regex of the file under that bound before it wrote the file, and
/// a build is deterministic, so the regexes of such a file always fit and always build. Only a
/// crafted file can have a regex that does not: it then matches nothing, and the engine stays
/// within its bounds.
#[derive(Debug)]
pub(crate) struct RegexBudget {
    left: AtomicUsize,
}

impl RegexBudget {
    /// A fresh budget of [`MAX_REGEX_BYTES`].
    pub(crate) fn new() -> Arc<RegexBudget> {
        Arc::new(RegexBudget {
            left: AtomicUsize::new(MAX_REGEX_BYTES),
        })
    }

    /// Takes `bytes` from the budget, if it has them.
    fn take(&self, bytes: usize) -> bool {
        self.left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                left.checked_sub(bytes)
            })
            .is_ok()
    }
}

/// The state of a decode that defers regexes: their budget, and the first regex refused.
struct Deferring {
    budget: Arc<RegexBudget>,
    refused: Option<String>,
}

thread_local! {
    /// The compiled file being decoded on this thread, if any.
    static DECODING: RefCell<Option<Deferring>> = const { RefCell::new(None) };
}

/// Runs `decode` with the regexes it deserialises deferred, sharing `budget`; returns what it
/// returned and the first regex it refused (which regex, and why: the decoder's own error
/// says neither). Outside of it, a deserialised regex is compiled at once.
pub(crate) fn deferring_regexes<T>(
    budget: Arc<RegexBudget>,
    decode: impl FnOnce() -> T,
) -> (T, Option<String>) {
    DECODING.with(|slot| {
        *slot.borrow_mut() = Some(Deferring {
            budget,
            refused: None,
        })
    });
    let decoded = decode();
    let deferring = DECODING.with(|slot| slot.borrow_mut().take());
    (decoded, deferring.and_then(|d| d.refused))
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
        let budget = DECODING.with(|slot| slot.borrow().as_ref().map(|d| d.budget.clone()));
        let Some(budget) = budget else {
            return SigmaRegex::new(&re.source, re.case_insensitive, re.multi_line, re.dot_all);
        };
        let source = re.source.clone();
        SigmaRegex::deferred(re, budget).inspect_err(|err| {
            DECODING.with(|slot| {
                if let Some(deferring) = slot.borrow_mut().as_mut() {
                    deferring
                        .refused
                        .get_or_insert(format!("regex `{source}`: {err}"));
                }
            })
        })
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
            return RegexError::of_syntax(syntax);
        }
        match err.size_limit() {
            Some(limit) => RegexError::TooBig(limit),
            None => RegexError::Syntax(err.to_string()),
        }
    }

    /// The error of a regex that does not parse (or needs backtracking): the parser's most
    /// specific message.
    fn of_syntax(syntax: &regex_syntax::Error) -> RegexError {
        let text = syntax.to_string();
        let last = text.lines().last().unwrap_or("invalid syntax").trim();
        let message = last.strip_prefix("error: ").unwrap_or(last).to_string();
        if is_unsupported(syntax) {
            RegexError::Unsupported(message)
        } else {
            RegexError::Syntax(message)
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
