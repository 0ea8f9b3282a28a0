//! Scanning what a trigger brought with the engine's hunt, into [`Alert`]s.
//!
//! S3 objects are read as the hunt reads any `s3://` object: streamed from S3 through gzip
//! into the scanner, a few MiB fetched ahead ([`S3Options`]), so memory stays bounded
//! whatever the object's size, and nothing is written to disk. A CloudWatch Logs payload is
//! one in-memory document (its envelope expanded by the engine, CloudTrail records among its
//! events tagged by their content).
//!
//! Every match becomes an [`Alert`]: the hunt's match record with a stable `id` (digest of
//! the rule, the input's name, an instance and the record number), so that the same object
//! scanned again (a retried message) gives the same ids and receivers drop duplicates.
//! Correlations run over what one call scans (an object, a message, a payload).

use sigil_aws::event::ObjectCreated;
use sigil_aws::{S3Options, S3Source};
use sigil_engine::{Engine, HuntOptions, Input, InputSource, Source, SourceItem, hunt};
use sigil_watch::alert::{Alert, AlertSink};
use std::io::Cursor;

/// What one scan found.
#[derive(Debug, Default)]
pub struct Scanned {
    /// The matches, in input order.
    pub alerts: Vec<Alert>,
    /// Inputs that could not be read (fully), each with why: a retry may read them.
    pub unreadable: Vec<String>,
    /// Records read.
    pub records: u64,
    /// Records that were not readable as records (reported, not retried: they never will be).
    pub bad_records: u64,
}

/// Scans `objects`, as `s3` says to reach them.
pub fn objects(engine: &Engine, objects: Vec<ObjectCreated>, s3: &S3Options) -> Scanned {
    let urls: Vec<String> = objects.iter().map(ObjectCreated::url).collect();
    match S3Source::announced(objects, s3.clone()) {
        Ok(mut source) => run(engine, &mut source, ""),
        Err(error) => Scanned {
            unreadable: urls.iter().map(|url| format!("{url}: {error}")).collect(),
            ..Scanned::default()
        },
    }
}

/// Scans `document`, named `name`; `instance` tells this document from others of the same
/// name (for match ids).
pub fn document(engine: &Engine, name: String, instance: &str, document: Vec<u8>) -> Scanned {
    let size = Some(document.len() as u64);
    let input = Input::reader(InputSource::Url(name), Cursor::new(document), size);
    run(engine, &mut One(Some(input)), instance)
}

/// Hunts through `source`.
fn run(engine: &Engine, source: &mut dyn Source, instance: &str) -> Scanned {
    let mut sink = AlertSink::new(engine.rules());
    sink.instance(instance);
    let stats = match hunt(engine, source, &HuntOptions::default(), &mut sink) {
        Ok(stats) => stats,
        Err(error) => *error.stats,
    };
    let mut unreadable: Vec<String> = stats
        .problems
        .iter()
        .filter(|p| p.record.is_none())
        .map(|p| p.to_string())
        .collect();
    if unreadable.len() < stats.unreadable_files as usize {
        unreadable.push(format!("{} inputs unreadable", stats.unreadable_files));
    }
    Scanned {
        alerts: sink.take(),
        unreadable,
        records: stats.records,
        bad_records: stats.bad_records,
    }
}

/// A source of one input.
struct One(Option<Input>);

impl Source for One {
    fn next(&mut self) -> Option<SourceItem> {
        self.0.take().map(SourceItem::Input)
    }
}
