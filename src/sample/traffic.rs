//! The site's traffic: clients, routes, user agents, and one second's requests at a time.
//!
//! Each second draws from its own random stream (keyed by the second), so the truth pass and
//! the writing pass see the very same requests without keeping them. A request is a small
//! `Copy` value; writers turn it into text without allocating.

use super::fmt::{MIN, SEC, push_u64};
use super::plan::{Lb, Plan};
use super::rng::{Rng, mix};
use super::scenarios;

/// What kind of resource a route serves, which decides who handles it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Served by nginx from disk: never reaches the app or the database.
    Static,
    /// Rendered or answered by the app, with database queries.
    Api,
    /// Scanners and stale links: 404 from nginx.
    Missing,
}

/// How the path's variable part is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg {
    None,
    Id,
    Page,
    Query,
}

pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub arg: Arg,
    pub kind: Kind,
    pub weight: u32,
    /// Median service time (ms) and the share of it spent in the database.
    pub median_ms: f64,
    pub db_share: f64,
    pub bytes: u32,
    /// The SQL behind it, for slow-query logs.
    pub sql: &'static str,
}

// A positional builder keeps the route table one row per route.
#[allow(clippy::too_many_arguments)]
const fn route(
    method: &'static str,
    path: &'static str,
    arg: Arg,
    kind: Kind,
    weight: u32,
    median_ms: f64,
    bytes: u32,
    sql: &'static str,
) -> Route {
    Route {
        method,
        path,
        arg,
        kind,
        weight,
        median_ms,
        db_share: if matches!(kind, Kind::Api) { 0.6 } else { 0.0 },
        bytes,
        sql,
    }
}

pub static ROUTES: &[Route] = &[
    route(
        "GET",
        "/",
        Arg::None,
        Kind::Api,
        90,
        70.0,
        18_412,
        "SELECT p.id, p.name, p.price FROM products p WHERE p.featured ORDER BY p.rank LIMIT 24",
    ),
    route(
        "GET",
        "/static/js/app.3f9c2b1.js",
        Arg::None,
        Kind::Static,
        70,
        1.2,
        182_305,
        "",
    ),
    route(
        "GET",
        "/static/css/main.8d1e4a7.css",
        Arg::None,
        Kind::Static,
        60,
        1.0,
        41_877,
        "",
    ),
    route(
        "GET",
        "/static/img/logo.svg",
        Arg::None,
        Kind::Static,
        40,
        0.8,
        5_123,
        "",
    ),
    route(
        "GET",
        "/favicon.ico",
        Arg::None,
        Kind::Static,
        25,
        0.6,
        1_150,
        "",
    ),
    route(
        "GET",
        "/api/products?page=",
        Arg::Page,
        Kind::Api,
        120,
        45.0,
        9_870,
        "SELECT p.id, p.name, p.price, p.stock FROM products p ORDER BY p.rank LIMIT 50 OFFSET $1",
    ),
    route(
        "GET",
        "/api/products/",
        Arg::Id,
        Kind::Api,
        160,
        25.0,
        2_310,
        "SELECT * FROM products WHERE id = $1",
    ),
    route(
        "GET",
        "/api/search?q=",
        Arg::Query,
        Kind::Api,
        60,
        110.0,
        7_450,
        "SELECT id, name FROM products WHERE to_tsvector(name || ' ' || description) @@ plainto_tsquery($1) LIMIT 50",
    ),
    route(
        "GET",
        "/api/cart",
        Arg::None,
        Kind::Api,
        90,
        18.0,
        1_240,
        "SELECT c.product_id, c.qty FROM cart_items c WHERE c.session_id = $1",
    ),
    route(
        "POST",
        "/api/cart/items",
        Arg::None,
        Kind::Api,
        45,
        32.0,
        310,
        "INSERT INTO cart_items (session_id, product_id, qty) VALUES ($1, $2, $3)",
    ),
    route(
        "POST",
        "/api/checkout",
        Arg::None,
        Kind::Api,
        14,
        240.0,
        620,
        "UPDATE products SET stock = stock - $1 WHERE id = $2 AND stock >= $1",
    ),
    route(
        "GET",
        "/api/orders/",
        Arg::Id,
        Kind::Api,
        20,
        30.0,
        1_830,
        "SELECT o.*, i.* FROM orders o JOIN order_items i ON i.order_id = o.id WHERE o.id = $1",
    ),
    route(
        "POST",
        "/api/login",
        Arg::None,
        Kind::Api,
        12,
        85.0,
        420,
        "SELECT id, password_hash FROM users WHERE email = $1",
    ),
    route(
        "GET",
        "/wp-login.php",
        Arg::None,
        Kind::Missing,
        2,
        0.5,
        153,
        "",
    ),
    route("GET", "/.env", Arg::None, Kind::Missing, 1, 0.5, 153, ""),
    route(
        "GET",
        "/static/js/app.1e0d77c.js",
        Arg::None,
        Kind::Missing,
        2,
        0.5,
        153,
        "",
    ),
];

