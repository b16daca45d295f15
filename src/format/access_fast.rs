//! The combined access-log layout as nginx and Apache write it by default, read in one pass.
//!
//! An edge's access log is most of the bytes of a bundle without a load balancer, nearly every
//! line of it in one shape:
//!
//! ```text
//! client - - [dd/Mon/yyyy:HH:MM:SS +zzzz] "request" status bytes "referer" "user agent" tail
//! ```
//!
//! Here each field is found from the one before it by a fixed step or a single short search,
//! rather than by the general reader's cursor, which re-checks at every step what kind of field
//! may come. Whatever does not fit exactly (a user name, an escaped quote, a line cut inside a
//! quoted field, a tail with quoted or `key=value` fields) gets `None` here and is read by the
//! general parser in `access.rs`, which reads every line this one reads to the same event;
//! property tests hold the two to that.

use super::fields::{find_byte, find_either, parse_status, parse_u64, split_request_line};
use super::{Event, Level, Request};
use crate::time::LineTime;
use crate::time::parse::{clf, clf_instant};

/// What the one-pass reading of a `combined` line finds: plain values, so that the event is
/// built where it is returned (building it here and moving it out, some 190 bytes, was a
/// memcpy call per line).
pub(super) struct CombinedHead<'a> {
    time: LineTime,
    status: u16,
    bytes_sent: Option<u64>,
    client: &'a [u8],
    request_line: &'a [u8],
    /// The position just after the user agent's closing quote.
    pub end: usize,
}

impl<'a> CombinedHead<'a> {
    #[inline(always)]
    pub(super) fn event(&self, line: &'a [u8], latency_ms: Option<f64>) -> Event<'a> {
        let (method, path) = split_request_line(self.request_line);
        Event {
            time: Some(self.time),
            level: Level::from_http_status(self.status),
            host: None,
            component: None,
            message: line,
            request: Some(Request {
                status: self.status,
                latency_ms,
                client: Some(self.client),
                method,
                path,
                bytes_sent: self.bytes_sent,
                upstream: None,
            }),
        }
    }
}

/// The fields of a `combined` line with no ident or user (`- -`) and no escaped quotes; `None`
/// for any other line.
#[inline(always)]
pub(super) fn combined(line: &[u8]) -> Option<CombinedHead<'_>> {
    let client_end = find_byte(b' ', line)?;
    if client_end == 0 || line.get(client_end + 1..client_end + 6)? != b"- - [" {
        return None;
    }
    let at = client_end + 6;
    // Web servers write the offset: the instant is read at once, as a number.
    let (time, used) = match clf_instant(&line[at..]) {
        Some((instant, used)) => (LineTime::Utc(instant), used),
        None => clf(&line[at..]).map(|(civil, used)| (LineTime::Civil(civil), used))?,
    };
    let at = at + used;
    if line.get(at..at + 3)? != b"] \"" {
        return None;
    }
    let (request_line, at) = quoted(line, at + 2)?;
    // ` 200 1532 "`: a three-digit status, the bytes sent (or `-`), the referer's quote.
    if *line.get(at)? != b' ' || *line.get(at + 4)? != b' ' {
        return None;
    }
    let status = parse_status(&line[at + 1..at + 4])?;
    let bytes_len = find_byte(b' ', &line[at + 5..])?;
    let bytes_sent = match &line[at + 5..at + 5 + bytes_len] {
        b"-" => None,
        digits => Some(parse_u64(digits)?),
    };
    let (_referer, at) = quoted(line, at + 6 + bytes_len)?;
    if *line.get(at)? != b' ' {
        return None;
    }
    let (_agent, end) = quoted(line, at + 1)?;
    Some(CombinedHead {
        time,
        status,
        bytes_sent,
        client: &line[..client_end],
        request_line,
        end,
    })
}

/// The quoted field whose opening quote is at `open`, without its quotes, and the position
/// after the closing one; `None` for an escape inside it or no closing quote.
#[inline(always)]
fn quoted(line: &[u8], open: usize) -> Option<(&[u8], usize)> {
    if *line.get(open)? != b'"' {
        return None;
    }
    let start = open + 1;
    let len = find_either(b'"', b'\\', &line[start..])?;
    let close = start + len;
    (line[close] == b'"').then(|| (&line[start..close], close + 1))
}

