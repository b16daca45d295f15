//! JSON lines: one JSON object per line, whatever logger wrote it.
//!
//! The time, level and message are found by their usual key names among the object's top-level
//! keys (nested values are skipped, not parsed):
//!
//! - time: `time`, `timestamp`, `@timestamp`, `ts`, `t`, `date`, `datetime`, `created_at`,
//!   `@t` (Serilog CLEF), `timeMillis` (log4j2 JsonLayout), `__REALTIME_TIMESTAMP` (journalctl
//!   `-o json`); an ISO 8601 / RFC 3339 string, or a number of seconds, milliseconds,
//!   microseconds or nanoseconds since the epoch (as a number or a string of digits), or
//!   MongoDB's `{"$date": …}`.
//! - level: `level`, `severity`, `lvl`, `loglevel`, `log.level`, `levelname`, `@l`, `PRIORITY`;
//!   a word (`warn`, `ERROR`), a bunyan/pino number (10 trace … 60 fatal) or a syslog severity
//!   (0–7, as GELF and journald write it); ECS's nested `"log": {"level": …}` too.
//! - message: `msg`, `message`, `@message`, `log`, `MESSAGE`, `short_message`, `@m`, `@mt`
//!   (left JSON-escaped); the whole line when there is none.
//! - host: `hostname`, `host` (a string), `_HOSTNAME`; component: `logger`, `logger_name`,
//!   `log.logger`, `name`, `SYSLOG_IDENTIFIER`.
//!
//! An object without a recognisable time is still an event; it takes the previous event's time.

use super::fields::{find_either, parse_decimal};
use super::{Event, Format, Level, Parsed, Sample, SourceKind};
use crate::time::parse::{clf, iso8601};
use crate::time::{LineTime, Timestamp};

/// Nesting deeper than this is not a log line worth reading (and bounds the work per line).
const MAX_DEPTH: usize = 64;

/// One value's bytes, classified by its first byte.
#[derive(Copy, Clone, Debug, PartialEq)]
pub(crate) enum Value<'a> {
    /// A string without its quotes, escapes left as written.
    Str(&'a [u8]),
    /// A number, `true`, `false` or `null`, as written.
    Scalar(&'a [u8]),
    /// An object, with its braces.
    Object(&'a [u8]),
    Array,
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(
        b.get(i),
        Some(b' ') | Some(b'\t') | Some(b'\r') | Some(b'\n')
    ) {
        i += 1;
    }
    i
}

/// The end (after the closing quote) of the string whose opening quote is at `i`.
fn string_end(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    loop {
        j += find_either(b'"', b'\\', b.get(j..)?)?;
        if b[j] == b'\\' {
            j += 2;
        } else {
            return Some(j + 1);
        }
    }
}

/// The end of the object or array opening at `i`, counting brackets outside strings.
fn container_end(b: &[u8], i: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut j = i;
    loop {
        match *b.get(j)? {
            b'"' => {
                j = string_end(b, j)?;
                continue;
            }
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return None;
                }
            }
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(j + 1);
                }
            }
            _ => {}
        }
        j += 1;
    }
}

/// The value starting at `i` and the index after it.
fn value(b: &[u8], i: usize) -> Option<(Value<'_>, usize)> {
    match *b.get(i)? {
        b'"' => {
            let end = string_end(b, i)?;
            Some((Value::Str(&b[i + 1..end - 1]), end))
        }
        b'{' => {
            let end = container_end(b, i)?;
            Some((Value::Object(&b[i..end]), end))
        }
        b'[' => Some((Value::Array, container_end(b, i)?)),
        c if c == b'-' || c.is_ascii_alphanumeric() => {
            let len = b[i..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'+'))
                .count();
            Some((Value::Scalar(&b[i..i + len]), i + len))
        }
        _ => None,
    }
}

