//! Reading one input: open it, recognise its compression, detect its format on a sample, infer
//! years if the format lacks them, then parse it — in parallel chunks when it is a plain file,
//! as one stream otherwise.

use super::partial::{ChunkPartial, ChunkSetup, parse_chunk};
use super::{EventSink, FileContext, FileResult, IngestOptions, InputSummary};
use crate::format::{self, Detection, Format, Parsed};
use crate::input::{Compression, InputFile, InputPath, RangeReader, io_message, plan_chunks};
use crate::progress::{CountingReader, Progress};
use crate::time::year::{YearScan, chunk_start_years};
use crate::time::{LineTime, Timestamp, ZoneConverter};
use rayon::prelude::*;
use std::cell::RefCell;
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileExt;

thread_local! {
    /// Each worker's line buffer, reused across chunks so reading allocates once per thread.
    static BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with this thread's line buffer, or a fresh one if it is already in use (a worker
/// that picked up a nested task while waiting).
fn with_buffer<T>(f: impl FnOnce(&mut Vec<u8>) -> T) -> T {
    BUFFER.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => f(&mut buf),
        Err(_) => f(&mut Vec::new()),
    })
}

pub(super) fn ingest_file<S: EventSink>(
    index: usize,
    input: &InputFile,
    opts: &IngestOptions,
    make_sink: &(dyn Fn(&FileContext) -> S + Sync),
    progress: &Progress,
) -> FileResult<S> {
    let outcome = match &input.path {
        InputPath::File(path) => File::open(path).and_then(|file| {
            let meta = file.metadata()?;
            let mtime = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| Timestamp::from_unix_seconds(d.as_secs() as i64, 0))
                .unwrap_or(opts.now);
            read_file(
                index,
                input,
                &file,
                meta.len(),
                mtime,
                opts,
                make_sink,
                progress,
            )
        }),
        InputPath::Stdin => read_stream(index, input, io::stdin(), opts, make_sink),
        InputPath::Stream(path) => {
            File::open(path).and_then(|f| read_stream(index, input, f, opts, make_sink))
        }
    };
    match outcome {
        Ok(result) => result,
        Err(e) => {
            let context = context_for(index, input, None);
            FileResult {
                summary: summarize(
                    input,
                    &Detection::forced(format::FALLBACK),
                    Compression::None,
                    None,
                    None,
                ),
                sink: make_sink(&context),
                error: Some(io_message(&e)),
                opened: false,
            }
            .unreadable()
        }
    }
}

impl<S> FileResult<S> {
    /// A result for an input that could not be opened: no format, nothing counted.
    fn unreadable(mut self) -> FileResult<S> {
        self.summary.format = "unreadable".to_string();
        self.summary.confidence = 0.0;
        self.summary.source = None;
        self
    }
}

fn context_for(index: usize, input: &InputFile, format: Option<&'static Format>) -> FileContext {
    FileContext {
        index,
        display: input.display.clone(),
        format,
        source: format.map(|f| f.source),
    }
}

/// The format for an input: forced by `--log-format`, or detected from its first bytes.
fn choose_format(input: &InputFile, opts: &IngestOptions, sample: &[u8]) -> Detection {
    match opts.formats.format_for(&input.display) {
        Some(f) => Detection::forced(f),
        None => format::detect(whole_lines(sample)),
    }
}

/// `sample` cut after its last newline, unless it has none (a one-line file).
fn whole_lines(sample: &[u8]) -> &[u8] {
    match memchr::memrchr(b'\n', sample) {
        Some(i) => &sample[..=i],
        None => sample,
    }
}

