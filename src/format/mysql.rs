//! MySQL's and MariaDB's error log and slow query log.
//!
//! - `mysql_error`: every layout the error log has had. MySQL 8.0:
//!   `2024-11-14T14:02:11.123456Z 12 [ERROR] [MY-010584] [Repl] msg`; 5.7: the same without the
//!   error code and subsystem; 5.6 and MariaDB 10.x: `2024-11-14 14:02:11 140234 [Note] msg`
//!   (InnoDB in 5.6 writes a hexadecimal thread id, MariaDB pads the hour: ` 8:25:38`);
//!   5.5 and older: `241114 14:02:11 [ERROR] msg`, `241114  3:04:00  InnoDB: …`, and
//!   mysqld_safe's `241114 14:02:11 mysqld_safe Starting mysqld daemon`. Lines without a
//!   timestamp (InnoDB dumps, crash reports and stack traces, `Version: …` after "ready for
//!   connections") continue the event before them.
//! - `mysql_slow`: multi-line entries. The `# Time:` line is an event with the time; the
//!   `# Query_time:` line is an event that takes that time (MySQL writes `# Time:` only when the
//!   second changes) with the line as its message; the server header written at startup
//!   (`/usr/sbin/mysqld, Version: … started with:`) is an event too. Every other line (`# User@Host`,
//!   Percona's and MariaDB's extra `#` lines, `use db;`, `SET timestamp=…;`, the statement)
//!   continues the entry.

use super::generic::level_near_start;
use super::{Event, Format, Level, Parsed, Sample, SourceKind};
use crate::time::parse::{leading_timestamp, numeric_offset};
use crate::time::{CivilTime, LineTime};

fn digits(b: &[u8], i: usize, n: usize) -> Option<u32> {
    let s = b.get(i..i + n)?;
    s.iter().try_fold(0u32, |acc, c| {
        c.is_ascii_digit().then(|| acc * 10 + (c - b'0') as u32)
    })
}

/// `H:MM:SS` or `HH:MM:SS` at `i`: (hour, minute, second, bytes used).
fn clock(b: &[u8], i: usize) -> Option<(u8, u8, u8, usize)> {
    let (hour, i2) = match (digits(b, i, 2), digits(b, i, 1)) {
        (Some(h), _) => (h, i + 2),
        (None, Some(h)) => (h, i + 1),
        _ => return None,
    };
    if b.get(i2) != Some(&b':') || b.get(i2 + 3) != Some(&b':') {
        return None;
    }
    let minute = digits(b, i2 + 1, 2)?;
    let second = digits(b, i2 + 4, 2)?;
    Some((hour as u8, minute as u8, second as u8, i2 + 6 - i))
}

/// The timestamps MySQL and MariaDB write: `yyyy-MM-dd[T| |  ]H[H]:mm:ss[.ffffff][Z|±hh:mm]` and
/// the old `yyMMdd[ |  ]H[H]:mm:ss`. (time, bytes used)
fn mysql_time(b: &[u8]) -> Option<(CivilTime, usize)> {
    let (year, month, day, mut i) = if b.get(4) == Some(&b'-') {
        if b.get(7) != Some(&b'-') {
            return None;
        }
        let sep = b.get(10)?;
        if !matches!(sep, b'T' | b' ') {
            return None;
        }
        (
            digits(b, 0, 4)? as i32,
            digits(b, 5, 2)?,
            digits(b, 8, 2)?,
            11,
        )
    } else {
        if b.get(6) != Some(&b' ') {
            return None;
        }
        let yy = digits(b, 0, 2)? as i32;
        let year = if yy < 70 { 2000 + yy } else { 1900 + yy };
        (year, digits(b, 2, 2)?, digits(b, 4, 2)?, 7)
    };
    // The hour is space-padded by the old layout and by MariaDB.
    if b.get(i) == Some(&b' ') {
        i += 1;
    }
    let (hour, minute, second, used) = clock(b, i)?;
    i += used;
    let mut nanos = 0u32;
    if b.get(i) == Some(&b'.') {
        let n = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 || n > 9 {
            return None;
        }
        nanos = digits(b, i + 1, n)? * 10u32.pow(9 - n as u32);
        i += 1 + n;
    }
    let mut offset = None;
    if let Some((o, used)) = numeric_offset(b, i) {
        offset = Some(o);
        i += used;
    }
    let civil = CivilTime {
        year: Some(year),
        month: month as u8,
        day: day as u8,
        hour,
        minute,
        second,
        nanos,
        offset,
    };
    civil.is_valid().then_some((civil, i))
}

