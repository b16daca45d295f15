//! nginx's error log, as `ngx_log_error` writes it:
//!
//! ```text
//! yyyy/MM/dd HH:mm:ss [level] pid#tid: *connection message, client: ..., server: ..., request: "...", upstream: "...", host: "..."
//! ```
//!
//! The time is the server's local time without a zone. The `*connection` number appears only
//! for messages about a client connection, and the `, client: ...` context at the end only for
//! messages about a request. Levels are nginx's eight: `debug info notice warn error crit alert
//! emerg`.
//!
//! When nginx logs to syslog (`error_log syslog:server=...`) the same text follows a syslog
//! header (`Nov 14 14:02:11 web1 nginx: 2024/11/14 14:02:11 [error] ...`), and journald exports
//! read as `host nginx[pid]: 2024/...`; both are read, with the line's own nginx time.
//!
//! Messages relayed from upstreams (PHP-FPM's stderr through FastCGI) can span lines; lines that
//! start with no timestamp continue the event before them.

use super::fields::Cursor;
use super::{Event, Format, Level, Parsed, Sample, SourceKind};
use crate::time::parse::{bsd, leading_timestamp, slash_date};

/// nginx's level names (`err_levels` in its source); nothing else appears in the brackets.
fn nginx_level(word: &[u8]) -> Option<Level> {
    Some(match word {
        b"debug" => Level::Debug,
        b"info" => Level::Info,
        b"notice" => Level::Notice,
        b"warn" => Level::Warning,
        b"error" => Level::Error,
        b"crit" => Level::Critical,
        b"alert" => Level::Alert,
        b"emerg" => Level::Emergency,
        _ => return None,
    })
}

/// `pid#tid:` with both numbers.
fn is_pid_tid(tok: &[u8]) -> bool {
    let Some(tok) = tok.strip_suffix(b":") else {
        return false;
    };
    let Some(hash) = memchr::memchr(b'#', tok) else {
        return false;
    };
    let (pid, tid) = (&tok[..hash], &tok[hash + 1..]);
    !pid.is_empty()
        && !tid.is_empty()
        && pid.iter().all(u8::is_ascii_digit)
        && tid.iter().all(u8::is_ascii_digit)
}

/// The nginx part of a line, starting at its timestamp.
fn parse_body<'a>(body: &'a [u8], host: Option<&'a [u8]>) -> Option<Event<'a>> {
    let (time, used) = slash_date(body)?;
    let mut c = Cursor::new(body.get(used..)?);
    c.eat(b' ')?;
    let level = nginx_level(c.bracketed()?)?;
    if !is_pid_tid(c.token()?) {
        return None;
    }
    // `*123 ` is the connection number; the message proper follows it.
    if c.peek() == Some(b'*') {
        let mut after = c;
        if let Some(tok) = after.token()
            && tok.len() > 1
            && tok[1..].iter().all(u8::is_ascii_digit)
        {
            c = after;
        }
    }
    let mut event = Event::new(time, c.rest());
    event.level = level;
    event.host = host;
    Some(event)
}

/// The host named in a syslog or journal prefix before `tag[pid]:`, if the prefix has one.
fn prefix_host(prefix: &[u8]) -> Option<&[u8]> {
    let rest = match bsd(prefix) {
        Some((_, used)) => prefix.get(used..)?.strip_prefix(b" ")?,
        None => prefix,
    };
    let mut words = rest.split(|c| *c == b' ').filter(|w| !w.is_empty());
    let first = words.next()?;
    // `host tag[pid]` names a host; a lone `tag[pid]` does not.
    words.next().map(|_| first)
}

/// How far into a prefixed line the nginx text may start.
const PREFIX_LIMIT: usize = 256;

fn parse_nginx_error(line: &[u8]) -> Parsed<'_> {
    match line.first() {
        Some(b'0'..=b'9') => {
            if let Some(event) = parse_body(line, None) {
                return Parsed::Event(event);
            }
        }
        Some(_) => {
            // A syslog or journal prefix: the nginx text follows one of the first `: `.
            let head = &line[..line.len().min(PREFIX_LIMIT)];
            for colon in memchr::memmem::find_iter(head, b": ").take(4) {
                let start = colon + 2;
                if line.get(start).is_some_and(u8::is_ascii_digit)
                    && let Some(event) = parse_body(&line[start..], prefix_host(&line[..colon]))
                {
                    return Parsed::Event(event);
                }
            }
        }
        None => return Parsed::NotMine,
    }
    if is_free_text(line) {
        Parsed::Continuation
    } else {
        Parsed::NotMine
    }
}

