//! Formats: what a log line means.
//!
//! A [`Format`] is a small self-describing unit in the manner of lnav's format definitions: a
//! name, the kind of source it comes from, a parser from one line's bytes to an [`Event`], and
//! sample lines written from the product's documentation that are also its tests. Every format
//! is listed in [`ALL`]; [`detect`] picks one per file by scoring them on the file's first lines.
//!
//! Parsers are plain functions over borrowed bytes: they never allocate, keep no state between
//! lines (so any chunk of a file can be parsed on its own), and answer for every line whether it
//! starts an event, continues the previous one (a stack trace, a multi-line statement), or is
//! not theirs.

pub mod access;
mod access_fast;
pub mod apache_error;
pub mod aws_lb;
pub mod detect;
pub mod fields;
pub mod generic;
pub mod glog;
pub mod haproxy;
mod haproxy_fast;
pub mod java;
pub mod json;
pub mod json_scan;
pub mod logfmt;
pub mod mongodb;
pub mod mysql;
pub mod nginx_error;
pub mod postgres;
pub mod postgres_csv;
pub mod python;
pub mod redis;
pub mod syslog;
pub mod syslog5424;
mod syslog_wrap;
#[cfg(test)]
mod test_lines;

use crate::time::{CivilTime, LineTime};
use serde::{Deserialize, Serialize};

pub use detect::{Detection, detect};

/// Where in the stack a log comes from; decides which tier a signal belongs to.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    LoadBalancer,
    Web,
    Database,
    Application,
    System,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::LoadBalancer => "load_balancer",
            SourceKind::Web => "web",
            SourceKind::Database => "database",
            SourceKind::Application => "application",
            SourceKind::System => "system",
        }
    }
}

/// Severity as the line states it, normalised onto syslog's scale plus `trace`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Trace,
    Debug,
    #[default]
    Unknown,
    Info,
    Notice,
    Warning,
    Error,
    Critical,
    Alert,
    Emergency,
}

impl Level {
    /// Recognises the level words loggers write, in any case: `WARN`, `warning`, `E`, `FATAL`,
    /// `err`, `SEVERE`, syslog's names, PostgreSQL's `PANIC`/`FATAL`/`LOG`, and so on.
    pub fn from_word(word: &[u8]) -> Option<Level> {
        let mut buf = [0u8; 11];
        if word.is_empty() || word.len() > buf.len() {
            return None;
        }
        for (d, s) in buf.iter_mut().zip(word) {
            *d = s.to_ascii_lowercase();
        }
        Some(match &buf[..word.len()] {
            b"trace" | b"trc" | b"verbose" => Level::Trace,
            b"debug" | b"dbg" | b"debug1" | b"debug2" | b"debug3" | b"debug4" | b"debug5"
            | b"d" => Level::Debug,
            b"info" | b"information" | b"informational" | b"inf" | b"i" | b"log" => Level::Info,
            b"notice" | b"n" => Level::Notice,
            b"warn" | b"warning" | b"wrn" | b"w" => Level::Warning,
            b"error" | b"err" | b"e" | b"severe" => Level::Error,
            b"crit" | b"critical" | b"fatal" | b"f" | b"c" | b"panic" => Level::Critical,
            b"alert" | b"a" => Level::Alert,
            b"emerg" | b"emergency" => Level::Emergency,
            _ => return None,
        })
    }

    /// The level of a syslog severity number (0 = emergency … 7 = debug).
    pub fn from_syslog_severity(severity: u8) -> Level {
        match severity {
            0 => Level::Emergency,
            1 => Level::Alert,
            2 => Level::Critical,
            3 => Level::Error,
            4 => Level::Warning,
            5 => Level::Notice,
            6 => Level::Info,
            _ => Level::Debug,
        }
    }

    /// The level a request's HTTP status implies: 5xx error, 4xx warning, else info.
    pub fn from_http_status(status: u16) -> Level {
        match status {
            500.. => Level::Error,
            400..=499 => Level::Warning,
            _ => Level::Info,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Trace => "trace",
            Level::Debug => "debug",
            Level::Unknown => "unknown",
            Level::Info => "info",
            Level::Notice => "notice",
            Level::Warning => "warning",
            Level::Error => "error",
            Level::Critical => "critical",
            Level::Alert => "alert",
            Level::Emergency => "emergency",
        }
    }
}

