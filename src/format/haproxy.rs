//! HAProxy's logs, as its configuration manual (section 8.2, "Log formats") describes them.
//!
//! ```text
//! HTTP:  client_ip:port [accept_date] frontend backend/server TR/Tw/Tc/Tr/Ta status bytes_read
//!        req_cookie res_cookie termination_state actconn/feconn/beconn/srv_conn/retries
//!        srv_queue/backend_queue [{req_headers}] [{res_headers}] "request"
//! TCP:   client_ip:port [accept_date] frontend backend/server Tw/Tc/Tt bytes_read
//!        termination_state actconn/feconn/beconn/srv_conn/retries srv_queue/backend_queue
//! error: client_ip:port [accept_date] frontend/bind: message
//! ```
//!
//! (HTTPS logs add TLS fields after the request; older versions name the timers Tq/…/Tt; with
//! `option logasap` the total time and byte count carry a `+`. Custom `log-format`s that insert
//! a field or two before the timers are read too.)
//!
//! HAProxy sends its lines to syslog, so they usually arrive behind a header: RFC 3164
//! (`Feb 25 16:19:49 host haproxy[7]: ...`, with or without `<PRI>` and host), RFC 5424
//! (`<134>1 2019-02-25T16:19:49+01:00 host haproxy 7 - - ...`), an ISO timestamp, or none at
//! all (`log stdout format raw`). The event time is the accept date, which has a year; lines
//! without one take the header's.
//!
//! The same file holds HAProxy's own messages: proxies starting and stopping, health checks and
//! server state changes (`Server app/web2 is DOWN, reason: ...`, `backend app has no server
//! available!`), also in their stderr form (`[WARNING]  (8) : Server ...`). They are events,
//! with the level the message implies.

use super::fields::{Cursor, find_byte, parse_u64, rfind_byte, split_request_line};
use super::syslog_wrap::{Header, split_header};
use super::{Event, Format, Level, Parsed, Request, Sample, SourceKind};
use crate::time::parse::clf;

/// A signed timer as HAProxy writes it: `-1`, `230`, `+2306` (logasap).
pub(super) fn timer(part: &[u8]) -> Option<i64> {
    let part = part.strip_prefix(b"+").unwrap_or(part);
    match part.strip_prefix(b"-") {
        Some(neg) => parse_u64(neg).map(|v| -(v.min(i64::MAX as u64) as i64)),
        None => parse_u64(part).map(|v| v.min(i64::MAX as u64) as i64),
    }
}

/// The timers field: `TR/Tw/Tc/Tr/Ta` (HTTP) or `Tw/Tc/Tt` (TCP). Returns the number of timers
/// and the last one, the total.
pub(super) fn timers(tok: &[u8]) -> Option<(usize, i64)> {
    if let Some(found) = unsigned_timers(tok) {
        return Some(found);
    }
    let mut n = 0;
    let mut rest = tok;
    loop {
        let end = rest.iter().position(|&c| c == b'/').unwrap_or(rest.len());
        let value = timer(&rest[..end])?;
        n += 1;
        match rest.get(end + 1..) {
            Some(more) if n < 5 => rest = more,
            Some(_) => return None,
            None => return matches!(n, 3 | 5).then_some((n, value)),
        }
    }
}

/// [`timers`] for the usual field, digits and slashes only (`0/0/1/48/49`): checked in one
/// pass of predictable branches, and only the total is parsed. `None` when the field has a
/// sign anywhere or does not hold three or five timers; [`timers`] then reads it part by part.
#[inline]
fn unsigned_timers(tok: &[u8]) -> Option<(usize, i64)> {
    let (mut slashes, mut run, mut longest, mut last_start) = (0usize, 0usize, 0usize, 0usize);
    for (i, &c) in tok.iter().enumerate() {
        if c == b'/' {
            if run == 0 {
                return None;
            }
            slashes += 1;
            run = 0;
            last_start = i + 1;
        } else if c.is_ascii_digit() {
            run += 1;
            longest = longest.max(run);
        } else {
            return None;
        }
    }
    if run == 0 || longest > 19 || !matches!(slashes, 2 | 4) {
        return None;
    }
    let total = tok[last_start..]
        .iter()
        .fold(0u64, |v, &c| v * 10 + u64::from(c - b'0'));
    Some((slashes + 1, total.min(i64::MAX as u64) as i64))
}

