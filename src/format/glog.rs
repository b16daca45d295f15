//! Google glog, Abseil logging and Kubernetes klog, which share glog's line prefix:
//!
//! ```text
//! Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg
//! ```
//!
//! `L` is the severity (`I`nfo, `W`arning, `E`rror, `F`atal), the thread id is space-padded, and
//! there is no year (the driver infers it). glog 0.5 and later can write the year as well
//! (`Lyyyymmdd`), which is read too. Lines without the prefix and without any other leading
//! timestamp continue the previous message (glog's multi-line messages, the `*** Check failure
//! stack trace: ***` dump after a fatal).

use super::{Event, Format, Level, Parsed, Sample, SourceKind};
use crate::time::parse::leading_timestamp;
use crate::time::{CivilTime, LineTime};

fn two(b: &[u8], i: usize) -> Option<u8> {
    let (a, c) = (*b.get(i)?, *b.get(i + 1)?);
    (a.is_ascii_digit() && c.is_ascii_digit()).then(|| (a - b'0') * 10 + (c - b'0'))
}

fn level_of(letter: u8) -> Option<Level> {
    Some(match letter {
        b'I' => Level::Info,
        b'W' => Level::Warning,
        b'E' => Level::Error,
        b'F' => Level::Critical,
        _ => return None,
    })
}

/// The glog prefix: (event, whether the line had the prefix's shape at all).
fn header(line: &[u8]) -> Option<Event<'_>> {
    let level = level_of(*line.first()?)?;
    let digits = line[1..]
        .iter()
        .take(9)
        .take_while(|c| c.is_ascii_digit())
        .count();
    let (year, md) = match digits {
        4 => (None, 1),
        8 => {
            let y = two(line, 1)? as i32 * 100 + two(line, 3)? as i32;
            (Some(y), 5)
        }
        _ => return None,
    };
    let month = two(line, md)?;
    let day = two(line, md + 2)?;
    let mut i = md + 4;
    if line.get(i) != Some(&b' ') {
        return None;
    }
    i += 1;
    let hour = two(line, i)?;
    let minute = two(line, i + 3)?;
    let second = two(line, i + 6)?;
    if line.get(i + 2) != Some(&b':') || line.get(i + 5) != Some(&b':') {
        return None;
    }
    i += 8;
    let mut nanos = 0u32;
    if line.get(i) == Some(&b'.') {
        i += 1;
        let mut n = 0;
        while let Some(d) = line.get(i).filter(|c| c.is_ascii_digit()) {
            if n < 9 {
                nanos = nanos * 10 + (d - b'0') as u32;
                n += 1;
            }
            i += 1;
        }
        if n == 0 {
            return None;
        }
        nanos *= 10u32.pow(9 - n);
    }
    // The space-padded thread id.
    let spaces = line[i..].iter().take_while(|c| **c == b' ').count();
    let tid = line[i + spaces..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    if spaces == 0 || tid == 0 || line.get(i + spaces + tid) != Some(&b' ') {
        return None;
    }
    i += spaces + tid + 1;
    // `file:line] `
    let rest = &line[i..];
    let close = memchr::memchr(b']', rest)?;
    let source = &rest[..close];
    let colon = memchr::memrchr(b':', source)?;
    if colon == 0
        || !source[colon + 1..].iter().all(u8::is_ascii_digit)
        || source[colon + 1..].is_empty()
        || source.contains(&b' ')
    {
        return None;
    }
    let message = rest.get(close + 1..).unwrap_or(&[]);
    let message = message.strip_prefix(b" ").unwrap_or(message);
    Some(Event {
        time: Some(LineTime::Civil(CivilTime {
            year,
            month,
            day,
            hour,
            minute,
            second,
            nanos,
            offset: None,
        })),
        level,
        host: None,
        component: Some(&source[..colon]),
        message,
        request: None,
    })
}

fn parse_glog(line: &[u8]) -> Parsed<'_> {
    if let Some(event) = header(line) {
        return Parsed::Event(event);
    }
    let glog_shaped = line.first().is_some_and(|c| level_of(*c).is_some())
        && line.get(1).is_some_and(u8::is_ascii_digit);
    if line.is_empty() || glog_shaped || leading_timestamp(line).is_some() {
        Parsed::NotMine
    } else {
        Parsed::Continuation
    }
}

/// Written from glog's documentation of its line prefix and klog's output.
const SAMPLES: &[Sample] = &[
    Sample {
        line: "I1114 14:02:11.123456    4242 server.cc:87] Listening on port 8080",
        utc: Some("2024-11-14T14:02:11.123456Z"),
        level: Level::Info,
        status: None,
    },
    Sample {
        line: "W1114 14:02:12.000100 140213 reflector.go:535] k8s.io/client-go/informers/factory.go:150: watch of *v1.Pod ended with: an error on the server",
        utc: Some("2024-11-14T14:02:12.000100Z"),
        level: Level::Warning,
        status: None,
    },
    Sample {
        line: "E1114 14:02:13.500000       1 controller.go:114] error syncing 'default/api': context deadline exceeded, requeuing",
        utc: Some("2024-11-14T14:02:13.500Z"),
        level: Level::Error,
        status: None,
    },
    Sample {
        line: "F20241114 14:02:14.000001  4242 db.cc:311] Check failed: conn != nullptr",
        utc: Some("2024-11-14T14:02:14.000001Z"),
        level: Level::Critical,
        status: None,
    },
    Sample {
        line: "*** Check failure stack trace: ***",
        utc: None,
        level: Level::Unknown,
        status: None,
    },
    Sample {
        line: "    @     0x7f3a2c1b2d4e  google::LogMessage::Fail()",
        utc: None,
        level: Level::Unknown,
        status: None,
    },
];

pub static GLOG: Format = Format {
    name: "glog",
    description: "Google glog / Abseil / Kubernetes klog (`Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg`)",
    source: SourceKind::Application,
    specificity: 30,
    yearless: true,
    parse: parse_glog,
    samples: SAMPLES,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_source_file_and_message() {
        let Parsed::Event(e) = parse_glog(SAMPLES[1].line.as_bytes()) else {
            panic!()
        };
        assert_eq!(e.component, Some(&b"reflector.go"[..]));
        assert!(e.message.starts_with(b"k8s.io/client-go"));
        let Parsed::Event(e) = parse_glog(b"I0517 15:04:22.619760   52452992 x.cc:259] ") else {
            panic!()
        };
        assert_eq!(e.message, b"");
    }

    #[test]
    fn rejects_near_misses() {
        for line in [
            "I1114 14:02:11.123456 server.cc:87] no thread id",
            "I1114 14:02:11.123456 1 server.cc] no line",
            "I114 14:02:11.123456 1 server.cc:1] short date",
            "2024-11-14 14:02:11 I something",
            "",
        ] {
            assert_eq!(parse_glog(line.as_bytes()), Parsed::NotMine, "{line:?}");
        }
        // Not a severity letter: just text continuing a message.
        assert_eq!(
            parse_glog(b"X1114 14:02:11.123456 1 server.cc:87] bad level"),
            Parsed::Continuation
        );
    }

    #[test]
    fn never_panics_on_prefixes() {
        for s in SAMPLES {
            for end in 0..=s.line.len() {
                let _ = parse_glog(&s.line.as_bytes()[..end]);
            }
        }
    }
}
