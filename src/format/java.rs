//! Java application logs: log4j, log4j2 and logback pattern layouts and the frameworks' defaults.
//!
//! A line starts an event when it begins with a timestamp and a Java logger's header follows: a
//! level word (`TRACE`, `DEBUG`, `INFO`, `WARN`, `ERROR`, `FATAL`) next to a `[thread]`, a
//! `| pipe |` column, or a logger name (`org.apache.kafka.X`, `dfs.DataNode$PacketResponder:`).
//! That covers, among others:
//!
//! - log4j2 `%d{yyyy-MM-dd HH:mm:ss.SSS} [%t] %-5level %logger{36} - %msg%n` and logback's
//!   equivalent; log4j 1 `%d %-5p [%t] %c - %m%n` and `%d{ISO8601}` with `,SSS` (Hadoop);
//! - Spring Boot's default, `2024-11-14T14:02:11.123+01:00  INFO 4242 --- [app] [main]
//!   o.s.b.StartupInfoLogger : msg`, and the older `2024-11-14 14:02:11.123  INFO 4242 --- [main]`;
//! - Kafka's `[2024-11-14 14:02:11,123] INFO msg (logger)`, OpenSearch/Elasticsearch's
//!   `[ts][INFO ][logger] msg`, ZooKeeper's `ts - INFO  [thread:Class@line] - msg`;
//! - Spark's `yy/MM/dd HH:mm:ss LEVEL logger: msg`, the `yyMMdd HHmmss tid LEVEL logger: msg`
//!   layout of the HDFS data set, the OpenTelemetry Java agent's `[otel.javaagent ts]` lines;
//! - JVM output: GC logs with `-XX:+PrintGCDateStamps` (`ts: 2.151: [GC pause …`), unified
//!   logging `[ts][info][gc] …`, and the Java Service Wrapper's `INFO | jvm 1 | yyyy/MM/dd
//!   HH:mm:ss | …` prefix.
//!
//! Lines that do not start with a timestamp continue the event before them: stack traces
//! (`\tat …`, `Caused by: …`, `... 12 more`), multi-line messages. Logback's time-only default
//! (`HH:mm:ss.SSS [thread] …`) is not read: without a date its events cannot be placed in time.

use super::{Event, Format, Level, Parsed, Sample, SourceKind};
use crate::time::parse::{iso8601, leading_timestamp, numeric_offset, slash_date};
use crate::time::{CivilTime, LineTime};

/// A Java logger's level word, exactly as log4j/logback write it.
fn java_level(word: &[u8]) -> Option<Level> {
    match word {
        b"TRACE" | b"DEBUG" | b"INFO" | b"WARN" | b"ERROR" | b"FATAL" => Level::from_word(word),
        _ => None,
    }
}

fn two(b: &[u8], i: usize) -> Option<u8> {
    let (a, c) = (*b.get(i)?, *b.get(i + 1)?);
    (a.is_ascii_digit() && c.is_ascii_digit()).then(|| (a - b'0') * 10 + (c - b'0'))
}

fn civil(ymd: (i32, u8, u8), hms: (u8, u8, u8), nanos: u32) -> Option<CivilTime> {
    let c = CivilTime {
        year: Some(ymd.0),
        month: ymd.1,
        day: ymd.2,
        hour: hms.0,
        minute: hms.1,
        second: hms.2,
        nanos,
        offset: None,
    };
    c.is_valid().then_some(c)
}

/// Milliseconds after `,` or `.` at `i`: (nanos, bytes used).
fn millis(b: &[u8], i: usize) -> (u32, usize) {
    if matches!(b.get(i), Some(b',') | Some(b'.'))
        && let (Some(a), Some(c)) = (two(b, i + 1), b.get(i + 3).filter(|c| c.is_ascii_digit()))
    {
        return ((a as u32 * 10 + (c - b'0') as u32) * 1_000_000, 4);
    }
    (0, 0)
}

