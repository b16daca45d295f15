//! Time-bucketed request metrics per source kind, mergeable like everything else: per bucket
//! the requests, failures (status ≥ 500), client errors (4xx), very slow requests, the first and
//! last failure, a latency histogram, distinct clients and clients with a failure, and request
//! shares per backend. Beside them, one series of error events (error-level lines and lines an
//! error or alert pattern names, from every source), which is what incidents are found in when
//! the logs hold no requests.
//!
//! Buckets start at [`BASE_BUCKET`] wide and are kept sparsely. When a source holds more than
//! [`MAX_BUCKETS`], its buckets double in width (summing pairs) until it does not; merging two
//! partials first brings both to the wider width. Coarsening is exact, so the result does not
//! depend on how the input was chunked, and memory stays bounded however long the logs run.

use super::sketch::{DistinctCount, LatencyHistogram};
use crate::format::fields::same_bytes;
use crate::format::{Request, SourceKind};
use crate::time::{Timestamp, earliest, latest};
use std::collections::BTreeMap;

/// The finest bucket: 10 s.
pub const BASE_BUCKET: i64 = 10 * 1_000_000;
/// At most this many buckets per source before they are coarsened.
pub const MAX_BUCKETS: usize = 8192;
/// At most this many backends are told apart per bucket; the rest share one slot.
const MAX_BACKENDS: usize = 32;
/// The name the backends beyond [`MAX_BACKENDS`] are counted under.
pub const OTHER_BACKENDS: &str = "(other)";

/// What happened to requests in one bucket.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BucketMetrics {
    pub requests: u64,
    pub failed: u64,
    pub client_errors: u64,
    pub slow: u64,
    pub first_failed: Option<Timestamp>,
    pub last_failed: Option<Timestamp>,
    pub first_slow: Option<Timestamp>,
    pub last_slow: Option<Timestamp>,
    pub latency: LatencyHistogram,
    pub clients: DistinctCount,
    pub failed_clients: DistinctCount,
    pub backends: Vec<(String, u64)>,
}

fn add_backend(backends: &mut Vec<(String, u64)>, name: &[u8], n: u64) {
    if let Some(slot) = backends
        .iter_mut()
        .find(|(b, _)| same_bytes(b.as_bytes(), name))
    {
        slot.1 += n;
    } else if backends.len() < MAX_BACKENDS {
        backends.push((String::from_utf8_lossy(name).into_owned(), n));
    } else if let Some(slot) = backends.iter_mut().find(|(b, _)| b == OTHER_BACKENDS) {
        slot.1 += n;
    } else {
        // Make room for the catch-all by folding in the smallest named backend.
        backends.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let (_, smallest) = backends.pop().expect("full list");
        backends.push((OTHER_BACKENDS.to_string(), smallest + n));
    }
}

/// A client is its address, without the port a load balancer logs with it: `a.b.c.d:port`
/// loses `:port`; IPv6 addresses (no dot before their last colon) keep their colons.
fn without_port(c: &[u8]) -> &[u8] {
    // The port is the digits at the end: walk back over them (most addresses end in an octet
    // after a dot, three bytes at most) and look at what stops the walk.
    let digits = c.iter().rev().take_while(|b| b.is_ascii_digit()).count();
    let Some(colon) = c.len().checked_sub(digits + 1) else {
        return c;
    };
    if c[colon] == b':' && c[..colon].contains(&b'.') {
        &c[..colon]
    } else {
        c
    }
}

impl BucketMetrics {
    fn record(&mut self, time: Timestamp, r: &Request<'_>, slow_ms: f64) {
        self.requests += 1;
        let failed = r.status >= 500;
        if failed {
            self.failed += 1;
            self.first_failed = earliest(self.first_failed, Some(time));
            self.last_failed = latest(self.last_failed, Some(time));
        } else if (400..500).contains(&r.status) {
            self.client_errors += 1;
        }
        if let Some(ms) = r.latency_ms {
            self.latency.record(ms);
            if ms >= slow_ms {
                self.slow += 1;
                self.first_slow = earliest(self.first_slow, Some(time));
                self.last_slow = latest(self.last_slow, Some(time));
            }
        }
        if let Some(c) = r.client {
            let hash = super::sketch::hash64(without_port(c));
            self.clients.insert_hash(hash);
            if failed {
                self.failed_clients.insert_hash(hash);
            }
        }
        if let Some(u) = r.upstream {
            add_backend(&mut self.backends, u, 1);
        }
    }

