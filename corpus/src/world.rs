//! The simulated AWS organisation every log source describes.
//!
//! One [`World`] is drawn from the corpus seed before any record is generated: the account id,
//! IAM users and roles with their ids and access keys, buckets, KMS keys, VPCs and instances,
//! load balancers, CloudFront distributions, the web ACLs, the GuardDuty detector, and the
//! attacker. Every source generator reads the same world, so an instance id in a GuardDuty
//! finding is the one whose ENI appears in VPC Flow Logs, and the attacker address that trips
//! WAF is the one that calls CloudTrail APIs.

use std::net::Ipv4Addr;

use crate::ids::{
    access_key_string, hex_string, lower_alnum_string, principal_id_string, resource_id_string,
    uuid_string,
};
use crate::net::{attacker_ipv4, private_ipv4, public_ipv4};
use crate::pick::{Rng, one};

/// Regions with activity, and how much of it each sees (first = home region).
pub(crate) const REGIONS: &[(&str, u32)] = &[
    ("us-east-1", 55),
    ("eu-west-1", 20),
    ("us-west-2", 17),
    ("ap-southeast-2", 8),
];

const COMPANIES: &[&str] = &[
    "anycompany",
    "examplecorp",
    "northwind",
    "octank",
    "tailspin",
];

const HUMANS: &[&str] = &[
    "alice.nguyen",
    "bob.schmidt",
    "carol.diaz",
    "dave.okafor",
    "erin.lee",
    "frank.moreau",
    "grace.kim",
    "heidi.novak",
    "ivan.petrov",
    "judy.wong",
];

const MACHINE_USERS: &[&str] = &[
    "ci-deployer",
    "svc-backup",
    "svc-reporting",
    "terraform",
    "monitoring-bot",
];

const SSO_PERMISSION_SETS: &[&str] = &["AdministratorAccess", "ReadOnlyAccess", "PowerUserAccess"];

/// Workload roles and how their sessions are named.
const WORKLOAD_ROLES: &[(&str, SessionStyle)] = &[
    ("prod-api-task-role", SessionStyle::EcsTask),
    ("prod-worker-task-role", SessionStyle::EcsTask),
    ("eks-node-group-role", SessionStyle::Instance),
    ("ec2-app-instance-role", SessionStyle::Instance),
    ("lambda-image-resizer", SessionStyle::Lambda),
    ("lambda-order-events", SessionStyle::Lambda),
    (
        "github-actions-deploy",
        SessionStyle::Fixed("GitHubActions"),
    ),
    (
        "datadog-integration",
        SessionStyle::Fixed("DatadogAWSIntegration"),
    ),
    ("OrganizationAccountAccessRole", SessionStyle::Sdk),
    ("backup-service-role", SessionStyle::Sdk),
];

/// AWS services that assume service-linked roles and call APIs as `AWSService`.
pub(crate) const INVOKING_SERVICES: &[&str] = &[
    "ec2.amazonaws.com",
    "autoscaling.amazonaws.com",
    "ecs.amazonaws.com",
    "lambda.amazonaws.com",
    "config.amazonaws.com",
    "cloudformation.amazonaws.com",
    "elasticloadbalancing.amazonaws.com",
    "inspector2.amazonaws.com",
    "access-analyzer.amazonaws.com",
];