pub const SEARCH_WORDS: [&str; 8] = [
    "boots",
    "rain+jacket",
    "socks",
    "gift+card",
    "scarf",
    "gloves",
    "backpack",
    "thermos",
];

pub const USER_AGENTS: [&str; 8] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "okhttp/4.12.0",
    "ShopApp/5.2.1 (iOS 18.1; iPhone15,3)",
];

/// How a request ended, beyond its status: which component failed and how, so each writer
/// can say it in its own words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fail {
    None,
    /// 404 from nginx for a file that is not there.
    NotFound,
    /// The client gave up (nginx 499).
    ClientClosed,
    /// The app answered 500: the database refused the connection (network change).
    DbRefused,
    /// The app answered 500: connecting to the database timed out.
    DbConnectTimeout,
    /// The app answered 500 after the pool's 30 s wait.
    PoolTimeout,
    /// The app answered 500: the statement hit `statement_timeout`.
    StatementTimeout,
    /// The app answered 500/503: the database is shutting down or starting.
    DbRestarting,
    /// nginx gave up on the app after `proxy_read_timeout`: 504.
    UpstreamTimeout,
    /// The load balancer had no server up: 503 at once.
    NoServer,
    /// The load balancer could not connect to nginx (out of worker connections): 503.
    ConnectFailed,
    /// The app closed the connection mid-response (the unrelated blip): 502.
    PrematureClose,
    /// nginx ran out of connections while connecting to the app: 502.
    NoWorkerConnection,
}

/// Whose fault a failure is, for truth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    None,
    Noise,
    Incident,
}

#[derive(Clone, Copy, Debug)]
pub struct Req {
    /// Unique and increasing in generation order: ties in time keep this order.
    pub seq: u64,
    pub start: i64,
    pub client: u32,
    pub port: u16,
    pub route: u8,
    pub ua: u8,
    /// The app server (index into `APP_HOSTS`) the request is sent to.
    pub backend: u8,
    pub arg: u32,
    pub status: u16,
    /// Total time at the edge, in ms.
    pub latency_ms: u32,
    /// Time spent in the database, in ms (0 when it never got there).
    pub db_ms: u32,
    pub bytes: u32,
    pub fail: Fail,
    pub cause: Cause,
    /// Ask the database writer for a "too many clients" refusal beside this request.
    pub db_refusal: bool,
}

