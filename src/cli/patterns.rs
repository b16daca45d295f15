//! `pmtrace patterns list|check|test`: what the pattern packs hold, whether a pack is valid,
//! and which patterns a line matches and why.

use super::args::PatternArgs;
use super::{EXIT_OK, EXIT_USAGE};
use crate::format::{self, Parsed};
use crate::pattern::{self, MatchScratch, PatternSet};
use crate::report::safe_text::escape_for_terminal;
use clap::{Args, Subcommand};
use std::io::{self, Write};
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
pub enum PatternsCommand {
    /// List the patterns in use: id, category, severity, signal, sources and title.
    List(ListArgs),
    /// Validate pattern pack files: schema, regexes and every sample line.
    Check {
        /// Pattern pack files (TOML).
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Show which patterns a log line matches, and why.
    Test(TestArgs),
}

#[derive(Args, Debug)]
pub struct ListArgs {
    #[command(flatten)]
    patterns: PatternArgs,
}

#[derive(Args, Debug)]
pub struct TestArgs {
    /// The log line, as it appears in the file.
    line: String,
    #[command(flatten)]
    patterns: PatternArgs,
}

pub fn run(cmd: PatternsCommand) -> u8 {
    let result = match cmd {
        PatternsCommand::List(args) => list(&args.patterns),
        PatternsCommand::Check { files } => check(&files),
        PatternsCommand::Test(args) => test(&args),
    };
    result.unwrap_or_else(|code| code)
}

fn load(args: &PatternArgs) -> Result<PatternSet, u8> {
    pattern::load(&args.patterns, args.no_default_patterns).map_err(|e| {
        say!("pmtrace: invalid pattern pack: {e}");
        EXIT_USAGE
    })
}

fn list(args: &PatternArgs) -> Result<u8, u8> {
    let set = load(args)?;
    let mut out = io::stdout().lock();
    let _ = writeln!(
        out,
        "{:<40} {:<14} {:<8} {:<8} {:<24} TITLE",
        "ID", "CATEGORY", "SEVERITY", "SIGNAL", "SOURCES"
    );
    for p in set.patterns() {
        let sources = if p.sources.is_empty() {
            "any".to_string()
        } else {
            p.sources
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(",")
        };
        let _ = writeln!(
            out,
            "{:<40} {:<14} {:<8} {:<8} {:<24} {}",
            p.id,
            p.category.as_str(),
            p.severity.as_str(),
            p.signal.as_str(),
            sources,
            p.title
        );
    }
    let unfiltered = set
        .patterns()
        .iter()
        .filter(|p| p.literals.is_empty())
        .count();
    let _ = writeln!(
        out,
        "\n{} patterns ({} run on every line they apply to: no required literal)",
        set.patterns().len(),
        unfiltered
    );
    Ok(EXIT_OK)
}

fn check(files: &[PathBuf]) -> Result<u8, u8> {
    let mut failed = false;
    // A closed stdout (`| head`) is not an error of ours: the checks still decide the status.
    let mut out = io::stdout().lock();
    for file in files {
        let name = escape_for_terminal(file.as_os_str().as_encoded_bytes(), 400);
        match pattern::check_file(file) {
            Ok(patterns) => {
                let samples: usize = patterns.iter().map(|p| p.samples.len()).sum();
                let _ = writeln!(
                    out,
                    "{name}: ok, {} patterns, {} samples match",
                    patterns.len(),
                    samples
                );
                for p in patterns.iter().filter(|p| p.literals.is_empty()) {
                    let _ = writeln!(
                        out,
                        "{name}: {}: note: no literal text the regex requires, so it runs on every line it applies to (slow on big inputs)",
                        p.id
                    );
                }
            }
            Err(e) => {
                say!("pmtrace: {e}");
                failed = true;
            }
        }
    }
    if failed { Err(EXIT_USAGE) } else { Ok(EXIT_OK) }
}

fn test(args: &TestArgs) -> Result<u8, u8> {
    let set = load(&args.patterns)?;
    let line = args.line.as_bytes();
    let mut out = io::stdout().lock();
    // What the line is: the formats that read it as an event, most specific first.
    let mut readers: Vec<&'static format::Format> = format::ALL
        .iter()
        .copied()
        .filter(|f| matches!((f.parse)(line), Parsed::Event(_)))
        .collect();
    readers.sort_by_key(|f| std::cmp::Reverse(f.specificity));
    let reader = readers.first().copied().or_else(|| {
        matches!((format::FALLBACK.parse)(line), Parsed::Event(_)).then_some(format::FALLBACK)
    });
    match reader {
        Some(f) => {
            let _ = writeln!(
                out,
                "line is a {} event ({} source)",
                f.name,
                f.source.as_str()
            );
        }
        None => {
            let _ = writeln!(
                out,
                "no format reads this line as an event; showing every regex that matches it"
            );
        }
    }
    let matching = set.all_matching(line);
    if matching.is_empty() {
        let _ = writeln!(out, "no pattern matches");
        return Ok(EXIT_OK);
    }
    let winner = set.find(
        line,
        reader.map(|f| f.source),
        reader.map(|f| f.name),
        &mut MatchScratch::default(),
    );
    for index in matching {
        let p = set.get(index);
        let applies = reader.is_none_or(|f| p.applies_to(Some(f.source), Some(f.name)));
        let mark = if Some(index) == winner {
            "MATCH  "
        } else {
            "matches"
        };
        let _ = writeln!(out, "{mark} {} ({}): {}", p.id, p.origin, p.title);
        let literals = set.literals_found(index, line);
        if !literals.is_empty() {
            let _ = writeln!(
                out,
                "        required text found: {}",
                escape_for_terminal(literals.join(", ").as_bytes(), 200)
            );
        }
        for (name, value) in set.captures(index, line) {
            let _ = writeln!(out, "        {name} = {}", escape_for_terminal(value, 200));
        }
        if !applies {
            let _ = writeln!(
                out,
                "        but does not apply here: it is for sources {:?} formats {:?}",
                p.sources.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
                p.formats
            );
        }
    }
    if winner.is_none() {
        let _ = writeln!(
            out,
            "no pattern applies to this line's format, so none would be used"
        );
    }
    Ok(EXIT_OK)
}
