//! Who calls: the `userIdentity` variants, their sessions, addresses and user agents.
//!
//! Most calls come from assumed roles (workloads and IAM Identity Center users), then AWS
//! services, IAM users (machine users with long-term `AKIA` keys, people with console sessions),
//! a few federated users and, rarely, the root user (always with MFA in benign traffic).
//! Sessions persist: a role's session keeps its name and `ASIA` key for up to an hour, so the
//! same key appears in consecutive records as in real trails.

use crate::ids::access_key_string;
use crate::json::Obj;
use crate::net::public_ipv4;
use crate::pick::{Rng, chance, one, weighted};
use crate::time::Millis;
use crate::world::{INVOKING_SERVICES, RoleKind, SessionStyle, World};

/// Console browsers of people.
pub(super) const CONSOLE_AGENTS: &[&str] = &[
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0",
    "AWS Internal",
];

const CLI_AGENTS: &[&str] = &[
    "aws-cli/2.18.5 md/awscrt#0.22.0 ua/2.0 os/macos#23.6.0 md/arch#arm64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#s3.ls",
    "aws-cli/2.17.40 md/awscrt#0.21.2 ua/2.0 os/linux#6.8.0-45-generic md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#ec2.describe-instances",
];

const TERRAFORM_AGENT: &str = "APN/1.0 HashiCorp/1.0 Terraform/1.9.7 (+https://www.terraform.io) terraform-provider-aws/5.70.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.32.0 ua/2.1 os/linux lang/go#1.23.1 md/GOOS#linux md/GOARCH#amd64 api/sts#1.32.0";
const BOTO3_AGENT: &str = "Boto3/1.35.36 md/Botocore#1.35.36 ua/2.0 os/linux#5.10.226-234.878.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.36";
const LAMBDA_AGENT: &str = "Boto3/1.35.36 md/Botocore#1.35.36 ua/2.0 os/linux#5.10.226-234.878.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.35.36";
const ECS_AGENT: &str = "aws-sdk-java/2.28.16 Linux/5.10.225-213.878.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/21.0.4+7-LTS Java/21.0.4 vendor/Amazon.com_Inc. md/internal exec-env/AWS_ECS_FARGATE io/sync http/Apache cfg/retry-mode/legacy";
const INSTANCE_AGENT: &str =
    "aws-sdk-go/1.55.5 (go1.22.7; linux; amd64) amazon-ssm-agent/3.3.987.0";
const CI_AGENT: &str = "aws-cli/2.18.5 md/awscrt#0.22.0 ua/2.0 os/linux#6.8.0-1014-azure md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.22 md/prompt#off md/command#cloudformation.deploy";
const FEDERATED_AGENT: &str = "aws-sdk-go-v2/1.32.2 ua/2.1 os/linux lang/go#1.23.2 md/GOOS#linux md/GOARCH#amd64 api/s3#1.65.3";

/// The kind of principal behind a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Principal {
    /// The account root user.
    Root,
    /// An IAM user, by index into [`World::users`].
    User(usize),
    /// A session of a role, by index into [`World::roles`].
    Role(usize),
    /// An AWS service acting for the account (`invokedBy`).
    Service(&'static str),
    /// A federation session (`GetFederationToken`) issued by an IAM user.
    Federated(usize),
}

/// A caller with everything the record shows about it.
#[derive(Clone, Debug)]
pub(super) struct Caller {
    pub(super) principal: Principal,
    pub(super) access_key: Option<String>,
    pub(super) session_name: String,
    pub(super) session_created: Option<Millis>,
    pub(super) mfa: bool,
    pub(super) console: bool,
    pub(super) source_ip: String,
    pub(super) user_agent: &'static str,
}

/// What an API demands of its caller in benign traffic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Requirement {
    /// Any caller.
    Anyone,
    /// A person signing in (console login).
    Person,
    /// An IAM user acting on its own keys.
    IamUser,
}

