//! Writes HAProxy's log as rsyslog stores it on the load balancer: an RFC 3339 syslog header,
//! then `option httplog` lines (accept date, timers, termination state) and HAProxy's own
//! server-state messages. The edge log when the bundle has HAProxy.

use super::edge;
use super::fmt::{civil, push_clf, push_ipv4, push_iso, push_u64};
use super::plan::Plan;
use super::traffic::{Fail, Req, client_ip};

/// The syslog header in front of every line: HAProxy logs when the request ends.
pub fn stamp(buf: &mut Vec<u8>, t: i64) {
    push_iso(buf, t, 0, 6, false);
    buf.extend_from_slice(b" lb1 haproxy[2411]: ");
}

pub fn key(r: &Req) -> i64 {
    r.end()
}

pub fn request(plan: &Plan, r: &Req, buf: &mut Vec<u8>) {
    stamp(buf, r.end());
    push_ipv4(buf, client_ip(plan.seed, r.client));
    buf.push(b':');
    push_u64(buf, r.port as u64);
    buf.extend_from_slice(b" [");
    push_clf(buf, &civil(r.start, 0), true);
    buf.extend_from_slice(b"] www~ ");
    let ta = r.latency_ms as u64;
    let h = r.seq.wrapping_mul(0x9E37_79B9) >> 7;
    let state: &[u8] = match r.fail {
        Fail::NoServer => {
            buf.extend_from_slice(b"app/<NOSRV> 0/-1/-1/-1/");
            b"SC--"
        }
        Fail::ConnectFailed => {
            push_server(buf, r);
            buf.extend_from_slice(b" 0/0/-1/-1/");
            b"sC--"
        }
        _ => {
            push_server(buf, r);
            let tr = (h % 3).min(ta);
            let tc = ((h >> 3) % 2).min(ta - tr);
            buf.push(b' ');
            push_u64(buf, tr);
            buf.extend_from_slice(b"/0/");
            push_u64(buf, tc);
            buf.push(b'/');
            push_u64(buf, ta - tr - tc);
            buf.push(b'/');
            if r.fail == Fail::ClientClosed {
                b"CD--"
            } else {
                b"----"
            }
        }
    };
    push_u64(buf, ta);
    buf.push(b' ');
    push_u64(buf, edge::status(plan, r) as u64);
    buf.push(b' ');
    push_u64(buf, r.bytes as u64 + 180);
    buf.extend_from_slice(b" - - ");
    buf.extend_from_slice(state);
    // actconn/feconn/beconn/srv_conn/retries srv_queue/backend_queue
    let act = 4 + (h >> 5) % 14 + (ta / 400).min(600);
    buf.push(b' ');
    push_u64(buf, act);
    buf.push(b'/');
    push_u64(buf, act);
    buf.push(b'/');
    push_u64(buf, act.saturating_sub(2));
    buf.push(b'/');
    push_u64(buf, if r.fail == Fail::NoServer { 0 } else { act / 3 });
    buf.extend_from_slice(b"/0 0/0 \"");
    buf.extend_from_slice(r.route().method.as_bytes());
    buf.push(b' ');
    r.push_path(buf);
    buf.extend_from_slice(b" HTTP/1.1\"\n");
}

fn push_server(buf: &mut Vec<u8>, r: &Req) {
    buf.extend_from_slice(b"app/app");
    push_u64(buf, r.backend as u64 + 1);
}
