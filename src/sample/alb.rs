//! Writes an AWS Application Load Balancer access log (the entries of the files ALB delivers
//! to S3, concatenated): one line per request, at the time the response was sent, with the
//! three processing times and the request's creation time. The edge log when the bundle has
//! an ALB.

use super::edge;
use super::fmt::{push_hex, push_ipv4, push_iso, push_secs_ms, push_u64};
use super::plan::{APP_HOSTS, Plan};
use super::rng::mix;
use super::traffic::{Fail, Req, USER_AGENTS, client_ip};

pub fn key(r: &Req) -> i64 {
    r.end()
}

pub fn request(plan: &Plan, r: &Req, buf: &mut Vec<u8>) {
    buf.extend_from_slice(b"h2 ");
    push_iso(buf, r.end(), 0, 6, true);
    buf.extend_from_slice(b" app/shop-alb/50dc6c495c0c9188 ");
    push_ipv4(buf, client_ip(plan.seed, r.client));
    buf.push(b':');
    push_u64(buf, r.port as u64);
    buf.push(b' ');
    let target = r.fail != Fail::NoServer && r.fail != Fail::ClientClosed;
    let push_target = |buf: &mut Vec<u8>| {
        push_ipv4(buf, APP_HOSTS[r.backend as usize].1);
        buf.extend_from_slice(b":80");
    };
    if target {
        push_target(buf);
    } else {
        buf.push(b'-');
    }
    let status = edge::status(plan, r);
    if edge::alb_unanswered(r) {
        if r.fail == Fail::PrematureClose {
            buf.extend_from_slice(b" 0.000 ");
            push_secs_ms(buf, r.latency_ms as u64);
            buf.extend_from_slice(b" -1 ");
        } else {
            buf.extend_from_slice(b" -1 -1 -1 ");
        }
        push_u64(buf, status as u64);
        buf.extend_from_slice(b" - ");
    } else {
        let rp = (r.seq % 2).min(r.latency_ms as u64);
        buf.push(b' ');
        push_secs_ms(buf, rp);
        buf.push(b' ');
        push_secs_ms(buf, r.latency_ms as u64 - rp);
        buf.extend_from_slice(b" 0.000 ");
        push_u64(buf, status as u64);
        buf.push(b' ');
        push_u64(buf, r.status as u64);
        buf.push(b' ');
    }
    push_u64(buf, 180 + (r.seq % 400));
    buf.push(b' ');
    push_u64(
        buf,
        if status == 460 {
            0
        } else {
            r.bytes as u64 + 210
        },
    );
    buf.extend_from_slice(b" \"");
    buf.extend_from_slice(r.route().method.as_bytes());
    buf.extend_from_slice(b" https://shop.example.com:443");
    r.push_path(buf);
    buf.extend_from_slice(b" HTTP/2.0\" \"");
    buf.extend_from_slice(USER_AGENTS[r.ua as usize].as_bytes());
    buf.extend_from_slice(b"\" TLS_AES_128_GCM_SHA256 TLSv1.3 arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-web/73e2d6bc24d8a067 \"Root=1-");
    push_hex(buf, (r.start / 1_000_000) as u64, 8);
    buf.push(b'-');
    let h = mix(plan.seed, r.seq);
    push_hex(buf, h, 16);
    push_hex(buf, mix(h, 1), 8);
    buf.extend_from_slice(b"\" \"shop.example.com\" \"arn:aws:acm:eu-west-1:123456789012:certificate/5b1e7c3a-9d2f-4e8a-b6c1-0f3d2a7e9c41\" 0 ");
    push_iso(buf, r.start, 0, 6, true);
    buf.extend_from_slice(b" \"forward\" \"-\" \"-\" \"");
    if target {
        push_target(buf);
    } else {
        buf.push(b'-');
    }
    buf.extend_from_slice(b"\" \"");
    if edge::alb_unanswered(r) {
        buf.push(b'-');
    } else {
        push_u64(buf, r.status as u64);
    }
    buf.extend_from_slice(b"\" \"-\" \"-\"\n");
}
