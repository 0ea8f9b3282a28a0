//! CloudTrail records, one JSON object each, with the field names and order AWS writes.
//!
//! A benign record is built in four steps: draw an API from the Zipf-ranked [`catalog`], draw a
//! caller that may make it ([`identity`]), fill its parameters ([`params`]), and maybe turn it
//! into an error (a few percent: `AccessDenied`, throttling, missing bucket configurations).
//! Console sign-ins are `AwsConsoleSignIn` events with `additionalEventData.MFAUsed`; a small
//! share of records are `AwsServiceEvent`s. Planted scenarios come from [`attacks`]. Every record
//! has a fresh `eventID` (the ground-truth key) drawn from the seeded RNG.
//!
//! Streams are regions: in the S3 layout each region gets its own delivery prefix.

mod attacks;
mod catalog;
mod iam;
mod identity;
mod params;

use std::sync::Arc;

use rand::Rng as _;

use crate::ids::{hex, upper_alnum, uuid};
use crate::json::Obj;
use crate::pick::{Rng, chance, one, weighted};
use crate::scenario::Scenario;
use crate::stream::{Planted, SourceGen, StreamSpec};
use crate::time::Millis;
use crate::world::{REGIONS, World};
use catalog::{Api, Catalog};
use identity::{Caller, Callers, Principal, Requirement, caller_arn, write_identity};
use params::{Call, Payload};

/// The `eventType` of a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EventKind {
    /// `AwsApiCall`.
    ApiCall,
    /// `AwsConsoleSignIn`.
    ConsoleSignIn,
    /// `AwsServiceEvent`.
    ServiceEvent,
}

/// Calls that AWS services make for the account (`userIdentity.type` `AWSService`).
const SERVICE_CALLS: &[(Api, u32)] = &[
    (
        Api {
            service: "sts",
            name: "AssumeRole",
        },
        60,
    ),
    (
        Api {
            service: "kms",
            name: "Decrypt",
        },
        20,
    ),
    (
        Api {
            service: "kms",
            name: "GenerateDataKey",
        },
        10,
    ),
    (
        Api {
            service: "config",
            name: "PutEvaluations",
        },
        5,
    ),
    (
        Api {
            service: "ec2",
            name: "DescribeInstances",
        },
        5,
    ),
];

/// Benign calls that resemble the planted attacks, drawn at [`LOOKALIKE_RATE`] on top of
/// their catalogue rank so that detections are not separable by the call name alone.
const LOOKALIKES: &[Api] = &[
    Api {
        service: "signin",
        name: "ConsoleLogin",
    },
    Api {
        service: "iam",
        name: "CreateAccessKey",
    },
    Api {
        service: "iam",
        name: "AttachUserPolicy",
    },
    Api {
        service: "iam",
        name: "AttachRolePolicy",
    },
    Api {
        service: "ec2",
        name: "AuthorizeSecurityGroupIngress",
    },
    Api {
        service: "s3",
        name: "PutBucketPolicy",
    },
    Api {
        service: "s3",
        name: "PutBucketAcl",
    },
    Api {
        service: "cloudtrail",
        name: "GetTrailStatus",
    },
    Api {
        service: "kms",
        name: "CreateKey",
    },
    Api {
        service: "guardduty",
        name: "GetDetector",
    },
];

/// Share of benign records drawn from [`LOOKALIKES`].
const LOOKALIKE_RATE: f64 = 0.03;

/// Share of benign records that fail.
const ERROR_RATE: f64 = 0.035;

/// Generates CloudTrail records.
pub(crate) struct CloudTrailGen {
    world: Arc<World>,
    rng: Rng,
    catalog: Catalog,
    callers: Callers,
    payload: Payload,
}

impl CloudTrailGen {
    pub(crate) fn new(world: Arc<World>, rng: Rng) -> Self {
        CloudTrailGen {
            callers: Callers::new(&world),
            world,
            rng,
            catalog: Catalog::new(),
            payload: Payload::default(),
        }
    }

