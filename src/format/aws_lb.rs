//! AWS Elastic Load Balancing access logs, as the ELB user guides describe their entries.
//!
//! - `aws_alb`, Application Load Balancer:
//!   `type time elb client:port target:port request_processing_time target_processing_time
//!   response_processing_time elb_status_code target_status_code received_bytes sent_bytes
//!   "request" "user_agent" ssl_cipher ssl_protocol target_group_arn "trace_id" ...` (newer
//!   fields are appended at the end over time). The same format also reads the Network Load
//!   Balancer's TLS access log (`tls 2.0 time elb listener client:port destination:port
//!   connection_time tls_handshake_time received_bytes sent_bytes incoming_tls_alert ...`) and
//!   the ALB connection log (`time client_ip client_port listener_port tls_protocol tls_cipher
//!   tls_handshake_latency "leaf_client_cert_subject" validity serial tls_verify_status
//!   conn_trace_id`), which are kept next to ALB logs.
//! - `aws_elb`, Classic Load Balancer: `time elb client:port backend:port
//!   request_processing_time backend_processing_time response_processing_time elb_status_code
//!   backend_status_code received_bytes sent_bytes "request" "user_agent" ssl_cipher
//!   ssl_protocol`. TCP listeners write `-` for the statuses and `"- - - "` for the request.
//!
//! Times are ISO 8601 in UTC. Processing times are seconds, and `-1` when the load balancer
//! could not dispatch the request or the connection closed early; the latency is their sum, and
//! unknown if any is `-1`.

use super::fields::{Cursor, parse_decimal, parse_u64, split_request_line};
use super::{Event, Format, Level, Parsed, Request, Sample, SourceKind};
use crate::time::CivilTime;
use crate::time::parse::iso8601;

/// An ISO 8601 time filling the whole token; AWS writes UTC, with or without the `Z`.
fn utc_time(tok: &[u8]) -> Option<CivilTime> {
    let (mut time, used) = iso8601(tok)?;
    if used != tok.len() {
        return None;
    }
    time.offset.get_or_insert(0);
    Some(time)
}

/// `ip:port` → (`ip`, whole token); `-` → `None`.
fn endpoint(tok: &[u8]) -> Option<Option<(&[u8], &[u8])>> {
    if tok == b"-" {
        return Some(None);
    }
    let colon = memchr::memrchr(b':', tok)?;
    let port = &tok[colon + 1..];
    if colon == 0 || port.is_empty() || !port.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(Some((&tok[..colon], tok)))
}

/// An HTTP status, or `-`/`000` when there was none (TCP listeners, closed connections).
fn lb_status(tok: &[u8]) -> Option<u16> {
    match tok {
        b"-" | b"0" | b"000" => Some(0),
        _ => super::fields::parse_status(tok),
    }
}

/// The three processing times in seconds: `Some(total ms)` when all are known, `None` when one
/// is `-1`. Fails when a field is not a number.
fn processing_ms(c: &mut Cursor<'_>) -> Option<Option<f64>> {
    let mut total = 0.0;
    let mut known = true;
    for _ in 0..3 {
        let v = parse_decimal(c.token()?)?;
        if v < 0.0 {
            known = false;
        } else {
            total += v;
        }
    }
    // Round away binary noise: the inputs have at most microsecond resolution.
    Some(known.then(|| (total * 1e6).round() / 1e3))
}

/// The path of an absolute request URL (`http://host:80/a?b` → `/a?b`); other targets as they are.
fn url_path(url: &[u8]) -> &[u8] {
    match memchr::memmem::find(url, b"://") {
        Some(scheme_end) => {
            let after = &url[scheme_end + 3..];
            match memchr::memchr(b'/', after) {
                Some(slash) => &after[slash..],
                None => b"/",
            }
        }
        None => url,
    }
}

