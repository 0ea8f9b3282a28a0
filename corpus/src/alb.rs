//! Application Load Balancer access logs: space-separated, one request per line.
//!
//! Fields, in the documented order (33 of them; quoted ones in quotes):
//! `type time elb client:port target:port request_processing_time target_processing_time
//! response_processing_time elb_status_code target_status_code received_bytes sent_bytes
//! "request" "user_agent" ssl_cipher ssl_protocol target_group_arn "trace_id" "domain_name"
//! "chosen_cert_arn" matched_rule_priority request_creation_time "actions_executed"
//! "redirect_url" "error_reason" "target:port_list" "target_status_code_list" "classification"
//! "classification_reason" conn_trace_id "transformed_host" "transformed_uri"
//! "request_transform_status"`.
//!
//! Requests blocked by the WAF in front of the load balancer show `elb_status_code` 403, no
//! target, `-1` timings and `actions_executed` `waf`. The trace id (`Root=1-<hex time>-<24 hex>`)
//! is the ground-truth key.

use std::fmt::Write as _;
use std::sync::Arc;

use rand::Rng as _;

use crate::ids::{hex, uuid_string};
use crate::net::write_ip;
use crate::pick::{Rng, chance, one};
use crate::scenario::Scenario;
use crate::stream::{Planted, SourceGen, StreamSpec};
use crate::time::Millis;
use crate::web::{self, HttpRequest, WebTraffic};
use crate::world::World;

/// The number of space-separated fields (quoted fields count as one) of an ALB log line.
pub const ALB_FIELDS: usize = 33;

/// Generates ALB access log lines.
pub(crate) struct AlbGen {
    world: Arc<World>,
    rng: Rng,
    traffic: WebTraffic,
    /// ACM certificate ARN per load balancer.
    certificates: Vec<String>,
}

impl AlbGen {
    pub(crate) fn new(world: Arc<World>, mut rng: Rng) -> Self {
        let traffic = WebTraffic::new(&mut rng, 2_000);
        let certificates = world
            .load_balancers
            .iter()
            .map(|lb| {
                format!(
                    "arn:aws:acm:{}:{}:certificate/{}",
                    lb.region,
                    world.account,
                    uuid_string(&mut rng)
                )
            })
            .collect();
        AlbGen {
            world,
            rng,
            traffic,
            certificates,
        }
    }

    /// Writes one line for `request` answered at `time`; returns the trace id.
    fn write(
        &mut self,
        time: Millis,
        stream: usize,
        request: &HttpRequest,
        out: &mut String,
    ) -> String {
        let rng = &mut self.rng;
        let lb = &self.world.load_balancers[stream];
        let blocked_by_waf = request.status == 403 && request.method == "POST";
        let target = (!blocked_by_waf).then(|| {
            let instance = one(rng, &self.world.instances[..6]);
            (instance.ip, 8080)
        });
        let target_seconds = rng.random_range(0.002..0.350);
        let created = time.plus(-((target_seconds * 1000.0) as i64) - 1);
        let kind = if request.is_http2() { "h2" } else { "https" };
        let mut trace = String::with_capacity(40);
        let _ = write!(trace, "Root=1-{:08x}-", created.epoch_seconds());
        hex(rng, 24, &mut trace);

        out.push_str(kind);
        out.push(' ');
        time.write_iso_micros(rng.random_range(0..1000), out);
        let _ = write!(out, " {} ", lb.resource);
        write_ip(request.client_ip, out);
        let _ = write!(out, ":{} ", request.client_port);
        match target {
            Some((ip, port)) => {
                write_ip(ip, out);
                let _ = write!(
                    out,
                    ":{port} {:.3} {:.3} {:.3} {} {} ",
                    rng.random_range(0.0..0.002),
                    target_seconds,
                    0.0,
                    request.status,
                    request.status
                );
            }
            None => {
                let _ = write!(out, "- -1 -1 -1 {} - ", request.status);
            }
        }
        let _ = write!(
            out,
            "{} {} \"{} https://{}:443{} {}\" \"{}\" ",
            request.request_bytes,
            request.response_bytes,
            request.method,
            lb.host,
            request.path_and_query(),
            if request.is_http2() {
                "HTTP/2.0"
            } else {
                "HTTP/1.1"
            },
            request.user_agent
        );
        let (cipher, protocol) = if chance(rng, 0.7) {
            ("TLS_AES_128_GCM_SHA256", "TLSv1.3")
        } else {
            ("ECDHE-RSA-AES128-GCM-SHA256", "TLSv1.2")
        };
        let _ = write!(
            out,
            "{cipher} {protocol} {} \"{trace}\" \"{}\" \"{}\" {} ",
            if target.is_some() {
                lb.target_group_arn.as_str()
            } else {
                "-"
            },
            lb.host,
            self.certificates[stream],
            if target.is_some() {
                *one(rng, &[0, 1, 2])
            } else {
                0
            }
        );
        created.write_iso_micros(rng.random_range(0..1000), out);
        match target {
            Some((ip, port)) => {
                let _ = write!(
                    out,
                    " \"waf,forward\" \"-\" \"-\" \"{ip}:{port}\" \"{}\" \"-\" \"-\" ",
                    request.status
                );
            }
            None => out.push_str(" \"waf\" \"-\" \"-\" \"-\" \"-\" \"-\" \"-\" "),
        }
        out.push_str("TID_");
        hex(rng, 32, out);
        out.push_str(" \"-\" \"-\" \"-\"");
        trace
    }
}

impl SourceGen for AlbGen {
    fn streams(&self) -> Vec<StreamSpec> {
        self.world
            .load_balancers
            .iter()
            .map(|lb| StreamSpec {
                region: lb.region,
                resource: lb.resource.clone(),
                flat_file: "alb.log",
                header: None,
            })
            .collect()
    }

    fn benign(&mut self, time: Millis, out: &mut String) -> usize {
        let stream = usize::from(chance(&mut self.rng, 0.45));
        let request = self.traffic.benign(&mut self.rng);
        self.write(time, stream, &request, out);
        stream
    }

    fn plant(&mut self, scenario: Scenario, time: Millis) -> Vec<Planted> {
        let (requests, detail) = web::planted_requests(&mut self.rng, &self.world, scenario);
        let times = web::spaced_times(&mut self.rng, time, requests.len());
        let stream = 1;
        web::render_planted(&requests, &times, stream, detail, |time, request, out| {
            self.write(time, stream, request, out)
        })
    }
}
