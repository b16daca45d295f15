//! Aggregation: mergeable per-chunk partials that turn millions of events into the few dozen
//! entries an engineer reads. [`TimelinePartial`] is the sink; [`build_timeline`] turns the
//! merged partial into [`TimelineEntry`]s, sorted by time, with stable ids.

pub mod cluster;
pub mod metrics;
pub mod similar;
pub mod sketch;
pub mod template;
mod timeline;

pub use timeline::{
    EntryKey, EntryKind, KeyedClusters, TimelineConfig, TimelinePartial, path_group,
};

use crate::format::{Level, SourceKind};
use crate::pattern::{Category, Severity, Signal};
use crate::time::Timestamp;
use serde::Serialize;
use std::collections::BTreeMap;

/// One entry of the deduplicated timeline, as the JSON report carries it
/// (`docs/report-schema.md`).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TimelineEntry {
    /// `e1`, `e2`, … in timeline order; stable for the same input and options.
    pub id: String,
    pub first: String,
    pub last: String,
    pub count: u64,
    pub source: Option<SourceKind>,
    pub hosts: Vec<String>,
    pub files: Vec<String>,
    pub category: Category,
    pub severity: Severity,
    pub signal: Signal,
    /// The pattern's id, or `null` for unclassified messages and aggregated requests.
    pub pattern: Option<String>,
    pub title: String,
    /// The earliest raw line of the entry.
    pub message: String,
    /// The message template (unclassified entries) or path group (aggregated requests).
    pub template: Option<String>,
    /// `path:line` of `message`.
    pub location: String,
    /// Values of the pattern's named captures.
    pub fields: BTreeMap<String, Vec<String>>,
    #[serde(skip)]
    pub first_ts: Timestamp,
    #[serde(skip)]
    pub last_ts: Timestamp,
    #[serde(skip)]
    pub hint: Option<String>,
}

fn severity_of_level(level: Level) -> Severity {
    match level {
        Level::Critical | Level::Alert | Level::Emergency => Severity::Critical,
        Level::Error => Severity::Error,
        Level::Warning => Severity::Warning,
        _ => Severity::Info,
    }
}

/// What the entries of a key are: (title, category, severity, signal, pattern id, hint).
fn describe(
    key: &EntryKey,
    label: Option<&str>,
    cluster: &cluster::Cluster,
    partial: &TimelinePartial,
) -> (
    String,
    Category,
    Severity,
    Signal,
    Option<String>,
    Option<String>,
) {
    let edge_category = match key.source {
        Some(SourceKind::LoadBalancer) => Category::LoadBalancer,
        _ => Category::Application,
    };
    let label = label.unwrap_or("-");
    match key.kind {
        EntryKind::Pattern(p) => {
            let p = partial.config().patterns.get(p as usize);
            (
                p.title.clone(),
                p.category,
                p.severity,
                p.signal,
                Some(p.id.clone()),
                p.hint.clone(),
            )
        }
        EntryKind::ServerErrors { status, .. } => (
            format!("HTTP {status} responses on {label}"),
            edge_category,
            Severity::Error,
            Signal::Error,
            None,
            None,
        ),
        EntryKind::SlowRequests { .. } => (
            format!(
                "Requests slower than {} s on {label}",
                partial.config().slow_ms / 1000.0
            ),
            edge_category,
            Severity::Warning,
            Signal::Error,
            None,
            None,
        ),
        EntryKind::Unclassified(_) => (
            format!("Unclassified: {}", truncate(label, 120)),
            // Nothing names it, so its category is where it was logged.
            match key.source {
                Some(SourceKind::Database) => Category::Database,
                Some(SourceKind::LoadBalancer) => Category::LoadBalancer,
                _ => Category::Application,
            },
            severity_of_level(cluster.level),
            Signal::Error,
            None,
            None,
        ),
        EntryKind::Overflow => (
            format!(
                "Unclassified messages beyond the first {} templates",
                partial.config().max_templates
            ),
            Category::Application,
            severity_of_level(cluster.level),
            Signal::Error,
            None,
            None,
        ),
    }
}