/// Whether a line reads as free text that an upstream or a script wrote into a web server's
/// error log after an event (PHP's `PHP message: ...`, `Stack trace:`, `#0 /var/www/...`),
/// rather than the start of some other log's line: it has no leading timestamp and does not open
/// with a digit (an address, a date, a number), a bracket, a brace or a `# ` comment.
pub(crate) fn is_free_text(line: &[u8]) -> bool {
    match line.first() {
        None | Some(b'0'..=b'9' | b'[' | b'{' | b'<') => false,
        Some(b'#') if matches!(line.get(1), None | Some(b' ')) => false,
        Some(_) => leading_timestamp(line).is_none(),
    }
}

/// A context field nginx appends to a message about a request (`client`, `server`, `request`,
/// `upstream`, `host`, `referrer`), without quotes. `None` when the message has no such field or
/// it is empty (`server: ,`).
pub fn context_field<'a>(message: &'a [u8], key: &str) -> Option<&'a [u8]> {
    let mut pattern = [0u8; 24];
    let key = key.as_bytes();
    let len = key.len() + 4;
    if len > pattern.len() {
        return None;
    }
    pattern[..2].copy_from_slice(b", ");
    pattern[2..2 + key.len()].copy_from_slice(key);
    pattern[2 + key.len()..len].copy_from_slice(b": ");
    // The context comes last, so the last occurrence is nginx's, not text inside the message.
    let at = memchr::memmem::rfind(message, &pattern[..len])?;
    let value = &message[at + len..];
    let value = if value.first() == Some(&b'"') {
        let mut c = Cursor::new(value);
        c.quoted().unwrap_or(&value[1..])
    } else {
        let end = memchr::memmem::find(value, b", ").unwrap_or(value.len());
        &value[..end]
    };
    (!value.is_empty()).then_some(value)
}

/// Written from nginx's `error_log` documentation and the messages its modules write.
const NGINX_ERROR_SAMPLES: &[Sample] = &[
    Sample {
        line: r#"2024/11/14 14:02:11 [error] 2311#2311: *8841 connect() failed (111: Connection refused) while connecting to upstream, client: 203.0.113.7, server: shop.example.com, request: "GET /api/cart/42 HTTP/1.1", upstream: "http://10.0.3.12:8080/api/cart/42", host: "shop.example.com""#,
        utc: Some("2024-11-14T14:02:11Z"),
        level: Level::Error,
        status: None,
    },
    Sample {
        line: r#"2024/11/14 14:02:13 [error] 2311#2311: *8846 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 198.51.100.23, server: shop.example.com, request: "POST /api/pay HTTP/1.1", upstream: "http://10.0.3.13:8080/api/pay", host: "shop.example.com""#,
        utc: Some("2024-11-14T14:02:13Z"),
        level: Level::Error,
        status: None,
    },
    Sample {
        line: r#"2024/11/14 14:02:15 [warn] 2312#2312: *8850 an upstream response is buffered to a temporary file /var/cache/nginx/proxy_temp/4/11/0000000114 while reading upstream, client: 192.0.2.44, server: shop.example.com, request: "GET /export.csv HTTP/1.1", upstream: "http://10.0.3.12:8080/export.csv", host: "shop.example.com""#,
        utc: Some("2024-11-14T14:02:15Z"),
        level: Level::Warning,
        status: None,
    },
    Sample {
        line: "2024/11/14 14:02:20 [crit] 2312#2312: *8861 SSL_do_handshake() failed (SSL: error:0A00006C:SSL routines::bad key share) while SSL handshaking, client: 192.0.2.61, server: 0.0.0.0:443",
        utc: Some("2024-11-14T14:02:20Z"),
        level: Level::Critical,
        status: None,
    },
    Sample {
        line: r#"2024/11/14 14:03:00 [notice] 2309#2309: signal process started"#,
        utc: Some("2024-11-14T14:03:00Z"),
        level: Level::Notice,
        status: None,
    },
    Sample {
        line: r#"2024/11/14 14:03:01 [emerg] 2309#2309: bind() to 0.0.0.0:80 failed (98: Address already in use)"#,
        utc: Some("2024-11-14T14:03:01Z"),
        level: Level::Emergency,
        status: None,
    },
    Sample {
        line: r#"2024/11/14 14:03:05 [error] 2313#2313: *8870 FastCGI sent in stderr: "PHP message: PHP Fatal error:  Uncaught Exception: database unavailable in /var/www/app/db.php:17"#,
        utc: Some("2024-11-14T14:03:05Z"),
        level: Level::Error,
        status: None,
    },
    Sample {
        line: r#"Stack trace:"#,
        utc: None,
        level: Level::Unknown,
        status: None,
    },
];

