//! The timeline report: the JSON document of `docs/report-schema.md` (`schema_version` 1) and
//! its renderings for a terminal, for Markdown, and as JSON lines.

use crate::aggregate::TimelineEntry;
use crate::incident::impact::Impact;
use crate::incident::{Incident, Incidents, SeriesPoint};
use crate::ingest::InputSummary;
use crate::report::safe_text::{escape_for_markdown, escape_for_terminal};
use crate::time::Zone;
use serde::Serialize;
use std::io::{self, Write};

/// The version of the JSON contract; raised on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// Totals of the run.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Stats {
    pub bytes: u64,
    pub lines: u64,
    pub events: u64,
    pub elapsed_seconds: f64,
    pub throughput_mb_s: f64,
}

/// The whole report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub generated_by: String,
    pub inputs: Vec<InputSummary>,
    pub incidents: Vec<Incident>,
    pub timeline: Vec<TimelineEntry>,
    /// The edge's request series the incidents were found in, for charts.
    pub series: Vec<SeriesPoint>,
    /// Width of the `series` buckets (s).
    pub bucket_seconds: f64,
    pub stats: Stats,
}

impl Report {
    pub fn new(
        inputs: Vec<InputSummary>,
        incidents: Incidents,
        timeline: Vec<TimelineEntry>,
        stats: Stats,
    ) -> Report {
        Report {
            schema_version: SCHEMA_VERSION,
            generated_by: format!("pmtrace {}", env!("CARGO_PKG_VERSION")),
            inputs,
            incidents: incidents.incidents,
            timeline,
            series: incidents.series,
            bucket_seconds: incidents.bucket_seconds,
            stats,
        }
    }
}

/// How text is shown.
#[derive(Clone, Debug)]
pub struct TextStyle {
    pub zone: Zone,
    pub color: bool,
}