/// A role or user session that is reused until it expires.
#[derive(Clone, Debug)]
struct Session {
    access_key: String,
    name: String,
    created: Millis,
}

const SESSION_LIFETIME_MS: i64 = Millis::HOUR;

/// Draws callers and keeps their sessions.
pub(super) struct Callers {
    /// One slot per role, then one per user.
    sessions: Vec<Option<Session>>,
    /// Indices into [`World::users`]: people, then machine users.
    humans: Vec<usize>,
    machines: Vec<usize>,
    /// Indices into [`World::roles`]: Identity Center roles, then workload roles.
    sso_roles: Vec<usize>,
    workload_roles: Vec<usize>,
}

impl Callers {
    pub(super) fn new(world: &World) -> Self {
        let (humans, machines) = (0..world.users.len()).partition(|&u| world.users[u].human);
        let (sso_roles, workload_roles) =
            (0..world.roles.len()).partition(|&r| matches!(world.roles[r].kind, RoleKind::Sso));
        Callers {
            sessions: vec![None; world.roles.len() + world.users.len()],
            humans,
            machines,
            sso_roles,
            workload_roles,
        }
    }

    /// A benign caller at `now` that satisfies `requirement`.
    pub(super) fn pick(
        &mut self,
        rng: &mut Rng,
        world: &World,
        now: Millis,
        requirement: Requirement,
    ) -> Caller {
        let (humans, machines) = (&self.humans, &self.machines);
        let sso_roles = &self.sso_roles;
        let principal = match requirement {
            Requirement::Person => match *weighted(rng, &[(0, 60), (1, 38), (2, 2)]) {
                0 => Principal::User(*one(rng, humans)),
                1 => Principal::Role(*one(rng, sso_roles)),
                _ => Principal::Root,
            },
            Requirement::IamUser => Principal::User(*one(rng, machines)),
            Requirement::Anyone => match *weighted(
                rng,
                &[
                    (0, 500),
                    (1, 140),
                    (2, 120),
                    (3, 120),
                    (4, 60),
                    (5, 20),
                    (6, 2),
                ],
            ) {
                0 => Principal::Role(*one(rng, &self.workload_roles)),
                1 => Principal::Role(*one(rng, sso_roles)),
                2 => {
                    let service = *one(rng, INVOKING_SERVICES);
                    Principal::Service(service)
                }
                3 => Principal::User(*one(rng, machines)),
                4 => Principal::User(*one(rng, humans)),
                5 => Principal::Federated(*one(rng, machines)),
                _ => Principal::Root,
            },
        };
        self.caller(rng, world, now, principal)
    }

