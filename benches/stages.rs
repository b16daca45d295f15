//! Criterion benches, one group per stage: splitting bytes into lines, detecting a format,
//! parsing lines of each format, the parallel ingest of a plain file, matching lines against
//! the pattern packs, and the whole timeline run.
//!
//! `cargo bench --bench stages` runs them all; `cargo bench --bench stages -- parse/` one group.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use pmtrace::format::{self, Parsed};
use pmtrace::ingest::{self, IngestOptions};
use pmtrace::input::{discover, for_each_line};
use std::hint::black_box;

/// About `target` bytes of a format's sample lines, repeated.
fn repeated_samples(f: &format::Format, target: usize) -> Vec<u8> {
    let block: String = f.samples.iter().map(|s| format!("{}\n", s.line)).collect();
    block
        .repeat((target / block.len().max(1)).max(1))
        .into_bytes()
}

/// An nginx access log with varied clients, paths, statuses and latencies.
fn nginx_log(lines: usize) -> Vec<u8> {
    let mut out = String::with_capacity(lines * 140);
    for i in 0..lines {
        let status = match i % 50 {
            0 => 503,
            1 => 404,
            _ => 200,
        };
        out.push_str(&format!(
            "10.{}.{}.{} - - [14/Nov/2024:14:{:02}:{:02} +0000] \"GET /api/v1/items/{} HTTP/1.1\" {status} {} \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\" 0.{:03} 0.{:03}\n",
            i % 7,
            i % 251,
            i % 13,
            (i / 3000) % 60,
            (i / 50) % 60,
            i % 9973,
            200 + i % 4000,
            i % 997,
            i % 991
        ));
    }
    out.into_bytes()
}

fn split(c: &mut Criterion) {
    let data = nginx_log(200_000);
    let mut g = c.benchmark_group("split");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function("nginx_28MB", |b| {
        let mut buf = Vec::new();
        b.iter(|| {
            let mut n = 0u64;
            let _ = for_each_line(&data[..], &mut buf, |l, _| n += l.len() as u64);
            black_box(n)
        })
    });
    g.finish();
}

fn detect(c: &mut Criterion) {
    let mut g = c.benchmark_group("detect");
    for f in format::ALL {
        let sample = repeated_samples(f, format::detect::SAMPLE_BYTES);
        g.bench_function(BenchmarkId::from_parameter(f.name), |b| {
            b.iter(|| black_box(format::detect(&sample)))
        });
    }
    g.finish();
}

fn parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse");
    for f in format::ALL.iter().chain([&format::FALLBACK]) {
        let data = repeated_samples(f, 1 << 20);
        let lines: Vec<&[u8]> = data
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .collect();
        g.throughput(Throughput::Bytes(data.len() as u64));
        g.bench_function(BenchmarkId::from_parameter(f.name), |b| {
            b.iter(|| {
                let mut events = 0u32;
                for l in &lines {
                    if let Parsed::Event(_) = (f.parse)(l) {
                        events += 1;
                    }
                }
                black_box(events)
            })
        });
    }
    g.finish();
}

/// An nginx log of `lines` lines written to a temporary folder (kept alive by the returned
/// guard), as inputs, and its size.
fn nginx_file(lines: usize) -> (tempfile::TempDir, Vec<pmtrace::input::InputFile>, u64) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log");
    let data = nginx_log(lines);
    std::fs::write(&path, &data).unwrap();
    let files = discover(&[path.to_string_lossy().into_owned()]).0;
    (dir, files, data.len() as u64)
}

fn ingest_file(c: &mut Criterion) {
    let (_dir, files, bytes) = nginx_file(400_000);
    let mut g = c.benchmark_group("ingest");
    g.throughput(Throughput::Bytes(bytes));
    g.sample_size(20);
    for threads in [1usize, 2] {
        let opts = IngestOptions {
            threads,
            ..IngestOptions::default()
        };
        g.bench_function(BenchmarkId::new("nginx_56MB_threads", threads), |b| {
            b.iter(|| black_box(ingest::ingest(&files, &opts, &|_| ())))
        });
    }
    g.finish();
}

/// Matching lines against the built-in packs: lines that match (each pattern's samples) and
/// lines that match nothing (ordinary traffic), as a log mostly is.
fn patterns(c: &mut Criterion) {
    let set = pmtrace::pattern::load(&[], false).unwrap();
    let matching: Vec<Vec<u8>> = set
        .patterns()
        .iter()
        .flat_map(|p| p.samples.iter().map(|s| s.as_bytes().to_vec()))
        .collect();
    let quiet: Vec<Vec<u8>> = (0..2000)
        .map(|i| format!("2024-11-14 14:02:{:02},123 INFO [worker-{}] com.example.Orders - order {i} placed for customer {} in 42 ms", i % 60, i % 8, i * 7).into_bytes())
        .collect();
    let mut g = c.benchmark_group("pattern");
    for (name, lines) in [("matching_samples", &matching), ("quiet_lines", &quiet)] {
        g.throughput(Throughput::Bytes(
            lines.iter().map(|l| l.len() as u64 + 1).sum(),
        ));
        g.bench_function(name, |b| {
            let mut scratch = pmtrace::pattern::MatchScratch::default();
            b.iter(|| {
                let mut hits = 0u32;
                for l in lines.iter() {
                    if set.find(l, None, None, &mut scratch).is_some() {
                        hits += 1;
                    }
                }
                black_box(hits)
            })
        });
    }
    g.finish();
}

/// The whole timeline run (ingest, match, aggregate, build) over a plain nginx log.
fn timeline(c: &mut Criterion) {
    use pmtrace::aggregate::TimelineConfig;
    use std::sync::Arc;
    let (_dir, files, bytes) = nginx_file(400_000);
    let config = Arc::new(TimelineConfig::new(
        pmtrace::pattern::load(&[], false).unwrap(),
    ));
    let mut g = c.benchmark_group("timeline");
    g.throughput(Throughput::Bytes(bytes));
    g.sample_size(20);
    for threads in [1usize, 2] {
        let opts = IngestOptions {
            threads,
            ..IngestOptions::default()
        };
        g.bench_function(BenchmarkId::new("nginx_56MB_threads", threads), |b| {
            b.iter(|| {
                black_box(pmtrace::analysis::analyse(
                    &files,
                    &opts,
                    Arc::clone(&config),
                    &Default::default(),
                ))
            })
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    split,
    detect,
    parse,
    ingest_file,
    patterns,
    timeline
);
criterion_main!(benches);
