//! What a bundle will hold, decided up front from (scenario, scale, seed): which formats and
//! files, the hosts, zones and rates, and when each phase of the incident happens. Everything
//! after this reads the plan; nothing else draws layout decisions.

use super::fmt::{HOUR, MIN, SEC, epoch_us};
use super::rng::Rng;

/// The classic outages the generator can write, plus a quiet day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    DbNetworkMisconfig,
    DbMisconfigLatency,
    LbSingleBackend,
    DbPoolExhausted,
    TrafficSpike,
    Healthy,
}

impl Scenario {
    pub const ALL: [Scenario; 6] = [
        Scenario::DbNetworkMisconfig,
        Scenario::DbMisconfigLatency,
        Scenario::LbSingleBackend,
        Scenario::DbPoolExhausted,
        Scenario::TrafficSpike,
        Scenario::Healthy,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::DbNetworkMisconfig => "db-network-misconfig",
            Scenario::DbMisconfigLatency => "db-misconfig-latency",
            Scenario::LbSingleBackend => "lb-single-backend",
            Scenario::DbPoolExhausted => "db-pool-exhausted",
            Scenario::TrafficSpike => "traffic-spike",
            Scenario::Healthy => "healthy",
        }
    }

    pub fn from_name(name: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The root-cause category truth.json gives (none for the quiet day).
    pub fn category(self) -> Option<&'static str> {
        match self {
            Scenario::DbNetworkMisconfig => Some("network"),
            Scenario::DbMisconfigLatency | Scenario::DbPoolExhausted => Some("database"),
            Scenario::LbSingleBackend => Some("load_balancer"),
            Scenario::TrafficSpike => Some("capacity"),
            Scenario::Healthy => None,
        }
    }

    /// One line for `pmtrace sample --list`.
    pub fn description(self) -> &'static str {
        match self {
            Scenario::DbNetworkMisconfig => {
                "a firewall/route change cuts one of three app servers off from the database; its sticky clients get errors for ~2.5 h"
            }
            Scenario::DbMisconfigLatency => {
                "a bad database parameter set in maintenance makes queries slow, then a full outage until the database restarts"
            }
            Scenario::LbSingleBackend => {
                "HAProxy servers put into maintenance leave one backend, which falls over: 503s for nearly everyone"
            }
            Scenario::DbPoolExhausted => {
                "a deploy sets the HikariCP pool far too small: pool timeouts, slow responses and errors for ~3.5 h"
            }
            Scenario::TrafficSpike => {
                "a 3-5x surge overwhelms nginx (worker_connections): timeouts for ~20% of users until the limits are raised"
            }
            Scenario::Healthy => "normal traffic and harmless noise, no incident",
        }
    }
}

/// The edge in front of the web tier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lb {
    Haproxy,
    Alb,
    None,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Db {
    Postgres,
    Mysql,
}

/// How the (Spring Boot) application writes its log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppStyle {
    /// logstash-logback-encoder JSON lines, `@timestamp` with the host's offset.
    Json,
    /// Spring Boot 3's default console layout, ISO time with the host's offset, stack traces.
    Java,
}

/// The app servers behind the edge: name and address.
pub const APP_HOSTS: [(&str, u32); 3] = [
    ("app1", 0x0A00_020B), // 10.0.2.11
    ("app2", 0x0A00_020C),
    ("app3", 0x0A00_020D),
];
pub const DB_HOST: (&str, u32) = ("db1", 0x0A00_030A);

/// The moments of an incident. Which fields matter depends on the scenario.
#[derive(Clone, Copy, Debug, Default)]
pub struct Phases {
    /// The change (or the surge) begins.
    pub change: i64,
    /// The escalation: full outage (latency), first DOWN (load balancer), overload (spike).
    pub escalate: i64,
    /// The fix is applied (revert, restart, reload, redeploy).
    pub fix: i64,
    /// Service is back (database ready after the restart); equals `fix` elsewhere.
    pub recovered: i64,
}

