//! Syslog as RFC 5424 defines it:
//!
//! ```text
//! <PRI>VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP STRUCTURED-DATA [SP MSG]
//! ```
//!
//! Every header field may be the NILVALUE `-`; STRUCTURED-DATA is `-` or one or more
//! `[SD-ID name="value" ...]` elements whose values escape `"`, `\` and `]` with a backslash; MSG
//! may start with a UTF-8 byte-order mark. Over TCP (RFC 6587) and in Heroku Logplex HTTPS drains a
//! frame is preceded by its length in octets and a space (`264 <2>1 2017-…`); the length bounds
//! the message, so a body with several frames on one line yields the first.
//!
//! The level is the PRI's severity, except in Logplex frames (`host app …`, `host heroku …`):
//! Logplex writes a fixed priority (`<40>`, `<190>`) that says nothing about the message, so the
//! level is read from the message there (`at=error`, `level=warn`, a leading `ERROR`).

use super::generic::level_near_start;
use super::{Event, Format, Level, Parsed, Sample, SourceKind};
use crate::time::LineTime;
use crate::time::parse::iso8601;

/// `<PRI>` at the start of `b`: (PRIVAL 0–191, bytes used).
pub(crate) fn pri(b: &[u8]) -> Option<(u8, usize)> {
    if b.first() != Some(&b'<') {
        return None;
    }
    let mut value = 0u32;
    let mut i = 1;
    while let Some(d) = b.get(i).filter(|c| c.is_ascii_digit()) {
        value = value * 10 + (d - b'0') as u32;
        i += 1;
        if i > 4 {
            return None;
        }
    }
    if i == 1 || b.get(i) != Some(&b'>') || value > 191 {
        return None;
    }
    Some((value as u8, i + 1))
}

/// The octet count of a framed message (`264 <…`): (end of the frame, where the frame starts).
fn octet_frame(line: &[u8]) -> Option<(usize, usize)> {
    let digits = line
        .iter()
        .take(10)
        .take_while(|c| c.is_ascii_digit())
        .count();
    if digits == 0 || digits > 9 || line.get(digits) != Some(&b' ') {
        return None;
    }
    if line.get(digits + 1) != Some(&b'<') {
        return None;
    }
    let count: usize = std::str::from_utf8(&line[..digits]).ok()?.parse().ok()?;
    let start = digits + 1;
    Some((start.saturating_add(count).min(line.len()), start))
}

/// A header field: printable US-ASCII up to the next space; `-` is the NILVALUE (`None`).
fn field<'a>(b: &'a [u8], i: &mut usize) -> Option<Option<&'a [u8]>> {
    let rest = b.get(*i..)?;
    let len = rest.iter().take_while(|c| (33..=126).contains(*c)).count();
    if len == 0 || rest.get(len) != Some(&b' ') {
        return None;
    }
    *i += len + 1;
    let value = &rest[..len];
    Some((value != b"-").then_some(value))
}

/// Skips STRUCTURED-DATA at `i`: the NILVALUE or `[…]` elements, honouring quoted values with
/// backslash escapes. Returns the index after it.
fn skip_structured_data(b: &[u8], mut i: usize) -> Option<usize> {
    if b.get(i) == Some(&b'-') {
        return Some(i + 1);
    }
    if b.get(i) != Some(&b'[') {
        return None;
    }
    while b.get(i) == Some(&b'[') {
        i += 1;
        let mut quoted = false;
        loop {
            match *b.get(i)? {
                b'\\' if quoted => i += 2,
                b'"' => {
                    quoted = !quoted;
                    i += 1;
                }
                b']' if !quoted => {
                    i += 1;
                    break;
                }
                _ => i += 1,
            }
        }
    }
    Some(i)
}

/// Whether the frame comes from Heroku Logplex, which writes `host` as the hostname and `app` or
/// `heroku` as the app name, and a priority that does not reflect the message.
fn is_logplex(host: Option<&[u8]>, app: Option<&[u8]>) -> bool {
    host == Some(b"host") && matches!(app, Some(b"app") | Some(b"heroku"))
}

