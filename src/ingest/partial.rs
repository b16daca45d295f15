//! Reading one chunk's lines into a mergeable partial result.
//!
//! Every line is accounted for exactly once: blank, an event, a continuation of an event, or
//! unparsed. Lines that look like continuations but come before any event of the chunk are
//! held as "leading orphans" until merging says whether an earlier chunk had an event for them
//! to continue; a file's orphans that never find one are unparsed.

use super::{EventSink, FileContext};
use crate::format::{Format, Parsed};
use crate::input::{LineStats, for_each_line};
use crate::time::year::YearTracker;
use crate::time::{LineTime, Timestamp, ZoneConverter, earliest, latest};
use std::io::{self, Read};

/// The counts and extremes of a run of lines, plus the sink's own partial result.
#[derive(Debug)]
pub struct ChunkPartial<S> {
    pub lines: u64,
    /// Bytes of the lines read, newlines included (decoded bytes for compressed input).
    pub bytes: u64,
    pub events: u64,
    pub continuation_lines: u64,
    pub unparsed_lines: u64,
    pub blank_lines: u64,
    pub leading_orphans: u64,
    pub has_event: bool,
    pub first_ts: Option<Timestamp>,
    pub last_ts: Option<Timestamp>,
    pub used_assumed_zone: bool,
    pub truncated_lines: u64,
    /// The 0-based index of the first line cut at the maximum length, to name it.
    pub first_truncated: Option<u64>,
    pub skipped_bytes: u64,
    pub sink: S,
}

impl<S: EventSink> ChunkPartial<S> {
    pub fn new(sink: S) -> ChunkPartial<S> {
        ChunkPartial {
            lines: 0,
            bytes: 0,
            events: 0,
            continuation_lines: 0,
            unparsed_lines: 0,
            blank_lines: 0,
            leading_orphans: 0,
            has_event: false,
            first_ts: None,
            last_ts: None,
            used_assumed_zone: false,
            truncated_lines: 0,
            first_truncated: None,
            skipped_bytes: 0,
            sink,
        }
    }

    /// Appends the partial of the lines that follow this one. Associative, so chunks can be
    /// combined in any grouping as long as their order is kept.
    pub fn merge(mut self, later: ChunkPartial<S>) -> ChunkPartial<S> {
        if self.has_event {
            self.continuation_lines += later.leading_orphans;
        } else {
            self.leading_orphans += later.leading_orphans;
        }
        self.sink.merge(later.sink, self.lines);
        self.first_truncated = self
            .first_truncated
            .or(later.first_truncated.map(|l| l + self.lines));
        self.lines += later.lines;
        self.bytes += later.bytes;
        self.events += later.events;
        self.continuation_lines += later.continuation_lines;
        self.unparsed_lines += later.unparsed_lines;
        self.blank_lines += later.blank_lines;
        self.has_event |= later.has_event;
        self.first_ts = earliest(self.first_ts, later.first_ts);
        self.last_ts = latest(self.last_ts, later.last_ts);
        self.used_assumed_zone |= later.used_assumed_zone;
        self.truncated_lines += later.truncated_lines;
        self.skipped_bytes += later.skipped_bytes;
        self
    }

    /// Closes the file's accounting. Continuation lines before the file's first event continue
    /// the last event of the rotation before it when there is one (`follows_rotation`);
    /// otherwise nothing claims them and they are unparsed.
    pub fn finish(mut self, follows_rotation: bool) -> ChunkPartial<S> {
        if follows_rotation {
            self.continuation_lines += self.leading_orphans;
        } else {
            self.unparsed_lines += self.leading_orphans;
        }
        self.leading_orphans = 0;
        self
    }
}

#[inline]
fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

/// How one chunk is read: its format, zone and, for yearless formats, the year it starts in.
pub struct ChunkSetup<'a> {
    pub format: Option<&'static Format>,
    pub context: &'a FileContext,
    pub converter: ZoneConverter,
    pub start_year: Option<i32>,
}

/// Reads every line of `reader` into a partial. A read error ends the chunk early; what was
/// read before it is kept and the error is returned beside it.
pub fn parse_chunk<R: Read, S: EventSink>(
    reader: R,
    buf: &mut Vec<u8>,
    setup: ChunkSetup<'_>,
    sink: S,
) -> (ChunkPartial<S>, io::Result<()>) {
    let ChunkSetup {
        format,
        context,
        mut converter,
        start_year,
    } = setup;
    let mut years = start_year.map(YearTracker::new);
    let mut p = ChunkPartial::new(sink);
    // The time of the last event with its own time, for events that inherit it.
    let mut last_time: Option<Timestamp> = None;
    let (stats, result) = for_each_line(reader, buf, |line, truncated| {
        let index = p.lines;
        if truncated && p.first_truncated.is_none() {
            p.first_truncated = Some(index);
        }
        p.lines += 1;
        p.bytes += line.len() as u64 + 1;
        if is_blank(line) {
            p.blank_lines += 1;
            return;
        }
        let Some(format) = format else {
            p.unparsed_lines += 1;
            p.sink.on_unparsed(context, index, line);
            return;
        };
        // Matched by reference: moving the event (some 190 bytes) out of the result was a
        // memcpy call per line.
        let parsed = (format.parse)(line);
        match &parsed {
            Parsed::Event(event) => {
                let ts = match event.time {
                    Some(LineTime::Civil(mut civil)) => {
                        if let Some(tracker) = years.as_mut() {
                            tracker.assign(&mut civil);
                        }
                        converter.civil_to_utc(&civil)
                    }
                    Some(LineTime::Utc(ts)) => Some(ts),
                    None => last_time,
                };
                if event.time.is_some() && ts.is_some() {
                    last_time = ts;
                }
                if let Some(t) = ts {
                    p.first_ts = earliest(p.first_ts, Some(t));
                    p.last_ts = latest(p.last_ts, Some(t));
                }
                p.events += 1;
                p.has_event = true;
                p.sink.on_event(context, index, ts, event, line);
            }
            Parsed::Continuation if p.has_event => {
                p.continuation_lines += 1;
                p.sink.on_continuation(context, index, line);
            }
            Parsed::Continuation => p.leading_orphans += 1,
            Parsed::NotMine => {
                p.unparsed_lines += 1;
                p.sink.on_unparsed(context, index, line);
            }
        }
    });
    let LineStats {
        truncated_lines,
        skipped_bytes,
    } = stats;
    p.truncated_lines = truncated_lines;
    p.skipped_bytes = skipped_bytes;
    p.used_assumed_zone = converter.used_assumed_zone;
    (p, result)
}
