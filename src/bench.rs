//! `pmtrace bench`: how fast the pipeline reads a given set of logs, stage by stage and format
//! by format, on this machine.
//!
//! Stages cannot be timed line by line without the timers costing more than the work, so each
//! stage is measured as a whole pass over every input that runs the pipeline up to it:
//! `read` (read, decompress, split into lines), `parse` (+ detect formats, parse lines, convert
//! timestamps), `timeline` (+ match pattern packs, aggregate into mergeable partials), and
//! `report` (+ merge, cluster templates, find incidents, render the JSON report): the last is
//! what `pmtrace --format json` does, less writing the output. A stage's own cost is the
//! difference from the one before. Each pass runs `runs` times after one warm-up read and the
//! fastest is kept, as the page cache and a busy neighbour only ever make a run slower.

use crate::aggregate::{TimelineConfig, TimelinePartial};
use crate::analysis;
use crate::incident::window::WindowConfig;
use crate::ingest::{self, EventSink, IngestOptions};
use crate::input::{self, Compression, InputFile, InputPath, RangeReader, for_each_line};
use crate::report::timeline::{Report, Stats};
use rayon::prelude::*;
use serde::Serialize;
use std::fs::File;
use std::io;
use std::sync::Arc;
use std::time::Instant;

/// What a bench run measures with.
#[derive(Clone, Debug)]
pub struct BenchOptions {
    pub ingest: IngestOptions,
    pub config: Arc<TimelineConfig>,
    pub windows: WindowConfig,
    /// Timed runs of each pass; the fastest counts.
    pub runs: usize,
    /// Also time each format's files alone.
    pub per_format: bool,
}

/// One stage: the pass that runs the pipeline up to it.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct StageTiming {
    pub stage: &'static str,
    /// What the pass does.
    pub work: &'static str,
    /// The fastest run of the pass (s).
    pub seconds: f64,
    /// Decompressed bytes per second through the pass, in MB (10⁶).
    pub mb_per_second: f64,
    pub lines_per_second: f64,
    /// This stage's own time: the pass less the one before it (s).
    pub stage_seconds: f64,
    /// Nanoseconds per line per thread this stage adds.
    pub stage_ns_per_line_per_thread: f64,
}

/// One format's files, alone.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct FormatTiming {
    pub format: String,
    pub files: usize,
    pub bytes: u64,
    pub lines: u64,
    /// Up to timestamps (the `parse` pass).
    pub parse_mb_per_second: f64,
    /// Up to the aggregated timeline (the `timeline` pass).
    pub timeline_mb_per_second: f64,
    pub timeline_lines_per_second: f64,
}

/// Everything a bench run found.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct BenchReport {
    pub files: usize,
    /// Bytes on disk (compressed where the inputs are).
    pub disk_bytes: u64,
    /// Bytes after decompression: what the throughput figures count.
    pub bytes: u64,
    pub lines: u64,
    pub threads: usize,
    pub cores: usize,
    pub runs: usize,
    pub stages: Vec<StageTiming>,
    pub formats: Vec<FormatTiming>,
}

/// The fastest of `runs` runs of `pass` (s), and its last result.
fn fastest<T>(runs: usize, mut pass: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut last = None;
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        let out = pass();
        best = best.min(t.elapsed().as_secs_f64());
        last = Some(out);
    }
    (best, last.expect("at least one run"))
}

/// Bytes and lines of the `read` pass.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct ReadTotals {
    bytes: u64,
    lines: u64,
}

impl ReadTotals {
    fn add(self, other: ReadTotals) -> ReadTotals {
        ReadTotals {
            bytes: self.bytes + other.bytes,
            lines: self.lines + other.lines,
        }
    }
}

fn count_lines(reader: impl io::Read) -> ReadTotals {
    let mut totals = ReadTotals::default();
    let mut buf = Vec::new();
    let (stats, _) = for_each_line(reader, &mut buf, |line, _| {
        totals.lines += 1;
        totals.bytes += line.len() as u64 + 1;
    });
    totals.bytes += stats.skipped_bytes;
    totals
}