/// The level a Logplex message states: Heroku router and platform lines say `at=info|error`.
fn logplex_level(msg: &[u8]) -> Level {
    for word in msg.split(|c| *c == b' ').take(8) {
        if let Some(v) = word.strip_prefix(b"at=")
            && let Some(level) = Level::from_word(v)
        {
            return level;
        }
    }
    level_near_start(msg, 3).unwrap_or(Level::Unknown)
}

/// Reads an RFC 5424 message, framed or not. `None` when the line is not one.
pub(crate) fn parse_frame(line: &[u8]) -> Option<Event<'_>> {
    let (end, start) = octet_frame(line).unwrap_or((line.len(), 0));
    let b = &line[start..end];
    let (prival, mut i) = pri(b)?;
    // VERSION: a non-zero digit and up to two more, then a space.
    let version_len = b[i..]
        .iter()
        .take(4)
        .take_while(|c| c.is_ascii_digit())
        .count();
    if version_len == 0 || version_len > 3 || b[i] == b'0' || b.get(i + version_len) != Some(&b' ')
    {
        return None;
    }
    i += version_len + 1;
    let time = if b.get(i..i + 2) == Some(b"- ") {
        i += 2;
        None
    } else {
        // FULL-DATE "T" FULL-TIME; a missing offset is tolerated (read in the file's zone).
        if !matches!(b.get(i + 10), Some(b'T') | Some(b't')) {
            return None;
        }
        let (civil, used) = iso8601(&b[i..])?;
        if b.get(i + used) != Some(&b' ') {
            return None;
        }
        i += used + 1;
        Some(LineTime::Civil(civil))
    };
    let host = field(b, &mut i)?;
    let app = field(b, &mut i)?;
    // Logplex leaves out trailing header fields (`host app - sample#memory_total=…`), so once
    // HOSTNAME and APP-NAME are read, whatever does not fit PROCID, MSGID and STRUCTURED-DATA
    // is the message.
    let header_done = field(b, &mut i).is_some() && field(b, &mut i).is_some();
    let msg = match skip_structured_data(b, i).filter(|_| header_done) {
        Some(after) => b.get(after + 1..).unwrap_or(&[]),
        None => &b[i..],
    };
    let msg = msg
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(msg)
        .trim_ascii_start();
    let level = if is_logplex(host, app) {
        logplex_level(msg)
    } else {
        Level::from_syslog_severity(prival & 7)
    };
    Some(Event {
        time,
        level,
        host,
        component: app,
        message: msg,
        request: None,
    })
}

fn parse_5424(line: &[u8]) -> Parsed<'_> {
    parse_frame(line).map_or(Parsed::NotMine, Parsed::Event)
}

/// Written from RFC 5424 section 6.5's examples and Heroku's Logplex drain documentation.
const SAMPLES: &[Sample] = &[
    Sample {
        line: "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \u{feff}'su root' failed for lonvick on /dev/pts/8",
        utc: Some("2003-10-11T22:14:15.003Z"),
        level: Level::Critical,
        status: None,
    },
    Sample {
        line: "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.",
        utc: Some("2003-08-24T12:14:15.000003Z"),
        level: Level::Notice,
        status: None,
    },
    Sample {
        line: r#"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"] An application event log entry"#,
        utc: Some("2003-10-11T22:14:15.003Z"),
        level: Level::Notice,
        status: None,
    },
    Sample {
        line: r#"<11>1 2024-11-14T14:02:11.52+01:00 db-1 pgbouncer 4242 - [meta note="a \] inside \"quotes\""] closing because: server conn crashed?"#,
        utc: Some("2024-11-14T13:02:11.520Z"),
        level: Level::Error,
        status: None,
    },
    Sample {
        line: r#"<158>1 2024-11-14T14:02:12.461949+00:00 host heroku router - at=error code=H12 desc="Request timeout" method=GET path="/api/cart" host=shop.example.com dyno=web.2 connect=0ms service=30000ms status=503 bytes=0"#,
        utc: Some("2024-11-14T14:02:12.461949Z"),
        level: Level::Error,
        status: None,
    },
    Sample {
        line: "82 <40>1 2024-11-14T14:02:13+00:00 host app web.3 - State changed from starting to up",
        utc: Some("2024-11-14T14:02:13Z"),
        level: Level::Unknown,
        status: None,
    },
    Sample {
        line: "<14>1 - - - - - - no time, no host: the sender knew nothing",
        utc: None,
        level: Level::Info,
        status: None,
    },
];