#[derive(Clone, Debug)]
pub struct Plan {
    pub scenario: Scenario,
    pub scale: u64,
    pub seed: u64,
    pub start: i64,
    pub end: i64,
    pub lb: Lb,
    pub db: Db,
    pub app: AppStyle,
    /// Whether the nginx access log is collected (always when it is the edge).
    pub nginx_access: bool,
    /// The app server whose nginx/app logs are collected, and which the incident hits first.
    pub focus: usize,
    /// Mean requests per minute at scale 1, before the time-of-day curve.
    pub rpm: f64,
    /// Regular clients (IP pool), and the surge's new visitors.
    pub clients: u32,
    pub surge_clients: u32,
    /// Offsets (seconds east of UTC) of the central syslog and the app servers' clocks.
    pub syslog_offset: i32,
    pub app_offset: i32,
    /// PostgreSQL's `log_timezone` as it writes it, and its offset.
    pub pg_zone: (&'static str, i32),
    /// MySQL's `log_timestamps`: UTC (`Z`) or SYSTEM (the offset).
    pub mysql_offset: i32,
    pub phases: Option<Phases>,
    /// When the app log was rotated: older lines are in `app.log.1.gz`.
    pub rotate_at: i64,
    /// A short unrelated blip: a handful of 502s on the focus server.
    pub blip_at: i64,
    /// Which wording the network change uses (iptables rule or route change).
    pub net_variant: u8,
    /// Surge multiplier at its peak (traffic-spike).
    pub surge: f64,
    /// When the last backend is marked DOWN and back UP (lb-single-backend): it flaps while
    /// it is the only one.
    pub flaps: Vec<(i64, i64)>,
}

impl Plan {
    pub fn new(scenario: Scenario, scale: u64, seed: u64) -> Plan {
        let mut r = Rng::derive(seed, 0x9_1A4);
        let start = epoch_us(2024, 11, 14, 8, 0, 0);
        let end = start + 8 * HOUR;
        // Seed bits choose the formats, so seeds 1-4 cover every combination of edge, database
        // and application layout between them.
        let lb = match scenario {
            // The change is HAProxy's own: an ALB has no log of it.
            Scenario::LbSingleBackend => Lb::Haproxy,
            _ => [Lb::None, Lb::Haproxy, Lb::Alb][(seed % 3) as usize],
        };
        let db = if seed % 2 == 1 {
            Db::Postgres
        } else {
            Db::Mysql
        };
        let app = if (seed / 2).is_multiple_of(2) {
            AppStyle::Java
        } else {
            AppStyle::Json
        };
        // At most six formats: with MySQL's two logs the LB leaves nginx's access log out.
        let nginx_access = lb == Lb::None || db == Db::Postgres;
        let focus = r.below(3) as usize;
        let jitter = |r: &mut Rng, minutes: u64| r.below(minutes * 60 * SEC as u64) as i64;
        let offsets = [3600, -5 * 3600, 19_800, 3600, 32_400];
        let syslog_offset = offsets[r.below(offsets.len() as u64) as usize];
        let app_offset = [3600, 0, -5 * 3600][r.below(3) as usize];
        let pg_zone = [("UTC", 0), ("CET", 3600), ("EST", -5 * 3600)][r.below(3) as usize];
        let mysql_offset = [0, 3600][r.below(2) as usize];
        let phases = match scenario {
            Scenario::DbNetworkMisconfig => {
                let change = start + 2 * HOUR + 30 * MIN + jitter(&mut r, 40);
                let fix = change + 2 * HOUR + 20 * MIN + jitter(&mut r, 20);
                Some(Phases {
                    change,
                    escalate: change,
                    fix,
                    recovered: fix,
                })
            }
            Scenario::DbMisconfigLatency => {
                let change = start + 2 * HOUR + jitter(&mut r, 60);
                let escalate = change + 55 * MIN + jitter(&mut r, 20);
                let fix = escalate + 25 * MIN + jitter(&mut r, 15);
                Some(Phases {
                    change,
                    escalate,
                    fix,
                    recovered: fix + 35 * SEC + jitter(&mut r, 1),
                })
            }
            Scenario::LbSingleBackend => {
                let change = start + 3 * HOUR + jitter(&mut r, 60);
                let escalate = change + 4 * MIN + jitter(&mut r, 3);
                let fix = escalate + 40 * MIN + jitter(&mut r, 30);
                Some(Phases {
                    change,
                    escalate,
                    fix,
                    recovered: fix,
                })
            }
            Scenario::DbPoolExhausted => {
                let change = start + 2 * HOUR + 15 * MIN + jitter(&mut r, 30);
                let fix = change + 3 * HOUR + 20 * MIN + jitter(&mut r, 20);
                Some(Phases {
                    change,
                    escalate: change,
                    fix,
                    recovered: fix,
                })
            }
            Scenario::TrafficSpike => {
                let change = start + 3 * HOUR + jitter(&mut r, 60);
                let escalate = change + 6 * MIN + jitter(&mut r, 4);
                let fix = escalate + HOUR + 50 * MIN + jitter(&mut r, 20);
                Some(Phases {
                    change,
                    escalate,
                    fix,
                    recovered: fix,
                })
            }
            Scenario::Healthy => None,
        };
        let rotate_at = start + HOUR + 30 * MIN + jitter(&mut r, 20);
        let blip_at = start + 45 * MIN + jitter(&mut r, 20);
        // A surge multiplies the traffic: start from a quieter site so the bundle stays small.
        let quiet = if scenario == Scenario::TrafficSpike {
            0.65
        } else {
            1.0
        };
        let rpm = (12.0 + r.below(5) as f64) * quiet;
        let scale = scale.max(1);
        Plan {
            scenario,
            scale,
            seed,
            start,
            end,
            lb,
            db,
            app,
            nginx_access,
            focus,
            rpm,
            clients: (260 * scale).min(3_000_000) as u32,
            surge_clients: (400 * scale).min(3_000_000) as u32,
            syslog_offset,
            app_offset,
            pg_zone,
            mysql_offset,
            phases,
            rotate_at,
            blip_at,
            net_variant: r.below(2) as u8,
            surge: 3.0 + r.below(16) as f64 / 10.0,
            flaps: match (scenario, phases) {
                (Scenario::LbSingleBackend, Some(p)) => flaps(&mut r, p),
                _ => Vec::new(),
            },
        }
    }

