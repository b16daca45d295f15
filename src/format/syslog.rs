//! Syslog files as syslog daemons and journalctl write them.
//!
//! - RFC 3164 (BSD syslog): `Mmm dd HH:MM:SS host tag[pid]: msg`, optionally with the `<PRI>`
//!   a relay received, no year (the driver infers it).
//! - rsyslog's `RSYSLOG_FileFormat`: the same with an RFC 3339 timestamp,
//!   `2024-11-14T14:02:11.123456+01:00 host tag[pid]: msg`.
//! - `journalctl -o short-iso` / `short-iso-precise`: `2024-11-14T14:02:11+0100 host unit[pid]:
//!   msg` (an ISO 8601 offset without the colon); its `-- Boot … --` markers and the indented
//!   lines of multi-line messages continue the previous entry.
//! - RFC 5424 lines that end up in the same files are read as [`super::syslog5424`] reads them.
//!
//! With an RFC 3339/ISO timestamp the `tag:` is required (so application logs that merely start
//! with an ISO time are not taken for syslog); with the BSD timestamp, whose shape is distinctive,
//! the tag is optional, as RFC 3164 allows. The level is the PRI's severity when there is one,
//! otherwise a level word at the start of the message (`error: …`), otherwise unknown.

use super::generic::level_near_start;
use super::syslog5424::{parse_frame, pri};
use super::{Event, Format, Level, Parsed, Sample, SourceKind};
use crate::time::LineTime;
use crate::time::parse::{bsd, iso8601};

/// The `tag[pid]:` or `tag:` at the start of `msg`: (tag, the message after it). A tag is the
/// program name: no spaces, at least one byte; `sandboxd[129] ([31211]):` still names
/// `sandboxd`.
fn split_tag(msg: &[u8]) -> Option<(&[u8], &[u8])> {
    let len = msg
        .iter()
        .take(128)
        .take_while(|c| !matches!(c, b'[' | b':' | b' ' | b'\t'))
        .count();
    if len == 0 || !msg[0].is_ascii_graphic() {
        return None;
    }
    let tag = &msg[..len];
    let rest = &msg[len..];
    let after = match rest.first()? {
        b':' => &rest[1..],
        b'[' => {
            let close = memchr::memchr(b']', rest)?;
            let after = &rest[close + 1..];
            // `tag[pid]: msg`, or `tag[pid] (detail): msg` as launchd writes.
            match after.first() {
                Some(b':') => &after[1..],
                Some(b' ') => {
                    let colon = memchr::memchr(b':', after)?;
                    &after[colon + 1..]
                }
                None => after,
                _ => return None,
            }
        }
        _ => return None,
    };
    let after = after.strip_prefix(b" ").unwrap_or(after);
    Some((tag, after))
}

/// A host name token: up to the next space, printable, at least one byte.
fn host_token(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let len = b.iter().take_while(|c| c.is_ascii_graphic()).count();
    if len == 0 || !matches!(b.get(len), Some(b' ') | None) {
        return None;
    }
    Some((&b[..len], b.get(len + 1..).unwrap_or(&[])))
}

/// Whether a line is one of journalctl's markers: `-- Boot 9a1c… --`, `-- Logs begin at … --`,
/// `-- No entries --`, `-- Reboot --`.
fn is_journal_marker(line: &[u8]) -> bool {
    line.starts_with(b"-- ") && line.trim_ascii_end().ends_with(b" --")
}

fn parse_syslog(line: &[u8]) -> Parsed<'_> {
    match line.first() {
        None => return Parsed::NotMine,
        // Indented lines continue a multi-line message (journalctl, macOS ASL, rsyslog with
        // escaping off).
        Some(b' ') | Some(b'\t') => return Parsed::Continuation,
        Some(b'-') if is_journal_marker(line) => return Parsed::Continuation,
        // An octet-counted RFC 5424 frame.
        Some(b'0'..=b'9') if line.iter().take(10).any(|c| *c == b'<') => {
            return parse_frame(line).map_or(Parsed::NotMine, Parsed::Event);
        }
        _ => {}
    }
    let (prival, start) = match pri(line) {
        Some((p, used)) => (Some(p), used),
        None => (None, 0),
    };
    let b = &line[start..];
    // RFC 5424: a version digit right after the PRI.
    if prival.is_some() && b.first().is_some_and(|c| c.is_ascii_digit()) && b.get(1) == Some(&b' ')
    {
        return parse_frame(line).map_or(Parsed::NotMine, Parsed::Event);
    }
    let (civil, used, iso) = if b.first().is_some_and(u8::is_ascii_alphabetic) {
        match bsd(b) {
            Some((c, used)) => (c, used, false),
            None => return Parsed::NotMine,
        }
    } else {
        match iso8601(b) {
            // RFC 3339 needs the `T`; a comma fraction is log4j's, not a syslog daemon's.
            Some((c, used)) if matches!(b.get(10), Some(b'T')) && b.get(19) != Some(&b',') => {
                (c, used, true)
            }
            _ => return Parsed::NotMine,
        }
    };
    if b.get(used) != Some(&b' ') {
        return Parsed::NotMine;
    }
    let Some((host, rest)) = host_token(&b[used + 1..]) else {
        return Parsed::NotMine;
    };
    let (component, message) = match split_tag(rest) {
        Some((tag, msg)) => (Some(tag), msg),
        // An ISO timestamp without a tag is some other log, unless a PRI says it is syslog.
        None if iso && prival.is_none() => return Parsed::NotMine,
        None => (None, rest),
    };
    let level = match prival {
        Some(p) => Level::from_syslog_severity(p & 7),
        None => level_near_start(message, 3).unwrap_or(Level::Unknown),
    };
    Parsed::Event(Event {
        time: Some(LineTime::Civil(civil)),
        level,
        host: Some(host),
        component,
        message,
        request: None,
    })
}