impl Req {
    pub fn route(&self) -> &'static Route {
        &ROUTES[self.route as usize]
    }

    pub fn end(&self) -> i64 {
        self.start + self.latency_ms as i64 * 1000
    }

    /// Whether the request reached nginx on its server (not refused by the load balancer).
    pub fn reached_nginx(&self) -> bool {
        !matches!(self.fail, Fail::NoServer | Fail::ConnectFailed)
    }

    /// Whether the app served it (dynamic route and nginx passed it on).
    pub fn reached_app(&self) -> bool {
        self.reached_nginx()
            && self.route().kind == Kind::Api
            && self.fail != Fail::NoWorkerConnection
    }

    /// The path with its variable part.
    pub fn push_path(&self, buf: &mut Vec<u8>) {
        let r = self.route();
        buf.extend_from_slice(r.path.as_bytes());
        match r.arg {
            Arg::None => {}
            Arg::Id | Arg::Page => push_u64(buf, self.arg as u64),
            Arg::Query => buf
                .extend_from_slice(SEARCH_WORDS[self.arg as usize % SEARCH_WORDS.len()].as_bytes()),
        }
    }

    /// The statement's first parameter as the driver binds it: the id, the page offset, the
    /// search words, or (for routes without one in the path) the session id.
    pub fn push_param(&self, buf: &mut Vec<u8>) {
        match self.route().arg {
            Arg::Query => {
                let word = SEARCH_WORDS[self.arg as usize % SEARCH_WORDS.len()];
                buf.extend_from_slice(word.replace('+', " ").as_bytes());
            }
            Arg::Page => push_u64(buf, (self.arg as u64 - 1) * 50),
            Arg::Id => push_u64(buf, self.arg as u64),
            Arg::None => super::fmt::push_hex(buf, mix(self.client as u64, 0x5E55), 16),
        }
    }

    /// Whether that parameter is text (quoted in SQL).
    pub fn param_is_text(&self) -> bool {
        matches!(self.route().arg, Arg::Query | Arg::None)
    }

    pub fn path(&self) -> String {
        let mut b = Vec::new();
        self.push_path(&mut b);
        String::from_utf8(b).unwrap_or_default()
    }
}

/// The client's address: the first few hundred in the documentation ranges, the rest in the
/// carrier-grade NAT range (100.64.0.0/10), where mobile users come from. No real hosts.
pub fn client_ip(seed: u64, client: u32) -> u32 {
    const DOC: [u32; 3] = [0xC000_0200, 0xC633_6400, 0xCB00_7100];
    if client < 3 * 250 {
        DOC[(client / 250) as usize] + 1 + client % 250
    } else {
        let h = mix(seed, client as u64) as u32;
        0x6440_0000 | (h & 0x003F_FFFF)
    }
}

/// The server a client is stuck to (`balance source` / `ip_hash`).
pub fn sticky_backend(seed: u64, client: u32) -> u8 {
    (mix(seed ^ 0x5713, client as u64) % 3) as u8
}

/// A client keeps its browser.
pub fn client_ua(seed: u64, client: u32) -> u8 {
    (mix(seed ^ 0xA6E, client as u64) % USER_AGENTS.len() as u64) as u8
}

fn route_weights() -> (Vec<u32>, u32) {
    let w: Vec<u32> = ROUTES.iter().map(|r| r.weight).collect();
    let total = w.iter().sum();
    (w, total)
}

/// Generates the site's traffic second by second.
pub struct Traffic {
    weights: Vec<u32>,
    total: u32,
    seq: u64,
}

impl Default for Traffic {
    fn default() -> Self {
        Self::new()
    }
}

impl Traffic {
    pub fn new() -> Traffic {
        let (weights, total) = route_weights();
        Traffic {
            weights,
            total,
            seq: 0,
        }
    }