/// The fields ALB and Classic ELB share from the client onwards: client, target, processing
/// times, statuses, byte counts, request.
fn request_fields<'a>(
    line: &'a [u8],
    time: CivilTime,
    elb: &'a [u8],
    mut c: Cursor<'a>,
) -> Option<Event<'a>> {
    let (client, _) = endpoint(c.token()?)??;
    let target = endpoint(c.token()?)?.map(|(_, whole)| whole);
    let latency_ms = processing_ms(&mut c)?;
    let status = lb_status(c.token()?)?;
    let _target_status = lb_status(c.token()?)?;
    let _received = c.number_or_dash()?;
    let sent = c.number_or_dash()?;
    let request_line = c.quoted()?;
    let (method, url) = split_request_line(request_line);
    let mut event = Event::new(time, line);
    event.level = Level::from_http_status(status);
    event.component = Some(elb);
    event.request = Some(Request {
        status,
        latency_ms,
        client: Some(client),
        method,
        path: url.map(url_path),
        bytes_sent: sent,
        upstream: target,
    });
    Some(event)
}

/// An ALB access log entry.
fn alb_entry(line: &[u8]) -> Option<Event<'_>> {
    let mut c = Cursor::new(line);
    let kind = c.token()?;
    if !matches!(kind, b"http" | b"https" | b"h2" | b"grpcs" | b"ws" | b"wss") {
        return None;
    }
    let time = utc_time(c.token()?)?;
    let elb = c.token()?;
    request_fields(line, time, elb, c)
}

/// An NLB TLS access log entry: a connection, so no HTTP status.
fn nlb_entry(line: &[u8]) -> Option<Event<'_>> {
    let mut c = Cursor::new(line);
    c.eat_str(b"tls ")?;
    let _version = c
        .token()
        .filter(|v| v.first().is_some_and(u8::is_ascii_digit))?;
    let time = utc_time(c.token()?)?;
    let elb = c.token()?;
    let _listener = c.token()?;
    let (client, _) = endpoint(c.token()?)??;
    let destination = endpoint(c.token()?)?.map(|(_, whole)| whole);
    let connection_ms = c.token()?;
    let _handshake_ms = c.token()?;
    let _received = c.number_or_dash()?;
    let sent = c.number_or_dash()?;
    let alert = c.token()?;
    let mut event = Event::new(time, line);
    event.component = Some(elb);
    event.level = if alert == b"-" {
        Level::Info
    } else {
        Level::Warning
    };
    event.request = Some(Request {
        status: 0,
        latency_ms: parse_u64(connection_ms).map(|ms| ms as f64),
        client: Some(client),
        method: None,
        path: None,
        bytes_sent: sent,
        upstream: destination,
    });
    Some(event)
}

/// An ALB connection log entry: a TLS handshake, not a request.
fn alb_connection_entry(line: &[u8]) -> Option<Event<'_>> {
    let mut c = Cursor::new(line);
    let time = utc_time(c.token()?)?;
    let _client_ip = c.token()?;
    let _client_port = parse_u64(c.token()?)?;
    let _listener_port = parse_u64(c.token()?)?;
    let _protocol = c.token()?;
    let _cipher = c.token()?;
    let _latency = c.token()?;
    if c.peek() == Some(b'"') {
        c.quoted()?;
    } else {
        c.token()?;
    }
    let _validity = c.token()?;
    let _serial = c.token()?;
    let verify = c.token()?;
    let mut event = Event::new(time, line);
    event.level = if verify.starts_with(b"Failed") {
        Level::Warning
    } else {
        Level::Info
    };
    Some(event)
}

fn parse_alb(line: &[u8]) -> Parsed<'_> {
    let event = match line.first() {
        Some(b't') => nlb_entry(line),
        Some(b'0'..=b'9') => alb_connection_entry(line),
        Some(_) => alb_entry(line),
        None => None,
    };
    event.map_or(Parsed::NotMine, Parsed::Event)
}