/// Spark's log4j template, `yy/MM/dd HH:mm:ss`.
fn yy_slash(b: &[u8]) -> Option<(CivilTime, usize)> {
    if b.get(2) != Some(&b'/') || b.get(5) != Some(&b'/') || b.get(8) != Some(&b' ') {
        return None;
    }
    if b.get(11) != Some(&b':') || b.get(14) != Some(&b':') {
        return None;
    }
    let ymd = (2000 + two(b, 0)? as i32, two(b, 3)?, two(b, 6)?);
    let (nanos, used) = millis(b, 17);
    let c = civil(ymd, (two(b, 9)?, two(b, 12)?, two(b, 15)?), nanos)?;
    Some((c, 17 + used))
}

/// `yyMMdd HHmmss`, as in the HDFS logs of the Loghub data set.
fn compact(b: &[u8]) -> Option<(CivilTime, usize)> {
    if b.get(6) != Some(&b' ') || b.get(13) != Some(&b' ') {
        return None;
    }
    let ymd = (2000 + two(b, 0)? as i32, two(b, 2)?, two(b, 4)?);
    let c = civil(ymd, (two(b, 7)?, two(b, 9)?, two(b, 11)?), 0)?;
    Some((c, 13))
}

/// The OpenTelemetry Java agent: `[otel.javaagent yyyy-MM-dd HH:mm:ss:SSS +0000]`.
fn otel(b: &[u8]) -> Option<(CivilTime, usize)> {
    const PREFIX: &[u8] = b"[otel.javaagent ";
    let b2 = b.strip_prefix(PREFIX)?;
    let (mut c, mut i) = iso8601(b2)?;
    // Milliseconds after a colon: `19:51:57:317`.
    if b2.get(i) == Some(&b':')
        && let (Some(a), Some(d)) = (two(b2, i + 1), b2.get(i + 3).filter(|c| c.is_ascii_digit()))
    {
        c.nanos = (a as u32 * 10 + (d - b'0') as u32) * 1_000_000;
        i += 4;
    }
    if b2.get(i) == Some(&b' ')
        && let Some((o, used)) = numeric_offset(b2, i + 1)
    {
        c.offset = Some(o);
        i += 1 + used;
    }
    (b2.get(i) == Some(&b']')).then_some((c, PREFIX.len() + i + 1))
}

/// How the timestamp sat at the start of the line.
#[derive(Copy, Clone, PartialEq, Debug)]
enum Shape {
    Plain,
    /// `[ts]`, as Kafka and OpenSearch write it.
    Bracketed,
}

