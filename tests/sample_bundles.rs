//! `pmtrace sample` bundles: the committed ones regenerate byte for byte, every file reads as
//! the format truth.json declares with no unparsed line, and truth.json agrees with what the
//! edge lines say when pmtrace parses them back.

mod common;

use common::inputs;
use pmtrace::format::Event;
use pmtrace::ingest::{self, EventSink, FileContext, IngestOptions};
use pmtrace::sample::{Scenario, Truth, write_bundle};
use pmtrace::time::{Timestamp, days_from_civil};
use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

fn committed(scenario: Scenario) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample-logs")
        .join(scenario.name())
}

/// Every file under `dir`, by path relative to it.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn text_of(bundle: &Path, rel: &str) -> String {
    let raw = fs::read(bundle.join(rel)).unwrap();
    if rel.ends_with(".gz") {
        let mut s = String::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_string(&mut s)
            .unwrap();
        s
    } else {
        String::from_utf8(raw).unwrap()
    }
}

fn read_truth(bundle: &Path) -> Truth {
    serde_json::from_str(&fs::read_to_string(bundle.join("truth.json")).unwrap()).unwrap()
}

/// `2024-11-14T11:02:13.5Z` → µs since the epoch.
fn parse_utc(s: &str) -> i64 {
    let b = s.as_bytes();
    assert_eq!(b[b.len() - 1], b'Z', "{s}");
    let n = |r: std::ops::Range<usize>| s[r].parse::<i64>().unwrap();
    let days = days_from_civil(n(0..4), n(5..7) as u32, n(8..10) as u32);
    let mut us = ((days * 24 + n(11..13)) * 60 + n(14..16)) * 60 + n(17..19);
    us *= 1_000_000;
    if b[19] == b'.' {
        let frac = &s[20..s.len() - 1];
        us += frac.parse::<i64>().unwrap() * 10i64.pow(6 - frac.len() as u32);
    }
    us
}

#[test]
fn committed_bundles_regenerate_byte_for_byte() {
    for scenario in Scenario::ALL {
        let dir = tempfile::tempdir().unwrap();
        write_bundle(scenario, dir.path(), 1, 1).unwrap();
        let fresh = files(dir.path());
        let kept = files(&committed(scenario));
        assert_eq!(
            fresh.keys().collect::<Vec<_>>(),
            kept.keys().collect::<Vec<_>>(),
            "{}: regenerate with `cargo run -- sample {} --out sample-logs/{}`",
            scenario.name(),
            scenario.name(),
            scenario.name()
        );
        for (rel, bytes) in &fresh {
            assert!(
                bytes == &kept[rel],
                "{}/{rel} differs from the committed file",
                scenario.name()
            );
        }
        let total: usize = fresh.values().map(Vec::len).sum();
        assert!(total <= 3_000_000, "{}: {total} bytes", scenario.name());
    }
}

#[test]
fn every_file_reads_as_its_declared_format_with_nothing_unparsed() {
    for seed in 1..=4 {
        for scenario in Scenario::ALL {
            let dir = tempfile::tempdir().unwrap();
            let truth = write_bundle(scenario, dir.path(), 1, seed).unwrap();
            assert_eq!(truth, read_truth(dir.path()));
            // 3-6 logs in different formats; rotation adds a member to a log, not a format.
            let formats: HashSet<&str> = truth.files.iter().map(|f| f.format.as_str()).collect();
            assert!((3..=6).contains(&formats.len()), "{formats:?}");
            assert!(truth.files.iter().any(|f| f.compression == "gzip"));
            let results =
                ingest::ingest(&inputs(&[dir.path()]), &IngestOptions::default(), &|_| ());
            assert_eq!(
                results.len(),
                truth.files.len(),
                "truth.json is not read as a log"
            );
            for r in &results {
                let s = &r.summary;
                let rel = Path::new(&s.path)
                    .strip_prefix(dir.path())
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                let f = truth
                    .files
                    .iter()
                    .find(|f| f.path == rel)
                    .unwrap_or_else(|| panic!("{rel} not in truth"));
                let what = format!("{} seed {seed}: {rel}", scenario.name());
                assert_eq!(s.format, f.format, "{what}");
                assert_eq!(
                    s.source.map(|k| k.as_str()),
                    Some(f.source.as_str()),
                    "{what}"
                );
                assert_eq!(s.unparsed_lines, 0, "{what}");
                assert_eq!(s.lines, f.lines, "{what}");
                assert_eq!(
                    s.compression,
                    if f.compression == "gzip" {
                        "gzip"
                    } else {
                        "none"
                    },
                    "{what}"
                );
                assert!(r.error.is_none(), "{what}: {:?}", r.error);
            }
        }
    }
}

