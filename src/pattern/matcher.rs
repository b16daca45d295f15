//! Matching a line against every pattern in one pass.
//!
//! One [`LiteralScan`] holds the required literals of all patterns (matched ignoring ASCII
//! case). Scanning a line with it yields the patterns that can match at all; only their
//! regexes run, in priority order (the order the packs were loaded in), and the first that
//! applies to the line's source and format and matches wins. Patterns without a usable literal
//! run on every line they apply to. A pattern with named captures is matched by reading its
//! captures at once, into locations kept in the scratch, so a matched line's regex runs once.

use super::Pattern;
use super::prefilter::LiteralScan;
use crate::format::SourceKind;
use regex::bytes::CaptureLocations;

/// Compiled patterns, ready to match.
#[derive(Clone, Debug)]
pub struct PatternSet {
    patterns: Vec<Pattern>,
    prefilter: Option<LiteralScan>,
    /// For each literal of the automaton, the patterns that require it.
    owners: Vec<Vec<u32>>,
    /// Patterns without a literal: always candidates.
    unfiltered: Vec<u32>,
}

/// Reusable state for [`PatternSet::find`], so matching allocates nothing per line.
#[derive(Clone, Debug, Default)]
pub struct MatchScratch {
    /// `stamp[p] == epoch` marks pattern `p` as a candidate for the current line.
    stamp: Vec<u32>,
    epoch: u32,
    candidates: Vec<u32>,
    /// Per pattern with captures, where the last match put them.
    locations: Vec<Option<CaptureLocations>>,
    /// The pattern whose captures the last [`PatternSet::find_with`] read.
    captured: Option<usize>,
}

/// At most this many named captures of one match are handed on without allocating.
pub const MAX_FIELDS: usize = 8;

/// The named captures of one match, as (name, value) pairs, held on the stack.
pub struct Fields<'s, 'l> {
    pairs: [(&'s str, &'l [u8]); MAX_FIELDS],
    len: usize,
}

impl<'s, 'l> Fields<'s, 'l> {
    pub fn as_slice(&self) -> &[(&'s str, &'l [u8])] {
        &self.pairs[..self.len]
    }
}

impl PatternSet {
    pub fn new(patterns: Vec<Pattern>) -> PatternSet {
        let mut literals: Vec<Vec<u8>> = Vec::new();
        let mut owners: Vec<Vec<u32>> = Vec::new();
        let mut unfiltered = Vec::new();
        for (i, p) in patterns.iter().enumerate() {
            if p.literals.is_empty() {
                unfiltered.push(i as u32);
                continue;
            }
            for lit in &p.literals {
                match literals.iter().position(|l| l == lit) {
                    Some(at) => owners[at].push(i as u32),
                    None => {
                        literals.push(lit.clone());
                        owners.push(vec![i as u32]);
                    }
                }
            }
        }
        let prefilter = (!literals.is_empty()).then(|| LiteralScan::new(&literals));
        PatternSet {
            patterns,
            prefilter,
            owners,
            unfiltered,
        }
    }

    /// An empty set (`--no-default-patterns` without `--patterns`).
    pub fn empty() -> PatternSet {
        PatternSet::new(Vec::new())
    }

    pub fn patterns(&self) -> &[Pattern] {
        &self.patterns
    }

    pub fn get(&self, index: usize) -> &Pattern {
        &self.patterns[index]
    }

    /// The first pattern, in priority order, that applies to a line of this source and format
    /// and matches it.
    pub fn find(
        &self,
        line: &[u8],
        source: Option<SourceKind>,
        format: Option<&str>,
        scratch: &mut MatchScratch,
    ) -> Option<usize> {
        self.find_with(line, source, format, scratch, |_| true)
    }

    /// [`PatternSet::find`], reading the named captures of the pattern that matches only when
    /// `wants_fields(pattern)`: a timeline entry that already names as many values as it
    /// keeps has no use for more, and captures cost several times what a match does.
    pub fn find_with(
        &self,
        line: &[u8],
        source: Option<SourceKind>,
        format: Option<&str>,
        scratch: &mut MatchScratch,
        wants_fields: impl Fn(usize) -> bool,
    ) -> Option<usize> {
        scratch.captured = None;
        if self.patterns.is_empty() {
            return None;
        }
        if scratch.stamp.len() != self.patterns.len() {
            scratch.stamp = vec![0; self.patterns.len()];
            scratch.epoch = 0;
        }
        scratch.epoch = scratch.epoch.wrapping_add(1);
        if scratch.epoch == 0 {
            scratch.stamp.iter_mut().for_each(|s| *s = 0);
            scratch.epoch = 1;
        }
        scratch.candidates.clear();
        if let Some(scan) = &self.prefilter {
            let MatchScratch {
                stamp,
                epoch,
                candidates,
                ..
            } = scratch;
            scan.for_each(line, |lit| {
                for &p in &self.owners[lit as usize] {
                    if stamp[p as usize] != *epoch {
                        stamp[p as usize] = *epoch;
                        candidates.push(p);
                    }
                }
            });
        }
        if scratch.candidates.is_empty() && self.unfiltered.is_empty() {
            return None;
        }
        scratch.candidates.extend_from_slice(&self.unfiltered);
        scratch.candidates.sort_unstable();
        if scratch.locations.len() != self.patterns.len() {
            scratch.locations = vec![None; self.patterns.len()];
        }
        let MatchScratch {
            candidates,
            locations,
            captured,
            ..
        } = scratch;
        candidates.iter().map(|&p| p as usize).find(|&p| {
            let pattern = &self.patterns[p];
            if !pattern.applies_to(source, format) {
                return false;
            }
            let regex = pattern.regex.get();
            if pattern.named_captures == 0 || !wants_fields(p) {
                return regex.is_match(line);
            }
            let locs = locations[p].get_or_insert_with(|| regex.capture_locations());
            let found = regex.captures_read(locs, line).is_some();
            if found {
                *captured = Some(p);
            }
            found
        })
    }

