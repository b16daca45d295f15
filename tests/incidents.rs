//! Incident windows, impact and cause on bundles built here with known answers: an error
//! outage caused by the database, a latency-only incident, an outage in which most requests
//! never arrived, and a healthy day with a short blip that must not count.

mod common;

use common::analyse_dir;
use pmtrace::time::Timestamp;
use std::fs;
use std::path::Path;

/// A small deterministic generator (SplitMix64), so the bundles are the same every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

/// 08:00 on 2024-11-14, UTC.
const T0: i64 = 1_731_571_200;

fn clf_time(secs: i64) -> String {
    let t = Timestamp::from_unix_seconds(T0 + secs, 0).to_civil_utc();
    format!(
        "{:02}/Nov/2024:{:02}:{:02}:{:02} +0000",
        t.day, t.hour, t.minute, t.second
    )
}

fn iso(secs: i64) -> String {
    Timestamp::from_unix_seconds(T0 + secs, 0).to_string()
}

/// Eight hours of one request a second; `status_of(second, rng)` and `latency_of` decide each.
/// Returns the failed requests per second of the day, for the expected answers.
fn write_access(
    dir: &Path,
    status_of: impl Fn(i64, &mut Rng) -> u16,
    latency_of: impl Fn(i64, u16) -> f64,
) -> Vec<bool> {
    write_access_arriving(dir, |_, _| true, status_of, latency_of)
}

/// [`write_access`], where the request of second `s` only reaches the server when
/// `arrives(s, rng)`.
fn write_access_arriving(
    dir: &Path,
    arrives: impl Fn(i64, &mut Rng) -> bool,
    status_of: impl Fn(i64, &mut Rng) -> u16,
    latency_of: impl Fn(i64, u16) -> f64,
) -> Vec<bool> {
    let mut rng = Rng(42);
    let mut text = String::new();
    let mut failed = Vec::new();
    for s in 0..8 * 3600 {
        if !arrives(s, &mut rng) {
            failed.push(false);
            continue;
        }
        let status = status_of(s, &mut rng);
        let client = rng.next() % 600;
        let latency = latency_of(s, status);
        text.push_str(&format!(
            "10.0.{}.{} - - [{}] \"GET /api/orders/{s} HTTP/1.1\" {status} 512 \"-\" \"okhttp\" {:.3} {:.3}\n",
            client / 250,
            client % 250,
            clf_time(s),
            latency,
            latency
        ));
        failed.push(status >= 500);
    }
    fs::write(dir.join("access.log"), text).unwrap();
    failed
}

fn within(actual: &str, expected_secs: i64, tolerance_secs: i64) -> bool {
    let expected = iso(expected_secs);
    let diff = (parse(actual) - parse(&expected)).abs();
    diff <= tolerance_secs
}

fn parse(rfc3339: &str) -> i64 {
    let (civil, _) = pmtrace::time::parse::iso8601(rfc3339.as_bytes()).unwrap();
    let mut conv = pmtrace::time::ZoneConverter::new(pmtrace::time::Zone::utc());
    conv.civil_to_utc(&civil).unwrap().unix_seconds()
}

