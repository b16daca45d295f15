//! Web-server access logs in the Common Log Format family, parsed by hand from bytes because they
//! are the highest-volume logs an outage leaves behind.
//!
//! - `common`: Apache's `%h %l %u %t "%r" %>s %b`.
//! - `combined`: `common` plus `"%{Referer}i" "%{User-agent}i"`; nginx's predefined `combined`
//!   log_format is the same layout. Extra quoted fields after it (nginx's `main` adds
//!   `"$http_x_forwarded_for"`) are allowed.
//! - `nginx_timed`: `combined` with nginx's `$request_time` (seconds, millisecond resolution) and
//!   optionally `$upstream_response_time` appended, bare or as `rt=`/`urt=` pairs.
//! - `apache_timed`: `combined` with Apache's `%D` (microseconds) appended.
//! - `ingress_nginx`: the Kubernetes ingress-nginx default `upstreaminfo` layout, which adds the
//!   request length and time, the upstream name, address, response time and status.

use super::access_fast;
use super::fields::{
    Cursor, find_byte, parse_decimal, parse_status, parse_u64, split_request_line,
};
use super::{Event, Format, Level, Parsed, Request, Sample, SourceKind};
use crate::time::parse::clf;

/// The fields every CLF line shares, and a cursor after them.
fn common_fields(line: &[u8]) -> Option<(Event<'_>, Cursor<'_>)> {
    let mut c = Cursor::new(line);
    let client = c.token()?;
    let _ident = c.token()?;
    // `%u` may contain spaces in broken clients' output; take everything up to the bracket.
    let _user = c.until(b'[')?;
    let time_text = c.until(b']')?;
    let (time, _) = clf(time_text)?;
    c.eat(b' ');
    let request_line = c.quoted()?;
    let status = parse_status(c.token()?)?;
    let bytes_sent = match c.peek() {
        None => None,
        Some(_) => c.number_or_dash()?,
    };
    let (method, path) = split_request_line(request_line);
    let mut event = Event::new(time, line);
    event.level = Level::from_http_status(status);
    event.request = Some(Request {
        status,
        latency_ms: None,
        client: Some(client),
        method,
        path,
        bytes_sent,
        upstream: None,
    });
    Some((event, c))
}

/// `common` plus the referer and user agent.
pub(super) fn combined_fields(line: &[u8]) -> Option<(Event<'_>, Cursor<'_>)> {
    let (event, mut c) = common_fields(line)?;
    c.quoted()?;
    // The user agent is last: a line cut short inside it is still a request.
    c.quoted_to_end()?;
    Some((event, c))
}

fn as_parsed(event: Option<Event<'_>>) -> Parsed<'_> {
    event.map_or(Parsed::NotMine, Parsed::Event)
}

fn parse_common(line: &[u8]) -> Parsed<'_> {
    as_parsed(common_fields(line).map(|(e, _)| e))
}

fn parse_combined(line: &[u8]) -> Parsed<'_> {
    if let Some(head) = access_fast::combined(line) {
        return Parsed::Event(head.event(line, None));
    }
    as_parsed(combined_fields(line).map(|(e, _)| e))
}

fn set_latency(event: &mut Event<'_>, ms: f64) {
    if let Some(r) = event.request.as_mut() {
        r.latency_ms = Some(ms);
    }
}

/// A time in seconds as nginx writes it (with a decimal point: `0.004`), in milliseconds. nginx
/// writes three decimals, which are read as whole milliseconds exactly (`0.057` is 57, where
/// `0.057 * 1000.0` would be 57.00000000000001); anything else is read as a decimal number.
pub(super) fn nginx_millis(tok: &[u8]) -> Option<f64> {
    let point = find_byte(b'.', tok)?;
    let (int, frac) = (&tok[..point], &tok[point + 1..]);
    if (1..=15).contains(&int.len())
        && (1..=3).contains(&frac.len())
        && let (Some(i), Some(f)) = (parse_u64(int), parse_u64(frac))
    {
        let scale = [0, 100, 10, 1][frac.len()];
        return Some((i * 1000 + f * scale) as f64);
    }
    parse_decimal(tok)
        .filter(|v| *v >= 0.0)
        .map(|secs| secs * 1000.0)
}

fn parse_nginx_timed(line: &[u8]) -> Parsed<'_> {
    if let Some(head) = access_fast::combined(line)
        && let Some(ms) = access_fast::plain_request_time(&line[head.end..])
    {
        return Parsed::Event(head.event(line, Some(ms)));
    }
    parse_nginx_timed_general(line)
}