/// Calls `f(key, value)` for each top-level member of the object in `b` (which must be exactly
/// one object, surrounding whitespace allowed). `None` if it is not a well-formed object.
fn for_each_member<'a>(b: &'a [u8], mut f: impl FnMut(&'a [u8], Value<'a>)) -> Option<()> {
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_ws(b, i + 1);
    if b.get(i) == Some(&b'}') {
        return (skip_ws(b, i + 1) == b.len()).then_some(());
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let key_end = string_end(b, i)?;
        let key = &b[i + 1..key_end - 1];
        i = skip_ws(b, key_end);
        if b.get(i) != Some(&b':') {
            return None;
        }
        let (v, end) = value(b, skip_ws(b, i + 1))?;
        f(key, v);
        i = skip_ws(b, end);
        match b.get(i)? {
            b',' => i = skip_ws(b, i + 1),
            b'}' => return (skip_ws(b, i + 1) == b.len()).then_some(()),
            _ => return None,
        }
    }
}

/// The first member of `object` named `key`.
fn member<'a>(object: &'a [u8], key: &[u8]) -> Option<Value<'a>> {
    let mut found = None;
    for_each_member(object, |k, v| {
        if found.is_none() && k == key {
            found = Some(v);
        }
    })?;
    found
}

/// Epoch numbers before 1990 are durations or counters, not times.
const EARLIEST_MICROS: i64 = 631_152_000 * 1_000_000;

fn epoch(text: &[u8]) -> Option<LineTime> {
    let ts = Timestamp::from_epoch_guess(parse_decimal(text)?)?;
    (ts.0 >= EARLIEST_MICROS).then_some(LineTime::Utc(ts))
}

/// A time value: an ISO 8601 or CLF string, an epoch number (or string of one), `{"$date": …}`.
pub(crate) fn time_of(v: Value<'_>) -> Option<LineTime> {
    match v {
        Value::Str(s) => {
            if let Some((civil, used)) = iso8601(s).or_else(|| clf(s))
                && used == s.len()
            {
                return Some(LineTime::Civil(civil));
            }
            epoch(s)
        }
        Value::Scalar(n) => epoch(n),
        Value::Object(o) => member(o, b"$date").and_then(|d| match d {
            Value::Object(inner) => member(inner, b"$numberLong").and_then(time_of),
            other => time_of(other),
        }),
        Value::Array => None,
    }
}

/// A level value: a word, a bunyan/pino number or a syslog severity.
pub(crate) fn level_of(v: Value<'_>) -> Option<Level> {
    let text = match v {
        Value::Str(s) | Value::Scalar(s) => s.trim_ascii(),
        _ => return None,
    };
    if text.iter().all(u8::is_ascii_digit) && !text.is_empty() {
        let n: u32 = std::str::from_utf8(text).ok()?.parse().ok()?;
        return Some(match n {
            0..=7 => Level::from_syslog_severity(n as u8),
            10 => Level::Trace,
            20 => Level::Debug,
            30 => Level::Info,
            40 => Level::Warning,
            50 => Level::Error,
            60 => Level::Critical,
            _ => return None,
        });
    }
    Level::from_word(text)
}

const TIME_KEYS: &[&[u8]] = &[
    b"time",
    b"timestamp",
    b"@timestamp",
    b"ts",
    b"t",
    b"date",
    b"datetime",
    b"created_at",
    b"@t",
    b"timeMillis",
    b"__REALTIME_TIMESTAMP",
];
const LEVEL_KEYS: &[&[u8]] = &[
    b"level",
    b"severity",
    b"lvl",
    b"loglevel",
    b"log.level",
    b"levelname",
    b"@l",
    b"PRIORITY",
];
const MESSAGE_KEYS: &[&[u8]] = &[
    b"msg",
    b"message",
    b"@message",
    b"log",
    b"MESSAGE",
    b"short_message",
    b"@m",
    b"@mt",
];
const HOST_KEYS: &[&[u8]] = &[b"hostname", b"host", b"_HOSTNAME"];
const COMPONENT_KEYS: &[&[u8]] = &[
    b"logger",
    b"logger_name",
    b"log.logger",
    b"name",
    b"SYSLOG_IDENTIFIER",
];

