//! The MongoDB server log (`mongod`, `mongos`).
//!
//! Since 4.4 every line is a JSON object (relaxed Extended JSON):
//! `{"t":{"$date":"2024-11-14T14:02:11.123+00:00"},"s":"E","c":"NETWORK","id":22944,
//! "ctx":"conn12","msg":"…","attr":{…}}` with severity `s` one of `F`, `E`, `W`, `I`, `D1`–`D5`,
//! component `c`, a message id, the thread context and the message with its attributes. The keys
//! are read by hand from the bytes; the message is the line from `"msg":` on, so the attributes
//! (the error, the duration, the remote address) stay with it.
//!
//! Earlier releases wrote text, which is read too: 3.0–4.2
//! `2024-11-14T14:02:11.123+0000 E NETWORK  [conn12] msg`, and before that
//! `2024-11-14T14:02:11.123+0000 [conn12] msg`. Text lines without a timestamp continue the
//! event before them (assertion backtraces and other multi-line output).

use super::json_scan::value_at;
use super::{Event, Format, Level, Parsed, Sample, SourceKind};
use crate::time::LineTime;
use crate::time::parse::{iso8601, leading_timestamp};

fn severity(s: &[u8]) -> Option<Level> {
    Some(match s {
        b"F" => Level::Critical,
        b"E" => Level::Error,
        b"W" => Level::Warning,
        b"I" => Level::Info,
        b"D" | b"D1" | b"D2" | b"D3" | b"D4" | b"D5" => Level::Debug,
        _ => return None,
    })
}

fn parse_json(line: &[u8]) -> Option<Event<'_>> {
    let (date, _) = value_at(line, br#""$date""#)?;
    let (civil, _) = iso8601(date)?;
    let (s, _) = value_at(line, br#""s""#)?;
    let level = severity(s)?;
    let component = value_at(line, br#""c""#).map(|(c, _)| c);
    let message = match value_at(line, br#""msg""#) {
        Some((_, at)) => {
            let tail = &line[at..];
            let end = tail
                .iter()
                .rposition(|c| !c.is_ascii_whitespace())
                .map_or(0, |p| p + 1);
            let tail = &tail[..end];
            tail.strip_suffix(b"}").unwrap_or(tail)
        }
        None => &[][..],
    };
    Some(Event {
        time: Some(LineTime::Civil(civil)),
        level,
        host: None,
        component,
        message,
        request: None,
    })
}

/// `ts [S COMPONENT  ][ctx] msg` with an ISO 8601 time that states its offset.
fn parse_text(line: &[u8]) -> Option<Event<'_>> {
    let (civil, used) = iso8601(line)?;
    if line.get(10) != Some(&b'T') || civil.offset.is_none() {
        return None;
    }
    let mut rest = line[used..].strip_prefix(b" ")?;
    let mut level = Level::Unknown;
    let mut component = None;
    if rest.first() != Some(&b'[') {
        let sev_len = memchr::memchr(b' ', rest)?;
        level = severity(&rest[..sev_len])?;
        rest = &rest[sev_len + 1..];
        let comp_len = memchr::memchr(b' ', rest)?;
        let comp = &rest[..comp_len];
        if !comp
            .iter()
            .all(|c| c.is_ascii_uppercase() || *c == b'_' || *c == b'-')
        {
            return None;
        }
        component = (comp != b"-").then_some(comp);
        rest = &rest[comp_len..];
        rest = &rest[rest.iter().take_while(|c| **c == b' ').count()..];
    }
    // The thread context: `[conn12]`.
    if rest.first() != Some(&b'[') {
        return None;
    }
    let end = memchr::memchr(b']', rest)?;
    let message = rest[end + 1..]
        .strip_prefix(b" ")
        .unwrap_or(&rest[end + 1..]);
    Some(Event {
        time: Some(LineTime::Civil(civil)),
        level,
        host: None,
        component,
        message,
        request: None,
    })
}

fn parse_mongodb(line: &[u8]) -> Parsed<'_> {
    if line.first() == Some(&b'{') {
        return parse_json(line).map_or(Parsed::NotMine, Parsed::Event);
    }
    match parse_text(line) {
        Some(e) => Parsed::Event(e),
        None if leading_timestamp(line).is_some() => Parsed::NotMine,
        None => Parsed::Continuation,
    }
}