/// `ip:port` → `ip` (IPv6 addresses keep their colons); `-` for an unknown address is `None`.
fn client_address(tok: &[u8]) -> Option<&[u8]> {
    let colon = rfind_byte(b':', tok)?;
    let (ip, port) = (&tok[..colon], &tok[colon + 1..]);
    if port.is_empty() || !port.iter().all(u8::is_ascii_digit) || ip.is_empty() || ip == b"-" {
        return None;
    }
    Some(ip)
}

/// The client field of a session line: `Some(address)`, or `Some(None)` for an unknown one
/// (`-:port`, a unix socket); `None` when the token is not a client field.
#[inline]
pub(super) fn session_client(tok: &[u8]) -> Option<Option<&[u8]>> {
    let client = client_address(tok);
    (client.is_some() || tok.starts_with(b"-:") || tok.starts_with(b"unix:")).then_some(client)
}

/// An HTTP log line's status: 0 for `-1` (the server never answered).
#[inline]
pub(super) fn session_status(tok: &[u8]) -> Option<u16> {
    match timer(tok)? {
        s @ 100..=599 => Some(s as u16),
        -1 => Some(0),
        _ => None,
    }
}

/// The level a termination state implies (section 8.5): the first character says who ended the
/// session. Server-side aborts and timeouts, resource exhaustion and internal errors are errors;
/// the proxy's own denials, kills and client timeouts are warnings.
pub(super) fn termination_level(state: &[u8]) -> Level {
    match state.first() {
        Some(b'S' | b's' | b'R' | b'I') => Level::Error,
        Some(b'P' | b'D' | b'K' | b'c') => Level::Warning,
        _ => Level::Info,
    }
}

pub(super) fn is_termination_state(tok: &[u8]) -> bool {
    matches!(tok.len(), 2 | 4) && tok.iter().all(|c| c.is_ascii_alphabetic() || *c == b'-')
}

/// Skips `{...}` captured-header blocks; a block ends at a `}` followed by a space and the next
/// field (`{` or `"`), or by the end of the line.
fn skip_captures(c: &mut Cursor<'_>) {
    while c.peek() == Some(b'{') {
        let rest = c.rest();
        let mut end = None;
        for close in memchr::memchr_iter(b'}', rest) {
            match rest.get(close + 1) {
                None => {
                    end = Some(close + 1);
                    break;
                }
                Some(b' ') if matches!(rest.get(close + 2), Some(b'{' | b'"') | None) => {
                    end = Some(close + 1);
                    break;
                }
                _ => {}
            }
        }
        let Some(end) = end else { return };
        c.advance(end);
        c.skip_spaces();
    }
}

/// A request's method and path, as [`split_request_line`] finds them.
pub(super) type MethodAndPath<'a> = (Option<&'a [u8]>, Option<&'a [u8]>);

/// The method and path of the quoted request that ends an HTTP log line, after any captured
/// headers; the cursor is just past the queue counters.
pub(super) fn request_line<'a>(c: &mut Cursor<'a>) -> MethodAndPath<'a> {
    c.skip_spaces();
    skip_captures(c);
    if c.eat(b'"').is_none() {
        return (None, None);
    }
    let rest = c.rest();
    // A line cut at HAProxy's length limit loses the closing quote.
    let request = &rest[..find_byte(b'"', rest).unwrap_or(rest.len())];
    split_request_line(request)
}