pub static SYSLOG5424: Format = Format {
    name: "syslog5424",
    description: "Syslog RFC 5424 (`<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG`), octet-counted frames too",
    source: SourceKind::System,
    specificity: 20,
    yearless: false,
    parse: parse_5424,
    samples: SAMPLES,
};

#[cfg(test)]
mod tests {
    use super::*;

    fn event(line: &str) -> Event<'_> {
        match parse_5424(line.as_bytes()) {
            Parsed::Event(e) => e,
            other => panic!("{line:?}: {other:?}"),
        }
    }

    #[test]
    fn reads_header_fields_and_message() {
        let e = event(SAMPLES[0].line);
        assert_eq!(e.host, Some(&b"mymachine.example.com"[..]));
        assert_eq!(e.component, Some(&b"su"[..]));
        assert_eq!(e.message, b"'su root' failed for lonvick on /dev/pts/8");
        let e = event(SAMPLES[2].line);
        assert_eq!(e.message, b"An application event log entry");
        let e = event(SAMPLES[3].line);
        assert_eq!(e.message, b"closing because: server conn crashed?");
    }

    #[test]
    fn structured_data_may_end_the_frame() {
        let e = event(r#"<165>1 2003-10-11T22:14:15.003Z h evntslog - ID47 [a@1 x="1"]"#);
        assert_eq!(e.message, b"");
    }

    #[test]
    fn logplex_may_leave_out_header_fields() {
        let e = event(
            "77 <2>1 2017-11-30T06:45:29+00:00 host app - sample#service.dataset_count=19071",
        );
        assert_eq!(e.message, b"sample#service.dataset_count=19071");
        assert_eq!(e.component, Some(&b"app"[..]));
    }

    #[test]
    fn octet_count_bounds_the_frame() {
        let body = "63 <190>1 2017-08-28T08:36:13+00:00 host app web.1 - first message64 <190>1 2017-08-28T08:36:14+00:00 host app web.1 - second message";
        let e = event(body);
        assert_eq!(e.message, b"first message");
        // A count longer than the line is clamped to it.
        let e = event("999 <13>1 2024-01-01T00:00:00Z h a - - - short");
        assert_eq!(e.message, b"short");
        assert_eq!(e.level, Level::Notice);
    }

    #[test]
    fn rejects_other_lines() {
        for line in [
            "<34>Oct 11 22:14:15 mymachine su: 'su root' failed",
            "<34>0 2003-10-11T22:14:15.003Z h su - ID47 - x",
            "<192>1 2003-10-11T22:14:15.003Z h su - ID47 - x",
            "<34>1 2003-10-11 22:14:15 h su - ID47 - x",
            "<34>1 2003-10-11T22:14:15Z h",
            "2003-10-11T22:14:15Z h su - - - x",
            "",
            "<",
            "12 <",
        ] {
            assert_eq!(parse_5424(line.as_bytes()), Parsed::NotMine, "{line:?}");
        }
    }

    #[test]
    fn never_panics_on_prefixes() {
        for s in SAMPLES {
            for end in 0..=s.line.len() {
                let _ = parse_5424(&s.line.as_bytes()[..end]);
            }
        }
        let _ = parse_5424(br#"<1>1 - - - - - [a x="\"#);
    }
}