/// How a workload role's session name is formed.
#[derive(Clone, Copy, Debug)]
pub(crate) enum SessionStyle {
    /// The EC2 instance id.
    Instance,
    /// An ECS task id (32 hex digits).
    EcsTask,
    /// The Lambda function name (the role name).
    Lambda,
    /// An SDK default such as `botocore-session-1790812800`.
    Sdk,
    /// A fixed name.
    Fixed(&'static str),
}

/// An IAM user.
#[derive(Debug)]
pub(crate) struct User {
    pub(crate) name: String,
    pub(crate) principal_id: String,
    pub(crate) access_key: String,
    /// A person who signs in to the console (with MFA); otherwise a machine user with keys.
    pub(crate) human: bool,
    /// The address the user usually calls from.
    pub(crate) home_ip: Ipv4Addr,
}

/// An IAM role that sessions are assumed from.
#[derive(Debug)]
pub(crate) struct Role {
    pub(crate) name: String,
    /// Path including slashes, `/` for most roles.
    pub(crate) path: String,
    pub(crate) principal_id: String,
    pub(crate) kind: RoleKind,
}

/// What kind of principal assumes a role.
#[derive(Clone, Copy, Debug)]
pub(crate) enum RoleKind {
    /// An IAM Identity Center permission set, assumed by a person.
    Sso,
    /// A workload (ECS task, Lambda function, instance profile, CI).
    Workload(SessionStyle),
}

/// An EC2 instance with its primary network interface.
#[derive(Debug)]
pub(crate) struct Instance {
    pub(crate) id: String,
    pub(crate) eni: String,
    pub(crate) ip: Ipv4Addr,
    pub(crate) subnet: String,
    /// Index into [`World::vpcs`].
    pub(crate) vpc: usize,
}

/// A VPC with a flow log.
#[derive(Debug)]
pub(crate) struct Vpc {
    pub(crate) id: String,
    pub(crate) region: &'static str,
    /// The second octet of its `10.x.0.0/16` CIDR.
    pub(crate) second_octet: u8,
    pub(crate) flow_log_id: String,
    /// The availability zone id (`use1-az2`) of its subnets.
    pub(crate) az_id: &'static str,
}

/// An Application Load Balancer.
#[derive(Debug)]
pub(crate) struct LoadBalancer {
    /// `app/<name>/<16 hex>`.
    pub(crate) resource: String,
    pub(crate) region: &'static str,
    pub(crate) host: String,
    pub(crate) target_group_arn: String,
}

/// The attacker of the planted scenarios.
#[derive(Debug)]
pub(crate) struct Attacker {
    pub(crate) ip: Ipv4Addr,
    /// A second address, used for web scanning.
    pub(crate) scanner_ip: Ipv4Addr,
    /// Index into [`World::users`] of the machine user whose access key was stolen.
    pub(crate) stolen_user: usize,
    /// The IAM user the attacker creates a key for and makes administrator.
    pub(crate) backdoor_user: String,
}

/// The organisation every generator describes. See the module docs.
#[derive(Debug)]
pub(crate) struct World {
    pub(crate) account: String,
    pub(crate) company: &'static str,
    pub(crate) users: Vec<User>,
    pub(crate) roles: Vec<Role>,
    pub(crate) office_ips: Vec<Ipv4Addr>,
    pub(crate) nat_ips: Vec<Ipv4Addr>,
    pub(crate) buckets: Vec<String>,
    pub(crate) kms_keys: Vec<String>,
    pub(crate) security_groups: Vec<String>,
    pub(crate) vpcs: Vec<Vpc>,
    pub(crate) instances: Vec<Instance>,
    pub(crate) load_balancers: Vec<LoadBalancer>,
    /// CloudFront distribution ids (`E` and 13 characters) with their domain names.
    pub(crate) distributions: Vec<(String, String)>,
    /// WAF web ACL ARNs: one regional (in front of the ALBs) and one global (CloudFront).
    pub(crate) web_acls: [String; 2],
    pub(crate) trail_name: String,
    pub(crate) detector_id: String,
    pub(crate) attacker: Attacker,
}

impl World {
    /// Draws a world from `rng`.
    pub(crate) fn new(rng: &mut Rng) -> Self {
        let account = format!(
            "{:012}",
            rand::Rng::random_range(rng, 100_000_000_000u64..1_000_000_000_000)
        );
        let company = *one(rng, COMPANIES);
        let office_ips: Vec<Ipv4Addr> = (0..4).map(|_| public_ipv4(rng)).collect();
        let nat_ips: Vec<Ipv4Addr> = (0..3).map(|_| public_ipv4(rng)).collect();
        let users: Vec<User> = HUMANS
            .iter()
            .map(|name| (name, true))
            .chain(MACHINE_USERS.iter().map(|name| (name, false)))
            .map(|(name, human)| User {
                name: (*name).to_owned(),
                principal_id: principal_id_string(rng, "AIDA"),
                access_key: access_key_string(rng, "AKIA"),
                human,
                home_ip: if human {
                    *one(rng, &office_ips)
                } else {
                    *one(rng, &nat_ips)
                },
            })
            .collect();
        let mut roles: Vec<Role> = SSO_PERMISSION_SETS
            .iter()
            .map(|set| Role {
                name: format!("AWSReservedSSO_{set}_{}", hex_string(rng, 16)),
                path: "/aws-reserved/sso.amazonaws.com/".to_owned(),
                principal_id: principal_id_string(rng, "AROA"),
                kind: RoleKind::Sso,
            })
            .collect();
        roles.extend(WORKLOAD_ROLES.iter().map(|(name, style)| Role {
            name: (*name).to_owned(),
            path: "/".to_owned(),
            principal_id: principal_id_string(rng, "AROA"),
            kind: RoleKind::Workload(*style),
        }));
        let vpcs = vec![
            Vpc {
                id: resource_id_string(rng, "vpc"),
                region: REGIONS[0].0,
                second_octet: 0,
                flow_log_id: resource_id_string(rng, "fl"),
                az_id: "use1-az4",
            },
            Vpc {
                id: resource_id_string(rng, "vpc"),
                region: REGIONS[1].0,
                second_octet: 1,
                flow_log_id: resource_id_string(rng, "fl"),
                az_id: "euw1-az2",
            },
        ];
        let instances = (0..24)
            .map(|index| {
                let vpc = index % vpcs.len();
                Instance {
                    id: resource_id_string(rng, "i"),
                    eni: resource_id_string(rng, "eni"),
                    ip: private_ipv4(rng, vpcs[vpc].second_octet),
                    subnet: resource_id_string(rng, "subnet"),
                    vpc,
                }
            })
            .collect();
        let load_balancers = ["prod-web", "prod-api"]
            .iter()
            .map(|name| LoadBalancer {
                resource: format!("app/{name}-alb/{}", hex_string(rng, 16)),
                region: REGIONS[0].0,
                host: format!("{}.{company}.com", name.trim_start_matches("prod-")),
                target_group_arn: format!(
                    "arn:aws:elasticloadbalancing:{}:{account}:targetgroup/{name}-tg/{}",
                    REGIONS[0].0,
                    hex_string(rng, 16)
                ),
            })
            .collect();
        let distributions = (0..2)
            .map(|_| {
                let mut id = String::from("E");
                crate::ids::upper_alnum(rng, 13, &mut id);
                let domain = format!("d{}.cloudfront.net", lower_alnum_string(rng, 13));
                (id, domain)
            })
            .collect();
        let web_acls = [
            format!(
                "arn:aws:wafv2:{}:{account}:regional/webacl/prod-web-acl/{}",
                REGIONS[0].0,
                uuid_string(rng)
            ),
            format!(
                "arn:aws:wafv2:us-east-1:{account}:global/webacl/cdn-web-acl/{}",
                uuid_string(rng)
            ),
        ];
        let attacker = Attacker {
            ip: attacker_ipv4(rng),
            scanner_ip: attacker_ipv4(rng),
            stolen_user: HUMANS.len() + rand::Rng::random_range(rng, 0..MACHINE_USERS.len()),
            backdoor_user: format!("{}-support", lower_alnum_string(rng, 6)),
        };
        World {
            company,
            users,
            roles,
            office_ips,
            nat_ips,
            buckets: [
                "assets",
                "logs",
                "backups",
                "data-lake",
                "terraform-state",
                "uploads",
            ]
            .iter()
            .map(|suffix| format!("{company}-{}-{suffix}", &account[8..]))
            .collect(),
            kms_keys: (0..5).map(|_| uuid_string(rng)).collect(),
            security_groups: (0..8).map(|_| resource_id_string(rng, "sg")).collect(),
            vpcs,
            instances,
            load_balancers,
            distributions,
            web_acls,
            trail_name: "management-events".to_owned(),
            detector_id: hex_string(rng, 32),
            attacker,
            account,
        }
    }

    /// `arn:aws:iam::<account>:<resource>`.
    pub(crate) fn iam_arn(&self, resource: &str) -> String {
        format!("arn:aws:iam::{}:{resource}", self.account)
    }
}
