//! The inputs of `hunt`, `metrics` and `explain`: local paths and `s3://` locations, in
//! command-line order, with the options of S3.

use super::progress::Progress;
use sigil_aws::layout::Filter;
use sigil_aws::{ClientOptions, Entry, S3Counts, S3Options, S3Source, S3Stats, S3Url};
use sigil_engine::{LocalSource, Source, SourceItem, Total};
use std::collections::VecDeque;
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

/// How `s3://` inputs are read.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct S3Args {
    /// The AWS profile of the shared config files for `s3://` inputs (default: AWS_PROFILE).
    #[arg(long, value_name = "NAME", help_heading = "S3 inputs")]
    profile: Option<String>,
    /// The S3 endpoint, for S3-compatible stores (default: AWS_ENDPOINT_URL); may be http://.
    #[arg(long, value_name = "URL", help_heading = "S3 inputs")]
    endpoint_url: Option<String>,
    /// Only these accounts, where the AWS key layout names one (comma-separated, repeatable).
    #[arg(
        long,
        value_name = "ID",
        value_delimiter = ',',
        help_heading = "S3 inputs"
    )]
    account: Vec<String>,
    /// Only these regions, where the AWS key layout names one (comma-separated, repeatable).
    #[arg(
        long,
        value_name = "REGION",
        value_delimiter = ',',
        help_heading = "S3 inputs"
    )]
    region: Vec<String>,
    /// Accept the charges of requester-pays buckets.
    #[arg(long, help_heading = "S3 inputs")]
    request_payer: bool,
}

/// The inputs of a command line as one source: each run of local paths read by a
/// [`LocalSource`], each run of `s3://` locations by an [`S3Source`], in order.
pub struct Inputs {
    parts: VecDeque<Box<dyn Source>>,
    total: Option<Total>,
    s3: Vec<Arc<S3Stats>>,
}

impl Inputs {
    /// Opens `inputs`; `from` and `to` prune the S3 listings (`--from`/`--to`).
    pub fn open(
        inputs: &[PathBuf],
        s3: &S3Args,
        from: Option<jiff::Timestamp>,
        to: Option<jiff::Timestamp>,
    ) -> Result<Inputs, String> {
        let mut parts: VecDeque<Box<dyn Source>> = VecDeque::new();
        let mut stats = Vec::new();
        let mut local = Vec::new();
        let mut urls = Vec::new();
        let mut all_local = true;
        for input in inputs {
            let text = input.to_string_lossy();
            match S3Url::parse(&text) {
                Some(url) => {
                    all_local = false;
                    if !local.is_empty() {
                        parts.push_back(Box::new(LocalSource::new(&std::mem::take(&mut local))));
                    }
                    urls.push(url.map_err(|e| e.to_string())?);
                }
                None => {
                    if !urls.is_empty() {
                        let source = s3.source(std::mem::take(&mut urls), from, to)?;
                        stats.push(source.stats());
                        parts.push_back(Box::new(source));
                    }
                    local.push(input.clone());
                }
            }
        }
        if !urls.is_empty() {
            let source = s3.source(urls, from, to)?;
            stats.push(source.stats());
            parts.push_back(Box::new(source));
        }
        if !local.is_empty() {
            parts.push_back(Box::new(LocalSource::new(&local)));
        }
        // Only local inputs are sized up front.
        let total = match all_local {
            true => parts.front().and_then(|part| part.total()),
            false => None,
        };
        Ok(Inputs {
            parts,
            total,
            s3: stats,
        })
    }

    /// The counters of the S3 reads, live.
    pub fn s3(&self) -> S3Meter {
        S3Meter(self.s3.clone())
    }
}

/// The counters of every S3 source of a command line.
#[derive(Clone)]
pub struct S3Meter(Vec<Arc<S3Stats>>);

impl S3Meter {
    /// What the S3 reads did so far; `None` without `s3://` inputs.
    pub fn counts(&self) -> Option<S3Counts> {
        self.0
            .iter()
            .map(|stats| stats.snapshot())
            .reduce(|mut all, counts| {
                all += counts;
                all
            })
    }
}

impl Source for Inputs {
    fn next(&mut self) -> Option<SourceItem> {
        loop {
            let part = self.parts.front_mut()?;
            if let Some(item) = part.next() {
                return Some(item);
            }
            self.parts.pop_front();
        }
    }

    fn total(&self) -> Option<Total> {
        self.total
    }
}

impl S3Args {
    /// The text of the object `path` names, if it is an `s3://bucket/key` URL; `None` for a
    /// local path.
    pub fn read_object(&self, path: &std::path::Path) -> Result<Option<String>, String> {
        let name = path.to_string_lossy();
        let Some(url) = S3Url::parse(&name) else {
            return Ok(None);
        };
        let url = url.map_err(|e| e.to_string())?;
        let key = url.prefix.clone();
        for entry in self.source(vec![url], None, None)? {
            match entry {
                Entry::Object(mut object) if object.key == key => {
                    let mut text = String::new();
                    object
                        .body
                        .read_to_string(&mut text)
                        .map_err(|e| format!("{name}: {e}"))?;
                    return Ok(Some(text));
                }
                Entry::Failed { url, error } if url.ends_with(&key) => {
                    return Err(format!("{url}: {error}"));
                }
                _ => {}
            }
        }
        Err(format!("{name}: no such object"))
    }

    /// An S3 source for `urls`.
    fn source(
        &self,
        urls: Vec<S3Url>,
        from: Option<jiff::Timestamp>,
        to: Option<jiff::Timestamp>,
    ) -> Result<S3Source, String> {
        let options = S3Options {
            client: ClientOptions {
                profile: self.profile.clone(),
                endpoint_url: self.endpoint_url.clone(),
                request_payer: self.request_payer,
                ..ClientOptions::default()
            },
            filter: Filter {
                from,
                to,
                accounts: self.account.clone(),
                regions: self.region.clone(),
            },
            ..S3Options::default()
        };
        S3Source::open(urls, options).map_err(|e| format!("cannot start reading S3: {e}"))
    }
}

impl Inputs {
    /// `progress`, saying first what the S3 reads did when there are `s3://` inputs: objects
    /// listed and done, bytes received.
    pub fn progress(&self, progress: Progress) -> Progress {
        if self.s3.is_empty() {
            return progress;
        }
        let meter = self.s3();
        progress.with_detail(move || {
            let counts = meter.counts().unwrap_or_default();
            format!(
                "s3: {} listed, {} done, {} received;",
                counts.objects_listed,
                counts.objects_done + counts.objects_failed,
                indicatif::HumanBytes(counts.bytes)
            )
        })
    }

    /// Prints the S3 line of `--stats`, when there are `s3://` inputs.
    pub fn print_stats(&self) {
        let Some(counts) = self.s3().counts() else {
            return;
        };
        eprintln!(
            "s3:       {} objects listed, {} skipped by key, {} folders pruned, {} list requests; \
             {} objects fetched, {} failed, {} in {} GET requests, {} retries, {} resumed",
            counts.objects_listed,
            counts.objects_skipped,
            counts.prefixes_pruned,
            counts.list_requests,
            counts.objects_done,
            counts.objects_failed,
            indicatif::HumanBytes(counts.bytes),
            counts.get_requests,
            counts.retries(),
            counts.resumed,
        );
    }
}