/// The level of an error-log `[Label]`: the four the server writes.
fn label_level(label: &[u8]) -> Option<Level> {
    let is = |word: &[u8]| label.eq_ignore_ascii_case(word);
    if is(b"error") {
        Some(Level::Error)
    } else if is(b"warning") {
        Some(Level::Warning)
    } else if is(b"note") {
        Some(Level::Info)
    } else if is(b"system") {
        Some(Level::Notice)
    } else {
        None
    }
}

/// `[Label] ` at the start of `rest`: the level and the rest after it.
fn label(rest: &[u8]) -> Option<(Level, &[u8])> {
    let inner = rest.strip_prefix(b"[")?;
    let end = memchr::memchr(b']', inner)?;
    let level = label_level(&inner[..end])?;
    let after = &inner[end + 1..];
    Some((level, after.strip_prefix(b" ").unwrap_or(after)))
}

/// What may follow the old `yyMMdd H:mm:ss` timestamp: a label, mysqld_safe's and InnoDB's
/// messages (InnoDB wrote no separator, others two spaces), a crash notice, or a general-log
/// line that strayed into the file.
fn old_layout_follows(after: &[u8]) -> bool {
    [
        &b" ["[..],
        b"  ",
        b" - ",
        b" mysqld_safe ",
        b"InnoDB:",
        b"\t",
    ]
    .iter()
    .any(|p| after.starts_with(p))
}

fn parse_error(line: &[u8]) -> Parsed<'_> {
    let Some((civil, used)) = mysql_time(line) else {
        return if leading_timestamp(line).is_some() {
            Parsed::NotMine
        } else {
            Parsed::Continuation
        };
    };
    let old_layout = line.get(4) != Some(&b'-');
    let after = &line[used..];
    let mut level = None;
    let mut component = None;
    let message;
    if old_layout {
        // The old layout has no fraction of a second (strace's `pid HH:MM:SS.ffffff` has).
        if !old_layout_follows(after) || line[..used].contains(&b'.') {
            return Parsed::NotMine;
        }
        let rest = &after[after.iter().take_while(|c| **c == b' ').count()..];
        match label(rest) {
            Some((l, msg)) => {
                level = Some(l);
                message = msg;
            }
            None => message = rest,
        }
    } else if let Some(msg) = after
        .strip_prefix(b" ")
        .filter(|m| m.starts_with(b"mysqld_safe "))
    {
        message = msg;
    } else {
        // The thread id: decimal, or hexadecimal from InnoDB in 5.6. An ISO timestamp and a
        // number alone are too common (OpenStack, …) to claim a line, so a label or InnoDB's
        // prefix must follow.
        let rest = after.strip_prefix(b" ").unwrap_or_default();
        let rest = &rest[rest.iter().take_while(|c| **c == b' ').count()..];
        let len = rest.iter().take_while(|c| c.is_ascii_hexdigit()).count();
        let decimal = rest[..len].iter().all(u8::is_ascii_digit);
        if len == 0 || rest.get(len) != Some(&b' ') || !(decimal || len >= 8) {
            return Parsed::NotMine;
        }
        let rest = &rest[len + 1..];
        if let Some((l, mut msg)) = label(rest) {
            level = Some(l);
            // MySQL 8: `[MY-010584] [Repl] `.
            if msg.starts_with(b"[MY-")
                && let Some(end) = memchr::memchr(b']', msg)
            {
                msg = msg[end + 1..].strip_prefix(b" ").unwrap_or(&msg[end + 1..]);
                if msg.first() == Some(&b'[')
                    && let Some(end) = memchr::memchr(b']', msg)
                {
                    component = Some(&msg[1..end]);
                    msg = msg[end + 1..].strip_prefix(b" ").unwrap_or(&msg[end + 1..]);
                }
            }
            message = msg;
        } else if !decimal && rest.starts_with(b"InnoDB: ") {
            message = rest;
        } else {
            return Parsed::NotMine;
        }
    }
    if component.is_none() && message.starts_with(b"InnoDB:") {
        component = Some(&message[..6]);
    }
    let level = level.unwrap_or_else(|| unlabelled_level(message));
    Parsed::Event(Event {
        time: Some(LineTime::Civil(civil)),
        level,
        host: None,
        component,
        message,
        request: None,
    })
}

