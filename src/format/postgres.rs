//! PostgreSQL's stderr log (`log_destination = 'stderr'`, with or without the logging
//! collector), whatever `log_line_prefix` the server was given.
//!
//! The prefix is a free-form printf-like string (`%m [%p] `, `%t [%p]: [%l-1] user=%u,db=%d `,
//! RDS's `%t:%r:%u@%d:[%p]:`, …), so rather than modelling each one the parser reads a timestamp
//! at the start of the line (`%m`, `%t` or `%n`, optionally in `[…]` or `<…>`), then looks for the
//! first severity word followed by `:` and the two spaces the server always writes after it
//! (`LOG:  `, `ERROR:  `, `DETAIL:  `). Everything after that is the message.
//!
//! A message with newlines is written with a tab after each newline, so lines that start without
//! a timestamp continue the event before them; that also covers the odd unprefixed output that
//! lands in the same file (`pg_ctl: could not start server`). A line that starts with some other
//! timestamp but has no severity is not this format.

use super::{Event, Format, Level, Parsed, Sample, SourceKind};
use crate::time::parse::{iso8601, leading_timestamp};
use crate::time::{LineTime, Timestamp};

/// How far after the timestamp the severity may be: prefixes are short, messages are not.
const MAX_PREFIX: usize = 512;

/// The level of a PostgreSQL severity word as the server writes it (untranslated).
///
/// DETAIL, HINT, STATEMENT, CONTEXT, QUERY and LOCATION lines elaborate on the event before them
/// but carry their own prefix, so they are events of their own, at `info`.
pub(crate) fn severity_level(word: &[u8]) -> Option<Level> {
    Some(match word {
        b"PANIC" => Level::Emergency,
        b"FATAL" => Level::Critical,
        b"ERROR" => Level::Error,
        b"WARNING" => Level::Warning,
        b"NOTICE" => Level::Notice,
        b"LOG" | b"INFO" | b"DETAIL" | b"HINT" | b"STATEMENT" | b"CONTEXT" | b"QUERY"
        | b"LOCATION" => Level::Info,
        b"DEBUG" | b"DEBUG1" | b"DEBUG2" | b"DEBUG3" | b"DEBUG4" | b"DEBUG5" => Level::Debug,
        _ => return None,
    })
}

/// The timestamp a prefix starts with: `%m`/`%t` (ISO date, optional fraction and zone) or `%n`
/// (Unix epoch with milliseconds), bare or opened by `[` or `<`. Returns the time and the bytes
/// used, including a closing bracket.
pub(crate) fn prefix_time(line: &[u8]) -> Option<(LineTime, usize)> {
    let mut start = 0;
    let mut close = None;
    match line.first()? {
        b'[' => {
            start = 1;
            close = Some(b']');
        }
        b'<' => {
            start = 1 + usize::from(line.get(1) == Some(&b' '));
            close = Some(b'>');
        }
        _ => {}
    }
    let b = &line[start..];
    let (time, mut used) = match iso8601(b) {
        Some((civil, used)) => (LineTime::Civil(civil), used),
        None => epoch_millis(b)?,
    };
    used += start;
    if let Some(c) = close {
        // `< 2024-… UTC >`: allow one space before the closing bracket.
        let after = line.get(used..).unwrap_or(&[]);
        if after.first() == Some(&c) {
            used += 1;
        } else if after.first() == Some(&b' ') && after.get(1) == Some(&c) {
            used += 2;
        } else {
            return None;
        }
    }
    Some((time, used))
}

/// `%n`: seconds since the epoch with three decimals (`1731592931.123`).
fn epoch_millis(b: &[u8]) -> Option<(LineTime, usize)> {
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits != 10 || b.get(10) != Some(&b'.') {
        return None;
    }
    let frac = b[11..].iter().take_while(|c| c.is_ascii_digit()).count();
    if frac != 3
        || b.get(14)
            .is_some_and(|c| !matches!(c, b' ' | b']' | b':' | b'>'))
    {
        return None;
    }
    let secs = super::fields::parse_u64(&b[..10])? as i64;
    let millis = super::fields::parse_u64(&b[11..14])? as u32;
    Some((
        LineTime::Utc(Timestamp::from_unix_seconds(secs, millis * 1000)),
        14,
    ))
}

