//! Pattern packs: data, not code. A pack is a TOML file of `[[pattern]]` tables (schema in
//! `docs/patterns.md`); each names a failure, recovery or change signature by a regex over the
//! raw log line, with its category, severity, signal, the sources or formats it applies to,
//! and sample lines that must match. The default packs in `patterns/` are embedded in the
//! binary; `--patterns PATH` adds more, ahead of them, so a user's pattern wins a tie.
//!
//! [`PatternSet`] matches a line against all patterns in one pass: one literal scan for
//! the patterns' required literals picks the few regexes that can match at all.

mod defaults;
mod literals;
mod matcher;
mod pack;
mod prefilter;

pub use matcher::{Fields, MAX_FIELDS, MatchScratch, PatternSet};
pub use pack::compile_regex;

use crate::format::SourceKind;
use regex::bytes::Regex;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// What part of the system a signal is about; root causes are named by category too.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Database,
    Network,
    LoadBalancer,
    Capacity,
    Configuration,
    Application,
    Dependency,
    Storage,
    Security,
}

impl Category {
    pub const ALL: [Category; 9] = [
        Category::Database,
        Category::Network,
        Category::LoadBalancer,
        Category::Capacity,
        Category::Configuration,
        Category::Application,
        Category::Dependency,
        Category::Storage,
        Category::Security,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Database => "database",
            Category::Network => "network",
            Category::LoadBalancer => "load_balancer",
            Category::Capacity => "capacity",
            Category::Configuration => "configuration",
            Category::Application => "application",
            Category::Dependency => "dependency",
            Category::Storage => "storage",
            Category::Security => "security",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// How bad a signal is.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Error,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        [
            Severity::Info,
            Severity::Warning,
            Severity::Error,
            Severity::Critical,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// What a signal says about the incident: something failing, an alert firing, something
/// recovering, or something changed.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    Error,
    Alert,
    Recovery,
    Change,
}

impl Signal {
    pub fn as_str(self) -> &'static str {
        match self {
            Signal::Error => "error",
            Signal::Alert => "alert",
            Signal::Recovery => "recovery",
            Signal::Change => "change",
        }
    }
}

/// A pattern's regex, compiled when first needed. Users' packs compile theirs as they load,
/// so a bad one is an error then; the built-in packs' 300 regexes, which the test suite
/// compiles and checks against their samples, compile only when a line makes one a candidate:
/// compiling them all was most of a small run's time (and 5% of a gigabyte's).
#[derive(Clone, Debug)]
pub struct PatternRegex {
    text: String,
    compiled: OnceLock<Regex>,
}

impl PatternRegex {
    /// A regex to compile on first use; it must be one that compiles.
    pub(crate) fn lazy(text: String) -> PatternRegex {
        PatternRegex {
            text,
            compiled: OnceLock::new(),
        }
    }

    pub(crate) fn compiled(text: String, regex: Regex) -> PatternRegex {
        PatternRegex {
            text,
            compiled: OnceLock::from(regex),
        }
    }

    pub fn get(&self) -> &Regex {
        self.compiled.get_or_init(|| {
            compile_regex(&self.text)
                .expect("built-in regexes compile: the test suite compiles every one")
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// One validated pattern.
#[derive(Clone, Debug)]
pub struct Pattern {
    pub id: String,
    pub title: String,
    pub category: Category,
    pub severity: Severity,
    pub signal: Signal,
    /// Source kinds it applies to; empty: all.
    pub sources: Vec<SourceKind>,
    /// Format names it applies to; empty: all.
    pub formats: Vec<&'static str>,
    pub regex: PatternRegex,
    /// At least one of these (lower-case) occurs in every line the regex matches; empty when
    /// the regex has none worth using, and then it runs on every line it applies to.
    pub literals: Vec<Vec<u8>>,
    /// How many named captures the regex has: the fields a match gives its timeline entry.
    pub named_captures: usize,
    pub samples: Vec<String>,
    pub hint: Option<String>,
    /// The pack it came from: a path, or `built-in:NAME.toml`.
    pub origin: String,
}

impl Pattern {
    /// Whether the pattern is for lines of this source kind and format.
    pub fn applies_to(&self, source: Option<SourceKind>, format: Option<&str>) -> bool {
        (self.sources.is_empty() || source.is_some_and(|s| self.sources.contains(&s)))
            && (self.formats.is_empty() || format.is_some_and(|f| self.formats.contains(&f)))
    }
}

/// A pack that failed to load: which file, which pattern, what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackError {
    pub file: String,
    pub pattern: Option<String>,
    pub message: String,
}

/// Escaped for a terminal: a pack's path and text are someone else's and may hold anything.
impl fmt::Display for PackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let safe = |s: &str| crate::report::safe_text::escape_for_terminal(s.as_bytes(), 1000);
        match &self.pattern {
            Some(id) => write!(
                f,
                "{}: {}: {}",
                safe(&self.file),
                safe(id),
                safe(&self.message)
            ),
            None => write!(f, "{}: {}", safe(&self.file), safe(&self.message)),
        }
    }
}

impl std::error::Error for PackError {}

/// The `.toml` files a `--patterns` argument names: the file itself, or a folder's files.
fn pack_files(path: &Path) -> Result<Vec<PathBuf>, PackError> {
    let err = |message: String| PackError {
        file: path.display().to_string(),
        pattern: None,
        message,
    };
    let meta = std::fs::metadata(path).map_err(|e| err(crate::input::io_message(&e)))?;
    if meta.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    if !meta.is_dir() {
        // `/dev/zero` or a FIFO would never end.
        return Err(err("is not a regular file or folder".into()));
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| err(crate::input::io_message(&e)))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(err("folder holds no .toml pattern packs".into()));
    }
    Ok(files)
}