    /// Whether HAProxy has the only remaining server marked DOWN at `t`.
    pub fn lb_down(&self, t: i64) -> bool {
        self.flaps.iter().any(|&(down, up)| t >= down && t < up)
    }

    pub fn focus_host(&self) -> &'static str {
        APP_HOSTS[self.focus].0
    }

    /// The host whose nginx logs are collected: the focus app server behind a load balancer,
    /// else the web server that is the edge.
    pub fn nginx_host(&self) -> &'static str {
        if self.lb == Lb::None {
            "web1"
        } else {
            self.focus_host()
        }
    }

    /// Requests per second at `t` for the whole site, at this scale: a time-of-day curve
    /// (quieter mornings) times the surge of traffic-spike.
    pub fn rate(&self, t: i64) -> f64 {
        let hours = (t - self.start) as f64 / HOUR as f64;
        let day = 0.7 + 0.5 * (hours / 5.0).min(1.0) - 0.1 * ((hours - 5.0).max(0.0) / 3.0);
        self.rpm / 60.0 * self.scale as f64 * day * (1.0 + self.surge_extra(t))
    }

    /// Extra traffic on top of the normal curve (0 outside a surge), as a multiple of it.
    pub fn surge_extra(&self, t: i64) -> f64 {
        let Some(p) = self
            .phases
            .filter(|_| self.scenario == Scenario::TrafficSpike)
        else {
            return 0.0;
        };
        let peak = self.surge - 1.0;
        let ramp = 8 * MIN;
        let tail = p.fix + 15 * MIN;
        if t < p.change || t >= tail + 20 * MIN {
            0.0
        } else if t < p.change + ramp {
            peak * (t - p.change) as f64 / ramp as f64
        } else if t < tail {
            peak
        } else {
            peak * (1.0 - (t - tail) as f64 / (20 * MIN) as f64)
        }
    }
}

/// DOWN periods of the overloaded last server: down for a few minutes, back up for about a
/// minute (health checks pass once the traffic is gone), until the other servers return.
fn flaps(r: &mut Rng, p: Phases) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    let mut t = p.escalate;
    while t < p.fix {
        let up = (t + (150 + r.below(180) as i64) * SEC).min(p.fix);
        out.push((t, up));
        t = up + (40 + r.below(60) as i64) * SEC;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_vary_the_layout() {
        let p: Vec<Plan> = (1..=4)
            .map(|s| Plan::new(Scenario::Healthy, 1, s))
            .collect();
        assert!(p.iter().any(|p| p.db == Db::Postgres) && p.iter().any(|p| p.db == Db::Mysql));
        assert!(
            p.iter().any(|p| p.app == AppStyle::Json) && p.iter().any(|p| p.app == AppStyle::Java)
        );
        assert!(p.iter().any(|p| p.lb == Lb::Haproxy) && p.iter().any(|p| p.lb == Lb::Alb));
        assert!(p.iter().any(|p| p.lb == Lb::None));
        assert_eq!(Plan::new(Scenario::LbSingleBackend, 1, 2).lb, Lb::Haproxy);
    }

    #[test]
    fn phases_fit_in_the_span() {
        for s in Scenario::ALL {
            for seed in 1..=20 {
                let p = Plan::new(s, 1, seed);
                if let Some(ph) = p.phases {
                    assert!(p.start < ph.change && ph.change <= ph.escalate);
                    assert!(ph.escalate < ph.fix && ph.fix <= ph.recovered);
                    assert!(ph.recovered + HOUR < p.end, "{s:?} {seed}");
                    assert!(p.rotate_at < ph.change && p.blip_at < ph.change);
                }
            }
        }
    }
}
