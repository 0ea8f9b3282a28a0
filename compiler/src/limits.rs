//! Every bound the compiler puts on untrusted rules, in one place.
//!
//! Rules may come from anywhere, so no rule file may make loading (or the engine that runs the
//! compiled rules) use unbounded time, memory or stack. Each limit below is enforced where the
//! rule is read, and a rule that exceeds one is refused with a diagnostic naming the limit,
//! never cut silently. Conditions have their own bound on nesting,
//! [`sigil_grammar::MAX_NESTING`], set by the recursive parser's use of the stack.
//!
//! ```
//! use sigil_compiler::limits::{MAX_DEPTH, MAX_NODES};
//! let deep = format!("title: t\ndetection: {}x{}\n", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
//! let loaded = sigil_compiler::load_str("deep.yml".as_ref(), &deep, &Default::default());
//! assert_eq!(loaded.diagnostics[0].code, sigil_compiler::Code::YamlLimit);
//! # let _ = MAX_NODES;
//! ```

/// Largest rule file read, in bytes (larger files are refused with an error).
pub const MAX_RULE_FILE_BYTES: u64 = 16 << 20;

/// Most YAML nodes (scalars, sequences, mappings, counting alias expansions) one file may hold.
pub const MAX_NODES: usize = 500_000;

/// Deepest nesting of any tree the compiler walks recursively: YAML sequences and mappings in a
/// rule file, and the parts of a `|re` value searched for literals (deeper parts of a regex are
/// matched, but require no literal).
pub const MAX_DEPTH: usize = 64;

/// Most variants one rule value may expand to (`expand` and the encoders multiply them).
pub const MAX_VARIANTS: usize = 4096;

/// Largest compiled `|re` value, in bytes of its NFA.
pub const REGEX_SIZE_LIMIT: usize = 4 << 20;
