//! Planted attack scenarios and the ground truth that records where each one landed.
//!
//! Each source generator plants the scenarios that belong to it (see [`Scenario::sources`]) at
//! positions spread over its benign records. Every planted record yields one [`GroundTruth`]
//! line naming the scenario, the source, the file, the 1-based record number inside that file
//! and a key that occurs verbatim in the record (CloudTrail `eventID`, WAF `requestId`, ALB trace
//! id, CloudFront request id, GuardDuty finding id, or the whole VPC Flow Logs line).

use std::collections::VecDeque;

use rand::Rng as _;
use serde::{Deserialize, Serialize};

use crate::Source;
use crate::pick::Rng;

/// An attack planted in the corpus.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scenario {
    /// `ConsoleLogin` by the root user with `MFAUsed: No`.
    RootConsoleLoginWithoutMfa,
    /// CloudTrail `StopLogging`.
    CloudTrailStopLogging,
    /// CloudTrail `DeleteTrail`.
    CloudTrailDeleteTrail,
    /// KMS `ScheduleKeyDeletion`.
    KmsScheduleKeyDeletion,
    /// IAM `CreateAccessKey` by one user for another user.
    CreateAccessKeyForOtherUser,
    /// IAM `AttachUserPolicy` with `AdministratorAccess`.
    AttachAdministratorPolicy,
    /// EC2 `AuthorizeSecurityGroupIngress` from `0.0.0.0/0`.
    SecurityGroupOpenToWorld,
    /// S3 `PutBucketPolicy` with principal `*` or `PutBucketAcl` granting `AllUsers`.
    S3BucketMadePublic,
    /// GuardDuty `DeleteDetector`.
    GuardDutyDetectorDeleted,
    /// A burst of HTTP 403 responses (WAF blocks) for one client address.
    Http403Burst,
    /// SQL injection in a request URI or query.
    SqlInjection,
    /// Cross-site scripting in a request URI or query.
    CrossSiteScripting,
    /// Path traversal in a request URI or query.
    PathTraversal,
    /// A scanner user agent (sqlmap, Nikto).
    ScannerUserAgent,
    /// More than 1,000,000 bytes between one address pair within ten minutes.
    VpcLargeTransfer,
    /// A GuardDuty finding of a type benign traffic never produces.
    GuardDutyFinding,
}

impl Scenario {
    /// Every scenario.
    pub const ALL: [Scenario; 16] = [
        Scenario::RootConsoleLoginWithoutMfa,
        Scenario::CloudTrailStopLogging,
        Scenario::CloudTrailDeleteTrail,
        Scenario::KmsScheduleKeyDeletion,
        Scenario::CreateAccessKeyForOtherUser,
        Scenario::AttachAdministratorPolicy,
        Scenario::SecurityGroupOpenToWorld,
        Scenario::S3BucketMadePublic,
        Scenario::GuardDutyDetectorDeleted,
        Scenario::Http403Burst,
        Scenario::SqlInjection,
        Scenario::CrossSiteScripting,
        Scenario::PathTraversal,
        Scenario::ScannerUserAgent,
        Scenario::VpcLargeTransfer,
        Scenario::GuardDutyFinding,
    ];