fn parse_json(line: &[u8]) -> Parsed<'_> {
    let first = line.iter().position(|c| !c.is_ascii_whitespace());
    if first.is_none_or(|i| line[i] != b'{') {
        return Parsed::NotMine;
    }
    let mut time = None;
    let mut level = None;
    let mut message: Option<&[u8]> = None;
    let mut host = None;
    let mut component = None;
    let ok = for_each_member(line, |key, v| {
        if time.is_none() && TIME_KEYS.contains(&key) {
            time = time_of(v);
        } else if level.is_none() && LEVEL_KEYS.contains(&key) {
            level = level_of(v);
        } else if key == b"log"
            && let Value::Object(o) = v
        {
            // ECS: `"log": {"level": "warn", "logger": "…"}`.
            if level.is_none() {
                level = member(o, b"level").and_then(level_of);
            }
            if component.is_none()
                && let Some(Value::Str(s)) = member(o, b"logger")
            {
                component = Some(s);
            }
        } else if let Value::Str(s) = v {
            if message.is_none() && MESSAGE_KEYS.contains(&key) {
                message = Some(s);
            } else if host.is_none() && HOST_KEYS.contains(&key) {
                host = Some(s);
            } else if component.is_none() && COMPONENT_KEYS.contains(&key) {
                component = Some(s);
            }
        }
    });
    if ok.is_none() {
        return Parsed::NotMine;
    }
    Parsed::Event(Event {
        time,
        level: level.unwrap_or(Level::Unknown),
        host,
        component,
        message: message.unwrap_or(line),
        request: None,
    })
}

/// Written from the bunyan, pino, Go zap/slog, Elastic ECS, GELF and journalctl `-o json`
/// documentation of their record fields.
const SAMPLES: &[Sample] = &[
    Sample {
        line: r#"{"name":"checkout","hostname":"web-1","pid":4242,"level":50,"msg":"payment provider timeout","time":"2024-11-14T14:02:11.123Z","v":0}"#,
        utc: Some("2024-11-14T14:02:11.123Z"),
        level: Level::Error,
        status: None,
    },
    Sample {
        line: r#"{"level":30,"time":1731592932456,"pid":17,"hostname":"api-7d9f","req":{"method":"GET","url":"/health"},"msg":"request completed"}"#,
        utc: Some("2024-11-14T14:02:12.456Z"),
        level: Level::Info,
        status: None,
    },
    Sample {
        line: r#"{"level":"warn","ts":1731592933.5,"caller":"pool/pool.go:88","msg":"connection pool exhausted","size":50}"#,
        utc: Some("2024-11-14T14:02:13.500Z"),
        level: Level::Warning,
        status: None,
    },
    Sample {
        line: r#"{"@timestamp":"2024-11-14T15:02:14.000+01:00","log":{"level":"ERROR","logger":"com.example.Pay"},"message":"Charge failed: \"card declined\"","service.name":"pay"}"#,
        utc: Some("2024-11-14T14:02:14Z"),
        level: Level::Error,
        status: None,
    },
    Sample {
        line: r#"{"version":"1.1","host":"db-1","short_message":"replication lag 31s","timestamp":1731592935.25,"level":4,"_facility":"pg"}"#,
        utc: Some("2024-11-14T14:02:15.250Z"),
        level: Level::Warning,
        status: None,
    },
    Sample {
        line: r#"{ "__REALTIME_TIMESTAMP" : "1731592936000001", "PRIORITY" : "3", "_HOSTNAME" : "web-1", "SYSLOG_IDENTIFIER" : "nginx", "MESSAGE" : "worker process exited on signal 9" }"#,
        utc: Some("2024-11-14T14:02:16.000001Z"),
        level: Level::Error,
        status: None,
    },
    Sample {
        line: r#"{"time":"2024-11-14T14:02:17.000000001Z","level":"INFO","msg":"retrying","attempt":3,"nested":{"a":[1,{"b":"]}"}]}}"#,
        utc: Some("2024-11-14T14:02:17Z"),
        level: Level::Info,
        status: None,
    },
    Sample {
        line: r#"{"event":"cache miss","key":"user:42"}"#,
        utc: None,
        level: Level::Unknown,
        status: None,
    },
];

