//! Format detection: score every known format on a file's first lines and keep the best.
//!
//! A format's score is the share of the sample's non-blank lines it reads, as events or as
//! continuations of an event it read. Of the formats that read at least half the sample, the
//! one that reads most wins, and among equal scores the more specific one; a format that
//! starts far fewer events than the others (its "continuations" do the reading) is passed over (nginx's timed layout over plain
//! `combined`). Otherwise the generic fallback (any leading timestamp) is tried, and failing
//! that the file is `unknown`, and every line of it is reported as unparsed.

use super::{ALL, FALLBACK, Format, Parsed};

/// How many non-blank lines detection reads.
pub const SAMPLE_LINES: usize = 1000;
/// How many bytes of a file detection reads, at most.
pub const SAMPLE_BYTES: usize = 256 * 1024;
/// The share of the sample a format must read to be chosen.
pub const MIN_CONFIDENCE: f64 = 0.5;

/// The format chosen for a file and how sure detection is.
#[derive(Copy, Clone, Debug)]
pub struct Detection {
    /// `None` when nothing, not even the fallback, reads the file.
    pub format: Option<&'static Format>,
    /// The share of sampled lines the format reads, 0–1.
    pub confidence: f64,
    /// Whether the format was forced by `--log-format` rather than detected.
    pub forced: bool,
}

impl Detection {
    pub fn forced(format: &'static Format) -> Detection {
        Detection {
            format: Some(format),
            confidence: 1.0,
            forced: true,
        }
    }
}

/// The non-blank lines of a sample, at most [`SAMPLE_LINES`].
fn sample_lines(sample: &[u8]) -> Vec<&[u8]> {
    sample
        .split(|c| *c == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .take(SAMPLE_LINES)
        .collect()
}

/// How well a format reads a sample.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Score {
    /// The share of lines read, as events or as continuations of an event read: the
    /// confidence reported, what formats are ranked by, and what must reach
    /// [`MIN_CONFIDENCE`].
    pub read: f64,
    /// The share of lines that start events.
    pub event_share: f64,
    pub events: usize,
}

/// A candidate whose lines are mostly "continuations" must still start a fair share of
/// events: at least this fraction of the best candidate's event share. Otherwise a format that
/// lets any text continue an event could claim a file from one matching line.
const MIN_EVENT_SHARE_OF_BEST: f64 = 1.0 / 20.0;

/// How well `format` reads `lines`.
pub fn score(format: &Format, lines: &[&[u8]]) -> Score {
    let mut events = 0usize;
    let mut continuations = 0usize;
    for line in lines {
        match (format.parse)(line) {
            Parsed::Event(_) => events += 1,
            Parsed::Continuation if events > 0 => continuations += 1,
            _ => {}
        }
    }
    let n = lines.len().max(1) as f64;
    Score {
        read: (events + continuations) as f64 / n,
        event_share: events as f64 / n,
        events,
    }
}

/// Detects the format of a file from the bytes at its start (whole lines).
pub fn detect(sample: &[u8]) -> Detection {
    let lines = sample_lines(sample);
    let candidates: Vec<(&'static Format, Score)> = ALL
        .iter()
        .map(|&f| (f, score(f, &lines)))
        .filter(|(_, s)| s.events > 0 && s.read >= MIN_CONFIDENCE)
        .collect();
    let most_events = candidates
        .iter()
        .map(|(_, s)| s.event_share)
        .fold(0.0, f64::max);
    let mut best: Option<(&'static Format, Score)> = None;
    for &(format, s) in &candidates {
        if s.event_share < most_events * MIN_EVENT_SHARE_OF_BEST {
            continue;
        }
        let better = match best {
            None => true,
            // Within half a percent is a tie, decided by specificity.
            Some((b, bs)) => {
                s.read > bs.read + 0.005
                    || ((s.read - bs.read).abs() <= 0.005 && format.specificity > b.specificity)
            }
        };
        if better {
            best = Some((format, s));
        }
    }
    if let Some((format, s)) = best {
        return Detection {
            format: Some(format),
            confidence: s.read,
            forced: false,
        };
    }
    let s = score(FALLBACK, &lines);
    if s.events > 0 && s.read >= MIN_CONFIDENCE {
        return Detection {
            format: Some(FALLBACK),
            confidence: s.read,
            forced: false,
        };
    }
    Detection {
        format: None,
        confidence: 0.0,
        forced: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_event_and_loose_continuations_do_not_win_a_file() {
        // `java` reads this whole file as one event and its "stack trace"; `combined` reads all
        // but the first line as events of their own.
        let access = r#"127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1 "-" "x""#;
        let mut text =
            String::from("2024-01-01 10:00:00,000 [main] ERROR com.example.App - boom\n");
        for _ in 0..40 {
            text.push_str(access);
            text.push('\n');
        }
        let lines = sample_lines(text.as_bytes());
        let java = score(&crate::format::java::JAVA, &lines);
        assert_eq!((java.read, java.events), (1.0, 1));
        assert_eq!(
            detect(text.as_bytes()).format.map(|f| f.name),
            Some("combined")
        );
    }

    #[test]
    fn unknown_when_nothing_reads_it() {
        let d = detect(b"hello\nworld\n");
        assert!(d.format.is_none());
        assert!(detect(b"").format.is_none());
    }

    #[test]
    fn falls_back_to_leading_timestamps() {
        let d = detect(b"2024-01-01 10:00:00 something odd\n  more\n2024-01-01 10:00:01 again\n");
        assert_eq!(d.format.map(|f| f.name), Some("generic"));
        assert_eq!(d.confidence, 1.0);
    }

    #[test]
    fn blank_lines_and_crlf_do_not_count() {
        let line = r#"127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1 "-" "x""#;
        let text = format!("{line}\r\n\r\n\n{line}\r\n");
        let d = detect(text.as_bytes());
        assert_eq!(d.format.map(|f| f.name), Some("combined"));
        assert_eq!(d.confidence, 1.0);
    }
}
