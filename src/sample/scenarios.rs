//! The mechanics of each outage: how it changes requests while it lasts ([`apply`]). The lines
//! its cause, escalation and fix write are in [`super::scripts`].

use super::fmt::{MIN, SEC};
use super::output::Mark;
use super::plan::{Db, Lb, Phases, Plan, Scenario};
use super::rng::Rng;
use super::traffic::{Cause, Fail, Kind, Req};

/// The log a scripted line goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Lb,
    NginxError,
    App,
    Db,
    DbSlow,
    Syslog,
}

/// A line (or a few lines: an event with its continuations) at a given time in one log. The
/// body is everything after the timestamp the log's writer puts in front.
pub struct Scripted {
    pub time: i64,
    pub target: Target,
    pub body: String,
    pub mark: Mark,
}

fn fail(q: &mut Req, fail: Fail, status: u16, latency_ms: u32) {
    q.fail = fail;
    q.status = status;
    q.latency_ms = latency_ms;
    q.cause = Cause::Incident;
    q.bytes = match status {
        502 | 504 => 157,
        503 => 217,
        _ => 112,
    };
}

/// The order app servers are restarted in by the rolling deploy: the focus server first.
pub(super) fn deploy_order(plan: &Plan, backend: usize) -> i64 {
    ((backend + 3 - plan.focus) % 3) as i64
}

/// Changes a request as the scenario dictates at its start time.
pub fn apply(plan: &Plan, q: &mut Req, r: &mut Rng) {
    let Some(ph) = plan.phases else { return };
    let t = q.start;
    let api = q.route().kind == Kind::Api && q.fail == Fail::None;
    match plan.scenario {
        Scenario::DbNetworkMisconfig => {
            let cut = t >= ph.change + 2 * SEC && t < ph.fix + SEC;
            if cut && api && q.backend as usize == plan.focus {
                q.db_ms = 0;
                if plan.net_variant == 0 {
                    fail(q, Fail::DbRefused, 500, r.range(6, 60) as u32);
                } else {
                    fail(
                        q,
                        Fail::DbConnectTimeout,
                        500,
                        10_000 + r.range(3, 90) as u32,
                    );
                }
            }
        }
        Scenario::DbMisconfigLatency => latency(plan, &ph, q, r, api),
        Scenario::LbSingleBackend => {
            if t < ph.change || t >= ph.fix {
                return;
            }
            q.backend = plan.focus as u8;
            if plan.lb_down(t) {
                fail(q, Fail::NoServer, 503, r.range(0, 1) as u32);
                return;
            }
            let load = ((t - ph.change) as f64 / (ph.escalate - ph.change) as f64).min(1.0);
            if api && r.chance(0.15 + 0.5 * load) {
                fail(q, Fail::UpstreamTimeout, 504, 30_000 + r.range(1, 4) as u32);
            } else if api {
                q.latency_ms = (q.latency_ms as f64 * (1.0 + 60.0 * load * r.f64())) as u32;
                if q.latency_ms >= 5_000 {
                    q.cause = Cause::Incident;
                }
            }
        }
        Scenario::DbPoolExhausted => {
            let order = deploy_order(plan, q.backend as usize);
            let bad =
                t >= ph.change + order * MIN + 20 * SEC && t < ph.fix + order * MIN + 20 * SEC;
            if bad && api {
                let load = plan.rate(t) / (plan.rpm / 60.0 * plan.scale as f64);
                let wait = r.lognormal(16_000.0 * load, 1.0);
                if wait >= 30_000.0 {
                    fail(q, Fail::PoolTimeout, 500, 30_000 + r.range(2, 40) as u32);
                    q.db_ms = 0;
                    q.db_refusal = r.chance(0.12);
                } else {
                    q.latency_ms += wait as u32;
                    if q.latency_ms >= 5_000 {
                        q.cause = Cause::Incident;
                    }
                }
            }
        }
        Scenario::TrafficSpike => {
            if t < ph.escalate || t >= ph.fix || q.fail != Fail::None {
                return;
            }
            let peak = plan.surge - 1.0;
            let x = (plan.surge_extra(t) / peak).clamp(0.0, 1.0);
            // Behind a load balancer only the focus server kept the old, low limit; a lone
            // nginx fails some of everyone's requests.
            let p = if plan.lb == Lb::None {
                0.03
            } else if q.backend as usize == plan.focus {
                0.2
            } else {
                0.0
            };
            if r.chance(p * x) {
                let roll = r.f64();
                if plan.lb != Lb::None && roll < 0.45 {
                    fail(q, Fail::ConnectFailed, 503, 3_000 + r.range(0, 20) as u32);
                } else if q.route().kind == Kind::Api && roll < 0.8 {
                    fail(q, Fail::UpstreamTimeout, 504, 30_000 + r.range(1, 4) as u32);
                } else {
                    fail(q, Fail::NoWorkerConnection, 502, r.range(0, 3) as u32);
                }
            } else {
                q.latency_ms = (q.latency_ms as f64 * (1.0 + 5.0 * x * r.f64())) as u32;
                if q.latency_ms >= 5_000 {
                    q.cause = Cause::Incident;
                }
            }
        }
        Scenario::Healthy => {}
    }
}

fn latency(plan: &Plan, ph: &Phases, q: &mut Req, r: &mut Rng, api: bool) {
    let t = q.start;
    if !api || t < ph.change + 20 * SEC || t >= ph.recovered {
        return;
    }
    if t < ph.escalate {
        // Every query now scans: slower as the cache goes cold and the load piles up.
        let ramp = ((t - ph.change) as f64 / (ph.escalate - ph.change) as f64).min(1.0);
        let db = r.lognormal(900.0 + 6_000.0 * ramp, 0.8);
        if db >= 15_000.0 {
            fail(
                q,
                Fail::StatementTimeout,
                500,
                15_000 + r.range(20, 90) as u32,
            );
            q.db_ms = 15_000;
        } else {
            q.db_ms = db as u32;
            q.latency_ms += db as u32;
            if q.latency_ms >= 5_000 {
                q.cause = Cause::Incident;
            }
        }
    } else if t < ph.fix {
        // Every connection is busy with a scan: the pool and nginx give up after 30 s.
        if r.chance(0.55) {
            fail(q, Fail::PoolTimeout, 500, 30_000 + r.range(2, 40) as u32);
        } else {
            fail(q, Fail::UpstreamTimeout, 504, 30_000 + r.range(1, 4) as u32);
        }
        q.db_ms = 0;
        q.db_refusal = plan.db == Db::Postgres && r.chance(0.2);
    } else {
        fail(q, Fail::DbRestarting, 503, r.range(3, 30) as u32);
        q.db_ms = 0;
    }
}

/// The incident's own lines, with their marks.
pub fn script(plan: &Plan) -> Vec<Scripted> {
    super::scripts::script(plan)
}