/// A timestamp a Java layout writes at the start of a line: (time, bytes used, shape).
fn java_timestamp(line: &[u8]) -> Option<(CivilTime, usize, Shape)> {
    match line.first()? {
        b'0'..=b'9' => {
            if let Some((c, used)) = iso8601(line) {
                return Some((c, used, Shape::Plain));
            }
            yy_slash(line)
                .or_else(|| compact(line))
                .map(|(c, used)| (c, used, Shape::Plain))
        }
        b'[' => {
            if let Some((c, used)) = otel(line) {
                return Some((c, used, Shape::Bracketed));
            }
            let (c, used) = iso8601(&line[1..])?;
            match line.get(1 + used) {
                Some(b']') => Some((c, used + 2, Shape::Bracketed)),
                // `[2022-06-02T10:45:15.969Z thread LEVEL logger] msg`: the bracket holds more.
                Some(b' ') => Some((c, used + 1, Shape::Plain)),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Whether `tok` names a logger: a dotted or `$`-nested Java identifier (`o.s.b.App`,
/// `dfs.DataNode$PacketResponder`), ignoring a trailing `:` or `]`.
pub(crate) fn is_logger(tok: &[u8]) -> bool {
    let tok = tok
        .strip_suffix(b":")
        .or(tok.strip_suffix(b"]"))
        .unwrap_or(tok);
    tok.first().is_some_and(|c| c.is_ascii_alphabetic())
        && tok
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'$' | b'_' | b'-'))
        && tok
            .windows(2)
            .any(|w| matches!(w[0], b'.' | b'$') && w[1].is_ascii_alphabetic())
}

/// Up to 12 header tokens of `b`: `[…]` and `(…)` groups (nesting allowed) and `|` are tokens of
/// their own, anything else runs to the next space. Byte ranges into `b`.
fn tokens(b: &[u8]) -> ([(usize, usize); 12], usize) {
    let mut out = [(0, 0); 12];
    let mut n = 0;
    let mut i = 0;
    while n < out.len() {
        while matches!(b.get(i), Some(b' ') | Some(b'\t')) {
            i += 1;
        }
        let Some(&first) = b.get(i) else { break };
        let start = i;
        let close = match first {
            b'[' => Some(b']'),
            b'(' => Some(b')'),
            _ => None,
        };
        if let Some(close) = close {
            let mut depth = 0;
            while let Some(&c) = b.get(i) {
                i += 1;
                if c == first {
                    depth += 1;
                } else if c == close {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
            }
        } else if first == b'|' {
            i += 1;
        } else {
            while b.get(i).is_some_and(|c| !matches!(c, b' ' | b'\t')) {
                i += 1;
            }
        }
        out[n] = (start, i);
        n += 1;
    }
    (out, n)
}

/// `SparkContext:` — a class name without its package, as `%c{1}` writes it, before the message.
fn is_class_colon(tok: &[u8]) -> bool {
    tok.strip_suffix(b":").is_some_and(|t| {
        t.len() > 1
            && t[0].is_ascii_uppercase()
            && t.iter()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'$' | b'_'))
    })
}

fn is_bracketed(tok: &[u8]) -> bool {
    tok.first() == Some(&b'[')
}

/// The level a header token states: `INFO`, `[INFO ]`, `[thread INFO logger]`, `WARN574240[t]`.
fn token_level(tok: &[u8]) -> Option<Level> {
    if let Some(level) = java_level(tok) {
        return Some(level);
    }
    if let Some(inner) = tok.strip_prefix(b"[").and_then(|t| t.strip_suffix(b"]")) {
        return inner
            .split(|c| *c == b' ')
            .filter(|w| !w.is_empty())
            .take(4)
            .find_map(java_level);
    }
    let letters = tok.iter().take_while(|c| c.is_ascii_uppercase()).count();
    tok.get(letters)
        .filter(|c| c.is_ascii_digit())
        .and_then(|_| java_level(&tok[..letters]))
}

/// Whether the text after a level word is shaped like a Java header (a thread, a logger, a
/// Spring Boot PID): what makes a `yyyy-MM-dd HH:mm:ss,SSS LEVEL …` line Java's rather than
/// Python's or anything's.
pub(crate) fn java_after_level(after: &[u8]) -> bool {
    let (toks, n) = tokens(after);
    let tok = |k: usize| &after[toks[k].0..toks[k].1];
    n > 0
        && (is_bracketed(tok(0))
            || tok(0) == b"|"
            || is_logger(tok(0))
            || (n > 1 && tok(0).iter().all(u8::is_ascii_digit) && tok(1) == b"---"))
}

/// What a header gives: level, component, message.
type Header<'a> = (Level, Option<&'a [u8]>, &'a [u8]);

/// Spring Boot: `LEVEL PID --- [app] [thread] logger : msg` (`b` follows the level).
fn spring_boot(b: &[u8], level: Level) -> Option<Header<'_>> {
    let b = b.trim_ascii_start();
    let pid = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if pid == 0 {
        return None;
    }
    let tail = b[pid..].strip_prefix(b" --- ")?;
    Some(match memchr::memmem::find(tail, b" : ") {
        Some(sep) => {
            let logger = tail[..sep]
                .trim_ascii_end()
                .rsplit(|c| *c == b' ')
                .next()
                .filter(|l| !l.is_empty());
            (level, logger, &tail[sep + 3..])
        }
        None => (level, None, tail),
    })
}

/// `[ts][LEVEL ][logger] msg` (OpenSearch) or `[ts][uptime][info][gc,heap] msg` (JVM unified
/// logging): adjacent bracket groups, one of them a level.
fn bracket_groups(rest: &[u8]) -> Option<Header<'_>> {
    let mut groups = rest;
    let mut level = None;
    let mut component = None;
    while groups.first() == Some(&b'[') {
        let Some(end) = memchr::memchr(b']', groups) else {
            break;
        };
        let inner = groups[1..end].trim_ascii();
        if level.is_none() {
            // OpenSearch's level is the first group; unified logging's, lower case, follows
            // decorators such as the uptime.
            let first = groups.len() == rest.len();
            level = java_level(inner).filter(|_| first).or(match inner {
                b"trace" | b"debug" | b"info" | b"warning" | b"error" => Level::from_word(inner),
                _ => None,
            });
        } else if component.is_none() {
            component = Some(inner);
        }
        groups = &groups[end + 1..];
    }
    level.map(|l| (l, component, groups.trim_ascii_start()))
}

