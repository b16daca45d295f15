//! The ingest driver: reads every input, detects its format, and parses its lines into UTC
//! events in parallel, handing each event to an [`EventSink`] and accounting for every line.
//!
//! Files run in parallel; each plain file is cut into newline-aligned chunks that run in
//! parallel too; compressed files and pipes stream through one reader each, except a
//! compressed file that is most of the run, whose decoded stream is cut into blocks for the
//! pool as it is decoded (`blocks`). Each chunk or block yields a [`partial::ChunkPartial`]
//! (counts plus the sink's state) and partials merge in file order, associatively, so the
//! result does not depend on chunk size or thread count.

mod blocks;
mod open;
pub mod partial;
mod read;
mod rules;
mod unparsed;

pub use rules::{FormatRule, FormatRules, HostRule, HostRules};
pub use unparsed::UnparsedSamples;

use crate::format::{Event, Format, SourceKind};
use crate::input::{DEFAULT_CHUNK, InputFile, InputPath};
use crate::progress::Progress;
use crate::time::{Timestamp, ZoneRules};
use rayon::prelude::*;
use serde::Serialize;

/// Receives the events of one file. Each chunk gets its own sink; sinks of consecutive chunks
/// are then merged in order, so implementations must merge associatively.
pub trait EventSink: Send + Sized {
    /// An event. `index` is the 0-based line index within the chunk; after merging, within
    /// the file (see [`EventSink::merge`]). `time` is `None` when the line's time was
    /// unreadable. `line` is the whole line the event was parsed from.
    fn on_event(
        &mut self,
        file: &FileContext,
        index: u64,
        time: Option<Timestamp>,
        event: &Event<'_>,
        line: &[u8],
    );

    /// A line continuing the previous event of the same chunk.
    fn on_continuation(&mut self, _file: &FileContext, _line: u64, _text: &[u8]) {}

    /// A line the file's format does not read (not blank, not a continuation).
    fn on_unparsed(&mut self, _file: &FileContext, _line: u64, _text: &[u8]) {}

    /// Appends the sink of the chunk that follows; its line indexes are offset by `later_offset`.
    fn merge(&mut self, later: Self, later_offset: u64);
}

/// A sink that keeps nothing, for callers that only need the per-file accounting.
impl EventSink for () {
    fn on_event(&mut self, _: &FileContext, _: u64, _: Option<Timestamp>, _: &Event<'_>, _: &[u8]) {
    }
    fn merge(&mut self, _: Self, _: u64) {}
}

/// What a sink knows about the file its events come from.
#[derive(Clone, Debug)]
pub struct FileContext {
    /// Position of the file in the input list.
    pub index: usize,
    pub display: String,
    pub format: Option<&'static Format>,
    pub source: Option<SourceKind>,
    /// The host named for this file with `--host`, for events whose line names none.
    pub host: Option<String>,
}

/// How to ingest.
#[derive(Clone, Debug)]
pub struct IngestOptions {
    /// Worker threads; 0 uses every core.
    pub threads: usize,
    /// Target size of the chunks plain files are cut into.
    pub chunk_size: u64,
    /// How long a FIFO named as an input may have no writer before it is given up.
    pub fifo_wait: std::time::Duration,
    pub zones: ZoneRules,
    pub formats: FormatRules,
    pub hosts: HostRules,
    /// Draw a progress bar (still only on a terminal).
    pub progress: bool,
    /// "Now", for inferring years of yearless lines read from a pipe.
    pub now: Timestamp,
}

impl Default for IngestOptions {
    fn default() -> IngestOptions {
        IngestOptions {
            threads: 0,
            chunk_size: DEFAULT_CHUNK,
            fifo_wait: crate::input::fifo::DEFAULT_WAIT,
            zones: ZoneRules::default(),
            formats: FormatRules::default(),
            hosts: HostRules::default(),
            progress: false,
            now: now(),
        }
    }
}

/// The current time.
pub fn now() -> Timestamp {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp::from_unix_seconds(d.as_secs() as i64, d.subsec_micros())
}

