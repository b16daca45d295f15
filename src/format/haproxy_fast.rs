//! HAProxy's default HTTP log line (`option httplog`), read in one pass.
//!
//! A load balancer's log is most of the bytes of a bundle, nearly every line of it in the one
//! layout section 8.2.3 of the configuration manual gives:
//!
//! ```text
//! client:port [accept_date] frontend backend/server TR/Tw/Tc/Tr/Ta status bytes
//!     req_cookie res_cookie termination_state act/fe/be/srv/retries srv_queue/backend_queue
//!     [{captured request headers}] [{captured response headers}] "request"
//! ```
//!
//! Its first twelve fields are found from one mask of the spaces in the line's first 128
//! bytes, instead of token by token. Whatever does not fit that layout exactly (a TCP or
//! error line, a custom `log-format`, an empty field, fields past the 128th byte) gets `None`
//! here and is read by the general parser in `haproxy.rs`, which reads every line this one
//! reads to the same event; a property test holds the two to that.

use super::fields::{Cursor, find_byte, token_ends};
use super::haproxy::{
    is_termination_state, request_line, session_client, session_request, session_status,
    termination_level, timer, timers,
};
use super::syslog_wrap::Header;
use super::{Event, Level};
use crate::time::parse::clf;

/// Fields before the request: client, accept date, frontend, backend/server, timers, status,
/// bytes, two cookies, termination state, connection counts, queues.
const FIELDS: usize = 12;

/// The event of an HTTP log line in the default layout, starting at the client address;
/// `None` for any other line, to be read the general way.
pub(super) fn parse_http<'a>(body: &'a [u8], h: &Header<'a>) -> Option<Event<'a>> {
    let ends = token_ends::<FIELDS>(body)?;
    let field = |k: usize| &body[if k == 0 { 0 } else { ends[k - 1] + 1 }..ends[k]];
    let client = session_client(field(0))?;
    // The accept date, all of the brackets: a `]` inside would end them sooner for the
    // general parser, and a date with a zone has a space in it.
    let inner = field(1).strip_prefix(b"[")?.strip_suffix(b"]")?;
    let (accept, used) = clf(inner)?;
    if used != inner.len() {
        return None;
    }
    let frontend = field(2);
    if frontend.ends_with(b":") {
        return None; // the error log format
    }
    let upstream = field(3);
    find_byte(b'/', upstream)?;
    let (5, total) = timers(field(4))? else {
        return None;
    };
    let status = session_status(field(5))?;
    let bytes_sent = timer(field(6)).and_then(|b| u64::try_from(b).ok());
    let state = field(9);
    if !is_termination_state(state) {
        return None;
    }
    let level = Level::from_http_status(status).max(termination_level(state));
    let mut c = Cursor::new(body);
    c.seek(ends[FIELDS - 1] + 1);
    let request = request_line(&mut c);
    let mut event = Event::new(accept, body);
    event.host = h.host;
    event.component = Some(frontend.strip_suffix(b"~").unwrap_or(frontend));
    event.level = level;
    event.request = Some(session_request(
        status, total, client, request, bytes_sent, upstream,
    ));
    Some(event)
}

#[cfg(test)]
mod tests {
    use super::super::haproxy::parse_session;
    use super::super::syslog_wrap::split_header;
    use super::super::test_lines::{STRUCTURAL, for_each_real_line, mangle};
    use super::*;
    use proptest::prelude::*;

