//! The stretch of the edge's series that incidents are looked for in, so that a few lines with
//! absurd timestamps (a corrupt year, a clock reset to 1970) cannot stretch it over centuries.
//!
//! Detection lays the series out densely, every bucket from the first request to the last: a
//! span of eight thousand years at one-minute buckets asked for 800 GB. So the series is cut at
//! silences longer than a day and only the stretch with the most requests is analysed (the
//! outliers' requests are few, or they would not be outliers); and however long that stretch,
//! buckets are widened so that it never takes more than [`MAX_DENSE_BUCKETS`].

use crate::aggregate::metrics::{BucketValue, Series};
use std::borrow::Cow;

/// A silence longer than this (no request at all) separates two stretches.
const MAX_SILENCE: i64 = 24 * 3600 * 1_000_000;
/// The most buckets one analysis lays out (at one minute, 139 days).
pub const MAX_DENSE_BUCKETS: i64 = 200_000;

/// The stretch of `series` with the most requests (or events), between silences longer than a
/// day.
pub fn focus<B: BucketValue>(series: &Series<B>) -> Cow<'_, Series<B>> {
    let gap = (MAX_SILENCE / series.width).max(1);
    // (first key, last key, requests) of each stretch.
    let mut stretches: Vec<(i64, i64, u64)> = Vec::new();
    for (&key, b) in &series.buckets {
        match stretches.last_mut() {
            Some((_, last, requests)) if key - *last <= gap => {
                *last = key;
                *requests += b.weight();
            }
            _ => stretches.push((key, key, b.weight())),
        }
    }
    if stretches.len() <= 1 {
        return Cow::Borrowed(series);
    }
    // The busiest; the earliest of equals.
    let (first, last, _) = stretches
        .iter()
        .copied()
        .fold(None::<(i64, i64, u64)>, |best, s| match best {
            Some(b) if b.2 >= s.2 => Some(b),
            _ => Some(s),
        })
        .expect("at least two stretches");
    Cow::Owned(Series {
        width: series.width,
        buckets: series
            .buckets
            .range(first..=last)
            .map(|(k, v)| (*k, v.clone()))
            .collect(),
    })
}

/// The narrowest detection width (a multiple of the series' own) that lays `series` out in at
/// most [`MAX_DENSE_BUCKETS`] buckets.
pub fn min_width<B>(series: &Series<B>) -> i64 {
    let (Some(first), Some(last)) = (
        series.buckets.keys().next(),
        series.buckets.keys().next_back(),
    ) else {
        return series.width;
    };
    let own = last - first + 1;
    let factor = (own + MAX_DENSE_BUCKETS - 1) / MAX_DENSE_BUCKETS;
    factor.max(1) * series.width
}

/// The narrowest width (a multiple of `base`) that lays `span` µs out in at most
/// [`MAX_DENSE_BUCKETS`] buckets.
pub fn min_width_for(base: i64, span: i64) -> i64 {
    let own = span / base + 1;
    let factor = (own + MAX_DENSE_BUCKETS - 1) / MAX_DENSE_BUCKETS;
    factor.max(1) * base
}

/// How far around the busiest stretch of error events the quiet baseline reaches: a week, so
/// a stray line years away cannot stretch it.
pub const BASELINE_REACH: i64 = 7 * 24 * 3600 * 1_000_000;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::metrics::BucketMetrics;

    fn series(keys: &[(i64, u64)]) -> Series {
        Series {
            width: 10_000_000,
            buckets: keys
                .iter()
                .map(|&(k, requests)| {
                    (
                        k,
                        BucketMetrics {
                            requests,
                            ..BucketMetrics::default()
                        },
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn outliers_years_away_are_left_out() {
        let day = 8640;
        // A corrupt line a thousand years early, a day of traffic, one far in the future.
        let s = series(&[
            (-1000 * 365 * day, 1),
            (0, 50),
            (1, 60),
            (day / 2, 70),
            (day, 10),
            (8000 * 365 * day, 2),
        ]);
        let f = focus(&s);
        let keys: Vec<i64> = f.buckets.keys().copied().collect();
        assert_eq!(keys, vec![0, 1, day / 2, day]);
        assert_eq!(min_width(&f), s.width);
        // A continuous stretch is kept whole.
        let whole = series(&[(0, 1), (day, 1), (2 * day, 1)]);
        assert!(matches!(focus(&whole), Cow::Borrowed(_)));
    }

    #[test]
    fn a_long_stretch_is_laid_out_in_bounded_buckets() {
        let day = 8640;
        let keys: Vec<(i64, u64)> = (0..10_000).map(|i| (i * day, 1)).collect();
        let s = series(&keys);
        let f = focus(&s);
        let width = min_width(&f);
        let span = (f.buckets.keys().next_back().unwrap() - f.buckets.keys().next().unwrap() + 1)
            * s.width;
        assert!(span / width <= MAX_DENSE_BUCKETS, "{}", span / width);
        assert_eq!(width % s.width, 0);
    }
}
