//! Probable root cause: ranking the timeline's signals around an incident.
//!
//! A candidate is a timeline entry of an error or alert signal that began between half an hour
//! before the incident and its end, or a traffic surge or a backend skew seen in the edge's
//! metrics. Its score grows with how early its first occurrence is relative to the start (a cause
//! comes before its symptoms), how deep its tier is (database before application before web
//! before load balancer: failures propagate outwards), its severity, and its lift (how much rarer
//! it was before the window); the edge's own aggregated request failures are symptoms, not causes.
//! A change shortly before the start (a hand-made network change, a load-balancer or database
//! configuration change) is a candidate too, and is named as what changed.

use super::window::Window;
use crate::aggregate::TimelineEntry;
use crate::format::SourceKind;
use crate::pattern::{Category, Severity, Signal};
use crate::time::Timestamp;
use serde::Serialize;

/// How far before an incident's start a cause may begin (µs).
pub const LOOKBACK: i64 = 30 * 60 * 1_000_000;

/// One ranked candidate.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Candidate {
    pub category: Category,
    pub summary: String,
    /// 0–1, relative to the other candidates.
    pub score: f64,
    /// Timeline entry ids behind it.
    pub evidence: Vec<String>,
    /// The earliest line behind it, as `path:line` and text.
    pub earliest_line: Option<EvidenceLine>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct EvidenceLine {
    pub location: String,
    pub time: String,
    pub text: String,
}

fn tier(source: Option<SourceKind>) -> f64 {
    match source {
        Some(SourceKind::Database) => 1.0,
        Some(SourceKind::System) => 0.9,
        Some(SourceKind::Application) => 0.8,
        Some(SourceKind::Web) => 0.6,
        Some(SourceKind::LoadBalancer) => 0.5,
        None => 0.5,
    }
}

fn severity_weight(s: Severity) -> f64 {
    match s {
        Severity::Critical => 1.0,
        Severity::Error => 0.85,
        Severity::Warning => 0.6,
        Severity::Info => 0.3,
    }
}

/// Whether an entry is the edge's own aggregated request failures (a symptom).
fn is_request_aggregate(e: &TimelineEntry) -> bool {
    e.pattern.is_none()
        && e.template
            .as_deref()
            .is_some_and(|t| t.starts_with('/') || t == "-")
}

/// What else the same signal did outside the window: occurrences before `from`.
fn occurrences_before(all: &[TimelineEntry], e: &TimelineEntry, from: Timestamp) -> u64 {
    all.iter()
        .filter(|o| o.title == e.title && o.source == e.source && o.last_ts < from)
        .map(|o| o.count)
        .sum()
}

/// Extra, metric-based candidates computed by the caller.
pub struct MetricSignals {
    /// Requests per second in the window divided by the baseline's.
    pub traffic_ratio: Option<f64>,
    /// The backend that took most of the window's traffic and its share, with its share before.
    pub backend_skew: Option<(String, f64, f64)>,
}

