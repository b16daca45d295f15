//! The Redis server log (`logfile`, or stdout under Docker), and Sentinel's, which is the same.
//!
//! `pid:role dd Mon yyyy HH:MM:SS.mmm <level> message`, where role is `X` (sentinel), `C` (a
//! child writing an RDB or AOF), `S` (replica) or `M` (master), and level is `.` (debug), `-`
//! (verbose), `*` (notice) or `#` (warning). Releases before 6.0 leave out the year, and before
//! 2.6 the prefix was `[pid] `. A signal handler cannot format a date, so it writes
//! `pid:signal-handler (unix-seconds) message`.
//!
//! Lines without a prefix are Redis too: the ASCII-art logo at startup and the crash report
//! (`=== REDIS BUG REPORT START ===`, the stack trace, the INFO dump) are written raw, so they
//! continue the event before them.

use super::{Event, Format, Level, Parsed, Sample, SourceKind};
use crate::time::parse::{leading_timestamp, month_from_name};
use crate::time::{CivilTime, LineTime, Timestamp};

fn number(b: &[u8], max: usize) -> Option<(u64, usize)> {
    let n = b
        .iter()
        .take(max + 1)
        .take_while(|c| c.is_ascii_digit())
        .count();
    if n == 0 || n > max {
        return None;
    }
    let v = b[..n]
        .iter()
        .fold(0u64, |acc, c| acc * 10 + (c - b'0') as u64);
    Some((v, n))
}

/// `dd Mon [yyyy ]HH:MM:SS[.mmm]`: (time, bytes used).
fn redis_time(b: &[u8]) -> Option<(CivilTime, usize)> {
    let (day, mut i) = number(b, 2)?;
    if b.get(i) != Some(&b' ') {
        return None;
    }
    let month = month_from_name(b.get(i + 1..i + 4)?)?;
    i += 4;
    if b.get(i) != Some(&b' ') {
        return None;
    }
    i += 1;
    let mut year = None;
    if let Some((y, 4)) = number(&b[i..], 4)
        && b.get(i + 4) == Some(&b' ')
    {
        year = Some(y as i32);
        i += 5;
    }
    let mut hms = [0u8; 3];
    for (k, part) in hms.iter_mut().enumerate() {
        let (v, 2) = number(b.get(i..)?, 2)? else {
            return None;
        };
        *part = v as u8;
        i += 2;
        if k < 2 {
            if b.get(i) != Some(&b':') {
                return None;
            }
            i += 1;
        }
    }
    let mut nanos = 0;
    if b.get(i) == Some(&b'.')
        && let Some((ms, n)) = number(&b[i + 1..], 9)
    {
        nanos = ms as u32 * 10u32.pow(9 - n as u32);
        i += 1 + n;
    }
    let civil = CivilTime {
        year,
        month,
        day: day as u8,
        hour: hms[0],
        minute: hms[1],
        second: hms[2],
        nanos,
        offset: None,
    };
    Some((civil, i))
}

fn level_of(c: u8) -> Option<Level> {
    Some(match c {
        b'.' => Level::Debug,
        b'-' => Level::Info,
        b'*' => Level::Notice,
        b'#' => Level::Warning,
        _ => return None,
    })
}

fn role_of(c: u8) -> Option<&'static [u8]> {
    Some(match c {
        b'X' => b"sentinel",
        b'C' => b"child",
        b'S' => b"replica",
        b'M' => b"master",
        _ => return None,
    })
}

fn parse_line(line: &[u8]) -> Option<Event<'_>> {
    let (role, rest) = if let Some(inner) = line.strip_prefix(b"[") {
        let (_pid, n) = number(inner, 10)?;
        (None, inner.get(n..)?.strip_prefix(b"] ")?)
    } else {
        let (_pid, n) = number(line, 10)?;
        let rest = line[n..].strip_prefix(b":")?;
        if let Some(after) = rest.strip_prefix(b"signal-handler (") {
            return signal_handler(after);
        }
        let role = role_of(*rest.first()?)?;
        (Some(role), rest.get(1..)?.strip_prefix(b" ")?)
    };
    let (civil, used) = redis_time(rest)?;
    let rest = rest[used..].strip_prefix(b" ")?;
    let level = level_of(*rest.first()?)?;
    let message = match rest.get(1) {
        None => &[][..],
        Some(b' ') => &rest[2..],
        Some(_) => return None,
    };
    Some(Event {
        time: Some(LineTime::Civil(civil)),
        level,
        host: None,
        component: role,
        message,
        request: None,
    })
}