fn paint(style: &TextStyle, code: &str, text: &str) -> String {
    if style.color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

fn severity_color(severity: crate::pattern::Severity) -> &'static str {
    use crate::pattern::Severity::*;
    match severity {
        Critical => "1;31",
        Error => "31",
        Warning => "33",
        Info => "2",
    }
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1.5 GB`, `12.0 MB`, `900 B`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if n < 1000 {
        return format!("{n} B");
    }
    let mut v = n as f64;
    let mut unit = "B";
    for u in UNITS {
        if v < 1000.0 {
            break;
        }
        v /= 1000.0;
        unit = u;
    }
    format!("{v:.1} {unit}")
}

/// One line about the run: inputs, size, lines, time, speed.
pub fn run_summary(report: &Report) -> String {
    let s = &report.stats;
    let unparsed: u64 = report.inputs.iter().map(|i| i.unparsed_lines).sum();
    let unknown = report
        .inputs
        .iter()
        .filter(|i| i.format == "unknown")
        .count();
    let mut line = format!(
        "{} inputs, {}, {} lines ({} events, {} unparsed) in {:.2} s ({:.0} MB/s)",
        report.inputs.len(),
        human_bytes(s.bytes),
        thousands(s.lines),
        thousands(s.events),
        thousands(unparsed),
        s.elapsed_seconds,
        s.throughput_mb_s
    );
    if unknown > 0 {
        line.push_str(&format!(
            "; {unknown} inputs in no known format (see `pmtrace formats`)"
        ));
    }
    line
}

/// The timeline for a terminal: one block per entry, time, source, severity, count, title,
/// then the example line and where it is. Log text is escaped.
pub fn write_text(out: &mut dyn Write, report: &Report, style: &TextStyle) -> io::Result<()> {
    writeln!(
        out,
        "{}",
        paint(style, "2", &format!("pmtrace: {}", run_summary(report)))
    )?;
    write_incidents_text(out, report, style)?;
    let total: u64 = report.timeline.iter().map(|e| e.count).sum();
    writeln!(
        out,
        "\nTimeline ({}): {} entries for {} occurrences\n",
        style.zone.name(),
        report.timeline.len(),
        thousands(total)
    )?;
    if report.timeline.is_empty() {
        writeln!(
            out,
            "  nothing to report: no failure, recovery or change signal in these logs"
        )?;
        return Ok(());
    }
    let count_width = report
        .timeline
        .iter()
        .map(|e| thousands(e.count).len())
        .max()
        .unwrap_or(1);
    for e in &report.timeline {
        let first = style.zone.format(e.first_ts);
        let last = style.zone.format(e.last_ts);
        let span = if first == last {
            first.clone()
        } else if first[..10] == last[..10] {
            format!("{first}–{}", &last[11..])
        } else {
            format!("{first} – {last}")
        };
        let source = e.source.map_or("-", |s| s.as_str());
        writeln!(
            out,
            "{:<4} {}  {:<13} {} {:>width$}×  {}",
            e.id,
            span,
            source,
            paint(
                style,
                severity_color(e.severity),
                &format!("{:<8}", e.severity.as_str())
            ),
            thousands(e.count),
            paint(style, "1", &escape_for_terminal(e.title.as_bytes(), 160)),
            width = count_width
        )?;
        writeln!(
            out,
            "     {}",
            paint(style, "2", &escape_for_terminal(e.message.as_bytes(), 200))
        )?;
        let mut whereabouts = escape_for_terminal(e.location.as_bytes(), 160);
        if e.files.len() > 1 {
            whereabouts.push_str(&format!(" (+{} more files)", e.files.len() - 1));
        }
        if !e.hosts.is_empty() {
            let hosts: Vec<String> = e
                .hosts
                .iter()
                .map(|h| escape_for_terminal(h.as_bytes(), 64))
                .collect();
            whereabouts.push_str(&format!("  hosts: {}", hosts.join(", ")));
        }
        writeln!(out, "     {}", paint(style, "2", &whereabouts))?;
    }
    Ok(())
}

/// `3 h 29 min`, `12 min 5 s`, `40 s`.
pub fn human_duration(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, s % 3600 / 60),
    }
}

fn percent(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

fn ms(v: Option<f64>) -> String {
    match v {
        Some(v) if v >= 1000.0 => format!("{:.1} s", v / 1000.0),
        Some(v) => format!("{v:.0} ms"),
        None => "-".to_string(),
    }
}

/// One incident's impact, on two lines at most.
fn write_impact_text(out: &mut dyn Write, impact: &Impact) -> io::Result<()> {
    writeln!(
        out,
        "  impact: {} of {} requests failed ({}, baseline {}); {} of {} clients affected; p95 {} (baseline {})",
        thousands(impact.requests_failed),
        thousands(impact.requests_total),
        percent(impact.error_rate),
        percent(impact.baseline_error_rate),
        thousands(impact.clients_affected),
        thousands(impact.clients_total),
        ms(impact.p95_latency_ms),
        ms(impact.baseline_p95_latency_ms)
    )?;
    if impact.requests_lost_estimate > 0 {
        writeln!(
            out,
            "  about {} requests never arrived (traffic below baseline)",
            thousands(impact.requests_lost_estimate)
        )?;
    }
    Ok(())
}

/// The incidents, each as a short block: window, impact, probable cause with its evidence.
fn write_incidents_text(out: &mut dyn Write, report: &Report, style: &TextStyle) -> io::Result<()> {
    if report.incidents.is_empty() {
        let why = if report.series.is_empty() {
            "no request logs, and no sustained rise in error events"
        } else {
            "no sustained rise in failures or latency at the edge"
        };
        return writeln!(out, "\nNo incident found: {why}.");
    }
    for i in &report.incidents {
        writeln!(
            out,
            "\n{} {}: {} – {} {} ({})",
            paint(style, "1;31", "Incident"),
            i.id,
            style.zone.format(i.start_ts),
            style.zone.format(i.end_ts),
            style.zone.name(),
            human_duration(i.duration_seconds)
        )?;
        if let Some(impact) = &i.impact {
            write_impact_text(out, impact)?;
        } else {
            writeln!(
                out,
                "  impact: not measured, the logs hold no requests (found from error events)"
            )?;
        }
        match &i.root_cause {
            Some(rc) => {
                writeln!(
                    out,
                    "  probable cause ({}, confidence {:.2}): {}",
                    rc.category.as_str(),
                    rc.confidence,
                    escape_for_terminal(rc.summary.as_bytes(), 300)
                )?;
                if let Some(line) = &rc.earliest_causal_line {
                    writeln!(
                        out,
                        "    earliest: {}  {}",
                        escape_for_terminal(line.location.as_bytes(), 160),
                        paint(style, "2", &escape_for_terminal(line.text.as_bytes(), 200))
                    )?;
                }
                if !rc.evidence.is_empty() {
                    writeln!(out, "    evidence: {}", rc.evidence.join(", "))?;
                }
            }
            None => writeln!(out, "  probable cause: no signal in the logs points to one")?,
        }
        for c in i.candidates.iter().take(3) {
            writeln!(
                out,
                "    also possible ({}, {:.2}): {}",
                c.category.as_str(),
                c.score,
                escape_for_terminal(c.summary.as_bytes(), 200)
            )?;
        }
        if let Some(m) = &i.milestones.first_alert {
            writeln!(
                out,
                "  first alert: {} {}",
                m.time,
                escape_for_terminal(m.title.as_bytes(), 160)
            )?;
        }
        if let Some(m) = &i.milestones.mitigation {
            writeln!(
                out,
                "  mitigation: {} {}",
                m.time,
                escape_for_terminal(m.title.as_bytes(), 160)
            )?;
        }
    }
    Ok(())
}

/// The timeline as a Markdown table (GFM), every piece of log text escaped.
pub fn write_markdown(out: &mut dyn Write, report: &Report, zone: &Zone) -> io::Result<()> {
    writeln!(out, "## Timeline\n")?;
    writeln!(
        out,
        "All times {}. {}\n",
        zone.name(),
        escape_for_markdown(run_summary(report).as_bytes(), 400)
    )?;
    if report.timeline.is_empty() {
        writeln!(
            out,
            "No failure, recovery or change signal was found in these logs."
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "| Time | Until | Source | Severity | Count | Event | Example |"
    )?;
    writeln!(out, "|---|---|---|---|--:|---|---|")?;
    for e in &report.timeline {
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} ({}) |",
            zone.format(e.first_ts),
            zone.format(e.last_ts),
            e.source.map_or("-", |s| s.as_str()),
            e.severity.as_str(),
            thousands(e.count),
            escape_for_markdown(e.title.as_bytes(), 160),
            escape_for_markdown(e.message.as_bytes(), 200),
            escape_for_markdown(e.location.as_bytes(), 160),
        )?;
    }
    Ok(())
}

pub fn write_json(out: &mut dyn Write, report: &Report) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}

/// One timeline entry per line.
pub fn write_jsonl(out: &mut dyn Write, report: &Report) -> io::Result<()> {
    for e in &report.timeline {
        serde_json::to_writer(&mut *out, e)?;
        writeln!(out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_for_people() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(4_812_000), "4,812,000");
        assert_eq!(human_bytes(900), "900 B");
        assert_eq!(human_bytes(1_500_000_000), "1.5 GB");
    }
}