/// Where the severity sits in `rest` (the text after the timestamp): (level, start of the word,
/// start of the message).
///
/// The first `WORD:` whose word is a severity and which is followed by two spaces (or ends the
/// line) wins. Hand-edited logs sometimes have one space; that is accepted only when the prefix
/// before the word has a bracketed process ID (`[4242]`, `[4242-1]`), so a generic
/// `2024-… ERROR: x` application log is not taken for PostgreSQL.
pub(crate) fn find_severity(rest: &[u8]) -> Option<(Level, usize, usize)> {
    let window = &rest[..rest.len().min(MAX_PREFIX)];
    for colon in memchr::memchr_iter(b':', window) {
        let word_start = window[..colon]
            .iter()
            .rposition(|c| !(c.is_ascii_uppercase() || c.is_ascii_digit()))
            .map_or(0, |p| p + 1);
        // `%l` glued to the severity (`…2227230 5LOG:`): the word starts at its first letter.
        let word_start = word_start
            + window[word_start..colon]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
        if word_start == colon
            || word_start > 0 && window[word_start - 1].is_ascii_alphabetic()
            || colon - word_start > 9
        {
            continue;
        }
        let Some(level) = severity_level(&window[word_start..colon]) else {
            continue;
        };
        let after = &rest[colon + 1..];
        let strict = after.is_empty() || after.starts_with(b"  ");
        let relaxed = after.first() == Some(&b' ') && has_bracketed_pid(&window[..word_start]);
        if strict || relaxed {
            let spaces = after.iter().take_while(|c| **c == b' ').count();
            return Some((level, word_start, colon + 1 + spaces));
        }
    }
    None
}

/// Whether the line is a later segment of a message split over several lines: PostgreSQL's
/// syslog output (and Heroku's logplex, which carries it) numbers them `[line-segment]`, and a
/// segment above 1 continues segment 1.
fn is_later_segment(rest: &[u8]) -> bool {
    memchr::memchr_iter(b'[', rest).take(4).any(|i| {
        let field = &rest[i + 1..];
        let Some(end) = memchr::memchr(b']', &field[..field.len().min(24)]) else {
            return false;
        };
        let Some((line, segment)) = field[..end].split_first().and_then(|_| {
            let dash = memchr::memchr(b'-', &field[..end])?;
            Some((&field[..dash], &field[dash + 1..end]))
        }) else {
            return false;
        };
        let digits = |b: &[u8]| !b.is_empty() && b.iter().all(u8::is_ascii_digit);
        digits(line) && digits(segment) && segment != b"1" && segment != b"0"
    })
}

/// Whether `prefix` contains `[` followed by a digit, as `[%p]` writes it.
fn has_bracketed_pid(prefix: &[u8]) -> bool {
    memchr::memchr_iter(b'[', prefix).any(|i| prefix.get(i + 1).is_some_and(u8::is_ascii_digit))
}

/// The database name in a prefix: `db=NAME`, `dbname=NAME`, `database=NAME`, or `user@NAME`.
/// Empty names and `[unknown]` (not yet known while a connection is being set up) give `None`.
pub(crate) fn prefix_database(prefix: &[u8]) -> Option<&[u8]> {
    let is_end = |c: &u8| matches!(c, b',' | b' ' | b':' | b']' | b'/' | b'|' | b';' | b'\t');
    let value = [&b"db="[..], b"dbname=", b"database="]
        .iter()
        .find_map(|key| {
            memchr::memmem::find_iter(prefix, key)
                .find(|&i| i == 0 || !prefix[i - 1].is_ascii_alphanumeric())
                .map(|i| &prefix[i + key.len()..])
        })
        .or_else(|| memchr::memrchr(b'@', prefix).map(|i| &prefix[i + 1..]))?;
    let name = match value.first() {
        Some(b'[') => return None,
        _ => &value[..value.iter().position(is_end).unwrap_or(value.len())],
    };
    (!name.is_empty()).then_some(name)
}