/// The fields of one request in a request log (access and load-balancer logs).
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub struct Request<'a> {
    /// HTTP status as the edge sent it; 0 when there was none (a TCP log, a dropped request).
    pub status: u16,
    /// Total time to serve, in milliseconds, when the format carries it.
    pub latency_ms: Option<f64>,
    pub client: Option<&'a [u8]>,
    pub method: Option<&'a [u8]>,
    pub path: Option<&'a [u8]>,
    pub bytes_sent: Option<u64>,
    /// The upstream or backend server that handled it (`host:port`, or a backend name).
    pub upstream: Option<&'a [u8]>,
}

/// One log event, borrowing from the line it was parsed from.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Event<'a> {
    /// `None` when the line has no time of its own and takes the previous event's (a MySQL slow
    /// log's `# Query_time` line after its `# Time` line, for example).
    pub time: Option<LineTime>,
    pub level: Level,
    /// The host the line names, if any; otherwise the report uses the file's.
    pub host: Option<&'a [u8]>,
    /// The program, logger or component that wrote it, if the line says.
    pub component: Option<&'a [u8]>,
    /// The message text (raw bytes of the line: JSON strings are left escaped).
    pub message: &'a [u8],
    pub request: Option<Request<'a>>,
}

impl<'a> Event<'a> {
    /// An event with a wall-clock time and a message, nothing else yet.
    pub fn new(time: CivilTime, message: &'a [u8]) -> Event<'a> {
        Event {
            time: Some(LineTime::Civil(time)),
            level: Level::Unknown,
            host: None,
            component: None,
            message,
            request: None,
        }
    }
}

/// What a format makes of one line.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum Parsed<'a> {
    /// The line starts an event.
    Event(Event<'a>),
    /// The line belongs to the event before it (stack trace, multi-line SQL, wrapped text).
    Continuation,
    /// Not this format's line.
    NotMine,
}

/// A sample line from the product's documentation, and what parsing it must give.
#[derive(Copy, Clone, Debug)]
pub struct Sample {
    pub line: &'static str,
    /// The event's time in UTC (RFC 3339), with lines without a zone read as UTC and yearless
    /// ones given 2024. `None` for a continuation line or an event that inherits its time.
    pub utc: Option<&'static str>,
    pub level: Level,
    /// HTTP status for request logs.
    pub status: Option<u16>,
}

/// A log format: how to recognise and read one kind of file.
pub struct Format {
    /// Stable name used by `--log-format` and in reports: `nginx_error`, `postgres`, …
    pub name: &'static str,
    /// One line for `--help` and `docs/formats.md`.
    pub description: &'static str,
    pub source: SourceKind,
    /// Breaks ties in detection: among formats that read a file equally well, the one that
    /// extracts more (a stricter layout, more fields) wins.
    pub specificity: u8,
    /// Whether the timestamps lack a year, so the driver infers it.
    pub yearless: bool,
    pub parse: for<'a> fn(&'a [u8]) -> Parsed<'a>,
    pub samples: &'static [Sample],
}

impl std::fmt::Debug for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// Every known format. Detection tries them all; order only matters for equal scores.
pub static ALL: &[&Format] = &[
    &access::COMBINED,
    &access::COMMON,
    &access::NGINX_TIMED,
    &access::APACHE_TIMED,
    &access::INGRESS_NGINX,
    &nginx_error::NGINX_ERROR,
    &apache_error::APACHE_ERROR,
    &haproxy::HAPROXY,
    &aws_lb::AWS_ALB,
    &aws_lb::AWS_ELB,
    &postgres::POSTGRES,
    &postgres_csv::POSTGRES_CSV,
    &postgres_csv::POSTGRES_JSON,
    &mysql::MYSQL_ERROR,
    &mysql::MYSQL_SLOW,
    &redis::REDIS,
    &mongodb::MONGODB,
    &syslog::SYSLOG,
    &syslog5424::SYSLOG5424,
    &json::JSON,
    &logfmt::LOGFMT,
    &java::JAVA,
    &python::PYTHON,
    &glog::GLOG,
];

