//! The deduplicated timeline end to end: the same entries for any thread count and chunk
//! size, gap-separated deduplication, aggregated requests, unclassified clustering, and
//! patterns found in stack traces.

use pmtrace::aggregate::{TimelineConfig, TimelineEntry};
use pmtrace::analysis::{Analysis, analyse};
use pmtrace::ingest::IngestOptions;
use pmtrace::input::discover;
use pmtrace::pattern;
use std::fs;
use std::path::Path;
use std::sync::Arc;

/// `HH:MM:SS` on 2024-11-14 plus `secs` seconds.
fn clock(secs: u32) -> (u32, u32, u32) {
    (14 + secs / 3600, secs / 60 % 60, secs % 60)
}

/// A small outage: from minute 10 to 20 the database refuses connections, the app logs pool
/// timeouts and the edge returns 503s; at minute 40 one more burst; warnings throughout.
fn write_bundle(dir: &Path) {
    let mut access = String::new();
    for i in 0..3600u32 {
        let (h, m, s) = clock(i);
        let failing = (600..1200).contains(&i) || (2400..2430).contains(&i);
        let status = if failing && i % 3 == 0 { 503 } else { 200 };
        let latency = if i % 500 == 7 { "6.250" } else { "0.042" };
        access.push_str(&format!(
            "10.0.{}.{} - - [14/Nov/2024:{h:02}:{m:02}:{s:02} +0000] \"GET /api/orders/{i} HTTP/1.1\" {status} 512 \"-\" \"okhttp/4.12.0\" {latency} 0.040\n",
            i % 7,
            i % 200
        ));
    }
    fs::write(dir.join("access.log"), access).unwrap();

    let mut pg = String::new();
    for i in (0..3600u32).step_by(20) {
        let (h, m, s) = clock(i);
        if (600..1200).contains(&i) || (2400..2430).contains(&i) {
            pg.push_str(&format!(
                "2024-11-14 {h:02}:{m:02}:{s:02}.000 UTC [{}] FATAL:  sorry, too many clients already\n",
                4000 + i
            ));
        } else {
            pg.push_str(&format!(
                "2024-11-14 {h:02}:{m:02}:{s:02}.000 UTC [{}] LOG:  checkpoint starting: time\n",
                4000 + i
            ));
        }
    }
    fs::write(dir.join("postgresql.log"), pg).unwrap();

    let mut app = String::new();
    for i in (0..3600u32).step_by(30) {
        let (h, m, s) = clock(i);
        app.push_str(&format!(
            "2024-11-14 {h:02}:{m:02}:{s:02},000 [worker-{}] WARN com.example.Cache - cache miss ratio {}% over {} keys\n",
            i % 4,
            i % 97,
            1000 + i
        ));
        if i == 900 {
            app.push_str(&format!(
                "2024-11-14 {h:02}:{m:02}:{s:02},500 [worker-1] ERROR com.example.Orders - request failed\njava.lang.IllegalStateException: pool\n\tat com.example.Orders.place(Orders.java:42)\nCaused by: java.lang.OutOfMemoryError: Java heap space\n\tat com.example.Buf.grow(Buf.java:7)\n"
            ));
        }
    }
    fs::write(dir.join("app.log"), app).unwrap();
}

fn run(dir: &Path, threads: usize, chunk: u64) -> Analysis {
    let files = discover(&[dir.to_string_lossy().into_owned()]).0;
    let opts = IngestOptions {
        threads,
        chunk_size: chunk,
        ..IngestOptions::default()
    };
    let config = Arc::new(TimelineConfig::new(pattern::load(&[], false).unwrap()));
    analyse(&files, &opts, config, &Default::default())
}

fn find(timeline: &[TimelineEntry], pred: impl Fn(&TimelineEntry) -> bool) -> Vec<&TimelineEntry> {
    timeline.iter().filter(|e| pred(e)).collect()
}

