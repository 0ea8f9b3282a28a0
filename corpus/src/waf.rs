//! AWS WAF (v2) web ACL logs: one JSON object per request, NDJSON.
//!
//! Two web ACLs: a regional one in front of the ALB (`httpSourceName: "ALB"`) and a global one
//! for CloudFront (`"CF"`). Fields follow the documented log layout: `timestamp` in epoch
//! milliseconds, `terminatingRuleId`/`terminatingRuleType`/`action`, `ruleGroupList` with the
//! managed rule groups the ACL runs, `rateBasedRuleList`, and `httpRequest` whose `headers` is an
//! array of `{name, value}` keeping the client's header-name case (lower-case for HTTP/2).
//!
//! Benign requests are mostly `ALLOW` by `Default_Action`, with a few `BLOCK`s by the IP
//! reputation list and the body-size rule. Planted: SQL injection, XSS, path traversal and
//! scanner user agents blocked by the managed rule groups, and a burst of rate-based `BLOCK`s
//! from the attacker's address.

use std::sync::Arc;

use crate::ids::{hex, mixed_alnum, stable_hex, uuid_string};
use crate::json::{Arr, Obj};
use crate::net::{country_of, write_ip};
use crate::pick::{Rng, chance};
use crate::scenario::Scenario;
use crate::stream::{Planted, SourceGen, StreamSpec};
use crate::time::Millis;
use crate::web::{self, HttpRequest, WebTraffic};
use crate::world::World;

/// Managed rule groups every ACL runs, in evaluation order: the rule group id, and the name of
/// the web ACL rule that references it (the `terminatingRuleId` when it blocks).
const RULE_GROUPS: &[(&str, &str)] = &[
    (
        "AWS#AWSManagedRulesAmazonIpReputationList",
        "AWS-AWSManagedRulesAmazonIpReputationList",
    ),
    (
        "AWS#AWSManagedRulesCommonRuleSet",
        "AWS-AWSManagedRulesCommonRuleSet",
    ),
    (
        "AWS#AWSManagedRulesKnownBadInputsRuleSet",
        "AWS-AWSManagedRulesKnownBadInputsRuleSet",
    ),
    (
        "AWS#AWSManagedRulesSQLiRuleSet",
        "AWS-AWSManagedRulesSQLiRuleSet",
    ),
];

/// The name of the web ACL of `stream`: 0 regional (ALB), 1 global (CloudFront).
fn acl_name(stream: usize) -> &'static str {
    if stream == 0 {
        "prod-web-acl"
    } else {
        "cdn-web-acl"
    }
}

/// Why a request was terminated, when it was.
struct Verdict {
    /// The ACL rule that terminated evaluation (`Default_Action` when none did).
    rule: &'static str,
    rule_type: &'static str,
    action: &'static str,
    /// The rule group and its rule that matched.
    group_rule: Option<(&'static str, &'static str)>,
    /// `conditionType`, `location` and matched tokens for SQLi/XSS matches.
    match_details: Option<(&'static str, &'static str, &'static [&'static str])>,
    label: Option<&'static str>,
    rate_based: bool,
}

const ALLOW: Verdict = Verdict {
    rule: "Default_Action",
    rule_type: "REGULAR",
    action: "ALLOW",
    group_rule: None,
    match_details: None,
    label: None,
    rate_based: false,
};

const fn managed_block(
    (group, acl_rule): (&'static str, &'static str),
    rule: &'static str,
    label: &'static str,
    match_details: Option<(&'static str, &'static str, &'static [&'static str])>,
) -> Verdict {
    Verdict {
        rule: acl_rule,
        rule_type: "MANAGED_RULE_GROUP",
        action: "BLOCK",
        group_rule: Some((group, rule)),
        match_details,
        label: Some(label),
        rate_based: false,
    }
}

/// Generates WAF log records.
pub(crate) struct WafGen {
    world: Arc<World>,
    rng: Rng,
    traffic: WebTraffic,
    rate_rule_id: String,
}

impl WafGen {
    pub(crate) fn new(world: Arc<World>, mut rng: Rng) -> Self {
        let traffic = WebTraffic::new(&mut rng, 3_000);
        let rate_rule_id = uuid_string(&mut rng);
        WafGen {
            world,
            rng,
            traffic,
            rate_rule_id,
        }
    }