    /// The requests that start in second `sec` (µs since the epoch, whole second), appended
    /// to `out` in start order, with the scenario's effects applied.
    pub fn second(&mut self, plan: &Plan, sec: i64, out: &mut Vec<Req>) {
        let mut r = Rng::derive(plan.seed, 0x7_0000_0000 ^ (sec / SEC) as u64);
        let n = r.poisson(plan.rate(sec));
        let first = out.len();
        let surge_share = {
            let extra = plan.surge_extra(sec);
            extra / (1.0 + extra)
        };
        for _ in 0..n {
            let start = sec + r.below(SEC as u64) as i64;
            let client = if surge_share > 0.0 && r.chance(surge_share) {
                plan.clients + r.below(plan.surge_clients as u64) as u32
            } else {
                // Regulars: a few heavy users, a long tail of light ones.
                (plan.clients as f64 * r.f64().powf(1.6)) as u32
            };
            let route = r.weighted(&self.weights, self.total) as u8;
            let rt = &ROUTES[route as usize];
            let arg = match rt.arg {
                Arg::None => 0,
                Arg::Id => r.range(1, 48_000) as u32,
                Arg::Page => r.range(1, 12) as u32,
                Arg::Query => r.below(SEARCH_WORDS.len() as u64) as u32,
            };
            let ms = r.lognormal(rt.median_ms, 0.55).max(0.2);
            let mut req = Req {
                seq: self.seq,
                start,
                client,
                port: r.range(1025, 65_000) as u16,
                route,
                ua: client_ua(plan.seed, client),
                backend: sticky_backend(plan.seed, client),
                arg,
                status: 200,
                latency_ms: ms.round() as u32,
                db_ms: (ms * rt.db_share) as u32,
                bytes: rt.bytes + r.below(rt.bytes as u64 / 20 + 1) as u32,
                fail: Fail::None,
                cause: Cause::None,
                db_refusal: false,
            };
            self.seq += 1;
            if rt.method == "POST" && rt.path == "/api/cart/items" {
                req.status = 201;
            }
            match rt.kind {
                Kind::Missing => {
                    req.status = 404;
                    req.fail = Fail::NotFound;
                    req.bytes = 153;
                }
                Kind::Api if rt.arg == Arg::Id && r.chance(0.01) => {
                    // A stale product link: the app's own 404.
                    req.status = 404;
                    req.bytes = 96;
                }
                Kind::Api if rt.path == "/api/login" && r.chance(0.06) => {
                    req.status = 401;
                    req.bytes = 88;
                }
                _ => {}
            }
            if r.chance(0.0015) {
                req.status = 499;
                req.fail = Fail::ClientClosed;
                req.bytes = 0;
            }
            noise_blip(plan, &mut req, &mut r);
            scenarios::apply(plan, &mut req, &mut r);
            out.push(req);
        }
        out[first..].sort_unstable_by_key(|q| (q.start, q.seq));
    }
}

/// The unrelated one-off: for 90 seconds the app servers drop most responses (a shared cache
/// restarting under them); a handful of 502s that are noise, not an incident.
fn noise_blip(plan: &Plan, req: &mut Req, r: &mut Rng) {
    let in_blip = req.start >= plan.blip_at && req.start < plan.blip_at + 90 * SEC;
    if in_blip && req.reached_app() && r.chance(0.7) {
        req.status = 502;
        req.fail = Fail::PrematureClose;
        req.cause = Cause::Noise;
        req.latency_ms = r.range(2, 40) as u32;
        req.bytes = 157;
    }
    // A stray slow search now and then: logged by the database, harmless.
    if req.route().path == "/api/search?q=" && r.chance(0.004) && req.start > plan.start + MIN {
        req.db_ms = r.range(1_100, 2_600) as u32;
        req.latency_ms += req.db_ms;
    }
}

/// Whether the edge of this plan is a load balancer.
pub fn has_lb(plan: &Plan) -> bool {
    plan.lb != Lb::None
}

#[cfg(test)]
mod tests {
    use super::super::plan::Scenario;
    use super::*;

    #[test]
    fn a_second_is_the_same_every_time() {
        let plan = Plan::new(Scenario::Healthy, 50, 1);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        Traffic::new().second(&plan, plan.start + 3600 * SEC, &mut a);
        Traffic::new().second(&plan, plan.start + 3600 * SEC, &mut b);
        assert!(!a.is_empty());
        assert_eq!(a.len(), b.len());
        assert!(
            a.iter()
                .zip(&b)
                .all(|(x, y)| x.start == y.start && x.status == y.status)
        );
        assert!(a.windows(2).all(|w| w[0].start <= w[1].start));
    }

    #[test]
    fn clients_are_sticky_and_addresses_valid() {
        assert_eq!(client_ip(1, 0), 0xC000_0201);
        let ip = client_ip(1, 100_000);
        assert_eq!(ip >> 22, 0x6440_0000 >> 22);
        assert_eq!(sticky_backend(1, 42), sticky_backend(1, 42));
        let mut counts = [0; 3];
        for c in 0..3000 {
            counts[sticky_backend(1, c) as usize] += 1;
        }
        assert!(counts.iter().all(|c| (800..1200).contains(c)), "{counts:?}");
    }
}