/// One input's accounting, as `pmtrace formats` prints it and the report's `inputs` lists it.
/// Invariant: `lines = events + continuation_lines + unparsed_lines + blank_lines`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct InputSummary {
    pub path: String,
    pub format: String,
    pub confidence: f64,
    pub source: Option<SourceKind>,
    pub compression: &'static str,
    pub lines: u64,
    pub events: u64,
    pub continuation_lines: u64,
    pub unparsed_lines: u64,
    pub blank_lines: u64,
    pub first_ts: Option<String>,
    pub last_ts: Option<String>,
    pub assumed_tz: Option<String>,
    /// Bytes of the input that were not read into lines; `skipped` says why.
    pub skipped_bytes: u64,
    pub skipped: Vec<Skipped>,
    #[serde(skip)]
    pub truncated_lines: u64,
    #[serde(skip)]
    pub first_time: Option<Timestamp>,
    #[serde(skip)]
    pub last_time: Option<Timestamp>,
    /// Bytes read from disk or the pipe (compressed size for compressed files).
    #[serde(skip)]
    pub bytes: u64,
}

/// Why bytes of an input were not read into lines.
#[derive(Copy, Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// Lines longer than [`crate::input::lines::MAX_LINE`]: their bytes past it.
    LineTooLong,
    /// A compressed stream that breaks part way: the compressed bytes after the break.
    DamagedStream,
    /// Bytes appended to a plain file after it was opened.
    GrewWhileRead,
}

/// Bytes skipped for one reason, as the report's `inputs[].skipped[]` lists them.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Skipped {
    pub reason: SkipReason,
    pub bytes: u64,
    /// One sentence for people, the same as the warning on stderr.
    pub detail: String,
}

/// The outcome of reading one input.
#[derive(Debug)]
pub struct FileResult<S> {
    pub summary: InputSummary,
    pub sink: S,
    /// Why the input could not be read, or stopped being readable part way; printed as one
    /// line naming the file. The summary still holds whatever was read before.
    pub error: Option<String>,
    /// Whether any of it could be read at all.
    pub opened: bool,
}

/// Reads every input with `opts`, creating a sink per chunk with `make_sink`.
pub fn ingest<S: EventSink>(
    files: &[InputFile],
    opts: &IngestOptions,
    make_sink: &(dyn Fn(&FileContext) -> S + Sync),
) -> Vec<FileResult<S>> {
    let total: u64 = files
        .iter()
        .filter_map(|f| match &f.path {
            InputPath::File(p) => std::fs::metadata(p).ok().map(|m| m.len()),
            _ => None,
        })
        .sum();
    let progress = Progress::new(total, opts.progress);
    let run = || {
        let mut opened: Vec<std::io::Result<open::Opened>> = files
            .par_iter()
            .map(|input| open::open(input, opts))
            .collect();
        open::share_family_formats(files, &mut opened);
        open::anchor_years(&mut opened);
        files
            .par_iter()
            .zip(opened)
            .enumerate()
            .map(|(index, (input, opened))| match opened {
                Ok(o) => {
                    let follows_rotation = index > 0 && files[index - 1].family == input.family;
                    let host = opts
                        .hosts
                        .value_for(std::path::Path::new(&input.display))
                        .cloned();
                    let context = read::context_for(index, input, o.detection.format, host);
                    read::read(
                        context,
                        input,
                        o,
                        follows_rotation,
                        read::Split {
                            chunk_size: opts.chunk_size,
                            run_bytes: total,
                        },
                        make_sink,
                        &progress,
                    )
                }
                Err(e) => unreadable(index, input, &e, make_sink),
            })
            .collect()
    };
    let results = match rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()
    {
        Ok(pool) => pool.install(run),
        Err(_) => run(),
    };
    progress.finish();
    results
}

/// The result for an input that could not be opened: nothing counted, the reason kept.
fn unreadable<S>(
    index: usize,
    input: &InputFile,
    error: &std::io::Error,
    make_sink: &(dyn Fn(&FileContext) -> S + Sync),
) -> FileResult<S> {
    let detection = crate::format::Detection {
        format: None,
        confidence: 0.0,
        forced: false,
    };
    let mut summary = read::summarize(input, &detection, crate::input::Compression::None);
    summary.format = "unreadable".to_string();
    FileResult {
        summary,
        sink: make_sink(&read::context_for(index, input, None, None)),
        error: Some(crate::input::io_message(error)),
        opened: false,
    }
}
