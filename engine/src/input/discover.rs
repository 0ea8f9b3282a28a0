//! Discovery: expanding command-line paths into the list of inputs to read.
//!
//! The rules are documented on [`discover`], the one entry point.

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use super::{InputError, InputSource, SkipReason, Skipped};

/// What [`discover`] found.
#[derive(Debug, Default)]
pub struct Discovery {
    /// The inputs to read, in command-line order, folders expanded in sorted order.
    pub inputs: Vec<InputSource>,
    /// Files and folders left out on purpose.
    pub skipped: Vec<Skipped>,
    /// Paths that could not be listed (missing, permission denied, symlink loops).
    pub errors: Vec<InputError>,
}

/// Expands `paths` (files, folders, `-` for stdin) into inputs.
///
/// Each path given is, in order: `-` (stdin), a file (taken unless its name marks it as an AWS
/// object that holds no events), or a folder, walked recursively with entries sorted by name,
/// so that runs are reproducible. While walking, hidden entries and special files are skipped
/// too, and folders are pruned whole when hidden or named `CloudTrail-Digest`:
///
/// ```text
/// AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/…_CloudTrail_us-east-1_….json.gz   read
/// AWSLogs/111122223333/CloudTrail-Digest/                                         skipped, digests
/// AWSLogs/111122223333/CloudTrail/ConfigWritabilityCheckFile                      skipped
/// AWSLogs/aws-logs-write-test                                                     skipped
/// aws/CLOUD_TRAIL_MGMT/2.0/region=us-east-1/…/part-0001.gz.parquet                 read, row by row
/// .DS_Store, ._events.json, Thumbs.db, .git/                                      skipped, hidden
/// ```
///
/// Skips are reported, not hidden, so that statistics can count them. Content-based checks
/// (digests under other names, binary data) happen when a file is opened.
///
/// ```
/// use std::path::PathBuf;
/// use sigil_engine::input::{InputSource, discover};
///
/// let found = discover(&[PathBuf::from("-"), PathBuf::from("/no/such/file.json")]);
/// assert_eq!(found.inputs, [InputSource::Stdin]);
/// assert_eq!(found.errors.len(), 1);
/// ```
pub fn discover(paths: &[PathBuf]) -> Discovery {
    let mut found = Discovery::default();
    for path in paths {
        if path.as_os_str() == "-" {
            found.inputs.push(InputSource::Stdin);
            continue;
        }
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => found.walk(path),
            Ok(_) => found.take(path.clone(), name_skip(path)),
            Err(error) => {
                found.errors.push(InputError::Io {
                    input: InputSource::Path(path.clone()),
                    error,
                });
            }
        }
    }
    found
}

impl Discovery {
    /// Records a file as an input, or as skipped.
    fn take(&mut self, path: PathBuf, skip: Option<SkipReason>) {
        match skip {
            Some(reason) => self.skipped.push(Skipped {
                input: InputSource::Path(path),
                reason,
            }),
            None => self.inputs.push(InputSource::Path(path)),
        }
    }

    /// Walks a folder recursively, in sorted order.
    fn walk(&mut self, root: &Path) {
        let mut entries = WalkDir::new(root)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter();
        while let Some(entry) = entries.next() {
            let entry = match entry {
                Ok(entry) => entry,
                Err(error) => {
                    let path = error.path().unwrap_or(root).to_path_buf();
                    let error = std::io::Error::other(error);
                    self.errors.push(InputError::Io {
                        input: InputSource::Path(path),
                        error,
                    });
                    continue;
                }
            };
            if entry.depth() == 0 {
                continue; // the folder given, which is never skipped
            }
            let kind = entry.file_type();
            let skip = walk_skip(entry.path(), kind.is_dir());
            if kind.is_dir() {
                if let Some(reason) = skip {
                    let input = InputSource::Path(entry.into_path());
                    self.skipped.push(Skipped { input, reason });
                    entries.skip_current_dir();
                }
            } else if kind.is_file() {
                self.take(entry.into_path(), skip);
            } else {
                self.take(entry.into_path(), Some(skip.unwrap_or(SkipReason::Special)));
            }
        }
    }
}

/// Why an entry met while walking a folder is skipped: hidden entries, then [`name_skip`].
fn walk_skip(path: &Path, is_dir: bool) -> Option<SkipReason> {
    let name = path.file_name()?.to_string_lossy();
    if name.starts_with('.') || (!is_dir && name.eq_ignore_ascii_case("Thumbs.db")) {
        return Some(SkipReason::Hidden);
    }
    if is_dir {
        return (name == "CloudTrail-Digest").then_some(SkipReason::CloudTrailDigest);
    }
    name_skip(path)
}