/// The level of a line without a `[Label]`: a crash is critical, InnoDB says `InnoDB: Error:` or
/// `InnoDB: Warning:` and is otherwise informational, and mysqld_safe's `mysqld started`,
/// `mysqld ended`, `mysqld restarted` are notices.
fn unlabelled_level(message: &[u8]) -> Level {
    let has = |needle: &[u8]| memchr::memmem::find(message, needle).is_some();
    if has(b"got signal") || has(b"Assertion failure") {
        Level::Critical
    } else if let Some(level) = level_near_start(message, 3) {
        level
    } else if message.starts_with(b"InnoDB:") {
        Level::Info
    } else if message.starts_with(b"mysqld") {
        Level::Notice
    } else {
        Level::Unknown
    }
}

fn parse_slow(line: &[u8]) -> Parsed<'_> {
    if let Some(rest) = line.strip_prefix(b"# Time: ") {
        let rest = &rest[rest.iter().take_while(|c| **c == b' ').count()..];
        return match mysql_time(rest) {
            Some((civil, _)) => Parsed::Event(Event {
                time: Some(LineTime::Civil(civil)),
                level: Level::Info,
                host: None,
                component: None,
                message: line,
                request: None,
            }),
            None => Parsed::NotMine,
        };
    }
    if let Some(rest) = line.strip_prefix(b"# Query_time: ") {
        let secs = rest
            .split(|c| *c == b' ')
            .next()
            .and_then(super::fields::parse_decimal);
        let Some(secs) = secs else {
            return Parsed::NotMine;
        };
        return Parsed::Event(Event {
            time: None,
            level: if secs >= SLOW_SECONDS {
                Level::Warning
            } else {
                Level::Notice
            },
            host: None,
            component: None,
            message: line,
            request: None,
        });
    }
    if memchr::memmem::find(line, b", Version: ").is_some() && line.ends_with(b"started with:") {
        return Parsed::Event(Event {
            time: None,
            level: Level::Notice,
            host: None,
            component: None,
            message: line,
            request: None,
        });
    }
    // A line that starts with a timestamp belongs to another log (the general query log shares
    // the slow log's header); the statement and `#` lines of an entry never do.
    if mysql_time(line).is_some() || leading_timestamp(line).is_some() {
        return Parsed::NotMine;
    }
    Parsed::Continuation
}

/// Entries at least this slow are warnings; quicker ones (logged because `long_query_time` is
/// low or `log_queries_not_using_indexes` is on) are notices.
const SLOW_SECONDS: f64 = 1.0;