    pub fn merge(&mut self, other: &BucketMetrics) {
        self.requests += other.requests;
        self.failed += other.failed;
        self.client_errors += other.client_errors;
        self.slow += other.slow;
        self.first_failed = earliest(self.first_failed, other.first_failed);
        self.last_failed = latest(self.last_failed, other.last_failed);
        self.first_slow = earliest(self.first_slow, other.first_slow);
        self.last_slow = latest(self.last_slow, other.last_slow);
        self.latency.merge(&other.latency);
        self.clients.merge(&other.clients);
        self.failed_clients.merge(&other.failed_clients);
        for (name, n) in &other.backends {
            add_backend(&mut self.backends, name.as_bytes(), *n);
        }
    }

    /// The backends in a canonical order (busiest first), for results that do not depend on
    /// the order requests arrived in.
    pub fn normalize(&mut self) {
        self.backends
            .sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    }
}

/// What a bucket of a [`Series`] holds: merged by adding, so that coarsening and merging
/// partials are exact.
pub trait BucketValue: Clone + Default + PartialEq + std::fmt::Debug {
    fn merge(&mut self, other: &Self);
    /// How much happened in it (requests, events): what picks the busiest stretch.
    fn weight(&self) -> u64;
}

impl BucketValue for BucketMetrics {
    fn merge(&mut self, other: &Self) {
        BucketMetrics::merge(self, other);
    }
    fn weight(&self) -> u64 {
        self.requests
    }
}

/// Error events in one bucket: how many, and the first and last.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ErrorEvents {
    pub events: u64,
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
}

impl BucketValue for ErrorEvents {
    fn merge(&mut self, other: &Self) {
        self.events += other.events;
        self.first = earliest(self.first, other.first);
        self.last = latest(self.last, other.last);
    }
    fn weight(&self) -> u64 {
        self.events
    }
}

/// One source kind's buckets (or the error events').
#[derive(Clone, Debug, PartialEq)]
pub struct Series<B = BucketMetrics> {
    /// Width of every bucket (µs): `BASE_BUCKET` times a power of two.
    pub width: i64,
    /// Bucket index (start time / width) to its metrics.
    pub buckets: BTreeMap<i64, B>,
}

impl<B> Default for Series<B> {
    fn default() -> Self {
        Series {
            width: BASE_BUCKET,
            buckets: BTreeMap::new(),
        }
    }
}

impl<B: BucketValue> Series<B> {
    fn coarsen_to(&mut self, width: i64) {
        while self.width < width {
            let old = std::mem::take(&mut self.buckets);
            self.width *= 2;
            for (index, b) in old {
                self.buckets
                    .entry(index.div_euclid(2))
                    .or_default()
                    .merge(&b);
            }
        }
    }

    fn bound(&mut self) {
        while self.buckets.len() > MAX_BUCKETS {
            let w = self.width * 2;
            self.coarsen_to(w);
        }
    }

    fn merge(&mut self, mut other: Series<B>) {
        let width = self.width.max(other.width);
        self.coarsen_to(width);
        other.coarsen_to(width);
        for (index, b) in other.buckets {
            match self.buckets.get_mut(&index) {
                Some(mine) => mine.merge(&b),
                None => {
                    self.buckets.insert(index, b);
                }
            }
        }
        self.bound();
    }

    /// The start time of bucket `index`.
    pub fn start_of(&self, index: i64) -> Timestamp {
        Timestamp(index * self.width)
    }