    /// The fast reading of `line`, checked against the general one wherever it answers.
    fn agrees(line: &[u8]) -> Option<Event<'_>> {
        let (h, body) = split_header(line);
        let fast = parse_http(body, &h);
        if let Some(event) = &fast {
            assert_eq!(
                Some(event),
                parse_session(body, &h).as_ref(),
                "{:?}",
                String::from_utf8_lossy(line)
            );
        }
        fast
    }

    const DEFAULT_LAYOUT: &[&str] = &[
        r#"Nov 14 14:02:11 lb1 haproxy[2411]: 203.0.113.7:51744 [14/Nov/2024:14:02:10.871] www~ app/web1 0/0/1/212/214 200 1532 - - ---- 12/12/3/1/0 0/0 "GET /api/cart/42 HTTP/1.1""#,
        r#"Nov 14 14:02:41 lb1 haproxy[2411]: 198.51.100.23:40112 [14/Nov/2024:14:02:11.002] www~ app/web2 0/0/0/-1/30001 504 198 - - sH-- 14/14/5/2/0 0/0 {shop.example.com} {} "POST /api/pay HTTP/1.1""#,
        r#"2024-11-14T08:00:00.063867+00:00 lb1 haproxy[2411]: 100.103.72.240:53976 [14/Nov/2024:08:00:00.015] www~ app/app3 0/0/0/48/48 200 19131 - - ---- 7/7/5/2/0 0/0 "GET / HTTP/1.1""#,
        r#"haproxy[8]: 192.168.144.1:57068 [22/Mar/2026:23:09:35.683] stat stat/<NOSRV> -1/-1/-1/-1/30003 408 0 - - cR-- 2/2/0/0/0 0/0 "<BADREQ>""#,
        r#"2001:db8::1234:58430 [14/Nov/2015:22:45:11.608] main app/app1 10/0/30/69/+109 200 +2750 - - ---- 1/1/1/1/0 0/0 "GET / HTTP/1.1""#,
        r#"10.0.0.1:1 [14/Nov/2024:14:02:11.002] f b/s 0/0/0/-1/-1 -1 0 - - CD-- 1/1/1/1/0 0/0 "GET / HTTP/1.1""#,
        r#"10.0.0.1:1 [14/Nov/2024:14:02:11.002] f b/s 0/0/0/1/1 200 0 - - ---- 1/1/1/1/0 0/0  "GET /cut"#,
    ];

    #[test]
    fn reads_the_default_layout_as_the_general_parser_does() {
        for line in DEFAULT_LAYOUT {
            assert!(agrees(line.as_bytes()).is_some(), "{line}");
        }
    }

    #[test]
    fn leaves_other_layouts_to_the_general_parser() {
        for line in [
            // TCP, the error format, a custom format with a field before the timers, no
            // termination state, an empty field, a zone in the accept date, no request (so
            // no space after the queues).
            "10.0.1.2:33313 [14/Nov/2024:14:02:15.443] pg-in pg/db1 0/0/5007 212 -- 3/3/1/1/0 0/0",
            "127.0.0.1:56059 [03/Dec/2012:17:35:10.380] frt/f1: Connection error during SSL handshake",
            r#"-:22222 [22/May/2021:02:22:22.222] www-https~ myapp/node2 site.domain.com 0/0/0/18/18 200 200 - - ---- 222/222/2/0/0 0/0 "OPTIONS /api/v2/app/ HTTP/1.1""#,
            r#"10.0.0.1:1 [14/Nov/2024:14:02:11.002] f b/s 0/0/0/1/1 200 0 - - 1/1/1/1/0 0/0 "GET / HTTP/1.1" x"#,
            r#"10.0.0.1:1  [14/Nov/2024:14:02:11.002] f b/s 0/0/0/1/1 200 0 - - ---- 1/1/1/1/0 0/0 "GET / HTTP/1.1""#,
            r#"10.0.0.1:1 [14/Nov/2024:14:02:11 +0100] f b/s 0/0/0/1/1 200 0 - - ---- 1/1/1/1/0 0/0 "GET / HTTP/1.1""#,
            "10.0.0.1:1 [14/Nov/2024:14:02:11.002] f b/s 0/0/0/1/1 200 0 - - ---- 1/1/1/1/0 0/0",
        ] {
            assert!(agrees(line.as_bytes()).is_none(), "{line}");
        }
    }

    /// The real HAProxy logs in `../shared/reallogs` (never copied into the project), when
    /// that folder is there: every line the fast reading answers, it answers as the general.
    #[test]
    fn agrees_on_real_logs() {
        let files = [
            "elastic-integrations/haproxy/test-https.log",
            "elastic-integrations/haproxy/haproxy3.2.log",
            "elastic-integrations/haproxy/test-error.log",
            "elastic-beats/haproxy/haproxy.log",
            "elastic-beats/haproxy/default.log",
            "elastic-beats/haproxy/tcplog.log",
            "lnav/logfile_haproxy.0",
            "lnav/format-samples/haproxy_log.samples.log",
            "fail2ban/logs/haproxy-http-auth",
        ];
        let mut fast = 0;
        let lines = for_each_real_line(&files, |line| {
            fast += usize::from(agrees(line).is_some());
        });
        eprintln!("{fast} of {lines} real HAProxy lines read by the fast path");
    }

    /// Fields as HAProxy writes them, and as it does not.
    fn field(choices: &'static [&'static str]) -> impl Strategy<Value = &'static str> {
        prop::sample::select(choices)
    }

    proptest! {
        /// Lines assembled from plausible and implausible fields: wherever the fast reading
        /// answers, it is the general reading.
        #[test]
        fn agrees_on_assembled_lines(
            parts in (
                field(&["10.0.0.1:80", "-:1", "unix:", "::1:5", "1.2.3.4", "1.2.3.4:x", "a:1"]),
                field(&["[14/Nov/2024:14:02:11.002]", "[14/Nov/2024:14:02:11]", "[14/Nov/2024:14:02:1]", "[14/Nov/2024:14:02:11.002]]", "[x]", "14/Nov/2024:14:02:11.002]"]),
                field(&["www~", "www", "www:", "w~~"]),
                field(&["app/web1", "app", "/", "app/<NOSRV>"]),
                field(&["0/0/1/2/3", "-1/-1/-1/-1/0", "1/2/+3/4/+5", "0/0/5007", "1/2/3/4/5/6", "1/2/3/4/", "+-1/2/3/4/5"]),
                field(&["200", "504", "-1", "99", "600", "2x0", "+200"]),
                field(&["1532", "+2750", "-1", "-", "x"]),
                field(&["- -", "a=b -", "-"]),
                field(&["----", "sH--", "SC", "cR--", "P-", "--x-", "12/12/3/1/0"]),
                field(&["12/12/3/1/0 0/0", "1/1/1/1/0", "1/1/1/1/0 0/0 x"]),
                field(&["", " ", "  ", " {h} ", " {a}b} {} ", " \t"]),
                field(&[r#""GET / HTTP/1.1""#, r#""POST /p?q HTTP/1.1"#, r#""<BADREQ>""#, "", r#""get / x""#, r#"""#]),
            ),
            header in field(&["", "Nov 14 14:02:11 lb1 haproxy[2411]: ", "<134>1 2024-11-14T14:02:11Z lb1 haproxy 7 - - "]),
        ) {
            let (a, b, c, d, e, f, g, h, i, j, k, l) = parts;
            let line = format!("{header}{a} {b} {c} {d} {e} {f} {g} {h} {i} {j}{k}{l}");
            agrees(line.as_bytes());
        }

        /// And on the default layout's lines with structural bytes put in.
        #[test]
        fn agrees_on_mangled_lines(
            which in 0usize..100,
            edits in prop::collection::vec((0usize..1000, prop::sample::select(STRUCTURAL)), 0..4),
        ) {
            let line = mangle(DEFAULT_LAYOUT[which % DEFAULT_LAYOUT.len()], &edits);
            agrees(&line);
        }
    }
}