fn parse_stderr(line: &[u8]) -> Parsed<'_> {
    let Some((time, used)) = prefix_time(line) else {
        // Another log's timestamp is not ours; anything else continues a message.
        return if leading_timestamp(line).is_some() {
            Parsed::NotMine
        } else {
            Parsed::Continuation
        };
    };
    let rest = &line[used..];
    let Some((level, word_start, message_start)) = find_severity(rest) else {
        return if is_later_segment(rest) {
            Parsed::Continuation
        } else {
            Parsed::NotMine
        };
    };
    Parsed::Event(Event {
        time: Some(time),
        level,
        host: None,
        component: prefix_database(&rest[..word_start]),
        message: &rest[message_start..],
        request: None,
    })
}

/// Written from the PostgreSQL manual's `log_line_prefix` escapes and the server's own messages,
/// one per common prefix.
const SAMPLES: &[Sample] = &[
    // '%m [%p] ' (the default since PostgreSQL 10, and Debian/Ubuntu's).
    Sample {
        line: "2024-11-14 14:02:11.123 UTC [4242] LOG:  database system is ready to accept connections",
        utc: Some("2024-11-14T14:02:11.123Z"),
        level: Level::Info,
        status: None,
    },
    // '%t [%p]: [%l-1] user=%u,db=%d ' (the pgBadger-recommended prefix).
    Sample {
        line: "2024-11-14 15:02:12 CET [5120]: [3-1] user=app,db=orders FATAL:  sorry, too many clients already",
        utc: Some("2024-11-14T14:02:12Z"),
        level: Level::Critical,
        status: None,
    },
    Sample {
        line: "2024-11-14 14:02:13 UTC [5121]: [7-1] user=app,db=orders,app=checkout,client=10.0.0.5 ERROR:  deadlock detected",
        utc: Some("2024-11-14T14:02:13Z"),
        level: Level::Error,
        status: None,
    },
    Sample {
        line: "2024-11-14 14:02:13 UTC [5121]: [8-1] user=app,db=orders,app=checkout,client=10.0.0.5 DETAIL:  Process 5121 waits for ShareLock on transaction 912; blocked by process 5122.",
        utc: Some("2024-11-14T14:02:13Z"),
        level: Level::Info,
        status: None,
    },
    // A multi-line statement: the server puts a tab after each newline.
    Sample {
        line: "\tWHERE o.customer_id = $1",
        utc: None,
        level: Level::Unknown,
        status: None,
    },
    // Amazon RDS: '%t:%r:%u@%d:[%p]:'.
    Sample {
        line: "2024-11-14 14:02:11 UTC:10.0.0.5(53422):app@orders:[4242]:ERROR:  canceling statement due to statement timeout",
        utc: Some("2024-11-14T14:02:11Z"),
        level: Level::Error,
        status: None,
    },
    // '%m [%p] %q%u@%d ': background processes stop at %q.
    Sample {
        line: "2024-11-14 09:02:14.500 EST [88] PANIC:  could not write to file \"pg_wal/xlogtemp.88\": No space left on device",
        utc: Some("2024-11-14T14:02:14.500Z"),
        level: Level::Emergency,
        status: None,
    },
    Sample {
        line: "2024-11-14 14:02:15.001 +0000 [4300] postgres@orders WARNING:  there is no transaction in progress",
        utc: Some("2024-11-14T14:02:15.001Z"),
        level: Level::Warning,
        status: None,
    },
    // Through syslog (here as Heroku's logplex carries it): segment 2 of message 19.
    Sample {
        line: "2024-11-14T14:02:13+00:00 app[postgres.4849]: [GREEN] [19-2] \tProcess 4821 waits for ShareLock on transaction 912; blocked by process 4796.",
        utc: None,
        level: Level::Unknown,
        status: None,
    },
];

pub static POSTGRES: Format = Format {
    name: "postgres",
    description: "PostgreSQL stderr log, any log_line_prefix starting with %m, %t or %n",
    source: SourceKind::Database,
    specificity: 40,
    yearless: false,
    parse: parse_stderr,
    samples: SAMPLES,
};

#[cfg(test)]
mod tests {
    use super::*;

