//! Parsing an opened input: a plain file in parallel newline-aligned chunks, a compressed file
//! or a pipe as one stream (but a compressed file that is most of the run in blocks, see
//! `blocks`). Yearless formats get their years from a first pass (see `time::year`) before
//! the lines are parsed.

use super::open::{Bytes, Opened, whole_lines};
use super::partial::{ChunkPartial, ChunkSetup, parse_chunk};
use super::{EventSink, FileContext, FileResult, InputSummary, SkipReason, Skipped};
use crate::format::{Detection, Format, Parsed};
use crate::input::compression::Position;
use crate::input::{Compression, InputFile, RangeReader, for_each_line, io_message, plan_chunks};
use crate::progress::{CountingReader, Progress};
use crate::time::year::{YearAnchor, YearScan, chunk_start_years};
use crate::time::{LineTime, ZoneConverter};
use rayon::prelude::*;
use std::cell::RefCell;
use std::fs::File;
use std::io::{self, Read};
use std::sync::{Arc, Mutex};

thread_local! {
    /// Each worker's line buffer, reused across chunks so reading allocates once per thread.
    static BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with this thread's line buffer, or a fresh one if it is already in use (a worker
/// that picked up a nested task while waiting).
pub(super) fn with_buffer<T>(f: impl FnOnce(&mut Vec<u8>) -> T) -> T {
    BUFFER.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => f(&mut buf),
        Err(_) => f(&mut Vec::new()),
    })
}

/// Whether a line starts an event with its own time: where a chunk may begin.
pub(super) fn starts_event(format: &Format, line: &[u8]) -> bool {
    matches!((format.parse)(line), Parsed::Event(e) if e.time.is_some())
}

/// Scans lines for the wall-clock positions of their timestamps, with or without a year.
fn year_scan(format: &Format, reader: impl Read) -> YearScan {
    let mut scan = YearScan::default();
    with_buffer(|buf| {
        let _ = for_each_line(reader, buf, |line, _| {
            if let Parsed::Event(e) = (format.parse)(line)
                && let Some(LineTime::Civil(c)) = e.time
                && c.is_valid()
            {
                scan.observe(&c);
            }
        });
    });
    scan
}

pub fn context_for(
    index: usize,
    input: &InputFile,
    format: Option<&'static Format>,
    host: Option<String>,
) -> FileContext {
    FileContext {
        index,
        display: input.display.clone(),
        format,
        source: format.map(|f| f.source),
        host,
    }
}

/// Parses an opened input. `follows_rotation` says an older rotation of the same log was read
/// just before it.
/// How a file is cut for the pool.
pub struct Split {
    /// About how many bytes a chunk (or a block of a compressed stream) holds.
    pub chunk_size: u64,
    /// The bytes on disk of the whole run: a compressed file that is most of them is read in
    /// blocks spread over the pool, as nothing else would keep the other threads busy.
    pub run_bytes: u64,
}

