//! The key layouts AWS delivers logs under, and what a hunt can leave unlisted or unread.
//!
//! AWS services write their logs to S3 under documented keys:
//!
//! ```text
//! [prefix/]AWSLogs/[o-<org>/]<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<id>.json.gz
//! [prefix/]AWSLogs/<account>/CloudTrail-Digest/...                     integrity digests, never events
//! [prefix/]AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/...
//! [prefix/]AWSLogs/<account>/elasticloadbalancing/<region>/YYYY/MM/DD/...
//! [prefix/]AWSLogs/<account>/GuardDuty/<region>/YYYY/MM/DD/<uuid>.jsonl.gz
//! [prefix/]AWSLogs/<account>/Config/<region>/YYYY/M/D/ConfigHistory/...
//! [prefix/]AWSLogs/<account>/WAFLogs/<region>/<web-acl>/YYYY/MM/DD/HH/mm/...
//! [prefix/]YYYY/MM/DD/HH/<stream>-...                                  Firehose (WAF and others)
//! ```
//!
//! A folder's path (a common prefix of a delimiter listing) is read into a place: the
//! account, the service, the region and the date it stands for, and what the level below it
//! holds. [`judge_folder`] then says whether the folder can hold anything the [`Filter`]
//! (`--account`, `--region`, `--from`, `--to`) lets through, and if so whether its
//! subfolders are worth judging one by one ([`Listing::Explore`]) or it is cheaper to list
//! everything under it at once ([`Listing::Flat`]). [`judge_key`] does the same for one
//! object, adding the engine's name rules ([`name_skip`]: digests, AWS probe objects) and the
//! delivery time in a CloudTrail file name.
//!
//! # Time
//!
//! The dates in these paths, and in CloudTrail file names, are delivery times: a folder
//! `2026/11/02/` holds files delivered that day (UTC), and a file never holds an event later
//! than its delivery. Events are delivered late, though, by a bounded delay: about 15
//! minutes for CloudTrail, VPC Flow Logs, load balancers and Firehose (an hour is allowed,
//! [`DELIVERY_MARGIN`]), up to 6 hours for GuardDuty exports ([`GUARDDUTY_MARGIN`]); AWS
//! Config snapshots hold items captured at any time before, so their folders are never
//! pruned by `--to`. A folder covering delivery times `[start, end)` is pruned when
//! `end + 1 hour <= from` (the hour allows for Firehose, which names a file's folder after
//! its first record) or when `start - delay > to`.
//!
//! ```
//! use sigil_aws::layout::{Filter, Listing, Pruned, judge_folder, judge_key};
//! use sigil_engine::input::SkipReason;
//!
//! let filter = Filter {
//!     from: Some("2026-11-02T00:00:00Z".parse()?),
//!     to: Some("2026-11-02T06:00:00Z".parse()?),
//!     regions: vec!["us-east-1".into()],
//!     ..Filter::default()
//! };
//! let trail = "AWSLogs/111122223333/CloudTrail/";
//! assert_eq!(judge_folder(&format!("{trail}us-east-1/"), &filter), Ok(Listing::Explore));
//! assert_eq!(judge_folder(&format!("{trail}eu-west-1/"), &filter), Err(Pruned::Region));
//! assert_eq!(judge_folder(&format!("{trail}us-east-1/2026/10/"), &filter), Err(Pruned::Time));
//! assert_eq!(judge_folder(&format!("{trail}us-east-1/2026/11/02/"), &filter), Ok(Listing::Explore));
//! let late = format!(
//!     "{trail}us-east-1/2026/11/02/111122223333_CloudTrail_us-east-1_20261102T2305Z_abcdefghijklmnop.json.gz"
//! );
//! assert_eq!(judge_key(&late, &filter), Err(Pruned::Skip(SkipReason::DeliveredAfterTo)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::path::Path;

