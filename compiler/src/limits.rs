//! Every bound the compiler puts on untrusted rules, in one place.
//!
//! Rules may come from anywhere, so no rule file may make loading (or the engine that runs the
//! compiled rules) use unbounded time, memory or stack. Each limit below is enforced where the
//! rule is read, and a rule that exceeds one is refused with a diagnostic naming the limit,
//! never cut silently.
//!
//! ```
//! use sigil_compiler::limits::{MAX_DEPTH, MAX_NODES};
//! let deep = format!("title: t\ndetection: {}x{}\n", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
//! let loaded = sigil_compiler::load_str("deep.yml".as_ref(), &deep, &Default::default());
//! assert_eq!(loaded.diagnostics[0].code, sigil_compiler::Code::YamlLimit);
//! # let _ = MAX_NODES;
//! ```

/// Largest rule file read, in bytes (larger files are refused with an error).
pub const MAX_RULE_FILE_BYTES: u64 = 16 << 20;

/// Most YAML nodes (scalars, sequences, mappings, counting alias expansions) one file may hold.
pub const MAX_NODES: usize = 500_000;

/// Most YAML documents (separated by `---`) one rule file may hold.
pub const MAX_DOCUMENTS: usize = 1024;

/// Most YAML aliases (`*name`) one rule file may use.
pub const MAX_ALIASES: usize = 50_000;

/// Deepest nesting of any tree in a rule: YAML lists and mappings in a rule file, parentheses
/// and `not`s in a condition (the grammar's bound, this same constant), and the parts of a
/// `|re` value searched for literals (deeper parts of a regex are matched, but require no
/// literal). SigmaHQ's rules nest at most 6 deep; the bound keeps every recursive walk far from
/// the end of a 2 MiB thread stack, even in a debug build.
pub use sigil_grammar::MAX_DEPTH;

/// Most variants one rule value may expand to (`expand` and the encoders multiply them).
pub const MAX_VARIANTS: usize = 4096;

/// Largest compiled `|re` value, in bytes of its NFA.
pub const REGEX_SIZE_LIMIT: usize = 4 << 20;

/// Most memory the compiled `|re` values of one load may take by default, in bytes (as
/// [`SigmaRegex::memory_usage`](crate::SigmaRegex::memory_usage) counts it; see
/// [`LoadOptions::max_regex_bytes`](crate::LoadOptions::max_regex_bytes)). A regex past it is
/// refused (S026) and not kept. The files of a folder are parsed [`LOAD_GROUP`] at a time, each
/// with its share of the room left, so the bound holds while they are parsed in parallel; a
/// file that runs out of its share is parsed again with all the room left at its turn, so the
/// rules refused are those a load one file at a time would refuse.
pub const MAX_REGEX_BYTES: usize = 256 << 20;

/// Files read in parallel before their rules join the load (see [`MAX_REGEX_BYTES`]).
pub const LOAD_GROUP: usize = 16;

/// A regex whose automaton takes at least this many bytes gets a `huge_regex` warning: matching
/// it can take milliseconds per kilobyte of text. No SigmaHQ regex but four (`.{1000,}`,
/// `(.){200,}` and the like) comes near it.
pub const LARGE_REGEX_BYTES: usize = 512 << 10;