/// The `read` pass over one file: plain files in newline-aligned chunks read in parallel with
/// `pread`, compressed ones as one decoded stream, as ingest reads them.
fn read_file(path: &std::path::Path, chunk_size: u64) -> io::Result<ReadTotals> {
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    let compression = Compression::of_file(&file)?;
    if compression != Compression::None {
        return Ok(count_lines(
            compression.decoder(RangeReader::new(&file, 0..len))?,
        ));
    }
    let chunks = input::plan_chunks(&file, len, chunk_size, None)?;
    Ok(chunks
        .par_iter()
        .map(|r| count_lines(RangeReader::new(&file, r.clone())))
        .reduce(ReadTotals::default, ReadTotals::add))
}

fn read_pass(files: &[InputFile], chunk_size: u64) -> io::Result<ReadTotals> {
    files
        .par_iter()
        .map(|f| match &f.path {
            InputPath::File(p) => read_file(p, chunk_size),
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{}: bench reads files only, not pipes", f.display),
            )),
        })
        .try_reduce(ReadTotals::default, |a, b| Ok(a.add(b)))
}

/// The `timeline` pass: every file into timeline partials, merged.
fn timeline_pass(files: &[InputFile], opts: &BenchOptions) -> u64 {
    let config = &opts.config;
    let results = ingest::ingest(files, &opts.ingest, &|_| {
        TimelinePartial::new(Arc::clone(config))
    });
    let mut merged = TimelinePartial::new(Arc::clone(config));
    let mut events = 0;
    for r in results {
        events += r.summary.events;
        merged.merge(r.sink, 0);
    }
    std::hint::black_box(&merged);
    events
}

/// The `report` pass: what `pmtrace --format json` does, writing into nothing.
fn report_pass(files: &[InputFile], opts: &BenchOptions) -> u64 {
    let t = Instant::now();
    let a = analysis::analyse(files, &opts.ingest, Arc::clone(&opts.config), &opts.windows);
    let lines = a.inputs.iter().map(|i| i.lines).sum();
    let stats = Stats {
        bytes: a.inputs.iter().map(|i| i.bytes).sum(),
        lines,
        events: a.inputs.iter().map(|i| i.events).sum(),
        elapsed_seconds: t.elapsed().as_secs_f64(),
        throughput_mb_s: 0.0,
    };
    let report = Report::new(a.inputs, a.incidents, a.timeline, stats);
    let mut out = io::sink();
    // Writing into `io::sink` cannot fail.
    let _ = crate::report::timeline::write_json(&mut out, &report);
    lines
}

/// Runs the pipeline over `files` pass by pass and times it.
pub fn run(files: &[InputFile], opts: &BenchOptions) -> io::Result<BenchReport> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.ingest.threads)
        .build()
        .map_err(io::Error::other)?;
    pool.install(|| run_in_pool(files, opts))
}

fn run_in_pool(files: &[InputFile], opts: &BenchOptions) -> io::Result<BenchReport> {
    let chunk = opts.ingest.chunk_size;
    // Warm-up: brings the files into the page cache, so the first timed pass is not the disk's.
    let totals = read_pass(files, chunk)?;
    let threads = rayon::current_num_threads();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (read_s, _) = fastest(opts.runs, || read_pass(files, chunk));
    let (parse_s, _) = fastest(opts.runs, || {
        ingest::ingest(files, &opts.ingest, &|_| ()).len()
    });
    let (timeline_s, _) = fastest(opts.runs, || timeline_pass(files, opts));
    let (report_s, _) = fastest(opts.runs, || report_pass(files, opts));
    let passes = [
        ("read", "read, decompress, split into lines", read_s),
        (
            "parse",
            "+ detect formats, parse lines, timestamps to UTC",
            parse_s,
        ),
        ("timeline", "+ match pattern packs, aggregate", timeline_s),
        (
            "report",
            "+ merge, cluster, find incidents, render JSON: end to end",
            report_s,
        ),
    ];
    let mut stages = Vec::new();
    let mut before = 0.0;
    for (stage, work, seconds) in passes {
        let own = (seconds - before).max(0.0);
        stages.push(StageTiming {
            stage,
            work,
            seconds,
            mb_per_second: totals.bytes as f64 / 1e6 / seconds,
            lines_per_second: totals.lines as f64 / seconds,
            stage_seconds: own,
            stage_ns_per_line_per_thread: own * 1e9 * threads as f64 / totals.lines.max(1) as f64,
        });
        before = seconds;
    }
    let formats = if opts.per_format {
        per_format(files, opts)
    } else {
        Vec::new()
    };
    Ok(BenchReport {
        files: files.len(),
        disk_bytes: files
            .iter()
            .filter_map(|f| match &f.path {
                InputPath::File(p) => std::fs::metadata(p).ok().map(|m| m.len()),
                _ => None,
            })
            .sum(),
        bytes: totals.bytes,
        lines: totals.lines,
        threads,
        cores,
        runs: opts.runs.max(1),
        stages,
        formats,
    })
}

