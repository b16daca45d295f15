//! The timeline partial: what one chunk (then one file, then the whole run) contributes to the
//! deduplicated timeline. It is the `EventSink` of a timeline run.
//!
//! Every event is classified once:
//! - a request (access or load-balancer line) that failed (status ≥ 500) or was very slow is
//!   counted into an aggregated entry per status (or "slow") and path group;
//! - any other event, and any continuation line, is matched against the pattern packs;
//! - a warning-or-worse event no pattern names is clustered by its message template.
//!
//! Occurrences of one key (pattern and source kind, or template and source kind, or request
//! kind, source kind and path group) are kept as gap-separated clusters (`cluster.rs`), which
//! merge associatively, so the timeline is the same for any chunk size and thread count.

use super::cluster::{self, Cluster, Occurrence};
use super::metrics::MetricsPartial;
use super::template::{template, template_hash};
use crate::format::{Event, Level, SourceKind};
use crate::ingest::{EventSink, FileContext};
use crate::pattern::{MatchScratch, PatternSet, Severity, Signal};
use crate::time::Timestamp;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

/// Hashes entry keys, which are a few integers (pattern indices, status codes, hashes already
/// taken of the text): a multiply and rotate per word, FxHash's recipe, with a final mix for
/// the table's low bits. SipHash, the default, was 6% of the time on nginx error logs, where
/// every line looks its entry up; its resistance to chosen keys buys nothing here, where a key's
/// text has been hashed already.
#[derive(Default, Clone, Copy)]
pub struct EntryKeyHasher(u64);

impl EntryKeyHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for EntryKeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
    }
    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }
    fn write_u16(&mut self, n: u16) {
        self.add(u64::from(n));
    }
    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
    fn write_isize(&mut self, n: isize) {
        self.add(n as u64);
    }
    fn finish(&self) -> u64 {
        let h = self.0;
        h ^ (h >> 29)
    }
}

/// The timeline's map from entry key to its clusters.
pub type EntryMap = HashMap<EntryKey, KeyedClusters, BuildHasherDefault<EntryKeyHasher>>;

/// How a timeline run groups events.
#[derive(Debug)]
pub struct TimelineConfig {
    pub patterns: PatternSet,
    /// A quiet gap longer than this starts a new entry (µs).
    pub gap_micros: i64,
    /// Requests at least this slow (ms) are aggregated as slow.
    pub slow_ms: f64,
    /// At most this many distinct unclassified templates are kept, in each chunk's partial and
    /// after every merge; the occurrences of the rest are counted in one overflow entry per
    /// source.
    pub max_templates: usize,
}

impl TimelineConfig {
    pub fn new(patterns: PatternSet) -> TimelineConfig {
        TimelineConfig {
            patterns,
            gap_micros: 5 * 60 * 1_000_000,
            slow_ms: 5000.0,
            max_templates: 10_000,
        }
    }
}

/// What an entry is about.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntryKind {
    /// Matched the pattern with this index in the set.
    Pattern(u32),
    /// A warning or worse that no pattern names, by template hash.
    Unclassified(u64),
    /// Unclassified messages beyond the template limit.
    Overflow,
    /// Requests that failed with this status, by path-group hash.
    ServerErrors { status: u16, group: u64 },
    /// Requests slower than the threshold, by path-group hash.
    SlowRequests { group: u64 },
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntryKey {
    pub kind: EntryKind,
    pub source: Option<SourceKind>,
}

/// The clusters of one key, and the label its entries show (template text, path group).
#[derive(Clone, Debug, PartialEq)]
pub struct KeyedClusters {
    pub label: Option<String>,
    pub clusters: Vec<Cluster>,
}

/// The continuation context: the last event of this chunk, whose time continuations share.
#[derive(Clone, Copy, Debug)]
struct LastEvent {
    time: Timestamp,
}

#[derive(Debug)]
pub struct TimelinePartial {
    config: Arc<TimelineConfig>,
    pub entries: EntryMap,
    /// Distinct unclassified templates held.
    templates: usize,
    /// Events that matched or were kept but had no usable time.
    pub untimed: u64,
    /// Time-bucketed request metrics per source kind.
    pub metrics: MetricsPartial,
    scratch: MatchScratch,
    last_event: Option<LastEvent>,
}