    fn write(
        &mut self,
        time: Millis,
        stream: usize,
        request: &HttpRequest,
        verdict: &Verdict,
        out: &mut String,
    ) -> String {
        let world = &self.world;
        let rng = &mut self.rng;
        let mut request_id = String::with_capacity(64);
        if stream == 0 {
            request_id.push_str("1-");
            hex(rng, 8, &mut request_id);
            request_id.push('-');
            hex(rng, 24, &mut request_id);
        } else {
            mixed_alnum(rng, 54, &mut request_id);
            request_id.push_str("==");
        }
        let (host, source_name, source_id) = if stream == 0 {
            let lb = &world.load_balancers[0];
            (
                lb.host.clone(),
                "ALB",
                format!("{}-{}", world.account, lb.resource),
            )
        } else {
            let (id, _) = &world.distributions[0];
            (format!("www.{}.com", world.company), "CF", id.clone())
        };
        Obj::write(out, |o| {
            o.int("timestamp", time.0);
            o.int("formatVersion", 1);
            o.str("webaclId", &world.web_acls[stream]);
            o.str("terminatingRuleId", verdict.rule);
            o.str("terminatingRuleType", verdict.rule_type);
            o.str("action", verdict.action);
            o.arr("terminatingRuleMatchDetails", |a| {
                if let Some((condition, location, tokens)) = verdict.match_details {
                    a.obj(|d| {
                        d.str("conditionType", condition);
                        d.str("location", location);
                        d.arr("matchedData", |m| tokens.iter().for_each(|t| m.str(t)));
                    });
                }
            });
            o.str("httpSourceName", source_name);
            o.str("httpSourceId", &source_id);
            o.arr("ruleGroupList", |a| {
                for (group, _) in RULE_GROUPS {
                    a.obj(|g| {
                        g.str("ruleGroupId", group);
                        match verdict.group_rule {
                            Some((matched, rule)) if matched == *group => {
                                g.obj("terminatingRule", |t| {
                                    t.str("ruleId", rule);
                                    t.str("action", "BLOCK");
                                    t.null("ruleMatchDetails");
                                });
                            }
                            _ => g.null("terminatingRule"),
                        }
                        g.arr("nonTerminatingMatchingRules", |_| {});
                        g.null("excludedRules");
                        g.null("customerConfig");
                    });
                }
            });
            o.arr("rateBasedRuleList", |a| {
                if verdict.rate_based {
                    a.obj(|r| {
                        r.str("rateBasedRuleId", &self.rate_rule_id);
                        r.str("rateBasedRuleName", verdict.rule);
                        r.str("limitKey", "IP");
                        r.int("maxRateAllowed", 100);
                        r.int("evaluationWindowSec", 60);
                    });
                }
            });
            o.arr("nonTerminatingMatchingRules", |_| {});
            o.null("requestHeadersInserted");
            o.null("responseCodeSent");
            o.obj("httpRequest", |h| {
                let mut ip = String::with_capacity(15);
                write_ip(request.client_ip, &mut ip);
                h.str("clientIp", &ip);
                h.str("country", country_of(request.client_ip));
                h.arr("headers", |a| write_headers(a, request, &host));
                h.str("uri", &request.path);
                h.str("args", &request.query);
                h.str("httpVersion", request.http_version);
                h.str("httpMethod", request.method);
                h.str("requestId", &request_id);
                h.str("fragment", "");
                h.str("scheme", "https");
                h.str("host", &host);
            });
            if let Some(label) = verdict.label {
                o.arr("labels", |a| a.obj(|l| l.str("name", label)));
            } else if verdict.rate_based {
                let label = format!(
                    "awswaf:{}:webacl:{}:rule:{}",
                    world.account,
                    acl_name(stream),
                    verdict.rule
                );
                o.arr("labels", |a| a.obj(|l| l.str("name", &label)));
            }
            if request.method == "POST" {
                o.int("requestBodySize", request.request_bytes as i64 / 3);
                o.int(
                    "requestBodySizeInspectedByWAF",
                    request.request_bytes as i64 / 3,
                );
            }
            let mut ja3 = String::with_capacity(32);
            stable_hex(request.user_agent, 32, &mut ja3);
            o.str("ja3Fingerprint", &ja3);
        });
        request_id
    }
}