fn truncate(s: &str, max_chars: usize) -> String {
    match s.char_indices().nth(max_chars) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// The entries of a merged partial with similar unclassified templates (of the same source)
/// merged into one key each (see [`similar`]).
fn merge_similar_templates(partial: &TimelinePartial) -> Vec<(EntryKey, KeyedClusters)> {
    let gap = partial.config().gap_micros;
    let mut out: Vec<(EntryKey, KeyedClusters)> = Vec::new();
    let mut unclassified: BTreeMap<Option<SourceKind>, Vec<(EntryKey, &KeyedClusters)>> =
        BTreeMap::new();
    for (key, keyed) in &partial.entries {
        match key.kind {
            EntryKind::Unclassified(_) => unclassified
                .entry(key.source)
                .or_default()
                .push((*key, keyed)),
            _ => out.push((*key, keyed.clone())),
        }
    }
    for (_, mut keys) in unclassified {
        keys.sort_by_key(|(k, _)| *k);
        let list: Vec<(&str, u64)> = keys
            .iter()
            .map(|(_, k)| {
                (
                    k.label.as_deref().unwrap_or(""),
                    k.clusters.iter().map(|c| c.count).sum(),
                )
            })
            .collect();
        let (assignment, texts) = similar::group_similar(&list);
        let mut merged: Vec<Option<(EntryKey, KeyedClusters)>> = vec![None; texts.len()];
        for ((key, keyed), group) in keys.into_iter().zip(assignment) {
            match &mut merged[group] {
                Some((_, into)) => {
                    let mine = std::mem::take(&mut into.clusters);
                    into.clusters = cluster::merge(mine, keyed.clusters.clone(), gap);
                }
                slot => {
                    *slot = Some((
                        key,
                        KeyedClusters {
                            label: Some(texts[group].clone()),
                            clusters: keyed.clusters.clone(),
                        },
                    ))
                }
            }
        }
        out.extend(merged.into_iter().flatten());
    }
    out
}

/// The timeline of a merged partial. `files` are the inputs' display paths by index.
pub fn build_timeline(partial: &TimelinePartial, files: &[String]) -> Vec<TimelineEntry> {
    let file_name = |i: u32| {
        files
            .get(i as usize)
            .cloned()
            .unwrap_or_else(|| format!("#{i}"))
    };
    let mut entries: Vec<(EntryKey, TimelineEntry)> = Vec::new();
    for (key, keyed) in &merge_similar_templates(partial) {
        for c in &keyed.clusters {
            let mut c = c.clone();
            c.normalize();
            let (title, category, severity, signal, pattern, hint) =
                describe(key, keyed.label.as_deref(), &c, partial);
            entries.push((
                *key,
                TimelineEntry {
                    id: String::new(),
                    first: c.first.to_string(),
                    last: c.last.to_string(),
                    count: c.count,
                    source: key.source,
                    hosts: c.hosts.clone(),
                    files: c.files.iter().map(|f| file_name(*f)).collect(),
                    category,
                    severity,
                    signal,
                    pattern,
                    title,
                    message: c.example.text.clone(),
                    template: keyed.label.clone(),
                    location: format!("{}:{}", file_name(c.example.file), c.example.line + 1),
                    fields: c.fields.iter().cloned().collect(),
                    first_ts: c.first,
                    last_ts: c.last,
                    hint,
                },
            ));
        }
    }
    // Time order; ties by severity (worst first), then a fixed order of keys.
    entries.sort_by(|(ka, a), (kb, b)| {
        a.first_ts
            .cmp(&b.first_ts)
            .then(b.severity.cmp(&a.severity))
            .then(ka.cmp(kb))
            .then(a.title.cmp(&b.title))
    });
    entries
        .into_iter()
        .enumerate()
        .map(|(i, (_, mut e))| {
            e.id = format!("e{}", i + 1);
            e
        })
        .collect()
}