#[test]
fn a_database_outage_is_found_measured_and_blamed_on_the_database() {
    let dir = tempfile::tempdir().unwrap();
    // 11:00–13:30 a third of requests fail; 0.1% fail anyway.
    let outage = 3 * 3600..(5 * 3600 + 1800);
    let failed = write_access(
        dir.path(),
        |s, rng| {
            if outage.contains(&s) && rng.chance(0.3) || rng.chance(0.001) {
                503
            } else {
                200
            }
        },
        |s, status| {
            if status >= 500 {
                30.0
            } else {
                0.040 + (s % 7) as f64 / 1000.0
            }
        },
    );
    let mut pg = format!(
        "{} UTC [1] LOG:  parameter \"max_connections\" changed to \"20\"\n",
        &iso(outage.start - 300)[..19].replace('T', " ")
    );
    for s in outage.clone().step_by(20) {
        pg.push_str(&format!(
            "{} UTC [{}] FATAL:  sorry, too many clients already\n",
            &iso(s)[..19].replace('T', " "),
            4000 + s
        ));
    }
    fs::write(dir.path().join("postgresql.log"), pg).unwrap();

    let a = analyse_dir(dir.path());
    assert_eq!(
        a.incidents.incidents.len(),
        1,
        "{:#?}",
        a.incidents.incidents
    );
    let i = &a.incidents.incidents[0];
    let impact = i.impact.as_ref().expect("measured at the edge");
    let first_failure = outage.clone().find(|s| failed[*s as usize]).unwrap();
    let last_failure = outage.clone().rev().find(|s| failed[*s as usize]).unwrap();
    assert!(within(&i.start, first_failure, 120), "start {}", i.start);
    assert!(within(&i.end, last_failure, 120), "end {}", i.end);
    let truth_failed = (first_failure..=last_failure)
        .filter(|s| failed[*s as usize])
        .count() as f64;
    let got = impact.requests_failed as f64;
    assert!(
        (got - truth_failed).abs() / truth_failed < 0.10,
        "failed {got} vs {truth_failed}"
    );
    assert!(
        (impact.error_rate - 0.3).abs() < 0.03,
        "{}",
        impact.error_rate
    );
    assert!(impact.baseline_error_rate < 0.005);
    // Traffic held up: nothing was lost.
    assert!(
        impact.requests_lost_estimate * 100 < impact.requests_total,
        "{impact:#?}"
    );
    let cause = i.root_cause.as_ref().expect("a cause");
    assert_eq!(cause.category.as_str(), "database", "{cause:#?}");
    assert!(
        cause.summary.contains("too many clients"),
        "{}",
        cause.summary
    );
    assert!(i.milestones.preceding_change.is_some());
}

#[test]
fn a_latency_only_incident_is_found() {
    let dir = tempfile::tempdir().unwrap();
    // 10:00–10:40 every request takes 6–9 s; nothing fails.
    let slow = 2 * 3600..(2 * 3600 + 2400);
    write_access(
        dir.path(),
        |_, _| 200,
        |s, _| {
            if slow.contains(&s) {
                6.0 + (s % 30) as f64 / 10.0
            } else {
                0.050 + (s % 9) as f64 / 1000.0
            }
        },
    );
    let a = analyse_dir(dir.path());
    assert_eq!(
        a.incidents.incidents.len(),
        1,
        "{:#?}",
        a.incidents.incidents
    );
    let i = &a.incidents.incidents[0];
    assert!(within(&i.start, slow.start, 120), "start {}", i.start);
    assert!(within(&i.end, slow.end - 1, 120), "end {}", i.end);
    let impact = i.impact.as_ref().expect("measured at the edge");
    assert_eq!(impact.requests_failed, 0);
    assert!(impact.p95_latency_ms.unwrap() > 5000.0);
    assert!(impact.baseline_p95_latency_ms.unwrap() < 100.0);
}

#[test]
fn a_healthy_day_with_a_blip_has_no_incident() {
    let dir = tempfile::tempdir().unwrap();
    // 40 seconds of half the requests failing at 12:00: a blip, not an incident.
    let blip = 4 * 3600..(4 * 3600 + 40);
    write_access(
        dir.path(),
        |s, rng| {
            if blip.contains(&s) && rng.chance(0.5) || rng.chance(0.001) {
                500
            } else {
                200
            }
        },
        |_, _| 0.045,
    );
    let a = analyse_dir(dir.path());
    assert!(
        a.incidents.incidents.is_empty(),
        "{:#?}",
        a.incidents.incidents
    );
    assert_eq!(
        a.incidents.series.len(),
        480,
        "one-minute buckets over eight hours"
    );
}

