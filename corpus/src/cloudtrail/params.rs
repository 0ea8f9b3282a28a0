//! `requestParameters`, `responseElements`, `additionalEventData` and `resources` of benign
//! calls.
//!
//! The common calls and the look-alikes of the planted attacks get realistic shapes: STS
//! credentials, KMS encryption contexts, S3 bucket sub-resources with `Host` and
//! `additionalEventData`, IAM policy documents and own access keys (in [`super::iam`]),
//! security-group rules for private ranges, bucket policies for service principals, SSM session stream URLs with `\u003d`-escaped query strings. Other calls get the
//! resource parameter their service usually takes, or nothing for listings.

use rand::Rng as _;

use super::catalog::Api;
use super::identity::{Caller, Principal};
use crate::ids::{access_key_string, hex, hex_string, mixed_alnum, uuid_string};
use crate::json::Obj;
use crate::pick::{Rng, chance, one};
use crate::time::Millis;
use crate::world::World;

/// The varying parts of one event besides identity and envelope fields.
#[derive(Default)]
pub(super) struct Payload {
    /// `requestParameters` JSON, `null` when empty.
    pub(super) request: String,
    /// `responseElements` JSON, `null` when empty.
    pub(super) response: String,
    /// `additionalEventData` JSON, if any.
    pub(super) additional: String,
    /// `resources` JSON array, if any.
    pub(super) resources: String,
    /// S3-style request ids (16 upper-case characters) instead of UUIDs.
    pub(super) s3_request_id: bool,
}

impl Payload {
    pub(super) fn clear(&mut self) {
        self.request.clear();
        self.response.clear();
        self.additional.clear();
        self.resources.clear();
        self.s3_request_id = false;
    }
}

/// What a parameter builder knows about the call.
pub(super) struct Call<'a> {
    pub(super) world: &'a World,
    pub(super) caller: &'a Caller,
    pub(super) region: &'static str,
    pub(super) time: Millis,
}

/// The resource parameter most calls of a service take, and a value for it.
fn resource_parameter(
    rng: &mut Rng,
    call: &Call<'_>,
    service: &str,
) -> Option<(&'static str, String)> {
    let world = call.world;
    let account = &world.account;
    let region = call.region;
    Some(match service {
        "lambda" => (
            "functionName",
            (*one(rng, &["image-resizer", "order-events", "report-builder"])).to_owned(),
        ),
        "logs" => (
            "logGroupName",
            format!(
                "/aws/lambda/{}",
                one(rng, &["image-resizer", "order-events"])
            ),
        ),
        "ecs" => ("cluster", "prod".to_owned()),
        "ecr" => (
            "repositoryName",
            (*one(rng, &["api", "worker", "web"])).to_owned(),
        ),
        "dynamodb" => (
            "tableName",
            (*one(rng, &["orders", "sessions", "inventory"])).to_owned(),
        ),
        "sqs" => (
            "queueUrl",
            format!("https://sqs.{region}.amazonaws.com/{account}/order-events"),
        ),
        "sns" => ("topicArn", format!("arn:aws:sns:{region}:{account}:alerts")),
        "rds" => ("dBInstanceIdentifier", "prod-postgres".to_owned()),
        "cloudformation" => (
            "stackName",
            (*one(rng, &["prod-api", "prod-network", "observability"])).to_owned(),
        ),
        "elasticloadbalancing" => (
            "targetGroupArns",
            world.load_balancers[0].target_group_arn.clone(),
        ),
        "autoscaling" => ("autoScalingGroupName", "eks-prod-nodes".to_owned()),
        "events" => ("name", "nightly-report".to_owned()),
        "states" => (
            "stateMachineArn",
            format!("arn:aws:states:{region}:{account}:stateMachine:order-fulfilment"),
        ),
        "glue" => ("databaseName", "analytics".to_owned()),
        "athena" => ("workGroup", "primary".to_owned()),
        "cloudtrail" => ("name", world.trail_name.clone()),
        "guardduty" => ("detectorId", world.detector_id.clone()),
        "eks" => ("name", "prod".to_owned()),
        "secretsmanager" => (
            "secretId",
            format!("prod/api/{}", one(rng, &["db", "stripe", "jwt"])),
        ),
        "ssm" => (
            "name",
            format!(
                "/prod/{}/{}",
                one(rng, &["api", "worker"]),
                one(rng, &["db-url", "feature-flags", "log-level"])
            ),
        ),
        "kms" => (
            "keyId",
            format!(
                "arn:aws:kms:{region}:{account}:key/{}",
                one(rng, &world.kms_keys)
            ),
        ),
        "ec2" => ("instanceId", one(rng, &world.instances).id.clone()),
        "iam" => ("roleName", one(rng, &world.roles).name.clone()),
        "route53" => ("hostedZoneId", "Z04518322N1DVK8VXCAXT".to_owned()),
        "cloudfront" => ("id", world.distributions[0].0.clone()),
        _ => return None,
    })
}

