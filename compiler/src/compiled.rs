//! Compiled rule-set files: a loaded [`RuleSet`] written once (`sigil compile -r RULES -o
//! FILE`) and read back without parsing any YAML.
//!
//! Loading all of SigmaHQ from its YAML takes the better part of a second; most of it is YAML
//! and the building of the IR. A compiled file holds the IR itself (rules, shared matchers,
//! the paths of the rule files) and the literals the prefilter needs ([`Literals`]), so reading
//! it is a checksum, a decode and a few checks. The automata of the `|re` values are not
//! stored (regex-automata's `meta::Regex` cannot be serialised): each regex's syntax is
//! checked as it is read, and it is compiled when first matched, since building all of them
//! was half of the load and a hunt over one kind of log matches few. [`load_paths`]
//! recognises a compiled file by its magic bytes, so every command that takes rule paths takes
//! one.
//!
//! # Layout
//!
//! | bytes | what |
//! |---|---|
//! | 8 | [`MAGIC`]: `\x89SIGILR\n` (never the start of a UTF-8 YAML file) |
//! | 4 | [`FORMAT_VERSION`], little-endian |
//! | 4 | CRC-32 (IEEE) of every byte after this field |
//! | 8 | length of the payload, little-endian |
//! | 1 + n | length and text of the Sigil version that wrote the file |
//! | payload | the rule files' paths, the [`RuleSet`] and its [`Literals`], in postcard |
//!
//! The payload is [postcard](https://postcard.jamesmunns.com/wire-format): compact, a written
//! wire-format specification, and serde, which the IR types derive.
//!
//! # Untrusted files
//!
//! A file may be corrupt, truncated, written by another version of Sigil, or crafted. Reading
//! one never panics and never allocates more than a bounded multiple of its size: the file is
//! at most [`MAX_COMPILED_BYTES`]; the header is checked first (magic, format version, Sigil
//! version, length, checksum) with a message saying what is wrong; every length in the payload
//! is bounded by the bytes left (postcard reads from a slice, and serde preallocates at most
//! 1 MiB for a sequence whatever length it announces); trees nest at most
//! [`MAX_COMPILED_DEPTH`] deep; and the decoded rule set is validated as the loader would have
//! built it (indices of matchers, searches, literals and source files in range, the syntax of
//! regexes, correlations and filters naming loaded rules). A regex is compiled when first
//! matched, under the limits a load puts on one regex and on all of them together. The
//! checksum catches corruption, not forgery: the checks after it are what make a crafted file
//! harmless.
//!
//! ```
//! use sigil_compiler::{LoadOptions, compiled, load_str};
//! let rule = "title: t\nlogsource: {product: aws}\ndetection:\n  sel: {eventName: StopLogging}\n  \
//!             condition: sel\n";
//! let loaded = load_str("t.yml".as_ref(), rule, &LoadOptions::default());
//! let bytes = compiled::write(&loaded).unwrap();
//! assert!(compiled::is_compiled(&bytes));
//! let back = compiled::read(&bytes).unwrap();
//! assert_eq!(back.rules.rules()[0].meta.title, "t");
//!
//! let mut corrupt = bytes.clone();
//! *corrupt.last_mut().unwrap() ^= 1;
//! let err = compiled::read(&corrupt).unwrap_err();
//! assert_eq!(err, compiled::CompiledError::Checksum);
//! ```
//!
//! [`load_paths`]: crate::load_paths

use crate::analysis::Literals;
use crate::ir::{
    Condition, Detection, RegexBudget, RuleKind, RuleSet, SearchExpr, deferring_regexes,
};
use crate::limits::MAX_DEPTH;
use crate::load::Loaded;
use crate::source::{SourceFile, SourceMap, Span};
use serde::{Deserialize, Deserializer, Serialize};
use std::cell::Cell;
use std::path::{Path, PathBuf};

/// The bytes every compiled rule-set file starts with.
pub const MAGIC: [u8; 8] = *b"\x89SIGILR\n";