    fn stream_of(region: &str) -> usize {
        REGIONS
            .iter()
            .position(|(name, _)| *name == region)
            .unwrap_or(0)
    }
}

/// Fills `payload` for a console sign-in of `caller`.
fn console_login(rng: &mut Rng, caller: &Caller, mfa: bool, success: bool, payload: &mut Payload) {
    payload.request.push_str("null");
    Obj::write(&mut payload.response, |o| {
        o.str("ConsoleLogin", if success { "Success" } else { "Failure" });
    });
    Obj::write(&mut payload.additional, |o| {
        let mut login_to = String::from(
            "https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true&state=hashArgsFromTB_us-east-1_",
        );
        hex(rng, 16, &mut login_to);
        o.str_gson("LoginTo", &login_to);
        o.str("MobileVersion", "No");
        o.str("MFAUsed", if mfa { "Yes" } else { "No" });
        if mfa && caller.principal != Principal::Root {
            o.str("MFAIdentifier", "arn:aws:iam::mfa/authenticator");
        }
    });
}

/// An error code and message for a failed call of `api` by `caller`.
fn error_for(rng: &mut Rng, world: &World, api: Api, caller: &Caller) -> (&'static str, String) {
    let action = format!("{}:{}", api.service, api.name);
    let denied = || {
        format!(
            "User: {} is not authorized to perform: {action} because no identity-based policy allows the {action} action",
            caller_arn(world, caller)
        )
    };
    match (api.service, api.name) {
        ("s3", "GetBucketPolicy") => (
            "NoSuchBucketPolicy",
            "The bucket policy does not exist".to_owned(),
        ),
        ("s3", "GetBucketEncryption") => (
            "ServerSideEncryptionConfigurationNotFoundError",
            "The server side encryption configuration was not found".to_owned(),
        ),
        ("s3", "GetBucketLifecycle") => (
            "NoSuchLifecycleConfiguration",
            "The lifecycle configuration does not exist".to_owned(),
        ),
        ("secretsmanager", _) if chance(rng, 0.5) => (
            "ResourceNotFoundException",
            "Secrets Manager can't find the specified secret.".to_owned(),
        ),
        ("ssm", "GetParameter") => ("ParameterNotFound", String::new()),
        ("ec2", _) if chance(rng, 0.7) => (
            "Client.UnauthorizedOperation",
            format!(
                "You are not authorized to perform this operation. {}",
                denied()
            ),
        ),
        _ if chance(rng, 0.35) => ("ThrottlingException", "Rate exceeded".to_owned()),
        ("s3", _) => ("AccessDenied", "Access Denied".to_owned()),
        _ => ("AccessDenied", denied()),
    }
}

/// Everything the record writer needs.
struct Event<'a> {
    time: Millis,
    region: &'static str,
    api: Api,
    caller: &'a Caller,
    payload: &'a Payload,
    error: Option<(&'static str, String)>,
    kind: EventKind,
}