/// Fills `payload` for a benign call of `api`.
pub(super) fn fill(rng: &mut Rng, api: Api, call: &Call<'_>, payload: &mut Payload) {
    let world = call.world;
    match (api.service, api.name) {
        ("sts", "AssumeRole") => assume_role(rng, call, payload),
        ("kms", "Decrypt" | "GenerateDataKey" | "Encrypt") => {
            let key = format!(
                "arn:aws:kms:{}:{}:key/{}",
                call.region,
                world.account,
                one(rng, &world.kms_keys)
            );
            let bucket = one(rng, &world.buckets);
            Obj::write(&mut payload.request, |o| {
                if api.name != "Decrypt" {
                    o.str("keyId", &key);
                }
                o.obj("encryptionContext", |c| {
                    c.str(
                        "aws:s3:arn",
                        &format!(
                            "arn:aws:s3:::{bucket}/data/part-{}.parquet",
                            rng.random_range(0..9999)
                        ),
                    )
                });
                o.str("encryptionAlgorithm", "SYMMETRIC_DEFAULT");
                if api.name == "GenerateDataKey" {
                    o.str("keySpec", "AES_256");
                }
            });
            write_resources(
                &mut payload.resources,
                &world.account,
                "AWS::KMS::Key",
                &key,
            );
        }
        ("s3", _) => s3_call(rng, api, call, payload),
        ("ssm", "GetParameter" | "GetParameters") => Obj::write(&mut payload.request, |o| {
            let (_, name) = resource_parameter(rng, call, "ssm").expect("ssm has a resource");
            o.str("name", &name);
            o.bool("withDecryption", true);
        }),
        ("ssm", "StartSession") => ssm_session(rng, call, payload),
        (
            "iam",
            "CreateRole"
            | "PutRolePolicy"
            | "PutUserPolicy"
            | "CreatePolicy"
            | "CreatePolicyVersion",
        ) => super::iam::policy_call(rng, api, call, payload),
        ("iam", "AttachUserPolicy" | "AttachRolePolicy" | "DetachRolePolicy") => {
            Obj::write(&mut payload.request, |o| {
                if api.name == "AttachUserPolicy" {
                    o.str("userName", &one(rng, &world.users).name);
                } else {
                    o.str("roleName", &one(rng, &world.roles).name);
                }
                let custom = world.iam_arn("policy/ci-deploy");
                let policy = *one(
                    rng,
                    &[
                        "arn:aws:iam::aws:policy/ReadOnlyAccess",
                        "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
                        "arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess",
                        custom.as_str(),
                    ],
                );
                o.str("policyArn", policy);
            })
        }
        ("iam", "CreateAccessKey" | "UpdateAccessKey" | "DeleteAccessKey" | "ListAccessKeys") => {
            super::iam::own_key_call(rng, api, call, payload)
        }
        (
            "ec2",
            "AuthorizeSecurityGroupIngress"
            | "AuthorizeSecurityGroupEgress"
            | "RevokeSecurityGroupIngress",
        ) => security_group_rule(rng, call, payload),
        ("ec2", name) if name.starts_with("Describe") => {
            if chance(rng, 0.5) {
                Obj::write(&mut payload.request, |o| {
                    o.obj("filterSet", |f| {
                        f.arr("items", |a| {
                            a.obj(|i| {
                                i.str("name", "vpc-id");
                                i.obj("valueSet", |v| {
                                    v.arr("items", |a| a.obj(|x| x.str("value", &world.vpcs[0].id)))
                                });
                            })
                        });
                    });
                    o.int("maxResults", 1000);
                });
            }
        }
        (service, name) => {
            let listing =
                name.starts_with("List") || (name.starts_with("Describe") && name.ends_with('s'));
            if listing {
                if chance(rng, 0.4) {
                    Obj::write(&mut payload.request, |o| {
                        o.int("maxResults", *one(rng, &[50, 100, 1000]))
                    });
                }
            } else if let Some((key, value)) = resource_parameter(rng, call, service) {
                Obj::write(&mut payload.request, |o| o.str(key, &value));
            }
        }
    }
}