/// The version of the file layout and of the serialised IR. Bump it whenever a type written in
/// the payload changes (the test `payload_layout_is_pinned` fails until it is), and whenever
/// the extraction of literals changes, since files keep what it found (a file's literals must
/// be those its rules would get now, or the prefilter could skip a rule that matches).
pub const FORMAT_VERSION: u32 = 2;

/// The largest compiled file read, in bytes (all of SigmaHQ takes about 4 MiB).
pub const MAX_COMPILED_BYTES: u64 = 256 << 20;

/// The deepest nesting of a condition, search or value list in a compiled file: the loader's
/// [`MAX_DEPTH`] with room for the filters AND-ed onto a rule's condition.
pub const MAX_COMPILED_DEPTH: usize = 4 * MAX_DEPTH;

/// The version of Sigil that writes and reads compiled files.
const SIGIL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Header bytes before the version text: magic, format version, checksum, payload length.
const FIXED_HEADER: usize = 8 + 4 + 4 + 8;

/// Why a compiled rule-set file cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CompiledError {
    /// The bytes do not start with [`MAGIC`].
    #[error("not a compiled rule set (it does not start with Sigil's magic bytes)")]
    NotCompiled,
    /// The file ends before its header or payload does.
    #[error("truncated: {expected} bytes expected, {actual} present")]
    Truncated {
        /// Bytes the header announces (at least).
        expected: u64,
        /// Bytes there are.
        actual: u64,
    },
    /// The file is longer than [`MAX_COMPILED_BYTES`], or than its header says.
    #[error("{actual} bytes, where {expected} were expected")]
    TooLong {
        /// Bytes expected (at most).
        expected: u64,
        /// Bytes there are.
        actual: u64,
    },
    /// Another layout version.
    #[error(
        "written in format version {found}, and this Sigil reads version {FORMAT_VERSION}: \
         compile the rules again with `sigil compile -r RULES -o FILE`"
    )]
    FormatVersion {
        /// The file's version.
        found: u32,
    },
    /// Written by another version of Sigil, whose IR may differ.
    #[error(
        "compiled by Sigil {found}, and this is Sigil {SIGIL_VERSION}: compile the rules again \
         with `sigil compile -r RULES -o FILE`"
    )]
    SigilVersion {
        /// The version that wrote the file.
        found: String,
    },
    /// The checksum does not match the bytes: the file was damaged.
    #[error("checksum mismatch: the file is corrupt")]
    Checksum,
    /// The payload does not decode, or decodes to rules that do not hold together.
    #[error("corrupt payload: {0}")]
    Corrupt(String),
}

/// The payload: what a load produced that a hunt needs.
#[derive(Deserialize)]
struct Payload {
    /// The rule files, indexed by the [`SourceId`](crate::SourceId)s of the rules' spans.
    sources: Vec<PathBuf>,
    rules: RuleSet,
    /// The rules' literals, so that a load need not extract them again.
    literals: Literals,
}

/// [`Payload`] as written, borrowing from the load (the same encoding).
#[derive(Serialize)]
struct PayloadRef<'a> {
    sources: Vec<&'a Path>,
    rules: &'a RuleSet,
    literals: &'a Literals,
}

/// Whether `bytes` start like a compiled rule-set file.
pub fn is_compiled(bytes: &[u8]) -> bool {
    bytes.starts_with(&MAGIC)
}

/// Whether the file at `path` is a compiled rule-set file (by its first bytes; a folder or an
/// unreadable file is not).
pub fn is_compiled_file(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0; MAGIC.len()];
    std::fs::File::open(path)
        .and_then(|mut file| file.read_exact(&mut head))
        .is_ok_and(|()| is_compiled(&head))
}

/// Writes the rules of a load as a compiled file's bytes (only the rules that loaded: the
/// refused ones and the diagnostics are not kept). The bytes are read back before they are
/// returned, so a file that would not load is never written.
pub fn write(loaded: &Loaded) -> Result<Vec<u8>, CompiledError> {
    let payload = PayloadRef {
        sources: loaded
            .sources
            .iter()
            .map(|(_, f)| f.path.as_path())
            .collect(),
        rules: &loaded.rules,
        literals: loaded.rules.literals(),
    };
    let payload =
        postcard::to_stdvec(&payload).map_err(|e| CompiledError::Corrupt(e.to_string()))?;
    let bytes = seal(&payload);
    read(&bytes)?;
    Ok(bytes)
}