    /// The caller for `principal` at `now`, reusing or renewing its session.
    pub(super) fn caller(
        &mut self,
        rng: &mut Rng,
        world: &World,
        now: Millis,
        principal: Principal,
    ) -> Caller {
        let mut caller = Caller {
            principal,
            access_key: None,
            session_name: String::new(),
            session_created: None,
            mfa: false,
            console: false,
            source_ip: String::new(),
            user_agent: BOTO3_AGENT,
        };
        match principal {
            Principal::Root => {
                caller.mfa = true;
                caller.console = true;
                caller.access_key = Some(access_key_string(rng, "ASIA"));
                caller.session_created = Some(now.plus(-rng_minutes(rng, 30)));
                caller.source_ip = world.office_ips[0].to_string();
                caller.user_agent = CONSOLE_AGENTS[0];
            }
            Principal::User(user) => {
                let person = &world.users[user];
                caller.source_ip = person.home_ip.to_string();
                if person.human {
                    let session =
                        self.session(rng, world.roles.len() + user, now, |_| person.name.clone());
                    caller.access_key = Some(session.access_key.clone());
                    caller.session_created = Some(session.created);
                    caller.mfa = true;
                    caller.console = true;
                    caller.user_agent = *one(rng, CONSOLE_AGENTS);
                } else {
                    caller.access_key = Some(person.access_key.clone());
                    caller.user_agent = if person.name == "terraform" {
                        TERRAFORM_AGENT
                    } else {
                        BOTO3_AGENT
                    };
                }
            }
            Principal::Role(role) => {
                let kind = world.roles[role].kind;
                let session =
                    self.session(rng, role, now, |rng| session_name(rng, world, kind, now));
                caller.access_key = Some(session.access_key.clone());
                caller.session_name = session.name.clone();
                caller.session_created = Some(session.created);
                let (agent, ip) = match kind {
                    RoleKind::Sso => {
                        let person = world
                            .users
                            .iter()
                            .find(|u| session.name.starts_with(&u.name));
                        let ip = person.map_or(world.office_ips[1], |p| p.home_ip);
                        let agent = if chance(rng, 0.6) {
                            *one(rng, CONSOLE_AGENTS)
                        } else {
                            *one(rng, CLI_AGENTS)
                        };
                        caller.console = agent != CLI_AGENTS[0] && agent != CLI_AGENTS[1];
                        (agent, ip)
                    }
                    RoleKind::Workload(style) => {
                        let agent = match style {
                            SessionStyle::EcsTask => ECS_AGENT,
                            SessionStyle::Instance => INSTANCE_AGENT,
                            SessionStyle::Lambda => LAMBDA_AGENT,
                            SessionStyle::Sdk => BOTO3_AGENT,
                            SessionStyle::Fixed(_) => CI_AGENT,
                        };
                        let ip = if matches!(style, SessionStyle::Fixed(_)) {
                            public_ipv4(rng)
                        } else {
                            *one(rng, &world.nat_ips)
                        };
                        (agent, ip)
                    }
                };
                caller.user_agent = agent;
                caller.source_ip = ip.to_string();
            }
            Principal::Service(service) => {
                caller.source_ip = service.to_owned();
                caller.user_agent = service;
            }
            Principal::Federated(user) => {
                caller.access_key = Some(access_key_string(rng, "ASIA"));
                caller.session_name = format!("{}-batch", world.users[user].name);
                caller.session_created = Some(now.plus(-rng_minutes(rng, 50)));
                caller.source_ip = world.users[user].home_ip.to_string();
                caller.user_agent = FEDERATED_AGENT;
            }
        }
        caller
    }

    fn session(
        &mut self,
        rng: &mut Rng,
        slot: usize,
        now: Millis,
        name: impl FnOnce(&mut Rng) -> String,
    ) -> &Session {
        let expired = match &self.sessions[slot] {
            Some(session) => now.0 - session.created.0 > SESSION_LIFETIME_MS,
            None => true,
        };
        if expired {
            self.sessions[slot] = Some(Session {
                access_key: access_key_string(rng, "ASIA"),
                name: name(rng),
                created: now.plus(-rng_minutes(rng, 5)),
            });
        }
        self.sessions[slot].as_ref().expect("set above")
    }
}

fn rng_minutes(rng: &mut Rng, max: i64) -> i64 {
    rand::Rng::random_range(rng, 0..max * Millis::MINUTE)
}

fn session_name(rng: &mut Rng, world: &World, kind: RoleKind, now: Millis) -> String {
    match kind {
        RoleKind::Sso => {
            let humans: Vec<&str> = world
                .users
                .iter()
                .filter(|u| u.human)
                .map(|u| u.name.as_str())
                .collect();
            format!("{}@{}.com", one(rng, &humans), world.company)
        }
        RoleKind::Workload(SessionStyle::Instance) => one(rng, &world.instances).id.clone(),
        RoleKind::Workload(SessionStyle::EcsTask) => crate::ids::hex_string(rng, 32),
        RoleKind::Workload(SessionStyle::Lambda) => {
            format!("lambda-{}", crate::ids::hex_string(rng, 8))
        }
        RoleKind::Workload(SessionStyle::Sdk) => {
            format!("botocore-session-{}", now.epoch_seconds())
        }
        RoleKind::Workload(SessionStyle::Fixed(name)) => name.to_owned(),
    }
}