/// Any `nginx_timed` line, field by field: what the one-pass reader leaves.
pub(super) fn parse_nginx_timed_general(line: &[u8]) -> Parsed<'_> {
    let Some((mut event, mut c)) = combined_fields(line) else {
        return Parsed::NotMine;
    };
    let mut request_time = None;
    let mut upstream = None;
    while !c.is_empty() {
        c.skip_spaces();
        if c.peek() == Some(b'"') {
            // A quoted field: $http_x_forwarded_for, or a quoted "$upstream_addr".
            let Some(q) = c.quoted() else { break };
            if upstream.is_none() && q.contains(&b':') && q.first().is_some_and(u8::is_ascii_digit)
            {
                upstream = Some(q);
            }
            continue;
        }
        let Some(tok) = c.token() else { break };
        let (key, value) = match find_byte(b'=', tok) {
            Some(eq) => (
                &tok[..eq],
                tok[eq + 1..].strip_prefix(b"\"").unwrap_or(&tok[eq + 1..]),
            ),
            None => (&b""[..], tok),
        };
        let value = value.strip_suffix(b"\"").unwrap_or(value);
        match key {
            b"" if request_time.is_none() => {
                request_time = nginx_millis(value);
            }
            b"rt" | b"request_time" => request_time = nginx_millis(value),
            _ => {}
        }
    }
    match request_time {
        Some(ms) => {
            set_latency(&mut event, ms);
            if let Some(r) = event.request.as_mut() {
                r.upstream = upstream;
            }
            Parsed::Event(event)
        }
        None => Parsed::NotMine,
    }
}

fn parse_apache_timed(line: &[u8]) -> Parsed<'_> {
    if let Some(head) = access_fast::combined(line)
        && let Some(ms) = access_fast::plain_micros(&line[head.end..])
    {
        return Parsed::Event(head.event(line, Some(ms)));
    }
    parse_apache_timed_general(line)
}

/// Any `apache_timed` line, field by field: what the one-pass reader leaves.
pub(super) fn parse_apache_timed_general(line: &[u8]) -> Parsed<'_> {
    let Some((mut event, mut c)) = combined_fields(line) else {
        return Parsed::NotMine;
    };
    c.skip_spaces();
    let Some(micros) = c.token().and_then(parse_u64) else {
        return Parsed::NotMine;
    };
    set_latency(&mut event, micros as f64 / 1000.0);
    Parsed::Event(event)
}

fn parse_ingress_nginx(line: &[u8]) -> Parsed<'_> {
    let Some((mut event, mut c)) = combined_fields(line) else {
        return Parsed::NotMine;
    };
    let fields = (|| {
        let _request_length = parse_u64(c.token()?)?;
        let request_time = nginx_millis(c.token()?)?;
        let upstream_name = c.bracketed()?;
        let _alternative = c.bracketed()?;
        let upstream_addr = c.token()?;
        Some((request_time, upstream_name, upstream_addr))
    })();
    let Some((request_time, upstream_name, upstream_addr)) = fields else {
        return Parsed::NotMine;
    };
    set_latency(&mut event, request_time);
    if let Some(r) = event.request.as_mut() {
        r.upstream = Some(if upstream_addr != b"-" {
            upstream_addr
        } else {
            upstream_name
        });
    }
    Parsed::Event(event)
}

/// Written from the Apache mod_log_config documentation's examples.
const COMMON_SAMPLES: &[Sample] = &[
    Sample {
        line: r#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326"#,
        utc: Some("2000-10-10T20:55:36Z"),
        level: Level::Info,
        status: Some(200),
    },
    Sample {
        line: r#"10.1.2.3 - - [03/Mar/2024:09:12:45 +0100] "POST /api/orders HTTP/1.1" 503 -"#,
        utc: Some("2024-03-03T08:12:45Z"),
        level: Level::Error,
        status: Some(503),
    },
];

const COMBINED_SAMPLES: &[Sample] = &[
    Sample {
        line: r#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)""#,
        utc: Some("2000-10-10T20:55:36Z"),
        level: Level::Info,
        status: Some(200),
    },
    Sample {
        line: r#"203.0.113.7 - - [14/Nov/2024:14:02:11 +0000] "GET /api/cart/42 HTTP/1.1" 502 157 "-" "curl/8.5.0""#,
        utc: Some("2024-11-14T14:02:11Z"),
        level: Level::Error,
        status: Some(502),
    },
    Sample {
        line: r#"198.51.100.23 - - [14/Nov/2024:14:02:12 +0000] "GET /favicon.ico HTTP/2.0" 404 0 "https://shop.example.com/" "Mozilla/5.0 (X11; Linux x86_64)" "10.0.0.5""#,
        utc: Some("2024-11-14T14:02:12Z"),
        level: Level::Warning,
        status: Some(404),
    },
];

