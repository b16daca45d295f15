//! Apache httpd's error log, in the layouts 2.2 and 2.4 write by default:
//!
//! ```text
//! [Wed Oct 11 14:32:52 2000] [error] [client 127.0.0.1] message                            (2.2)
//! [Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187:4711] AH00128: message   (2.4)
//! ```
//!
//! 2.4's default `ErrorLogFormat` adds microseconds to the time, names the module before the
//! level (`[:error]` when a module gives none), the process and thread, at debug levels the
//! source location (`mod_rewrite.c(470): `), and the `AHnnnnn` message number. The time is the
//! server's local time without a zone. Levels are `emerg alert crit error warn notice info
//! debug` and 2.4's `trace1` … `trace8`.
//!
//! With `ErrorLog syslog:facility` the fields after the time arrive behind a syslog header
//! (`Feb 15 16:23:00 web1 httpd[22034]: [authz_core:error] [pid 22034] ...`); the header's time,
//! which has no year, is the event's.
//!
//! CGI scripts' stderr lands in the error log as written; lines that start with no timestamp
//! continue the event before them.

use super::fields::Cursor;
use super::nginx_error::is_free_text;
use super::syslog_wrap::split_header;
use super::{Event, Format, Level, Parsed, Sample, SourceKind};
use crate::time::CivilTime;
use crate::time::parse::ctime;

fn apache_level(word: &[u8]) -> Option<Level> {
    Some(match word {
        b"emerg" => Level::Emergency,
        b"alert" => Level::Alert,
        b"crit" => Level::Critical,
        b"error" => Level::Error,
        b"warn" => Level::Warning,
        b"notice" => Level::Notice,
        b"info" => Level::Info,
        b"debug" => Level::Debug,
        [b't', b'r', b'a', b'c', b'e', b'1'..=b'8'] => Level::Trace,
        _ => return None,
    })
}

/// `file.c(123):`, the source location 2.4 writes at debug levels.
fn is_source_location(tok: &[u8]) -> bool {
    let Some(inner) = tok.strip_suffix(b"):") else {
        return false;
    };
    let Some(open) = memchr::memrchr(b'(', inner) else {
        return false;
    };
    open > 0
        && inner.len() > open + 1
        && inner[open + 1..].iter().all(u8::is_ascii_digit)
        && !inner[..open].contains(&b' ')
}

/// The line from the `[level]` or `[module:level]` field on, which follows the time.
fn parse_after_time(time: CivilTime, rest: &[u8]) -> Option<Event<'_>> {
    let mut c = Cursor::new(rest);
    let tag = c.bracketed()?;
    let (module, level) = match memchr::memrchr(b':', tag) {
        Some(colon) => (Some(&tag[..colon]), &tag[colon + 1..]),
        None => (None, tag),
    };
    let level = apache_level(level)?;
    if c.rest().starts_with(b"[pid ") {
        c.bracketed()?;
    }
    let mut after = c;
    if after.token().is_some_and(is_source_location) {
        c = after;
    }
    let mut event = Event::new(time, c.rest());
    event.level = level;
    event.component = module.filter(|m| !m.is_empty());
    Some(event)
}

fn parse_header(line: &[u8]) -> Option<Event<'_>> {
    let inner = line.strip_prefix(b"[")?;
    let (time, used) = ctime(inner)?;
    parse_after_time(time, inner.get(used..)?.strip_prefix(b"] ")?)
}

/// `ErrorLog syslog:...`: the same fields without the time, behind a syslog header.
fn parse_syslogged(line: &[u8]) -> Option<Event<'_>> {
    let (header, message) = split_header(line);
    header.tag?;
    let mut event = parse_after_time(header.time()?, message)?;
    event.host = header.host;
    Some(event)
}

fn parse_apache_error(line: &[u8]) -> Parsed<'_> {
    let event = match line.first() {
        Some(b'[') => parse_header(line),
        _ => parse_syslogged(line),
    };
    if let Some(event) = event {
        Parsed::Event(event)
    } else if is_free_text(line) {
        Parsed::Continuation
    } else {
        Parsed::NotMine
    }
}

/// The client address of a message that names one (`[client 192.0.2.1:4711] ...`).
pub fn client(message: &[u8]) -> Option<&[u8]> {
    let rest = message.strip_prefix(b"[client ")?;
    let end = memchr::memchr(b']', rest)?;
    Some(&rest[..end])
}