/// Writes a one-element `resources` array.
pub(super) fn write_resources(out: &mut String, account: &str, kind: &str, arn: &str) {
    crate::json::Arr::write(out, |a| {
        a.obj(|r| {
            r.str("accountId", account);
            r.str("type", kind);
            r.str("ARN", arn);
        });
    });
}

/// Writes an STS credentials object (`accessKeyId`, `sessionToken`, `expiration`).
fn write_credentials(o: &mut Obj<'_>, rng: &mut Rng, expires: Millis) {
    o.obj("credentials", |c| {
        c.str("accessKeyId", &access_key_string(rng, "ASIA"));
        let mut token = String::from("IQoJb3JpZ2luX2VjE");
        mixed_alnum(rng, 360, &mut token);
        c.str("sessionToken", &token);
        c.str("expiration", &expires.format(Millis::write_java_datetime));
    });
}

fn assume_role(rng: &mut Rng, call: &Call<'_>, payload: &mut Payload) {
    let world = call.world;
    let role = one(rng, &world.roles);
    let role_arn = world.iam_arn(&format!("role{}{}", role.path, role.name));
    let session = match call.caller.principal {
        Principal::Service(service) => format!(
            "{}-{}",
            service.split('.').next().unwrap_or("aws"),
            rng.random_range(1_000_000_000u64..9_999_999_999)
        ),
        _ => format!("botocore-session-{}", call.time.epoch_seconds()),
    };
    Obj::write(&mut payload.request, |o| {
        o.str("roleArn", &role_arn);
        o.str("roleSessionName", &session);
        o.int("durationSeconds", 3600);
    });
    Obj::write(&mut payload.response, |o| {
        write_credentials(o, rng, call.time.plus(Millis::HOUR));
        o.obj("assumedRoleUser", |u| {
            u.str("assumedRoleId", &format!("{}:{session}", role.principal_id));
            u.str(
                "arn",
                &format!(
                    "arn:aws:sts::{}:assumed-role/{}/{session}",
                    world.account, role.name
                ),
            );
        });
    });
    write_resources(
        &mut payload.resources,
        &world.account,
        "AWS::IAM::Role",
        &role_arn,
    );
}

/// S3 bucket sub-resource calls: `{bucketName, Host, <subresource>: ""}`, S3 request ids,
/// `additionalEventData` with signature and byte counts.
fn s3_call(rng: &mut Rng, api: Api, call: &Call<'_>, payload: &mut Payload) {
    let world = call.world;
    let bucket = one(rng, &world.buckets);
    let host = format!("{bucket}.s3.{}.amazonaws.com", call.region);
    payload.s3_request_id = true;
    let sub_resource = api
        .name
        .trim_start_matches("Get")
        .trim_start_matches("Put")
        .trim_start_matches("Bucket");
    Obj::write(&mut payload.request, |o| match api.name {
        "ListBuckets" => o.str("Host", "s3.amazonaws.com"),
        "PutBucketPolicy" => {
            o.str("bucketName", bucket);
            o.str("Host", &host);
            o.obj("bucketPolicy", |p| {
                p.str("Version", "2012-10-17");
                p.arr("Statement", |a| {
                    a.obj(|s| {
                        s.str("Sid", "AWSCloudTrailWrite");
                        s.str("Effect", "Allow");
                        s.obj("Principal", |pr| {
                            pr.str("Service", "cloudtrail.amazonaws.com")
                        });
                        s.str("Action", "s3:PutObject");
                        s.str(
                            "Resource",
                            &format!("arn:aws:s3:::{bucket}/AWSLogs/{}/*", world.account),
                        );
                        s.obj("Condition", |c| {
                            c.obj("StringEquals", |e| {
                                e.str("s3:x-amz-acl", "bucket-owner-full-control")
                            })
                        });
                    })
                });
            });
            o.str("policy", "");
        }
        "PutBucketAcl" => {
            o.str("bucketName", bucket);
            o.str("Host", &host);
            o.str("acl", "");
            o.arr("x-amz-acl", |a| a.str("private"));
        }
        "GetObject" | "PutObject" | "DeleteObject" => {
            o.str("bucketName", bucket);
            o.str("Host", &host);
            let mut key = String::from("data/");
            hex(rng, 12, &mut key);
            key.push_str(".json");
            o.str("key", &key);
        }
        _ => {
            o.str("bucketName", bucket);
            o.str("Host", &host);
            if !sub_resource.is_empty() && sub_resource != api.name {
                let mut name = sub_resource.to_owned();
                name[..1].make_ascii_lowercase();
                o.str(&name, "");
            }
        }
    });
    Obj::write(&mut payload.additional, |o| {
        o.str("SignatureVersion", "SigV4");
        o.str("CipherSuite", "TLS_AES_128_GCM_SHA256");
        o.int(
            "bytesTransferredIn",
            if api.name.starts_with("Put") {
                rng.random_range(200..90_000)
            } else {
                0
            },
        );
        o.str("AuthenticationMethod", "AuthHeader");
        let mut amz_id = String::new();
        mixed_alnum(rng, 76, &mut amz_id);
        o.str("x-amz-id-2", &amz_id);
        o.int(
            "bytesTransferredOut",
            if api.name.starts_with("Get") {
                rng.random_range(100..400_000)
            } else {
                0
            },
        );
    });
    if api.name != "ListBuckets" {
        write_resources(
            &mut payload.resources,
            &world.account,
            "AWS::S3::Bucket",
            &format!("arn:aws:s3:::{bucket}"),
        );
    }
}

