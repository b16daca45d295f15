//! logfmt: space-separated `key=value` pairs, values optionally double-quoted with backslash
//! escapes, as Go's go-kit/logfmt, logrus's text formatter, Heroku and Grafana's tools write it:
//!
//! ```text
//! time=2024-11-14T14:02:11.123Z level=error msg="upstream timeout" service=cart latency=30.001s
//! ```
//!
//! The time is `time`, `ts`, `t` or `timestamp` (RFC 3339 or epoch seconds/ms/…), the level
//! `level`, `lvl` or `severity`, the message `msg` or `message`, the component `logger`,
//! `component`, `module` or `caller`. So that ordinary prose with an `=` in it is not taken for
//! logfmt, every word of the line must be a pair, there must be at least three, and one must be a
//! time.

use super::fields::find_either;
use super::json::{Value, level_of, time_of};
use super::{Event, Format, Level, Parsed, Sample, SourceKind};

/// A logfmt value as written: quoted (escapes left) or bare.
enum Raw<'a> {
    Quoted(&'a [u8]),
    Bare(&'a [u8]),
}

impl<'a> Raw<'a> {
    fn bytes(&self) -> &'a [u8] {
        match self {
            Raw::Quoted(b) | Raw::Bare(b) => b,
        }
    }
}

/// The next `key=value` pair from `i`: (key, value, index after it). `None` at a word that is not
/// a pair.
fn pair(b: &[u8], i: usize) -> Option<(&[u8], Raw<'_>, usize)> {
    let rest = b.get(i..)?;
    let key_len = rest
        .iter()
        .take_while(|c| c.is_ascii_graphic() && !matches!(c, b'=' | b'"'))
        .count();
    if key_len == 0 || rest.get(key_len) != Some(&b'=') {
        return None;
    }
    let key = &rest[..key_len];
    let v = key_len + 1;
    if rest.get(v) == Some(&b'"') {
        let mut j = v + 1;
        loop {
            j += find_either(b'"', b'\\', rest.get(j..)?)?;
            if rest[j] == b'\\' {
                j += 2;
            } else {
                break;
            }
        }
        // The closing quote must end the word.
        if !matches!(rest.get(j + 1), None | Some(b' ') | Some(b'\t')) {
            return None;
        }
        return Some((key, Raw::Quoted(&rest[v + 1..j]), i + j + 1));
    }
    let len = rest[v..]
        .iter()
        .take_while(|c| !matches!(c, b' ' | b'\t'))
        .count();
    let value = &rest[v..v + len];
    if value.contains(&b'"') {
        return None;
    }
    Some((key, Raw::Bare(value), i + v + len))
}

fn parse_logfmt(line: &[u8]) -> Parsed<'_> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if !line.first().is_some_and(u8::is_ascii_alphabetic) {
        return Parsed::NotMine;
    }
    let mut i = 0;
    let mut pairs = 0;
    let mut time = None;
    let mut level = None;
    let mut message = None;
    let mut component = None;
    while i < line.len() {
        let Some((key, value, next)) = pair(line, i) else {
            return Parsed::NotMine;
        };
        pairs += 1;
        let v = Value::Str(value.bytes());
        match key {
            b"time" | b"ts" | b"t" | b"timestamp" if time.is_none() => time = time_of(v),
            b"level" | b"lvl" | b"severity" if level.is_none() => {
                // log15 (Grafana) abbreviates to four letters.
                level = match value.bytes() {
                    b"dbug" => Some(Level::Debug),
                    b"eror" => Some(Level::Error),
                    _ => level_of(v),
                }
            }
            b"msg" | b"message" if message.is_none() => message = Some(value.bytes()),
            b"logger" | b"component" | b"module" | b"caller" if component.is_none() => {
                component = Some(value.bytes())
            }
            _ => {}
        }
        i = next;
        while matches!(line.get(i), Some(b' ') | Some(b'\t')) {
            i += 1;
        }
    }
    if pairs < 3 || time.is_none() {
        return Parsed::NotMine;
    }
    Parsed::Event(Event {
        time,
        level: level.unwrap_or(Level::Unknown),
        host: None,
        component,
        message: message.unwrap_or(line),
        request: None,
    })
}

/// Written from the go-logfmt, logrus TextFormatter and Grafana Loki/Prometheus log examples.
const SAMPLES: &[Sample] = &[
    Sample {
        line: r#"time=2024-11-14T14:02:11.123Z level=error msg="upstream timeout" service=cart latency=30.001s"#,
        utc: Some("2024-11-14T14:02:11.123Z"),
        level: Level::Error,
        status: None,
    },
    Sample {
        line: r#"time="2024-11-14T15:02:12+01:00" level=warning msg="disk usage above 90%" path=/var/lib/docker"#,
        utc: Some("2024-11-14T14:02:12Z"),
        level: Level::Warning,
        status: None,
    },
    Sample {
        line: r#"ts=2024-11-14T14:02:13.456789Z caller=main.go:1123 level=info msg="Server is ready to receive web requests.""#,
        utc: Some("2024-11-14T14:02:13.456789Z"),
        level: Level::Info,
        status: None,
    },
    Sample {
        line: r#"t=2024-11-14T14:02:14+0000 lvl=dbug msg="Received command" logger=sqlstore cmd="SELECT 1""#,
        utc: Some("2024-11-14T14:02:14Z"),
        level: Level::Debug,
        status: None,
    },
    Sample {
        line: r#"ts=1731592935.5 level=debug component=raft msg="heartbeat sent" term=7 empty="""#,
        utc: Some("2024-11-14T14:02:15.500Z"),
        level: Level::Debug,
        status: None,
    },
];

pub static LOGFMT: Format = Format {
    name: "logfmt",
    description: "logfmt key=value lines with a time (`time=… level=… msg=\"…\"`)",
    source: SourceKind::Application,
    specificity: 15,
    yearless: false,
    parse: parse_logfmt,
    samples: SAMPLES,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_fields() {
        let Parsed::Event(e) = parse_logfmt(SAMPLES[3].line.as_bytes()) else {
            panic!()
        };
        assert_eq!(e.message, b"Received command");
        assert_eq!(e.component, Some(&b"sqlstore"[..]));
        let Parsed::Event(e) = parse_logfmt(SAMPLES[1].line.as_bytes()) else {
            panic!()
        };
        assert_eq!(e.message, b"disk usage above 90%");
    }

    #[test]
    fn rejects_prose_and_timeless_pairs() {
        for line in [
            "",
            "the value x=1 was wrong at time=2024-11-14T14:02:11Z",
            "at=info method=GET path=/ status=200",
            "time=2024-11-14T14:02:11Z level=info",
            r#"time=2024-11-14T14:02:11Z level=info msg="unterminated"#,
            r#"time=2024-11-14T14:02:11Z level=info msg="a"b"#,
            "time=yesterday level=info msg=x",
            "2024-11-14T14:02:11Z level=info msg=x a=b",
        ] {
            assert_eq!(parse_logfmt(line.as_bytes()), Parsed::NotMine, "{line:?}");
        }
    }

    #[test]
    fn never_panics_on_prefixes() {
        for s in SAMPLES {
            for end in 0..=s.line.len() {
                let _ = parse_logfmt(&s.line.as_bytes()[..end]);
            }
        }
        let _ = parse_logfmt(br#"a=1 b=2 time="\"#);
    }
}