/// A request or connection log line, or an error log line, starting at the client address.
pub(super) fn parse_session<'a>(body: &'a [u8], h: &Header<'a>) -> Option<Event<'a>> {
    let mut c = Cursor::new(body);
    let client = session_client(c.token()?)?;
    let (accept, _) = clf(c.bracketed()?)?;
    let frontend = c.token()?;
    let mut event = Event::new(accept, body);
    event.host = h.host;
    // Error log format: `frontend/bind: message`.
    if let Some(name) = frontend.strip_suffix(b":") {
        event.component = Some(name.split(|b| *b == b'/').next().unwrap_or(name));
        event.message = c.rest();
        event.level = Level::Warning;
        return Some(event);
    }
    event.component = Some(frontend.strip_suffix(b"~").unwrap_or(frontend));
    let upstream = c.token().filter(|t| t.contains(&b'/'))?;
    // The timers, allowing a custom format a few fields before them.
    let mut found = None;
    for _ in 0..4 {
        let tok = c.token()?;
        if let Some(t) = timers(tok) {
            found = Some(t);
            break;
        }
    }
    let (count, total) = found?;
    let http = count == 5;
    let status = if http { session_status(c.token()?)? } else { 0 };
    let bytes_sent = timer(c.token()?).and_then(|b| u64::try_from(b).ok());
    let mut level = Level::from_http_status(status);
    // Cookies (HTTP), then the termination state; a custom format may lack them. (Going back
    // is a seek: copying the cursor to probe ahead cost a store-forwarding stall per line.)
    let before = c.pos();
    let state = if http {
        c.token();
        c.token();
        c.token()
    } else {
        c.token()
    };
    if let Some(state) = state.filter(|s| is_termination_state(s)) {
        level = level.max(termination_level(state));
        c.token(); // connection counts
        c.token(); // queues
    } else {
        c.seek(before);
    }
    let request = if http {
        request_line(&mut c)
    } else {
        (None, None)
    };
    event.level = level;
    event.request = Some(session_request(
        status, total, client, request, bytes_sent, upstream,
    ));
    Some(event)
}

/// The request of a session line, from the fields both readers of it find: the total time
/// is a latency unless it is `-1`.
#[inline]
pub(super) fn session_request<'a>(
    status: u16,
    total: i64,
    client: Option<&'a [u8]>,
    (method, path): MethodAndPath<'a>,
    bytes_sent: Option<u64>,
    upstream: &'a [u8],
) -> Request<'a> {
    Request {
        status,
        latency_ms: (total >= 0).then_some(total as f64),
        client,
        method,
        path,
        bytes_sent,
        upstream: Some(upstream),
    }
}

/// HAProxy's stderr prefix, also seen inside syslog messages: `[WARNING]  (8) : ` or, before
/// 2.4, `[WARNING] 056/161938 (7) : `. Returns the level and the message after it.
fn stderr_prefix(body: &[u8]) -> Option<(Level, &[u8])> {
    let rest = body.strip_prefix(b"[")?;
    let close = memchr::memchr(b']', &rest[..rest.len().min(10)])?;
    let level = match &rest[..close] {
        b"NOTICE" => Level::Notice,
        b"WARNING" => Level::Warning,
        b"ALERT" => Level::Alert,
        b"DIAG" | b"DEBUG" => Level::Debug,
        b"INFO" => Level::Info,
        b"ERROR" | b"ERR" => Level::Error,
        b"EMERG" => Level::Emergency,
        _ => return None,
    };
    let mut c = Cursor::new(&rest[close + 1..]);
    c.skip_spaces();
    // Day of year and time, `ddd/HHMMSS`.
    let r = c.rest();
    if r.len() > 10 && r[3] == b'/' && r[..3].iter().chain(&r[4..10]).all(u8::is_ascii_digit) {
        c.advance(10);
        c.skip_spaces();
    }
    c.eat(b'(')?;
    c.until(b')')?;
    c.skip_spaces();
    c.eat(b':')?;
    c.skip_spaces();
    Some((level, c.rest()))
}

