//! CloudFront standard (legacy) access logs: W3C extended format, tab-separated.
//!
//! Every file starts with `#Version: 1.0` and a `#Fields:` line naming the 33 fields below;
//! values are URL-encoded (spaces in user agents as `%20`) and empty values are `-`. The
//! `x-edge-request-id` is the ground-truth key. Requests refused (benign private objects, the
//! planted 403 burst) have `x-edge-result-type` `Error`.

use std::fmt::Write as _;
use std::sync::Arc;

use rand::Rng as _;

use crate::ids::mixed_alnum;
use crate::net::write_ip;
use crate::pick::{Rng, chance, one, weighted};
use crate::scenario::Scenario;
use crate::stream::{Planted, SourceGen, StreamSpec};
use crate::time::Millis;
use crate::web::{self, HttpRequest, WebTraffic};
use crate::world::World;

/// The `#Fields:` names, in order.
pub const CLOUDFRONT_FIELDS: &[&str] = &[
    "date",
    "time",
    "x-edge-location",
    "sc-bytes",
    "c-ip",
    "cs-method",
    "cs(Host)",
    "cs-uri-stem",
    "sc-status",
    "cs(Referer)",
    "cs(User-Agent)",
    "cs-uri-query",
    "cs(Cookie)",
    "x-edge-result-type",
    "x-edge-request-id",
    "x-host-header",
    "cs-protocol",
    "cs-bytes",
    "time-taken",
    "x-forwarded-for",
    "ssl-protocol",
    "ssl-cipher",
    "x-edge-response-result-type",
    "cs-protocol-version",
    "fle-status",
    "fle-encrypted-fields",
    "c-port",
    "time-to-first-byte",
    "x-edge-detailed-result-type",
    "sc-content-type",
    "sc-content-len",
    "sc-range-start",
    "sc-range-end",
];

const EDGE_LOCATIONS: &[(&str, u32)] = &[
    ("IAD89-P1", 20),
    ("IAD61-P4", 10),
    ("JFK50-P3", 10),
    ("SFO53-P2", 8),
    ("FRA56-P5", 10),
    ("LHR61-P2", 9),
    ("AMS58-P1", 6),
    ("NRT57-P3", 5),
    ("SIN2-P7", 4),
    ("GRU3-P1", 3),
];

/// Appends `value` URL-encoded the way CloudFront logs encode fields: spaces, quotes, angle
/// brackets, backslashes, tabs and non-ASCII bytes as `%XX`; `-` for an empty value.
fn write_encoded(value: &str, out: &mut String) {
    if value.is_empty() {
        out.push('-');
        return;
    }
    for byte in value.bytes() {
        if byte.is_ascii_graphic()
            && !matches!(
                byte,
                b'"' | b'<' | b'>' | b'\\' | b'`' | b'{' | b'}' | b'|' | b'^'
            )
        {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
}

/// Generates CloudFront access log lines.
pub(crate) struct CloudFrontGen {
    world: Arc<World>,
    rng: Rng,
    traffic: WebTraffic,
}

impl CloudFrontGen {
    pub(crate) fn new(world: Arc<World>, mut rng: Rng) -> Self {
        let traffic = WebTraffic::new(&mut rng, 4_000);
        CloudFrontGen {
            world,
            rng,
            traffic,
        }
    }

    /// Writes one line; returns the request id.
    fn write(
        &mut self,
        time: Millis,
        stream: usize,
        request: &HttpRequest,
        out: &mut String,
    ) -> String {
        let rng = &mut self.rng;
        let (_, domain) = &self.world.distributions[stream];
        let result = match request.status {
            400.. => "Error",
            301 => "Redirect",
            _ => *weighted(rng, &[("Hit", 60), ("Miss", 30), ("RefreshHit", 6)]),
        };
        let mut request_id = String::with_capacity(56);
        mixed_alnum(rng, 54, &mut request_id);
        request_id.push_str("==");
        let seconds = rng.random_range(0.001..0.400);

        time.write_date(out);
        out.push('\t');
        time.write_clock(out);
        let edge = weighted(rng, EDGE_LOCATIONS);
        let _ = write!(out, "\t{edge}\t{}\t", request.response_bytes + 350);
        write_ip(request.client_ip, out);
        let _ = write!(out, "\t{}\t{domain}\t", request.method);
        write_encoded(&request.path, out);
        let _ = write!(out, "\t{}\t", request.status);
        write_encoded(request.referer.unwrap_or(""), out);
        out.push('\t');
        write_encoded(request.user_agent, out);
        out.push('\t');
        write_encoded(&request.query, out);
        let _ = write!(
            out,
            "\t-\t{result}\t{request_id}\twww.{}.com\thttps\t{}\t{seconds:.3}\t-\t",
            self.world.company, request.request_bytes
        );
        let (protocol, cipher) = if chance(rng, 0.8) {
            ("TLSv1.3", "TLS_AES_128_GCM_SHA256")
        } else {
            ("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256")
        };
        let _ = write!(
            out,
            "{protocol}\t{cipher}\t{result}\t{}\t-\t-\t{}\t{:.3}\t{result}\t{}\t{}\t-\t-",
            request.http_version,
            request.client_port,
            seconds * 0.8,
            request.content_type,
            request.response_bytes
        );
        request_id
    }
}

impl SourceGen for CloudFrontGen {
    fn streams(&self) -> Vec<StreamSpec> {
        let header = format!("#Version: 1.0\n#Fields: {}\n", CLOUDFRONT_FIELDS.join(" "));
        self.world
            .distributions
            .iter()
            .map(|(id, _)| StreamSpec {
                region: "us-east-1",
                resource: id.clone(),
                flat_file: "cloudfront.log",
                header: Some(header.clone()),
            })
            .collect()
    }

    fn benign(&mut self, time: Millis, out: &mut String) -> usize {
        let stream = usize::from(chance(&mut self.rng, 0.3));
        let request = self.traffic.benign(&mut self.rng);
        self.write(time, stream, &request, out);
        stream
    }

    fn plant(&mut self, scenario: Scenario, time: Millis) -> Vec<Planted> {
        let (requests, detail) = web::planted_requests(&mut self.rng, &self.world, scenario);
        let times = web::spaced_times(&mut self.rng, time, requests.len());
        let stream = *one(&mut self.rng, &[0, 1]);
        web::render_planted(&requests, &times, stream, detail, |time, request, out| {
            self.write(time, stream, request, out)
        })
    }
}