/// The edge requests as pmtrace reads them: time, status, latency, client.
#[derive(Default)]
struct Requests(Vec<(i64, u16, Option<f64>, String)>);

impl EventSink for Requests {
    fn on_event(
        &mut self,
        _: &FileContext,
        _: u64,
        time: Option<Timestamp>,
        e: &Event<'_>,
        _: &[u8],
    ) {
        if let (Some(t), Some(r)) = (time, e.request) {
            let client = String::from_utf8_lossy(r.client.unwrap_or(b"-")).into_owned();
            self.0.push((t.0, r.status, r.latency_ms, client));
        }
    }
    fn merge(&mut self, later: Self, _: u64) {
        self.0.extend(later.0);
    }
}

fn p95(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let rank = (v.len() * 95).div_ceil(100);
    Some(v[rank - 1].round())
}

fn check_truth(bundle: &Path, truth: &Truth) {
    let span = (parse_utc(&truth.span.start), parse_utc(&truth.span.end));
    assert!(span.0 < span.1);
    for f in &truth.files {
        assert_eq!(
            text_of(bundle, &f.path).lines().count() as u64,
            f.lines,
            "{}",
            f.path
        );
    }
    let edge: Vec<PathBuf> = truth
        .files
        .iter()
        .filter(|f| f.edge)
        .map(|f| bundle.join(&f.path))
        .collect();
    assert!(!edge.is_empty());
    let paths: Vec<&Path> = edge.iter().map(PathBuf::as_path).collect();
    let mut reqs = Vec::new();
    for r in ingest::ingest(&inputs(&paths), &IngestOptions::default(), &|_| {
        Requests::default()
    }) {
        reqs.extend(r.sink.0);
    }
    assert!(!reqs.is_empty());
    let window = truth
        .incidents
        .first()
        .map(|i| (parse_utc(&i.start), parse_utc(&i.end)));
    let inside = |t: i64| window.is_some_and(|(a, b)| t >= a && t <= b);
    let outside: Vec<_> = reqs.iter().filter(|r| !inside(r.0)).collect();
    let failed_out = outside.iter().filter(|r| r.1 >= 500).count();
    let rate = |f: usize, n: usize| ((f as f64 / n as f64) * 1e6).round() / 1e6;
    assert_eq!(truth.baseline.error_rate, rate(failed_out, outside.len()));
    assert_eq!(
        truth.baseline.p95_latency_ms,
        p95(outside.iter().filter_map(|r| r.2).collect())
    );
    for inc in &truth.incidents {
        let (a, b) = window.unwrap();
        assert!(
            span.0 <= a && a <= b && b <= span.1,
            "window outside the span"
        );
        let inw: Vec<_> = reqs.iter().filter(|r| inside(r.0)).collect();
        let hit = |t: i64| {
            inw.iter()
                .any(|r| r.0 == t && (r.1 >= 500 || r.2.is_some_and(|l| l >= 5000.0)))
        };
        assert!(
            hit(a) && hit(b),
            "the window starts and ends on a failed or very slow request"
        );
        let failed: Vec<_> = inw.iter().filter(|r| r.1 >= 500).collect();
        assert_eq!(inc.requests_total, inw.len() as u64);
        assert_eq!(inc.requests_failed, failed.len() as u64);
        assert!(inc.requests_failed <= inc.requests_total);
        assert_eq!(inc.error_rate, rate(failed.len(), inw.len()));
        let clients: HashSet<&str> = inw.iter().map(|r| r.3.as_str()).collect();
        let affected: HashSet<&str> = failed.iter().map(|r| r.3.as_str()).collect();
        assert_eq!(inc.clients_total, clients.len() as u64);
        assert_eq!(inc.clients_affected, affected.len() as u64);
        assert!(inc.clients_affected <= inc.clients_total);
        assert_eq!(
            inc.p95_latency_ms,
            p95(inw.iter().filter_map(|r| r.2).collect())
        );
        let c = &inc.root_cause.earliest_causal_line;
        let line = text_of(bundle, &c.file)
            .lines()
            .nth(c.line as usize - 1)
            .map(str::to_string);
        assert_eq!(
            line.as_deref(),
            Some(c.text.as_str()),
            "causal line {}:{}",
            c.file,
            c.line
        );
        assert!(!inc.root_cause.summary.is_empty());
        if let Some(m) = &inc.mitigation {
            let line = text_of(bundle, &m.file)
                .lines()
                .nth(m.line as usize - 1)
                .map(str::to_string);
            assert_eq!(line.as_deref(), Some(m.text.as_str()));
            assert!(parse_utc(&m.time) > parse_utc(&inc.start) - 3_600_000_000);
        }
    }
}

