//! `pmtrace bench`: throughput of the pipeline on the given logs, or on a generated bundle.

use super::args::{InputArgs, PatternArgs};
use super::{EXIT_NO_INPUT, EXIT_OK, EXIT_USAGE};
use crate::aggregate::TimelineConfig;
use crate::bench::{self, BenchOptions, BenchReport};
use crate::incident::window::WindowConfig;
use crate::input;
use crate::pattern;
use crate::report::timeline::{human_bytes, thousands};
use crate::sample::{Scenario, write_bundle};
use clap::{Args, ValueEnum};
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

#[derive(Args, Debug, Clone)]
#[command(after_help = "Examples:\n  \
    pmtrace bench                       a generated 150 MB bundle, in memory where /dev/shm is\n  \
    pmtrace bench --scale 1000          the same at about 1.5 GB\n  \
    pmtrace bench --seed 3 --scale 720  1.7 GB of nginx, PostgreSQL and JSON logs\n  \
    pmtrace bench -j 1 logs/            your own logs on one thread\n  \
    pmtrace bench --format json logs/   the figures for a script\n\n\
    Each stage is a whole pass that runs the pipeline up to it (read; + parse; + timeline; \
    + report, which is `pmtrace --format json` less writing it out); a stage's own cost is \
    the difference from the pass before. Every pass runs --runs times after a warm-up read, \
    and the fastest counts. Throughput counts decompressed bytes.")]
pub struct BenchArgs {
    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub patterns: PatternArgs,

    /// Timed runs of each pass; the fastest counts.
    #[arg(long, default_value_t = 3, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=100))]
    pub runs: u64,

    /// Without PATHs: the scenario of the generated bundle.
    #[arg(long, default_value = "traffic-spike", value_name = "SCENARIO")]
    pub scenario: String,

    /// Without PATHs: the traffic multiplier of the generated bundle (100 is about 150 MB).
    #[arg(long, default_value_t = 100, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub scale: u64,

    /// Without PATHs: the seed of the generated bundle, which picks its formats as `pmtrace
    /// sample` does (1: HAProxy in front of nginx, PostgreSQL, Spring Boot's text log;
    /// 3: nginx at the edge, PostgreSQL, JSON application logs).
    #[arg(long, default_value_t = 1, value_name = "S")]
    pub seed: u64,

    /// Skip timing each format's files alone.
    #[arg(long)]
    pub no_per_format: bool,

