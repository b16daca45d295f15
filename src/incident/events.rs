//! Incident windows from error events, for runs whose logs hold no requests (only application,
//! database or system logs).
//!
//! The error-event series (error-level lines and lines an error or alert pattern names, from
//! every source) is re-bucketed like the edge's. Error lines come far more thinly than
//! requests (an outage may log one a minute), so each bucket is judged by the events of the
//! five buckets centred on it: what normal looks like is the median and MAD of the quiet
//! buckets' sums and the mean sum of the ordinary ones, and a bucket with more events of its
//! own than that explains is bad when its sum is above `max(median + 5·MAD, 2)` and unlikely
//! by chance at the mean (Poisson tail below one in 10,000). Runs are then built exactly as for requests
//! ([`window::assemble`]), so the start is the first error event of the run, its ramp-up
//! included, and the end the last.

use super::span;
use super::window::{self, Badness, RunBucket, Window, WindowConfig};
use crate::aggregate::metrics::{ErrorEvents, Series};
use crate::time::Timestamp;

/// How unlikely a bucket's count must be under the baseline mean to count (as for requests).
const SIGNIFICANCE: f64 = 1e-4;
/// The mean assumed at least: one error event every 20 minutes, so that a spotless baseline
/// does not make two stray errors significant.
const MIN_EVENTS_PER_SECOND: f64 = 1.0 / 1200.0;

/// How many buckets each bucket is judged with: itself and two either side.
const SPAN: usize = 5;

/// What normal looks like, from the quiet buckets.
#[derive(Clone, Debug, PartialEq)]
pub struct EventBaseline {
    pub median: f64,
    pub mad: f64,
    /// Mean sum of the buckets at or below the robust threshold.
    pub mean: f64,
}

impl EventBaseline {
    /// The events one bucket has by chance, at least the floor.
    fn per_bucket(&self, width: i64) -> f64 {
        (self.mean / SPAN as f64).max(MIN_EVENTS_PER_SECOND * width as f64 / 1e6)
    }
}

fn baseline(counts: &[u64], exclude: &[bool]) -> EventBaseline {
    let mut quiet: Vec<f64> = counts
        .iter()
        .zip(exclude)
        .filter(|(_, x)| !**x)
        .map(|(c, _)| *c as f64)
        .collect();
    let m = window::median(&mut quiet).unwrap_or(0.0);
    let mut deviations: Vec<f64> = quiet.iter().map(|c| (c - m).abs()).collect();
    let mad = window::median(&mut deviations).unwrap_or(0.0);
    let ordinary: Vec<f64> = quiet
        .iter()
        .copied()
        .filter(|c| *c <= threshold(m, mad))
        .collect();
    let mean = if ordinary.is_empty() {
        0.0
    } else {
        ordinary.iter().sum::<f64>() / ordinary.len() as f64
    };
    EventBaseline {
        median: m,
        mad,
        mean,
    }
}

fn threshold(median: f64, mad: f64) -> f64 {
    (median + 5.0 * mad).max(2.0)
}

fn is_bad(sum: u64, base: &EventBaseline, width: i64) -> bool {
    let floor = MIN_EVENTS_PER_SECOND * (SPAN as i64 * width) as f64 / 1e6;
    sum as f64 > threshold(base.median, base.mad)
        && window::poisson_tail(sum, base.mean.max(floor)) < SIGNIFICANCE
}

/// Whether a bucket has more events than the baseline explains (one in twenty by chance).
fn elevated(count: u64, base: &EventBaseline, width: i64) -> bool {
    count > 0 && window::poisson_tail(count, base.per_bucket(width)) < window::RAMP_SIGNIFICANCE
}

/// Each bucket's events with those of its neighbours, [`SPAN`] buckets in all (fewer at the
/// ends).
fn centred_sums(counts: &[u64]) -> Vec<u64> {
    let half = SPAN / 2;
    (0..counts.len())
        .map(|i| {
            let lo = i.saturating_sub(half);
            let hi = (i + half + 1).min(counts.len());
            counts[lo..hi].iter().sum()
        })
        .collect()
}