#[test]
fn the_postmortem_draft_tells_the_story_with_log_text_escaped() {
    use pmtrace::report::postmortem::write_postmortem;
    use pmtrace::report::timeline::{Report, Stats};
    let dir = tempfile::tempdir().unwrap();
    let outage = 3 * 3600..(4 * 3600);
    write_access(
        dir.path(),
        |s, rng| {
            if outage.contains(&s) && rng.chance(0.5) {
                503
            } else {
                200
            }
        },
        |_, _| 0.050,
    );
    let mut pg = String::new();
    for s in outage.clone().step_by(30) {
        pg.push_str(&format!(
            "{} UTC [{}] FATAL:  sorry, too many clients already | <b>x</b> [y](http://z)\n",
            &iso(s)[..19].replace('T', " "),
            4000 + s
        ));
    }
    fs::write(dir.path().join("postgresql.log"), pg).unwrap();
    let a = analyse_dir(dir.path());
    let stats = Stats {
        bytes: 0,
        lines: 0,
        events: 0,
        elapsed_seconds: 0.0,
        throughput_mb_s: 0.0,
    };
    let report = Report::new(a.inputs, a.incidents, a.timeline, stats);
    let mut out = Vec::new();
    write_postmortem(&mut out, &report, &pmtrace::time::Zone::utc()).unwrap();
    let md = String::from_utf8(out).unwrap();
    assert!(
        md.starts_with("# Postmortem draft: database incident 2024-11-14"),
        "{md}"
    );
    assert!(
        md.contains("**OUTAGE BEGINS**") && md.contains("**OUTAGE ENDS**"),
        "{md}"
    );
    assert!(md.contains("**Probable root cause (database"), "{md}");
    assert!(md.contains("- [ ] "), "suggestions are a checklist: {md}");
    assert!(
        !md.contains("<b>") && !md.contains("](http"),
        "log text escaped: {md}"
    );
    for row in md
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains("too many clients"))
    {
        assert_eq!(row.matches(" | ").count(), 4, "five cells: {row}");
    }
}

#[test]
fn requests_that_never_arrived_are_estimated() {
    let dir = tempfile::tempdir().unwrap();
    // 11:00–12:00 four in five requests never reach the server (say, DNS fails for most
    // clients), and a third of those that do fail.
    let outage = 3 * 3600..4 * 3600;
    let (arriving, failing) = (outage.clone(), outage.clone());
    let lost = std::cell::RefCell::new(Vec::new());
    let failed = write_access_arriving(
        dir.path(),
        |s, rng| {
            let arrives = !arriving.contains(&s) || rng.chance(0.2);
            if !arrives {
                lost.borrow_mut().push(s);
            }
            arrives
        },
        |s, rng| {
            if failing.contains(&s) && rng.chance(0.33) {
                503
            } else {
                200
            }
        },
        |_, _| 0.040,
    );
    let a = analyse_dir(dir.path());
    assert_eq!(
        a.incidents.incidents.len(),
        1,
        "{:#?}",
        a.incidents.incidents
    );
    let i = &a.incidents.incidents[0];
    let impact = i.impact.as_ref().expect("measured at the edge");
    assert!(i.start_ts <= i.end_ts);
    let first = outage.clone().find(|s| failed[*s as usize]).unwrap();
    let last = outage.clone().rev().find(|s| failed[*s as usize]).unwrap();
    assert!(within(&i.start, first, 120), "start {}", i.start);
    assert!(within(&i.end, last, 120), "end {}", i.end);
    // The requests that never came between the first and the last failure.
    let truth = lost
        .borrow()
        .iter()
        .filter(|s| (first..=last).contains(*s))
        .count() as f64;
    let got = impact.requests_lost_estimate as f64;
    assert!(
        (got - truth).abs() / truth < 0.05,
        "lost {got}, truth {truth} ({impact:#?})"
    );
}
