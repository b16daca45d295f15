//! The per-input table of `pmtrace formats`: what each file was read as, and where every line
//! went.

use crate::ingest::InputSummary;
use crate::report::safe_text::escape_for_terminal;
use std::io::{self, Write};

/// `{"inputs": [...]}`, pretty-printed.
pub fn write_json(out: &mut dyn Write, inputs: &[InputSummary]) -> io::Result<()> {
    #[derive(serde::Serialize)]
    struct Doc<'a> {
        inputs: &'a [InputSummary],
    }
    serde_json::to_writer_pretty(&mut *out, &Doc { inputs })?;
    writeln!(out)
}

/// One row per input, columns aligned.
pub fn write_text(out: &mut dyn Write, inputs: &[InputSummary]) -> io::Result<()> {
    let header = [
        "PATH",
        "FORMAT",
        "CONF",
        "SOURCE",
        "COMPRESSION",
        "LINES",
        "EVENTS",
        "CONT",
        "UNPARSED",
        "FIRST (UTC)",
        "LAST (UTC)",
        "ASSUMED TZ",
    ];
    let rows: Vec<[String; 12]> = inputs
        .iter()
        .map(|i| {
            [
                escape_for_terminal(i.path.as_bytes(), 80),
                i.format.clone(),
                format!("{:.2}", i.confidence),
                i.source.map_or("-", |s| s.as_str()).to_string(),
                i.compression.to_string(),
                i.lines.to_string(),
                i.events.to_string(),
                i.continuation_lines.to_string(),
                i.unparsed_lines.to_string(),
                i.first_ts.clone().unwrap_or_else(|| "-".into()),
                i.last_ts.clone().unwrap_or_else(|| "-".into()),
                i.assumed_tz.clone().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let numeric = |col: usize| (5..=8).contains(&col) || col == 2;
    let mut line = |cells: &[String]| -> io::Result<()> {
        let mut s = String::new();
        for (col, (cell, w)) in cells.iter().zip(widths).enumerate() {
            let pad = w - cell.chars().count();
            if numeric(col) {
                s.push_str(&" ".repeat(pad));
                s.push_str(cell);
            } else {
                s.push_str(cell);
                if col + 1 < cells.len() {
                    s.push_str(&" ".repeat(pad));
                }
            }
            if col + 1 < cells.len() {
                s.push_str("  ");
            }
        }
        writeln!(out, "{}", s.trim_end())
    };
    line(&header.map(String::from))?;
    for row in &rows {
        line(row)?;
    }
    let total = |f: fn(&InputSummary) -> u64| inputs.iter().map(f).sum::<u64>();
    writeln!(
        out,
        "\n{} inputs, {} lines: {} events, {} continuation, {} unparsed, {} blank",
        inputs.len(),
        total(|i| i.lines),
        total(|i| i.events),
        total(|i| i.continuation_lines),
        total(|i| i.unparsed_lines),
        total(|i| i.blank_lines),
    )
}

/// The unparsed lines kept per file, as `path:line: text` (1-based line numbers).
pub fn write_unparsed(
    out: &mut dyn Write,
    files: &[(String, crate::ingest::UnparsedSamples)],
) -> io::Result<()> {
    for (path, samples) in files {
        writeln!(
            out,
            "\nUnparsed lines of {} (first {}):",
            escape_for_terminal(path.as_bytes(), 200),
            samples.limit
        )?;
        for (line, text) in &samples.lines {
            writeln!(
                out,
                "{}:{}: {}",
                escape_for_terminal(path.as_bytes(), 200),
                line + 1,
                escape_for_terminal(text, 300)
            )?;
        }
    }
    Ok(())
}