const NGINX_TIMED_SAMPLES: &[Sample] = &[
    Sample {
        line: r#"192.0.2.10 - - [14/Nov/2024:14:02:11 +0000] "GET /api/items HTTP/1.1" 200 512 "-" "okhttp/4.12.0" 0.043 0.041"#,
        utc: Some("2024-11-14T14:02:11Z"),
        level: Level::Info,
        status: Some(200),
    },
    Sample {
        line: r#"192.0.2.11 - - [14/Nov/2024:14:02:12 +0000] "POST /api/pay HTTP/1.1" 504 167 "-" "okhttp/4.12.0" 60.001 60.000"#,
        utc: Some("2024-11-14T14:02:12Z"),
        level: Level::Error,
        status: Some(504),
    },
    Sample {
        line: r#"192.0.2.12 - - [14/Nov/2024:14:02:13 +0000] "GET / HTTP/1.1" 200 612 "-" "Mozilla/5.0"rt=0.001 uct="0.000" uht="0.001" urt="0.001""#,
        utc: Some("2024-11-14T14:02:13Z"),
        level: Level::Info,
        status: Some(200),
    },
    Sample {
        line: r#"192.0.2.13 - - [14/Nov/2024:14:02:14 +0000] "GET /health HTTP/1.1" 499 0 "-" "kube-probe/1.29" 1.200 -"#,
        utc: Some("2024-11-14T14:02:14Z"),
        level: Level::Warning,
        status: Some(499),
    },
];

const APACHE_TIMED_SAMPLES: &[Sample] = &[
    Sample {
        line: r#"192.0.2.20 - - [14/Nov/2024:15:00:01 +0100] "GET /index.php HTTP/1.1" 200 5120 "-" "Mozilla/5.0" 183402"#,
        utc: Some("2024-11-14T14:00:01Z"),
        level: Level::Info,
        status: Some(200),
    },
    Sample {
        line: r#"192.0.2.21 - alice [14/Nov/2024:15:00:02 +0100] "POST /login HTTP/1.1" 500 532 "https://example.com/" "Mozilla/5.0" 30002117"#,
        utc: Some("2024-11-14T14:00:02Z"),
        level: Level::Error,
        status: Some(500),
    },
];

/// Written from ingress-nginx's documented `upstreaminfo` log_format.
const INGRESS_NGINX_SAMPLES: &[Sample] = &[
    Sample {
        line: r#"10.244.0.1 - - [14/Nov/2024:14:02:11 +0000] "GET /api/v1/users HTTP/1.1" 200 1024 "-" "Go-http-client/1.1" 231 0.005 [default-api-8080] [] 10.244.1.7:8080 1024 0.004 200 5f2c0b8e9a1d4e7f8a6b3c2d1e0f9a8b"#,
        utc: Some("2024-11-14T14:02:11Z"),
        level: Level::Info,
        status: Some(200),
    },
    Sample {
        line: r#"10.244.0.1 - - [14/Nov/2024:14:02:12 +0000] "GET /api/v1/users HTTP/1.1" 503 190 "-" "Go-http-client/1.1" 231 0.000 [default-api-8080] [] - - - - 7a1b2c3d4e5f60718293a4b5c6d7e8f9"#,
        utc: Some("2024-11-14T14:02:12Z"),
        level: Level::Error,
        status: Some(503),
    },
];

pub static COMMON: Format = Format {
    name: "common",
    description: "Common Log Format access log (Apache `common`)",
    source: SourceKind::Web,
    specificity: 10,
    yearless: false,
    parse: parse_common,
    samples: COMMON_SAMPLES,
};

pub static COMBINED: Format = Format {
    name: "combined",
    description: "Combined Log Format access log (nginx and Apache `combined`)",
    source: SourceKind::Web,
    specificity: 20,
    yearless: false,
    parse: parse_combined,
    samples: COMBINED_SAMPLES,
};

pub static NGINX_TIMED: Format = Format {
    name: "nginx_timed",
    description: "nginx `combined` with $request_time [$upstream_response_time] appended",
    source: SourceKind::Web,
    specificity: 30,
    yearless: false,
    parse: parse_nginx_timed,
    samples: NGINX_TIMED_SAMPLES,
};