fn read_head(reader: &mut impl Read, limit: usize) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(limit.min(1 << 20));
    reader.take(limit as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// Whether a line starts an event with its own time: where a chunk may begin.
fn starts_event(format: &Format, line: &[u8]) -> bool {
    matches!((format.parse)(line), Parsed::Event(e) if e.time.is_some())
}

/// Scans a stream of lines for the wall-clock positions of its yearless timestamps.
fn year_scan(format: &Format, reader: impl Read, buf: &mut Vec<u8>) -> (YearScan, io::Result<()>) {
    let mut scan = YearScan::default();
    let (_, result) = crate::input::for_each_line(reader, buf, |line, _| {
        if let Parsed::Event(e) = (format.parse)(line)
            && let Some(LineTime::Civil(c)) = e.time
            && c.year.is_none()
            && c.is_valid()
        {
            scan.observe(&c);
        }
    });
    (scan, result)
}

#[allow(clippy::too_many_arguments)]
fn read_file<S: EventSink>(
    index: usize,
    input: &InputFile,
    file: &File,
    len: u64,
    mtime: Timestamp,
    opts: &IngestOptions,
    make_sink: &(dyn Fn(&FileContext) -> S + Sync),
    progress: &Progress,
) -> io::Result<FileResult<S>> {
    let mut magic = [0u8; 4];
    let n = file.read_at(&mut magic, 0)?;
    let compression = Compression::sniff(&magic[..n]);
    let zone = opts.zones.zone_for(std::path::Path::new(&input.display));
    let detect_sample = |compression: Compression| -> io::Result<Vec<u8>> {
        let raw = RangeReader::new(file, 0..len);
        let mut decoded = compression.decoder(raw)?;
        // A corrupt stream still gets detected on whatever decoded before the damage.
        let mut head = Vec::new();
        let _ = decoded
            .by_ref()
            .take(format::detect::SAMPLE_BYTES as u64)
            .read_to_end(&mut head);
        Ok(head)
    };
    let sample = detect_sample(compression)?;
    let detection = choose_format(input, opts, &sample);
    let format = detection.format;
    let context = context_for(index, input, format);

    if compression == Compression::None {
        let anchor = format.map(|f| move |line: &[u8]| starts_event(f, line));
        let anchor_ref = anchor.as_ref().map(|a| a as &dyn Fn(&[u8]) -> bool);
        let chunks = plan_chunks(file, len, opts.chunk_size, anchor_ref)?;
        let start_years: Vec<Option<i32>> = match format {
            Some(f) if f.yearless => {
                let scans: Vec<YearScan> = chunks
                    .par_iter()
                    .map(|r| {
                        with_buffer(|buf| year_scan(f, RangeReader::new(file, r.clone()), buf).0)
                    })
                    .collect();
                chunk_start_years(&scans, mtime)
                    .into_iter()
                    .map(Some)
                    .collect()
            }
            _ => vec![None; chunks.len()],
        };
        let errors = std::sync::Mutex::new(None::<io::Error>);
        let merged = chunks
            .par_iter()
            .zip(start_years)
            .map(|(range, start_year)| {
                let reader = CountingReader {
                    inner: RangeReader::new(file, range.clone()),
                    progress,
                };
                let setup = ChunkSetup {
                    format,
                    context: &context,
                    converter: ZoneConverter::new(zone.clone()),
                    start_year,
                };
                let (partial, result) =
                    with_buffer(|buf| parse_chunk(reader, buf, setup, make_sink(&context)));
                if let Err(e) = result {
                    errors.lock().expect("not poisoned").get_or_insert(e);
                }
                partial
            })
            .reduce_with(ChunkPartial::merge)
            .unwrap_or_else(|| ChunkPartial::new(make_sink(&context)))
            .finish();
        let error = errors.into_inner().expect("not poisoned");
        return Ok(finish(
            input,
            &detection,
            compression,
            merged,
            &zone,
            error.map(|e| io_message(&e)),
        ));
    }

    // Compressed: one stream through the decoder; years need a first pass over it.
    let start_year = match format {
        Some(f) if f.yearless => {
            let decoded = compression.decoder(RangeReader::new(file, 0..len))?;
            let (scan, _) = with_buffer(|buf| year_scan(f, decoded, buf));
            Some(chunk_start_years(&[scan], mtime)[0])
        }
        _ => None,
    };
    let raw = CountingReader {
        inner: RangeReader::new(file, 0..len),
        progress,
    };
    let decoded = compression.decoder(raw)?;
    let setup = ChunkSetup {
        format,
        context: &context,
        converter: ZoneConverter::new(zone.clone()),
        start_year,
    };
    let (partial, result) =
        with_buffer(|buf| parse_chunk(decoded, buf, setup, make_sink(&context)));
    let error = result.err().map(|e| {
        format!(
            "{} stream is damaged after {} lines: {} (kept what was read before it)",
            compression.as_str(),
            partial.lines,
            io_message(&e)
        )
    });
    Ok(finish(
        input,
        &detection,
        compression,
        partial.finish(),
        &zone,
        error,
    ))
}

/// Standard input or a FIFO: read once. The sample used for detection is replayed in front of
/// the rest of the stream.
fn read_stream<S: EventSink>(
    index: usize,
    input: &InputFile,
    raw: impl Read + Send,
    opts: &IngestOptions,
    make_sink: &(dyn Fn(&FileContext) -> S + Sync),
) -> io::Result<FileResult<S>> {
    let mut raw = io::BufReader::with_capacity(1 << 20, raw);
    let magic = io::BufRead::fill_buf(&mut raw)?;
    let compression = Compression::sniff(magic);
    let mut decoded = compression.decoder(raw)?;
    let sample = read_head(&mut decoded, format::detect::SAMPLE_BYTES)?;
    let detection = choose_format(input, opts, &sample);
    let format = detection.format;
    let context = context_for(index, input, format);
    let zone = opts.zones.zone_for(std::path::Path::new(&input.display));
    // A pipe cannot be read twice: the year comes from the sample and "now".
    let start_year = match format {
        Some(f) if f.yearless => {
            let (scan, _) = with_buffer(|buf| year_scan(f, whole_lines(&sample), buf));
            let years = chunk_start_years(&[scan], opts.now);
            Some(years[0])
        }
        _ => None,
    };
    let setup = ChunkSetup {
        format,
        context: &context,
        converter: ZoneConverter::new(zone.clone()),
        start_year,
    };
    let reader = io::Cursor::new(sample).chain(decoded);
    let (partial, result) = with_buffer(|buf| parse_chunk(reader, buf, setup, make_sink(&context)));
    let error = result
        .err()
        .map(|e| format!("stopped reading: {}", io_message(&e)));
    Ok(finish(
        input,
        &detection,
        compression,
        partial.finish(),
        &zone,
        error,
    ))
}

fn finish<S>(
    input: &InputFile,
    detection: &Detection,
    compression: Compression,
    p: ChunkPartial<S>,
    zone: &crate::time::Zone,
    error: Option<String>,
) -> FileResult<S> {
    let mut summary = summarize(input, detection, compression, p.first_ts, p.last_ts);
    summary.lines = p.lines;
    summary.events = p.events;
    summary.continuation_lines = p.continuation_lines;
    summary.unparsed_lines = p.unparsed_lines;
    summary.blank_lines = p.blank_lines;
    summary.assumed_tz = p.used_assumed_zone.then(|| zone.name());
    summary.truncated_lines = p.truncated_lines;
    summary.skipped_bytes = p.skipped_bytes;
    debug_assert_eq!(
        summary.lines,
        summary.events + summary.continuation_lines + summary.unparsed_lines + summary.blank_lines
    );
    FileResult {
        summary,
        sink: p.sink,
        error,
        opened: true,
    }
}

fn summarize(
    input: &InputFile,
    detection: &Detection,
    compression: Compression,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
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
        first_ts: first.map(|t| t.to_string()),
        last_ts: last.map(|t| t.to_string()),
        assumed_tz: None,
        truncated_lines: 0,
        skipped_bytes: 0,
    }
}
