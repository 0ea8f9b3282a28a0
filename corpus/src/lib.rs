//! Seeded generator of realistic AWS logs with planted attacks and a ground-truth file.
//!
//! The same [`Config`] (above all the same seed) always produces the same bytes: every random
//! choice comes from ChaCha8 streams derived from the seed, times start at a fixed instant
//! ([`Config::start`], default `2026-10-01T00:00:00Z`) and never read the system clock, gzip
//! members carry mtime 0 and no file name, and no output depends on hash-map order.
//!
//! Sources ([`Source`]): CloudTrail records, AWS WAF logs, VPC Flow Logs (default v2 format and a
//! custom v5 format), ALB access logs, CloudFront standard logs and GuardDuty findings. All
//! describe one simulated organisation (account, users, roles, instances, load balancers), and
//! each plants its share of the attack [`Scenario`]s among benign records built to resemble
//! them (console logins with MFA, benign 403s, security-group rules for private ranges, ...).
//!
//! ```
//! use sigil_corpus::{Config, Generator, Size, Source};
//!
//! let generator = Generator::new(Config {
//!     seed: 7,
//!     size: Size::Events(50),
//!     ..Config::default()
//! });
//! let records: Vec<_> = generator.stream(Source::CloudTrail).collect();
//! assert!(records.len() > 50); // 50 benign records plus the planted ones
//! assert!(records.windows(2).all(|pair| pair[0].time_ms <= pair[1].time_ms));
//! assert!(records.iter().any(|record| record.plant.is_some()));
//! ```
//!
//! [`Generator::write`] writes a whole corpus to a folder in one of the [`Layout`]s, with
//! `ground-truth.jsonl` beside it; [`Generator::write_ndjson`] writes the JSON sources as one
//! NDJSON stream (standard output, a pipe); [`write_sample`] writes the small sample committed
//! under `corpus/samples/`.
#![deny(missing_docs)]

mod alb;
mod cloudfront;
mod cloudtrail;
mod guardduty;
mod ids;
mod json;
mod layout;
mod net;
mod pick;
mod scenario;
mod stream;
mod time;
mod vpcflow;
mod waf;
mod web;
mod world;

use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

pub use alb::ALB_FIELDS;
pub use cloudfront::CLOUDFRONT_FIELDS;
pub use guardduty::PLANTED_TYPES as PLANTED_GUARDDUTY_TYPES;
pub use layout::{GROUND_TRUTH_FILE, Layout, Summary};
pub use scenario::{GroundTruth, Plant, Scenario};
pub use stream::{Record, RecordInfo, RecordStream, StreamSpec};
pub use vpcflow::{V2_FIELDS, V5_FIELDS};

use pick::rng_for;
use stream::SourceGen;
use time::Millis;
use world::World;

/// A kind of AWS log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// CloudTrail management (and some data) events.
    CloudTrail,
    /// AWS WAF web ACL logs (NDJSON).
    Waf,
    /// VPC Flow Logs (space-separated text with a header line).
    VpcFlow,
    /// Application Load Balancer access logs.
    Alb,
    /// CloudFront standard (legacy) access logs.
    CloudFront,
    /// GuardDuty findings as exported to S3.
    GuardDuty,
}

impl Source {
    /// Every source, in generation order.
    pub const ALL: [Source; 6] = [
        Source::CloudTrail,
        Source::Waf,
        Source::VpcFlow,
        Source::Alb,
        Source::CloudFront,
        Source::GuardDuty,
    ];

    /// The lower-case name used on the command line and in `ground-truth.jsonl`.
    pub fn name(self) -> &'static str {
        match self {
            Source::CloudTrail => "cloudtrail",
            Source::Waf => "waf",
            Source::VpcFlow => "vpcflow",
            Source::Alb => "alb",
            Source::CloudFront => "cloudfront",
            Source::GuardDuty => "guardduty",
        }
    }

    /// Whether its records are JSON objects (CloudTrail, WAF, GuardDuty), which can share one
    /// NDJSON stream; the others are text lines whose fields depend on their file's header.
    pub fn is_json(self) -> bool {
        matches!(self, Source::CloudTrail | Source::Waf | Source::GuardDuty)
    }

    /// Index of this source among [`Source::ALL`], used to derive its RNG streams.
    fn index(self) -> u64 {
        Source::ALL.iter().position(|&s| s == self).unwrap_or(0) as u64
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Source {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        Source::ALL
            .into_iter()
            .find(|source| source.name() == text)
            .ok_or_else(|| {
                let names: Vec<&str> = Source::ALL.iter().map(|s| s.name()).collect();
                format!(
                    "unknown source `{text}` (expected one of {})",
                    names.join(", ")
                )
            })
    }
}

/// How much to generate, per source.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Size {
    /// This many benign records per source; planted records come on top.
    Events(u64),
    /// About this many megabytes (10^6 bytes) of uncompressed records per source.
    Megabytes(f64),
}

/// What to generate.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// The seed: equal configs give byte-identical output.
    pub seed: u64,
    /// Time of the first record.
    pub start: jiff::Timestamp,
    /// Time covered by each source's records.
    pub span: jiff::SignedDuration,
    /// The sources to generate, each into its own files.
    pub sources: Vec<Source>,
    /// Records per source.
    pub size: Size,
    /// File layout for [`Generator::write`].
    pub layout: Layout,
    /// How many times each scenario is planted in each of its sources.
    pub plants_per_scenario: u32,
}

