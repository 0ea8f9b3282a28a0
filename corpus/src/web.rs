//! HTTP requests shared by the web sources (WAF, ALB, CloudFront): benign site traffic, the
//! planted web attacks and 403 bursts.
//!
//! A [`HttpRequest`] is source-neutral; each web source renders it in its own format. Benign
//! traffic includes look-alikes of the attacks (403s for expired sessions and private objects,
//! crawler user agents, long encoded query strings) but never an attack payload, a scanner
//! user agent or an attacker address.

use std::net::Ipv4Addr;

use rand::Rng as _;

use crate::ids::hex_string;
use crate::net::{ephemeral_port, public_ipv4};
use crate::pick::{Rng, chance, log_normal, one, weighted};
use crate::scenario::Scenario;
use crate::stream::Planted;
use crate::time::Millis;
use crate::world::World;

/// One HTTP request and the response to it.
#[derive(Clone, Debug)]
pub(crate) struct HttpRequest {
    pub(crate) client_ip: Ipv4Addr,
    pub(crate) client_port: u16,
    pub(crate) method: &'static str,
    /// Path as sent, percent-encoded where the client encoded it.
    pub(crate) path: String,
    /// Query string without `?`, empty when there is none.
    pub(crate) query: String,
    /// `HTTP/1.1` or `HTTP/2.0`.
    pub(crate) http_version: &'static str,
    pub(crate) user_agent: &'static str,
    pub(crate) referer: Option<&'static str>,
    pub(crate) status: u16,
    pub(crate) request_bytes: u64,
    pub(crate) response_bytes: u64,
    pub(crate) content_type: &'static str,
}

impl HttpRequest {
    /// Path and query as they appear in a request line.
    pub(crate) fn path_and_query(&self) -> String {
        if self.query.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{}", self.path, self.query)
        }
    }

    /// Whether the client speaks HTTP/2, whose header names are lower-case.
    pub(crate) fn is_http2(&self) -> bool {
        self.http_version == "HTTP/2.0"
    }
}

/// Browser and client user agents of benign traffic, with weights.
const BENIGN_AGENTS: &[(&str, u32)] = &[
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36",
        30,
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15",
        14,
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1",
        16,
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.6668.70 Mobile Safari/537.36",
        10,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0",
        8,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36 Edg/129.0.0.0",
        6,
    ),
    (
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        3,
    ),
    (
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        2,
    ),
    ("okhttp/4.12.0", 4),
    ("python-requests/2.32.3", 2),
    ("curl/8.9.1", 2),
    ("AnyCompanyApp/5.12.1 (iOS 18.0; iPhone15,3)", 5),
];

/// A page of the simulated site.
#[derive(Clone, Copy)]
struct Page {
    /// Path; `{id}` and `{hash}` are filled in per request.
    template: &'static str,
    method: &'static str,
    content_type: &'static str,
    median_bytes: f64,
}

const fn page(
    template: &'static str,
    method: &'static str,
    content_type: &'static str,
    median_bytes: f64,
) -> Page {
    Page {
        template,
        method,
        content_type,
        median_bytes,
    }
}

/// The pages of the simulated site, with weights.
const PAGES: &[(Page, u32)] = &[
    (page("/", "GET", "text/html", 14_000.0), 40),
    (page("/index.html", "GET", "text/html", 14_000.0), 6),
    (
        page(
            "/static/js/main.{hash}.js",
            "GET",
            "application/javascript",
            180_000.0,
        ),
        25,
    ),
    (
        page("/static/css/main.{hash}.css", "GET", "text/css", 40_000.0),
        18,
    ),
    (
        page("/static/img/hero-{id}.webp", "GET", "image/webp", 90_000.0),
        16,
    ),
    (page("/favicon.ico", "GET", "image/x-icon", 4_000.0), 8),
    (page("/products", "GET", "text/html", 22_000.0), 14),
    (page("/products/{id}", "GET", "text/html", 18_000.0), 22),
    (
        page("/api/v1/products", "GET", "application/json", 6_000.0),
        20,
    ),
    (
        page("/api/v1/products/{id}", "GET", "application/json", 1_800.0),
        18,
    ),
    (page("/api/v1/cart", "POST", "application/json", 900.0), 8),
    (
        page("/api/v1/orders/{id}", "GET", "application/json", 1_200.0),
        6,
    ),
    (
        page("/api/v1/session", "POST", "application/json", 600.0),
        5,
    ),
    (page("/login", "GET", "text/html", 9_000.0), 4),
    (page("/search", "GET", "text/html", 16_000.0), 9),
    (page("/health", "GET", "application/json", 30.0), 5),
    (page("/robots.txt", "GET", "text/plain", 120.0), 1),
    (page("/sitemap.xml", "GET", "application/xml", 8_000.0), 1),
];

const SEARCH_TERMS: &[&str] = &[
    "running+shoes",
    "wireless%20headphones",
    "gift+card",
    "coffee+grinder",
    "usb-c%20cable",
    "laptop+stand",
    "winter+jacket",
];