/// The ARN of the caller, as `userIdentity.arn` shows it (empty for services).
pub(super) fn caller_arn(world: &World, caller: &Caller) -> String {
    match caller.principal {
        Principal::Root => world.iam_arn("root"),
        Principal::User(user) => world.iam_arn(&format!("user/{}", world.users[user].name)),
        Principal::Role(role) => format!(
            "arn:aws:sts::{}:assumed-role/{}/{}",
            world.account, world.roles[role].name, caller.session_name
        ),
        Principal::Federated(_) => format!(
            "arn:aws:sts::{}:federated-user/{}",
            world.account, caller.session_name
        ),
        Principal::Service(_) => String::new(),
    }
}

/// Writes the `userIdentity` object.
pub(super) fn write_identity(o: &mut Obj<'_>, world: &World, caller: &Caller) {
    let session_context = |o: &mut Obj<'_>, issuer: Option<(&str, &str, String, &str)>| {
        o.obj("sessionContext", |s| {
            s.obj("sessionIssuer", |i| {
                if let Some((kind, principal_id, arn, name)) = &issuer {
                    i.str("type", kind);
                    i.str("principalId", principal_id);
                    i.str("arn", arn);
                    i.str("accountId", &world.account);
                    i.str("userName", name);
                }
            });
            s.obj("webIdFederationData", |_| {});
            s.obj("attributes", |a| {
                let created = caller.session_created.unwrap_or(Millis(0));
                a.str("creationDate", &created.format(Millis::write_iso_seconds));
                a.str(
                    "mfaAuthenticated",
                    if caller.mfa { "true" } else { "false" },
                );
            });
        });
    };
    match caller.principal {
        Principal::Service(service) => {
            o.str("type", "AWSService");
            o.str("invokedBy", service);
        }
        Principal::Root => {
            o.str("type", "Root");
            o.str("principalId", &world.account);
            o.str("arn", &caller_arn(world, caller));
            o.str("accountId", &world.account);
            if let Some(key) = &caller.access_key {
                o.str("accessKeyId", key);
                session_context(o, None);
            }
        }
        Principal::User(user) => {
            let person = &world.users[user];
            o.str("type", "IAMUser");
            o.str("principalId", &person.principal_id);
            o.str("arn", &caller_arn(world, caller));
            o.str("accountId", &world.account);
            if let Some(key) = &caller.access_key {
                o.str("accessKeyId", key);
            }
            o.str("userName", &person.name);
            if caller.console {
                session_context(o, None);
            }
        }
        Principal::Role(role) => {
            let role = &world.roles[role];
            o.str("type", "AssumedRole");
            o.str(
                "principalId",
                &format!("{}:{}", role.principal_id, caller.session_name),
            );
            o.str("arn", &caller_arn(world, caller));
            o.str("accountId", &world.account);
            if let Some(key) = &caller.access_key {
                o.str("accessKeyId", key);
            }
            let role_arn = world.iam_arn(&format!("role{}{}", role.path, role.name));
            session_context(o, Some(("Role", &role.principal_id, role_arn, &role.name)));
        }
        Principal::Federated(user) => {
            let issuer = &world.users[user];
            o.str("type", "FederatedUser");
            o.str(
                "principalId",
                &format!("{}:{}", world.account, caller.session_name),
            );
            o.str("arn", &caller_arn(world, caller));
            o.str("accountId", &world.account);
            if let Some(key) = &caller.access_key {
                o.str("accessKeyId", key);
            }
            let issuer_arn = world.iam_arn(&format!("user/{}", issuer.name));
            session_context(
                o,
                Some(("IAMUser", &issuer.principal_id, issuer_arn, &issuer.name)),
            );
        }
    }
}
