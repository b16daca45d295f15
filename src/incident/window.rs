//! Incident windows from the edge's request series.
//!
//! The series is re-bucketed to a width chosen from its span (10 s to 1 min). A robust baseline
//! (median and median absolute deviation of the quiet buckets) says what normal looks like;
//! a bucket is bad when its error rate is well above it (`> max(median + 5·MAD, 1%)`, with at
//! least three failures), when its p99 latency (p95 in buckets of under 100 requests) is more
//! than twice the baseline's, or when traffic falls to a quarter of normal.
//! Bad buckets close together form a run; a run becomes an incident when it is sustained
//! (at least three bad buckets and `min_duration` long), and ends only after a long healthy
//! stretch (`recovery`), so one incident does not flap into several. Its start and end are
//! the first and last failing (or very slow) request in it, not bucket edges.

use crate::aggregate::metrics::{BucketMetrics, Series};
use crate::time::Timestamp;

/// How windows are found.
#[derive(Clone, Debug)]
pub struct WindowConfig {
    /// Bucket width (µs); `None` chooses one from the span.
    pub bucket: Option<i64>,
    /// Incidents shorter than this are blips, not incidents (µs).
    pub min_duration: i64,
    /// Healthy time that ends an incident; bad runs closer than this are one incident (µs).
    pub recovery: i64,
}

impl Default for WindowConfig {
    fn default() -> Self {
        WindowConfig {
            bucket: None,
            min_duration: 3 * 60 * 1_000_000,
            recovery: 15 * 60 * 1_000_000,
        }
    }
}

/// Fewer requests than this in a bucket say nothing about its error rate.
const MIN_REQUESTS: u64 = 5;
/// Fewer latencies than this say nothing about a bucket's tail latency (its median is used).
const MIN_LATENCIES: u64 = 20;
/// Fewer latencies than this say nothing about a bucket's latency at all.
const MIN_MEDIAN_LATENCIES: u64 = 5;
/// How unlikely a bucket's failures must be under the baseline rate to count: one in 10,000,
/// since a day holds hundreds of buckets and one in 1,000 would make a false one most days.
const SIGNIFICANCE: f64 = 1e-4;
/// The baseline failure rate assumed at least, so a spotless baseline does not make one failure
/// significant.
const MIN_BASELINE_RATE: f64 = 5e-4;

/// P(X ≥ k) for X ~ Poisson(λ): how likely `k` or more failures are by chance.
fn poisson_tail(k: u64, lambda: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    let mut term = (-lambda).exp();
    let mut below = term;
    for i in 1..k.min(10_000) {
        term *= lambda / i as f64;
        below += term;
    }
    (1.0 - below).max(0.0)
}

/// One bucket of the series the windows are found in.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesBucket {
    pub start: Timestamp,
    pub metrics: BucketMetrics,
}

impl SeriesBucket {
    pub fn error_rate(&self) -> Option<f64> {
        let m = &self.metrics;
        (m.requests >= MIN_REQUESTS).then(|| m.failed as f64 / m.requests as f64)
    }

    /// The bucket's tail latency: p99 when it has enough requests for one outlier not to be
    /// its p99 (100), else p95 (from 20).
    pub fn p99(&self) -> Option<f64> {
        let n = self.metrics.latency.count();
        let q = if n >= 100 { 0.99 } else { 0.95 };
        (n >= MIN_LATENCIES)
            .then(|| self.metrics.latency.quantile(q))
            .flatten()
    }

    /// The bucket's median latency, for buckets too small for a tail.
    pub fn p50(&self) -> Option<f64> {
        (self.metrics.latency.count() >= MIN_MEDIAN_LATENCIES)
            .then(|| self.metrics.latency.quantile(0.5))
            .flatten()
    }
}

/// Why a bucket is bad.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Badness {
    pub errors: bool,
    pub latency: bool,
    pub traffic: bool,
}

impl Badness {
    pub fn any(self) -> bool {
        self.errors || self.latency || self.traffic
    }
}

/// What normal looks like, from the quiet buckets.
#[derive(Clone, Debug, PartialEq)]
pub struct Baseline {
    pub error_rate_median: f64,
    pub error_rate_mad: f64,
    pub p99_ms: Option<f64>,
    pub p50_ms: Option<f64>,
    pub requests_median: f64,
    /// All failures over all requests of the quiet buckets: the rate failures arrive at by
    /// chance (the median of per-bucket rates is 0 when they are rare).
    pub error_rate_pooled: f64,
}

/// An incident window, with the buckets it spans.
#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    pub start: Timestamp,
    pub end: Timestamp,
    /// Index of the first and last bad bucket in the series.
    pub first_bucket: usize,
    pub last_bucket: usize,
    /// What made its buckets bad, over the whole window.
    pub why: Badness,
}

fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    })
}

/// The series re-bucketed to `width` (a multiple of its own), every bucket from the first to
/// the last present, empty ones included (a silent minute is news too).
pub fn rebucket(series: &Series, width: i64) -> Vec<SeriesBucket> {
    let factor = (width / series.width).max(1);
    let width = factor * series.width;
    let (Some(first), Some(last)) = (
        series.buckets.keys().next(),
        series.buckets.keys().next_back(),
    ) else {
        return Vec::new();
    };
    let (lo, hi) = (
        (first * series.width).div_euclid(width),
        (last * series.width).div_euclid(width),
    );
    let mut out: Vec<SeriesBucket> = (lo..=hi)
        .map(|i| SeriesBucket {
            start: Timestamp(i * width),
            metrics: BucketMetrics::default(),
        })
        .collect();
    for (index, b) in &series.buckets {
        let at = ((index * series.width).div_euclid(width) - lo) as usize;
        out[at].metrics.merge(b);
    }
    out
}

/// The detection width for a series: about 500 buckets over its span, between 10 s and 1 min,
/// a multiple of the series' own width.
pub fn choose_width(series: &Series, requested: Option<i64>) -> i64 {
    let base = series.width;
    let want = requested.unwrap_or_else(|| {
        let (Some(first), Some(last)) = (
            series.buckets.keys().next(),
            series.buckets.keys().next_back(),
        ) else {
            return base;
        };
        let span = (last - first + 1) * base;
        (span / 500).clamp(10_000_000, 60_000_000)
    });
    ((want + base - 1) / base).max(1) * base
}

/// The baseline of `buckets`, leaving out those marked in `exclude`.
pub fn baseline(buckets: &[SeriesBucket], exclude: &[bool]) -> Baseline {
    let quiet = || {
        buckets
            .iter()
            .zip(exclude)
            .filter(|(_, x)| !**x)
            .map(|(b, _)| b)
    };
    let mut rates: Vec<f64> = quiet().filter_map(SeriesBucket::error_rate).collect();
    let m = median(&mut rates).unwrap_or(0.0);
    let mut deviations: Vec<f64> = rates.iter().map(|r| (r - m).abs()).collect();
    let mad = median(&mut deviations).unwrap_or(0.0);
    let mut p99s: Vec<f64> = quiet().filter_map(SeriesBucket::p99).collect();
    let mut requests: Vec<f64> = quiet().map(|b| b.metrics.requests as f64).collect();
    // Only buckets the robust threshold finds unremarkable, so that an incident still in the
    // first pass does not raise the rate its own failures are judged against.
    let ordinary = (m + 5.0 * mad).max(0.01);
    let (failed_all, requests_all) = quiet()
        .filter(|b| b.error_rate().is_none_or(|r| r <= ordinary))
        .fold((0u64, 0u64), |(f, r), b| {
            (f + b.metrics.failed, r + b.metrics.requests)
        });
    let pooled = if requests_all > 0 {
        failed_all as f64 / requests_all as f64
    } else {
        0.0
    };
    let mut p50s: Vec<f64> = quiet().filter_map(SeriesBucket::p50).collect();
    Baseline {
        error_rate_median: m,
        error_rate_mad: mad,
        p99_ms: median(&mut p99s),
        p50_ms: median(&mut p50s),
        error_rate_pooled: pooled,
        requests_median: median(&mut requests).unwrap_or(0.0),
    }
}

/// Whether a bucket is bad against a baseline.
pub fn badness(b: &SeriesBucket, base: &Baseline) -> Badness {
    let threshold = (base.error_rate_median + 5.0 * base.error_rate_mad).max(0.01);
    Badness {
        // A rate needs evidence: one stray 500 among 60 requests is already 1.7%, so the
        // failures must also be unlikely by chance at the baseline rate.
        errors: b.error_rate().is_some_and(|r| r > threshold)
            && poisson_tail(
                b.metrics.failed,
                b.metrics.requests as f64 * base.error_rate_pooled.max(MIN_BASELINE_RATE),
            ) < SIGNIFICANCE,
        // Slower than twice the baseline's tail, and at least 100 ms more (doubling 3 ms is not
        // an incident), for at least 3 requests and a tenth of the bucket: one slow request
        // among twenty is the tail of a quiet minute, not an incident.
        latency: {
            let tail = base.p99_ms.or(base.p50_ms);
            let n = b.metrics.latency.count();
            tail.is_some_and(|t| {
                let slow = b.metrics.latency.count_at_least((2.0 * t).max(t + 100.0));
                n >= MIN_MEDIAN_LATENCIES && slow >= 3 && slow * 10 >= n
            })
        },
        traffic: base.requests_median >= 20.0
            && (b.metrics.requests as f64) < base.requests_median / 4.0,
    }
}