const REFERERS: &[&str] = &[
    "https://www.google.com/",
    "https://www.bing.com/",
    "https://duckduckgo.com/",
    "https://t.co/",
];

/// Paths whose benign requests may be refused with 403 (expired sessions, private objects).
const FORBIDDEN_PATHS: &[&str] = &[
    "/api/v1/orders/{id}",
    "/private/invoices/{id}.pdf",
    "/api/v1/admin/reports",
    "/static/internal/{hash}.json",
];

/// The benign client population of one web source.
pub(crate) struct WebTraffic {
    clients: Vec<Ipv4Addr>,
}

impl WebTraffic {
    /// A population of `clients` benign client addresses.
    pub(crate) fn new(rng: &mut Rng, clients: usize) -> Self {
        WebTraffic {
            clients: (0..clients).map(|_| public_ipv4(rng)).collect(),
        }
    }

    /// A benign request.
    pub(crate) fn benign(&self, rng: &mut Rng) -> HttpRequest {
        let Page {
            template,
            method,
            content_type,
            median_bytes,
        } = *weighted(rng, PAGES);
        let user_agent = *weighted(rng, BENIGN_AGENTS);
        let http2 = user_agent.starts_with("Mozilla") && chance(rng, 0.7);
        let mut request = HttpRequest {
            client_ip: self.client(rng),
            client_port: ephemeral_port(rng),
            method,
            path: fill_template(rng, template),
            query: String::new(),
            http_version: if http2 { "HTTP/2.0" } else { "HTTP/1.1" },
            user_agent,
            referer: chance(rng, 0.2).then(|| *one(rng, REFERERS)),
            status: 200,
            request_bytes: log_normal(rng, 420.0, 0.3, 8_000),
            response_bytes: log_normal(rng, median_bytes, 0.5, 5_000_000),
            content_type,
        };
        match template {
            "/search" => request.query = format!("q={}", one(rng, SEARCH_TERMS)),
            "/products" | "/api/v1/products" => {
                request.query = format!(
                    "page={}&sort={}",
                    rng.random_range(1..20),
                    one(rng, &["price", "name", "rating"])
                );
            }
            "/login" if chance(rng, 0.5) => {
                request.query = "next=%2Faccount%2Forders&utm_source=newsletter".to_owned();
            }
            _ => {}
        }
        let roll: f64 = rng.random();
        if roll < 0.006 {
            let template = *one(rng, FORBIDDEN_PATHS);
            request.path = fill_template(rng, template);
            request.status = 403;
            request.response_bytes = log_normal(rng, 250.0, 0.2, 2_000);
            request.content_type = "application/json";
        } else if roll < 0.03 {
            request.status = 404;
            request.response_bytes = log_normal(rng, 1_200.0, 0.2, 10_000);
        } else if roll < 0.08 {
            request.status = 304;
            request.response_bytes = 0;
        } else if roll < 0.085 {
            request.status = *one(rng, &[500, 502, 503, 504]);
        } else if roll < 0.1 && method == "GET" {
            request.status = 301;
        }
        request
    }

    fn client(&self, rng: &mut Rng) -> Ipv4Addr {
        // Square the uniform draw so that some clients are much busier than others.
        let u: f64 = rng.random();
        self.clients[((u * u) * self.clients.len() as f64) as usize]
    }
}

fn fill_template(rng: &mut Rng, template: &str) -> String {
    if template.contains("{id}") {
        template.replace("{id}", &rng.random_range(1_000..99_999).to_string())
    } else if template.contains("{hash}") {
        template.replace("{hash}", &hex_string(rng, 8))
    } else {
        template.to_owned()
    }
}

/// Planted web attack payloads: (path, query, variant), by scenario.
const SQL_INJECTIONS: &[(&str, &str, &str)] = &[
    (
        "/products",
        "id=1%27%20UNION%20SELECT%20username,password%20FROM%20users--",
        "union_select",
    ),
    ("/search", "q=1%27+OR+%271%27%3D%271", "or_true"),
    (
        "/api/v1/products",
        "sort=name;DROP%20TABLE%20users--",
        "stacked_query",
    ),
    ("/products/1", "id=1%20AND%20SLEEP(5)", "time_based"),
    ("/login", "user=admin%27--&pass=x", "comment_bypass"),
];

const CROSS_SITE_SCRIPTING: &[(&str, &str, &str)] = &[
    (
        "/search",
        "q=%3Cscript%3Ealert(document.cookie)%3C/script%3E",
        "script_tag",
    ),
    ("/search", "q=%22%3E%3Csvg/onload=alert(1)%3E", "svg_onload"),
    (
        "/products",
        "ref=%3Cimg%20src=x%20onerror=alert(1)%3E",
        "img_onerror",
    ),
    (
        "/login",
        "next=javascript:alert(document.domain)",
        "javascript_uri",
    ),
];