fn parse_elb(line: &[u8]) -> Parsed<'_> {
    let entry = (|| {
        let mut c = Cursor::new(line);
        let time = utc_time(c.token()?)?;
        let elb = c.token()?;
        request_fields(line, time, elb, c)
    })();
    entry.map_or(Parsed::NotMine, Parsed::Event)
}

/// Written from the "Access logs for your Application Load Balancer" entry syntax, the Network
/// Load Balancer access log and the ALB connection log documentation.
const ALB_SAMPLES: &[Sample] = &[
    Sample {
        line: r#"http 2024-11-14T14:02:11.376735Z app/shop-alb/50dc6c495c0c9188 203.0.113.7:51744 10.0.3.12:8080 0.000 0.212 0.000 200 200 412 1532 "GET http://shop.example.com:80/api/cart/42 HTTP/1.1" "Mozilla/5.0 (X11; Linux x86_64)" - - arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-app/73e2d6bc24d8a067 "Root=1-6735f1a3-2c342a443bfb96249aa50ed7" "-" "-" 0 2024-11-14T14:02:11.164000Z "forward" "-" "-" "10.0.3.12:8080" "200" "-" "-""#,
        utc: Some("2024-11-14T14:02:11.376735Z"),
        level: Level::Info,
        status: Some(200),
    },
    Sample {
        line: r#"https 2024-11-14T14:02:41.002440Z app/shop-alb/50dc6c495c0c9188 198.51.100.23:40112 10.0.3.13:8080 0.001 -1 -1 504 - 890 308 "POST https://shop.example.com:443/api/pay HTTP/1.1" "okhttp/4.12.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-app/73e2d6bc24d8a067 "Root=1-6735f1a5-d9c72660e247c36070017828" "shop.example.com" "arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012" 1 2024-11-14T14:02:11.001000Z "forward" "-" "-" "10.0.3.13:8080" "-" "-" "-""#,
        utc: Some("2024-11-14T14:02:41.002440Z"),
        level: Level::Error,
        status: Some(504),
    },
    Sample {
        line: r#"h2 2024-11-14T14:02:12.120100Z app/shop-alb/50dc6c495c0c9188 192.0.2.44:33010 10.0.3.12:8080 0.000 0.004 0.000 502 - 301 272 "GET https://shop.example.com:443/api/items HTTP/2.0" "curl/8.5.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-app/73e2d6bc24d8a067 "Root=1-6735f1a4-0eaa8050df7d96f84806ded0" "shop.example.com" "-" 1 2024-11-14T14:02:12.116000Z "forward" "-" "Target.ResponseCodeMismatch" "10.0.3.12:8080" "-" "-" "-""#,
        utc: Some("2024-11-14T14:02:12.120100Z"),
        level: Level::Error,
        status: Some(502),
    },
    Sample {
        line: r#"http 2024-11-14T14:02:13.915238Z app/shop-alb/50dc6c495c0c9188 192.0.2.45:33020 - -1 -1 -1 460 - 125 0 "GET http://shop.example.com:80/export.csv HTTP/1.1" "python-requests/2.32.3" - - arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-app/73e2d6bc24d8a067 "Root=1-6735f1a5-4d9a423a0e9a782fe2f390af" "-" "-" 0 2024-11-14T14:02:03.914000Z "forward" "-" "-" "-" "-" "-" "-""#,
        utc: Some("2024-11-14T14:02:13.915238Z"),
        level: Level::Warning,
        status: Some(460),
    },
    Sample {
        line: r#"wss 2024-11-14T14:05:46.423695Z app/shop-alb/50dc6c495c0c9188 10.0.0.140:44244 10.0.0.171:8010 0.000 0.001 0.000 101 101 218 786 "GET https://shop.example.com:443/live HTTP/1.1" "-" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-ws/73e2d6bc24d8a067 "Root=1-6735f2a1-23a8c76965a2ef7629b185e3" "-" "-" 2 2024-11-14T14:02:20.100000Z "forward" "-" "-" "10.0.0.171:8010" "101" "-" "-""#,
        utc: Some("2024-11-14T14:05:46.423695Z"),
        level: Level::Info,
        status: Some(101),
    },
    Sample {
        line: "tls 2.0 2024-11-14T14:02:40 net/shop-nlb/c6e77e28c25b2234 g3d4b5e8bb8464cd 203.0.113.9:51341 10.0.3.20:5432 5 2 98 246 - arn:aws:acm:eu-west-1:123456789012:certificate/2a108f19-aded-46b0-8493-c63eb1ef4a99 - ECDHE-RSA-AES128-SHA tlsv12 - shop-nlb-c6e77e28c25b2234.elb.eu-west-1.amazonaws.com - - - 2024-11-14T14:02:35",
        utc: Some("2024-11-14T14:02:40Z"),
        level: Level::Info,
        status: Some(0),
    },
    Sample {
        line: r#"2024-11-14T14:02:15.514108Z 192.0.2.61 36280 443 TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 - "CN=client.example.com,O=Example,C=US" NotBefore=2024-01-01T00:00:00Z;NotAfter=2025-01-01T00:00:00Z FEF257372D5C14D4 Failed:ClientCertUntrusted TID_7a1b2c3d4e5f60718293a4b5c6d7e8f9"#,
        utc: Some("2024-11-14T14:02:15.514108Z"),
        level: Level::Warning,
        status: None,
    },
];

