//! Sigil's scanning engine: inputs in, matches out.
//!
//! The pipeline, one module per stage:
//!
//! 1. [`input`]: find files (folders walked, digests skipped), open them (memory map, gzip,
//!    zstd, stdin) and read them in blocks of whole records;
//! 2. [`framing`]: cut a block into records (NDJSON lines, the CloudTrail `{"Records":[...]}`
//!    envelope, JSON arrays, concatenated objects) without parsing them;
//! 3. [`scan`]: parse each record (simd-json), tag its [`logsource`], and [`eval`]uate the
//!    rules that apply to it;
//! 4. [`sink`]: write matches (JSONL, CSV, table);
//! 5. [`mod@hunt`]: the parallel driver that runs it all over many inputs, in input order.
//!
//! A pipeline embeds the engine by loading rules with `sigil_compiler`, building an [`Engine`]
//! once, and giving each thread its own [`Scanner`]:
//!
//! ```
//! use sigil_engine::{Engine, ScanOptions};
//! let rules = sigil_compiler::load_str(
//!     "stop.yml".as_ref(),
//!     "title: CloudTrail stopped\nlogsource: {product: aws, service: cloudtrail}\n\
//!      detection:\n  sel: {eventName: StopLogging}\n  condition: sel\n",
//!     &Default::default(),
//! );
//! let engine = Engine::new(rules.rules, ScanOptions::default());
//! let mut scanner = engine.scanner();
//! let event = br#"{"eventVersion":"1.09","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging"}"#;
//! let found = scanner.scan(event).unwrap();
//! assert_eq!(found.rules.len(), 1);
//! ```

#![deny(missing_docs)]

mod blocks;
pub mod correlate;
pub mod eval;
pub mod formats;
pub mod framing;
pub mod hunt;
pub mod input;
pub mod logsource;
pub mod prefilter;
pub mod ruletest;
pub mod scan;
pub mod sink;
pub mod time;

pub use hunt::{HuntOptions, HuntStats, hunt};
pub use scan::{Engine, RecordError, RecordMatches, ScanOptions, Scanner};
