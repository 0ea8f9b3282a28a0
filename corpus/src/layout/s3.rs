//! The S3 layout: the object keys, file rolling and gzip files of AWS log delivery.
//!
//! Records of each stream are grouped by delivery window; a new object starts when the window
//! changes or the object reaches a record cap drawn per object (so busy windows get several
//! objects, as AWS delivers them). Object keys, per source:
//!
//! | source     | key                                                                                     |
//! |------------|-----------------------------------------------------------------------------------------|
//! | CloudTrail | `AWSLogs/<acct>/CloudTrail/<region>/YYYY/MM/DD/<acct>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<16 chars>.json.gz` |
//! | digest     | `AWSLogs/<acct>/CloudTrail-Digest/<region>/YYYY/MM/DD/<acct>_CloudTrail-Digest_<region>_<trail>_<home region>_<YYYYMMDDTHHmmssZ>.json.gz` |
//! | VPC Flow   | `AWSLogs/<acct>/vpcflowlogs/<region>/YYYY/MM/DD/<acct>_vpcflowlogs_<region>_<fl-id>_<YYYYMMDDTHHmmZ>_<8 hex>.log.gz` |
//! | ALB        | `AWSLogs/<acct>/elasticloadbalancing/<region>/YYYY/MM/DD/<acct>_elasticloadbalancing_<region>_app.<name>.<id>_<YYYYMMDDTHHmmZ>_<node ip>_<8 chars>.log.gz` |
//! | CloudFront | `cloudfront/<distribution-id>.YYYY-MM-DD-HH.<8 chars>.gz`                                 |
//! | WAF        | `waf/YYYY/MM/DD/HH/aws-waf-logs-<acl>-1-YYYY-MM-DD-HH-MM-SS-<uuid>.gz` (Firehose)         |
//! | GuardDuty  | `AWSLogs/<acct>/GuardDuty/<region>/YYYY/MM/DD/<uuid>.jsonl.gz`                            |
//!
//! CloudTrail objects hold one `{"Records":[...]}` envelope; every hour and region gets a digest
//! file listing the hour's log objects. Digest hashes and signatures are random placeholders:
//! readers must skip digests, not verify them.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use rand::Rng as _;

use super::{Sink, create_file, gzip};
use crate::Source;
use crate::ids::{hex, hex_string, lower_alnum, mixed_alnum, uuid};
use crate::json::Obj;
use crate::net::{private_ipv4, write_ip};
use crate::pick::{Rng, one};
use crate::stream::{RecordInfo, StreamSpec};
use crate::time::Millis;

/// How a source's objects roll: window width and the range of records per object.
struct Rolling {
    window_ms: i64,
    records_per_object: std::ops::RangeInclusive<u64>,
}

fn rolling(source: Source) -> Rolling {
    let (window_ms, records_per_object) = match source {
        Source::CloudTrail => (5 * Millis::MINUTE, 15..=120),
        Source::Waf => (5 * Millis::MINUTE, 500..=5_000),
        Source::VpcFlow => (5 * Millis::MINUTE, 2_000..=20_000),
        Source::Alb => (5 * Millis::MINUTE, 500..=5_000),
        Source::CloudFront => (Millis::HOUR, 200..=2_000),
        Source::GuardDuty => (15 * Millis::MINUTE, 1_000..=1_000),
    };
    Rolling {
        window_ms,
        records_per_object,
    }
}

struct OpenObject {
    path: String,
    window: Millis,
    delivered: Millis,
    writer: GzEncoder<BufWriter<File>>,
    records: u64,
    cap: u64,
    oldest: Millis,
    newest: Millis,
}

/// A CloudTrail log object as its digest lists it.
struct DeliveredLog {
    path: String,
    oldest: Millis,
    newest: Millis,
}

/// Writes one source's streams as S3 objects under `out_dir`.
pub(super) struct S3Sink {
    source: Source,
    out_dir: PathBuf,
    account: String,
    rng: Rng,
    streams: Vec<StreamSpec>,
    rolling: Rolling,
    open: Vec<Option<OpenObject>>,
    /// Last closed object per stream, so `path_of` works after a roll.
    last_path: Vec<String>,
    /// ALB node addresses per stream.
    nodes: Vec<[Ipv4Addr; 2]>,
    /// CloudTrail objects by (stream, digest hour end).
    digests: BTreeMap<(usize, i64), Vec<DeliveredLog>>,
    bucket: String,
    objects: u64,
}

