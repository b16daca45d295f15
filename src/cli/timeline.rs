//! `pmtrace PATH...`: the deduplicated timeline.

use super::args::{InputArgs, PatternArgs};
use super::{EXIT_NO_INPUT, EXIT_OK, EXIT_USAGE, discover_inputs, report_problems};
use crate::aggregate::{TimelineConfig, TimelineEntry};
use crate::analysis;
use crate::incident::window::WindowConfig;
use crate::pattern::{self, Category, Severity};
use crate::report::timeline::{self as render, Report, Stats, TextStyle};
use crate::time::{Timestamp, Zone};
use clap::{Args, ValueEnum};
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

#[derive(Args, Debug, Clone)]
pub struct TimelineArgs {
    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub patterns: PatternArgs,

    /// Output format: text for a terminal, markdown for a document, json (the documented
    /// report, docs/report-schema.md) or jsonl (one timeline entry per line).
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub format: Output,

    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Only entries still going at or after this time: RFC 3339 (2024-11-14T14:00:00Z), or a
    /// duration before the end of the logs (2h, 30m, 1d).
    #[arg(long, value_name = "TIME", value_parser = TimeBound::parse)]
    pub since: Option<TimeBound>,

    /// Only entries that began at or before this time (same forms as --since).
    #[arg(long, value_name = "TIME", value_parser = TimeBound::parse)]
    pub until: Option<TimeBound>,

    /// Only entries at least this severe: info, warning, error, critical.
    #[arg(long, value_name = "LEVEL", value_parser = parse_severity)]
    pub min_severity: Option<Severity>,

    /// Only entries of this category (repeatable): database, network, load_balancer,
    /// capacity, configuration, application, dependency, storage, security.
    #[arg(long, value_name = "CATEGORY", value_parser = parse_category)]
    pub category: Vec<Category>,

    /// Show times in this zone (default UTC); JSON times are always UTC.
    #[arg(long, value_name = "ZONE", value_parser = Zone::parse)]
    pub display_tz: Option<Zone>,

    /// A quiet gap longer than this ends a timeline entry; the next occurrence starts a new one.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    pub gap: i64,

    /// Width of the time buckets incidents are found in (10s–1m is chosen from the span).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub bucket: Option<i64>,

    /// Shorter bad stretches are blips, not incidents.
    #[arg(long, value_name = "DURATION", default_value = "3m", value_parser = parse_duration)]
    pub min_duration: i64,

    /// Requests at least this slow (milliseconds) are listed as slow.
    #[arg(long, value_name = "MS", default_value_t = 5000.0)]
    pub slow_ms: f64,

    /// Colour: auto (only on a terminal, and not with NO_COLOR set), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    Text,
    Markdown,
    Json,
    Jsonl,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// A `--since`/`--until` value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeBound {
    At(Timestamp),
    /// This many µs before the end of the logs.
    BeforeEnd(i64),
}

impl TimeBound {
    pub fn parse(s: &str) -> Result<TimeBound, String> {
        if let Ok(d) = parse_duration(s) {
            return Ok(TimeBound::BeforeEnd(d));
        }
        let (civil, used) = crate::time::parse::iso8601(s.trim().as_bytes()).ok_or_else(|| {
            format!("'{s}' is neither an RFC 3339 time (2024-11-14T14:00:00Z) nor a duration (2h)")
        })?;
        if used != s.trim().len() {
            return Err(format!("'{s}': unexpected text after the time"));
        }
        let mut conv = crate::time::ZoneConverter::new(Zone::utc());
        conv.civil_to_utc(&civil)
            .map(TimeBound::At)
            .ok_or_else(|| format!("'{s}' is not a real date and time"))
    }

    fn resolve(self, end: Option<Timestamp>) -> Option<Timestamp> {
        match self {
            TimeBound::At(t) => Some(t),
            TimeBound::BeforeEnd(d) => end.map(|e| Timestamp(e.0 - d)),
        }
    }
}

/// `90s`, `5m`, `2h`, `1d`, `1h30m`, or plain seconds; in µs.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let t = s.trim();
    let bad = || format!("'{s}' is not a duration (use 90s, 5m, 2h, 1d)");
    if t.is_empty() {
        return Err(bad());
    }
    if let Ok(secs) = t.parse::<u64>() {
        return Ok(secs as i64 * 1_000_000);
    }
    let mut total: i64 = 0;
    let mut number = String::new();
    for c in t.chars() {
        if c.is_ascii_digit() || c == '.' {
            number.push(c);
            continue;
        }
        let n: f64 = number.parse().map_err(|_| bad())?;
        number.clear();
        let unit = match c {
            's' => 1.0,
            'm' => 60.0,
            'h' => 3600.0,
            'd' => 86_400.0,
            _ => return Err(bad()),
        };
        total = total.saturating_add((n * unit * 1e6) as i64);
    }
    if !number.is_empty() {
        return Err(bad());
    }
    Ok(total)
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    Severity::parse(s)
        .ok_or_else(|| format!("'{s}' is not a severity: info, warning, error or critical"))
}