/// The incident windows of an edge series.
pub fn find_windows(
    buckets: &[SeriesBucket],
    width: i64,
    config: &WindowConfig,
) -> (Vec<Window>, Baseline) {
    // Twice: first against all buckets, then against the buckets that were not bad, so a long
    // incident does not raise its own baseline.
    let mut bad = vec![false; buckets.len()];
    let mut base = baseline(buckets, &bad);
    for _ in 0..2 {
        bad = buckets.iter().map(|b| badness(b, &base).any()).collect();
        base = baseline(buckets, &bad);
    }
    let states: Vec<Badness> = buckets.iter().map(|b| badness(b, &base)).collect();
    let recovery_buckets = (config.recovery / width).max(1) as usize;
    let mut windows: Vec<(Window, usize)> = Vec::new();
    let mut i = 0;
    while i < states.len() {
        if !states[i].any() {
            i += 1;
            continue;
        }
        // Extend while the next bad bucket comes before a full recovery.
        let first = i;
        let mut last = i;
        let mut bad_count = 1;
        let mut why = states[i];
        let mut j = i + 1;
        while j < states.len() && j - last <= recovery_buckets {
            if states[j].any() {
                last = j;
                bad_count += 1;
                why.errors |= states[j].errors;
                why.latency |= states[j].latency;
                why.traffic |= states[j].traffic;
            }
            j += 1;
        }
        i = last + 1;
        // The run's ramp-up: the buckets just before it that already carry failures or very
        // slow requests belong to it (its start is its first failing request), for as long as
        // they follow each other without a clean bucket between, up to half an hour.
        let mut first = first;
        let ramp_limit = (30 * 60 * 1_000_000 / width).max(1) as usize;
        // Step back to the earliest bucket with symptoms that is no more than two clean
        // buckets before the next one: a ramp-up's failures come thinly at first.
        let origin = first;
        let mut k = first;
        while k > 0 && origin - (k - 1) <= ramp_limit {
            k -= 1;
            if has_symptoms(&buckets[k]) {
                first = k;
            } else if first - k > 2 {
                break;
            }
        }
        // Likewise the ramp-down: the last symptoms come thinly too.
        let origin = last;
        let mut k = last;
        while k + 1 < buckets.len() && (k + 1) - origin <= ramp_limit {
            k += 1;
            if has_symptoms(&buckets[k]) {
                last = k;
            } else if k - last > 2 {
                break;
            }
        }
        // The first and last failing or very slow request anywhere in the run: a latency
        // incident may begin before its first request crosses the "very slow" line.
        let start = (first..=last)
            .filter_map(|k| min_symptom(&buckets[k]))
            .min()
            .unwrap_or_else(|| {
                first_symptom(
                    &buckets[first],
                    states[first].or_symptoms(&buckets[first]),
                    width,
                )
            });
        let end = (first..=last)
            .filter_map(|k| max_symptom(&buckets[k]))
            .max()
            .unwrap_or_else(|| last_symptom(&buckets[last], states[last], width));
        // The next run starts after this one's ramp-down, never inside it.
        i = i.max(last + 1);
        let window = Window {
            start,
            end,
            first_bucket: first,
            last_bucket: last,
            why,
        };
        // Runs that their ramps bring closer than a recovery are one incident, when the later
        // one is substantial itself: a stray bad bucket after an incident is not more of it.
        match windows.last_mut() {
            Some((prev, count))
                if window.start.0 - prev.end.0 < config.recovery && bad_count >= 3 =>
            {
                let prev: &mut Window = prev;
                prev.end = prev.end.max(window.end);
                prev.last_bucket = window.last_bucket;
                prev.why.errors |= window.why.errors;
                prev.why.latency |= window.why.latency;
                prev.why.traffic |= window.why.traffic;
                *count += bad_count;
            }
            _ => windows.push((window, bad_count)),
        }
    }
    let windows = windows
        .into_iter()
        .filter(|(w, bad_count)| *bad_count >= 3 && w.end.0 - w.start.0 >= config.min_duration)
        .map(|(w, _)| w)
        .collect();
    (windows, base)
}

fn min_symptom(b: &SeriesBucket) -> Option<Timestamp> {
    [b.metrics.first_failed, b.metrics.first_slow]
        .into_iter()
        .flatten()
        .min()
}