/// The level HAProxy's own messages imply, when the message is one of the known kinds.
fn message_level(msg: &[u8]) -> Option<Level> {
    let has = |s: &[u8]| memchr::memmem::find(msg, s).is_some();
    Some(if has(b"has no server available") {
        Level::Alert
    } else if has(b"for maintenance") || has(b"maintenance mode") {
        Level::Notice
    } else if has(b" is DOWN") {
        Level::Alert
    } else if has(b" is UP") {
        Level::Notice
    } else if has(b"Health check for") || has(b"Agent check for") {
        if has(b" succeeded") {
            Level::Info
        } else {
            Level::Warning
        }
    } else if msg.starts_with(b"Proxy ")
        || msg.starts_with(b"Stopping ")
        || msg.starts_with(b"Pausing ")
        || msg.starts_with(b"Resuming ")
    {
        Level::Notice
    } else if msg.starts_with(b"Connect from ") {
        Level::Info
    } else {
        return None;
    })
}

fn parse_haproxy(line: &[u8]) -> Parsed<'_> {
    let (h, body) = split_header(line);
    if body
        .first()
        .is_some_and(|c| c.is_ascii_hexdigit() || matches!(c, b':' | b'-' | b'u'))
        && let Some(event) =
            super::haproxy_fast::parse_http(body, &h).or_else(|| parse_session(body, &h))
    {
        return Parsed::Event(event);
    }
    // HAProxy's own messages: under its syslog tag, or in the stderr form.
    let from_haproxy = h.tag.is_some_and(|t| {
        (t.len() >= 7 && t[..7].eq_ignore_ascii_case(b"haproxy"))
            || t.eq_ignore_ascii_case(b"hapee-lb")
    });
    let (stated, message) = match stderr_prefix(body) {
        Some((level, message)) => (Some(level), message),
        None if from_haproxy => (None, body),
        None => return Parsed::NotMine,
    };
    if message.is_empty() && stated.is_none() {
        return Parsed::NotMine;
    }
    let level = [
        stated,
        message_level(message),
        h.severity.map(Level::from_syslog_severity),
    ]
    .into_iter()
    .flatten()
    .max()
    .unwrap_or(Level::Unknown);
    Parsed::Event(Event {
        time: h.time().map(crate::time::LineTime::Civil),
        level,
        host: h.host,
        component: None,
        message,
        request: None,
    })
}

/// Written from the HAProxy configuration manual, section 8.2 (log formats), 8.4 (timers) and
/// 8.5 (termination states), and the messages HAProxy logs about its servers.
const HAPROXY_SAMPLES: &[Sample] = &[
    Sample {
        line: r#"Nov 14 14:02:11 lb1 haproxy[2411]: 203.0.113.7:51744 [14/Nov/2024:14:02:10.871] www~ app/web1 0/0/1/212/214 200 1532 - - ---- 12/12/3/1/0 0/0 "GET /api/cart/42 HTTP/1.1""#,
        utc: Some("2024-11-14T14:02:10.871Z"),
        level: Level::Info,
        status: Some(200),
    },
    Sample {
        line: r#"Nov 14 14:02:41 lb1 haproxy[2411]: 198.51.100.23:40112 [14/Nov/2024:14:02:11.002] www~ app/web2 0/0/0/-1/30001 504 198 - - sH-- 14/14/5/2/0 0/0 {shop.example.com} {} "POST /api/pay HTTP/1.1""#,
        utc: Some("2024-11-14T14:02:11.002Z"),
        level: Level::Error,
        status: Some(504),
    },
    Sample {
        line: r#"Nov 14 14:02:12 lb1 haproxy[2411]: 192.0.2.44:33010 [14/Nov/2024:14:02:12.120] www~ app/<NOSRV> 0/-1/-1/-1/0 503 216 - - SC-- 9/9/0/0/0 0/0 "GET /api/items HTTP/1.1""#,
        utc: Some("2024-11-14T14:02:12.120Z"),
        level: Level::Error,
        status: Some(503),
    },
    Sample {
        line: r#"Nov 14 14:02:13 lb1 haproxy[2411]: 192.0.2.45:33020 [14/Nov/2024:14:02:13.400] www~ www/<NOSRV> -1/-1/-1/-1/0 403 192 - - PR-- 9/9/0/0/0 0/0 "GET /admin HTTP/1.1""#,
        utc: Some("2024-11-14T14:02:13.400Z"),
        level: Level::Warning,
        status: Some(403),
    },
    Sample {
        line: "Nov 14 14:02:20 lb1 haproxy[2411]: 10.0.1.2:33313 [14/Nov/2024:14:02:15.443] pg-in pg/db1 0/0/5007 212 -- 3/3/1/1/0 0/0",
        utc: Some("2024-11-14T14:02:15.443Z"),
        level: Level::Info,
        status: Some(0),
    },
    Sample {
        line: "Nov 14 14:02:30 lb1 haproxy[2411]: Server app/web2 is DOWN, reason: Layer4 connection problem, info: \"Connection refused\", check duration: 0ms. 1 active and 0 backup servers left. 3 sessions active, 0 requeued, 0 remaining in queue.",
        utc: Some("2024-11-14T14:02:30Z"),
        level: Level::Alert,
        status: None,
    },
    Sample {
        line: "Nov 14 14:02:31 lb1 haproxy[2411]: backend app has no server available!",
        utc: Some("2024-11-14T14:02:31Z"),
        level: Level::Alert,
        status: None,
    },
    Sample {
        line: "Nov 14 14:04:02 lb1 haproxy[2411]: Server app/web2 is UP, reason: Layer7 check passed, code: 200, check duration: 3ms. 2 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.",
        utc: Some("2024-11-14T14:04:02Z"),
        level: Level::Notice,
        status: None,
    },
];