impl S3Sink {
    pub(super) fn new(
        source: Source,
        out_dir: &Path,
        streams: Vec<StreamSpec>,
        account: String,
        mut rng: Rng,
    ) -> Self {
        let nodes = streams
            .iter()
            .map(|_| [private_ipv4(&mut rng, 0), private_ipv4(&mut rng, 0)])
            .collect();
        let bucket = format!("aws-cloudtrail-logs-{account}-{}", hex_string(&mut rng, 8));
        S3Sink {
            source,
            out_dir: out_dir.to_path_buf(),
            open: streams.iter().map(|_| None).collect(),
            last_path: vec![String::new(); streams.len()],
            rolling: rolling(source),
            streams,
            account,
            rng,
            nodes,
            digests: BTreeMap::new(),
            bucket,
            objects: 0,
        }
    }

    /// The key of a new object of `stream` for records in `window`, delivered at `delivered`.
    fn object_key(&mut self, stream: usize, window: Millis, delivered: Millis) -> String {
        let spec = &self.streams[stream];
        let (account, region, rng) = (&self.account, spec.region, &mut self.rng);
        let mut key = String::with_capacity(160);
        let aws_logs_prefix = |key: &mut String, service: &str| {
            key.push_str("AWSLogs/");
            key.push_str(account);
            key.push('/');
            key.push_str(service);
            key.push('/');
            key.push_str(region);
            key.push('/');
            delivered.write_date_path(key);
            key.push('/');
        };
        match self.source {
            Source::CloudTrail => {
                aws_logs_prefix(&mut key, "CloudTrail");
                key.push_str(&format!("{account}_CloudTrail_{region}_"));
                delivered.write_compact_minute(&mut key);
                key.push('_');
                mixed_alnum(rng, 16, &mut key);
                key.push_str(".json.gz");
            }
            Source::VpcFlow => {
                aws_logs_prefix(&mut key, "vpcflowlogs");
                key.push_str(&format!(
                    "{account}_vpcflowlogs_{region}_{}_",
                    spec.resource
                ));
                delivered.write_compact_minute(&mut key);
                key.push('_');
                hex(rng, 8, &mut key);
                key.push_str(".log.gz");
            }
            Source::Alb => {
                aws_logs_prefix(&mut key, "elasticloadbalancing");
                let resource = spec.resource.replace('/', ".");
                key.push_str(&format!(
                    "{account}_elasticloadbalancing_{region}_{resource}_"
                ));
                delivered.write_compact_minute(&mut key);
                key.push('_');
                write_ip(*one(rng, &self.nodes[stream]), &mut key);
                key.push('_');
                lower_alnum(rng, 8, &mut key);
                key.push_str(".log.gz");
            }
            Source::GuardDuty => {
                aws_logs_prefix(&mut key, "GuardDuty");
                uuid(rng, &mut key);
                key.push_str(".jsonl.gz");
            }
            Source::CloudFront => {
                key.push_str("cloudfront/");
                key.push_str(&spec.resource);
                key.push('.');
                window.write_date(&mut key);
                key.push('-');
                window.write_hour(&mut key);
                key.push('.');
                lower_alnum(rng, 8, &mut key);
                key.push_str(".gz");
            }
            Source::Waf => {
                key.push_str("waf/");
                delivered.write_date_path(&mut key);
                key.push('/');
                delivered.write_hour(&mut key);
                key.push_str(&format!("/aws-waf-logs-{}-1-", spec.resource));
                let stamp = delivered.format(Millis::write_iso_seconds);
                key.push_str(&stamp[..19].replace(['T', ':'], "-"));
                key.push('-');
                uuid(rng, &mut key);
                key.push_str(".gz");
            }
        }
        key
    }

    fn open_object(&mut self, stream: usize, window: Millis, time: Millis) -> io::Result<()> {
        let delay = self
            .rng
            .random_range(30 * Millis::SECOND..4 * Millis::MINUTE);
        let delivered = window.plus(self.rolling.window_ms + delay);
        let path = self.object_key(stream, window, delivered);
        let mut writer = gzip(create_file(&self.out_dir, &path)?);
        if self.source == Source::CloudTrail {
            writer.write_all(b"{\"Records\":[")?;
        } else if let Some(header) = &self.streams[stream].header {
            writer.write_all(header.as_bytes())?;
        }
        let cap = self
            .rng
            .random_range(self.rolling.records_per_object.clone());
        self.open[stream] = Some(OpenObject {
            path,
            window,
            delivered,
            writer,
            records: 0,
            cap,
            oldest: time,
            newest: time,
        });
        Ok(())
    }