    /// The bucket `time` falls in, created empty if need be; the series is coarsened first
    /// when it is full.
    fn bucket_at(&mut self, time: Timestamp) -> &mut B {
        // Logs run forward: the bucket is nearly always the newest one, reached down the
        // tree's right edge without comparing keys in every node on the way, and known by its
        // bounds without dividing (a 64-bit division per request).
        if let Some((&newest, _)) = self.buckets.last_key_value()
            && let Some(start) = newest.checked_mul(self.width)
            && time.0 >= start
            && time.0 < start.saturating_add(self.width)
        {
            return self
                .buckets
                .last_entry()
                .expect("the newest bucket exists")
                .into_mut();
        }
        let index = time.0.div_euclid(self.width);
        if self.buckets.len() >= MAX_BUCKETS && !self.buckets.contains_key(&index) {
            let w = self.width * 2;
            self.coarsen_to(w);
        }
        self.buckets
            .entry(time.0.div_euclid(self.width))
            .or_default()
    }
}

/// Per source kind, the request metrics of the requests seen; and the error events of all.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MetricsPartial {
    pub series: BTreeMap<SourceKind, Series>,
    pub error_events: Series<ErrorEvents>,
    /// The first and last timed event of any kind: the span the error events' baseline covers.
    pub first_event: Option<Timestamp>,
    pub last_event: Option<Timestamp>,
}

impl MetricsPartial {
    pub fn record(
        &mut self,
        source: SourceKind,
        time: Timestamp,
        request: &Request<'_>,
        slow_ms: f64,
    ) {
        let series = match self.series.get_mut(&source) {
            Some(s) => s,
            None => self.series.entry(source).or_default(),
        };
        series.bucket_at(time).record(time, request, slow_ms);
    }

    /// Notes a timed event's time, for the run's span.
    #[inline]
    pub fn record_event_time(&mut self, time: Timestamp) {
        self.first_event = earliest(self.first_event, Some(time));
        self.last_event = latest(self.last_event, Some(time));
    }

    /// The first and last timed event.
    pub fn span(&self) -> Option<(Timestamp, Timestamp)> {
        self.first_event.zip(self.last_event)
    }

    /// Counts one error event (an error-level line, or one an error or alert pattern names).
    pub fn record_error_event(&mut self, time: Timestamp) {
        let b = self.error_events.bucket_at(time);
        b.events += 1;
        b.first = earliest(b.first, Some(time));
        b.last = latest(b.last, Some(time));
    }

    pub fn merge(&mut self, other: MetricsPartial) {
        for (source, s) in other.series {
            match self.series.get_mut(&source) {
                Some(mine) => mine.merge(s),
                None => {
                    self.series.insert(source, s);
                }
            }
        }
        self.error_events.merge(other.error_events);
        self.first_event = earliest(self.first_event, other.first_event);
        self.last_event = latest(self.last_event, other.last_event);
    }