pub static APACHE_TIMED: Format = Format {
    name: "apache_timed",
    description: "Apache `combined` with %D (microseconds to serve) appended",
    source: SourceKind::Web,
    specificity: 30,
    yearless: false,
    parse: parse_apache_timed,
    samples: APACHE_TIMED_SAMPLES,
};

pub static INGRESS_NGINX: Format = Format {
    name: "ingress_nginx",
    description: "Kubernetes ingress-nginx `upstreaminfo` access log",
    source: SourceKind::LoadBalancer,
    specificity: 40,
    yearless: false,
    parse: parse_ingress_nginx,
    samples: INGRESS_NGINX_SAMPLES,
};

#[cfg(test)]
mod tests {
    use super::*;

    fn request(f: &Format, line: &str) -> Request<'static> {
        let line: &'static str = Box::leak(line.to_string().into_boxed_str());
        match (f.parse)(line.as_bytes()) {
            Parsed::Event(e) => e.request.unwrap(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn extracts_request_fields() {
        let r = request(&COMBINED, COMBINED_SAMPLES[0].line);
        assert_eq!(r.client, Some(&b"127.0.0.1"[..]));
        assert_eq!(r.method, Some(&b"GET"[..]));
        assert_eq!(r.path, Some(&b"/apache_pb.gif"[..]));
        assert_eq!(r.bytes_sent, Some(2326));
        assert_eq!(r.latency_ms, None);
    }

    #[test]
    fn latencies_are_milliseconds() {
        assert_eq!(
            request(&NGINX_TIMED, NGINX_TIMED_SAMPLES[1].line).latency_ms,
            Some(60_001.0)
        );
        assert_eq!(
            request(&NGINX_TIMED, NGINX_TIMED_SAMPLES[2].line).latency_ms,
            Some(1.0)
        );
        assert_eq!(
            request(&APACHE_TIMED, APACHE_TIMED_SAMPLES[0].line).latency_ms,
            Some(183.402)
        );
        let r = request(&INGRESS_NGINX, INGRESS_NGINX_SAMPLES[0].line);
        assert_eq!(r.latency_ms, Some(5.0));
        assert_eq!(r.upstream, Some(&b"10.244.1.7:8080"[..]));
        let r = request(&INGRESS_NGINX, INGRESS_NGINX_SAMPLES[1].line);
        assert_eq!(r.upstream, Some(&b"default-api-8080"[..]));
    }

    proptest::proptest! {
        /// nginx's times are exact milliseconds; anything else is a decimal number of seconds.
        #[test]
        fn request_times_read_as_written(tok in "[0-9]{0,17}[.]?[0-9]{0,4}|[-+0-9.e ]{0,8}") {
            let b = tok.as_bytes();
            let want = match tok.split_once('.') {
                Some((int, frac))
                    if (1..=15).contains(&int.len())
                        && (1..=3).contains(&frac.len())
                        && int.bytes().chain(frac.bytes()).all(|c| c.is_ascii_digit()) =>
                {
                    let scale = [0, 100, 10, 1][frac.len()];
                    Some((int.parse::<u64>().unwrap() * 1000 + frac.parse::<u64>().unwrap() * scale) as f64)
                }
                Some(_) => parse_decimal(b).filter(|v| *v >= 0.0).map(|s| s * 1000.0),
                None => None,
            };
            proptest::prop_assert_eq!(nginx_millis(b), want);
        }
    }

    #[test]
    fn variants_reject_each_other() {
        // A plain combined line has no timing, a timed line is still combined.
        assert_eq!(
            (NGINX_TIMED.parse)(COMBINED_SAMPLES[1].line.as_bytes()),
            Parsed::NotMine
        );
        assert_eq!(
            (APACHE_TIMED.parse)(NGINX_TIMED_SAMPLES[0].line.as_bytes()),
            Parsed::NotMine
        );
        assert!(matches!(
            (COMBINED.parse)(NGINX_TIMED_SAMPLES[0].line.as_bytes()),
            Parsed::Event(_)
        ));
        assert_eq!(
            (COMBINED.parse)(COMMON_SAMPLES[0].line.as_bytes()),
            Parsed::NotMine
        );
        assert_eq!((COMMON.parse)(b"not a log line"), Parsed::NotMine);
    }

    #[test]
    fn odd_request_lines_still_parse() {
        let line = r#"192.0.2.1 - - [14/Nov/2024:14:02:11 +0000] "\x16\x03\x01\x02\x00\x01" 400 157 "-" "-""#;
        let r = request(&COMBINED, line);
        assert_eq!((r.status, r.method, r.path), (400, None, None));
    }
}