/// Written from the MySQL and MariaDB manuals' error log descriptions and messages.
const ERROR_SAMPLES: &[Sample] = &[
    Sample {
        line: "2024-11-14T14:02:11.123456Z 12 [ERROR] [MY-010584] [Repl] Replica SQL for channel '': Worker 1 failed executing transaction 'ANONYMOUS' at source log binlog.000042, end_log_pos 1234; Error 'Deadlock found when trying to get lock; try restarting transaction' on query.",
        utc: Some("2024-11-14T14:02:11.123456Z"),
        level: Level::Error,
        status: None,
    },
    Sample {
        line: "2024-11-14T14:02:12.000001Z 0 [System] [MY-010931] [Server] /usr/sbin/mysqld: ready for connections. Version: '8.0.40'  socket: '/var/run/mysqld/mysqld.sock'  port: 3306  MySQL Community Server - GPL.",
        utc: Some("2024-11-14T14:02:12.000001Z"),
        level: Level::Notice,
        status: None,
    },
    Sample {
        line: "2024-11-14T15:02:13.250000+01:00 0 [Warning] Too many connections",
        utc: Some("2024-11-14T14:02:13.250Z"),
        level: Level::Warning,
        status: None,
    },
    Sample {
        line: "2024-11-14 14:02:14 140234 [Note] InnoDB: Starting shutdown...",
        utc: Some("2024-11-14T14:02:14Z"),
        level: Level::Info,
        status: None,
    },
    Sample {
        line: "241114 14:02:15 [ERROR] /usr/sbin/mysqld: Table './shop/orders' is marked as crashed and should be repaired",
        utc: Some("2024-11-14T14:02:15Z"),
        level: Level::Error,
        status: None,
    },
    Sample {
        line: "241114  4:02:16  InnoDB: Error: unable to create temporary file; errno: 28",
        utc: Some("2024-11-14T04:02:16Z"),
        level: Level::Error,
        status: None,
    },
    Sample {
        line: "InnoDB: Database page corruption on disk or a failed",
        utc: None,
        level: Level::Unknown,
        status: None,
    },
    Sample {
        line: "2019-10-15 21:24:43 0 [Note] /usr/sbin/mysqld (mysqld 10.4.8-MariaDB) starting as process 1 ...",
        utc: Some("2019-10-15T21:24:43Z"),
        level: Level::Info,
        status: None,
    },
];

/// Written from the MySQL manual's slow query log description.
const SLOW_SAMPLES: &[Sample] = &[
    Sample {
        line: "/usr/sbin/mysqld, Version: 8.0.40 (MySQL Community Server - GPL). started with:",
        utc: None,
        level: Level::Notice,
        status: None,
    },
    Sample {
        line: "Tcp port: 3306  Unix socket: /var/run/mysqld/mysqld.sock",
        utc: None,
        level: Level::Unknown,
        status: None,
    },
    Sample {
        line: "# Time: 2024-11-14T14:02:11.123456Z",
        utc: Some("2024-11-14T14:02:11.123456Z"),
        level: Level::Info,
        status: None,
    },
    Sample {
        line: "# User@Host: app[app] @ web1 [10.0.0.5]  Id:    42",
        utc: None,
        level: Level::Unknown,
        status: None,
    },
    Sample {
        line: "# Query_time: 12.345678  Lock_time: 0.000123 Rows_sent: 1  Rows_examined: 1000000",
        utc: None,
        level: Level::Warning,
        status: None,
    },
    Sample {
        line: "SET timestamp=1731592931;",
        utc: None,
        level: Level::Unknown,
        status: None,
    },
    Sample {
        line: "SELECT COUNT(*) FROM orders WHERE status = 'open';",
        utc: None,
        level: Level::Unknown,
        status: None,
    },
    Sample {
        line: "# Time: 241114 14:02:12",
        utc: Some("2024-11-14T14:02:12Z"),
        level: Level::Info,
        status: None,
    },
];

pub static MYSQL_ERROR: Format = Format {
    name: "mysql_error",
    description: "MySQL / MariaDB error log (5.0 to 8.x layouts)",
    source: SourceKind::Database,
    // Above mysql_slow: a general query log has the slow log's header but no slow entries.
    specificity: 45,
    yearless: false,
    parse: parse_error,
    samples: ERROR_SAMPLES,
};

pub static MYSQL_SLOW: Format = Format {
    name: "mysql_slow",
    description: "MySQL / MariaDB / Percona slow query log",
    source: SourceKind::Database,
    specificity: 40,
    yearless: false,
    parse: parse_slow,
    samples: SLOW_SAMPLES,
};

#[cfg(test)]
mod tests {
    use super::*;