pub fn read<S: EventSink>(
    context: FileContext,
    input: &InputFile,
    opened: Opened,
    follows_rotation: bool,
    split: Split,
    make_sink: &(dyn Fn(&FileContext) -> S + Sync),
    progress: &Progress,
) -> FileResult<S> {
    let format = opened.detection.format;
    // Lines without a year that turn up where the sample had none take the file's year.
    let fallback_year = opened.mtime.to_civil_utc().year;
    let setup = |start_year| {
        let mut converter = ZoneConverter::new(opened.zone.clone());
        converter.default_year = fallback_year;
        ChunkSetup {
            format,
            context: &context,
            converter,
            start_year,
        }
    };
    let yearless = format.filter(|_| opened.needs_years);
    let disk_bytes = match &opened.bytes {
        Bytes::File { len, .. } => Some(*len),
        Bytes::Stream { .. } => None,
    };
    let mut skipped = Vec::new();
    let (partial, error) = match opened.bytes {
        // Plain files are opened again here (see `Bytes::File`).
        Bytes::File { ref path, len } => match File::open(path) {
            Err(e) => (ChunkPartial::new(make_sink(&context)), Some(io_message(&e))),
            Ok(file) if opened.compression == Compression::None => {
                let (p, error) = read_chunks(
                    &file,
                    len,
                    split.chunk_size,
                    opened.needs_years.then_some(opened.year_anchor),
                    &context,
                    setup,
                    make_sink,
                    progress,
                );
                let changed = changed_while_read(&file, len, &mut skipped);
                (p, error.or(changed))
            }
            Ok(file) => read_compressed(
                &file,
                len,
                // Reading a stream whole keeps each decoded piece in the cache that decoded it;
                // blocks handed to other threads are worth that only when they would idle.
                (len.saturating_mul(2) > split.run_bytes).then_some(split.chunk_size),
                opened.compression,
                opened.year_anchor,
                yearless,
                &context,
                setup,
                make_sink,
                progress,
                &mut skipped,
            ),
        },
        Bytes::Stream { sample, rest } => {
            // A pipe cannot be read twice: the year comes from the sample and "now".
            let start_year = yearless.map(|f| {
                chunk_start_years(&[year_scan(f, whole_lines(&sample))], opened.year_anchor)[0]
            });
            let reader = io::Cursor::new(sample).chain(rest);
            let (p, result) =
                with_buffer(|buf| parse_chunk(reader, buf, setup(start_year), make_sink(&context)));
            let error = result.err().map(|e| {
                let message = format!(
                    "stopped reading after {} lines: {}; kept what was read before it",
                    p.lines,
                    io_message(&e)
                );
                if opened.compression != Compression::None {
                    // What a pipe still held is not read: its size is unknown.
                    skipped.push(Skipped {
                        reason: SkipReason::DamagedStream,
                        bytes: 0,
                        detail: message.clone(),
                    });
                }
                message
            });
            (p, error)
        }
    };
    let partial = partial.finish(follows_rotation);
    let mut summary = summarize(input, &opened.detection, opened.compression);
    summary.lines = partial.lines;
    summary.events = partial.events;
    summary.continuation_lines = partial.continuation_lines;
    summary.unparsed_lines = partial.unparsed_lines;
    summary.blank_lines = partial.blank_lines;
    summary.first_ts = partial.first_ts.map(|t| t.to_string());
    summary.last_ts = partial.last_ts.map(|t| t.to_string());
    summary.first_time = partial.first_ts;
    summary.bytes = disk_bytes.unwrap_or(partial.bytes);
    summary.last_time = partial.last_ts;
    summary.assumed_tz = partial.used_assumed_zone.then(|| opened.zone.name());
    summary.truncated_lines = partial.truncated_lines;
    if partial.truncated_lines > 0 {
        skipped.insert(
            0,
            Skipped {
                reason: SkipReason::LineTooLong,
                bytes: partial.skipped_bytes,
                detail: format!(
                    "{} lines longer than {} bytes were cut there, the first at line {} ({} bytes skipped)",
                    partial.truncated_lines,
                    crate::input::lines::MAX_LINE,
                    partial.first_truncated.map_or(0, |l| l + 1),
                    partial.skipped_bytes
                ),
            },
        );
    }
    summary.skipped_bytes = skipped.iter().map(|s| s.bytes).sum();
    summary.skipped = skipped;
    debug_assert_eq!(
        summary.lines,
        summary.events + summary.continuation_lines + summary.unparsed_lines + summary.blank_lines
    );
    FileResult {
        summary,
        sink: partial.sink,
        error,
        opened: true,
    }
}

/// A compressed file: one stream (decoded twice when years must be inferred first). A stream
/// that breaks keeps what decoded before the break; the compressed bytes after the last that
/// decoded are added to `skipped`.
#[allow(clippy::too_many_arguments)]
fn read_compressed<'c, S: EventSink>(
    file: &File,
    len: u64,
    // Blocks of about this many decoded bytes are parsed on the pool; `None`: one reader.
    blocks: Option<u64>,
    compression: Compression,
    year_anchor: YearAnchor,
    yearless: Option<&'static Format>,
    context: &'c FileContext,
    setup: impl Fn(Option<i32>) -> ChunkSetup<'c> + Sync,
    make_sink: &(dyn Fn(&FileContext) -> S + Sync),
    progress: &Progress,
    skipped: &mut Vec<Skipped>,
) -> (ChunkPartial<S>, Option<String>) {
    let position = Arc::new(Position::default());
    let start_year = match (
        yearless,
        compression.decoder(RangeReader::new(file, 0..len)),
    ) {
        (Some(f), Ok(d)) => Some(chunk_start_years(&[year_scan(f, d)], year_anchor)[0]),
        _ => None,
    };
    let raw = CountingReader {
        inner: RangeReader::new(file, 0..len),
        progress,
    };
    let decoded = match compression.decoder_tracking(raw, Arc::clone(&position)) {
        Ok(d) => d,
        Err(e) => return (ChunkPartial::new(make_sink(context)), Some(io_message(&e))),
    };
    // Years are counted from the stream's start, which a block cannot know: a yearless
    // file is read whole, as is any file on one thread.
    let (p, result) = match blocks.filter(|_| yearless.is_none()) {
        Some(size) if rayon::current_num_threads() > 1 => {
            let size = usize::try_from(size).unwrap_or(usize::MAX);
            super::blocks::parse_blocks(decoded, size, context.format, &setup, make_sink, context)
        }
        _ => with_buffer(|buf| parse_chunk(decoded, buf, setup(start_year), make_sink(context))),
    };
    let error = result.err().map(|e| {
        let rest = len.saturating_sub(position.decoded_through());
        let message = format!(
            "{} stream is damaged after {} lines: {}; kept what was read before it, skipped the {rest} compressed bytes from there",
            compression.as_str(),
            p.lines,
            io_message(&e)
        );
        skipped.push(Skipped {
            reason: SkipReason::DamagedStream,
            bytes: rest,
            detail: message.clone(),
        });
        message
    });
    (p, error)
}