/// The format of last resort: any line with a recognisable leading timestamp.
pub static FALLBACK: &Format = &generic::GENERIC;

/// Looks a format up by its `--log-format` name.
pub fn by_name(name: &str) -> Option<&'static Format> {
    ALL.iter()
        .copied()
        .chain(std::iter::once(FALLBACK))
        .find(|f| f.name.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{Zone, ZoneConverter};

    /// Every sample of every format parses as documented.
    #[test]
    fn every_sample_parses_as_documented() {
        for format in ALL.iter().copied().chain(std::iter::once(FALLBACK)) {
            assert!(!format.samples.is_empty(), "{} has no samples", format.name);
            for sample in format.samples {
                let parsed = (format.parse)(sample.line.as_bytes());
                let mut conv = ZoneConverter::new(Zone::utc());
                conv.default_year = Some(2024);
                match (parsed, sample.utc) {
                    (Parsed::Event(ev), Some(expected)) => {
                        let ts = ev.time.and_then(|t| conv.to_utc(t)).unwrap_or_else(|| {
                            panic!("{}: no time in {:?}", format.name, sample.line)
                        });
                        assert_eq!(
                            ts.to_string(),
                            expected,
                            "{}: {:?}",
                            format.name,
                            sample.line
                        );
                        assert_eq!(
                            ev.level, sample.level,
                            "{}: level of {:?}",
                            format.name, sample.line
                        );
                        assert_eq!(
                            ev.request.map(|r| r.status),
                            sample.status,
                            "{}: status of {:?}",
                            format.name,
                            sample.line
                        );
                    }
                    (Parsed::Event(ev), None) => {
                        assert!(
                            ev.time.is_none(),
                            "{}: expected inherited time: {:?}",
                            format.name,
                            sample.line
                        )
                    }
                    (Parsed::Continuation, None) => {}
                    (other, _) => panic!("{}: {:?} parsed as {other:?}", format.name, sample.line),
                }
            }
        }
    }

    /// Each format's own samples, as a file, are detected as that format.
    #[test]
    fn every_format_detects_its_own_samples() {
        for format in ALL {
            let text: String = format
                .samples
                .iter()
                .map(|s| format!("{}\n", s.line))
                .collect();
            let d = detect(text.as_bytes());
            assert_eq!(
                d.format.map(|f| f.name),
                Some(format.name),
                "samples of {}",
                format.name
            );
        }
    }

    #[test]
    fn names_are_unique_and_lookup_works() {
        let mut names: Vec<&str> = ALL.iter().map(|f| f.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
        assert_eq!(by_name("GENERIC").map(|f| f.name), Some("generic"));
        assert!(by_name("nope").is_none());
    }

    #[test]
    fn level_words() {
        assert_eq!(Level::from_word(b"WARN"), Some(Level::Warning));
        assert_eq!(Level::from_word(b"Fatal"), Some(Level::Critical));
        assert_eq!(Level::from_word(b"LOG"), Some(Level::Info));
        assert_eq!(Level::from_word(b"whatever"), None);
        assert_eq!(Level::from_word(b""), None);
        assert!(Level::Error > Level::Warning && Level::Warning > Level::Info);
    }

    fn every_format() -> Vec<&'static Format> {
        ALL.iter().copied().chain([FALLBACK]).collect()
    }

    proptest::proptest! {
        /// No format panics on any bytes at all.
        #[test]
        fn no_format_panics_on_any_bytes(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            for f in every_format() {
                let _ = (f.parse)(&bytes);
            }
        }

        /// Nor on any format's sample lines with structural characters inserted or replaced.
        #[test]
        fn no_format_panics_on_mangled_samples(
            which in 0usize..1000,
            edits in proptest::collection::vec(
                (0usize..1000, proptest::sample::select(crate::format::test_lines::STRUCTURAL)),
                0..6,
            ),
        ) {
            let samples: Vec<&Sample> = every_format().iter().flat_map(|f| f.samples.iter()).collect();
            let line = crate::format::test_lines::mangle(samples[which % samples.len()].line, &edits);
            for f in every_format() {
                let _ = (f.parse)(&line);
            }
        }
    }
}