/// The incident windows of an error-event series over `span` (the first and last event of the
/// run: the quiet hours are the baseline), and the bucket width they were found at.
pub fn find_windows(
    series: &Series<ErrorEvents>,
    span: Option<(Timestamp, Timestamp)>,
    config: &WindowConfig,
) -> (Vec<Window>, i64) {
    // The busiest stretch of errors, and the quiet time around it up to a week away: stray
    // lines with absurd timestamps cannot stretch the layout over centuries.
    let series = span::focus(series);
    let series = series.as_ref();
    let (Some(first), Some(last)) = (
        series.buckets.keys().next().map(|k| series.start_of(*k)),
        series
            .buckets
            .keys()
            .next_back()
            .map(|k| series.start_of(*k)),
    ) else {
        return (Vec::new(), series.width);
    };
    let span = span.map(|(a, b)| {
        (
            a.max(Timestamp(first.0 - span::BASELINE_REACH)),
            b.min(Timestamp(last.0 + series.width + span::BASELINE_REACH)),
        )
    });
    let length = span.map_or(last.0 - first.0, |(a, b)| b.0 - a.0) + series.width;
    let width = window::width_for(series.width, Some(length), config.bucket)
        .max(span::min_width_for(series.width, length));
    let buckets = window::rebucket_over(series, width, span);
    let counts: Vec<u64> = buckets.iter().map(|b| b.metrics.events).collect();
    let sums = centred_sums(&counts);
    // A bucket is only bad with events of its own, so a run starts and ends on one.
    // A bucket is bad only with more events of its own than the baseline explains, so that
    // the quiet neighbours of a burst, whose sums the burst raises, are not bad with it.
    let judge = |base: &EventBaseline| -> Vec<bool> {
        sums.iter()
            .zip(&counts)
            .map(|(s, c)| elevated(*c, base, width) && is_bad(*s, base, width))
            .collect()
    };
    // Twice, as for requests, so a long incident does not raise its own baseline.
    let mut bad = vec![false; counts.len()];
    let mut base = baseline(&sums, &bad);
    for _ in 0..2 {
        bad = judge(&base);
        base = baseline(&sums, &bad);
    }
    let runs: Vec<RunBucket> = buckets
        .iter()
        .zip(judge(&base))
        .map(|(b, bad)| RunBucket {
            start: b.start,
            state: Badness {
                errors: bad,
                ..Badness::default()
            },
            symptoms: b.metrics.first.zip(b.metrics.last),
            elevated: elevated(b.metrics.events, &base, width),
        })
        .collect();
    (window::assemble(&runs, width, config), width)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::metrics::MetricsPartial;

    const T0: i64 = 1_700_000_000;

    /// Error events over `minutes`: one every 30 minutes of background, and `burst(sec)` more
    /// at second `sec`.
    fn series(minutes: i64, burst: impl Fn(i64) -> u64) -> Series<ErrorEvents> {
        let mut m = MetricsPartial::default();
        for sec in 0..minutes * 60 {
            let n = burst(sec) + u64::from(sec % 1800 == 1000);
            for _ in 0..n {
                m.record_error_event(Timestamp::from_unix_seconds(T0 + sec, 0));
            }
        }
        m.error_events
    }

    #[test]
    fn a_sustained_burst_is_one_incident_from_its_first_to_its_last_event() {
        // Errors every 5 s from minute 120 to minute 150 of 300.
        let s = series(300, |sec| {
            u64::from((7200..9000).contains(&sec) && sec % 5 == 0)
        });
        let (w, _) = find_windows(&s, None, &WindowConfig::default());
        assert_eq!(w.len(), 1, "{w:#?}");
        assert_eq!(w[0].start.unix_seconds() - T0, 7200);
        assert_eq!(w[0].end.unix_seconds() - T0, 8995);
    }

    #[test]
    fn background_errors_and_blips_are_not_incidents() {
        let (w, _) = find_windows(&series(300, |_| 0), None, &WindowConfig::default());
        assert!(w.is_empty(), "{w:#?}");
        // Ten errors in one minute, once.
        let s = series(300, |sec| {
            u64::from((3600..3660).contains(&sec) && sec % 6 == 0)
        });
        let (w, _) = find_windows(&s, None, &WindowConfig::default());
        assert!(w.is_empty(), "{w:#?}");
    }

    #[test]
    fn a_steady_error_rate_is_the_baseline_not_an_incident() {
        // Four errors a minute all day, then forty a minute for half an hour.
        let steady = series(600, |sec| u64::from(sec % 15 == 0));
        let (w, _) = find_windows(&steady, None, &WindowConfig::default());
        assert!(w.is_empty(), "{w:#?}");
        let burst = series(600, |sec| {
            u64::from(sec % 15 == 0) + u64::from((18_000..19_800).contains(&sec) && sec % 2 == 0)
        });
        let (w, _) = find_windows(&burst, None, &WindowConfig::default());
        assert_eq!(w.len(), 1, "{w:#?}");
        assert!((w[0].start.unix_seconds() - T0 - 18_000).abs() <= 60);
    }
}