/// A plain file: planned chunks parsed in parallel, merged in order.
#[allow(clippy::too_many_arguments)]
fn read_chunks<'c, S: EventSink>(
    file: &File,
    len: u64,
    chunk_size: u64,
    // What yearless lines count their years from; `None` when the file needs no years (its
    // format can lack them, but its lines state them), so no lines are parsed twice.
    year_anchor: Option<YearAnchor>,
    context: &'c FileContext,
    setup: impl Fn(Option<i32>) -> ChunkSetup<'c> + Sync,
    make_sink: &(dyn Fn(&FileContext) -> S + Sync),
    progress: &Progress,
) -> (ChunkPartial<S>, Option<String>) {
    let format = context.format;
    let anchor = format.map(|f| move |line: &[u8]| starts_event(f, line));
    let anchor_ref = anchor.as_ref().map(|a| a as &dyn Fn(&[u8]) -> bool);
    let chunks = match plan_chunks(file, len, chunk_size, anchor_ref) {
        Ok(c) => c,
        Err(e) => return (ChunkPartial::new(make_sink(context)), Some(io_message(&e))),
    };
    let start_years: Vec<Option<i32>> = match format.filter(|f| f.yearless).zip(year_anchor) {
        Some((f, year_anchor)) => {
            let scans: Vec<YearScan> = chunks
                .par_iter()
                .map(|r| year_scan(f, RangeReader::new(file, r.clone())))
                .collect();
            chunk_start_years(&scans, year_anchor)
                .into_iter()
                .map(Some)
                .collect()
        }
        None => vec![None; chunks.len()],
    };
    let first_error = Mutex::new(None::<io::Error>);
    let merged = chunks
        .par_iter()
        .zip(start_years)
        .map(|(range, start_year)| {
            let reader = CountingReader {
                inner: RangeReader::new(file, range.clone()),
                progress,
            };
            let (partial, result) =
                with_buffer(|buf| parse_chunk(reader, buf, setup(start_year), make_sink(context)));
            if let Err(e) = result {
                first_error.lock().expect("not poisoned").get_or_insert(e);
            }
            partial
        })
        .reduce_with(ChunkPartial::merge)
        .unwrap_or_else(|| ChunkPartial::new(make_sink(context)));
    let error = first_error.into_inner().expect("not poisoned");
    (merged, error.map(|e| io_message(&e)))
}

/// Whether a plain file read as `len` bytes changed size while it was read: bytes appended
/// since are reported as skipped (they were not read); a file cut shorter (truncated, or
/// rotated with copytruncate) is an error message, its lines past the cut were never there.
fn changed_while_read(file: &File, len: u64, skipped: &mut Vec<Skipped>) -> Option<String> {
    let now = file.metadata().ok()?.len();
    if now > len {
        let grown = now - len;
        skipped.push(Skipped {
            reason: SkipReason::GrewWhileRead,
            bytes: grown,
            detail: format!(
                "grew by {grown} bytes while it was read; read the first {len} bytes, as it was when opened"
            ),
        });
        None
    } else if now < len {
        Some(format!(
            "shrank from {len} to {now} bytes while it was read (truncated or rotated?); kept what was read"
        ))
    } else {
        None
    }
}

pub fn summarize(
    input: &InputFile,
    detection: &Detection,
    compression: Compression,
) -> InputSummary {
    InputSummary {
        path: input.display.clone(),
        format: detection.format.map_or("unknown", |f| f.name).to_string(),
        confidence: (detection.confidence * 100.0).round() / 100.0,
        source: detection.format.map(|f| f.source),
        compression: compression.as_str(),
        lines: 0,
        events: 0,
        continuation_lines: 0,
        unparsed_lines: 0,
        blank_lines: 0,
        first_ts: None,
        last_ts: None,
        assumed_tz: None,
        skipped_bytes: 0,
        skipped: Vec::new(),
        truncated_lines: 0,
        first_time: None,
        last_time: None,
        bytes: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn growth_is_skipped_bytes_and_shrinking_an_error() {
        let mut t = tempfile::NamedTempFile::new().unwrap();
        t.write_all(b"one\ntwo\n").unwrap();
        let file = t.reopen().unwrap();
        let mut skipped = Vec::new();
        assert_eq!(changed_while_read(&file, 8, &mut skipped), None);
        assert!(skipped.is_empty());
        t.write_all(b"three\n").unwrap();
        assert_eq!(changed_while_read(&file, 8, &mut skipped), None);
        assert_eq!(skipped.len(), 1);
        assert_eq!(
            (skipped[0].reason, skipped[0].bytes),
            (SkipReason::GrewWhileRead, 6)
        );
        t.as_file().set_len(3).unwrap();
        let e = changed_while_read(&file, 8, &mut skipped).unwrap();
        assert!(e.contains("shrank from 8 to 3 bytes"), "{e}");
    }
}