/// Why a file is skipped, judging by its path alone: a CloudTrail digest (in a
/// `CloudTrail-Digest` folder or named `_CloudTrail-Digest_`), an AWS probe object
/// (`ConfigWritabilityCheckFile`, `aws-logs-write-test`). Object-store
/// listings apply it to keys, so that such objects are skipped without being downloaded.
///
/// ```
/// use std::path::Path;
/// use sigil_engine::input::{SkipReason, name_skip};
///
/// let digest = Path::new("AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/11/02/d.json.gz");
/// assert_eq!(name_skip(digest), Some(SkipReason::CloudTrailDigest));
/// assert_eq!(name_skip(Path::new("AWSLogs/aws-logs-write-test")), Some(SkipReason::WriteTest));
/// assert_eq!(name_skip(Path::new("trail.json.gz")), None);
/// ```
pub fn name_skip(path: &Path) -> Option<SkipReason> {
    let name = path.file_name()?.to_string_lossy();
    let in_digest_folder = path
        .components()
        .any(|part| part.as_os_str() == "CloudTrail-Digest");
    if in_digest_folder || name.contains("_CloudTrail-Digest_") {
        Some(SkipReason::CloudTrailDigest)
    } else if name == "ConfigWritabilityCheckFile" {
        Some(SkipReason::ConfigWritabilityCheck)
    } else if name.starts_with("aws-logs-write-test") {
        Some(SkipReason::WriteTest)
    } else {
        None
    }
}

/// The delivery time in a CloudTrail log file's S3 name
/// (`<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<unique>.json.gz`), if the name has one.
///
/// CloudTrail delivers a file a few minutes after the events it holds (up to about 15), so a
/// file delivered before a hunt's `--from` holds only older events and need not be opened.
///
/// ```
/// use std::path::Path;
/// use sigil_engine::input::cloudtrail_delivery_time;
///
/// let path = Path::new("AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/02/\
///     111122223333_CloudTrail_us-east-1_20261102T1005Z_abcdefghijklmnop.json.gz");
/// assert_eq!(cloudtrail_delivery_time(path).unwrap().to_string(), "2026-11-02T10:05:00Z");
/// assert!(cloudtrail_delivery_time(Path::new("events.json")).is_none());
/// ```
pub fn cloudtrail_delivery_time(path: &Path) -> Option<jiff::Timestamp> {
    let name = path.file_name()?.to_str()?;
    let (_, rest) = name.split_once("_CloudTrail_")?;
    let stamp = rest.split('_').nth(1)?;
    let civil = jiff::civil::DateTime::strptime("%Y%m%dT%H%MZ", stamp).ok()?;
    civil
        .to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|zoned| zoned.timestamp())
}

/// How long after `--to` a log file may still hold events up to `--to`, for logs AWS delivers
/// within about 15 minutes (CloudTrail, VPC Flow Logs, load balancers, WAF): an hour leaves
/// room for late deliveries.
pub const DELIVERY_MARGIN: jiff::SignedDuration = jiff::SignedDuration::from_hours(1);

/// Why a CloudTrail log file can be left unopened when only events from `from` to `to` are
/// wanted: the delivery time in its name ([`cloudtrail_delivery_time`]) shows it holds only
/// earlier events (delivered before `from`), or only later ones (delivered over
/// [`DELIVERY_MARGIN`] after `to`). `None` when it may hold events in range, or when its name
/// tells no delivery time.
///
/// ```
/// use std::path::Path;
/// use sigil_engine::input::{SkipReason, delivery_skip};
///
/// let file = Path::new("111122223333_CloudTrail_us-east-1_20261102T1005Z_abcdefghijklmnop.json.gz");
/// let from = "2026-11-02T11:00:00Z".parse().ok();
/// assert_eq!(delivery_skip(file, from, None), Some(SkipReason::DeliveredBeforeFrom));
/// let to = "2026-11-02T09:30:00Z".parse().ok();
/// assert_eq!(delivery_skip(file, None, to), None); // within the margin
/// ```
pub fn delivery_skip(
    path: &Path,
    from: Option<jiff::Timestamp>,
    to: Option<jiff::Timestamp>,
) -> Option<SkipReason> {
    if from.is_none() && to.is_none() {
        return None;
    }
    let delivered = cloudtrail_delivery_time(path)?;
    let after_to = |to: jiff::Timestamp| to.saturating_add(DELIVERY_MARGIN).unwrap_or(to);
    if from.is_some_and(|from| delivered < from) {
        Some(SkipReason::DeliveredBeforeFrom)
    } else if to.is_some_and(|to| delivered > after_to(to)) {
        Some(SkipReason::DeliveredAfterTo)
    } else {
        None
    }
}