/// Loads the packs `extra` names (files or folders, in order), then the built-in packs unless
/// `no_defaults`. Everything is validated; the first problem is the error.
pub fn load(extra: &[PathBuf], no_defaults: bool) -> Result<PatternSet, PackError> {
    let mut state = pack::LoadState::new();
    let mut patterns = Vec::new();
    for arg in extra {
        for file in pack_files(arg)? {
            let origin = file.display().to_string();
            let text = read_pack(&file)?;
            patterns.extend(pack::parse_pack(&origin, &text, &mut state, true)?);
        }
    }
    if !no_defaults {
        // Compiling 300 regexes is most of a small run's time: the built-in packs compile in
        // parallel, each on its own, and then claim their ids in order, so a user's pack that
        // reuses a built-in id is still named. Their samples are checked by the test suite,
        // not on every run.
        use rayon::prelude::*;
        let built: Vec<(String, Result<Vec<Pattern>, PackError>)> = defaults::PACKS
            .par_iter()
            .map(|(name, text)| {
                let origin = format!("built-in:{name}");
                let parsed = pack::parse_pack(&origin, text, &mut pack::LoadState::new(), false);
                (origin, parsed)
            })
            .collect();
        for (origin, parsed) in built {
            let parsed = parsed?;
            state.claim(&origin, &parsed)?;
            patterns.extend(parsed);
        }
    }
    Ok(PatternSet::new(patterns))
}

/// Validates one pack file on its own, samples included (`pmtrace patterns check`).
pub fn check_file(path: &Path) -> Result<Vec<Pattern>, PackError> {
    let origin = path.display().to_string();
    let text = read_pack(path)?;
    check_text(&origin, &text)
}

/// A pack file is small text: anything larger is refused rather than read into memory.
const MAX_PACK_BYTES: u64 = 4 << 20;