/// The group of a request path: its first segment, with `*` for the rest
/// (`/api/v1/users/42?x=1` → `/api/*`), or the path itself when it has one segment (`/health`).
/// Returns the prefix and whether a `*` follows it.
pub fn path_group(path: &[u8]) -> (&[u8], bool) {
    let path = &path[..memchr::memchr2(b'?', b'#', path).unwrap_or(path.len())];
    if path.len() <= 1 || path[0] != b'/' {
        return (if path.is_empty() { b"-" } else { path }, false);
    }
    match memchr::memchr(b'/', &path[1..]) {
        Some(i) if i + 2 < path.len() => (&path[..i + 2], true),
        _ => (path, false),
    }
}

/// The text of a path group: `/api/*`.
fn group_label(group: (&[u8], bool)) -> String {
    let mut s = String::from_utf8_lossy(group.0).into_owned();
    if group.1 {
        s.push('*');
    }
    s
}

fn hash_group(group: (&[u8], bool)) -> u64 {
    super::sketch::hash64(group.0) ^ u64::from(group.1)
}

impl TimelinePartial {
    pub fn new(config: Arc<TimelineConfig>) -> TimelinePartial {
        TimelinePartial {
            config,
            entries: EntryMap::default(),
            templates: 0,
            untimed: 0,
            metrics: MetricsPartial::default(),
            scratch: MatchScratch::default(),
            last_event: None,
        }
    }

    pub fn config(&self) -> &Arc<TimelineConfig> {
        &self.config
    }

    fn record(
        &mut self,
        key: EntryKey,
        label: impl FnOnce() -> Option<String>,
        o: &Occurrence<'_>,
    ) {
        let gap = self.config.gap_micros;
        let slot = self.entries.entry(key).or_insert_with(|| KeyedClusters {
            label: label(),
            clusters: Vec::new(),
        });
        cluster::add(&mut slot.clusters, o, gap);
    }

    /// Keeps the bound on distinct templates across merges too (each chunk keeps it alone, so
    /// a thousand chunks could otherwise hold a thousand times as many): the templates first
    /// seen earliest stay, the occurrences of the others join their source's overflow entry.
    /// Counted, never dropped.
    fn fold_surplus_templates(&mut self) {
        let max = self.config.max_templates;
        if self.templates <= max {
            return;
        }
        let mut held: Vec<((Timestamp, u32, u64), EntryKey)> = self
            .entries
            .iter()
            .filter(|(k, _)| matches!(k.kind, EntryKind::Unclassified(_)))
            .map(|(k, v)| {
                let e = v.clusters.first().map(|c| &c.example);
                let first = e.map_or((Timestamp(i64::MAX), u32::MAX, u64::MAX), |e| {
                    (e.time, e.file, e.line)
                });
                (first, *k)
            })
            .collect();
        held.sort_unstable();
        let gap = self.config.gap_micros;
        for (_, key) in held.drain(..).skip(max) {
            let Some(surplus) = self.entries.remove(&key) else {
                continue;
            };
            let overflow = EntryKey {
                kind: EntryKind::Overflow,
                source: key.source,
            };
            match self.entries.get_mut(&overflow) {
                Some(o) => {
                    let clusters = std::mem::take(&mut o.clusters);
                    o.clusters = cluster::merge(clusters, surplus.clusters, gap);
                }
                None => {
                    self.entries.insert(overflow, surplus);
                }
            }
        }
        self.templates = max;
    }

    /// Matches `line` against the patterns and records it if one matches; returns the pattern.
    fn match_patterns(
        &mut self,
        file: &FileContext,
        o: &Occurrence<'_>,
        line: &[u8],
    ) -> Option<usize> {
        let format = file.format.map(|f| f.name);
        let (entries, gap) = (&self.entries, self.config.gap_micros);
        let wants_fields = |p: usize| {
            let key = EntryKey {
                kind: EntryKind::Pattern(p as u32),
                source: file.source,
            };
            let fields = self.config.patterns.get(p).named_captures;
            entries
                .get(&key)
                .is_none_or(|e| !cluster::names_all_it_can(&e.clusters, o.time, gap, fields))
        };
        let p = self.config.patterns.find_with(
            line,
            file.source,
            format,
            &mut self.scratch,
            wants_fields,
        )?;
        let config = Arc::clone(&self.config);
        let fields = config.patterns.found_fields(p, line, &self.scratch);
        let with_fields = Occurrence {
            fields: fields.as_slice(),
            ..*o
        };
        let key = EntryKey {
            kind: EntryKind::Pattern(p as u32),
            source: file.source,
        };
        self.record(key, || None, &with_fields);
        Some(p)
    }
}