/// Writes one record; returns its `eventID`.
fn write_event(rng: &mut Rng, world: &World, event: &Event<'_>, out: &mut String) -> String {
    let api = event.api;
    let source = match api.service {
        "cloudwatch" => "monitoring.amazonaws.com".to_owned(),
        service => format!("{service}.amazonaws.com"),
    };
    let mut event_id = String::with_capacity(36);
    uuid(rng, &mut event_id);
    let internal = event.caller.user_agent == "AWS Internal";
    let service_caller = matches!(event.caller.principal, Principal::Service(_));
    Obj::write(out, |o| {
        const VERSIONS: [&str; 4] = ["1.08", "1.09", "1.10", "1.11"];
        o.str("eventVersion", VERSIONS[api.service.len() % VERSIONS.len()]);
        if event.kind == EventKind::ServiceEvent {
            o.obj("userIdentity", |u| {
                u.str("accountId", &world.account);
                u.str("invokedBy", &source);
            });
        } else {
            o.obj("userIdentity", |u| write_identity(u, world, event.caller));
        }
        o.str("eventTime", &event.time.format(Millis::write_iso_seconds));
        o.str("eventSource", &source);
        o.str("eventName", api.name);
        o.str("awsRegion", event.region);
        if event.kind == EventKind::ServiceEvent {
            o.str("sourceIPAddress", &source);
            o.str("userAgent", &source);
        } else {
            o.str(
                "sourceIPAddress",
                if internal {
                    "AWS Internal"
                } else {
                    &event.caller.source_ip
                },
            );
            o.str("userAgent", event.caller.user_agent);
        }
        if let Some((code, message)) = &event.error {
            if !code.is_empty() {
                o.str("errorCode", code);
            }
            if !message.is_empty() {
                o.str("errorMessage", message);
            }
        }
        let or_null = |json: &str| if json.is_empty() { "null" } else { json }.to_owned();
        o.raw("requestParameters", &or_null(&event.payload.request));
        let failed_call = event.error.is_some() && event.kind != EventKind::ConsoleSignIn;
        let response = if failed_call {
            "null".to_owned()
        } else {
            or_null(&event.payload.response)
        };
        o.raw("responseElements", &response);
        if !event.payload.additional.is_empty() {
            o.raw("additionalEventData", &event.payload.additional);
        }
        if event.kind == EventKind::ApiCall {
            let mut request_id = String::with_capacity(36);
            if event.payload.s3_request_id {
                upper_alnum(rng, 16, &mut request_id);
            } else {
                uuid(rng, &mut request_id);
            }
            o.str("requestID", &request_id);
        }
        o.str("eventID", &event_id);
        o.bool("readOnly", api.read_only());
        if !event.payload.resources.is_empty() {
            o.raw("resources", &event.payload.resources);
        }
        o.str(
            "eventType",
            match event.kind {
                EventKind::ApiCall => "AwsApiCall",
                EventKind::ConsoleSignIn => "AwsConsoleSignIn",
                EventKind::ServiceEvent => "AwsServiceEvent",
            },
        );
        let data = api.is_data_event();
        o.bool("managementEvent", !data);
        o.str("recipientAccountId", &world.account);
        if event.kind == EventKind::ServiceEvent {
            let mut shared = String::with_capacity(36);
            uuid(rng, &mut shared);
            o.str("sharedEventID", &shared);
        }
        o.str("eventCategory", if data { "Data" } else { "Management" });
        if !internal && !service_caller && event.kind != EventKind::ServiceEvent {
            o.obj("tlsDetails", |t| {
                let tls13 = !api.name.len().is_multiple_of(3);
                t.str("tlsVersion", if tls13 { "TLSv1.3" } else { "TLSv1.2" });
                t.str(
                    "cipherSuite",
                    if tls13 {
                        "TLS_AES_128_GCM_SHA256"
                    } else {
                        "ECDHE-RSA-AES128-GCM-SHA256"
                    },
                );
                let host = match api.service {
                    "signin" => "signin.aws.amazon.com".to_owned(),
                    _ if api.is_global() => source.clone(),
                    service => format!(
                        "{}.{}.amazonaws.com",
                        if service == "cloudwatch" {
                            "monitoring"
                        } else {
                            service
                        },
                        event.region
                    ),
                };
                t.str("clientProvidedHostHeader", &host);
            });
        }
        if event.caller.console && event.kind == EventKind::ApiCall {
            o.str("sessionCredentialFromConsole", "true");
        }
    });
    event_id
}

impl SourceGen for CloudTrailGen {
    fn streams(&self) -> Vec<StreamSpec> {
        REGIONS
            .iter()
            .map(|(region, _)| StreamSpec {
                region,
                resource: self.world.trail_name.clone(),
                flat_file: "cloudtrail.jsonl",
                header: None,
            })
            .collect()
    }