#[test]
fn truth_agrees_with_the_edge_lines_parsed_back() {
    for scenario in Scenario::ALL {
        let bundle = committed(scenario);
        let truth = read_truth(&bundle);
        assert_eq!(truth.scenario, scenario.name());
        assert_eq!(truth.incidents.is_empty(), scenario == Scenario::Healthy);
        check_truth(&bundle, &truth);
    }
    // Other layouts too: ALB (latency missing on some lines), nginx as the edge.
    for (scenario, seed) in [(Scenario::DbPoolExhausted, 2), (Scenario::TrafficSpike, 3)] {
        let dir = tempfile::tempdir().unwrap();
        let truth = write_bundle(scenario, dir.path(), 1, seed).unwrap();
        check_truth(dir.path(), &truth);
    }
}

#[test]
fn seeds_change_formats_and_rates() {
    let truths: Vec<Truth> = (1..=4)
        .map(|seed| {
            let dir = tempfile::tempdir().unwrap();
            write_bundle(Scenario::DbNetworkMisconfig, dir.path(), 1, seed).unwrap()
        })
        .collect();
    let formats: HashSet<Vec<&str>> = truths
        .iter()
        .map(|t| t.files.iter().map(|f| f.format.as_str()).collect())
        .collect();
    assert!(formats.len() >= 3, "{formats:?}");
    let all: HashSet<&str> = truths
        .iter()
        .flat_map(|t| t.files.iter().map(|f| f.format.as_str()))
        .collect();
    for f in [
        "haproxy",
        "aws_alb",
        "nginx_timed",
        "postgres",
        "mysql_error",
        "mysql_slow",
        "json",
        "java",
    ] {
        assert!(all.contains(f), "no seed of 1-4 writes {f}");
    }
    let rates: HashSet<u64> = truths
        .iter()
        .map(|t| (t.baseline.requests_per_minute * 100.0) as u64)
        .collect();
    assert!(rates.len() >= 3, "{rates:?}");
    let starts: HashSet<&str> = truths
        .iter()
        .map(|t| t.incidents[0].start.as_str())
        .collect();
    assert_eq!(starts.len(), 4);
}

#[test]
fn same_arguments_same_bytes_at_a_larger_scale() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_bundle(Scenario::TrafficSpike, a.path(), 3, 7).unwrap();
    write_bundle(Scenario::TrafficSpike, b.path(), 3, 7).unwrap();
    assert!(files(a.path()) == files(b.path()));
}
