//! Python `logging` output in the layouts its documentation and OpenStack's oslo.log use.
//!
//! `asctime` is `yyyy-MM-dd HH:mm:ss,mmm` by default; the level names are `DEBUG`, `INFO`,
//! `WARNING`, `ERROR` and `CRITICAL`. Read layouts:
//!
//! - `%(asctime)s - %(name)s - %(levelname)s - %(message)s` (the logging cookbook's);
//! - `%(asctime)s %(levelname)s %(message)s` and `%(asctime)s [%(levelname)s] %(message)s`, with
//!   the default `asctime` only, and not when a Java logger's header follows the level (then the
//!   line is [`super::java`]'s);
//! - oslo.log's default `%(asctime)s.%(msecs)03d %(process)d %(levelname)s %(name)s
//!   [%(request_id)s …] %(message)s` (OpenStack), where the level may also be `AUDIT` or `TRACE`.
//!
//! A log file's name in front of the line, as collectors that merge files write it
//! (`nova-api.log.1 2017-05-16 00:00:00.008 …`), is skipped. `Traceback (most recent call last):`,
//! its indented frames and any other line without a timestamp continue the previous event. The
//! `basicConfig` default (`WARNING:root:message`) has no time and is not read.

use super::java::{is_logger, java_after_level};
use super::{Event, Format, Level, Parsed, Sample, SourceKind};
use crate::time::LineTime;
use crate::time::parse::{iso8601, leading_timestamp};

fn python_level(word: &[u8]) -> Option<Level> {
    match word {
        b"DEBUG" | b"INFO" | b"WARNING" | b"ERROR" | b"CRITICAL" => Level::from_word(word),
        _ => None,
    }
}

/// The word at the start of `b` and the rest after one space.
fn word(b: &[u8]) -> (&[u8], &[u8]) {
    let len = b.iter().take_while(|c| **c != b' ').count();
    (&b[..len], b.get(len + 1..).unwrap_or(&[]))
}

/// A merging collector's file-name prefix: a word naming a `.log` file, then the timestamp.
fn skip_file_prefix(line: &[u8]) -> &[u8] {
    let (name, rest) = word(line);
    let named_log = name.windows(4).any(|w| w == b".log")
        && name.first().is_some_and(u8::is_ascii_alphabetic)
        && rest.first().is_some_and(u8::is_ascii_digit);
    if named_log { rest } else { line }
}

/// Whether the header names a Python source file (`[server.py:47]`, `worker.py:12`), as
/// `%(filename)s:%(lineno)d` does: then a `[thread]`-like field does not make the line Java's.
fn names_python_source(b: &[u8]) -> bool {
    b.split(|c| *c == b' ')
        .take(6)
        .any(|w| w.windows(4).any(|x| x == b".py:") && w.iter().any(u8::is_ascii_digit))
}

/// `levelname` with oslo.log's extra names.
fn oslo_level(word: &[u8]) -> Option<Level> {
    match word {
        b"AUDIT" => Some(Level::Info),
        b"TRACE" => Some(Level::Trace),
        _ => python_level(word),
    }
}

fn parse_python(line: &[u8]) -> Parsed<'_> {
    match line.first() {
        None => return Parsed::NotMine,
        // A Java stack frame is a sign of some other log.
        Some(b'\t') if line.starts_with(b"\tat ") => return Parsed::NotMine,
        Some(b' ') | Some(b'\t') => return Parsed::Continuation,
        _ => {}
    }
    if line.starts_with(b"Caused by: ") {
        return Parsed::NotMine;
    }
    let body = skip_file_prefix(line);
    let Some((time, used)) = iso8601(body) else {
        return if leading_timestamp(line).is_some() {
            Parsed::NotMine
        } else {
            Parsed::Continuation
        };
    };
    // asctime's separator is a space, and a zone is not part of it.
    if body.get(10) != Some(&b' ') || time.offset.is_some() {
        return Parsed::NotMine;
    }
    let default_asctime = used == 23 && body.get(19) == Some(&b',');
    let rest = &body[used..];
    let found = if let Some(r) = rest.strip_prefix(b" - ") {
        // `asctime - name - LEVEL - message`
        let sep = memchr::memmem::find(r, b" - ");
        sep.and_then(|sep| {
            let name = &r[..sep];
            let (lvl, after) = r[sep + 3..].split_at(memchr::memchr(b' ', &r[sep + 3..])?);
            let level = python_level(lvl)?;
            let msg = after.strip_prefix(b" - ")?;
            (!name.is_empty()).then_some((level, Some(name), msg))
        })
    } else if let Some(r) = rest.strip_prefix(b" ") {
        let (first, after) = word(r);
        if first.iter().all(u8::is_ascii_digit) && !first.is_empty() {
            // oslo.log: `asctime.msecs PID LEVEL name message`.
            let (lvl, after) = word(after);
            let (name, msg) = word(after);
            oslo_level(lvl)
                .filter(|_| is_logger(name) || name.iter().all(u8::is_ascii_alphanumeric))
                .map(|level| (level, Some(name), msg))
        } else if default_asctime {
            // `asctime LEVEL message` / `asctime [LEVEL] message`.
            let bare = first.strip_prefix(b"[").and_then(|w| w.strip_suffix(b"]"));
            python_level(bare.unwrap_or(first))
                .filter(|_| !java_after_level(after) || names_python_source(after))
                .map(|level| (level, None, after))
        } else {
            None
        }
    } else {
        None
    };
    match found {
        Some((level, component, message)) => Parsed::Event(Event {
            time: Some(LineTime::Civil(time)),
            level,
            host: None,
            component,
            message,
            request: None,
        }),
        None => Parsed::NotMine,
    }
}

