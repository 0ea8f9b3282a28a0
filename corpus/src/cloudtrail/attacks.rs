//! The planted CloudTrail scenarios.
//!
//! The attacker holds the stolen long-term key of a machine user and calls from an address no
//! benign caller uses: it stops and deletes the trail, schedules a KMS key for deletion, creates
//! an access key for a backdoor user and attaches `AdministratorAccess` to it, opens a security
//! group to `0.0.0.0/0`, makes a bucket public (by policy and by ACL) and deletes the GuardDuty
//! detector. Separately, someone signs in to the console as root without MFA.

use super::catalog::Api;
use super::identity::{CONSOLE_AGENTS, Caller, Callers, Principal};
use super::params::{Payload, write_ip_permissions, write_resources};
use super::{EventKind, console_login};
use crate::ids::{access_key_string, hex_string, uuid_string};
use crate::json::Obj;
use crate::pick::{Rng, one};
use crate::scenario::Scenario;
use crate::time::Millis;
use crate::world::World;

const ATTACKER_AGENT: &str =
    "aws-cli/2.15.30 Python/3.11.8 Linux/6.6.15-amd64 exe/x86_64.kali.2024 prompt/off";

/// One planted event, ready for the record writer.
pub(super) struct PlantedEvent {
    pub(super) api: Api,
    pub(super) caller: Caller,
    pub(super) payload: Payload,
    pub(super) kind: EventKind,
    pub(super) region: &'static str,
    pub(super) detail: &'static str,
}