fn ssm_session(rng: &mut Rng, call: &Call<'_>, payload: &mut Payload) {
    let instance = &one(rng, &call.world.instances).id;
    let session = format!(
        "{}-{}",
        call.caller.session_name.split('@').next().unwrap_or("ssm"),
        hex_string(rng, 17)
    );
    Obj::write(&mut payload.request, |o| o.str("target", instance));
    Obj::write(&mut payload.response, |o| {
        o.str("sessionId", &session);
        o.str("tokenValue", "Value hidden due to security reasons.");
        let mut url = format!(
            "wss://ssmmessages.{}.amazonaws.com/v1/data-channel/{session}?role=publish_subscribe&cell-number=",
            call.region
        );
        mixed_alnum(rng, 60, &mut url);
        url.push_str("==");
        o.str_gson("streamUrl", &url);
    });
}

/// Writes an `ipPermissions` rule for `port` allowing `cidr`, or another security group.
pub(super) fn write_ip_permissions(o: &mut Obj<'_>, port: i64, cidr: Option<&str>, group: &str) {
    o.obj("ipPermissions", |p| {
        p.arr("items", |a| {
            a.obj(|i| {
                i.str("ipProtocol", "tcp");
                i.int("fromPort", port);
                i.int("toPort", port);
                match cidr {
                    Some(cidr) => {
                        i.obj("groups", |_| {});
                        i.obj("ipRanges", |r| {
                            r.arr("items", |a| a.obj(|c| c.str("cidrIp", cidr)))
                        });
                    }
                    None => {
                        i.obj("groups", |g| {
                            g.arr("items", |a| a.obj(|x| x.str("groupId", group)))
                        });
                        i.obj("ipRanges", |_| {});
                    }
                }
                i.obj("ipv6Ranges", |_| {});
                i.obj("prefixListIds", |_| {});
            })
        })
    });
}

fn security_group_rule(rng: &mut Rng, call: &Call<'_>, payload: &mut Payload) {
    let world = call.world;
    let group = one(rng, &world.security_groups);
    let peer = one(rng, &world.security_groups);
    let office = format!("{}/32", one(rng, &world.office_ips));
    let cidr = *one(
        rng,
        &[
            Some("10.0.0.0/16"),
            Some("10.1.0.0/16"),
            Some(office.as_str()),
            None,
        ],
    );
    let port = *one(rng, &[443, 5432, 6379, 8080, 22]);
    Obj::write(&mut payload.request, |o| {
        o.str("groupId", group);
        write_ip_permissions(o, port, cidr, peer);
    });
    Obj::write(&mut payload.response, |o| {
        o.str("requestId", &uuid_string(rng));
        o.bool("_return", true);
    });
}