fn trim_logger(t: &[u8]) -> &[u8] {
    t.strip_suffix(b":").or(t.strip_suffix(b"]")).unwrap_or(t)
}

/// Reads a header after the timestamp: (level, component, message).
fn header(rest: &[u8], shape: Shape) -> Option<Header<'_>> {
    // JVM GC log with -XX:+PrintGCDateStamps: `ts: 2.151: [GC pause …`.
    if let Some(after) = rest.strip_prefix(b": ") {
        let secs = after
            .iter()
            .take_while(|c| c.is_ascii_digit() || **c == b'.')
            .count();
        let msg = after
            .get(secs..)?
            .strip_prefix(b": ")
            .filter(|_| secs > 0)?;
        return Some((Level::Info, Some(b"gc"), msg));
    }
    if shape == Shape::Bracketed && rest.first() == Some(&b'[') {
        return bracket_groups(rest);
    }
    let (toks, n) = tokens(rest);
    let tok = |k: usize| &rest[toks[k].0..toks[k].1];
    let (k, level) = (0..n.min(5)).find_map(|k| token_level(tok(k)).map(|l| (k, l)))?;
    let exact = java_level(tok(k)).is_some();
    if exact && let Some(found) = spring_boot(&rest[toks[k].1..], level) {
        return Some(found);
    }
    // Kafka: `[ts] LEVEL msg (logger)`.
    if shape == Shape::Bracketed && k == 0 && exact {
        let msg = rest[toks[0].1..].trim_ascii_start();
        let component = msg
            .strip_suffix(b")")
            .and_then(|m| m.rsplit(|c| *c == b'(').next())
            .filter(|l| is_logger(l));
        return Some((level, component, msg));
    }
    let before = k.checked_sub(1).map(tok);
    let after = (k + 1 < n).then(|| tok(k + 1));
    let structured = tok(k).contains(&b'[')
        || before.is_some_and(|t| is_bracketed(t) || t == b"|")
        || after.is_some_and(|t| {
            is_bracketed(t)
                || t == b"|"
                || is_logger(t)
                || is_class_colon(t)
                || (t.contains(&b'[') && t.ends_with(b"]"))
        });
    if !structured {
        return None;
    }
    // `[thread LEVEL logger ctx] msg`: the whole header is in the bracket.
    if is_bracketed(tok(k)) {
        let component = tok(k)
            .split(|c| matches!(c, b' ' | b']'))
            .find(|w| is_logger(w));
        return Some((level, component, rest[toks[k].1..].trim_ascii_start()));
    }
    // `| LEVEL | thread | logger | msg`: the message follows the last column bar.
    if (before == Some(b"|") || after == Some(b"|"))
        && let Some(last) = (k + 1..n).rev().find(|&j| tok(j) == b"|")
    {
        let component = (k + 1..last).map(tok).find(|t| is_logger(t));
        return Some((level, component, rest[toks[last].1..].trim_ascii_start()));
    }
    // Otherwise the message follows the thread, logger and location fields after the level:
    // a ` - ` or ` : ` separator, or a logger name ending in `:` or `]`, ends them.
    let mut component = None;
    let mut msg_start = toks[k].1;
    for (j, &(start, end)) in toks.iter().enumerate().take(n).skip(k + 1) {
        let t = &rest[start..end];
        let next = (j + 1 < n).then(|| tok(j + 1));
        if t == b"-" || t == b":" {
            msg_start = end;
            break;
        } else if is_logger(t) || is_class_colon(t) {
            component = Some(trim_logger(t));
            msg_start = end;
            if t.ends_with(b":") || t.ends_with(b"]") {
                break;
            }
        } else if is_bracketed(t) {
            msg_start = end;
            let inner = t[1..].strip_suffix(b"]").unwrap_or(&t[1..]).trim_ascii();
            if j == k + 1 {
                // The thread; ZooKeeper's `[thread:Class@line]` names the class too.
                if let Some(at) = memchr::memrchr(b'@', inner) {
                    component = inner[..at].rsplit(|c| *c == b':').next();
                }
            } else if component.is_none() {
                component = Some(inner);
            }
        } else if t.starts_with(b"(") || (t.contains(&b'=') && component.is_none()) {
            // `(File.java:51)` locations, `opId=…` context.
            msg_start = end;
        } else if matches!(next, Some(b":") | Some(b"-")) {
            component = Some(t);
            msg_start = end;
        } else {
            msg_start = start;
            break;
        }
    }
    Some((level, component, rest[msg_start..].trim_ascii_start()))
}

