//! `sigil-corpus`: generate seeded AWS log corpora with planted attacks.
//!
//! ```text
//! sigil-corpus generate --seed 7 --sources cloudtrail,waf --events 100000 --layout s3 --out DIR
//! sigil-corpus generate --sources cloudtrail --mb 1024 --out DIR
//! sigil-corpus generate --sources cloudtrail --mb 10000 --out - | sigil hunt -r rules -
//! sigil-corpus sample --out corpus/samples
//! ```

use std::io::BufWriter;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, Parser, Subcommand};
use sigil_corpus::{Config, Generator, Layout, Size, Source, Summary};

#[derive(Parser)]
#[command(
    name = "sigil-corpus",
    version,
    about = "Seeded generator of realistic AWS logs with planted attacks"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate a corpus and its ground-truth.jsonl.
    Generate(GenerateArgs),
    /// Write the small sample corpus committed under corpus/samples.
    Sample {
        /// Output folder.
        #[arg(long, default_value = "corpus/samples")]
        out: PathBuf,
    },
}

#[derive(Args)]
struct GenerateArgs {
    /// Seed; the same arguments give byte-identical output.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Comma-separated sources: cloudtrail, waf, vpcflow, alb, cloudfront, guardduty.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "cloudtrail,waf,vpcflow,alb,cloudfront,guardduty"
    )]
    sources: Vec<Source>,
    /// Benign records per source (planted records come on top).
    #[arg(long, conflicts_with = "mb")]
    events: Option<u64>,
    /// Approximate uncompressed megabytes per source.
    #[arg(long)]
    mb: Option<f64>,
    /// flat (alias ndjson): one plain file per source; s3: AWS delivery layout, gzipped;
    /// mixed: flat for alb and cloudfront, s3 for the others.
    #[arg(long, default_value = "flat")]
    layout: Layout,
    /// Time of the first record (RFC 3339).
    #[arg(long, default_value = "2026-10-01T00:00:00Z")]
    start: jiff::Timestamp,
    /// Time covered by each source, e.g. 1h, 30m, 2d.
    #[arg(long, default_value = "1h")]
    span: jiff::SignedDuration,
    /// How many times each scenario is planted in each of its sources.
    #[arg(long, default_value_t = 1)]
    plants: u32,
    /// Output folder; `-` writes the records to standard output instead, one a line, without
    /// ground truth (JSON sources only: cloudtrail, waf, guardduty).
    #[arg(long)]
    out: PathBuf,
}

fn report(summary: &Summary, out: &std::path::Path, started: Instant) {
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "wrote {} records ({} planted) in {} files to {} — {:.1} MB uncompressed in {:.2} s ({:.0} MB/s)",
        summary.records,
        summary.planted,
        summary.files,
        out.display(),
        summary.record_bytes as f64 / 1e6,
        seconds,
        summary.record_bytes as f64 / 1e6 / seconds.max(1e-9)
    );
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let started = Instant::now();
    let (result, out) = match cli.command {
        Command::Generate(args) => {
            let size = match (args.events, args.mb) {
                (_, Some(megabytes)) => Size::Megabytes(megabytes),
                (Some(events), None) => Size::Events(events),
                (None, None) => Config::default().size,
            };
            let config = Config {
                seed: args.seed,
                start: args.start,
                span: args.span,
                sources: args.sources,
                size,
                layout: args.layout,
                plants_per_scenario: args.plants,
            };
            let generator = Generator::new(config);
            let result = if args.out.as_os_str() == "-" {
                let stdout = std::io::stdout().lock();
                generator.write_ndjson(&mut BufWriter::with_capacity(1 << 20, stdout))
            } else {
                generator.write(&args.out)
            };
            (result, args.out)
        }
        Command::Sample { out } => (sigil_corpus::write_sample(&out), out),
    };
    match result {
        Ok(summary) => {
            report(&summary, &out, started);
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("sigil-corpus: {}: {error}", out.display());
            ExitCode::FAILURE
        }
    }
}