const PATH_TRAVERSALS: &[(&str, &str, &str)] = &[
    ("/static/../../../../etc/passwd", "", "dot_dot_slash"),
    ("/download", "file=../../../../etc/passwd", "query_dot_dot"),
    (
        "/static/..%2f..%2f..%2f..%2fetc%2fshadow",
        "",
        "encoded_slash",
    ),
    (
        "/images",
        "path=%2e%2e%2f%2e%2e%2f%2e%2e%2fwindows%2fwin.ini",
        "encoded_dots",
    ),
];

const SCANNERS: &[(&str, &str)] = &[
    ("sqlmap/1.8.9#stable (https://sqlmap.org)", "sqlmap"),
    (
        "Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:000416)",
        "nikto",
    ),
];

/// Ordinary-looking clients of the attacks that do not announce a scanner.
const ATTACK_CLIENT_AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36",
    "python-requests/2.32.3",
    "curl/8.9.1",
];

const SCANNER_PATHS: &[&str] = &["/", "/admin/", "/login", "/backup.zip", "/config.php"];

/// A planted attack request of `scenario` from `client`, and its variant name.
fn attack(rng: &mut Rng, scenario: Scenario, client: Ipv4Addr) -> (HttpRequest, &'static str) {
    let user_agent = *one(rng, ATTACK_CLIENT_AGENTS);
    let mut request = HttpRequest {
        client_ip: client,
        client_port: ephemeral_port(rng),
        method: "GET",
        path: String::new(),
        query: String::new(),
        http_version: "HTTP/1.1",
        user_agent,
        referer: None,
        status: *one(rng, &[200, 400, 404, 500]),
        request_bytes: log_normal(rng, 380.0, 0.2, 4_000),
        response_bytes: log_normal(rng, 900.0, 0.5, 40_000),
        content_type: "text/html",
    };
    let payloads = match scenario {
        Scenario::SqlInjection => SQL_INJECTIONS,
        Scenario::CrossSiteScripting => CROSS_SITE_SCRIPTING,
        Scenario::PathTraversal => PATH_TRAVERSALS,
        Scenario::ScannerUserAgent => {
            let (agent, variant) = *one(rng, SCANNERS);
            request.user_agent = agent;
            request.path = (*one(rng, SCANNER_PATHS)).to_owned();
            return (request, variant);
        }
        other => unreachable!("{other:?} is not a single-request web attack"),
    };
    let (path, query, variant) = *one(rng, payloads);
    request.path = path.to_owned();
    request.query = query.to_owned();
    (request, variant)
}

/// A burst of `count` refused login attempts from `client`.
fn forbidden_burst(rng: &mut Rng, client: Ipv4Addr, count: usize) -> Vec<HttpRequest> {
    let user_agent = "python-requests/2.31.0";
    (0..count)
        .map(|_| HttpRequest {
            client_ip: client,
            client_port: ephemeral_port(rng),
            method: "POST",
            path: "/api/v1/session".to_owned(),
            query: String::new(),
            http_version: "HTTP/1.1",
            user_agent,
            referer: None,
            status: 403,
            request_bytes: log_normal(rng, 520.0, 0.1, 2_000),
            response_bytes: 118,
            content_type: "text/html",
        })
        .collect()
}

/// How many requests a planted 403 burst has.
const BURST_REQUESTS: usize = 40;

/// The requests of one planted web `scenario` in `world`, and the variant name: a burst of
/// refused logins from the attacker, or one attack request from the attacker's scanner.
pub(crate) fn planted_requests(
    rng: &mut Rng,
    world: &World,
    scenario: Scenario,
) -> (Vec<HttpRequest>, &'static str) {
    match scenario {
        Scenario::Http403Burst => (
            forbidden_burst(rng, world.attacker.ip, BURST_REQUESTS),
            "login_burst",
        ),
        _ => {
            let (request, variant) = attack(rng, scenario, world.attacker.scanner_ip);
            (vec![request], variant)
        }
    }
}

/// `count` increasing times from `start`, 0.3 to 2.5 seconds apart.
pub(crate) fn spaced_times(rng: &mut Rng, start: Millis, count: usize) -> Vec<Millis> {
    let mut now = start;
    (0..count)
        .map(|_| {
            let time = now;
            now = now.plus(rng.random_range(300..2_500));
            time
        })
        .collect()
}

/// Renders planted `requests` at `times` into `stream` with `write`, which appends one record
/// and returns its key.
pub(crate) fn render_planted(
    requests: &[HttpRequest],
    times: &[Millis],
    stream: usize,
    detail: &str,
    mut write: impl FnMut(Millis, &HttpRequest, &mut String) -> String,
) -> Vec<Planted> {
    requests
        .iter()
        .zip(times)
        .map(|(request, &time)| {
            let mut text = String::with_capacity(1024);
            let key = write(time, request, &mut text);
            Planted {
                time,
                stream,
                text,
                key,
                detail: Some(detail.to_owned()),
            }
        })
        .collect()
}