/// A whole line with a Java timestamp and header.
fn java_event(line: &[u8]) -> Option<Event<'_>> {
    let (time, used, shape) = java_timestamp(line)?;
    let rest = &line[used..];
    let (level, component, message) = match header(rest, shape) {
        Some(h) => h,
        // log4j2 `%d - %logger - %msg` (no level).
        None => {
            let r = rest.strip_prefix(b" - ")?;
            let sep = memchr::memmem::find(r, b" - ")?;
            let name = &r[..sep];
            if name.is_empty() || name.contains(&b' ') {
                return None;
            }
            (Level::Unknown, Some(name), &r[sep + 3..])
        }
    };
    Some(Event {
        time: Some(LineTime::Civil(time)),
        level,
        host: None,
        component,
        message,
        request: None,
    })
}

/// Whether a line is part of a stack trace.
fn is_stack_line(line: &[u8]) -> bool {
    let t = line.trim_ascii_start();
    line.first().is_some_and(|c| c.is_ascii_whitespace())
        || t.starts_with(b"at ")
        || t.starts_with(b"Caused by:")
        || (t.starts_with(b"... ") && t.ends_with(b" more"))
}

/// The Java Service Wrapper's `LEVEL | prefix | yyyy/MM/dd HH:mm:ss | output` lines.
fn wrapper(line: &[u8]) -> Option<Parsed<'_>> {
    let word_len = line.iter().take_while(|c| c.is_ascii_uppercase()).count();
    let word = &line[..word_len];
    if !matches!(
        word,
        b"STATUS" | b"DEBUG" | b"INFO" | b"NOTICE" | b"ADVICE" | b"WARN" | b"ERROR" | b"FATAL"
    ) {
        return None;
    }
    let rest = line[word_len..].trim_ascii_start().strip_prefix(b"| ")?;
    let bar = memchr::memmem::find(rest, b" | ")?;
    let rest = &rest[bar + 3..];
    let (time, used) = slash_date(rest)?;
    let output = rest[used..].strip_prefix(b" |")?;
    let output = output.strip_prefix(b" ").unwrap_or(output);
    if let Some(inner) = java_event(output) {
        return Some(Parsed::Event(inner));
    }
    if output.is_empty() || is_stack_line(output) {
        return Some(Parsed::Continuation);
    }
    let mut event = Event::new(time, output);
    event.level = Level::from_word(word).unwrap_or(Level::Info);
    event.component = Some(b"wrapper");
    Some(Parsed::Event(event))
}

