//! Pattern packs: the TOML schema (see `docs/patterns.md`) and its validation.
//!
//! Loading checks everything and stops at the first problem with one message naming the file,
//! the pattern id and what is wrong: TOML syntax, unknown keys or values, duplicate ids, the
//! regex crate's own message for a bad regex (with size limits, so a hostile pack fails fast
//! instead of stalling), a sample line that is not a line of the formats the pattern is for,
//! or a sample the regex does not match.

use super::{Category, PackError, Pattern, PatternRegex, Severity, Signal};
use crate::format::{self, Parsed, SourceKind};
use regex::bytes::{Regex, RegexBuilder};
use regex_syntax::hir::{Hir, HirKind};
use serde::Deserialize;
use std::collections::HashSet;

/// Compiled regexes may use at most this much memory each.
const REGEX_SIZE_LIMIT: usize = 1 << 20;
/// All the packs of a run together: their regexes' automata may use at most this much memory
/// (as the NFA measures it; the built-in packs, not counted, would use about a megabyte).
/// Without a total, ten
/// thousand regexes just under the limit each would take gigabytes and minutes to compile.
const TOTAL_REGEX_LIMIT: usize = 64 << 20;

/// What loading the packs of one run has used up so far: ids (unique across packs) and the
/// memory budget of their regexes.
#[derive(Debug, Default)]
pub struct LoadState {
    seen: HashSet<String>,
    regex_bytes: usize,
}

impl LoadState {
    pub fn new() -> LoadState {
        LoadState::default()
    }

    /// Claims the ids of `patterns`, loaded from `origin` apart from this state (the built-in
    /// packs are compiled in parallel, each with a state of its own): the first id already
    /// taken is the same error `parse_pack` gives.
    pub fn claim(&mut self, origin: &str, patterns: &[Pattern]) -> Result<(), PackError> {
        for p in patterns {
            if !self.seen.insert(p.id.clone()) {
                return Err(PackError {
                    file: origin.to_string(),
                    pattern: Some(p.id.clone()),
                    message: "duplicate id (already defined by an earlier pattern)".into(),
                });
            }
        }
        Ok(())
    }
}

/// The memory the automaton of `text` needs, checked against the room left in the run's
/// budget before the (costlier) regex itself is compiled.
fn charge_regex(text: &str, state: &mut LoadState) -> Result<(), String> {
    use regex_automata::nfa::thompson::{Config, NFA};
    let nfa = NFA::compiler()
        .configure(Config::new().nfa_size_limit(Some(REGEX_SIZE_LIMIT)))
        .syntax(regex_automata::util::syntax::Config::new().utf8(false))
        .build(text)
        // The regex crate says what is wrong more clearly (same syntax, same size limit).
        .map_err(|e| match compile_regex(text) {
            Err(message) => message,
            Ok(_) => format!("bad regex: {}", one_line(&e.to_string())),
        })?;
    state.regex_bytes += nfa.memory_usage();
    if state.regex_bytes > TOTAL_REGEX_LIMIT {
        return Err(format!(
            "the pattern packs' regexes together need more than {} MiB; split or simplify them",
            TOTAL_REGEX_LIMIT >> 20
        ));
    }
    Ok(())
}

/// A regex error on one line: the regex crate's message spans several lines and repeats the
/// pattern with a caret under the problem; the last line says what it is.
fn one_line(message: &str) -> String {
    let last = message
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .unwrap_or("");
    last.strip_prefix("error:")
        .unwrap_or(last)
        .trim()
        .to_string()
}
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
        .map_err(|e| format!("bad regex: {}", one_line(&e.to_string())))
}

/// A TOML error on one line: where it is and what is wrong (the toml crate's own rendering
/// spans several lines and quotes the pack's text).
fn toml_message(text: &str, e: &toml::de::Error) -> String {
    let what = e.message().trim().replace('\n', "; ");
    match e.span() {
        Some(span) => {
            let before = &text.as_bytes()[..span.start.min(text.len())];
            let line = before.iter().filter(|b| **b == b'\n').count() + 1;
            let column = before.len()
                - before
                    .iter()
                    .rposition(|b| *b == b'\n')
                    .map_or(0, |i| i + 1)
                + 1;
            format!("TOML error at line {line}, column {column}: {what}")
        }
        None => format!("TOML error: {what}"),
    }
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
/// `built-in:database.toml`). `state` holds what packs loaded before it used. Samples are
/// checked when `check_samples` (always for users' packs; the built-in ones by the tests).
pub fn parse_pack(
    origin: &str,
    text: &str,
    state: &mut LoadState,
    check_samples: bool,
) -> Result<Vec<Pattern>, PackError> {
    let err = |pattern: Option<&str>, message: String| PackError {
        file: origin.to_string(),
        pattern: pattern.map(str::to_string),
        message,
    };
    let file: PackFile = toml::from_str(text).map_err(|e| err(None, toml_message(text, &e)))?;
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
        if !state.seen.insert(entry.id.clone()) {
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
        // The built-in packs are ours and small: only others' packs need measuring.
        if check_samples {
            charge_regex(&entry.regex, state).map_err(|m| err(Some(id), m))?;
        }
        let hir = regex_syntax::ParserBuilder::new()
            .utf8(false)
            .build()
            .parse(&entry.regex)
            .map_err(|e| err(Some(id), format!("bad regex: {}", one_line(&e.to_string()))))?;
        let regex = if check_samples {
            let compiled = compile_regex(&entry.regex).map_err(|m| err(Some(id), m))?;
            PatternRegex::compiled(entry.regex.clone(), compiled)
        } else {
            PatternRegex::lazy(entry.regex.clone())
        };
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
            if !regex.get().is_match(sample.as_bytes()) {
                return Err(err(
                    Some(id),
                    format!("regex does not match sample {sample:?}"),
                ));
            }
        }
        let named = named_captures(&hir);
        if named > super::MAX_FIELDS {
            return Err(err(
                Some(id),
                format!(
                    "regex has {named} named captures; at most {} become fields",
                    super::MAX_FIELDS
                ),
            ));
        }
        out.push(Pattern {
            literals: super::literals::required_literals(&hir).unwrap_or_default(),
            named_captures: named,
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

/// The named capture groups of a regex, from its syntax tree (without compiling it).
fn named_captures(hir: &Hir) -> usize {
    match hir.kind() {
        HirKind::Capture(c) => usize::from(c.name.is_some()) + named_captures(&c.sub),
        HirKind::Concat(hs) | HirKind::Alternation(hs) => hs.iter().map(named_captures).sum(),
        HirKind::Repetition(r) => named_captures(&r.sub),
        HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_) | HirKind::Look(_) => 0,
    }
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
        parse_pack("test.toml", text, &mut LoadState::new(), true)
    }

    #[test]
    fn loads_a_good_pack() {
        let p = load(GOOD).unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].category, Category::Network);
        assert_eq!(p[0].named_captures, 1);
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
        let many: String = (0..9).map(|i| format!("(?P<f{i}>)")).collect();
        let e = problem(&GOOD.replace("(?P<client>[^,]+)", &format!("(?P<client>[^,]+){many}")));
        assert!(e.contains("10 named captures; at most 8"), "{e}");
    }

    #[test]
    fn oversized_regexes_fail_fast() {
        let huge = GOOD.replace(r"(?P<client>[^,]+)", r"(?P<client>[^,]+)(\w{100}){100}?");
        let e = problem(&huge);
        assert!(e.contains("bad regex") && e.contains("size limit"), "{e}");
    }
}