fn parse_category(s: &str) -> Result<Category, String> {
    Category::parse(s).ok_or_else(|| {
        let names: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
        format!("'{s}' is not a category: {}", names.join(", "))
    })
}

/// Keeps the entries the filters ask for (ids stay as in the whole timeline).
fn filter(
    entries: Vec<TimelineEntry>,
    args: &TimelineArgs,
    end: Option<Timestamp>,
) -> Vec<TimelineEntry> {
    let since = args.since.and_then(|b| b.resolve(end));
    let until = args.until.and_then(|b| b.resolve(end));
    entries
        .into_iter()
        .filter(|e| since.is_none_or(|s| e.last_ts >= s))
        .filter(|e| until.is_none_or(|u| e.first_ts <= u))
        .filter(|e| args.min_severity.is_none_or(|m| e.severity >= m))
        .filter(|e| args.category.is_empty() || args.category.contains(&e.category))
        .collect()
}

pub fn run(args: TimelineArgs) -> u8 {
    let started = Instant::now();
    let patterns = match pattern::load(&args.patterns.patterns, args.patterns.no_default_patterns) {
        Ok(p) => p,
        Err(e) => {
            say!("pmtrace: invalid pattern pack: {e}");
            return EXIT_USAGE;
        }
    };
    let mut config = TimelineConfig::new(patterns);
    config.gap_micros = args.gap;
    config.slow_ms = args.slow_ms;
    let config = Arc::new(config);
    let Some(files) = discover_inputs(&args.input) else {
        return EXIT_USAGE;
    };
    let windows = WindowConfig {
        bucket: args.bucket,
        min_duration: args.min_duration,
        ..WindowConfig::default()
    };
    let analysis = analysis::analyse(&files, &args.input.ingest_options(), config, &windows);
    report_problems(&analysis.inputs, &analysis.errors, args.input.quiet);
    let opened = analysis.opened();
    let inputs = analysis.inputs;
    let end = inputs.iter().filter_map(|i| i.last_time).max();
    let timeline = filter(analysis.timeline, &args, end);
    let elapsed = started.elapsed().as_secs_f64();
    let bytes: u64 = inputs.iter().map(|i| i.bytes).sum();
    let stats = Stats {
        bytes,
        lines: inputs.iter().map(|i| i.lines).sum(),
        events: inputs.iter().map(|i| i.events).sum(),
        elapsed_seconds: (elapsed * 1000.0).round() / 1000.0,
        throughput_mb_s: if elapsed > 0.0 {
            (bytes as f64 / 1e6 / elapsed * 10.0).round() / 10.0
        } else {
            0.0
        },
    };
    let report = Report::new(inputs, analysis.incidents, timeline, stats);
    if let Err(e) = write_report(&args, &report)
        && e.kind() != io::ErrorKind::BrokenPipe
    {
        let target = args
            .output
            .as_ref()
            .map_or("standard output".to_string(), |p| p.display().to_string());
        say!(
            "pmtrace: cannot write {target}: {}",
            crate::input::io_message(&e)
        );
        return EXIT_USAGE;
    }
    if opened == 0 { EXIT_NO_INPUT } else { EXIT_OK }
}

fn write_report(args: &TimelineArgs, report: &Report) -> io::Result<()> {
    let to_terminal = args.output.is_none() && io::stdout().is_terminal();
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => to_terminal && std::env::var_os("NO_COLOR").is_none(),
    };
    let zone = args.display_tz.clone().unwrap_or_else(Zone::utc);
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(io::BufWriter::new(std::fs::File::create(path)?)),
        None => Box::new(io::BufWriter::new(io::stdout().lock())),
    };
    match args.format {
        Output::Text => render::write_text(&mut out, report, &TextStyle { zone, color })?,
        Output::Markdown => crate::report::postmortem::write_postmortem(&mut out, report, &zone)?,
        Output::Json => render::write_json(&mut out, report)?,
        Output::Jsonl => render::write_jsonl(&mut out, report)?,
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_bounds() {
        assert_eq!(parse_duration("90s"), Ok(90_000_000));
        assert_eq!(parse_duration("5m"), Ok(300_000_000));
        assert_eq!(parse_duration("1h30m"), Ok(5_400_000_000));
        assert_eq!(parse_duration("120"), Ok(120_000_000));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5x").is_err());
        assert_eq!(
            TimeBound::parse("2h"),
            Ok(TimeBound::BeforeEnd(7_200_000_000))
        );
        assert_eq!(
            TimeBound::parse("2024-11-14T14:00:00+01:00"),
            Ok(TimeBound::At(Timestamp::from_unix_seconds(
                1_731_589_200,
                0
            )))
        );
        assert!(
            TimeBound::parse("not-a-time")
                .unwrap_err()
                .contains("not-a-time")
        );
        assert!(TimeBound::parse("2024-02-30T00:00:00Z").is_err());
    }
}
