//! Pattern packs: the TOML schema (see `docs/patterns.md`) and its validation.
//!
//! Loading checks everything and stops at the first problem with one message naming the file,
//! the pattern id and what is wrong: TOML syntax, unknown keys or values, duplicate ids, the
//! regex crate's own message for a bad regex (with size limits, so a hostile pack fails fast
//! instead of stalling), a sample line that is not a line of the formats the pattern is for,
//! or a sample the regex does not match.

use super::{Category, PackError, Pattern, Severity, Signal};
use crate::format::{self, Parsed, SourceKind};
use regex::bytes::{Regex, RegexBuilder};
use serde::Deserialize;
use std::collections::HashSet;

/// Compiled regexes may use at most this much memory each.
const REGEX_SIZE_LIMIT: usize = 1 << 20;
/// A pack file may hold at most this many patterns.
const MAX_PATTERNS: usize = 10_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PackFile {
    #[serde(default)]
    pattern: Vec<PatternEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PatternEntry {
    id: String,
    title: String,
    category: Category,
    severity: Severity,
    signal: Signal,
    /// Source kinds the pattern applies to; empty or absent: all.
    #[serde(default)]
    sources: Vec<SourceKind>,
    /// Formats the pattern applies to; empty or absent: all (within `sources`).
    #[serde(default)]
    formats: Vec<String>,
    regex: String,
    samples: Vec<String>,
    /// Optional: what an operator can do about it; shown in the postmortem draft.
    #[serde(default)]
    hint: Option<String>,
}

fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.split('.').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
        })
}

/// Compiles a pattern's regex with the limits every pack gets.
pub fn compile_regex(text: &str) -> Result<Regex, String> {
    RegexBuilder::new(text)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| format!("bad regex: {e}"))
}

/// Whether `line` is an event line of some format the pattern applies to.
fn is_line_of(line: &[u8], sources: &[SourceKind], formats: &[&'static format::Format]) -> bool {
    let candidates: Vec<&'static format::Format> = if formats.is_empty() {
        format::ALL
            .iter()
            .copied()
            .chain([format::FALLBACK])
            .filter(|f| sources.is_empty() || sources.contains(&f.source))
            .collect()
    } else {
        formats.to_vec()
    };
    candidates
        .iter()
        .any(|f| !matches!((f.parse)(line), Parsed::NotMine))
}