    fn close_object(&mut self, stream: usize) -> io::Result<()> {
        let Some(mut object) = self.open[stream].take() else {
            return Ok(());
        };
        if self.source == Source::CloudTrail {
            object.writer.write_all(b"]}")?;
            let hour_end = object.delivered.floor(Millis::HOUR).plus(Millis::HOUR);
            self.digests
                .entry((stream, hour_end.0))
                .or_default()
                .push(DeliveredLog {
                    path: object.path.clone(),
                    oldest: object.oldest,
                    newest: object.newest,
                });
        }
        object.writer.finish()?.flush()?;
        self.last_path[stream] = object.path;
        self.objects += 1;
        Ok(())
    }

    /// Writes the CloudTrail digest files, one per stream (region) and hour with deliveries.
    fn write_digests(&mut self) -> io::Result<()> {
        let digests = std::mem::take(&mut self.digests);
        let home_region = self.streams[0].region;
        let trail = self.streams[0].resource.clone();
        let fingerprint = hex_string(&mut self.rng, 32);
        let mut previous: Vec<Option<String>> = vec![None; self.streams.len()];
        for ((stream, hour_end), logs) in digests {
            let region = self.streams[stream].region;
            let end = Millis(hour_end);
            let start = end.plus(-Millis::HOUR);
            let mut path = format!(
                "AWSLogs/{account}/CloudTrail-Digest/{region}/",
                account = self.account
            );
            end.write_date_path(&mut path);
            path.push_str(&format!(
                "/{}_CloudTrail-Digest_{region}_{trail}_{home_region}_",
                self.account
            ));
            end.write_compact_second(&mut path);
            path.push_str(".json.gz");
            let rng = &mut self.rng;
            let mut body = String::with_capacity(1024 + 400 * logs.len());
            let time = |t: Millis| t.format(Millis::write_iso_seconds);
            Obj::write(&mut body, |o| {
                o.str("awsAccountId", &self.account);
                o.str("digestStartTime", &time(start));
                o.str("digestEndTime", &time(end));
                o.str("digestS3Bucket", &self.bucket);
                o.str("digestS3Object", &path);
                o.str("digestPublicKeyFingerprint", &fingerprint);
                o.str("digestSignatureAlgorithm", "SHA256withRSA");
                let newest = logs.iter().map(|log| log.newest).max().unwrap_or(end);
                let oldest = logs.iter().map(|log| log.oldest).min().unwrap_or(start);
                o.str("newestEventTime", &time(newest));
                o.str("oldestEventTime", &time(oldest));
                o.str("previousDigestS3Bucket", &self.bucket);
                o.opt_str("previousDigestS3Object", previous[stream].as_deref());
                o.str("previousDigestHashValue", &hex_string(rng, 64));
                o.str("previousDigestHashAlgorithm", "SHA-256");
                o.str("previousDigestSignature", &hex_string(rng, 512));
                o.arr("logFiles", |a| {
                    for log in &logs {
                        a.obj(|f| {
                            f.str("s3Bucket", &self.bucket);
                            f.str("s3Object", &log.path);
                            f.str("hashValue", &hex_string(rng, 64));
                            f.str("hashAlgorithm", "SHA-256");
                            f.str("newestEventTime", &time(log.newest));
                            f.str("oldestEventTime", &time(log.oldest));
                        });
                    }
                });
            });
            let mut writer = gzip(create_file(&self.out_dir, &path)?);
            writer.write_all(body.as_bytes())?;
            writer.finish()?.flush()?;
            self.objects += 1;
            previous[stream] = Some(path);
        }
        Ok(())
    }
}

impl Sink for S3Sink {
    fn write(&mut self, info: &RecordInfo, text: &str) -> io::Result<u64> {
        let time = Millis(info.time_ms);
        let window = time.floor(self.rolling.window_ms);
        let stream = info.stream;
        if let Some(object) = &self.open[stream]
            && (object.window != window || object.records >= object.cap)
        {
            self.close_object(stream)?;
        }
        if self.open[stream].is_none() {
            self.open_object(stream, window, time)?;
        }
        let envelope = self.source == Source::CloudTrail;
        let object = self.open[stream].as_mut().expect("opened above");
        if envelope && object.records > 0 {
            object.writer.write_all(b",")?;
        }
        object.writer.write_all(text.as_bytes())?;
        if !envelope {
            object.writer.write_all(b"\n")?;
        }
        object.records += 1;
        object.newest = object.newest.max(time);
        Ok(object.records)
    }

    fn path_of(&self, stream: usize) -> &str {
        match &self.open[stream] {
            Some(object) => &object.path,
            None => &self.last_path[stream],
        }
    }

    fn finish(mut self: Box<Self>) -> io::Result<u64> {
        for stream in 0..self.open.len() {
            self.close_object(stream)?;
        }
        if self.source == Source::CloudTrail {
            self.write_digests()?;
        }
        Ok(self.objects)
    }
}
