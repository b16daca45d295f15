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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{self, Format, Parsed};
    use crate::sample::plan::Scenario;
    use crate::sample::traffic::{Cause, Traffic};
    use crate::sample::{alb, haproxy, nginx};
    use crate::time::LineTime;

    /// What pmtrace's parser reads from one written line: time (µs), status, latency.
    fn read_back(f: &Format, line: &[u8]) -> (i64, u16, Option<f64>) {
        let Parsed::Event(e) = (f.parse)(line) else {
            panic!("{} does not read {}", f.name, String::from_utf8_lossy(line))
        };
        let micros = match e.time {
            Some(LineTime::Civil(c)) => {
                let secs = c.local_seconds().unwrap() - c.offset.unwrap_or(0) as i64;
                secs * SEC + (c.nanos / 1000) as i64
            }
            Some(LineTime::Utc(ts)) => ts.0,
            None => panic!("no time"),
        };
        let r = e.request.unwrap();
        (micros, r.status, r.latency_ms)
    }

    /// Requests of every kind of failure the scenarios produce, on a real plan's traffic.
    fn requests(plan: &Plan) -> Vec<Req> {
        let mut out = Vec::new();
        Traffic::new().second(plan, plan.start + 3_600 * SEC, &mut out);
        let base = out[0];
        for (fail, status, ms) in [
            (Fail::None, 200, 31),
            (Fail::ClientClosed, 499, 812),
            (Fail::NoServer, 503, 0),
            (Fail::ConnectFailed, 503, 3_004),
            (Fail::UpstreamTimeout, 504, 30_002),
            (Fail::PoolTimeout, 500, 30_017),
            (Fail::PrematureClose, 502, 7),
            (Fail::NoWorkerConnection, 502, 1),
        ] {
            out.push(Req {
                fail,
                status,
                latency_ms: ms,
                cause: Cause::Incident,
                ..base
            });
        }
        out
    }

    #[test]
    fn edge_lines_read_back_as_truth_counts_them() {
        for (lb, seed) in [(Lb::Haproxy, 1), (Lb::Alb, 2), (Lb::None, 3)] {
            let plan = Plan::new(Scenario::Healthy, 100, seed);
            assert_eq!(plan.lb, lb);
            for r in requests(&plan) {
                if lb == Lb::None && !nginx::sees(&plan, &r) {
                    continue;
                }
                let mut buf = Vec::new();
                let f = match lb {
                    Lb::Haproxy => {
                        haproxy::request(&plan, &r, &mut buf);
                        &format::haproxy::HAPROXY
                    }
                    Lb::Alb => {
                        alb::request(&plan, &r, &mut buf);
                        &format::aws_lb::AWS_ALB
                    }
                    Lb::None => {
                        nginx::access_request(&plan, &r, &mut buf);
                        &format::access::NGINX_TIMED
                    }
                };
                assert_eq!(buf.last(), Some(&b'\n'));
                let (t, st, ms) = read_back(f, &buf[..buf.len() - 1]);
                let what = format!("{lb:?} {:?}: {}", r.fail, String::from_utf8_lossy(&buf));
                assert_eq!(t, time(&plan, &r), "{what}");
                assert_eq!(st, status(&plan, &r), "{what}");
                assert_eq!(ms.map(|l| l.round() as u32), latency(&plan, &r), "{what}");
            }
        }
    }
}
