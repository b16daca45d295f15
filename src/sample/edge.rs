//! What the outermost request log says about a request: its status, latency and time exactly
//! as the edge writer prints them and as pmtrace's parser reads them back. Truth is computed
//! from these, so it describes the lines actually written.

use super::fmt::SEC;
use super::plan::{Lb, Plan};
use super::traffic::{Fail, Req};

/// The status the edge log shows.
pub fn status(plan: &Plan, r: &Req) -> u16 {
    match (plan.lb, r.fail) {
        // HAProxy logs a client abort with the server's status and a `CD` termination state.
        (Lb::Haproxy, Fail::ClientClosed) => 200,
        (Lb::Alb, Fail::ClientClosed) => 460,
        (Lb::Haproxy, Fail::NoServer | Fail::ConnectFailed) => 503,
        // An ALB that cannot connect to a target in time answers 504; with none healthy, 503.
        (Lb::Alb, Fail::ConnectFailed) => 504,
        (Lb::Alb, Fail::NoServer) => 503,
        _ => r.status,
    }
}

/// Whether the ALB writes -1 for the target's processing times (so its line has no latency).
pub fn alb_unanswered(r: &Req) -> bool {
    matches!(
        r.fail,
        Fail::ClientClosed | Fail::NoServer | Fail::ConnectFailed | Fail::PrematureClose
    )
}

/// The latency the edge log carries, in ms, as pmtrace reads it.
pub fn latency(plan: &Plan, r: &Req) -> Option<u32> {
    match plan.lb {
        Lb::Alb if alb_unanswered(r) => None,
        _ => Some(r.latency_ms),
    }
}

/// The time pmtrace reads from the edge line: HAProxy's accept date (ms), the ALB's response
/// time (µs), nginx's `$time_local` (whole seconds, at the end of the request).
pub fn time(plan: &Plan, r: &Req) -> i64 {
    match plan.lb {
        Lb::Haproxy => r.start - r.start.rem_euclid(1000),
        Lb::Alb => r.end(),
        Lb::None => r.end() - r.end().rem_euclid(SEC),
    }
}