use jiff::civil::{Date, DateTime};
use jiff::{SignedDuration, Timestamp, ToSpan};
use sigil_engine::input::{SkipReason, delivery_skip, name_skip};

/// How long after `--to` a file may still hold events up to `--to`, for logs delivered
/// within about 15 minutes (CloudTrail, VPC Flow Logs, load balancers, WAF, Firehose): the
/// engine's rule for local files.
pub use sigil_engine::input::DELIVERY_MARGIN;

/// How long after `--to` a GuardDuty export may still hold findings updated up to `--to`
/// (exports run every 6 hours by default).
pub const GUARDDUTY_MARGIN: SignedDuration = SignedDuration::from_hours(7);

/// How long before its folder's time a file may hold events: Firehose names the folder after
/// the arrival of a file's first record, and buffers up to 15 minutes more.
const EARLY_MARGIN: SignedDuration = SignedDuration::from_hours(1);

/// The services whose folder under an account is followed by a region folder.
const REGIONAL_SERVICES: &[&str] = &[
    "CloudTrail",
    "CloudTrail-Insight",
    "vpcflowlogs",
    "elasticloadbalancing",
    "GuardDuty",
    "Config",
    "WAFLogs",
];

/// What a hunt lets through: the `--from`/`--to`, `--account` and `--region` options.
/// Empty lists and `None` let everything through.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only events at or after this time.
    pub from: Option<Timestamp>,
    /// Only events at or before this time.
    pub to: Option<Timestamp>,
    /// Only these accounts (12-digit ids), where the key layout names an account.
    pub accounts: Vec<String>,
    /// Only these regions, where the key layout names a region.
    pub regions: Vec<String>,
}

impl Filter {
    fn has_time(&self) -> bool {
        self.from.is_some() || self.to.is_some()
    }
}

/// How a folder that may hold events is listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// With a delimiter, so that each subfolder is judged before it is listed.
    Explore,
    /// All at once, without a delimiter: no subfolder can be left out.
    Flat,
}

/// Why a folder or an object is left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pruned {
    /// It holds no events, as the local walker judges by name (digests, probe objects).
    Skip(SkipReason),
    /// Its account is not among `--account`.
    Account,
    /// Its region is not among `--region`.
    Region,
    /// Its delivery time shows it holds no event within `--from`/`--to`.
    Time,
}

impl fmt::Display for Pruned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pruned::Skip(reason) => reason.fmt(f),
            Pruned::Account => f.write_str("account not among --account"),
            Pruned::Region => f.write_str("region not among --region"),
            Pruned::Time => f.write_str("delivered outside --from/--to: holds no event in range"),
        }
    }
}

/// Judges a folder, `path` being its full key prefix from the bucket's root, ending with `/`
/// (as delimiter listings return them): `Err` if nothing under it can pass `filter`,
/// otherwise how to list it.
pub fn judge_folder(path: &str, filter: &Filter) -> Result<Listing, Pruned> {
    let place = Place::of(folders(path));
    place.check(filter)?;
    Ok(place.listing(filter))
}

/// How to list the prefix a hunt was given (`s3://bucket/<prefix>`): never pruned, since
/// the user asked for it, but explored unless nothing under it can be pruned. A prefix that
/// does not end with `/` is explored, to judge the folders it matches.
pub fn root_listing(prefix: &str, filter: &Filter) -> Listing {
    match prefix.rsplit_once('/') {
        Some((folder, "")) => Place::of(folders(folder)).listing(filter),
        _ => Listing::Explore,
    }
}