    /// The snake_case name used in `ground-truth.jsonl`.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::RootConsoleLoginWithoutMfa => "root_console_login_without_mfa",
            Scenario::CloudTrailStopLogging => "cloudtrail_stop_logging",
            Scenario::CloudTrailDeleteTrail => "cloudtrail_delete_trail",
            Scenario::KmsScheduleKeyDeletion => "kms_schedule_key_deletion",
            Scenario::CreateAccessKeyForOtherUser => "create_access_key_for_other_user",
            Scenario::AttachAdministratorPolicy => "attach_administrator_policy",
            Scenario::SecurityGroupOpenToWorld => "security_group_open_to_world",
            Scenario::S3BucketMadePublic => "s3_bucket_made_public",
            Scenario::GuardDutyDetectorDeleted => "guardduty_detector_deleted",
            Scenario::Http403Burst => "http_403_burst",
            Scenario::SqlInjection => "sql_injection",
            Scenario::CrossSiteScripting => "cross_site_scripting",
            Scenario::PathTraversal => "path_traversal",
            Scenario::ScannerUserAgent => "scanner_user_agent",
            Scenario::VpcLargeTransfer => "vpc_large_transfer",
            Scenario::GuardDutyFinding => "guardduty_finding",
        }
    }

    /// The log sources in which this scenario is planted.
    pub fn sources(self) -> &'static [Source] {
        const WEB: &[Source] = &[Source::Waf, Source::Alb, Source::CloudFront];
        match self {
            Scenario::Http403Burst
            | Scenario::SqlInjection
            | Scenario::CrossSiteScripting
            | Scenario::PathTraversal
            | Scenario::ScannerUserAgent => WEB,
            Scenario::VpcLargeTransfer => &[Source::VpcFlow],
            Scenario::GuardDutyFinding => &[Source::GuardDuty],
            _ => &[Source::CloudTrail],
        }
    }
}

/// One line of `ground-truth.jsonl`: where one planted record is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroundTruth {
    /// [`Scenario::name`].
    pub scenario: String,
    /// [`Source::name`].
    pub source: String,
    /// Path of the file, relative to the output folder, with `/` separators.
    pub file: String,
    /// 1-based record number in the file: the line for NDJSON and text logs (header and
    /// `#` comment lines not counted), the element of `Records` for CloudTrail envelopes.
    pub record: u64,
    /// A string that occurs verbatim in the record and identifies it.
    pub key: String,
    /// What variant of the scenario this is (the GuardDuty finding type, the attack payload
    /// family), when the scenario has variants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// The planted part of a generated record: which scenario, and the key to find it by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plant {
    /// The scenario.
    pub scenario: Scenario,
    /// A string that occurs verbatim in the record and identifies it.
    pub key: String,
    /// The variant of the scenario, if it has variants.
    pub detail: Option<String>,
}

/// Positions (benign-record indices) at which to plant each scenario of `source`, `repeat`
/// times each, spread evenly with jitter over `benign` records, sorted by position.
pub(crate) fn schedule(
    source: Source,
    repeat: u32,
    benign: u64,
    rng: &mut Rng,
) -> VecDeque<(u64, Scenario)> {
    let mut scenarios: Vec<Scenario> = Scenario::ALL
        .iter()
        .copied()
        .filter(|scenario| scenario.sources().contains(&source))
        .flat_map(|scenario| std::iter::repeat_n(scenario, repeat as usize))
        .collect();
    // Shuffle so that scenarios do not always come in the same order.
    for index in (1..scenarios.len()).rev() {
        scenarios.swap(index, rng.random_range(0..=index));
    }
    let slot = benign as f64 / (scenarios.len() + 1) as f64;
    let mut planned: VecDeque<(u64, Scenario)> = scenarios
        .into_iter()
        .enumerate()
        .map(|(index, scenario)| {
            let jitter = rng.random_range(-0.4..0.4) * slot;
            let position = ((index + 1) as f64 * slot + jitter).max(0.0) as u64;
            (position.min(benign), scenario)
        })
        .collect();
    planned.make_contiguous().sort();
    planned
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pick::rng_for;

    #[test]
    fn every_scenario_belongs_to_a_source_and_names_are_unique() {
        let mut names: Vec<&str> = Scenario::ALL.iter().map(|s| s.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Scenario::ALL.len());
        let planned: usize = Source::ALL
            .iter()
            .map(|&source| schedule(source, 2, 100, &mut rng_for(1, 0)).len())
            .sum();
        let expected: usize = Scenario::ALL.iter().map(|s| 2 * s.sources().len()).sum();
        assert_eq!(planned, expected);
    }
}
