//! IAM calls whose parameters carry policy documents or access keys.
//!
//! Policy documents travel as JSON *strings* inside `requestParameters` (pretty-printed, as the
//! console sends them) and come back URL-encoded in `responseElements`, as IAM returns them.
//! Access-key calls in benign traffic always act on the caller's own user.

use std::fmt::Write as _;

use super::catalog::Api;
use super::identity::Principal;
use super::params::{Call, Payload};
use crate::ids::{access_key_string, hex_string, principal_id_string};
use crate::json::{Obj, object_string};
use crate::pick::{Rng, one};
use crate::time::Millis;

/// A policy document allowing read access to one bucket, pretty-printed as the console does.
fn policy_document(bucket: &str) -> String {
    format!(
        "{{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {{\n      \"Effect\": \"Allow\",\n      \"Action\": [\"s3:GetObject\", \"s3:ListBucket\"],\n      \"Resource\": [\"arn:aws:s3:::{bucket}\", \"arn:aws:s3:::{bucket}/*\"]\n    }}\n  ]\n}}"
    )
}

fn trust_policy(service: &str) -> String {
    object_string(|o| {
        o.str("Version", "2012-10-17");
        o.arr("Statement", |a| {
            a.obj(|s| {
                s.str("Effect", "Allow");
                s.obj("Principal", |p| p.str("Service", service));
                s.str("Action", "sts:AssumeRole");
            })
        });
    })
}

/// Percent-encodes JSON the way IAM returns policy documents in responses.
fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'*') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

pub(super) fn policy_call(rng: &mut Rng, api: Api, call: &Call<'_>, payload: &mut Payload) {
    let world = call.world;
    let bucket = one(rng, &world.buckets);
    let name = format!("{}-read", bucket.rsplit('-').next().unwrap_or("data"));
    let created = call.time.format(Millis::write_java_datetime);
    match api.name {
        "CreateRole" => {
            let role = format!("app-{}", crate::ids::lower_alnum_string(rng, 6));
            let trust = trust_policy("ecs-tasks.amazonaws.com");
            Obj::write(&mut payload.request, |o| {
                o.str("roleName", &role);
                o.str("assumeRolePolicyDocument", &trust);
                o.str("description", "Task role");
            });
            Obj::write(&mut payload.response, |o| {
                o.obj("role", |r| {
                    r.str("path", "/");
                    r.str("roleName", &role);
                    r.str("roleId", &principal_id_string(rng, "AROA"));
                    r.str("arn", &world.iam_arn(&format!("role/{role}")));
                    r.str("createDate", &created);
                    r.str("assumeRolePolicyDocument", &url_encode(&trust));
                })
            });
        }
        "CreatePolicy" | "CreatePolicyVersion" => {
            let arn = world.iam_arn(&format!("policy/{name}"));
            Obj::write(&mut payload.request, |o| {
                if api.name == "CreatePolicy" {
                    o.str("policyName", &name);
                } else {
                    o.str("policyArn", &arn);
                    o.bool("setAsDefault", true);
                }
                o.str("policyDocument", &policy_document(bucket));
            });
            Obj::write(&mut payload.response, |o| {
                o.obj("policy", |p| {
                    p.str("policyName", &name);
                    p.str(
                        "policyId",
                        &format!("ANPA{}", hex_string(rng, 17).to_uppercase()),
                    );
                    p.str("arn", &arn);
                    p.str("path", "/");
                    p.str("defaultVersionId", "v1");
                    p.int("attachmentCount", 0);
                    p.bool("isAttachable", true);
                    p.str("createDate", &created);
                    p.str("updateDate", &created);
                })
            });
        }
        _ => Obj::write(&mut payload.request, |o| {
            if api.name == "PutUserPolicy" {
                o.str("userName", &one(rng, &world.users).name);
            } else {
                o.str("roleName", &one(rng, &world.roles).name);
            }
            o.str("policyName", &name);
            o.str("policyDocument", &policy_document(bucket));
        }),
    }
}

/// Key management by an IAM user on its own keys (never another user's).
pub(super) fn own_key_call(rng: &mut Rng, api: Api, call: &Call<'_>, payload: &mut Payload) {
    let Principal::User(user) = call.caller.principal else {
        return;
    };
    let user = &call.world.users[user].name;
    let created = call.time.format(Millis::write_java_datetime);
    match api.name {
        "CreateAccessKey" => {
            Obj::write(&mut payload.request, |o| o.str("userName", user));
            Obj::write(&mut payload.response, |o| {
                o.obj("accessKey", |k| {
                    k.str("userName", user);
                    k.str("accessKeyId", &access_key_string(rng, "AKIA"));
                    k.str("status", "Active");
                    k.str("createDate", &created);
                })
            });
        }
        "UpdateAccessKey" | "DeleteAccessKey" => Obj::write(&mut payload.request, |o| {
            o.str("userName", user);
            o.str("accessKeyId", &access_key_string(rng, "AKIA"));
            if api.name == "UpdateAccessKey" {
                o.str("status", "Inactive");
            }
        }),
        _ => Obj::write(&mut payload.request, |o| o.str("userName", user)),
    }
}
