//! Incidents: when the outage started and ended, how bad it was for users, and what most likely
//! caused it, from the merged metrics and timeline of a run.
//!
//! Windows come from the edge's request series (`window`), or, when the logs hold no requests,
//! from the series of error events (`events`); impact from the edge's finest buckets
//! (`impact`); milestones and the probable cause from the timeline (`rootcause`).

pub mod events;
pub mod impact;
pub mod rootcause;
pub mod span;
pub mod window;

use crate::aggregate::{TimelineEntry, TimelinePartial};
use crate::pattern::Signal;
use crate::time::Timestamp;
use impact::Impact;
use rootcause::{Candidate, MetricSignals};
use serde::Serialize;
use window::{SeriesBucket, Window, WindowConfig};

/// A timeline entry named as a milestone.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Milestone {
    pub time: String,
    pub entry: Option<String>,
    pub title: String,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Milestones {
    /// The first failing (or very slow) request: the start.
    pub first_symptom: Milestone,
    /// The first alert-like line (a health check failing, a server marked down), or null when
    /// the logs have none.
    pub first_alert: Option<Milestone>,
    /// A change or recovery event inside the window that likely ended it.
    pub mitigation: Option<Milestone>,
    /// The last failing request: the end.
    pub recovery: Milestone,
    /// The change shortly before the start, if any: what changed.
    pub preceding_change: Option<Milestone>,
}

/// The probable cause.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RootCause {
    pub category: crate::pattern::Category,
    pub summary: String,
    pub confidence: f64,
    pub evidence: Vec<String>,
    pub earliest_causal_line: Option<rootcause::EvidenceLine>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Incident {
    pub id: String,
    pub start: String,
    pub end: String,
    pub duration_seconds: f64,
    /// What the window was found in: `requests` at the edge, or `error_events` when the logs
    /// hold no requests.
    pub detected_from: &'static str,
    pub milestones: Milestones,
    /// Null when the logs hold no requests: user impact is not guessed from error lines.
    pub impact: Option<Impact>,
    pub root_cause: Option<RootCause>,
    /// The runners-up.
    pub candidates: Vec<Candidate>,
    #[serde(skip)]
    pub start_ts: Timestamp,
    #[serde(skip)]
    pub end_ts: Timestamp,
}

/// One bucket of the edge series, for charts.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SeriesPoint {
    pub start: String,
    pub requests: u64,
    pub failed: u64,
    pub error_rate: Option<f64>,
    pub p50_latency_ms: Option<f64>,
    pub p95_latency_ms: Option<f64>,
    pub p99_latency_ms: Option<f64>,
}

/// Everything the incident stage found.
#[derive(Clone, Debug, Default)]
pub struct Incidents {
    pub incidents: Vec<Incident>,
    pub series: Vec<SeriesPoint>,
    /// The bucket width of `series` (s).
    pub bucket_seconds: f64,
}

fn milestone(e: &TimelineEntry) -> Milestone {
    Milestone {
        time: e.first.clone(),
        entry: Some(e.id.clone()),
        title: e.title.clone(),
    }
}

fn at(t: Timestamp, title: &str) -> Milestone {
    Milestone {
        time: t.to_string(),
        entry: None,
        title: title.to_string(),
    }
}

/// Requests per µs over the buckets of `buckets` inside/outside `w`.
fn traffic_ratio(buckets: &[SeriesBucket], w: &Window, width: i64) -> Option<f64> {
    let (mut inside, mut n_in, mut outside, mut n_out) = (0u64, 0i64, 0u64, 0i64);
    for (i, b) in buckets.iter().enumerate() {
        if (w.first_bucket..=w.last_bucket).contains(&i) {
            inside += b.metrics.requests;
            n_in += 1;
        } else {
            outside += b.metrics.requests;
            n_out += 1;
        }
    }
    (n_in > 0 && n_out > 0 && outside > 0).then(|| {
        let rate_in = inside as f64 / (n_in * width) as f64;
        let rate_out = outside as f64 / (n_out * width) as f64;
        rate_in / rate_out
    })
}

/// The backend with the largest share inside the window, its share, and its share outside.
fn backend_skew(buckets: &[SeriesBucket], w: &Window) -> Option<(String, f64, f64)> {
    let mut inside: Vec<(String, u64)> = Vec::new();
    let mut outside: Vec<(String, u64)> = Vec::new();
    for (i, b) in buckets.iter().enumerate() {
        let list = if (w.first_bucket..=w.last_bucket).contains(&i) {
            &mut inside
        } else {
            &mut outside
        };
        for (name, n) in &b.metrics.backends {
            match list.iter_mut().find(|(x, _)| x == name) {
                Some(slot) => slot.1 += n,
                None => list.push((name.clone(), *n)),
            }
        }
    }
    let total_in: u64 = inside.iter().map(|(_, n)| n).sum();
    let total_out: u64 = outside.iter().map(|(_, n)| n).sum();
    if total_in == 0 || total_out == 0 || inside.len() + outside.len() < 2 {
        return None;
    }
    let (name, top) = inside
        .iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))?;
    let before = outside
        .iter()
        .find(|(x, _)| x == name)
        .map_or(0, |(_, n)| *n);
    Some((
        name.clone(),
        *top as f64 / total_in as f64,
        before as f64 / total_out as f64,
    ))
}

