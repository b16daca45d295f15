//! The format of last resort: any line that starts with a recognisable timestamp is an event,
//! any other line continues the event before it (stack traces, wrapped messages). Used when no
//! specific format reads most of a file.

use super::{Event, Format, Level, Parsed, Sample, SourceKind};
use crate::time::parse::leading_timestamp;

/// The first level word among the first few words of `text`, looking through brackets, colons
/// and `level=` prefixes (`[WARN]`, `ERROR:`, `<error>`, `level=warn`).
pub fn level_near_start(text: &[u8], max_words: usize) -> Option<Level> {
    text.split(|c| *c == b' ' || *c == b'\t')
        .filter(|w| !w.is_empty())
        .take(max_words)
        .find_map(|word| {
            let word = word.strip_prefix(b"level=").unwrap_or(word);
            let trimmed = trim_punctuation(word);
            // Single letters are levels only where a logger writes them alone (glog's `E`), not
            // as words of a sentence, so they are left to the specific formats.
            (trimmed.len() > 1)
                .then(|| Level::from_word(trimmed))
                .flatten()
        })
}

fn trim_punctuation(word: &[u8]) -> &[u8] {
    let is_punct = |c: &u8| {
        matches!(
            c,
            b'[' | b']' | b'(' | b')' | b'<' | b'>' | b':' | b'|' | b',' | b'"' | b'\''
        )
    };
    let start = word.iter().position(|c| !is_punct(c)).unwrap_or(word.len());
    let end = word
        .iter()
        .rposition(|c| !is_punct(c))
        .map_or(start, |e| e + 1);
    &word[start..end.max(start)]
}

fn parse_generic(line: &[u8]) -> Parsed<'_> {
    match leading_timestamp(line) {
        Some((time, used)) => {
            let rest = line.get(used..).unwrap_or(&[]);
            let mut event = Event::new(time, line);
            event.level = level_near_start(rest, 4).unwrap_or(Level::Unknown);
            Parsed::Event(event)
        }
        None => Parsed::Continuation,
    }
}

const GENERIC_SAMPLES: &[Sample] = &[
    Sample {
        line: "2024-11-14 14:02:11,123 ERROR [worker-3] payment failed: upstream timeout",
        utc: Some("2024-11-14T14:02:11.123Z"),
        level: Level::Error,
        status: None,
    },
    Sample {
        line: "[2024-11-14T14:02:12Z] <warn> queue depth 10423",
        utc: Some("2024-11-14T14:02:12Z"),
        level: Level::Warning,
        status: None,
    },
    Sample {
        line: "    at com.example.Pay.charge(Pay.java:42)",
        utc: None,
        level: Level::Unknown,
        status: None,
    },
];

pub static GENERIC: Format = Format {
    name: "generic",
    description: "Any line with a leading timestamp; other lines continue the previous event",
    source: SourceKind::Application,
    specificity: 0,
    yearless: true,
    parse: parse_generic,
    samples: GENERIC_SAMPLES,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_levels_in_common_spellings() {
        assert_eq!(level_near_start(b"[WARN] x", 3), Some(Level::Warning));
        assert_eq!(level_near_start(b"main ERROR: boom", 3), Some(Level::Error));
        assert_eq!(level_near_start(b"level=info msg=x", 3), Some(Level::Info));
        assert_eq!(level_near_start(b"a b c d error", 3), None);
        assert_eq!(level_near_start(b"I am fine", 3), None);
        assert_eq!(level_near_start(b"[]", 3), None);
    }
}
