//! Impact of an incident, from the edge's finest buckets: requests and failures in the window,
//! error rate against the baseline, clients seen and clients with a failure, latency percentiles
//! against the baseline's, and the requests that never arrived when traffic itself dropped.

use super::window::Window;
use crate::aggregate::metrics::{BucketMetrics, Series};
use serde::Serialize;

/// What an incident cost, and what each figure was computed from.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Impact {
    /// Edge requests in the window.
    pub requests_total: u64,
    /// Edge requests in the window with status ≥ 500.
    pub requests_failed: u64,
    /// `requests_failed / requests_total`.
    pub error_rate: f64,
    /// Failed / total edge requests outside every incident window.
    pub baseline_error_rate: f64,
    /// Distinct edge clients in the window (exact up to 256, HyperLogLog beyond).
    pub clients_total: u64,
    /// Distinct edge clients with at least one failed request in the window.
    pub clients_affected: u64,
    pub p50_latency_ms: Option<f64>,
    pub p95_latency_ms: Option<f64>,
    pub p99_latency_ms: Option<f64>,
    /// p95 of edge requests outside every incident window.
    pub baseline_p95_latency_ms: Option<f64>,
    /// Requests expected at the baseline rate over the window minus those received; 0 when
    /// traffic held up.
    pub requests_lost_estimate: u64,
    /// Where the figures come from: the edge's source kind and files, bucket width.
    pub computed_from: String,
}

fn round(v: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (v * f).round() / f
}

/// The base buckets of `series` that overlap `[start, end]` of `w`.
fn in_window<'a>(series: &'a Series, w: &Window) -> impl Iterator<Item = &'a BucketMetrics> {
    let lo = w.start.0.div_euclid(series.width);
    let hi = w.end.0.div_euclid(series.width);
    series.buckets.range(lo..=hi).map(|(_, b)| b)
}

/// Everything outside all windows, merged: the baseline.
fn outside(series: &Series, windows: &[Window]) -> (BucketMetrics, i64) {
    let mut merged = BucketMetrics::default();
    let mut buckets = 0i64;
    for (index, b) in &series.buckets {
        let t = index * series.width;
        let inside = windows
            .iter()
            .any(|w| t + series.width > w.start.0 && t <= w.end.0);
        if !inside {
            merged.merge(b);
            buckets += 1;
        }
    }
    (merged, buckets)
}

/// The impact of each window, in order.
pub fn impacts(series: &Series, windows: &[Window], computed_from: &str) -> Vec<Impact> {
    let (base, base_buckets) = outside(series, windows);
    let baseline_error_rate = if base.requests > 0 {
        base.failed as f64 / base.requests as f64
    } else {
        0.0
    };
    let baseline_p95 = base.latency.quantile(0.95);
    // Requests per µs at the baseline, over the buckets that had any traffic outside windows.
    let baseline_rate = if base_buckets > 0 {
        base.requests as f64 / (base_buckets * series.width) as f64
    } else {
        0.0
    };
    windows
        .iter()
        .map(|w| {
            let mut m = BucketMetrics::default();
            for b in in_window(series, w) {
                m.merge(b);
            }
            let expected = baseline_rate * (w.end.0 - w.start.0) as f64;
            Impact {
                requests_total: m.requests,
                requests_failed: m.failed,
                error_rate: if m.requests > 0 {
                    round(m.failed as f64 / m.requests as f64, 4)
                } else {
                    0.0
                },
                baseline_error_rate: round(baseline_error_rate, 4),
                clients_total: m.clients.estimate(),
                clients_affected: m.failed_clients.estimate(),
                p50_latency_ms: m.latency.quantile(0.50).map(|v| round(v, 1)),
                p95_latency_ms: m.latency.quantile(0.95).map(|v| round(v, 1)),
                p99_latency_ms: m.latency.quantile(0.99).map(|v| round(v, 1)),
                baseline_p95_latency_ms: baseline_p95.map(|v| round(v, 1)),
                requests_lost_estimate: (expected - m.requests as f64).max(0.0).round() as u64,
                computed_from: format!("{computed_from}, {} s buckets", series.width / 1_000_000),
            }
        })
        .collect()
}