/// Candidates for one window, best first, scores normalised to sum to 1.
pub fn rank(
    window: &Window,
    timeline: &[TimelineEntry],
    signals: &MetricSignals,
) -> Vec<Candidate> {
    let from = Timestamp(window.start.0 - LOOKBACK);
    let mut scored: Vec<(f64, Candidate)> = Vec::new();
    for e in timeline {
        if !matches!(e.signal, Signal::Error | Signal::Alert) || is_request_aggregate(e) {
            continue;
        }
        if e.first_ts < from || e.first_ts > window.end {
            continue;
        }
        // A cause precedes its symptoms: full credit up to the start, decaying after it.
        let lateness = (e.first_ts.0 - window.start.0).max(0) as f64 / (10.0 * 60.0 * 1e6);
        let earliness = (-lateness).exp();
        let before = occurrences_before(timeline, e, from);
        let lift = e.count as f64 / (e.count as f64 + before as f64);
        let named = if e.pattern.is_some() { 1.0 } else { 0.7 };
        let score = earliness * tier(e.source) * severity_weight(e.severity) * lift * named;
        scored.push((
            score,
            Candidate {
                category: e.category,
                summary: format!("{} ({}× from {})", e.title, e.count, e.first),
                score,
                evidence: vec![e.id.clone()],
                earliest_line: Some(EvidenceLine {
                    location: e.location.clone(),
                    time: e.first.clone(),
                    text: e.message.clone(),
                }),
            },
        ));
    }
    // What changed just before: a hand-made network change, a load-balancer or database
    // configuration change. A configuration change counts for the tier it was made on.
    for e in timeline {
        if e.signal != Signal::Change
            || e.first_ts < from
            || e.first_ts.0 > window.start.0 + 60 * 1_000_000
        {
            continue;
        }
        let category = match (e.category, e.source) {
            (Category::Configuration, Some(SourceKind::Database)) => Category::Database,
            (Category::Configuration, Some(SourceKind::LoadBalancer)) => Category::LoadBalancer,
            (c @ (Category::Network | Category::LoadBalancer | Category::Database), _) => c,
            _ => continue,
        };
        let before = (window.start.0 - e.first_ts.0).max(0) as f64 / (20.0 * 60.0 * 1e6);
        // A change made minutes before users saw failures is the strongest lead the logs give.
        scored.push((
            1.2 * (-before).exp(),
            Candidate {
                category,
                summary: format!("{} at {}", e.title, e.first),
                score: 0.0,
                evidence: vec![e.id.clone()],
                earliest_line: Some(EvidenceLine {
                    location: e.location.clone(),
                    time: e.first.clone(),
                    text: e.message.clone(),
                }),
            },
        ));
    }
    // A surge of 2.5× the usual request rate or more is as telling as any log line.
    if let Some(ratio) = signals.traffic_ratio.filter(|r| *r >= 2.5) {
        scored.push((
            1.0,
            Candidate {
                category: Category::Capacity,
                summary: format!("Traffic surge: {ratio:.1}× the baseline request rate"),
                score: 0.0,
                evidence: Vec::new(),
                earliest_line: None,
            },
        ));
    }
    if let Some((backend, share, before)) = &signals.backend_skew
        && *share >= 0.9
        && *before < 0.7
    {
        scored.push((
            0.95,
            Candidate {
                category: Category::LoadBalancer,
                summary: format!(
                    "Load balancer sent {:.0}% of traffic to {backend} (before: {:.0}%)",
                    share * 100.0,
                    before * 100.0
                ),
                score: 0.0,
                evidence: Vec::new(),
                earliest_line: None,
            },
        ));
    }
    // Signals of the same category reinforce each other, with diminishing returns: fold them
    // into the best of them, each adding a quarter of its score, at most half the best's own
    // (many symptoms of one kind must not outvote the one change that caused them).
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.summary.cmp(&b.1.summary)));
    let mut merged: Vec<(f64, Candidate)> = Vec::new();
    let mut lead: Vec<f64> = Vec::new();
    for (s, c) in scored {
        match merged
            .iter_mut()
            .position(|(_, m)| m.category == c.category)
        {
            Some(at) => {
                let (ms, m) = &mut merged[at];
                *ms = (*ms + s * 0.25).min(lead[at] * 1.5);
                m.evidence.extend(c.evidence);
                let earlier = match (&m.earliest_line, &c.earliest_line) {
                    (Some(a), Some(b)) => b.time < a.time,
                    (None, Some(_)) => true,
                    _ => false,
                };
                if earlier {
                    m.earliest_line = c.earliest_line;
                }
            }
            None => {
                lead.push(s);
                merged.push((s, c));
            }
        }
    }
    merged.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.summary.cmp(&b.1.summary)));
    let total: f64 = merged.iter().map(|(s, _)| *s).sum();
    merged
        .into_iter()
        .map(|(s, mut c)| {
            c.score = if total > 0.0 {
                (s / total * 100.0).round() / 100.0
            } else {
                0.0
            };
            c
        })
        .collect()
}

/// The change event closest before the start (within the lookback), if any: what changed.
pub fn preceding_change(window: &Window, timeline: &[TimelineEntry]) -> Option<TimelineEntry> {
    let from = Timestamp(window.start.0 - LOOKBACK);
    timeline
        .iter()
        .filter(|e| e.signal == Signal::Change && e.first_ts >= from && e.first_ts <= window.start)
        .max_by_key(|e| e.first_ts)
        .cloned()
}