    fn event(line: &str) -> Event<'_> {
        match parse_stderr(line.as_bytes()) {
            Parsed::Event(e) => e,
            other => panic!("{line:?} parsed as {other:?}"),
        }
    }

    #[test]
    fn message_and_database_come_from_the_prefix() {
        let e = event(SAMPLES[2].line);
        assert_eq!(e.message, b"deadlock detected");
        assert_eq!(e.component, Some(&b"orders"[..]));
        let e = event(SAMPLES[5].line);
        assert_eq!(e.component, Some(&b"orders"[..]));
        assert_eq!(e.message, b"canceling statement due to statement timeout");
        assert_eq!(event(SAMPLES[7].line).component, Some(&b"orders"[..]));
        assert_eq!(event(SAMPLES[0].line).component, None);
        let e = event(
            "2021-02-14 01:34:02 CET [30291]: db=[unknown],user=[unknown],app=[unknown],client=[local] LOG:  connection received: host=[local]",
        );
        assert_eq!(e.component, None);
        assert_eq!(
            event("2020-03-11 20:40:43 CET::@:[12760]:LOG:  starting").component,
            None
        );
        assert_eq!(
            event("2024-11-14 14:02:11 UTC [1] app@shop/psql LOG:  x").component,
            Some(&b"shop"[..])
        );
    }

    #[test]
    fn the_first_severity_wins_over_words_in_the_message() {
        let e = event(
            "2024-11-14 14:02:11 UTC [7] LOG:  duration: 1.0 ms  statement: SELECT 'ERROR:  x'",
        );
        assert_eq!(e.level, Level::Info);
        assert_eq!(
            e.message,
            b"duration: 1.0 ms  statement: SELECT 'ERROR:  x'"
        );
    }

    #[test]
    fn prefix_variants() {
        // Bracketed and angle-bracketed timestamps, and %n.
        assert_eq!(
            event("[2007-09-01 16:44:49.244 UTC] 192.168.2.10:ossecdb LOG:  duration: 4.5 ms")
                .level,
            Level::Info
        );
        assert_eq!(
            event("< 2024-11-14 14:02:11.123 UTC > ERROR:  boom").level,
            Level::Error
        );
        let e = event("1731592931.123 [4242] HINT:  Consider increasing max_wal_size.");
        assert_eq!(
            e.time,
            Some(LineTime::Utc(Timestamp::from_unix_seconds(
                1_731_592_931,
                123_000
            )))
        );
        // One space after the severity, only with a bracketed PID in the prefix.
        assert_eq!(
            event("2021-05-27 17:00:00 UTC:10.1.91.65:user@my_db:[24743]:LOG: duration: 0.054 ms")
                .component,
            Some(&b"my_db"[..])
        );
        assert_eq!(
            parse_stderr(b"2024-11-14 14:02:11 ERROR: an application log"),
            Parsed::NotMine
        );
        // Severity glued to %l (VMware vPostgres).
        assert_eq!(
            event("2023-07-25 02:14:09.790 UTC 64bf2ff1.21fc1e 0 VCDB vumuser [local] 2227230 5LOG:  disconnection").level,
            Level::Info
        );
        assert_eq!(
            event("2024-11-14 14:02:11 UTC [9] DEBUG3:  x").level,
            Level::Debug
        );
    }

    #[test]
    fn other_lines() {
        assert_eq!(
            parse_stderr(b"pg_ctl: could not start server"),
            Parsed::Continuation
        );
        assert_eq!(parse_stderr(b"\t    id smallserial"), Parsed::Continuation);
        // pgbouncer writes no colon after its level.
        assert_eq!(
            parse_stderr(b"2018-09-12 16:08:54.776 3394 LOG listening on 127.0.0.1:6432"),
            Parsed::NotMine
        );
        assert_eq!(
            parse_stderr(b"Nov 14 14:02:11 db1 postgres[42]: [3-1] LOG:  x"),
            Parsed::NotMine
        );
        assert_eq!(
            parse_stderr(b"2024-11-14 14:02:11 UTC [1] LOGGER:  x"),
            Parsed::NotMine
        );
    }

    #[test]
    fn never_panics_on_prefixes_of_samples() {
        for s in SAMPLES {
            for end in 0..=s.line.len() {
                let _ = parse_stderr(&s.line.as_bytes()[..end]);
            }
        }
        let _ = parse_stderr(b"[");
        let _ = parse_stderr(b"<");
        let _ = parse_stderr(b"1731592931.");
        let _ = parse_stderr(b"2024-11-14 14:02:11 :");
        let _ = parse_stderr(b"2024-11-14 14:02:11 5:");
    }
}