/// `(1714024483) Received SIGTERM scheduling shutdown...`, after `pid:signal-handler (`.
fn signal_handler(b: &[u8]) -> Option<Event<'_>> {
    let (secs, n) = number(b, 10)?;
    let message = b[n..].strip_prefix(b") ")?;
    Some(Event {
        time: Some(LineTime::Utc(Timestamp::from_unix_seconds(secs as i64, 0))),
        level: Level::Warning,
        host: None,
        component: None,
        message,
        request: None,
    })
}

fn parse_redis(line: &[u8]) -> Parsed<'_> {
    match parse_line(line) {
        Some(e) => Parsed::Event(e),
        None if leading_timestamp(line).is_some() => Parsed::NotMine,
        None => Parsed::Continuation,
    }
}

/// Written from redis.conf's `loglevel` notes and the messages the server logs.
const SAMPLES: &[Sample] = &[
    Sample {
        line: "1:C 14 Nov 2024 14:02:11.123 * oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo",
        utc: Some("2024-11-14T14:02:11.123Z"),
        level: Level::Notice,
        status: None,
    },
    Sample {
        line: "1:M 14 Nov 2024 14:02:11.130 # WARNING Memory overcommit must be enabled! Without it, a background save or replication may fail under low memory condition.",
        utc: Some("2024-11-14T14:02:11.130Z"),
        level: Level::Warning,
        status: None,
    },
    Sample {
        line: "1:M 14 Nov 2024 14:02:11.131 * Ready to accept connections tcp",
        utc: Some("2024-11-14T14:02:11.131Z"),
        level: Level::Notice,
        status: None,
    },
    Sample {
        line: "1:S 14 Nov 2024 14:05:02.904 # Error condition on socket for SYNC: Connection refused",
        utc: Some("2024-11-14T14:05:02.904Z"),
        level: Level::Warning,
        status: None,
    },
    Sample {
        line: "1:signal-handler (1731593400) Received SIGTERM scheduling shutdown...",
        utc: Some("2024-11-14T14:10:00Z"),
        level: Level::Warning,
        status: None,
    },
    Sample {
        line: "26:X 14 Nov 2024 14:06:00.001 # +sdown master mymaster 10.0.0.7 6379",
        utc: Some("2024-11-14T14:06:00.001Z"),
        level: Level::Warning,
        status: None,
    },
    Sample {
        line: "[3574] 14 Nov 14:07:30.731 - 2 clients connected (0 slaves), 1003296 bytes in use",
        utc: Some("2024-11-14T14:07:30.731Z"),
        level: Level::Info,
        status: None,
    },
    Sample {
        line: "           _.-``__ ''-._                                             ",
        utc: None,
        level: Level::Unknown,
        status: None,
    },
];

pub static REDIS: Format = Format {
    name: "redis",
    description: "Redis / Sentinel server log",
    source: SourceKind::Database,
    specificity: 40,
    yearless: true,
    parse: parse_redis,
    samples: SAMPLES,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_and_messages() {
        let Parsed::Event(e) = parse_redis(SAMPLES[5].line.as_bytes()) else {
            panic!()
        };
        assert_eq!(e.component, Some(&b"sentinel"[..]));
        assert_eq!(e.message, b"+sdown master mymaster 10.0.0.7 6379");
        let Parsed::Event(e) = parse_redis(b"12:M 14 Nov 14:02:11.123 . Client closed") else {
            panic!()
        };
        assert_eq!((e.level, e.component), (Level::Debug, Some(&b"master"[..])));
        let Parsed::Event(e) = parse_redis(b"[42] 9 Nov 14:02:11 * DB saved on disk") else {
            panic!()
        };
        assert_eq!(e.message, b"DB saved on disk");
    }

    #[test]
    fn other_lines() {
        assert_eq!(
            parse_redis(b"=== REDIS BUG REPORT START: Cut & paste starting from here ==="),
            Parsed::Continuation
        );
        assert_eq!(parse_redis(b"redis_version:7.2.4"), Parsed::Continuation);
        assert_eq!(
            parse_redis(b"1:Q 14 Nov 2024 14:02:11.123 * x"),
            Parsed::Continuation
        );
        assert_eq!(
            parse_redis(b"2024-11-14 14:02:11 INFO other"),
            Parsed::NotMine
        );
        for s in SAMPLES {
            for end in 0..=s.line.len() {
                let _ = parse_redis(&s.line.as_bytes()[..end]);
            }
        }
    }
}