    /// The named captures of pattern `index`, which [`PatternSet::find_with`] just matched in
    /// `line` with this scratch (none if it was not asked for them).
    pub fn found_fields<'s, 'l>(
        &'s self,
        index: usize,
        line: &'l [u8],
        scratch: &MatchScratch,
    ) -> Fields<'s, 'l> {
        let mut fields = Fields {
            pairs: [("", &[]); MAX_FIELDS],
            len: 0,
        };
        if scratch.captured != Some(index) {
            return fields;
        }
        let pattern = &self.patterns[index];
        let Some(Some(locs)) = scratch.locations.get(index) else {
            return fields;
        };
        for (group, name) in pattern.regex.get().capture_names().enumerate() {
            if let (Some(name), Some((start, end))) = (name, locs.get(group))
                && fields.len < MAX_FIELDS
            {
                fields.pairs[fields.len] = (name, &line[start..end]);
                fields.len += 1;
            }
        }
        fields
    }

    /// The named captures of pattern `index` in `line`, as (name, value) pairs.
    pub fn captures<'l>(&self, index: usize, line: &'l [u8]) -> Vec<(&str, &'l [u8])> {
        let pattern = &self.patterns[index];
        if pattern.named_captures == 0 {
            return Vec::new();
        }
        let Some(caps) = pattern.regex.get().captures(line) else {
            return Vec::new();
        };
        pattern
            .regex
            .get()
            .capture_names()
            .flatten()
            .filter_map(|name| caps.name(name).map(|m| (name, m.as_bytes())))
            .collect()
    }

    /// Every pattern whose regex matches `line`, whatever it applies to (for `patterns test`).
    pub fn all_matching(&self, line: &[u8]) -> Vec<usize> {
        (0..self.patterns.len())
            .filter(|&p| self.patterns[p].regex.get().is_match(line))
            .collect()
    }

    /// The required literals of pattern `index` found in `line` (why it was a candidate).
    pub fn literals_found(&self, index: usize, line: &[u8]) -> Vec<String> {
        let lower = line.to_ascii_lowercase();
        self.patterns[index]
            .literals
            .iter()
            .filter(|l| memchr::memmem::find(&lower, l).is_some())
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::{Category, PatternRegex, Severity, Signal, compile_regex};

    fn pattern(id: &str, regex: &str, sources: Vec<SourceKind>) -> Pattern {
        let hir = regex_syntax::parse(regex).unwrap();
        Pattern {
            id: id.into(),
            title: id.into(),
            category: Category::Application,
            severity: Severity::Error,
            signal: Signal::Error,
            sources,
            formats: vec![],
            regex: PatternRegex::compiled(regex.into(), compile_regex(regex).unwrap()),
            literals: crate::pattern::literals::required_literals(&hir).unwrap_or_default(),
            named_captures: regex.matches("(?P<").count(),
            samples: vec![],
            hint: None,
            origin: "test".into(),
        }
    }

    #[test]
    fn first_applicable_match_in_priority_order_wins() {
        let set = PatternSet::new(vec![
            pattern("db.only", "too many clients", vec![SourceKind::Database]),
            pattern("any.clients", "(?i)too many CLIENTS", vec![]),
            pattern("digits", r"\d{5}", vec![]),
        ]);
        let mut s = MatchScratch::default();
        let line = b"FATAL:  sorry, too many clients already";
        assert_eq!(
            set.find(line, Some(SourceKind::Database), None, &mut s),
            Some(0)
        );
        assert_eq!(set.find(line, Some(SourceKind::Web), None, &mut s), Some(1));
        assert_eq!(set.find(b"pid 12345 exited", None, None, &mut s), Some(2));
        assert_eq!(set.find(b"all quiet", None, None, &mut s), None);
        assert_eq!(set.all_matching(line), vec![0, 1]);
        assert_eq!(
            set.literals_found(1, line),
            vec!["too many clients".to_string()]
        );
    }

    #[test]
    fn captures_become_fields() {
        let set = PatternSet::new(vec![pattern(
            "lb.down",
            r"Server (?P<server>\S+) is DOWN",
            vec![],
        )]);
        let line = b"Server app/web2 is DOWN, reason: Layer4 timeout";
        assert_eq!(set.captures(0, line), vec![("server", &b"app/web2"[..])]);
        let mut s = MatchScratch::default();
        assert_eq!(set.find(line, None, None, &mut s), Some(0));
        assert_eq!(
            set.found_fields(0, line, &s).as_slice(),
            &[("server", &b"app/web2"[..])]
        );
        assert_eq!(set.find_with(line, None, None, &mut s, |_| false), Some(0));
        assert!(set.found_fields(0, line, &s).as_slice().is_empty());
    }
}