pub static JSON: Format = Format {
    name: "json",
    description: "JSON lines (bunyan, pino, zap, slog, ECS, GELF, journalctl -o json, …)",
    source: SourceKind::Application,
    specificity: 5,
    yearless: false,
    parse: parse_json,
    samples: SAMPLES,
};

#[cfg(test)]
mod tests {
    use super::*;

    fn event(line: &str) -> Event<'_> {
        match parse_json(line.as_bytes()) {
            Parsed::Event(e) => e,
            other => panic!("{line:?}: {other:?}"),
        }
    }

    #[test]
    fn extracts_fields() {
        let e = event(SAMPLES[0].line);
        assert_eq!(e.message, b"payment provider timeout");
        assert_eq!(e.host, Some(&b"web-1"[..]));
        assert_eq!(e.component, Some(&b"checkout"[..]));
        let e = event(SAMPLES[3].line);
        assert_eq!(e.message, br#"Charge failed: \"card declined\""#);
        assert_eq!(e.component, Some(&b"com.example.Pay"[..]));
        let e = event(SAMPLES[5].line);
        assert_eq!(e.component, Some(&b"nginx"[..]));
        let e = event(SAMPLES[7].line);
        assert_eq!(e.message, SAMPLES[7].line.as_bytes());
    }

    #[test]
    fn mongodb_dates_and_numbers_that_are_not_times() {
        let e = event(r#"{"t":{"$date":"2020-05-20T19:18:40.604+00:00"},"s":"I","msg":"x"}"#);
        assert!(matches!(e.time, Some(LineTime::Civil(_))));
        let e = event(r#"{"t":{"$date":{"$numberLong":"1590002320604"}},"msg":"x"}"#);
        assert!(matches!(e.time, Some(LineTime::Utc(_))));
        // A duration in a time key is not a time.
        assert_eq!(event(r#"{"time":0.123,"msg":"x"}"#).time, None);
        assert_eq!(event(r#"{"date":"2024-11-14","msg":"x"}"#).time, None);
    }

    #[test]
    fn rejects_what_is_not_one_object() {
        for line in [
            "",
            "[1,2]",
            "{",
            r#"{"a":1"#,
            r#"{"a":1} trailing"#,
            r#"{"a" 1}"#,
            r#"{"a":}"#,
            r#"{"a":"unterminated}"#,
            "2024-11-14 14:02:11 {\"a\":1}",
        ] {
            assert_eq!(parse_json(line.as_bytes()), Parsed::NotMine, "{line:?}");
        }
        assert!(matches!(parse_json(b"{}"), Parsed::Event(_)));
        assert!(matches!(
            parse_json(b"  { \"a\" : [ ] }  "),
            Parsed::Event(_)
        ));
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(parse_json(deep.as_bytes()), Parsed::NotMine);
        let ok = format!("{{\"a\":{}1{}}}", "[".repeat(60), "]".repeat(60));
        assert!(matches!(parse_json(ok.as_bytes()), Parsed::Event(_)));
    }

    #[test]
    fn never_panics_on_prefixes() {
        for s in SAMPLES {
            for end in 0..=s.line.len() {
                let _ = parse_json(&s.line.as_bytes()[..end]);
            }
        }
        let _ = parse_json(br#"{"a":"\"#);
        let _ = parse_json(b"{\"a\":]}");
        let _ = parse_json(b"{\"a\":}}}}");
    }
}