/// Writes the request headers as the client sent them: Title-Case names over HTTP/1.1 and
/// lower-case over HTTP/2.
fn write_headers(a: &mut Arr<'_>, request: &HttpRequest, host: &str) {
    let lower = request.is_http2();
    let mut header = |name: &str, value: &str| {
        a.obj(|h| {
            if lower {
                h.str("name", &name.to_ascii_lowercase());
            } else {
                h.str("name", name);
            }
            h.str("value", value);
        });
    };
    header("Host", host);
    header("User-Agent", request.user_agent);
    let browser = request.user_agent.starts_with("Mozilla/5.0 (");
    if request.method == "POST" {
        header("Content-Type", "application/json");
    }
    if browser {
        header(
            "Accept",
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        );
        header("Accept-Language", "en-US,en;q=0.9");
        header("Accept-Encoding", "gzip, deflate, br");
        if let Some(referer) = request.referer {
            header("Referer", referer);
        }
    } else {
        header("Accept", "*/*");
        header("Accept-Encoding", "gzip, deflate");
    }
    if !lower {
        header("Connection", "keep-alive");
    }
}

impl SourceGen for WafGen {
    fn streams(&self) -> Vec<StreamSpec> {
        (0..2)
            .map(|stream| StreamSpec {
                region: if stream == 0 {
                    self.world.load_balancers[0].region
                } else {
                    "us-east-1"
                },
                resource: acl_name(stream).to_owned(),
                flat_file: "waf.jsonl",
                header: None,
            })
            .collect()
    }

    fn benign(&mut self, time: Millis, out: &mut String) -> usize {
        let stream = usize::from(chance(&mut self.rng, 0.6));
        let mut request = self.traffic.benign(&mut self.rng);
        let roll: f64 = rand::Rng::random(&mut self.rng);
        let verdict = if roll < 0.004 {
            request.status = 403;
            managed_block(
                RULE_GROUPS[0],
                "AWSManagedIPReputationList",
                "awswaf:managed:aws:amazon-ip-list:AWSManagedIPReputationList",
                None,
            )
        } else if roll < 0.006 && request.method == "POST" {
            request.status = 403;
            managed_block(
                RULE_GROUPS[1],
                "SizeRestrictions_BODY",
                "awswaf:managed:aws:core-rule-set:SizeRestrictions_Body",
                None,
            )
        } else {
            ALLOW
        };
        self.write(time, stream, &request, &verdict, out);
        stream
    }

    fn plant(&mut self, scenario: Scenario, time: Millis) -> Vec<Planted> {
        let (requests, detail) = web::planted_requests(&mut self.rng, &self.world, scenario);
        let times = web::spaced_times(&mut self.rng, time, requests.len());
        let verdict = attack_verdict(scenario, detail);
        web::render_planted(&requests, &times, 0, detail, |time, request, out| {
            self.write(time, 0, request, &verdict, out)
        })
    }
}

/// How the web ACL treats the planted `scenario` request of the given variant.
fn attack_verdict(scenario: Scenario, variant: &str) -> Verdict {
    const SQLI_TOKENS: &[&str] = &["'", "UNION", "SELECT"];
    const XSS_TOKENS: &[&str] = &["<", "script"];
    match scenario {
        Scenario::Http403Burst => Verdict {
            rule: "RateLimit-Session",
            rule_type: "RATE_BASED",
            action: "BLOCK",
            group_rule: None,
            match_details: None,
            label: None,
            rate_based: true,
        },
        Scenario::SqlInjection => managed_block(
            RULE_GROUPS[3],
            "SQLi_QUERYARGUMENTS",
            "awswaf:managed:aws:sql-database:SQLi_QueryArguments",
            Some(("SQL_INJECTION", "QUERY_STRING", SQLI_TOKENS)),
        ),
        Scenario::CrossSiteScripting if variant == "javascript_uri" => ALLOW,
        Scenario::CrossSiteScripting => managed_block(
            RULE_GROUPS[1],
            "CrossSiteScripting_QUERYARGUMENTS",
            "awswaf:managed:aws:core-rule-set:CrossSiteScripting_QueryArguments",
            Some(("XSS", "QUERY_STRING", XSS_TOKENS)),
        ),
        Scenario::PathTraversal => managed_block(
            RULE_GROUPS[1],
            "GenericLFI_URIPATH",
            "awswaf:managed:aws:core-rule-set:GenericLFI_URIPath",
            None,
        ),
        _ => managed_block(
            RULE_GROUPS[1],
            "UserAgent_BadBots_HEADER",
            "awswaf:managed:aws:core-rule-set:BadBots_Header",
            None,
        ),
    }
}
