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

use crate::aggregate::metrics::{BucketMetrics, BucketValue, Series};
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
pub(crate) fn poisson_tail(k: u64, lambda: f64) -> f64 {
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
pub struct SeriesBucket<B = BucketMetrics> {
    pub start: Timestamp,
    pub metrics: B,
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

pub(crate) fn median(values: &mut [f64]) -> Option<f64> {
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
pub fn rebucket<B: BucketValue>(series: &Series<B>, width: i64) -> Vec<SeriesBucket<B>> {
    rebucket_over(series, width, None)
}

/// [`rebucket`], with the buckets stretched to cover `span` too (the whole run's time, for a
/// series that only has buckets where something happened).
pub fn rebucket_over<B: BucketValue>(
    series: &Series<B>,
    width: i64,
    span: Option<(Timestamp, Timestamp)>,
) -> Vec<SeriesBucket<B>> {
    let factor = (width / series.width).max(1);
    let width = factor * series.width;
    let present = series
        .buckets
        .keys()
        .next()
        .zip(series.buckets.keys().next_back())
        .map(|(first, last)| (first * series.width, last * series.width));
    let Some((first, last)) = (match (present, span) {
        (Some((a, b)), Some((c, d))) => Some((a.min(c.0), b.max(d.0))),
        (Some(p), None) => Some(p),
        (None, Some((c, d))) => Some((c.0, d.0)),
        (None, None) => None,
    }) else {
        return Vec::new();
    };
    let (lo, hi) = (first.div_euclid(width), last.div_euclid(width));
    let mut out: Vec<SeriesBucket<B>> = (lo..=hi)
        .map(|i| SeriesBucket {
            start: Timestamp(i * width),
            metrics: B::default(),
        })
        .collect();
    // The first bucket into an empty one is a copy: merging it into the default rebuilt
    // every exact client set value by value, for every bucket of every series, a fixed cost
    // of the run's span (~20 ms for a day of 10 s buckets) however few lines it holds.
    // (Buckets come in order, so a slot is empty until the first of them lands in it.)
    let mut filled = None;
    for (index, b) in &series.buckets {
        let at = ((index * series.width).div_euclid(width) - lo) as usize;
        if filled == Some(at) {
            out[at].metrics.merge(b);
        } else {
            out[at].metrics = b.clone();
            filled = Some(at);
        }
    }
    out
}

/// The detection width for a series: about 500 buckets over its span, between 10 s and 1 min,
/// a multiple of the series' own width.
pub fn choose_width<B>(series: &Series<B>, requested: Option<i64>) -> i64 {
    let span = series
        .buckets
        .keys()
        .next()
        .zip(series.buckets.keys().next_back())
        .map(|(first, last)| (last - first + 1) * series.width);
    width_for(series.width, span, requested)
}

/// The detection width for `span` µs of a series `base` wide (see [`choose_width`]).
pub fn width_for(base: i64, span: Option<i64>, requested: Option<i64>) -> i64 {
    let want = requested.unwrap_or_else(|| match span {
        Some(span) => (span / 500).clamp(10_000_000, 60_000_000),
        None => base,
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

/// The failures a bucket's requests would have at the baseline rate.
fn expected_failures(b: &SeriesBucket, base: &Baseline) -> f64 {
    b.metrics.requests as f64 * base.error_rate_pooled.max(MIN_BASELINE_RATE)
}

/// Whether a bucket is bad against a baseline.
pub fn badness(b: &SeriesBucket, base: &Baseline) -> Badness {
    let threshold = (base.error_rate_median + 5.0 * base.error_rate_mad).max(0.01);
    Badness {
        // A rate needs evidence: one stray 500 among 60 requests is already 1.7%, so the
        // failures must also be unlikely by chance at the baseline rate.
        errors: b.error_rate().is_some_and(|r| r > threshold)
            && poisson_tail(b.metrics.failed, expected_failures(b, base)) < SIGNIFICANCE,
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
    let runs: Vec<RunBucket> = buckets
        .iter()
        .zip(states)
        .map(|(b, state)| RunBucket {
            start: b.start,
            state,
            symptoms: symptom_span(b),
            elevated: b.metrics.slow > 0
                || poisson_tail(b.metrics.failed, expected_failures(b, &base)) < RAMP_SIGNIFICANCE,
        })
        .collect();
    (assemble(&runs, width, config), base)
}

/// One bucket as runs are built from it: when it starts, whether (and why) it is bad, and the
/// first and last symptom in it (a failing or very slow request, or an error event).
#[derive(Clone, Copy, Debug)]
pub struct RunBucket {
    pub start: Timestamp,
    pub state: Badness,
    pub symptoms: Option<(Timestamp, Timestamp)>,
    /// Whether it has more symptoms than the baseline explains (one in twenty by chance):
    /// what a run's ramp is made of. With a steady trickle of failures every bucket has some,
    /// and a ramp of every bucket with any would reach back half an hour.
    pub elevated: bool,
}

/// How unlikely by chance a bucket's symptoms must be to make it part of a ramp.
pub const RAMP_SIGNIFICANCE: f64 = 0.05;

/// The incidents of a series whose buckets are judged: bad buckets less than a recovery apart
/// form a run, with the symptoms just before and after it (its ramps); runs with at least 3 bad
/// buckets that last `min_duration` are incidents.
pub fn assemble(buckets: &[RunBucket], width: i64, config: &WindowConfig) -> Vec<Window> {
    let recovery_buckets = (config.recovery / width).max(1) as usize;
    let ramp_limit = (30 * 60 * 1_000_000 / width).max(1) as usize;
    let mut windows: Vec<(Window, usize)> = Vec::new();
    let mut i = 0;
    while i < buckets.len() {
        if !buckets[i].state.any() {
            i += 1;
            continue;
        }
        // Extend while the next bad bucket comes before a full recovery.
        let mut first = i;
        let mut last = i;
        let mut bad_count = 1;
        let mut why = buckets[i].state;
        let mut j = i + 1;
        while j < buckets.len() && j - last <= recovery_buckets {
            if buckets[j].state.any() {
                last = j;
                bad_count += 1;
                why.errors |= buckets[j].state.errors;
                why.latency |= buckets[j].state.latency;
                why.traffic |= buckets[j].state.traffic;
            }
            j += 1;
        }
        // The run's ramp-up: the buckets just before it that already carry symptoms belong to
        // it (its start is its first symptom), up to half an hour back, stepping over no more
        // than two clean buckets at a time: a ramp-up's failures come thinly at first.
        let origin = first;
        let mut k = first;
        while k > 0 && origin - (k - 1) <= ramp_limit {
            k -= 1;
            if buckets[k].elevated {
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
            if buckets[k].elevated {
                last = k;
            } else if k - last > 2 {
                break;
            }
        }
        // The first and last symptom anywhere in the run: a latency incident may begin before
        // its first request crosses the "very slow" line. A run of traffic drops alone has
        // none, and spans its buckets.
        let spans = || buckets[first..=last].iter().filter_map(|b| b.symptoms);
        let start = spans()
            .map(|(s, _)| s)
            .min()
            .unwrap_or(buckets[first].start);
        let end = spans()
            .map(|(_, e)| e)
            .max()
            .unwrap_or(Timestamp(buckets[last].start.0 + width - 1));
        // The next run starts after this one's ramp-down, never inside it.
        i = last + 1;
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
    windows
        .into_iter()
        .filter(|(w, bad_count)| *bad_count >= 3 && w.end.0 - w.start.0 >= config.min_duration)
        .map(|(w, _)| w)
        .collect()
}

/// The first and last failing or very slow request of a bucket, if it has any.
fn symptom_span(b: &SeriesBucket) -> Option<(Timestamp, Timestamp)> {
    let m = &b.metrics;
    let first = [m.first_failed, m.first_slow].into_iter().flatten().min()?;
    let last = [m.last_failed, m.last_slow].into_iter().flatten().max()?;
    Some((first, last))
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
