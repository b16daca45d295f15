//! Writes nginx's two logs on the collected web host: the access log in `combined` plus
//! `$request_time $upstream_response_time` (the edge log when there is no load balancer), and
//! the error log (upstream failures, missing files, worker_connections alerts, reloads).
//! nginx runs in UTC here, so its error log's zone-less times read correctly.

use super::fmt::{SEC, civil, push_clf, push_date_time, push_ipv4, push_secs_ms, push_u64};
use super::output::Mark;
use super::plan::{Lb, Plan, Scenario};
use super::traffic::{Fail, Kind, Req, USER_AGENTS, client_ip};

/// The nginx master's pid, and the first worker's.
pub const MASTER_PID: u64 = 1021;
pub const WORKER_PID: u64 = 1024;

/// Whether the collected nginx saw the request: every request when it is the edge, else those
/// the load balancer sent to the focus server and that got through to it.
pub fn sees(plan: &Plan, r: &Req) -> bool {
    plan.lb == Lb::None || (r.backend as usize == plan.focus && r.reached_nginx())
}

/// nginx's own time for the request: behind a load balancer it saw it a millisecond less.
fn own_latency(plan: &Plan, r: &Req) -> u32 {
    if plan.lb == Lb::None {
        r.latency_ms
    } else {
        r.latency_ms.saturating_sub(1)
    }
}

pub fn access_key(plan: &Plan, r: &Req) -> Option<i64> {
    sees(plan, r).then(|| r.end())
}

pub fn access_request(plan: &Plan, r: &Req, buf: &mut Vec<u8>) {
    push_ipv4(buf, client_ip(plan.seed, r.client));
    buf.extend_from_slice(b" - - [");
    push_clf(buf, &civil(r.end(), 0), false);
    buf.extend_from_slice(b" +0000] \"");
    buf.extend_from_slice(r.route().method.as_bytes());
    buf.push(b' ');
    r.push_path(buf);
    buf.extend_from_slice(b" HTTP/1.1\" ");
    push_u64(buf, r.status as u64);
    buf.push(b' ');
    push_u64(buf, r.bytes as u64);
    let kind = r.route().kind;
    buf.extend_from_slice(if kind == Kind::Missing {
        b" \"-\" \"".as_slice()
    } else {
        b" \"https://shop.example.com/\" \"".as_slice()
    });
    buf.extend_from_slice(USER_AGENTS[r.ua as usize].as_bytes());
    buf.extend_from_slice(b"\" ");
    let ms = own_latency(plan, r) as u64;
    push_secs_ms(buf, ms);
    buf.push(b' ');
    if kind == Kind::Api && r.fail != Fail::ClientClosed && r.fail != Fail::NoWorkerConnection {
        push_secs_ms(buf, ms.saturating_sub(1));
    } else {
        buf.push(b'-');
    }
    buf.push(b'\n');
}

/// The error log's prefix: `2024/11/14 14:02:11 [level] pid#tid: `.
pub fn stamp(buf: &mut Vec<u8>, t: i64, level: &str, pid: u64) {
    push_date_time(buf, &civil(t, 0), b'/', b' ');
    buf.extend_from_slice(b" [");
    buf.extend_from_slice(level.as_bytes());
    buf.extend_from_slice(b"] ");
    push_u64(buf, pid);
    buf.push(b'#');
    push_u64(buf, pid);
    buf.extend_from_slice(b": ");
}

pub fn error_key(plan: &Plan, r: &Req) -> Option<i64> {
    let on_focus = r.backend as usize == plan.focus;
    match r.fail {
        // Refused at accept: the load balancer's connection never became a request.
        Fail::ConnectFailed if plan.lb != Lb::None && on_focus => Some(r.start),
        Fail::NotFound
        | Fail::UpstreamTimeout
        | Fail::PrematureClose
        | Fail::NoWorkerConnection
            if sees(plan, r) =>
        {
            Some(r.end())
        }
        _ => None,
    }
}