/// Judges an object by its key: `Err` if it holds no event that can pass `filter`, judging
/// by its name (the engine's [`name_skip`]), its folders, and the delivery time in a
/// CloudTrail file's name (delivered before `--from`, or over [`DELIVERY_MARGIN`] after
/// `--to`), as the local walker and hunt driver judge files, with the same reasons.
pub fn judge_key(key: &str, filter: &Filter) -> Result<(), Pruned> {
    let path = Path::new(key);
    if let Some(reason) = name_skip(path) {
        return Err(Pruned::Skip(reason));
    }
    let parent = key.rsplit_once('/').map_or("", |(folder, _)| folder);
    Place::of(folders(parent)).check(filter)?;
    match delivery_skip(path, filter.from, filter.to) {
        Some(reason) => Err(Pruned::Skip(reason)),
        None => Ok(()),
    }
}

/// The folder names of a path, without the empty name after a trailing `/`.
fn folders(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|name| !name.is_empty())
}

/// What the next level below a folder holds, as far as the layout tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Next {
    /// Nothing known (outside `AWSLogs/`, or an unknown service).
    Unknown,
    /// Below `AWSLogs/`: an account, or an organisation id.
    AccountOrOrg,
    /// Below `o-<org>/`: an account.
    Account,
    /// Below an account: a service.
    Service,
    /// Below a regional service: a region.
    Region,
    /// Below a WAF region: a web ACL.
    WebAcl,
    /// The date part of this index (0 year, 1 month, 2 day, 3 hour, 4 minute).
    Date(usize),
    /// Below a date, or a date that stopped: nothing more to recognise.
    Below,
}

/// Where a folder sits in an AWS layout.
#[derive(Debug, Clone)]
struct Place<'a> {
    account: Option<&'a str>,
    service: Option<&'a str>,
    region: Option<&'a str>,
    /// Year, month, day, hour, minute: the first `date_parts` are known.
    date: [i16; 5],
    date_parts: usize,
    /// Whether a folder on the way is `CloudTrail-Digest`.
    digest: bool,
    next: Next,
}

impl<'a> Place<'a> {
    /// Reads the folders of a path from the bucket's root.
    fn of(names: impl Iterator<Item = &'a str>) -> Place<'a> {
        let mut place = Place {
            account: None,
            service: None,
            region: None,
            date: [0; 5],
            date_parts: 0,
            digest: false,
            next: Next::Unknown,
        };
        for name in names {
            place.digest |= name == "CloudTrail-Digest";
            place.next = place.step(name);
        }
        place
    }

    /// Takes the folder `name` one level down, and says what the level below it holds.
    fn step(&mut self, name: &'a str) -> Next {
        match self.next {
            Next::Unknown if name == "AWSLogs" => Next::AccountOrOrg,
            Next::Unknown | Next::Date(0) => match self.date_part(0, name) {
                true => Next::Date(1),
                false => Next::Unknown,
            },
            Next::AccountOrOrg if is_org(name) => Next::Account,
            Next::AccountOrOrg | Next::Account if is_account(name) => {
                self.account = Some(name);
                Next::Service
            }
            Next::AccountOrOrg | Next::Account => Next::Unknown,
            Next::Service => {
                self.service = Some(name);
                match REGIONAL_SERVICES.contains(&name) {
                    true => Next::Region,
                    false => Next::Unknown,
                }
            }
            Next::Region => {
                self.region = Some(name);
                match self.service {
                    Some("WAFLogs") => Next::WebAcl,
                    _ => Next::Date(0),
                }
            }
            Next::WebAcl => Next::Date(0),
            Next::Date(part) => match self.date_part(part, name) {
                true if part + 1 < self.date_depth() => Next::Date(part + 1),
                _ => Next::Below,
            },
            Next::Below => Next::Below,
        }
    }

    /// How many date parts the layout has: down to the minute for WAF's own delivery, to the
    /// hour elsewhere (Firehose; CloudTrail and others stop at the day, and files follow).
    fn date_depth(&self) -> usize {
        match self.service {
            Some("WAFLogs") => 5,
            _ => 4,
        }
    }

    /// Records `name` as date part `part` if it is one (and the date so far stays valid).
    fn date_part(&mut self, part: usize, name: &str) -> bool {
        let digits =
            name.len() <= 4 && !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit());
        let Some(value) = digits.then(|| name.parse::<i16>().ok()).flatten() else {
            return false;
        };
        let fits = match part {
            0 => name.len() == 4 && (1970..=2100).contains(&value),
            1 => name.len() <= 2 && (1..=12).contains(&value),
            2 => {
                name.len() <= 2 && Date::new(self.date[0], self.date[1] as i8, value as i8).is_ok()
            }
            3 => name.len() == 2 && (0..=23).contains(&value),
            _ => name.len() == 2 && (0..=59).contains(&value),
        };
        if fits {
            self.date[part] = value;
            self.date_parts = part + 1;
        }
        fits
    }