/// The events of one planted `scenario`.
pub(super) fn plant(
    rng: &mut Rng,
    world: &World,
    callers: &mut Callers,
    scenario: Scenario,
    time: Millis,
) -> Vec<PlantedEvent> {
    let home = crate::world::REGIONS[0].0;
    let account = &world.account;
    if scenario == Scenario::RootConsoleLoginWithoutMfa {
        let mut caller = callers.caller(rng, world, time, Principal::Root);
        caller.access_key = None;
        caller.mfa = false;
        caller.source_ip = world.attacker.ip.to_string();
        caller.user_agent = CONSOLE_AGENTS[2];
        let mut payload = Payload::default();
        console_login(rng, &caller, false, true, &mut payload);
        let api = Api {
            service: "signin",
            name: "ConsoleLogin",
        };
        return vec![PlantedEvent {
            api,
            caller,
            payload,
            kind: EventKind::ConsoleSignIn,
            region: home,
            detail: "root_without_mfa",
        }];
    }
    let mut caller = callers.caller(
        rng,
        world,
        time,
        Principal::User(world.attacker.stolen_user),
    );
    caller.source_ip = world.attacker.ip.to_string();
    caller.user_agent = ATTACKER_AGENT;
    let event = |service: &'static str,
                 name: &'static str,
                 detail: &'static str,
                 payload: Payload| PlantedEvent {
        api: Api { service, name },
        caller: caller.clone(),
        payload,
        kind: EventKind::ApiCall,
        region: home,
        detail,
    };
    let trail_arn = format!(
        "arn:aws:cloudtrail:{home}:{account}:trail/{}",
        world.trail_name
    );
    let backdoor = &world.attacker.backdoor_user;
    match scenario {
        Scenario::CloudTrailStopLogging => vec![event(
            "cloudtrail",
            "StopLogging",
            "stop_logging",
            request(|o| o.str("name", &trail_arn)),
        )],
        Scenario::CloudTrailDeleteTrail => vec![event(
            "cloudtrail",
            "DeleteTrail",
            "delete_trail",
            request(|o| o.str("name", &trail_arn)),
        )],
        Scenario::KmsScheduleKeyDeletion => {
            let key = one(rng, &world.kms_keys);
            let key_arn = format!("arn:aws:kms:{home}:{account}:key/{key}");
            let mut payload = request(|o| {
                o.str("keyId", key);
                o.int("pendingWindowInDays", 7);
            });
            Obj::write(&mut payload.response, |o| {
                o.str("keyId", &key_arn);
                o.str(
                    "deletionDate",
                    &time
                        .plus(7 * 24 * Millis::HOUR)
                        .format(Millis::write_java_datetime),
                );
                o.str("keyState", "PendingDeletion");
                o.int("pendingWindowInDays", 7);
            });
            write_resources(&mut payload.resources, account, "AWS::KMS::Key", &key_arn);
            vec![event(
                "kms",
                "ScheduleKeyDeletion",
                "pending_window_7_days",
                payload,
            )]
        }
        Scenario::CreateAccessKeyForOtherUser => {
            let mut payload = request(|o| o.str("userName", backdoor));
            Obj::write(&mut payload.response, |o| {
                o.obj("accessKey", |k| {
                    k.str("userName", backdoor);
                    k.str("accessKeyId", &access_key_string(rng, "AKIA"));
                    k.str("status", "Active");
                    k.str("createDate", &time.format(Millis::write_java_datetime));
                })
            });
            vec![event(
                "iam",
                "CreateAccessKey",
                "key_for_backdoor_user",
                payload,
            )]
        }
        Scenario::AttachAdministratorPolicy => {
            let payload = request(|o| {
                o.str("userName", backdoor);
                o.str("policyArn", "arn:aws:iam::aws:policy/AdministratorAccess");
            });
            vec![event(
                "iam",
                "AttachUserPolicy",
                "administrator_access",
                payload,
            )]
        }
        Scenario::SecurityGroupOpenToWorld => {
            let group = one(rng, &world.security_groups);
            let mut payload = request(|o| {
                o.str("groupId", group);
                write_ip_permissions(o, 22, Some("0.0.0.0/0"), group);
            });
            Obj::write(&mut payload.response, |o| {
                o.str("requestId", &uuid_string(rng));
                o.bool("_return", true);
                o.obj("securityGroupRuleSet", |s| {
                    s.arr("items", |a| {
                        a.obj(|r| {
                            r.str("groupOwnerId", account);
                            r.str("groupId", group);
                            r.str(
                                "securityGroupRuleId",
                                &format!("sgr-0{}", hex_string(rng, 16)),
                            );
                            r.bool("isEgress", false);
                            r.str("ipProtocol", "tcp");
                            r.int("fromPort", 22);
                            r.int("toPort", 22);
                            r.str("cidrIpv4", "0.0.0.0/0");
                        })
                    })
                });
            });
            vec![event(
                "ec2",
                "AuthorizeSecurityGroupIngress",
                "ssh_from_anywhere",
                payload,
            )]
        }
        Scenario::S3BucketMadePublic => {
            let bucket = &world.buckets[0];
            let host = format!("{bucket}.s3.{home}.amazonaws.com");
            let mut by_policy = request(|o| {
                o.str("bucketName", bucket);
                o.str("Host", &host);
                o.obj("bucketPolicy", |p| {
                    p.str("Version", "2012-10-17");
                    p.arr("Statement", |a| {
                        a.obj(|s| {
                            s.str("Sid", "PublicRead");
                            s.str("Effect", "Allow");
                            s.str("Principal", "*");
                            s.str("Action", "s3:GetObject");
                            s.str("Resource", &format!("arn:aws:s3:::{bucket}/*"));
                        })
                    });
                });
                o.str("policy", "");
            });
            by_policy.s3_request_id = true;
            let mut by_acl = request(|o| {
                o.str("bucketName", bucket);
                o.str("Host", &host);
                o.str("acl", "");
                o.obj("AccessControlPolicy", |p| {
                    p.obj("AccessControlList", |l| {
                        l.obj("Grant", |g| {
                            g.obj("Grantee", |e| {
                                e.str("xsi:type", "Group");
                                e.str("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance");
                                e.str("URI", "http://acs.amazonaws.com/groups/global/AllUsers");
                            });
                            g.str("Permission", "READ");
                        })
                    });
                    p.obj("Owner", |w| w.str("ID", &hex_string(rng, 64)));
                    p.str("xmlns", "http://s3.amazonaws.com/doc/2006-03-01/");
                });
            });
            by_acl.s3_request_id = true;
            let bucket_arn = format!("arn:aws:s3:::{bucket}");
            for payload in [&mut by_policy, &mut by_acl] {
                write_resources(
                    &mut payload.resources,
                    account,
                    "AWS::S3::Bucket",
                    &bucket_arn,
                );
            }
            vec![
                event("s3", "PutBucketPolicy", "policy_principal_star", by_policy),
                event("s3", "PutBucketAcl", "acl_all_users", by_acl),
            ]
        }
        Scenario::GuardDutyDetectorDeleted => {
            vec![event(
                "guardduty",
                "DeleteDetector",
                "delete_detector",
                request(|o| o.str("detectorId", &world.detector_id)),
            )]
        }
        other => unreachable!("{other:?} is not a CloudTrail scenario"),
    }
}

/// A payload with the given `requestParameters` and nothing else.
fn request(fill: impl FnOnce(&mut Obj<'_>)) -> Payload {
    let mut payload = Payload::default();
    Obj::write(&mut payload.request, fill);
    payload
}