pub fn error_request(plan: &Plan, r: &Req, buf: &mut Vec<u8>) -> Mark {
    let worker = WORKER_PID + r.seq % 4;
    let conn = 10_000 + r.seq;
    let cause = if plan.scenario == Scenario::TrafficSpike {
        Mark::Cause
    } else {
        Mark::None
    };
    match r.fail {
        Fail::ConnectFailed => {
            stamp(buf, r.start, "alert", worker);
            buf.extend_from_slice(b"1024 worker_connections are not enough\n");
            return cause;
        }
        Fail::NotFound => {
            stamp(buf, r.end(), "error", worker);
            push_conn(buf, conn);
            buf.extend_from_slice(b"open() \"/usr/share/nginx/html");
            r.push_path(buf);
            buf.extend_from_slice(b"\" failed (2: No such file or directory)");
        }
        Fail::UpstreamTimeout => {
            stamp(buf, r.end(), "error", worker);
            push_conn(buf, conn);
            buf.extend_from_slice(b"upstream timed out (110: Connection timed out) while reading response header from upstream");
        }
        Fail::PrematureClose => {
            stamp(buf, r.end(), "error", worker);
            push_conn(buf, conn);
            buf.extend_from_slice(b"upstream prematurely closed connection while reading response header from upstream");
        }
        Fail::NoWorkerConnection => {
            stamp(buf, r.end(), "alert", worker);
            push_conn(buf, conn);
            buf.extend_from_slice(
                b"1024 worker_connections are not enough while connecting to upstream",
            );
        }
        _ => return Mark::None,
    }
    buf.extend_from_slice(b", client: ");
    push_ipv4(buf, client_ip(plan.seed, r.client));
    buf.extend_from_slice(b", server: shop.example.com, request: \"");
    buf.extend_from_slice(r.route().method.as_bytes());
    buf.push(b' ');
    r.push_path(buf);
    buf.extend_from_slice(b" HTTP/1.1\"");
    if r.route().kind == Kind::Api {
        buf.extend_from_slice(b", upstream: \"http://");
        push_upstream(plan, r, buf);
        r.push_path(buf);
        buf.push(b'"');
    }
    buf.extend_from_slice(b", host: \"shop.example.com\"");
    if r.route().kind != Kind::Missing {
        buf.extend_from_slice(b", referrer: \"https://shop.example.com/\"");
    }
    buf.push(b'\n');
    if r.fail == Fail::NoWorkerConnection {
        cause
    } else {
        Mark::None
    }
}

fn push_conn(buf: &mut Vec<u8>, conn: u64) {
    buf.push(b'*');
    push_u64(buf, conn);
    buf.push(b' ');
}

/// The app behind this nginx: the local app server behind a load balancer, else the sticky
/// app server on the network.
fn push_upstream(plan: &Plan, r: &Req, buf: &mut Vec<u8>) {
    if plan.lb == Lb::None {
        push_ipv4(buf, super::plan::APP_HOSTS[r.backend as usize].1);
    } else {
        buf.extend_from_slice(b"127.0.0.1");
    }
    buf.extend_from_slice(b":8080");
}

/// The lines of a graceful reload (`nginx -s reload`): the master re-reads its configuration
/// and replaces its workers. Times are offsets from the signal.
pub fn reload_lines(sender_pid: u64, new_worker: u64) -> Vec<(i64, &'static str, u64, String)> {
    let m = MASTER_PID;
    vec![
        (
            0,
            "notice",
            m,
            format!("signal 1 (SIGHUP) received from {sender_pid}, reconfiguring"),
        ),
        (0, "notice", m, "reconfiguring".to_string()),
        (
            0,
            "notice",
            m,
            "using the \"epoll\" event method".to_string(),
        ),
        (0, "notice", m, "start worker processes".to_string()),
        (0, "notice", m, format!("start worker process {new_worker}")),
        (
            0,
            "notice",
            m,
            format!("start worker process {}", new_worker + 1),
        ),
        (
            SEC,
            "notice",
            WORKER_PID,
            "gracefully shutting down".to_string(),
        ),
        (2 * SEC, "notice", WORKER_PID, "exiting".to_string()),
        (2 * SEC, "notice", WORKER_PID, "exit".to_string()),
        (
            2 * SEC,
            "notice",
            m,
            format!("signal 17 (SIGCHLD) received from {WORKER_PID}"),
        ),
        (
            2 * SEC,
            "notice",
            m,
            format!("worker process {WORKER_PID} exited with code 0"),
        ),
        (
            2 * SEC,
            "notice",
            m,
            "signal 29 (SIGIO) received".to_string(),
        ),
    ]
}