    /// The delivery times `[start, end)` the folder's date covers, if it has one.
    fn interval(&self) -> Option<(Timestamp, Timestamp)> {
        let [year, month, day, hour, minute] = self.date;
        let (month, day) = (month.max(1) as i8, day.max(1) as i8);
        let start = DateTime::new(year, month, day, hour as i8, minute as i8, 0, 0).ok()?;
        let step = match self.date_parts {
            0 => return None,
            1 => 1.year(),
            2 => 1.month(),
            3 => 1.day(),
            4 => 1.hour(),
            _ => 1.minute(),
        };
        let end = start.checked_add(step).ok()?;
        let utc = |time: DateTime| time.to_zoned(jiff::tz::TimeZone::UTC).ok();
        Some((utc(start)?.timestamp(), utc(end)?.timestamp()))
    }

    /// How long after its delivery folder an event may be delivered: `None` if unbounded.
    fn delivery_delay(&self) -> Option<SignedDuration> {
        match self.service {
            Some("Config") => None,
            Some("GuardDuty") => Some(GUARDDUTY_MARGIN),
            _ => Some(DELIVERY_MARGIN),
        }
    }

    /// Whether anything under the folder can pass `filter`.
    fn check(&self, filter: &Filter) -> Result<(), Pruned> {
        if self.digest {
            return Err(Pruned::Skip(SkipReason::CloudTrailDigest));
        }
        let outside = |value: Option<&str>, allowed: &[String]| {
            value.is_some_and(|value| !allowed.is_empty() && !allowed.iter().any(|a| a == value))
        };
        if outside(self.account, &filter.accounts) {
            return Err(Pruned::Account);
        }
        if outside(self.region, &filter.regions) {
            return Err(Pruned::Region);
        }
        if let Some((start, end)) = self.interval() {
            let early = filter.from.is_some_and(|from| {
                end.saturating_add(EARLY_MARGIN)
                    .is_ok_and(|end| end <= from)
            });
            let late = match (filter.to, self.delivery_delay()) {
                (Some(to), Some(delay)) => {
                    start.saturating_sub(delay).is_ok_and(|start| start > to)
                }
                _ => false,
            };
            if early || late {
                return Err(Pruned::Time);
            }
        }
        Ok(())
    }

    /// How to list the folder, once it is known to be worth listing: explored where a filter
    /// or a digest folder can prune the levels below, flat otherwise.
    fn listing(&self, filter: &Filter) -> Listing {
        let explore = match self.next {
            Next::Unknown | Next::AccountOrOrg | Next::Account | Next::Service => true,
            Next::Region => !filter.regions.is_empty() || filter.has_time(),
            Next::WebAcl | Next::Date(_) => filter.has_time(),
            Next::Below => false,
        };
        match explore {
            true => Listing::Explore,
            false => Listing::Flat,
        }
    }
}

/// An organisation id as CloudTrail organisation trails name their folder: `o-` and 10 to
/// 32 lowercase letters or digits.
fn is_org(name: &str) -> bool {
    name.strip_prefix("o-").is_some_and(|id| {
        (10..=32).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

/// An AWS account id: 12 digits.
fn is_account(name: &str) -> bool {
    name.len() == 12 && name.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests;
