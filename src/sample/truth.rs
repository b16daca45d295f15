//! truth.json: the answer key written beside a bundle, computed from the edge lines as they
//! were written (status, latency and time as pmtrace reads them), never from the plan's
//! intentions. `docs/sample-bundles.md` documents every field.

use super::edge;
use super::fmt::{SEC, rfc3339};
use super::output::MarkedLine;
use super::plan::Plan;
use super::traffic::{Cause, Req};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Truth {
    pub scenario: String,
    pub seed: u64,
    pub scale: u64,
    pub generated_by: String,
    pub span: Span,
    pub files: Vec<FileEntry>,
    pub baseline: Baseline,
    pub incidents: Vec<Incident>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Span {
    pub start: String,
    pub end: String,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct FileEntry {
    pub path: String,
    pub format: String,
    pub source: String,
    pub compression: String,
    pub lines: u64,
    pub edge: bool,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Baseline {
    pub error_rate: f64,
    pub p95_latency_ms: Option<f64>,
    pub requests_per_minute: f64,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Incident {
    pub start: String,
    pub end: String,
    pub requests_total: u64,
    pub requests_failed: u64,
    pub error_rate: f64,
    pub clients_total: u64,
    pub clients_affected: u64,
    pub p95_latency_ms: Option<f64>,
    pub root_cause: RootCause,
    pub mitigation: Option<Mitigation>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct RootCause {
    pub category: String,
    pub summary: String,
    pub earliest_causal_line: LineRef,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct LineRef {
    pub file: String,
    pub line: u64,
    pub text: String,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Mitigation {
    pub time: String,
    pub file: String,
    pub line: u64,
    pub text: String,
}

/// Whether an edge request counts against the incident: failed (status ≥ 500) or very slow
/// (≥ 5 s) because of it.
pub fn is_incident_hit(plan: &Plan, r: &Req) -> bool {
    r.cause == Cause::Incident
        && (edge::status(plan, r) >= 500 || edge::latency(plan, r).is_some_and(|l| l >= 5_000))
}

/// Latencies in whole milliseconds (every edge format here writes ms resolution), for an
/// exact nearest-rank percentile.
#[derive(Default)]
struct Histogram {
    counts: Vec<u64>,
    n: u64,
}

impl Histogram {
    fn add(&mut self, ms: u32) {
        let i = ms as usize;
        if i >= self.counts.len() {
            self.counts.resize(i + 1, 0);
        }
        self.counts[i] += 1;
        self.n += 1;
    }

    /// Nearest rank: the smallest value with at least 95% of the values at or below it.
    fn p95(&self) -> Option<f64> {
        if self.n == 0 {
            return None;
        }
        let rank = (self.n * 95).div_ceil(100);
        let mut seen = 0;
        for (ms, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Some(ms as f64);
            }
        }
        None
    }
}

struct Bits(Vec<u64>);

impl Bits {
    fn set(&mut self, i: u32) -> bool {
        let (w, b) = (i as usize / 64, i % 64);
        if w >= self.0.len() {
            self.0.resize(w + 1, 0);
        }
        let was = self.0[w] & (1 << b) != 0;
        self.0[w] |= 1 << b;
        !was
    }
}

/// Edge-request figures for one set of requests (the window, or everything outside it).
struct Stats {
    total: u64,
    failed: u64,
    clients: Bits,
    affected: Bits,
    n_clients: u64,
    n_affected: u64,
    latency: Histogram,
    has_latency: bool,
}

impl Stats {
    fn new() -> Stats {
        Stats {
            total: 0,
            failed: 0,
            clients: Bits(Vec::new()),
            affected: Bits(Vec::new()),
            n_clients: 0,
            n_affected: 0,
            latency: Histogram::default(),
            has_latency: false,
        }
    }

    fn add(&mut self, plan: &Plan, r: &Req) {
        self.total += 1;
        if self.clients.set(r.client) {
            self.n_clients += 1;
        }
        if edge::status(plan, r) >= 500 {
            self.failed += 1;
            if self.affected.set(r.client) {
                self.n_affected += 1;
            }
        }
        if let Some(ms) = edge::latency(plan, r) {
            self.latency.add(ms);
            self.has_latency = true;
        }
    }

    fn error_rate(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            round(self.failed as f64 / self.total as f64, 6)
        }
    }
}

fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

/// Accumulates the truth while requests are generated.
pub struct Tally {
    window: Option<(i64, i64)>,
    inside: Stats,
    outside: Stats,
}

impl Tally {
    /// `window`: the first and last incident hit's edge time, from the first pass.
    pub fn new(window: Option<(i64, i64)>) -> Tally {
        Tally {
            window,
            inside: Stats::new(),
            outside: Stats::new(),
        }
    }

    pub fn add(&mut self, plan: &Plan, r: &Req) {
        let t = edge::time(plan, r);
        match self.window {
            Some((a, b)) if t >= a && t <= b => self.inside.add(plan, r),
            _ => self.outside.add(plan, r),
        }
    }

    pub fn finish(
        self,
        plan: &Plan,
        files: Vec<FileEntry>,
        cause: Option<MarkedLine>,
        mitigation: Option<MarkedLine>,
    ) -> Truth {
        let span_min = (plan.end - plan.start) as f64 / (60 * SEC) as f64;
        let window_min = self
            .window
            .map_or(0.0, |(a, b)| (b - a) as f64 / (60 * SEC) as f64);
        let baseline = Baseline {
            error_rate: self.outside.error_rate(),
            p95_latency_ms: self.outside.latency.p95(),
            requests_per_minute: round(self.outside.total as f64 / (span_min - window_min), 2),
        };
        let mut incidents = Vec::new();
        if let (Some((a, b)), Some(category)) = (self.window, plan.scenario.category()) {
            let s = &self.inside;
            let cause = cause.map(|c| LineRef {
                file: c.file,
                line: c.line,
                text: c.text,
            });
            incidents.push(Incident {
                start: rfc3339(a),
                end: rfc3339(b),
                requests_total: s.total,
                requests_failed: s.failed,
                error_rate: s.error_rate(),
                clients_total: s.n_clients,
                clients_affected: s.n_affected,
                p95_latency_ms: if s.has_latency { s.latency.p95() } else { None },
                root_cause: RootCause {
                    category: category.to_string(),
                    summary: summary(plan),
                    earliest_causal_line: cause.unwrap_or(LineRef {
                        file: String::new(),
                        line: 0,
                        text: String::new(),
                    }),
                },
                mitigation: mitigation.map(|m| Mitigation {
                    time: rfc3339(m.time),
                    file: m.file,
                    line: m.line,
                    text: m.text,
                }),
            });
        }
        Truth {
            scenario: plan.scenario.name().to_string(),
            seed: plan.seed,
            scale: plan.scale,
            generated_by: concat!("pmtrace ", env!("CARGO_PKG_VERSION")).to_string(),
            span: Span {
                start: rfc3339(plan.start),
                end: rfc3339(plan.end),
            },
            files,
            baseline,
            incidents,
        }
    }
}

/// One sentence naming the cause, from the plan's choices.
fn summary(plan: &Plan) -> String {
    use super::plan::{Db, Scenario};
    let focus = plan.focus_host();
    let db = if plan.db == Db::Postgres {
        "PostgreSQL"
    } else {
        "MySQL"
    };
    match plan.scenario {
        Scenario::DbNetworkMisconfig if plan.net_variant == 0 => format!(
            "An iptables rule added on {focus} rejected its traffic to the database subnet, so requests {focus} served failed with connection refused until the rule was removed."
        ),
        Scenario::DbNetworkMisconfig => format!(
            "A static route added on {focus} sent its database traffic to a wrong gateway, so requests {focus} served failed with connect timeouts until the route was removed."
        ),
        Scenario::DbMisconfigLatency if plan.db == Db::Postgres => "enable_indexscan was turned off in a PostgreSQL configuration reload, so queries fell back to sequential scans, slowed down and then exhausted the server until it was restarted with the right configuration.".to_string(),
        Scenario::DbMisconfigLatency => format!(
            "innodb_buffer_pool_size was shrunk from 12 GiB to 128 MiB during maintenance, so {db} queries went to disk, slowed down and then exhausted the server until it was restarted with the right configuration."
        ),
        Scenario::LbSingleBackend => format!(
            "Two of the three HAProxy servers were put into maintenance, leaving {focus} with all traffic; it overloaded and was marked DOWN until the servers were taken out of maintenance."
        ),
        Scenario::DbPoolExhausted => format!(
            "A deploy set HikariCP's maximumPoolSize to 2, so requests waited for {db} connections and timed out after 30 s until a redeploy restored a pool of 20."
        ),
        Scenario::TrafficSpike => format!(
            "A surge of {:.1}x the usual traffic exhausted nginx's worker_connections, so requests timed out or were refused until nginx was reloaded with higher limits.",
            plan.surge
        ),
        Scenario::Healthy => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p95_is_nearest_rank() {
        let mut h = Histogram::default();
        for ms in 1..=100 {
            h.add(ms);
        }
        assert_eq!(h.p95(), Some(95.0));
        let mut h = Histogram::default();
        h.add(7);
        assert_eq!(h.p95(), Some(7.0));
        assert_eq!(Histogram::default().p95(), None);
    }
}