/// A file of `payload` under a sound header (this version's, with its checksum). [`write()`]
/// uses it; fuzzers and tests use it to hand [`read`] payloads of their own.
pub fn seal(payload: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(FIXED_HEADER + 1 + SIGIL_VERSION.len() + payload.len());
    bytes.extend_from_slice(&MAGIC);
    bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    bytes.extend_from_slice(&[0; 4]); // the checksum, below
    bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    bytes.push(SIGIL_VERSION.len() as u8);
    bytes.extend_from_slice(SIGIL_VERSION.as_bytes());
    bytes.extend_from_slice(payload);
    let checksum = crc32fast::hash(&bytes[16..]);
    bytes[12..16].copy_from_slice(&checksum.to_le_bytes());
    bytes
}

/// Reads a compiled file's bytes into a load: its rules, and its rule files (paths only, with
/// no text). See the module docs for what is checked.
pub fn read(bytes: &[u8]) -> Result<Loaded, CompiledError> {
    let payload = checked_payload(bytes)?;
    DEPTH.with(|depth| depth.set(0));
    let (decoded, refused_regex) = deferring_regexes(RegexBudget::new(), || {
        postcard::take_from_bytes::<Payload>(payload)
    });
    let (payload, rest) = decoded.map_err(|e| {
        // postcard keeps no message of its own errors: say which limit was hit.
        let message = match (DEPTH.with(Cell::get), refused_regex) {
            (TOO_DEEP, _) => format!("nested deeper than {MAX_COMPILED_DEPTH}"),
            (_, Some(regex)) => regex,
            _ => e.to_string(),
        };
        CompiledError::Corrupt(message)
    })?;
    if !rest.is_empty() {
        return Err(CompiledError::Corrupt(format!(
            "{} bytes after the rules",
            rest.len()
        )));
    }
    validate(&payload).map_err(CompiledError::Corrupt)?;
    let mut rules = payload.rules;
    let literals = payload.literals.checked(&rules);
    rules.keep_literals(literals.map_err(CompiledError::Corrupt)?);
    let mut sources = SourceMap::default();
    for path in payload.sources {
        sources.add(SourceFile::new(path, String::new()));
    }
    Ok(Loaded {
        sources,
        rules,
        diagnostics: Vec::new(),
        refused: 0,
    })
}

/// The payload of a file whose header is sound.
fn checked_payload(bytes: &[u8]) -> Result<&[u8], CompiledError> {
    let actual = bytes.len() as u64;
    if !is_compiled(bytes) {
        return Err(CompiledError::NotCompiled);
    }
    if actual > MAX_COMPILED_BYTES {
        return Err(CompiledError::TooLong {
            expected: MAX_COMPILED_BYTES,
            actual,
        });
    }
    let truncated = |expected: usize| CompiledError::Truncated {
        expected: expected as u64,
        actual,
    };
    let Some(fixed) = bytes.get(..FIXED_HEADER + 1) else {
        return Err(truncated(FIXED_HEADER + 1));
    };
    let word = |at: usize| u32::from_le_bytes(fixed[at..at + 4].try_into().expect("4 bytes"));
    let found = word(8);
    if found != FORMAT_VERSION {
        return Err(CompiledError::FormatVersion { found });
    }
    let checksum = word(12);
    let payload_len = u64::from_le_bytes(fixed[16..24].try_into().expect("8 bytes"));
    let header = FIXED_HEADER + 1 + usize::from(fixed[FIXED_HEADER]);
    let Some(version) = bytes.get(FIXED_HEADER + 1..header) else {
        return Err(truncated(header));
    };
    if version != SIGIL_VERSION.as_bytes() {
        let found = String::from_utf8_lossy(version).into_owned();
        return Err(CompiledError::SigilVersion { found });
    }
    let expected = (header as u64).saturating_add(payload_len);
    if actual < expected {
        return Err(CompiledError::Truncated { expected, actual });
    }
    if actual > expected {
        return Err(CompiledError::TooLong { expected, actual });
    }
    if crc32fast::hash(&bytes[16..]) != checksum {
        return Err(CompiledError::Checksum);
    }
    Ok(&bytes[header..])
}