/// Finds the incidents of a merged run.
pub fn detect(
    partial: &TimelinePartial,
    timeline: &[TimelineEntry],
    config: &WindowConfig,
) -> Incidents {
    let Some((edge, series)) = partial.metrics.edge() else {
        return from_error_events(partial, timeline, config);
    };
    let series = span::focus(series);
    let series = series.as_ref();
    let width = window::choose_width(series, config.bucket).max(span::min_width(series));
    let buckets = window::rebucket(series, width);
    let (windows, _) = window::find_windows(&buckets, width, config);
    let computed_from = format!("{} request logs at the edge", edge.as_str());
    let impacts = impact::impacts(series, &windows, &computed_from);
    let incidents = windows
        .iter()
        .zip(impacts)
        .enumerate()
        .map(|(i, (w, impact))| {
            let signals = MetricSignals {
                traffic_ratio: traffic_ratio(&buckets, w, width),
                backend_skew: backend_skew(&buckets, w),
            };
            build(i, w, Some(impact), timeline, &signals)
        })
        .collect();
    Incidents {
        incidents,
        series: points(&buckets),
        bucket_seconds: width as f64 / 1e6,
    }
}

/// Incidents of a run without request logs, from its error events.
fn from_error_events(
    partial: &TimelinePartial,
    timeline: &[TimelineEntry],
    config: &WindowConfig,
) -> Incidents {
    let (windows, width) = events::find_windows(
        &partial.metrics.error_events,
        partial.metrics.span(),
        config,
    );
    let signals = MetricSignals {
        traffic_ratio: None,
        backend_skew: None,
    };
    Incidents {
        incidents: windows
            .iter()
            .enumerate()
            .map(|(i, w)| build(i, w, None, timeline, &signals))
            .collect(),
        series: Vec::new(),
        bucket_seconds: width as f64 / 1e6,
    }
}

fn build(
    i: usize,
    w: &Window,
    impact: Option<Impact>,
    timeline: &[TimelineEntry],
    signals: &MetricSignals,
) -> Incident {
    let first_alert = timeline
        .iter()
        .filter(|e| {
            e.signal == Signal::Alert && e.first_ts >= Timestamp(w.start.0 - 5 * 60 * 1_000_000)
        })
        .find(|e| e.first_ts <= w.end)
        .map(milestone);
    // What ended it: the last change or recovery in the second half of the window, or just
    // after it.
    let settle = Timestamp(w.end.0 + 5 * 60 * 1_000_000);
    let midpoint = Timestamp((w.start.0 + w.end.0) / 2);
    let mitigation = timeline
        .iter()
        .filter(|e| matches!(e.signal, Signal::Change | Signal::Recovery))
        .filter(|e| e.first_ts >= midpoint && e.first_ts <= settle)
        .min_by_key(|e| (e.first_ts.0 - w.end.0).abs())
        .map(milestone);
    let mut candidates = rootcause::rank(w, timeline, signals);
    let preceding = rootcause::preceding_change(w, timeline);
    let root_cause = (!candidates.is_empty()).then(|| {
        let top = candidates.remove(0);
        let mut summary = top.summary.clone();
        // Named once: the change may be the cause itself.
        if let Some(change) = preceding
            .as_ref()
            .filter(|c| top.evidence.first() != Some(&c.id))
        {
            summary.push_str(&format!(
                "; preceded by: {} at {}",
                change.title, change.first
            ));
        }
        RootCause {
            category: top.category,
            summary,
            confidence: top.score,
            evidence: top.evidence,
            earliest_causal_line: top.earliest_line,
        }
    });
    let (detected_from, first, last) = if impact.is_some() {
        (
            "requests",
            "first failing request at the edge",
            "last failing request at the edge",
        )
    } else {
        ("error_events", "first error event", "last error event")
    };
    Incident {
        id: format!("i{}", i + 1),
        detected_from,
        start: w.start.to_string(),
        end: w.end.to_string(),
        duration_seconds: ((w.end.0 - w.start.0) as f64 / 1e6).round(),
        milestones: Milestones {
            first_symptom: at(w.start, first),
            first_alert,
            mitigation,
            recovery: at(w.end, last),
            preceding_change: preceding.as_ref().map(milestone),
        },
        impact,
        root_cause,
        candidates,
        start_ts: w.start,
        end_ts: w.end,
    }
}

fn points(buckets: &[SeriesBucket]) -> Vec<SeriesPoint> {
    buckets
        .iter()
        .map(|b| SeriesPoint {
            start: b.start.to_string(),
            requests: b.metrics.requests,
            failed: b.metrics.failed,
            error_rate: (b.metrics.requests > 0).then(|| {
                ((b.metrics.failed as f64 / b.metrics.requests as f64) * 10_000.0).round()
                    / 10_000.0
            }),
            p50_latency_ms: b
                .metrics
                .latency
                .quantile(0.5)
                .map(|v| (v * 10.0).round() / 10.0),
            p95_latency_ms: b
                .metrics
                .latency
                .quantile(0.95)
                .map(|v| (v * 10.0).round() / 10.0),
            p99_latency_ms: b
                .metrics
                .latency
                .quantile(0.99)
                .map(|v| (v * 10.0).round() / 10.0),
        })
        .collect()
}