impl EventSink for TimelinePartial {
    fn on_event(
        &mut self,
        file: &FileContext,
        index: u64,
        time: Option<Timestamp>,
        event: &Event<'_>,
        line: &[u8],
    ) {
        let Some(time) = time else {
            self.untimed += u64::from(event.level >= Level::Warning);
            return;
        };
        self.last_event = Some(LastEvent { time });
        self.metrics.record_event_time(time);
        let host = event.host.or(file.host.as_deref().map(str::as_bytes));
        let o = Occurrence {
            time,
            file: file.index as u32,
            line: index,
            text: line,
            host,
            level: event.level,
            fields: &[],
        };
        if let Some(r) = &event.request {
            if let Some(source) = file.source {
                self.metrics.record(source, time, r, self.config.slow_ms);
            }
            let slow = r.latency_ms.is_some_and(|ms| ms >= self.config.slow_ms);
            if r.status < 500 && !slow {
                return;
            }
            let group = path_group(r.path.unwrap_or(b"-"));
            let kind = if r.status >= 500 {
                EntryKind::ServerErrors {
                    status: r.status,
                    group: hash_group(group),
                }
            } else {
                EntryKind::SlowRequests {
                    group: hash_group(group),
                }
            };
            let key = EntryKey {
                kind,
                source: file.source,
            };
            self.record(key, || Some(group_label(group)), &o);
            return;
        }
        let matched = self.match_patterns(file, &o, line);
        // The error events a run without request logs finds its incidents in: lines an error
        // or alert pattern of warning severity or worse names, and error-level lines no pattern names (a
        // pattern knows better than the level: nginx logs a missing file at `[error]`).
        let is_error = match matched {
            Some(p) => {
                let p = self.config.patterns.get(p);
                matches!(p.signal, Signal::Error | Signal::Alert) && p.severity >= Severity::Warning
            }
            None => event.level >= Level::Error,
        };
        if is_error {
            self.metrics.record_error_event(time);
        }
        if matched.is_some() || event.level < Level::Warning {
            return;
        }
        let mut key = EntryKey {
            kind: EntryKind::Unclassified(template_hash(event.message)),
            source: file.source,
        };
        // A template already held keeps counting in its own entry; only new ones overflow.
        if !self.entries.contains_key(&key) {
            if self.templates < self.config.max_templates {
                self.templates += 1;
            } else {
                key.kind = EntryKind::Overflow;
            }
        }
        let message = event.message;
        self.record(key, || Some(template(message)), &o);
    }

    fn on_continuation(&mut self, file: &FileContext, index: u64, text: &[u8]) {
        // A stack trace's `Caused by: java.lang.OutOfMemoryError` is the news, not its header.
        let Some(last) = self.last_event else { return };
        let o = Occurrence {
            time: last.time,
            file: file.index as u32,
            line: index,
            text,
            host: file.host.as_deref().map(str::as_bytes),
            level: Level::Unknown,
            fields: &[],
        };
        // Its event was counted as an error event already, if it was one.
        self.match_patterns(file, &o, text);
    }

    fn merge(&mut self, later: Self, later_offset: u64) {
        let gap = self.config.gap_micros;
        for (key, mut theirs) in later.entries {
            for c in &mut theirs.clusters {
                c.example.line += later_offset;
            }
            match self.entries.get_mut(&key) {
                Some(mine) => {
                    let clusters = std::mem::take(&mut mine.clusters);
                    mine.clusters = cluster::merge(clusters, theirs.clusters, gap);
                }
                None => {
                    if matches!(key.kind, EntryKind::Unclassified(_)) {
                        self.templates += 1;
                    }
                    self.entries.insert(key, theirs);
                }
            }
        }
        self.fold_surplus_templates();
        self.untimed += later.untimed;
        self.metrics.merge(later.metrics);
        // Continuations at the start of `later` belong to events before it, not to ours.
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_groups() {
        let label = |p: &[u8]| group_label(path_group(p));
        assert_eq!(label(b"/api/v1/users/42?x=1"), "/api/*");
        assert_eq!(label(b"/health"), "/health");
        assert_eq!(label(b"/api/"), "/api/");
        assert_eq!(label(b"/"), "/");
        assert_eq!(label(b""), "-");
        assert_eq!(label(b"*"), "*");
    }
}