    fn event(f: fn(&[u8]) -> Parsed<'_>, line: &'static str) -> Event<'static> {
        match f(line.as_bytes()) {
            Parsed::Event(e) => e,
            other => panic!("{line:?} parsed as {other:?}"),
        }
    }

    #[test]
    fn error_fields() {
        let e = event(parse_error, ERROR_SAMPLES[0].line);
        assert_eq!(e.component, Some(&b"Repl"[..]));
        assert!(e.message.starts_with(b"Replica SQL"));
        let e = event(parse_error, ERROR_SAMPLES[5].line);
        assert_eq!(e.component, Some(&b"InnoDB"[..]));
        let e = event(
            parse_error,
            "2014-05-08 10:43:52 7f6b3c5d4700 InnoDB: Warning: a long semaphore wait:",
        );
        assert_eq!(
            (e.level, e.component),
            (Level::Warning, Some(&b"InnoDB"[..]))
        );
        let e = event(parse_error, "090902 11:08:43 - mysqld got signal 6 ;");
        assert_eq!(e.level, Level::Critical);
        let e = event(
            parse_error,
            "091119 22:27:11InnoDB: Warning: cannot find a free slot for an undo log.",
        );
        assert_eq!(e.level, Level::Warning);
        let e = event(
            parse_error,
            "2015-10-07  8:25:38 139845235329792 [Warning] Access denied",
        );
        assert_eq!(e.level, Level::Warning);
        let e = event(
            parse_error,
            "2024-11-14T14:02:11.484123Z mysqld_safe Logging to '/var/log/mysql/error.log'.",
        );
        assert_eq!(e.level, Level::Notice);
        let e = event(parse_error, "080721  9:22:17  InnoDB: Starting shutdown...");
        assert_eq!(e.level, Level::Info);
    }

    #[test]
    fn error_rejects_other_iso_lines() {
        assert_eq!(
            parse_error(b"2017-05-16 00:00:00.008 25746 INFO nova.osapi_compute.wsgi.server x"),
            Parsed::NotMine
        );
        assert_eq!(
            parse_error(b"2024-11-14T14:02:11Z INFO something else"),
            Parsed::NotMine
        );
        assert_eq!(
            parse_error(b"Version: '5.0.45-log'  socket: '/tmp/mysql.sock'  port: 3306"),
            Parsed::Continuation
        );
        // FreeSWITCH: a label but no thread id.
        assert_eq!(
            parse_error(b"2013-12-31 17:39:54.767815 [WARNING] sofia_reg.c:1533 SIP auth"),
            Parsed::NotMine
        );
        // strace -tt with a PID that reads as a date.
        assert_eq!(
            parse_error(b"101010 12:21:46.284771 brk(NULL) = 0x5584b006b000"),
            Parsed::NotMine
        );
        assert!(!matches!(
            parse_error(b"478760 12:21:46 execve(\"/usr/bin/firefox\")"),
            Parsed::Event(_)
        ));
    }

    #[test]
    fn slow_levels_follow_query_time() {
        let quick = "# Query_time: 0.000652  Lock_time: 0.000109  Rows_sent: 1  Rows_examined: 1";
        assert_eq!(event(parse_slow, quick).level, Level::Notice);
        assert_eq!(parse_slow(b"# Time: garbage"), Parsed::NotMine);
        assert_eq!(
            parse_slow(b"2016-06-07T19:07:02.558338Z    3 Connect\troot@localhost on"),
            Parsed::NotMine
        );
        let e = event(
            parse_slow,
            "# Time: 071218 11:48:27 # User@Host: [SQL_SLAVE] @  []",
        );
        assert!(e.time.is_some());
    }

    #[test]
    fn never_panics_on_prefixes() {
        for s in ERROR_SAMPLES.iter().chain(SLOW_SAMPLES) {
            for end in 0..=s.line.len() {
                let b = &s.line.as_bytes()[..end];
                let _ = parse_error(b);
                let _ = parse_slow(b);
            }
        }
        let _ = mysql_time(b"241114 14:02:15.");
        let _ = mysql_time(b"2024-11-14T14:02:15.1234567890");
    }
}