/// Written from the "Access logs for your Classic Load Balancer" entry syntax and examples.
const ELB_SAMPLES: &[Sample] = &[
    Sample {
        line: r#"2024-11-14T14:02:11.077255Z shop-elb 203.0.113.7:51744 10.0.3.12:80 0.000031 0.212311 0.000029 200 200 0 1532 "GET http://shop.example.com:80/api/cart/42 HTTP/1.1" "Mozilla/5.0 (X11; Linux x86_64)" - -"#,
        utc: Some("2024-11-14T14:02:11.077255Z"),
        level: Level::Info,
        status: Some(200),
    },
    Sample {
        line: r#"2024-11-14T14:02:41.945958Z shop-elb 198.51.100.23:40112 10.0.3.13:80 0.000073 -1 -1 504 0 890 0 "POST https://shop.example.com:443/api/pay HTTP/1.1" "okhttp/4.12.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2"#,
        utc: Some("2024-11-14T14:02:41.945958Z"),
        level: Level::Error,
        status: Some(504),
    },
    Sample {
        line: r#"2024-11-14T14:02:12.312007Z shop-elb 192.0.2.44:33010 - -1 -1 -1 503 0 0 0 "GET http://shop.example.com:80/api/items HTTP/1.1" "curl/8.5.0" - -"#,
        utc: Some("2024-11-14T14:02:12.312007Z"),
        level: Level::Error,
        status: Some(503),
    },
    Sample {
        line: r#"2024-11-14T14:02:13.401200Z shop-elb 192.0.2.45:33020 10.0.3.12:80 0.000044 0.001048 0.000036 404 404 0 157 "GET http://shop.example.com:80/favicon.ico HTTP/1.1" "Mozilla/5.0" - -"#,
        utc: Some("2024-11-14T14:02:13.401200Z"),
        level: Level::Warning,
        status: Some(404),
    },
    Sample {
        line: r#"2024-11-14T14:02:20.001069Z shop-db-elb 10.0.1.2:33313 10.0.3.20:5432 0.001069 0.000028 0.000041 - - 82 305 "- - - " "-" - -"#,
        utc: Some("2024-11-14T14:02:20.001069Z"),
        level: Level::Info,
        status: Some(0),
    },
];

pub static AWS_ALB: Format = Format {
    name: "aws_alb",
    description: "AWS Application Load Balancer access log (also NLB TLS and ALB connection logs)",
    source: SourceKind::LoadBalancer,
    specificity: 60,
    yearless: false,
    parse: parse_alb,
    samples: ALB_SAMPLES,
};