/// Checks that decoded rules hold together as a load would have built them, so that no index
/// an evaluator or a diagnostic follows is out of range.
fn validate(payload: &Payload) -> Result<(), String> {
    let rules = &payload.rules;
    let sources = payload.sources.len();
    let span_ok = |span: &Span| (span.source.0 as usize) < sources && span.start <= span.end;
    for matcher in rules.matchers() {
        if !span_ok(&matcher.span) {
            return Err(format!(
                "matcher `{}` points outside its files",
                matcher.key
            ));
        }
    }
    for (_, rule) in rules.iter() {
        let title = &rule.meta.title;
        let detection = match &rule.kind {
            RuleKind::Detection(d) => Some(d),
            RuleKind::Filter(f) => Some(&f.detection),
            RuleKind::Correlation(_) => None,
        };
        let references = match &rule.kind {
            RuleKind::Correlation(c) => &c.rules[..],
            RuleKind::Filter(f) => &f.rules[..],
            RuleKind::Detection(_) => &[],
        };
        let spans_ok = span_ok(&rule.meta.span)
            && references.iter().all(|(_, span)| span_ok(span))
            && detection.is_none_or(|d| {
                span_ok(&d.condition_span) && d.searches.iter().all(|s| span_ok(&s.span))
            });
        if !spans_ok {
            return Err(format!("rule `{title}` points outside its files"));
        }
        if let Some(detection) = detection {
            validate_detection(detection, rules.matchers().len())
                .map_err(|what| format!("rule `{title}`: {what}"))?;
        }
        for (reference, _) in references {
            let known = rules.rules().iter().any(|r| {
                r.meta.id.as_deref() == Some(reference) || r.meta.name.as_deref() == Some(reference)
            });
            if !known {
                return Err(format!(
                    "rule `{title}` names `{reference}`, which is not there"
                ));
            }
        }
    }
    Ok(())
}

fn validate_detection(detection: &Detection, matchers: usize) -> Result<(), String> {
    fn condition_ok(condition: &Condition, searches: usize) -> bool {
        match condition {
            Condition::Search(index) => *index < searches,
            Condition::Not(inner) => condition_ok(inner, searches),
            Condition::And(items) | Condition::Or(items) | Condition::AtLeast(_, items) => {
                items.iter().all(|c| condition_ok(c, searches))
            }
        }
    }
    fn matchers_ok(expr: &SearchExpr, matchers: usize) -> bool {
        match expr {
            SearchExpr::Matcher(id) => (id.0 as usize) < matchers,
            SearchExpr::And(items) | SearchExpr::Or(items) => {
                items.iter().all(|e| matchers_ok(e, matchers))
            }
        }
    }
    if !condition_ok(&detection.condition, detection.searches.len()) {
        return Err("its condition names a search it does not have".into());
    }
    if !detection
        .searches
        .iter()
        .all(|s| matchers_ok(&s.expr, matchers))
    {
        return Err("a search names a matcher that is not there".into());
    }
    Ok(())
}

thread_local! {
    /// How deep the decode of a compiled file is in nested conditions, searches and values;
    /// [`TOO_DEEP`] once it went past [`MAX_COMPILED_DEPTH`].
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// The depth a decode is left at when it went too deep.
const TOO_DEEP: usize = usize::MAX;

/// Decodes a nested part of a tree (the operands of a condition, search or value list), at
/// most [`MAX_COMPILED_DEPTH`] deep: what keeps a crafted file from exhausting the stack. The IR
/// types name it with `#[serde(deserialize_with = "crate::compiled::nested")]`.
pub(crate) fn nested<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    let depth = DEPTH.with(Cell::get);
    if depth >= MAX_COMPILED_DEPTH {
        DEPTH.with(|d| d.set(TOO_DEEP));
        return Err(serde::de::Error::custom("nested too deep"));
    }
    DEPTH.with(|d| d.set(depth + 1));
    let value = T::deserialize(deserializer)?;
    DEPTH.with(|d| d.set(depth));
    Ok(value)
}