    /// The edge: the outermost source kind with requests (load balancer, else web server, else
    /// application), where each user request is counted once.
    pub fn edge(&self) -> Option<(SourceKind, &Series)> {
        [
            SourceKind::LoadBalancer,
            SourceKind::Web,
            SourceKind::Application,
        ]
        .into_iter()
        .find_map(|k| {
            self.series
                .get(&k)
                .filter(|s| !s.buckets.is_empty())
                .map(|s| (k, s))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_come_off_ipv4_clients_only() {
        let cases: [(&[u8], &[u8]); 8] = [
            (b"203.0.113.7:51744", b"203.0.113.7"),
            (b"203.0.113.7", b"203.0.113.7"),
            (b"203.0.113.7:", b"203.0.113.7"),
            (b"2001:db8::1", b"2001:db8::1"),
            (b"::ffff:10.0.0.1", b"::ffff:10.0.0.1"),
            (b"host:80", b"host:80"),
            (b"", b""),
            (b"8080", b"8080"),
        ];
        for (client, want) in cases {
            assert_eq!(without_port(client), want, "{client:?}");
        }
    }

    fn req(status: u16, client: &'static [u8], ms: f64) -> Request<'static> {
        Request {
            status,
            latency_ms: Some(ms),
            client: Some(client),
            method: None,
            path: None,
            bytes_sent: None,
            upstream: Some(b"web1:8080"),
        }
    }

    fn t(secs: i64) -> Timestamp {
        Timestamp::from_unix_seconds(secs, 0)
    }

    #[test]
    fn buckets_count_requests_failures_and_clients() {
        let mut m = MetricsPartial::default();
        m.record(
            SourceKind::Web,
            t(100),
            &req(200, b"10.0.0.1", 20.0),
            5000.0,
        );
        m.record(
            SourceKind::Web,
            t(101),
            &req(503, b"10.0.0.2:5555", 30.0),
            5000.0,
        );
        m.record(
            SourceKind::Web,
            t(105),
            &req(404, b"10.0.0.2:5556", 9000.0),
            5000.0,
        );
        let (kind, s) = m.edge().unwrap();
        assert_eq!(kind, SourceKind::Web);
        let b = &s.buckets[&10];
        assert_eq!(
            (b.requests, b.failed, b.client_errors, b.slow),
            (3, 1, 1, 1)
        );
        assert_eq!(b.clients.estimate(), 2, "ports are not clients");
        assert_eq!(b.failed_clients.estimate(), 1);
        assert_eq!(b.first_failed, Some(t(101)));
        assert_eq!(b.backends, vec![("web1:8080".to_string(), 3)]);
    }

    #[test]
    fn merging_and_coarsening_do_not_depend_on_chunking() {
        let events: Vec<(i64, u16)> = (0..30_000)
            .map(|i| (i * 7, if i % 13 == 0 { 500 } else { 200 }))
            .collect();
        let build = |part: &[(i64, u16)]| {
            let mut m = MetricsPartial::default();
            for (s, status) in part {
                m.record(
                    SourceKind::LoadBalancer,
                    t(*s),
                    &req(*status, b"10.1.1.1", 10.0),
                    5000.0,
                );
            }
            m
        };
        let whole = build(&events);
        // 30,000 requests 7 s apart span 21,000 buckets of 10 s: coarsened to 40 s.
        assert_eq!(
            whole.series[&SourceKind::LoadBalancer].width,
            4 * BASE_BUCKET
        );
        for split in [1, 5_000, 17_321, 29_999] {
            let mut a = build(&events[..split]);
            a.merge(build(&events[split..]));
            assert_eq!(a, whole, "split {split}");
        }
        let total: u64 = whole.series[&SourceKind::LoadBalancer]
            .buckets
            .values()
            .map(|b| b.requests)
            .sum();
        assert_eq!(total, 30_000);
    }

    proptest::proptest! {
        /// Every request lands in the bucket its time divides into, whatever came before it:
        /// the newest bucket is recognised by its bounds, any other one found by its index.
        #[test]
        fn requests_land_in_the_bucket_of_their_time(
            times in proptest::collection::vec(
                proptest::prop_oneof![
                    -100_000_000i64..100_000_000,
                    proptest::strategy::Strategy::prop_map((-3i64..3, -1i64..=1), |(k, d)| k * BASE_BUCKET + d),
                    proptest::prelude::Just(i64::MIN),
                    proptest::prelude::Just(i64::MAX),
                    i64::MIN..i64::MAX,
                ],
                1..200,
            ),
        ) {
            let mut m = MetricsPartial::default();
            let mut want: BTreeMap<i64, u64> = BTreeMap::new();
            for &micros in &times {
                m.record(SourceKind::Web, Timestamp(micros), &req(200, b"a", 1.0), 5000.0);
                *want.entry(micros.div_euclid(BASE_BUCKET)).or_default() += 1;
            }
            let got: BTreeMap<i64, u64> = m.series[&SourceKind::Web]
                .buckets
                .iter()
                .map(|(k, b)| (*k, b.requests))
                .collect();
            proptest::prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn the_edge_is_the_outermost_source() {
        let mut m = MetricsPartial::default();
        m.record(SourceKind::Web, t(1), &req(200, b"a", 1.0), 5000.0);
        m.record(SourceKind::LoadBalancer, t(1), &req(200, b"a", 1.0), 5000.0);
        assert_eq!(m.edge().unwrap().0, SourceKind::LoadBalancer);
        assert!(MetricsPartial::default().edge().is_none());
    }
}