fn parse_java(line: &[u8]) -> Parsed<'_> {
    if let Some(event) = java_event(line) {
        return Parsed::Event(event);
    }
    if let Some(parsed) = wrapper(line) {
        return parsed;
    }
    // A Python traceback is a sign of some other log.
    if line.starts_with(b"Traceback (most recent call last):") || line.starts_with(b"  File \"") {
        return Parsed::NotMine;
    }
    match java_timestamp(line) {
        // A repeat marker: `2024-07-18 14:06:40.554 ^^^ 1 similar message omitted ^^^`.
        Some((_, used, _)) if line[used..].trim_ascii_start().starts_with(b"^^^ ") => {
            Parsed::Continuation
        }
        Some(_) => Parsed::NotMine,
        None if line.is_empty() || leading_timestamp(line).is_some() => Parsed::NotMine,
        None => Parsed::Continuation,
    }
}

/// Written from the log4j2 PatternLayout, logback, Spring Boot logging, Kafka and ZooKeeper
/// log4j configuration documentation.
const SAMPLES: &[Sample] = &[
    Sample {
        line: "2024-11-14 14:02:11.123 [http-nio-8080-exec-7] ERROR com.example.shop.CheckoutController - Payment service call failed after 3 retries",
        utc: Some("2024-11-14T14:02:11.123Z"),
        level: Level::Error,
        status: None,
    },
    Sample {
        line: "java.net.SocketTimeoutException: Read timed out",
        utc: None,
        level: Level::Unknown,
        status: None,
    },
    Sample {
        line: "\tat java.base/java.net.SocketInputStream.socketRead0(Native Method)",
        utc: None,
        level: Level::Unknown,
        status: None,
    },
    Sample {
        line: "2024-11-14T15:02:12.456+01:00  WARN 4242 --- [shop] [           main] o.h.e.j.e.i.JdbcEnvironmentInitiator     : HHH000342: Could not obtain connection to query metadata",
        utc: Some("2024-11-14T14:02:12.456Z"),
        level: Level::Warning,
        status: None,
    },
    Sample {
        line: "2024-11-14 14:02:13,789 FATAL [main] org.apache.hadoop.hdfs.server.namenode.NameNode: Failed to start namenode.",
        utc: Some("2024-11-14T14:02:13.789Z"),
        level: Level::Critical,
        status: None,
    },
    Sample {
        line: "[2024-11-14 14:02:14,001] INFO [KafkaServer id=1] started (kafka.server.KafkaServer)",
        utc: Some("2024-11-14T14:02:14.001Z"),
        level: Level::Info,
        status: None,
    },
    Sample {
        line: "2024-11-14 14:02:15,250 [myid:3] - DEBUG [QuorumPeer[myid=3](plain=0.0.0.0:2181)(secure=disabled):Follower@128] - Got zxid 0x100000001",
        utc: Some("2024-11-14T14:02:15.250Z"),
        level: Level::Debug,
        status: None,
    },
    Sample {
        line: "24/11/14 14:02:16 TRACE scheduler.TaskSetManager: Starting task 0.0 in stage 3.0",
        utc: Some("2024-11-14T14:02:16Z"),
        level: Level::Trace,
        status: None,
    },
];

pub static JAVA: Format = Format {
    name: "java",
    description: "Java logs: log4j/log4j2/logback layouts, Spring Boot, Kafka, ZooKeeper, Spark, JVM GC",
    source: SourceKind::Application,
    specificity: 20,
    yearless: false,
    parse: parse_java,
    samples: SAMPLES,
};

#[cfg(test)]
mod tests;