/// Each format's files alone, through `parse` and through `timeline`.
fn per_format(files: &[InputFile], opts: &BenchOptions) -> Vec<FormatTiming> {
    let summaries = ingest::ingest(files, &opts.ingest, &|_| ());
    let mut names: Vec<String> = summaries.iter().map(|r| r.summary.format.clone()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|name| {
            let (group, results): (Vec<InputFile>, Vec<_>) = files
                .iter()
                .zip(&summaries)
                .filter(|(_, r)| r.summary.format == name)
                .map(|(f, r)| (f.clone(), (r.summary.lines, r.summary.bytes)))
                .unzip();
            let lines: u64 = results.iter().map(|(l, _)| l).sum();
            let bytes = read_pass(&group, opts.ingest.chunk_size).map_or(0, |t| t.bytes);
            let (parse_s, _) = fastest(opts.runs, || {
                ingest::ingest(&group, &opts.ingest, &|_| ()).len()
            });
            let (timeline_s, _) = fastest(opts.runs, || timeline_pass(&group, opts));
            FormatTiming {
                format: name,
                files: group.len(),
                bytes,
                lines,
                parse_mb_per_second: bytes as f64 / 1e6 / parse_s,
                timeline_mb_per_second: bytes as f64 / 1e6 / timeline_s,
                timeline_lines_per_second: lines as f64 / timeline_s,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::discover;

    /// A sink that only counts, for tests of the passes.
    #[derive(Default)]
    struct Counter(u64);

    impl EventSink for Counter {
        fn on_event(
            &mut self,
            _: &ingest::FileContext,
            _: u64,
            _: Option<crate::time::Timestamp>,
            _: &crate::format::Event<'_>,
            _: &[u8],
        ) {
            self.0 += 1;
        }
        fn merge(&mut self, later: Self, _: u64) {
            self.0 += later.0;
        }
    }

    #[test]
    fn the_read_pass_counts_every_line_and_byte_of_plain_and_compressed_files() {
        let dir = tempfile::tempdir().unwrap();
        let text: String = (0..5000)
            .map(|i| format!("2024-11-14 10:00:{:02},000 INFO line {i}\n", i % 60))
            .collect();
        std::fs::write(dir.path().join("a.log"), &text).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        io::Write::write_all(&mut gz, text.as_bytes()).unwrap();
        std::fs::write(dir.path().join("b.log.gz"), gz.finish().unwrap()).unwrap();
        let files = discover(&[dir.path().to_string_lossy().into_owned()]).0;
        // Chunks far smaller than the file, so the parallel split is exercised.
        let totals = read_pass(&files, 4096).unwrap();
        assert_eq!(totals.lines, 10_000);
        assert_eq!(totals.bytes, 2 * text.len() as u64);
        let events: u64 = ingest::ingest(&files, &IngestOptions::default(), &|_| Counter(0))
            .iter()
            .map(|r| r.sink.0)
            .sum();
        assert_eq!(events, 10_000);
    }
}