/// The text of a pack file: a regular file of at most [`MAX_PACK_BYTES`], in UTF-8.
fn read_pack(path: &Path) -> Result<String, PackError> {
    use std::io::Read;
    let err = |message: String| PackError {
        file: path.display().to_string(),
        pattern: None,
        message,
    };
    let file = std::fs::File::open(path).map_err(|e| err(crate::input::io_message(&e)))?;
    let meta = file
        .metadata()
        .map_err(|e| err(crate::input::io_message(&e)))?;
    if !meta.is_file() {
        return Err(err("is not a regular file".into()));
    }
    let mut bytes = Vec::new();
    file.take(MAX_PACK_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| err(crate::input::io_message(&e)))?;
    if bytes.len() as u64 > MAX_PACK_BYTES {
        return Err(err(format!(
            "larger than {} MiB: not a pattern pack",
            MAX_PACK_BYTES >> 20
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        err(format!(
            "not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

/// Validates one pack's text on its own, samples included; `origin` names it in errors. The
/// same checks as a pack file gets, for callers that hold the text (the fuzz targets).
pub fn check_text(origin: &str, text: &str) -> Result<Vec<Pattern>, PackError> {
    pack::parse_pack(origin, text, &mut pack::LoadState::new(), true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_users_pack_reusing_a_built_in_id_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mine.toml");
        std::fs::write(
            &path,
            r#"[[pattern]]
id = "postgres.too_many_clients"
title = "Mine"
category = "database"
severity = "error"
signal = "error"
regex = 'too many clients'
samples = ['2024-11-14 14:02:11.123 UTC [4242] FATAL:  sorry, too many clients already']
"#,
        )
        .unwrap();
        let e = load(&[path], false).unwrap_err();
        assert_eq!(e.pattern.as_deref(), Some("postgres.too_many_clients"));
        assert!(e.file.starts_with("built-in:"), "{e}");
        assert!(e.message.contains("duplicate id"), "{e}");
        // The built-in packs alone load, in parallel, every id once.
        let set = load(&[], false).unwrap();
        let mut ids: Vec<&str> = set.patterns().iter().map(|p| p.id.as_str()).collect();
        let n = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), n);
    }

    #[test]
    fn built_in_packs_load_with_every_sample_checked() {
        let mut state = pack::LoadState::new();
        let mut total = 0;
        for (name, text) in defaults::PACKS {
            let patterns =
                pack::parse_pack(name, text, &mut state, true).unwrap_or_else(|e| panic!("{e}"));
            assert!(!patterns.is_empty(), "{name} is empty");
            total += patterns.len();
        }
        let set = load(&[], false).unwrap();
        assert_eq!(set.patterns().len(), total);
        // Loaded for a run, the built-in regexes compile on first use: every one must.
        for p in set.patterns() {
            assert!(compile_regex(p.regex.as_str()).is_ok(), "{}", p.id);
            p.regex.get();
        }
    }

    /// The formats that read a sample line as an event: the contexts it may be seen in.
    fn readers_of(line: &[u8]) -> Vec<&'static crate::format::Format> {
        use crate::format::{self, Parsed};
        format::ALL
            .iter()
            .copied()
            .chain([format::FALLBACK])
            .filter(|f| matches!((f.parse)(line), Parsed::Event(_)))
            .collect()
    }

    /// Every built-in sample is won by its own pattern: no earlier pattern (in this pack or a
    /// pack before it) takes its lines.
    #[test]
    fn every_built_in_sample_is_won_by_its_own_pattern() {
        let set = load(&[], false).unwrap();
        let mut scratch = MatchScratch::default();
        let mut stolen = Vec::new();
        for (i, p) in set.patterns().iter().enumerate() {
            for sample in &p.samples {
                let line = sample.as_bytes();
                // The sample must be won by its own pattern in at least one context it applies
                // to: a file of a format that reads it (a Python log line quoting a PostgreSQL
                // error is a Python line), or, for a line no format starts an event with (a
                // stack-trace line), a file of the pattern's own source and format.
                let mut contexts: Vec<(Option<SourceKind>, Option<&str>)> = readers_of(line)
                    .into_iter()
                    .filter(|f| p.applies_to(Some(f.source), Some(f.name)))
                    .map(|f| (Some(f.source), Some(f.name)))
                    .collect();
                if contexts.is_empty() {
                    contexts.push((p.sources.first().copied(), p.formats.first().copied()));
                }
                let winners: Vec<Option<usize>> = contexts
                    .iter()
                    .map(|(s, f)| set.find(line, *s, *f, &mut scratch))
                    .collect();
                if !winners.contains(&Some(i)) {
                    let by: Vec<String> = winners
                        .iter()
                        .map(|w| w.map_or("nothing".to_string(), |w| set.get(w).id.clone()))
                        .collect();
                    stolen.push(format!("{}: won by {by:?}: {sample}", p.id));
                }
            }
        }
        assert!(
            stolen.is_empty(),
            "samples not won by their own pattern:\n{}",
            stolen.join("\n")
        );
    }

    #[test]
    fn a_folder_of_packs_loads_in_name_order_before_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("b.toml"),
            "[[pattern]]\nid = \"mine.b\"\ntitle = \"B\"\ncategory = \"application\"\nseverity = \"error\"\nsignal = \"error\"\nregex = 'boom b'\nsamples = ['2024-11-14 14:00:00 ERROR boom b']\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("a.toml"),
            "[[pattern]]\nid = \"mine.a\"\ntitle = \"A\"\ncategory = \"application\"\nseverity = \"error\"\nsignal = \"error\"\nregex = 'boom a'\nsamples = ['2024-11-14 14:00:00 ERROR boom a']\n",
        )
        .unwrap();
        let set = load(&[dir.path().to_path_buf()], false).unwrap();
        assert_eq!(set.patterns()[0].id, "mine.a");
        assert_eq!(set.patterns()[1].id, "mine.b");
        assert!(set.patterns().len() > 2);
        let only = load(&[dir.path().to_path_buf()], true).unwrap();
        assert_eq!(only.patterns().len(), 2);
        let missing = load(&[dir.path().join("nope.toml")], true).unwrap_err();
        assert!(
            missing
                .to_string()
                .ends_with("nope.toml: no such file or directory")
        );
    }
}