/// Written from the httpd "Log Files" and `ErrorLogFormat` documentation and the messages its
/// modules write.
const APACHE_ERROR_SAMPLES: &[Sample] = &[
    Sample {
        line: "[Thu Nov 14 14:02:11 2024] [error] [client 203.0.113.7] File does not exist: /var/www/html/favicon.ico",
        utc: Some("2024-11-14T14:02:11Z"),
        level: Level::Error,
        status: None,
    },
    Sample {
        line: "[Thu Nov 14 14:02:12 2024] [notice] Apache/2.2.34 (Unix) configured -- resuming normal operations",
        utc: Some("2024-11-14T14:02:12Z"),
        level: Level::Notice,
        status: None,
    },
    Sample {
        line: "[Thu Nov 14 14:05:40.118204 2024] [mpm_event:notice] [pid 2207:tid 139872201352064] AH00489: Apache/2.4.62 (Unix) configured -- resuming normal operations",
        utc: Some("2024-11-14T14:05:40.118204Z"),
        level: Level::Notice,
        status: None,
    },
    Sample {
        line: "[Thu Nov 14 14:06:02.551873 2024] [proxy:error] [pid 2210:tid 139871988913728] (111)Connection refused: AH00957: http: attempt to connect to 10.0.3.12:8080 (app1) failed",
        utc: Some("2024-11-14T14:06:02.551873Z"),
        level: Level::Error,
        status: None,
    },
    Sample {
        line: "[Thu Nov 14 14:06:02.552014 2024] [proxy_http:error] [pid 2210:tid 139871988913728] [client 198.51.100.23:52114] AH01114: HTTP: failed to make connection to backend: 10.0.3.12",
        utc: Some("2024-11-14T14:06:02.552014Z"),
        level: Level::Error,
        status: None,
    },
    Sample {
        line: "[Thu Nov 14 14:07:30.000412 2024] [mpm_event:error] [pid 2207:tid 139872201352064] AH00484: server reached MaxRequestWorkers setting, consider raising the MaxRequestWorkers setting",
        utc: Some("2024-11-14T14:07:30.000412Z"),
        level: Level::Error,
        status: None,
    },
    Sample {
        line: "[Thu Nov 14 14:08:00.731005 2024] [core:warn] [pid 2207] AH00045: child process 2211 still did not exit, sending a SIGTERM",
        utc: Some("2024-11-14T14:08:00.731005Z"),
        level: Level::Warning,
        status: None,
    },
    Sample {
        line: "[Thu Nov 14 14:09:12.004100 2024] [rewrite:trace3] [pid 2212:tid 139871980521024] mod_rewrite.c(477): [client 192.0.2.5:40112] 192.0.2.5 - - [shop.example.com/sid#55d0][rid#7f2c/initial] applying pattern '^/old/(.*)$' to uri '/old/cart'",
        utc: Some("2024-11-14T14:09:12.004100Z"),
        level: Level::Trace,
        status: None,
    },
];

pub static APACHE_ERROR: Format = Format {
    name: "apache_error",
    description: "Apache httpd 2.2/2.4 error log (`[Www Mmm dd HH:mm:ss[.us] yyyy] [module:level] ...`)",
    source: SourceKind::Web,
    specificity: 50,
    yearless: true,
    parse: parse_apache_error,
    samples: APACHE_ERROR_SAMPLES,
};

#[cfg(test)]
mod tests {
    use super::*;

    fn event(line: &str) -> Event<'_> {
        match parse_apache_error(line.as_bytes()) {
            Parsed::Event(e) => e,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn fields_of_both_versions() {
        let e = event(APACHE_ERROR_SAMPLES[0].line);
        assert_eq!(e.component, None);
        assert_eq!(client(e.message), Some(&b"203.0.113.7"[..]));
        assert!(
            e.message
                .ends_with(b"File does not exist: /var/www/html/favicon.ico")
        );
        let e = event(APACHE_ERROR_SAMPLES[4].line);
        assert_eq!(e.component, Some(&b"proxy_http"[..]));
        assert_eq!(client(e.message), Some(&b"198.51.100.23:52114"[..]));
        let e = event(APACHE_ERROR_SAMPLES[3].line);
        assert_eq!(e.component, Some(&b"proxy"[..]));
        assert!(e.message.starts_with(b"(111)Connection refused: AH00957"));
        let e = event(APACHE_ERROR_SAMPLES[6].line);
        assert!(e.message.starts_with(b"AH00045: "));
        // The source location at trace levels is not part of the message.
        let e = event(APACHE_ERROR_SAMPLES[7].line);
        assert!(e.message.starts_with(b"[client 192.0.2.5:40112]"));
        // A module-less 2.4 message.
        let e = event("[Mon Dec 23 07:49:01.981912 2013] [:error] [pid 3790] [client 1.2.3.4:1] x");
        assert_eq!((e.component, e.level), (None, Level::Error));
    }

    #[test]
    fn syslog_wrapped() {
        let e = event(
            "Feb 15 16:23:00 web1 httpd[22034]: [authz_core:error] [pid 22034] [client 192.0.2.1:58585] AH01630: client denied by server configuration: /srv/www/",
        );
        assert_eq!(e.host, Some(&b"web1"[..]));
        assert_eq!(e.component, Some(&b"authz_core"[..]));
        assert!(e.message.starts_with(b"[client 192.0.2.1:58585] AH01630"));
        match e.time {
            Some(crate::time::LineTime::Civil(c)) => {
                assert_eq!((c.year, c.month, c.day), (None, 2, 15))
            }
            other => panic!("{other:?}"),
        }
        let e = event(
            "Feb 16 22:32:48 web1 httpd[22034]: [error] [client 127.0.0.1] user x not found: /basic/file",
        );
        assert_eq!(e.level, Level::Error);
        // Other programs' syslog lines are not Apache's.
        assert_eq!(
            parse_apache_error(b"Feb 16 22:32:48 web1 sshd[1]: Accepted key"),
            Parsed::NotMine
        );
    }

    #[test]
    fn rejects_other_lines() {
        for line in [
            "[Thu Nov 14 14:02:11 2024] [fatal] not an apache level",
            "[Thu Nov 14 14:02:11 2024] no level",
            "[2024-11-14 14:02:11] [error] not apache's time",
            "2024/11/14 14:02:11 [error] 1#1: nginx",
            r#"127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1"#,
        ] {
            assert_eq!(
                parse_apache_error(line.as_bytes()),
                Parsed::NotMine,
                "{line}"
            );
        }
        assert_eq!(
            parse_apache_error(b"Traceback (most recent call last):"),
            Parsed::Continuation
        );
    }

    #[test]
    fn never_panics_on_prefixes() {
        for sample in APACHE_ERROR_SAMPLES {
            let b = sample.line.as_bytes();
            for end in 0..=b.len() {
                let _ = parse_apache_error(&b[..end]);
                let _ = client(&b[..end]);
            }
        }
    }
}