/// Written from RFC 3164's examples, rsyslog's `RSYSLOG_FileFormat` template and journalctl(1)'s
/// `short-iso` output.
const SAMPLES: &[Sample] = &[
    Sample {
        line: "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
        utc: Some("2024-10-11T22:14:15Z"),
        level: Level::Critical,
        status: None,
    },
    Sample {
        line: "Nov 14 14:02:11 web-1 sshd[4242]: error: kex_exchange_identification: Connection closed by remote host",
        utc: Some("2024-11-14T14:02:11Z"),
        level: Level::Error,
        status: None,
    },
    Sample {
        line: "Nov  4 09:23:38 web-1 kernel: [1234567.891011] Out of memory: Killed process 4242 (java) total-vm:8388608kB",
        utc: Some("2024-11-04T09:23:38Z"),
        level: Level::Unknown,
        status: None,
    },
    Sample {
        line: "2024-11-14T14:02:11.123456+01:00 db-1 postgres[777]: [3-1] LOG:  checkpoint starting: time",
        utc: Some("2024-11-14T13:02:11.123456Z"),
        level: Level::Info,
        status: None,
    },
    Sample {
        line: "2024-11-14T14:02:12+0100 web-1 systemd[1]: Failed to start nginx.service - A high performance web server.",
        utc: Some("2024-11-14T13:02:12Z"),
        level: Level::Unknown,
        status: None,
    },
    Sample {
        line: "2024-11-14T14:02:13.000042+0100 web-1 kernel: warning: TCP: out of memory -- consider tuning tcp_mem",
        utc: Some("2024-11-14T13:02:13.000042Z"),
        level: Level::Warning,
        status: None,
    },
    Sample {
        line: "        Those messages may not appear in standard system log files.",
        utc: None,
        level: Level::Unknown,
        status: None,
    },
    Sample {
        line: "-- Boot 9a1cbd4fb2f84d69a59c83e4a1d0b0e1 --",
        utc: None,
        level: Level::Unknown,
        status: None,
    },
];

pub static SYSLOG: Format = Format {
    name: "syslog",
    description: "Syslog files: RFC 3164 (`Mmm dd HH:MM:SS host tag[pid]: msg`), rsyslog RFC 3339, journalctl short-iso",
    source: SourceKind::System,
    specificity: 10,
    yearless: true,
    parse: parse_syslog,
    samples: SAMPLES,
};

#[cfg(test)]
mod tests {
    use super::*;

    fn event(line: &str) -> Event<'_> {
        match parse_syslog(line.as_bytes()) {
            Parsed::Event(e) => e,
            other => panic!("{line:?}: {other:?}"),
        }
    }

    #[test]
    fn splits_host_tag_and_message() {
        let e = event(SAMPLES[1].line);
        assert_eq!(e.host, Some(&b"web-1"[..]));
        assert_eq!(e.component, Some(&b"sshd"[..]));
        assert!(e.message.starts_with(b"error: kex"));
        let e = event("Jul  1 09:29:02 mac sandboxd[129] ([31211]): deny network-outbound");
        assert_eq!(e.component, Some(&b"sandboxd"[..]));
        assert_eq!(e.message, b"deny network-outbound");
        let e = event("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure");
        assert_eq!(e.component, Some(&b"sshd(pam_unix)"[..]));
        // RFC 3164 allows a message without a tag.
        let e = event("Jun 19 04:09:11 combo syslogd 1.4.1: restart.");
        assert_eq!((e.host, e.component), (Some(&b"combo"[..]), None));
        assert_eq!(e.message, b"syslogd 1.4.1: restart.");
    }

    #[test]
    fn reads_5424_lines_in_syslog_files() {
        let e = event("<46>1 2017-04-27T07:50:47.381967+02:00 logserver rsyslogd - - - start");
        assert_eq!(e.component, Some(&b"rsyslogd"[..]));
        assert_eq!(e.level, Level::Info);
    }

    #[test]
    fn a_pri_lets_an_iso_line_go_without_a_tag() {
        let e = event("<14>2010-08-30T23:00:05Z X4711 AAAAAAAA");
        assert_eq!(e.level, Level::Info);
        assert_eq!(e.message, b"AAAAAAAA");
    }

    #[test]
    fn rejects_application_logs_with_iso_times() {
        for line in [
            "2025-01-24T07:00:30,139 INFO [background-preinit] Version : HV000001",
            "2024-11-14T14:02:11.123+01:00  INFO 4242 --- [main] o.s.b.StartupInfoLogger : x",
            "2024-11-14T14:02:11.123+01:00 ERROR 4242 --- [main] o.s.b.StartupInfoLogger : x",
            "2022-06-02T12:12:38.414Z phProdLogDrainerTaskExecutor-5  INFO  org.x.Y hello",
            "2024-11-14 14:02:11 host tag: message",
            "Mar 24 15:17:38.999  000000000264F I shmem.res 262144",
            "Foo 24 15:17:38 host x: y",
            "not syslog at all",
            "",
        ] {
            assert_eq!(parse_syslog(line.as_bytes()), Parsed::NotMine, "{line:?}");
        }
    }

    #[test]
    fn never_panics_on_prefixes() {
        for s in SAMPLES {
            for end in 0..=s.line.len() {
                let _ = parse_syslog(&s.line.as_bytes()[..end]);
            }
        }
    }
}