/// Parses and validates one pack's text. `origin` names it in errors (a path, or
/// `built-in:database.toml`). `seen` holds the ids of packs loaded before it. Samples are
/// checked when `check_samples` (always for users' packs; the built-in ones by the tests).
pub fn parse_pack(
    origin: &str,
    text: &str,
    seen: &mut HashSet<String>,
    check_samples: bool,
) -> Result<Vec<Pattern>, PackError> {
    let err = |pattern: Option<&str>, message: String| PackError {
        file: origin.to_string(),
        pattern: pattern.map(str::to_string),
        message,
    };
    let file: PackFile =
        toml::from_str(text).map_err(|e| err(None, e.to_string().trim_end().to_string()))?;
    if file.pattern.len() > MAX_PATTERNS {
        return Err(err(
            None,
            format!("more than {MAX_PATTERNS} patterns in one file"),
        ));
    }
    let mut out = Vec::with_capacity(file.pattern.len());
    for entry in file.pattern {
        let id = entry.id.as_str();
        if !is_valid_id(id) {
            return Err(err(
                Some(id),
                "an id is dotted lower-case words (letters, digits, _ and -), like `postgres.too_many_clients`".into(),
            ));
        }
        if !seen.insert(entry.id.clone()) {
            return Err(err(
                Some(id),
                "duplicate id (already defined by an earlier pattern)".into(),
            ));
        }
        if entry.title.trim().is_empty() {
            return Err(err(Some(id), "empty title".into()));
        }
        let mut formats = Vec::with_capacity(entry.formats.len());
        for name in &entry.formats {
            let f = format::by_name(name).ok_or_else(|| {
                err(
                    Some(id),
                    format!("unknown format `{name}` (see `pmtrace formats --help`)"),
                )
            })?;
            formats.push(f);
        }
        let regex = compile_regex(&entry.regex).map_err(|m| err(Some(id), m))?;
        if entry.samples.is_empty() {
            return Err(err(
                Some(id),
                "no samples: give at least one real line the regex must match".into(),
            ));
        }
        for sample in entry.samples.iter().filter(|_| check_samples) {
            if !is_line_of(sample.as_bytes(), &entry.sources, &formats) {
                return Err(err(
                    Some(id),
                    format!("sample is not a line of the formats this pattern is for: {sample:?}"),
                ));
            }
            if !regex.is_match(sample.as_bytes()) {
                return Err(err(
                    Some(id),
                    format!("regex does not match sample {sample:?}"),
                ));
            }
        }
        let hir = regex_syntax::ParserBuilder::new()
            .utf8(false)
            .build()
            .parse(&entry.regex)
            .map_err(|e| err(Some(id), format!("bad regex: {e}")))?;
        out.push(Pattern {
            literals: super::literals::required_literals(&hir).unwrap_or_default(),
            has_captures: regex.capture_names().flatten().next().is_some(),
            id: entry.id,
            title: entry.title,
            category: entry.category,
            severity: entry.severity,
            signal: entry.signal,
            sources: entry.sources,
            formats: formats.iter().map(|f| f.name).collect(),
            regex,
            samples: entry.samples,
            hint: entry.hint,
            origin: origin.to_string(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[[pattern]]
id = "test.refused"
title = "Connection refused"
category = "network"
severity = "error"
signal = "error"
sources = ["web"]
formats = ["nginx_error"]
regex = 'connect\(\) failed \(111: Connection refused\) while connecting to upstream, client: (?P<client>[^,]+)'
samples = ['2024/11/14 14:02:11 [error] 2311#2311: *8841 connect() failed (111: Connection refused) while connecting to upstream, client: 203.0.113.7, server: shop']
"#;

    fn load(text: &str) -> Result<Vec<Pattern>, PackError> {
        parse_pack("test.toml", text, &mut HashSet::new(), true)
    }

    #[test]
    fn loads_a_good_pack() {
        let p = load(GOOD).unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].category, Category::Network);
        assert!(p[0].has_captures);
        assert_eq!(p[0].formats, vec!["nginx_error"]);
        assert!(!p[0].literals.is_empty());
    }

    fn problem(text: &str) -> String {
        load(text).unwrap_err().to_string()
    }

    #[test]
    fn every_problem_names_file_pattern_and_cause() {
        assert!(problem("[[pattern]\n").starts_with("test.toml: "));
        let e = problem(&GOOD.replace("category = \"network\"", "category = \"weather\""));
        assert!(e.contains("unknown variant `weather`"), "{e}");
        let e =
            problem(&GOOD.replace("signal = \"error\"", "signal = \"error\"\ncolour = \"red\""));
        assert!(e.contains("unknown field `colour`"), "{e}");
        let e = problem(&GOOD.replace("(?P<client>[^,]+)", "(?P<client>[^,]+"));
        assert!(e.starts_with("test.toml: test.refused: bad regex:"), "{e}");
        let e = problem(&GOOD.replace(
            "client: (?P<client>[^,]+)",
            "client: (?P<client>[^,]+), server: elsewhere",
        ));
        assert!(e.contains("regex does not match sample"), "{e}");
        let e = problem(&GOOD.replace("formats = [\"nginx_error\"]", "formats = [\"nope\"]"));
        assert!(e.contains("unknown format `nope`"), "{e}");
        let e = problem(&GOOD.replace("sources = [\"web\"]", "sources = [\"mainframe\"]"));
        assert!(e.contains("unknown variant `mainframe`"), "{e}");
        let e = problem(&GOOD.replace("formats = [\"nginx_error\"]", "formats = [\"postgres\"]"));
        assert!(e.contains("sample is not a line of the formats"), "{e}");
        let e = problem(&GOOD.replace("test.refused", "Test Refused"));
        assert!(e.contains("dotted lower-case"), "{e}");
        let e = problem(&format!("{GOOD}\n{GOOD}"));
        assert!(e.contains("test.refused: duplicate id"), "{e}");
        let e = problem(&GOOD.replace("samples = [", "samples = [] #"));
        assert!(e.contains("no samples"), "{e}");
    }

    #[test]
    fn oversized_regexes_fail_fast() {
        let huge = GOOD.replace(r"(?P<client>[^,]+)", r"(?P<client>[^,]+)(\w{100}){100}?");
        let e = problem(&huge);
        assert!(e.contains("bad regex") && e.contains("size limit"), "{e}");
    }
}