/// Written from the Python logging HOWTO and cookbook and oslo.log's format options.
const SAMPLES: &[Sample] = &[
    Sample {
        line: "2024-11-14 14:02:11,123 - payments.gateway - ERROR - charge failed for order 42: timeout",
        utc: Some("2024-11-14T14:02:11.123Z"),
        level: Level::Error,
        status: None,
    },
    Sample {
        line: "Traceback (most recent call last):",
        utc: None,
        level: Level::Unknown,
        status: None,
    },
    Sample {
        line: "  File \"/srv/app/payments/gateway.py\", line 88, in charge",
        utc: None,
        level: Level::Unknown,
        status: None,
    },
    Sample {
        line: "TimeoutError: upstream did not answer within 30s",
        utc: None,
        level: Level::Unknown,
        status: None,
    },
    Sample {
        line: "2024-11-14 14:02:12,500 WARNING retrying in 2 seconds",
        utc: Some("2024-11-14T14:02:12.500Z"),
        level: Level::Warning,
        status: None,
    },
    Sample {
        line: "2024-11-14 14:02:13,001 [CRITICAL] database unreachable, giving up",
        utc: Some("2024-11-14T14:02:13.001Z"),
        level: Level::Critical,
        status: None,
    },
    Sample {
        line: "2024-11-14 14:02:14.250 4242 INFO nova.compute.manager [req-6f1c2a34-1b2c-4d5e-8f90-a1b2c3d4e5f6 - - - - -] [instance: 9d3e7f00-1111-2222-3333-444455556666] Took 2.31 seconds to spawn the instance",
        utc: Some("2024-11-14T14:02:14.250Z"),
        level: Level::Info,
        status: None,
    },
];

pub static PYTHON: Format = Format {
    name: "python",
    description: "Python logging (`asctime - name - LEVEL - msg`, `asctime LEVEL msg`) and OpenStack oslo.log",
    source: SourceKind::Application,
    specificity: 25,
    yearless: false,
    parse: parse_python,
    samples: SAMPLES,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_name_and_message() {
        let Parsed::Event(e) = parse_python(SAMPLES[0].line.as_bytes()) else {
            panic!()
        };
        assert_eq!(e.component, Some(&b"payments.gateway"[..]));
        assert_eq!(e.message, b"charge failed for order 42: timeout");
        let Parsed::Event(e) = parse_python(SAMPLES[6].line.as_bytes()) else {
            panic!()
        };
        assert_eq!(e.component, Some(&b"nova.compute.manager"[..]));
        assert!(e.message.starts_with(b"[req-6f1c"));
    }

    #[test]
    fn a_python_source_file_outweighs_a_bracketed_field() {
        let line = b"2024-11-14 14:02:11,968 INFO [main] [server.py:47] [trace_id=0af7651916cd43dd] - listing";
        assert!(matches!(parse_python(line), Parsed::Event(_)));
    }

    #[test]
    fn skips_a_collectors_file_name() {
        let line = b"nova-api.log.1.2024-11-14_13:53:08 2024-11-14 00:00:00.008 25746 WARNING nova.api.x [-] y";
        let Parsed::Event(e) = parse_python(line) else {
            panic!()
        };
        assert_eq!(e.level, Level::Warning);
    }

    #[test]
    fn leaves_java_and_other_logs_alone() {
        for line in [
            "2024-11-14 14:02:11,123 INFO [main] org.apache.hadoop.Foo: started",
            "2024-11-14 14:02:11,123 WARN org.apache.hadoop.Foo: java level word",
            "2024-11-14 14:02:11,123 INFO org.apache.hadoop.Foo - logger first",
            "2024-11-14 14:02:11,123 ERROR 4242 --- [main] o.s.App : spring",
            "2024-11-14 14:02:11.123 INFO not the default asctime",
            "2024-11-14T14:02:11,123 INFO not the default asctime",
            "2024-11-14 14:02:11,123 UTC INFO zoned",
            "\tat com.example.Pay.charge(Pay.java:42)",
            "Caused by: java.io.IOException",
            "Nov 14 14:02:11 host app: x",
            "",
        ] {
            assert_eq!(parse_python(line.as_bytes()), Parsed::NotMine, "{line:?}");
        }
        // basicConfig's default has no time: at most it continues an event.
        assert_eq!(parse_python(b"INFO:root:no time"), Parsed::Continuation);
    }

    #[test]
    fn never_panics_on_prefixes() {
        for s in SAMPLES {
            for end in 0..=s.line.len() {
                let _ = parse_python(&s.line.as_bytes()[..end]);
            }
        }
    }
}