/// nginx's `$request_time [$upstream_response_time]` after the user agent, when it is plain:
/// one space, then only digits, points, dashes, spaces, and the commas and colons of several
/// upstreams' times (`0.001, 0.002 : 0.003`), the first token a time in seconds. The request
/// time in milliseconds; `None` for any other tail (quoted or `key=value` fields).
#[inline]
pub(super) fn plain_request_time(tail: &[u8]) -> Option<f64> {
    let rest = tail.strip_prefix(b" ")?;
    if !rest
        .iter()
        .all(|&b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b' ' | b',' | b':'))
    {
        return None;
    }
    let first = &rest[..find_byte(b' ', rest).unwrap_or(rest.len())];
    super::access::nginx_millis(first)
}

/// Apache's `%D` after the user agent: one space, then the microseconds taken, to the next
/// space or the end. The time in milliseconds; `None` for any other tail.
#[inline]
pub(super) fn plain_micros(tail: &[u8]) -> Option<f64> {
    let rest = tail.strip_prefix(b" ")?;
    let micros = parse_u64(&rest[..find_byte(b' ', rest).unwrap_or(rest.len())])?;
    Some(micros as f64 / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::super::access::{
        APACHE_TIMED, NGINX_TIMED, combined_fields, parse_apache_timed_general,
        parse_nginx_timed_general,
    };
    use super::super::test_lines::{STRUCTURAL, for_each_real_line, mangle};
    use super::super::{Format, Parsed};
    use super::*;
    use crate::time::{Zone, ZoneConverter};
    use proptest::prelude::*;

    /// The event with a time that states its offset as the instant it is, which is all the
    /// ingest stage makes of it (the fast reading gives the instant, the general the fields).
    fn instant(mut event: Event<'_>) -> Event<'_> {
        if let Some(LineTime::Civil(civil)) = event.time
            && civil.offset.is_some()
        {
            let utc = ZoneConverter::new(Zone::utc()).civil_to_utc(&civil);
            event.time = utc.map(LineTime::Utc);
        }
        event
    }

    fn parsed_instant(parsed: Parsed<'_>) -> Parsed<'_> {
        match parsed {
            Parsed::Event(event) => Parsed::Event(instant(event)),
            other => other,
        }
    }

    /// Whether the fast reading of `line` answered; wherever it does, it must be the general
    /// reading.
    fn agrees(line: &[u8]) -> bool {
        let Some(head) = combined(line) else {
            return false;
        };
        let event = head.event(line, None);
        // The layout before the timings agrees with the general combined reader on its own.
        assert_eq!(
            Some(instant(event)),
            combined_fields(line).map(|(e, _)| instant(e)),
            "{:?}",
            String::from_utf8_lossy(line)
        );
        if let Some(ms) = plain_micros(&line[head.end..]) {
            assert_eq!(
                Parsed::Event(instant(head.event(line, Some(ms)))),
                parsed_instant(parse_apache_timed_general(line)),
                "{:?}",
                String::from_utf8_lossy(line)
            );
        }
        let Some(ms) = plain_request_time(&line[head.end..]) else {
            return false;
        };
        assert_eq!(
            Parsed::Event(instant(head.event(line, Some(ms)))),
            parsed_instant(parse_nginx_timed_general(line)),
            "{:?}",
            String::from_utf8_lossy(line)
        );
        true
    }

    fn parse(f: &Format, line: &[u8]) -> Parsed<'static> {
        let line: &'static [u8] = Box::leak(line.to_vec().into_boxed_slice());
        (f.parse)(line)
    }

    const DEFAULT_LAYOUT: &[&str] = &[
        r#"192.0.2.10 - - [14/Nov/2024:14:02:11 +0000] "GET /api/items HTTP/1.1" 200 512 "-" "okhttp/4.12.0" 0.043 0.041"#,
        r#"192.0.2.11 - - [14/Nov/2024:14:02:12 +0000] "POST /api/pay HTTP/1.1" 504 167 "-" "okhttp/4.12.0" 60.001 60.000"#,
        r#"192.0.2.13 - - [14/Nov/2024:14:02:14 +0000] "GET /health HTTP/1.1" 499 0 "-" "kube-probe/1.29" 1.200 -"#,
        r#"2001:db8::7 - - [14/Nov/2024:14:02:14 -0330] "GET / HTTP/2.0" 301 - "https://example.com/a b" "Mozilla/5.0 (X11; Linux x86_64)" 0.000"#,
        r#"192.0.2.14 - - [14/Nov/2024:14:02:14 +0000] "" 400 0 "-" "-" 0.001 -"#,
        r#"192.0.2.15 - - [14/Nov/2024:14:02:14 +0000] "GET /x HTTP/1.1" 502 1 "-" "-" 3.001 1.000, 2.001 : 0.000"#,
    ];

    #[test]
    fn reads_the_default_layout_as_the_general_parser_does() {
        for line in DEFAULT_LAYOUT {
            assert!(agrees(line.as_bytes()), "{line}");
        }
    }

    #[test]
    fn leaves_other_lines_to_the_general_parser() {
        for line in [
            // A user, an escaped quote, no space before the request, a cut user agent, a
            // four-digit status, keyed timings, a quoted upstream, a tab, a second space.
            r#"192.0.2.10 - frank [14/Nov/2024:14:02:11 +0000] "GET / HTTP/1.1" 200 5 "-" "a" 0.043"#,
            r#"192.0.2.10 - - [14/Nov/2024:14:02:11 +0000] "GET /\"x HTTP/1.1" 200 5 "-" "a" 0.043"#,
            r#"192.0.2.10 - - [14/Nov/2024:14:02:11 +0000]"GET / HTTP/1.1" 200 5 "-" "a" 0.043"#,
            r#"192.0.2.10 - - [14/Nov/2024:14:02:11 +0000] "GET / HTTP/1.1" 200 5 "-" "Mozilla/5.0 (X11"#,
            r#"192.0.2.10 - - [14/Nov/2024:14:02:11 +0000] "GET / HTTP/1.1" 2000 5 "-" "a" 0.043"#,
            r#"192.0.2.10 - - [14/Nov/2024:14:02:11 +0000] "GET / HTTP/1.1" 200 5 "-" "a"rt=0.001 urt="0.001""#,
            r#"192.0.2.10 - - [14/Nov/2024:14:02:11 +0000] "GET / HTTP/1.1" 200 5 "-" "a" 0.001 "10.0.0.1:80""#,
            "192.0.2.10 - - [14/Nov/2024:14:02:11 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"a\"\t0.043",
            r#"192.0.2.10 - - [14/Nov/2024:14:02:11 +0000] "GET / HTTP/1.1" 200 5 "-" "a"  0.043"#,
            r#"192.0.2.10 - - [14/Nov/2024:14:02:11 +0000] "GET / HTTP/1.1" 200 5 "-" "a" - 0.043"#,
        ] {
            let bytes = line.as_bytes();
            assert!(!agrees(bytes), "{line}");
            // The general reader still reads what it reads; the format's answer is its answer.
            assert_eq!(
                parse(&NGINX_TIMED, bytes),
                parse_nginx_timed_general(bytes),
                "{line}"
            );
        }
    }

    #[test]
    fn reads_apache_timings_as_the_general_parser_does() {
        for line in [
            r#"192.0.2.20 - - [14/Nov/2024:15:00:01 +0100] "GET /index.php HTTP/1.1" 200 5120 "-" "Mozilla/5.0" 183402"#,
            r#"192.0.2.21 - - [14/Nov/2024:15:00:02 +0100] "POST /login HTTP/1.1" 500 532 "https://example.com/" "Mozilla/5.0" 30002117 extra"#,
        ] {
            let bytes = line.as_bytes();
            let head = combined(bytes).expect("the combined layout");
            assert!(plain_micros(&bytes[head.end..]).is_some(), "{line}");
            agrees(bytes);
            assert_eq!(
                parsed_instant(parse(&APACHE_TIMED, bytes)),
                parsed_instant(parse_apache_timed_general(bytes)),
                "{line}"
            );
        }
        assert_eq!(plain_micros(b" 183402"), Some(183.402));
        assert_eq!(plain_micros(b"  183402"), None);
        assert_eq!(plain_micros(b" 0.5"), None);
    }

    #[test]
    fn request_times_are_exact_milliseconds() {
        let ms = |tail: &str| plain_request_time(tail.as_bytes());
        assert_eq!(ms(" 0.057 0.056"), Some(57.0));
        assert_eq!(ms(" 60.001 -"), Some(60_001.0));
        assert_eq!(ms(" 1.5"), Some(1_500.0));
        assert_eq!(ms(" 12"), None); // nginx always writes a point
        assert_eq!(ms(" 0.0x"), None);
        assert_eq!(ms("0.001"), None);
    }

    /// The real access logs in `../shared/reallogs` (never copied into the project), when that
    /// folder is there: every line the fast reading answers, it answers as the general one.
    #[test]
    fn agrees_on_real_logs() {
        let files = [
            "elastic-beats/nginx/access.log",
            "elastic-beats/nginx/test.log",
            "elastic-beats/nginx-ingress/test.log",
            "lnav/logfile_shop_access_log.0",
            "lnav/logfile_access_log.0",
            "lnav/logfile_access_log.1",
            "lnav/logfile_bad_access_log.0",
            "fail2ban/logs/nginx-bad-request",
            "fail2ban/logs/nginx-botsearch",
            "elastic-examples/apache_logs/apache_logs",
            "elastic-beats/apache-access/test.log",
        ];
        let mut heads = 0;
        let lines = for_each_real_line(&files, |line| {
            agrees(line);
            heads += usize::from(combined(line).is_some());
        });
        eprintln!("{heads} of {lines} real access lines read by the fast path");
    }

    /// The first choice (the layout's own) four times in five, so that a fair share of the
    /// assembled lines take the fast path; any choice otherwise.
    fn field(choices: &'static [&'static str]) -> impl Strategy<Value = &'static str> {
        prop_oneof![4 => Just(choices[0]), 1 => prop::sample::select(choices)]
    }

    proptest! {
        /// Lines assembled from plausible and implausible fields: wherever the fast reading
        /// answers, it is the general reading.
        #[test]
        fn agrees_on_assembled_lines(
            parts in (
                field(&["192.0.2.1", "::1", "", "a b", "-"]),
                field(&[" - - ", " - frank ", " -  - ", " ", " - -"]),
                field(&["[14/Nov/2024:14:02:11 +0000]", "[14/Nov/2024:14:02:11]", "[14/Nov/2024:14:02:11.5 +01]", "[14/Nov/2024:14:02:1 +0000]", "[14/Nov/2024:14:02:11 +0000 x]", "[x]", "[14/Nov/2024:14:02:11 +0000"]),
                field(&[" ", "", "  "]),
                field(&[r#""GET /a HTTP/1.1""#, r#""GET /a\" HTTP/1.1""#, r#""""#, r#""get""#, r#""GET"#, "-"]),
                field(&[" 200 ", " 2000 ", " 20 ", " -1 ", " 200  ", "200 ", " 599 ", " 600 "]),
                field(&["512", "-", "x", "", "+1", "18446744073709551616"]),
                field(&[r#" "-" "#, r#" "http://a/" "#, r#" "a\"b" "#, r#""-" "#, r#" "-""#, " - "]),
                field(&[r#""okhttp/4.12.0""#, r#""a\"b""#, r#""cut"#, r#""""#, "-"]),
                field(&[" 0.043 0.041", " 0.043", " 1.5 -", " -", " x", "", " 0.043  0.1", " 0.043\t1", " rt=0.1", r#" "1.2.3.4:80" 0.1"#, " 0.1 \"1:2\"", " .5", " 5.", " 1e3", " 0.1, 0.2 : 0.3", " 0.0001", " 1234567890123456.5", " 183402", " 183402 x", " 12\t3", " 18446744073709551616"]),
            ),
        ) {
            let (a, b, c, d, e, f, g, h, i, j) = parts;
            let line = format!("{a}{b}{c}{d}{e}{f}{g}{h}{i}{j}");
            agrees(line.as_bytes());
            prop_assert_eq!(
                parsed_instant(parse(&NGINX_TIMED, line.as_bytes())),
                parsed_instant(parse_nginx_timed_general(line.as_bytes()))
            );
            prop_assert_eq!(
                parsed_instant(parse(&APACHE_TIMED, line.as_bytes())),
                parsed_instant(parse_apache_timed_general(line.as_bytes()))
            );
        }

        /// And on the default layout's lines with structural bytes put in.
        #[test]
        fn agrees_on_mangled_lines(
            which in 0usize..100,
            edits in prop::collection::vec((0usize..1000, prop::sample::select(STRUCTURAL)), 0..4),
        ) {
            let line = mangle(DEFAULT_LAYOUT[which % DEFAULT_LAYOUT.len()], &edits);
            agrees(&line);
            prop_assert_eq!(
                parsed_instant(parse(&NGINX_TIMED, &line)),
                parsed_instant(parse_nginx_timed_general(&line))
            );
            prop_assert_eq!(
                parsed_instant(parse(&APACHE_TIMED, &line)),
                parsed_instant(parse_apache_timed_general(&line))
            );
        }
    }
}