pub static AWS_ELB: Format = Format {
    name: "aws_elb",
    description: "AWS Classic Load Balancer (ELB) access log, HTTP and TCP listeners",
    source: SourceKind::LoadBalancer,
    specificity: 60,
    yearless: false,
    parse: parse_elb,
    samples: ELB_SAMPLES,
};

#[cfg(test)]
mod tests {
    use super::*;

    fn request(f: &Format, line: &'static str) -> Request<'static> {
        match (f.parse)(line.as_bytes()) {
            Parsed::Event(e) => e.request.unwrap(),
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn alb_fields() {
        let r = request(&AWS_ALB, ALB_SAMPLES[0].line);
        assert_eq!(r.client, Some(&b"203.0.113.7"[..]));
        assert_eq!(r.upstream, Some(&b"10.0.3.12:8080"[..]));
        assert_eq!(r.method, Some(&b"GET"[..]));
        assert_eq!(r.path, Some(&b"/api/cart/42"[..]));
        assert_eq!(r.bytes_sent, Some(1532));
        assert_eq!(r.latency_ms, Some(212.0));
        // A target that never answered, and a request never dispatched.
        let r = request(&AWS_ALB, ALB_SAMPLES[1].line);
        assert_eq!((r.status, r.latency_ms), (504, None));
        let r = request(&AWS_ALB, ALB_SAMPLES[3].line);
        assert_eq!((r.upstream, r.latency_ms), (None, None));
        match parse_alb(ALB_SAMPLES[0].line.as_bytes()) {
            Parsed::Event(e) => {
                assert_eq!(e.component, Some(&b"app/shop-alb/50dc6c495c0c9188"[..]))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn nlb_and_connection_logs() {
        let r = request(&AWS_ALB, ALB_SAMPLES[5].line);
        assert_eq!(
            (r.status, r.latency_ms, r.bytes_sent),
            (0, Some(5.0), Some(246))
        );
        assert_eq!(r.upstream, Some(&b"10.0.3.20:5432"[..]));
        match parse_alb(ALB_SAMPLES[6].line.as_bytes()) {
            Parsed::Event(e) => assert_eq!((e.level, e.request), (Level::Warning, None)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn elb_fields() {
        let r = request(&AWS_ELB, ELB_SAMPLES[0].line);
        assert_eq!(r.latency_ms, Some(212.371));
        assert_eq!(r.upstream, Some(&b"10.0.3.12:80"[..]));
        assert_eq!(r.path, Some(&b"/api/cart/42"[..]));
        let r = request(&AWS_ELB, ELB_SAMPLES[2].line);
        assert_eq!((r.upstream, r.latency_ms, r.status), (None, None, 503));
        let r = request(&AWS_ELB, ELB_SAMPLES[4].line);
        assert_eq!((r.status, r.method, r.path), (0, None, None));
        assert_eq!(r.latency_ms, Some(1.138));
    }

    #[test]
    fn formats_reject_each_other() {
        for s in ALB_SAMPLES {
            assert_eq!(parse_elb(s.line.as_bytes()), Parsed::NotMine, "{}", s.line);
        }
        for s in ELB_SAMPLES {
            assert_eq!(parse_alb(s.line.as_bytes()), Parsed::NotMine, "{}", s.line);
        }
        assert_eq!(parse_alb(b""), Parsed::NotMine);
        assert_eq!(
            parse_elb(br#"127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1"#),
            Parsed::NotMine
        );
    }

    #[test]
    fn never_panics_on_prefixes() {
        for s in ALB_SAMPLES.iter().chain(ELB_SAMPLES) {
            let b = s.line.as_bytes();
            for end in 0..=b.len() {
                let _ = parse_alb(&b[..end]);
                let _ = parse_elb(&b[..end]);
            }
        }
    }
}