pub static NGINX_ERROR: Format = Format {
    name: "nginx_error",
    description: "nginx error log (`yyyy/MM/dd HH:mm:ss [level] pid#tid: *cid message, client: ...`)",
    source: SourceKind::Web,
    specificity: 50,
    yearless: false,
    parse: parse_nginx_error,
    samples: NGINX_ERROR_SAMPLES,
};

#[cfg(test)]
mod tests {
    use super::*;

    fn event(line: &str) -> Event<'_> {
        match parse_nginx_error(line.as_bytes()) {
            Parsed::Event(e) => e,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn message_and_context_fields() {
        let e = event(NGINX_ERROR_SAMPLES[0].line);
        assert!(e.message.starts_with(b"connect() failed (111"));
        assert_eq!(e.request, None);
        assert_eq!(e.component, None);
        assert_eq!(
            context_field(e.message, "client"),
            Some(&b"203.0.113.7"[..])
        );
        assert_eq!(
            context_field(e.message, "server"),
            Some(&b"shop.example.com"[..])
        );
        assert_eq!(
            context_field(e.message, "request"),
            Some(&b"GET /api/cart/42 HTTP/1.1"[..])
        );
        assert_eq!(
            context_field(e.message, "upstream"),
            Some(&b"http://10.0.3.12:8080/api/cart/42"[..])
        );
        assert_eq!(
            context_field(e.message, "host"),
            Some(&b"shop.example.com"[..])
        );
        assert_eq!(context_field(e.message, "referrer"), None);
        let e = event(NGINX_ERROR_SAMPLES[4].line);
        assert_eq!(e.message, b"signal process started");
        assert_eq!(context_field(e.message, "client"), None);
        assert_eq!(
            context_field(b"x, server: , request: \"GET /\"", "server"),
            None
        );
    }

    #[test]
    fn syslog_and_journal_prefixes() {
        let e = event(
            "Nov 14 14:02:11 web1 nginx: 2024/11/14 14:02:11 [error] 2311#2311: *1 limiting requests, excess: 1.2 by zone \"one\", client: 192.0.2.1, server: a, request: \"GET / HTTP/1.1\"",
        );
        assert_eq!(e.host, Some(&b"web1"[..]));
        assert_eq!(e.level, Level::Error);
        assert!(e.message.starts_with(b"limiting requests"));
        let e = event(
            "web2 nginx[983]: web2 nginx: 2023/12/09 21:35:20 [notice] 983#983: *22 limiting requests",
        );
        assert_eq!(e.host, Some(&b"web2"[..]));
        assert_eq!(e.level, Level::Notice);
        let e = event("nginx: 2023/12/09 21:35:20 [warn] 983#983: x");
        assert_eq!(e.host, None);
    }

    #[test]
    fn rejects_other_lines() {
        for line in [
            "2024/11/14 14:02:11 [error] no pid here",
            "2024/11/14 14:02:11 [fatal] 1#1: not an nginx level",
            "2024-11-14 14:02:11 [error] 1#1: iso date",
            r#"127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1"#,
            "Nov 14 14:02:11 web1 sshd[12]: Accepted publickey for root",
            "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok",
            "",
        ] {
            assert_eq!(
                parse_nginx_error(line.as_bytes()),
                Parsed::NotMine,
                "{line}"
            );
        }
        assert_eq!(
            parse_nginx_error(b"PHP message: PHP Warning:  Undefined index"),
            Parsed::Continuation
        );
    }

    #[test]
    fn never_panics_on_prefixes() {
        for sample in NGINX_ERROR_SAMPLES {
            let b = sample.line.as_bytes();
            for end in 0..=b.len() {
                let _ = parse_nginx_error(&b[..end]);
                let _ = context_field(&b[..end], "client");
            }
        }
    }
}