#[test]
fn the_timeline_does_not_depend_on_threads_or_chunks() {
    let dir = tempfile::tempdir().unwrap();
    write_bundle(dir.path());
    let metrics = |a: &Analysis| {
        let mut m = a.partial.metrics.clone();
        m.series
            .values_mut()
            .for_each(|s| s.buckets.values_mut().for_each(|b| b.normalize()));
        m
    };
    let whole = run(dir.path(), 1, 1 << 30);
    let reference = whole.timeline.clone();
    assert!(!reference.is_empty());
    assert!(!whole.partial.metrics.series.is_empty());
    for threads in [1, 2, 8] {
        for chunk in [97u64, 4096, 1 << 20] {
            let a = run(dir.path(), threads, chunk);
            assert_eq!(a.timeline, reference, "threads {threads}, chunk {chunk}");
            assert_eq!(
                metrics(&a),
                metrics(&whole),
                "metrics, threads {threads}, chunk {chunk}"
            );
        }
    }
}

#[test]
fn recurring_signals_are_one_entry_until_a_quiet_gap() {
    let dir = tempfile::tempdir().unwrap();
    write_bundle(dir.path());
    let t = run(dir.path(), 2, 1 << 20).timeline;
    let clients = find(&t, |e| {
        e.pattern.as_deref() == Some("postgres.too_many_clients")
    });
    // 14:10:00–14:19:40 every 20 s, then 14:40:00 and 14:40:20: two entries.
    assert_eq!(clients.len(), 2, "{clients:#?}");
    assert_eq!(
        (clients[0].first.as_str(), clients[0].last.as_str()),
        ("2024-11-14T14:10:00Z", "2024-11-14T14:19:40Z")
    );
    assert_eq!(clients[0].count, 30);
    assert_eq!(clients[1].count, 2);
    assert_eq!(
        clients[0].location,
        format!("{}:31", dir.path().join("postgresql.log").display())
    );
    assert_eq!(clients[0].source.map(|s| s.as_str()), Some("database"));
    assert_eq!(clients[0].category.as_str(), "database");
    assert!(clients[0].message.contains("too many clients already"));
}

#[test]
fn failing_and_slow_requests_are_aggregated_by_status_and_path_group() {
    let dir = tempfile::tempdir().unwrap();
    write_bundle(dir.path());
    let t = run(dir.path(), 2, 1 << 20).timeline;
    let errors = find(&t, |e| e.title == "HTTP 503 responses on /api/*");
    assert_eq!(errors.len(), 2);
    assert_eq!(errors.iter().map(|e| e.count).sum::<u64>(), 200 + 10);
    assert_eq!(errors[0].template.as_deref(), Some("/api/*"));
    let slow = find(&t, |e| e.title.starts_with("Requests slower than"));
    assert_eq!(slow.iter().map(|e| e.count).sum::<u64>(), 8, "{slow:#?}");
}

#[test]
fn unnamed_warnings_cluster_by_template() {
    let dir = tempfile::tempdir().unwrap();
    write_bundle(dir.path());
    let t = run(dir.path(), 2, 1 << 20).timeline;
    let cache = find(&t, |e| {
        e.pattern.is_none() && e.title.contains("cache miss ratio")
    });
    assert_eq!(cache.len(), 1, "{cache:#?}");
    assert_eq!(cache[0].count, 120);
    assert_eq!(cache[0].severity.as_str(), "warning");
    assert!(cache[0].template.as_deref().unwrap().contains("<NUM>"));
}

#[test]
fn patterns_are_found_inside_stack_traces() {
    let dir = tempfile::tempdir().unwrap();
    write_bundle(dir.path());
    let t = run(dir.path(), 2, 1 << 20).timeline;
    let oom = find(&t, |e| e.pattern.as_deref() == Some("java.out_of_memory"));
    assert_eq!(oom.len(), 1);
    assert_eq!(oom[0].first, "2024-11-14T14:15:00.500Z");
    assert!(
        oom[0]
            .message
            .starts_with("Caused by: java.lang.OutOfMemoryError")
    );
}