fn max_symptom(b: &SeriesBucket) -> Option<Timestamp> {
    [b.metrics.last_failed, b.metrics.last_slow]
        .into_iter()
        .flatten()
        .max()
}

/// Whether a bucket has any failing or very slow request.
fn has_symptoms(b: &SeriesBucket) -> bool {
    b.metrics.failed > 0 || b.metrics.slow > 0
}

impl Badness {
    /// For a ramp-up bucket, which is not bad: its failures and slow requests count.
    fn or_symptoms(self, b: &SeriesBucket) -> Badness {
        Badness {
            errors: self.errors || b.metrics.failed > 0,
            latency: self.latency || b.metrics.slow > 0,
            traffic: self.traffic,
        }
    }
}

/// The first failing or very slow request of a bad bucket (its start, for a traffic drop).
fn first_symptom(b: &SeriesBucket, why: Badness, width: i64) -> Timestamp {
    let m = &b.metrics;
    let candidates = [
        why.errors.then_some(m.first_failed).flatten(),
        why.latency.then_some(m.first_slow).flatten(),
    ];
    candidates
        .into_iter()
        .flatten()
        .min()
        .or(m.first_failed)
        .unwrap_or(Timestamp(b.start.0.min(b.start.0 + width - 1)))
}

/// The last failing or very slow request of a bad bucket (its end, for a traffic drop).
fn last_symptom(b: &SeriesBucket, why: Badness, width: i64) -> Timestamp {
    let m = &b.metrics;
    let candidates = [
        why.errors.then_some(m.last_failed).flatten(),
        why.latency.then_some(m.last_slow).flatten(),
    ];
    candidates
        .into_iter()
        .flatten()
        .max()
        .or(m.last_failed)
        .unwrap_or(Timestamp(b.start.0 + width - 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::metrics::MetricsPartial;
    use crate::format::{Request, SourceKind};

    fn series(minutes: i64, failing: impl Fn(i64) -> bool) -> Series {
        let mut m = MetricsPartial::default();
        for sec in 0..minutes * 60 {
            let status = if failing(sec) && sec % 3 == 0 {
                503
            } else {
                200
            };
            let r = Request {
                status,
                latency_ms: Some(40.0),
                client: Some(b"10.0.0.1"),
                ..Request::default()
            };
            m.record(
                SourceKind::LoadBalancer,
                Timestamp::from_unix_seconds(1_700_000_000 + sec, 0),
                &r,
                5000.0,
            );
        }
        m.series.remove(&SourceKind::LoadBalancer).unwrap()
    }

    fn windows(s: &Series) -> Vec<Window> {
        let width = choose_width(s, None);
        find_windows(&rebucket(s, width), width, &WindowConfig::default()).0
    }

    #[test]
    fn a_sustained_error_run_is_one_incident_with_request_precise_edges() {
        // Minutes 120–150 of 300 fail a third of requests.
        let s = series(300, |sec| (7200..9000).contains(&sec));
        let w = windows(&s);
        assert_eq!(w.len(), 1, "{w:#?}");
        assert_eq!(w[0].start.unix_seconds() - 1_700_000_000, 7200);
        assert_eq!(w[0].end.unix_seconds() - 1_700_000_000, 8997);
        assert!(w[0].why.errors && !w[0].why.latency);
    }

    #[test]
    fn blips_are_not_incidents_and_long_gaps_split_incidents() {
        // A 40 s blip, then two runs an hour apart.
        let s = series(400, |sec| {
            (600..640).contains(&sec)
                || (7200..8400).contains(&sec)
                || (12000..13200).contains(&sec)
        });
        let w = windows(&s);
        assert_eq!(w.len(), 2, "{w:#?}");
        // Two runs ten minutes apart are one incident.
        let s = series(300, |sec| {
            (7200..8400).contains(&sec) || (9000..10200).contains(&sec)
        });
        assert_eq!(windows(&s).len(), 1);
        // Nothing at all.
        assert!(windows(&series(300, |_| false)).is_empty());
    }

    #[test]
    fn poisson_tails() {
        assert_eq!(poisson_tail(0, 3.0), 1.0);
        assert!((poisson_tail(1, 0.06) - (1.0 - (-0.06f64).exp())).abs() < 1e-12);
        assert!(poisson_tail(3, 0.06) < 1e-4);
        assert!(poisson_tail(2, 0.06) > 1e-4);
    }

    #[test]
    fn widths_follow_the_span() {
        assert_eq!(choose_width(&series(60, |_| false), None), 10_000_000);
        assert_eq!(choose_width(&series(480, |_| false), None), 60_000_000);
        assert_eq!(
            choose_width(&series(60, |_| false), Some(25_000_000)),
            30_000_000
        );
    }
}
