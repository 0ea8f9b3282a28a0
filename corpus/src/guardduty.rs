//! GuardDuty findings as exported to S3: one finding object per line (`.jsonl.gz`).
//!
//! Each finding has `schemaVersion`, `accountId`, `region`, `partition`, `id`, `arn`, `type`,
//! `resource` (an `Instance`, `AccessKey` or `S3Bucket`), `service` (detector, `action` with its
//! `actionType` and details, `resourceRole`, `additionalInfo` whose `value` is a JSON string,
//! first/last seen, `archived`, `count`), `severity`, `createdAt`, `updatedAt`, `title` and
//! `description`.
//!
//! Benign background: low-severity probe and brute-force findings against the instances (the
//! noise every internet-facing account has), some archived. Planted: one finding of each type in
//! [`PLANTED_TYPES`], from high to low severity.

use std::net::Ipv4Addr;
use std::sync::Arc;

use rand::Rng as _;

use crate::ids::hex_string;
use crate::json::{Obj, object_string};
use crate::net::{country_of, public_ipv4};
use crate::pick::{Rng, chance, one, weighted};
use crate::scenario::Scenario;
use crate::stream::{Planted, SourceGen, StreamSpec};
use crate::time::Millis;
use crate::world::World;

/// What a finding is about, which decides its `resource` and `service.action`.
#[derive(Clone, Copy)]
enum Kind {
    /// Inbound port probe against an instance.
    PortProbe { port: u16, name: &'static str },
    /// Inbound or outbound connection of an instance.
    Connection {
        port: u16,
        name: &'static str,
        inbound: bool,
    },
    /// DNS query by an instance.
    Dns { domain: &'static str },
    /// API call with an access key.
    ApiCall {
        api: &'static str,
        service: &'static str,
        bucket: bool,
    },
}

/// A finding type with its severity and title.
struct FindingType {
    name: &'static str,
    severity: u8,
    title: &'static str,
    kind: Kind,
}

const BENIGN_TYPES: &[(FindingType, u32)] = &[
    (
        FindingType {
            name: "Recon:EC2/PortProbeUnprotectedPort",
            severity: 2,
            title: "Unprotected port on EC2 instance {resource} is being probed.",
            kind: Kind::PortProbe {
                port: 22,
                name: "SSH",
            },
        },
        6,
    ),
    (
        FindingType {
            name: "UnauthorizedAccess:EC2/SSHBruteForce",
            severity: 2,
            title: "{remote} is performing SSH brute force attacks against {resource}.",
            kind: Kind::Connection {
                port: 22,
                name: "SSH",
                inbound: true,
            },
        },
        3,
    ),
    (
        FindingType {
            name: "UnauthorizedAccess:EC2/RDPBruteForce",
            severity: 2,
            title: "{remote} is performing RDP brute force attacks against {resource}.",
            kind: Kind::Connection {
                port: 3389,
                name: "RDP",
                inbound: true,
            },
        },
        1,
    ),
];

/// Finding types planted by [`Scenario::GuardDutyFinding`], one finding each.
pub const PLANTED_TYPES: &[&str] = &[
    "CryptoCurrency:EC2/BitcoinTool.B!DNS",
    "Backdoor:EC2/C&CActivity.B",
    "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
    "Discovery:S3/MaliciousIPCaller",
    "Stealth:IAMUser/CloudTrailLoggingDisabled",
];

const PLANTED: [FindingType; 5] = [
    FindingType {
        name: PLANTED_TYPES[0],
        severity: 8,
        title: "EC2 instance {resource} is querying a domain name that is associated with Bitcoin-related activity.",
        kind: Kind::Dns {
            domain: "xmr-eu1.nanopool.org",
        },
    },
    FindingType {
        name: PLANTED_TYPES[1],
        severity: 8,
        title: "EC2 instance {resource} is communicating with a known command and control server {remote}.",
        kind: Kind::Connection {
            port: 443,
            name: "HTTPS",
            inbound: false,
        },
    },
    FindingType {
        name: PLANTED_TYPES[2],
        severity: 8,
        title: "Credentials for instance role {resource} used from external IP address {remote}.",
        kind: Kind::ApiCall {
            api: "DescribeInstances",
            service: "ec2.amazonaws.com",
            bucket: false,
        },
    },
    FindingType {
        name: PLANTED_TYPES[3],
        severity: 5,
        title: "Reconnaissance API ListObjects was invoked from a known malicious IP address {remote}.",
        kind: Kind::ApiCall {
            api: "ListObjects",
            service: "s3.amazonaws.com",
            bucket: true,
        },
    },
    FindingType {
        name: PLANTED_TYPES[4],
        severity: 2,
        title: "CloudTrail logging was disabled by {resource} calling StopLogging.",
        kind: Kind::ApiCall {
            api: "StopLogging",
            service: "cloudtrail.amazonaws.com",
            bucket: false,
        },
    },
];

/// Generates GuardDuty findings.
pub(crate) struct GuardDutyGen {
    world: Arc<World>,
    rng: Rng,
}

impl GuardDutyGen {
    pub(crate) fn new(world: Arc<World>, rng: Rng) -> Self {
        GuardDutyGen { world, rng }
    }

    /// Writes one finding of `finding` seen last at `time` from `remote`; returns its id.
    fn write(
        &mut self,
        time: Millis,
        finding: &FindingType,
        remote: Ipv4Addr,
        archived: bool,
        out: &mut String,
    ) -> String {
        let rng = &mut self.rng;
        let world = &self.world;
        let region = world.vpcs[0].region;
        let id = hex_string(rng, 32);
        let count = if matches!(
            finding.kind,
            Kind::PortProbe { .. } | Kind::Connection { inbound: true, .. }
        ) {
            rng.random_range(1..400)
        } else {
            1
        };
        let first_seen = time.plus(-rng.random_range(0..(count * 40).max(1)) * Millis::MINUTE);
        let instance = one(rng, &world.instances);
        let role = &world.roles[world.roles.len() - 1];
        let key_holder = match finding.kind {
            Kind::ApiCall {
                api: "StopLogging", ..
            } => world.users[world.attacker.stolen_user].name.as_str(),
            _ => role.name.as_str(),
        };
        let resource_name = match finding.kind {
            Kind::ApiCall { .. } => key_holder,
            _ => instance.id.as_str(),
        };
        let title = finding
            .title
            .replace("{resource}", resource_name)
            .replace("{remote}", &remote.to_string());
        let remote_ip = remote.to_string();
        let time_text = |t: Millis| t.format(Millis::write_iso_millis);
        Obj::write(out, |o| {
            o.str("schemaVersion", "2.0");
            o.str("accountId", &world.account);
            o.str("region", region);
            o.str("partition", "aws");
            o.str("id", &id);
            o.str(
                "arn",
                &format!(
                    "arn:aws:guardduty:{region}:{}:detector/{}/finding/{id}",
                    world.account, world.detector_id
                ),
            );
            o.str("type", finding.name);
            o.obj("resource", |r| match finding.kind {
                Kind::ApiCall { bucket, .. } => {
                    r.obj("accessKeyDetails", |k| {
                        k.str("accessKeyId", &crate::ids::access_key_string(rng, "ASIA"));
                        k.str("principalId", &role.principal_id);
                        k.str("userName", key_holder);
                        k.str(
                            "userType",
                            if key_holder == role.name {
                                "AssumedRole"
                            } else {
                                "IAMUser"
                            },
                        );
                    });
                    if bucket {
                        r.arr("s3BucketDetails", |a| {
                            a.obj(|b| {
                                let name = &world.buckets[3];
                                b.str("arn", &format!("arn:aws:s3:::{name}"));
                                b.str("name", name);
                                b.str("type", "Destination");
                            });
                        });
                    }
                    r.str(
                        "resourceType",
                        if bucket { "S3Bucket" } else { "AccessKey" },
                    );
                }
                _ => {
                    r.obj("instanceDetails", |d| {
                        d.str("instanceId", &instance.id);
                        d.str("instanceType", "m6i.large");
                        d.str("instanceState", "running");
                        d.str("availabilityZone", &format!("{region}a"));
                        d.str("imageId", "ami-0c02fb55956c7d316");
                        d.arr("networkInterfaces", |a| {
                            a.obj(|n| {
                                n.str("networkInterfaceId", &instance.eni);
                                n.str("privateIpAddress", &instance.ip.to_string());
                                n.str("subnetId", &instance.subnet);
                                n.str("vpcId", &world.vpcs[instance.vpc].id);
                            });
                        });
                    });
                    r.str("resourceType", "Instance");
                }
            });
            o.obj("service", |s| {
                s.str("serviceName", "guardduty");
                s.str("detectorId", &world.detector_id);
                s.obj("action", |a| {
                    write_action(a, finding.kind, &remote_ip, remote)
                });
                s.str(
                    "resourceRole",
                    if matches!(
                        finding.kind,
                        Kind::PortProbe { .. } | Kind::Connection { inbound: true, .. }
                    ) {
                        "TARGET"
                    } else {
                        "ACTOR"
                    },
                );
                s.obj("additionalInfo", |i| {
                    let value = object_string(|v| v.str("threatListName", "ProofPoint"));
                    i.str("value", &value);
                    i.str("type", "default");
                });
                s.str("eventFirstSeen", &time_text(first_seen));
                s.str("eventLastSeen", &time_text(time));
                s.bool("archived", archived);
                s.int("count", count);
            });
            o.int("severity", i64::from(finding.severity));
            o.str(
                "createdAt",
                &time_text(first_seen.plus(3 * Millis::MINUTE).min(time)),
            );
            o.str("updatedAt", &time_text(time));
            o.str("title", &title);
            o.str("description", &title);
        });
        id
    }
}

/// Writes `service.action` for a finding of `kind` involving `remote`.
fn write_action(a: &mut Obj<'_>, kind: Kind, remote_text: &str, remote: Ipv4Addr) {
    let remote_details = |o: &mut Obj<'_>| {
        o.obj("remoteIpDetails", |r| {
            r.str("ipAddressV4", remote_text);
            r.obj("country", |c| c.str("countryCode", country_of(remote)));
            r.obj("organization", |g| {
                g.str("asn", "14061");
                g.str("asnOrg", "HOSTING-PROVIDER");
            });
        });
    };
    match kind {
        Kind::PortProbe { port, name } => {
            a.str("actionType", "PORT_PROBE");
            a.obj("portProbeAction", |p| {
                p.bool("blocked", false);
                p.arr("portProbeDetails", |list| {
                    list.obj(|d| {
                        d.obj("localPortDetails", |l| {
                            l.int("port", i64::from(port));
                            l.str("portName", name);
                        });
                        remote_details(d);
                    });
                });
            });
        }
        Kind::Connection {
            port,
            name,
            inbound,
        } => {
            a.str("actionType", "NETWORK_CONNECTION");
            a.obj("networkConnectionAction", |n| {
                n.str(
                    "connectionDirection",
                    if inbound { "INBOUND" } else { "OUTBOUND" },
                );
                n.obj(
                    if inbound {
                        "localPortDetails"
                    } else {
                        "remotePortDetails"
                    },
                    |l| {
                        l.int("port", i64::from(port));
                        l.str("portName", name);
                    },
                );
                n.str("protocol", "TCP");
                n.bool("blocked", false);
                remote_details(n);
            });
        }
        Kind::Dns { domain } => {
            a.str("actionType", "DNS_REQUEST");
            a.obj("dnsRequestAction", |d| {
                d.str("domain", domain);
                d.str("protocol", "UDP");
                d.bool("blocked", false);
            });
        }
        Kind::ApiCall { api, service, .. } => {
            a.str("actionType", "AWS_API_CALL");
            a.obj("awsApiCallAction", |c| {
                c.str("api", api);
                c.str("callerType", "Remote IP");
                c.str("serviceName", service);
                remote_details(c);
            });
        }
    }
}

impl SourceGen for GuardDutyGen {
    fn streams(&self) -> Vec<StreamSpec> {
        vec![StreamSpec {
            region: self.world.vpcs[0].region,
            resource: self.world.detector_id.clone(),
            flat_file: "guardduty.jsonl",
            header: None,
        }]
    }

    fn benign(&mut self, time: Millis, out: &mut String) -> usize {
        let finding = weighted(&mut self.rng, BENIGN_TYPES);
        let remote = public_ipv4(&mut self.rng);
        let archived = chance(&mut self.rng, 0.3);
        self.write(time, finding, remote, archived, out);
        0
    }

    fn plant(&mut self, _scenario: Scenario, time: Millis) -> Vec<Planted> {
        let remote = self.world.attacker.ip;
        let mut now = time;
        PLANTED
            .iter()
            .map(|finding| {
                let mut text = String::with_capacity(2048);
                let key = self.write(now, finding, remote, false, &mut text);
                let planted = Planted {
                    time: now,
                    stream: 0,
                    text,
                    key,
                    detail: Some(finding.name.to_owned()),
                };
                now = now.plus(self.rng.random_range(1..20) * Millis::SECOND);
                planted
            })
            .collect()
    }
}