    /// Output: a table for people, or JSON for scripts.
    #[arg(long, value_enum, default_value_t = BenchOutput::Text)]
    pub format: BenchOutput,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum BenchOutput {
    Text,
    Json,
}

/// A generated bundle in a scratch folder, removed when dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes the generated bundle where it is cheapest to read back: `/dev/shm` (memory) when
/// there is one, else the temp folder.
fn generate(args: &BenchArgs) -> Result<(Scratch, String), String> {
    let scenario = Scenario::from_name(&args.scenario).ok_or_else(|| {
        format!(
            "unknown scenario '{}' (pmtrace sample --list)",
            args.scenario
        )
    })?;
    let shm = PathBuf::from("/dev/shm");
    let base = if shm.is_dir() {
        shm
    } else {
        std::env::temp_dir()
    };
    let dir = base.join(format!("pmtrace-bench-{}", std::process::id()));
    let scratch = Scratch(dir.clone());
    let started = Instant::now();
    write_bundle(scenario, &dir, args.scale, args.seed)
        .map_err(|e| format!("cannot write the bundle to {}: {e}", dir.display()))?;
    // The answer key is not a log.
    let _ = std::fs::remove_file(dir.join("truth.json"));
    let what = format!(
        "generated bundle {} --scale {} --seed {} in {} ({:.1} s to write)",
        args.scenario,
        args.scale,
        args.seed,
        dir.display(),
        started.elapsed().as_secs_f64()
    );
    Ok((scratch, what))
}

pub fn run(args: BenchArgs) -> u8 {
    let patterns = match pattern::load(&args.patterns.patterns, args.patterns.no_default_patterns) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("pmtrace: {e}");
            return EXIT_USAGE;
        }
    };
    let (_scratch, paths, what) = if args.input.paths.is_empty() {
        match generate(&args) {
            Ok((scratch, what)) => {
                let path = scratch.0.to_string_lossy().into_owned();
                (Some(scratch), vec![path], what)
            }
            Err(e) => {
                eprintln!("pmtrace bench: {e}");
                return EXIT_USAGE;
            }
        }
    } else {
        (None, args.input.paths.clone(), args.input.paths.join(" "))
    };
    let (files, problems) = input::discover(&paths);
    for p in &problems {
        eprintln!("pmtrace: {}: {}", p.arg, p.message);
    }
    if files.is_empty() {
        eprintln!("pmtrace bench: no input files to read");
        return EXIT_NO_INPUT;
    }
    // Every pass reads the inputs again: a pipe cannot be.
    if let Some(f) = files
        .iter()
        .find(|f| !matches!(f.path, input::InputPath::File(_)))
    {
        eprintln!(
            "pmtrace bench: {}: bench reads files only, not pipes (each stage reads the input again)",
            f.display
        );
        return EXIT_USAGE;
    }
    let mut ingest = args.input.ingest_options();
    // A progress bar would be timed too.
    ingest.progress = false;
    let opts = BenchOptions {
        ingest,
        config: Arc::new(TimelineConfig::new(patterns)),
        windows: WindowConfig::default(),
        runs: args.runs as usize,
        per_format: !args.no_per_format,
    };
    let report = match bench::run(&files, &opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("pmtrace bench: {}", input::io_message(&e));
            return EXIT_NO_INPUT;
        }
    };
    let mut out = io::stdout().lock();
    let written = match args.format {
        BenchOutput::Json => serde_json::to_writer_pretty(&mut out, &report)
            .map_err(io::Error::from)
            .and_then(|()| writeln!(out)),
        BenchOutput::Text => write_text(&mut out, &report, &what),
    };
    match written {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            eprintln!("pmtrace bench: cannot write: {}", input::io_message(&e));
            EXIT_USAGE
        }
        _ => EXIT_OK,
    }
}

fn write_text(out: &mut dyn Write, r: &BenchReport, what: &str) -> io::Result<()> {
    writeln!(out, "pmtrace bench: {what}")?;
    writeln!(
        out,
        "{} files, {} on disk, {} decompressed, {} lines; {} threads on {} cores; fastest of {} runs\n",
        r.files,
        human_bytes(r.disk_bytes),
        human_bytes(r.bytes),
        thousands(r.lines),
        r.threads,
        r.cores,
        r.runs
    )?;
    writeln!(
        out,
        "{:<9} {:>8} {:>9} {:>12} {:>10} {:>14}  what the pass does",
        "stage", "pass s", "MB/s", "lines/s", "stage s", "ns/line/thread"
    )?;
    for s in &r.stages {
        writeln!(
            out,
            "{:<9} {:>8.3} {:>9} {:>12} {:>10.3} {:>14.0}  {}",
            s.stage,
            s.seconds,
            thousands(s.mb_per_second.round() as u64),
            thousands(s.lines_per_second.round() as u64),
            s.stage_seconds,
            s.stage_ns_per_line_per_thread,
            s.work
        )?;
    }
    if !r.formats.is_empty() {
        writeln!(out, "\nEach format's files alone:")?;
        writeln!(
            out,
            "{:<16} {:>5} {:>10} {:>12} {:>11} {:>14} {:>14}",
            "format", "files", "bytes", "lines", "parse MB/s", "timeline MB/s", "lines/s"
        )?;
        for f in &r.formats {
            writeln!(
                out,
                "{:<16} {:>5} {:>10} {:>12} {:>11} {:>14} {:>14}",
                f.format,
                f.files,
                human_bytes(f.bytes),
                thousands(f.lines),
                thousands(f.parse_mb_per_second.round() as u64),
                thousands(f.timeline_mb_per_second.round() as u64),
                thousands(f.timeline_lines_per_second.round() as u64)
            )?;
        }
    }
    Ok(())
}