    fn benign(&mut self, time: Millis, out: &mut String) -> usize {
        let world = Arc::clone(&self.world);
        let rng = &mut self.rng;
        self.payload.clear();
        if chance(rng, 0.008) {
            let api = Api {
                service: "kms",
                name: "RotateKey",
            };
            let region = *weighted(rng, REGIONS);
            let key = format!(
                "arn:aws:kms:{region}:{}:key/{}",
                world.account,
                one(rng, &world.kms_keys)
            );
            params::write_resources(
                &mut self.payload.resources,
                &world.account,
                "AWS::KMS::Key",
                &key,
            );
            let caller =
                self.callers
                    .caller(rng, &world, time, Principal::Service("kms.amazonaws.com"));
            let event = Event {
                time,
                region,
                api,
                caller: &caller,
                payload: &self.payload,
                error: None,
                kind: EventKind::ServiceEvent,
            };
            write_event(rng, &world, &event, out);
            return Self::stream_of(region);
        }
        let mut api = if chance(rng, LOOKALIKE_RATE) {
            *one(rng, LOOKALIKES)
        } else {
            self.catalog.sample(rng)
        };
        let requirement = match api.name {
            "ConsoleLogin" => Requirement::Person,
            "CreateAccessKey" | "UpdateAccessKey" | "DeleteAccessKey" | "ListAccessKeys" => {
                Requirement::IamUser
            }
            _ => Requirement::Anyone,
        };
        let mut caller = self.callers.pick(rng, &world, time, requirement);
        if matches!(caller.principal, Principal::Service(_)) {
            api = *weighted(rng, SERVICE_CALLS);
        }
        let region = if api.is_global() || api.name == "ConsoleLogin" {
            REGIONS[0].0
        } else {
            *weighted(rng, REGIONS)
        };
        let mut kind = EventKind::ApiCall;
        let mut error = None;
        if api.name == "ConsoleLogin" {
            kind = EventKind::ConsoleSignIn;
            // A sign-in is not made with session credentials.
            caller.access_key = None;
            caller.console = false;
            let success = !chance(rng, 0.04);
            let sso = matches!(caller.principal, Principal::Role(_));
            console_login(rng, &caller, !sso && success, success, &mut self.payload);
            if !success {
                error = Some(("", "Failed authentication".to_owned()));
            }
        } else {
            let call = Call {
                world: &world,
                caller: &caller,
                region,
                time,
            };
            params::fill(rng, api, &call, &mut self.payload);
            if !matches!(caller.principal, Principal::Service(_)) && chance(rng, ERROR_RATE) {
                error = Some(error_for(rng, &world, api, &caller));
            }
        }
        let event = Event {
            time,
            region,
            api,
            caller: &caller,
            payload: &self.payload,
            error,
            kind,
        };
        write_event(rng, &world, &event, out);
        Self::stream_of(region)
    }

    fn plant(&mut self, scenario: Scenario, time: Millis) -> Vec<Planted> {
        let world = Arc::clone(&self.world);
        let events = attacks::plant(&mut self.rng, &world, &mut self.callers, scenario, time);
        let mut now = time;
        events
            .into_iter()
            .map(|planted| {
                let event = Event {
                    time: now,
                    region: planted.region,
                    api: planted.api,
                    caller: &planted.caller,
                    payload: &planted.payload,
                    error: None,
                    kind: planted.kind,
                };
                let mut text = String::with_capacity(2048);
                let key = write_event(&mut self.rng, &world, &event, &mut text);
                let record = Planted {
                    time: now,
                    stream: Self::stream_of(planted.region),
                    text,
                    key,
                    detail: Some(planted.detail.to_owned()),
                };
                now = now.plus(self.rng.random_range(5..90) * Millis::SECOND);
                record
            })
            .collect()
    }
}