pub static HAPROXY: Format = Format {
    name: "haproxy",
    description: "HAProxy HTTP/TCP/error logs and its server-state messages, raw or behind a syslog header",
    source: SourceKind::LoadBalancer,
    specificity: 70,
    yearless: true,
    parse: parse_haproxy,
    samples: HAPROXY_SAMPLES,
};

#[cfg(test)]
mod tests {
    use super::*;

    fn event(line: &str) -> Event<'_> {
        match parse_haproxy(line.as_bytes()) {
            Parsed::Event(e) => e,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn timer_fields() {
        assert_eq!(timers(b"0/0/1/212/214"), Some((5, 214)));
        assert_eq!(timers(b"0/-1/-1/-1/0"), Some((5, 0)));
        assert_eq!(timers(b"0/0/+5007"), Some((3, 5007)));
        assert_eq!(timers(b"1/2/3/4/-1"), Some((5, -1)));
        assert_eq!(timers(b"+-1/+2/3"), Some((3, 3)));
        assert_eq!(timers(b"1/2/+-7"), Some((3, -7)));
        assert_eq!(timers(b"0/0/99999999999999999999"), None);
        assert_eq!(timers(b"0/0/9999999999999999999"), Some((3, i64::MAX)));
        for bad in [
            &b"1/2"[..],
            b"1/2/3/4",
            b"1/2/3/4/5/6",
            b"1/2/",
            b"/1/2",
            b"1//2",
            b"a/b/c",
            b"",
            b"1/2/-+3",
            b"1/2/3-",
            b"1/2/3/",
            b"1/-/3",
            b"1/2/3 ",
        ] {
            assert_eq!(timers(bad), None, "{bad:?}");
        }
    }

    proptest::proptest! {
        /// The one-pass reading of the timers is the field split at `/`, each part a timer.
        #[test]
        fn timers_are_timers_split_at_slashes(
            tok in proptest::collection::vec(proptest::sample::select(b"0123456789/+-x".to_vec()), 0..24),
        ) {
            let parts: Vec<&[u8]> = tok.split(|c| *c == b'/').collect();
            let values: Option<Vec<i64>> = parts.iter().map(|p| timer(p)).collect();
            let want = values
                .filter(|v| matches!(v.len(), 3 | 5))
                .map(|v| (v.len(), *v.last().expect("three or five")));
            proptest::prop_assert_eq!(timers(&tok), want);
        }
    }

    #[test]
    fn http_request_fields() {
        let e = event(HAPROXY_SAMPLES[0].line);
        let r = e.request.unwrap();
        assert_eq!(e.host, Some(&b"lb1"[..]));
        assert_eq!(e.component, Some(&b"www"[..]));
        assert_eq!(r.client, Some(&b"203.0.113.7"[..]));
        assert_eq!(r.method, Some(&b"GET"[..]));
        assert_eq!(r.path, Some(&b"/api/cart/42"[..]));
        assert_eq!(r.bytes_sent, Some(1532));
        assert_eq!(r.latency_ms, Some(214.0));
        assert_eq!(r.upstream, Some(&b"app/web1"[..]));
        // Captured headers between the counters and the request.
        let r = event(HAPROXY_SAMPLES[1].line).request.unwrap();
        assert_eq!(r.path, Some(&b"/api/pay"[..]));
        assert_eq!(r.latency_ms, Some(30001.0));
    }

    #[test]
    fn tcp_and_aborted_sessions() {
        let r = event(HAPROXY_SAMPLES[4].line).request.unwrap();
        assert_eq!(
            (r.status, r.latency_ms, r.bytes_sent),
            (0, Some(5007.0), Some(212))
        );
        assert_eq!(r.upstream, Some(&b"pg/db1"[..]));
        let e = event(
            "Sep 20 15:44:23 127.0.0.1 haproxy[25457]: 127.0.0.1:40962 [20/Sep/2018:15:44:23.285] main app/<NOSRV> -1/-1/1 212 SC 1/1/0/0/0 0/0",
        );
        assert_eq!(e.level, Level::Error);
        let e = event(
            r#"haproxy[8]: 192.168.144.1:57068 [22/Mar/2026:23:09:35.683] stat stat/<NOSRV> -1/-1/-1/-1/30003 408 0 - - cR-- 2/2/0/0/0 0/0 "<BADREQ>""#,
        );
        let r = e.request.unwrap();
        assert_eq!((r.status, r.method, r.path), (408, None, None));
        assert_eq!(e.level, Level::Warning);
        // A status of -1: the server never answered.
        let r = event(r#"10.0.0.1:1 [14/Nov/2024:14:02:11.002] f b/s 0/0/0/-1/-1 -1 0 - - CD-- 1/1/1/1/0 0/0 "GET / HTTP/1.1""#)
            .request
            .unwrap();
        assert_eq!((r.status, r.latency_ms), (0, None));
    }

    #[test]
    fn headers_and_variants() {
        // Raw, as `log stdout format raw` writes it, IPv6 client, logasap `+`.
        let e = event(
            r#"2001:db8::1234:58430 [14/Nov/2015:22:45:11.608] main app/app1 10/0/30/69/+109 200 +2750 - - ---- 1/1/1/1/0 0/0 "GET / HTTP/1.1""#,
        );
        let r = e.request.unwrap();
        assert_eq!(r.client, Some(&b"2001:db8::1234"[..]));
        assert_eq!((r.latency_ms, r.bytes_sent), (Some(109.0), Some(2750)));
        assert_eq!(e.host, None);
        // RFC 5424 with structured data.
        let e = event(
            r#"<134>1 2024-11-14T14:02:11.5+01:00 lb1 haproxy 2411 - [meta x="1"] 10.0.0.1:1 [14/Nov/2024:14:02:11.002] f~ b/s 0/0/1/2/3 200 10 - - ---- 1/1/1/1/0 0/0 "GET / HTTP/1.1""#,
        );
        assert_eq!(e.host, Some(&b"lb1"[..]));
        assert_eq!(e.request.unwrap().status, 200);
        // A custom format with the host header before the timers, and an unknown client.
        let e = event(
            r#"May 22 02:22:22 server1 haproxy[5089]: -:22222 [22/May/2021:02:22:22.222] www-https~ myapp/node2 site.domain.com 0/0/0/18/18 200 200 - - ---- 222/222/2/0/0 0/0 "OPTIONS /api/v2/app/ HTTP/1.1""#,
        );
        let r = e.request.unwrap();
        assert_eq!((r.client, r.method), (None, Some(&b"OPTIONS"[..])));
        // Without an accept date the header's time is the event's.
        let e = event("2024-11-14T14:02:30+01:00 lb1 haproxy[7]: Proxy www started.");
        assert_eq!(e.level, Level::Notice);
        assert!(e.time.is_some());
        // An SSL handshake error in the error log format.
        let e = event(
            "Dec  3 18:27:14 localhost haproxy[6103]: 127.0.0.1:56059 [03/Dec/2012:17:35:10.380] frt/f1: Connection error during SSL handshake",
        );
        assert_eq!(e.component, Some(&b"frt"[..]));
        assert_eq!(e.message, b"Connection error during SSL handshake");
        assert_eq!(e.request, None);
        assert_eq!(e.level, Level::Warning);
    }

    #[test]
    fn own_messages() {
        let e = event(
            "[WARNING]  (8) : Server mysql/db4 is DOWN, reason: Layer4 timeout, check duration: 2001ms. 0 active and 0 backup servers left.",
        );
        assert_eq!((e.level, e.time), (Level::Alert, None));
        assert!(e.message.starts_with(b"Server mysql/db4"));
        let e = event(
            "Feb 19 04:11:57 debian11 haproxy[4436]: [NOTICE] 049/041157 (4436) : path to executable is /usr/sbin/haproxy",
        );
        assert_eq!(e.level, Level::Notice);
        assert_eq!(e.message, b"path to executable is /usr/sbin/haproxy");
        let e = event("<129>Nov 14 14:02:31 lb1 haproxy[2411]: some new message");
        assert_eq!(e.level, Level::Alert);
        let e = event(
            "Nov 14 14:02:31 lb1 haproxy[2411]: Health check for server app/web2 failed, reason: Layer4 timeout, check duration: 2001ms, status: 0/2 DOWN.",
        );
        assert_eq!(e.level, Level::Warning);
        let e = event(
            "Nov 14 14:02:31 lb1 haproxy[2411]: Health check for server app/web2 failed, reason: Layer7 wrong status, code: 500, check duration: 3ms, status: 1/2 UP.",
        );
        assert_eq!(e.level, Level::Warning);
        let e = event(
            "Sep 20 15:42:59 1.128.3.4 haproxy[24551]: Connect from 1.128.3.4:40780 to 1.128.3.4:5000 (main/HTTP)",
        );
        assert_eq!((e.level, e.request), (Level::Info, None));
    }

    #[test]
    fn rejects_other_programs() {
        for line in [
            "Nov 14 14:02:31 lb1 sshd[12]: Accepted publickey for root",
            "Nov 14 14:02:31 lb1 haproxy[2411]:",
            "2024/11/14 14:02:11 [error] 1#1: nginx",
            r#"127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1"#,
            "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok",
            "2019-10-14T12:00:20.694172Z elb 175.16.199.1:54106 10.0.1.185:80 0.1 0.1 0.1 200 200 0 612 \"GET / HTTP/1.1\" \"x\" - -",
            "",
        ] {
            assert_eq!(parse_haproxy(line.as_bytes()), Parsed::NotMine, "{line}");
        }
    }

    #[test]
    fn never_panics_on_prefixes() {
        for sample in HAPROXY_SAMPLES {
            let b = sample.line.as_bytes();
            for end in 0..=b.len() {
                let _ = parse_haproxy(&b[..end]);
            }
        }
        for s in [
            "<1",
            "<134>1 ",
            "<134>1 2024-11-14T14:02:11Z h a p m [x",
            "[WARNING] 0",
            "a[: b",
        ] {
            let _ = parse_haproxy(s.as_bytes());
        }
    }
}