/// Written from the MongoDB manual's "Log Messages" page (structured logging, severity levels,
/// components) and messages the server writes.
const SAMPLES: &[Sample] = &[
    Sample {
        line: r#"{"t":{"$date":"2024-11-14T14:02:11.123+00:00"},"s":"I",  "c":"NETWORK",  "id":23016,   "ctx":"listener","msg":"Waiting for connections","attr":{"port":27017,"ssl":"off"}}"#,
        utc: Some("2024-11-14T14:02:11.123Z"),
        level: Level::Info,
        status: None,
    },
    Sample {
        line: r#"{"t":{"$date":"2024-11-14T14:02:12.450+00:00"},"s":"W",  "c":"COMMAND",  "id":51803,   "ctx":"conn12","msg":"Slow query","attr":{"type":"command","ns":"shop.orders","command":{"find":"orders","filter":{"status":"open"}},"planSummary":"COLLSCAN","durationMillis":8123}}"#,
        utc: Some("2024-11-14T14:02:12.450Z"),
        level: Level::Warning,
        status: None,
    },
    Sample {
        line: r#"{"t":{"$date":"2024-11-14T15:02:13.001+01:00"},"s":"E",  "c":"REPL",     "id":21426,   "ctx":"ReplCoord-3","msg":"Error in heartbeat","attr":{"target":"db2.example.net:27017","error":{"code":6,"codeName":"HostUnreachable","errmsg":"Error connecting to db2.example.net:27017 :: caused by :: Connection refused"}}}"#,
        utc: Some("2024-11-14T14:02:13.001Z"),
        level: Level::Error,
        status: None,
    },
    Sample {
        line: r#"{"t":{"$date":"2024-11-14T14:02:14.000+00:00"},"s":"F",  "c":"STORAGE",  "id":28559,   "ctx":"WTCheckpointThread","msg":"WiredTiger error message","attr":{"error":28,"message":"No space left on device"}}"#,
        utc: Some("2024-11-14T14:02:14Z"),
        level: Level::Critical,
        status: None,
    },
    Sample {
        line: r#"{"t":{"$date":"2024-11-14T14:02:15.500Z"},"s":"D2", "c":"QUERY",    "id":20967,   "ctx":"conn13","msg":"Beginning planning"}"#,
        utc: Some("2024-11-14T14:02:15.500Z"),
        level: Level::Debug,
        status: None,
    },
    Sample {
        line: "2024-11-14T14:02:16.700+0000 E NETWORK  [conn14] SocketException handling request, closing client connection: 9001 socket exception [SEND_ERROR]",
        utc: Some("2024-11-14T14:02:16.700Z"),
        level: Level::Error,
        status: None,
    },
];

pub static MONGODB: Format = Format {
    name: "mongodb",
    description: "MongoDB server log: 4.4+ structured JSON, and the text layouts before it",
    source: SourceKind::Database,
    specificity: 50,
    yearless: false,
    parse: parse_mongodb,
    samples: SAMPLES,
};

#[cfg(test)]
mod tests {
    use super::*;

    fn event(line: &str) -> Event<'_> {
        match parse_mongodb(line.as_bytes()) {
            Parsed::Event(e) => e,
            other => panic!("{line:?} parsed as {other:?}"),
        }
    }

    #[test]
    fn json_fields() {
        let e = event(SAMPLES[2].line);
        assert_eq!(e.component, Some(&b"REPL"[..]));
        assert!(
            e.message
                .starts_with(br#""msg":"Error in heartbeat","attr":{"#)
        );
        assert!(e.message.ends_with(b"Connection refused\"}}"));
        let e = event(SAMPLES[4].line);
        assert_eq!(e.message, br#""msg":"Beginning planning""#);
        assert_eq!(
            parse_mongodb(br#"{"level":"info","msg":"x"}"#),
            Parsed::NotMine
        );
    }

    #[test]
    fn text_layouts() {
        let e = event(SAMPLES[5].line);
        assert_eq!(e.component, Some(&b"NETWORK"[..]));
        let e = event(
            "2016-11-20T00:04:00.110+0100 [conn1] Failed to authenticate root@admin with mechanism MONGODB-CR",
        );
        assert_eq!((e.level, e.component), (Level::Unknown, None));
        assert!(e.message.starts_with(b"Failed"));
        let e = event("2019-01-01T10:00:00.000+0000 I -        [conn1] end connection");
        assert_eq!(e.component, None);
        assert_eq!(
            parse_mongodb(b"2024-11-14 14:02:11 [main] INFO x"),
            Parsed::NotMine
        );
        assert_eq!(
            parse_mongodb(b" mongod(_ZN5mongo15printStackTraceEv+0x2d) [0x55d]"),
            Parsed::Continuation
        );
        for s in SAMPLES {
            for end in 0..=s.line.len() {
                let _ = parse_mongodb(&s.line.as_bytes()[..end]);
            }
        }
    }
}