impl Default for Config {
    /// Seed 1, all sources, 1,000 records each over one hour from 2026-10-01T00:00:00Z,
    /// flat layout, each scenario planted once.
    fn default() -> Self {
        Config {
            seed: 1,
            start: DEFAULT_START,
            span: jiff::SignedDuration::from_hours(1),
            sources: Source::ALL.to_vec(),
            size: Size::Events(1_000),
            layout: Layout::Flat,
            plants_per_scenario: 1,
        }
    }
}

/// The default start time, 2026-10-01T00:00:00Z.
pub const DEFAULT_START: jiff::Timestamp = jiff::Timestamp::constant(1_790_812_800, 0);

/// Generates corpora from a [`Config`].
pub struct Generator {
    config: Config,
    world: Arc<World>,
}

/// RNG stream numbers: the world, then per source one each for records, the clock (times and
/// planting positions) and the file layout.
const WORLD_STREAM: u64 = 0;
const RECORD_STREAM_BASE: u64 = 100;
const CLOCK_STREAM_BASE: u64 = 150;
const LAYOUT_STREAM_BASE: u64 = 200;
/// Benign records generated to estimate the mean record size for [`Size::Megabytes`].
const PILOT_RECORDS: u64 = 400;

impl Generator {
    /// A generator for `config`; draws the simulated organisation from the seed.
    pub fn new(config: Config) -> Self {
        let world = Arc::new(World::new(&mut rng_for(config.seed, WORLD_STREAM)));
        Generator { config, world }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The time-ordered records of one source.
    pub fn stream(&self, source: Source) -> RecordStream {
        let benign = match self.config.size {
            Size::Events(count) => count,
            Size::Megabytes(megabytes) => {
                let mut pilot = self.stream_with(source, PILOT_RECORDS, 0);
                let mut text = String::new();
                let mut bytes = 0u64;
                while pilot.next_into(&mut text).is_some() {
                    bytes += text.len() as u64 + 1;
                }
                let mean = bytes as f64 / PILOT_RECORDS as f64;
                (megabytes * 1e6 / mean).round().max(1.0) as u64
            }
        };
        self.stream_with(source, benign, self.config.plants_per_scenario)
    }

    fn stream_with(&self, source: Source, benign: u64, plants: u32) -> RecordStream {
        let seed = self.config.seed;
        let rng = rng_for(seed, RECORD_STREAM_BASE + source.index());
        let world = Arc::clone(&self.world);
        let generator: Box<dyn SourceGen> = match source {
            Source::CloudTrail => Box::new(cloudtrail::CloudTrailGen::new(world, rng)),
            Source::Waf => Box::new(waf::WafGen::new(world, rng)),
            Source::VpcFlow => Box::new(vpcflow::VpcFlowGen::new(world, rng)),
            Source::Alb => Box::new(alb::AlbGen::new(world, rng)),
            Source::CloudFront => Box::new(cloudfront::CloudFrontGen::new(world, rng)),
            Source::GuardDuty => Box::new(guardduty::GuardDutyGen::new(world, rng)),
        };
        RecordStream::new(
            source,
            generator,
            rng_for(seed, CLOCK_STREAM_BASE + source.index()),
            Millis(self.config.start.as_millisecond()),
            self.config.span.as_millis() as i64,
            benign,
            plants,
        )
    }

    /// Writes every configured source to `out_dir` in the configured layout, and
    /// `out_dir/ground-truth.jsonl`.
    pub fn write(&self, out_dir: &Path) -> std::io::Result<Summary> {
        layout::write_corpus(self, out_dir)
    }

    /// Writes the records of every configured source to `out`, one a line, source after source
    /// (each in time order), without ground truth: events piped into a detector without
    /// touching the disk. Only JSON sources ([`Source::is_json`]) can share one stream; any other
    /// source is an [`InvalidInput`](std::io::ErrorKind::InvalidInput) error. The summary
    /// counts no files.
    pub fn write_ndjson(&self, out: &mut dyn std::io::Write) -> std::io::Result<Summary> {
        layout::write_ndjson(self, out)
    }

    fn layout_rng(&self, source: Source) -> pick::Rng {
        rng_for(self.config.seed, LAYOUT_STREAM_BASE + source.index())
    }

    fn account(&self) -> &str {
        &self.world.account
    }
}

/// The seed of the committed sample corpus.
pub const SAMPLE_SEED: u64 = 20_261_001;

/// The configuration of the committed sample: every source, 250 benign records each over two
/// hours, [`Layout::Mixed`] (gzipped S3 layout for CloudTrail with digest files, WAF, VPC Flow
/// Logs and GuardDuty; plain text files for ALB and CloudFront).
pub fn sample_config() -> Config {
    Config {
        seed: SAMPLE_SEED,
        span: jiff::SignedDuration::from_hours(2),
        size: Size::Events(250),
        layout: Layout::Mixed,
        ..Config::default()
    }
}

/// Writes the sample corpus (see [`sample_config`]) to `out_dir`.
pub fn write_sample(out_dir: &Path) -> std::io::Result<Summary> {
    Generator::new(sample_config()).write(out_dir)
}
