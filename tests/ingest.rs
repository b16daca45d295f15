//! The ingest driver end to end: detection across a folder of every format, line accounting,
//! compression, zones and years, and results that do not depend on chunking or threads.

mod common;

use common::{Recorder, assert_accounted, run};
use pmtrace::format::{self, Parsed};
use pmtrace::ingest::{FormatRule, FormatRules, HostRule, HostRules, IngestOptions};
use pmtrace::time::{Timestamp, ZoneRule, ZoneRules, days_from_civil};
use proptest::prelude::*;
use std::fs;
use std::io::Write;
use std::path::Path;

fn opts() -> IngestOptions {
    IngestOptions::default()
}

/// Each format's samples, written as a file of their own, in one folder.
fn write_format_folder(dir: &Path) {
    for f in format::ALL {
        let text: String = f.samples.iter().map(|s| format!("{}\n", s.line)).collect();
        fs::write(dir.join(format!("{}.log", f.name)), text).unwrap();
    }
}

#[test]
fn detects_every_format_in_a_mixed_folder_and_accounts_for_every_line() {
    let dir = tempfile::tempdir().unwrap();
    write_format_folder(dir.path());
    let results = run(&[dir.path()], &opts());
    assert_eq!(results.len(), format::ALL.len());
    for r in &results {
        assert_accounted(r);
        let expected = Path::new(&r.summary.path)
            .file_stem()
            .unwrap()
            .to_string_lossy();
        assert_eq!(r.summary.format, expected, "{}", r.summary.path);
        assert_eq!(r.summary.unparsed_lines, 0, "{}", r.summary.path);
        assert!(r.summary.first_ts.is_some());
        assert!(r.error.is_none());
    }
}

#[test]
fn accounting_holds_for_odd_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let access = r#"127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326 "-" "x""#;
    let mut content = Vec::new();
    content.extend_from_slice(b"\n\n");
    content.extend_from_slice(format!("{access}\r\n").as_bytes());
    content.extend_from_slice(b"garbage \xff\xfe\x00 line\n");
    content.extend_from_slice(b"   \t \n");
    content.extend_from_slice(format!("{access}\n").as_bytes());
    content.extend_from_slice(&vec![b'z'; (1 << 20) + 100]);
    content.extend_from_slice(b"\n");
    content.extend_from_slice(access.as_bytes()); // no final newline
    let path = dir.path().join("odd.log");
    fs::write(&path, &content).unwrap();
    for chunk in [1u64, 7, 64, 1 << 20] {
        let o = IngestOptions {
            chunk_size: chunk,
            ..opts()
        };
        let r = &run(&[&path], &o)[0];
        assert_accounted(r);
        let s = &r.summary;
        assert_eq!(s.format, "combined");
        assert_eq!(
            (s.lines, s.events, s.blank_lines, s.unparsed_lines),
            (8, 3, 3, 2),
            "chunk {chunk}"
        );
        assert_eq!(s.truncated_lines, 1);
        assert_eq!(s.skipped_bytes, 100);
    }
}

#[test]
fn empty_and_unknown_files_are_reported_not_dropped() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("empty.log"), b"").unwrap();
    fs::write(
        dir.path().join("README"),
        b"This is not a log.\nNeither is this.\n",
    )
    .unwrap();
    let results = run(&[dir.path()], &opts());
    let by_name = |n: &str| {
        results
            .iter()
            .find(|r| r.summary.path.ends_with(n))
            .unwrap()
    };
    let empty = by_name("empty.log");
    assert_eq!(
        (empty.summary.format.as_str(), empty.summary.lines),
        ("unknown", 0)
    );
    let readme = by_name("README");
    assert_eq!(
        (
            readme.summary.format.as_str(),
            readme.summary.unparsed_lines
        ),
        ("unknown", 2)
    );
    results.iter().for_each(assert_accounted);
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn access_lines(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "10.0.{}.{} - - [14/Nov/2024:14:{:02}:{:02} +0000] \"GET /item/{i} HTTP/1.1\" {} 512 \"-\" \"t\" 0.0{:02} 0.001\n",
                i / 250,
                i % 250,
                (i / 60) % 60,
                i % 60,
                if i % 17 == 0 { 503 } else { 200 },
                i % 100
            )
        })
        .collect()
}

#[test]
fn compressed_inputs_match_plain_and_truncation_keeps_what_was_read() {
    let dir = tempfile::tempdir().unwrap();
    let text = access_lines(3000);
    let plain = dir.path().join("access.log");
    fs::write(&plain, &text).unwrap();
    fs::write(dir.path().join("access.log.1.gz"), gzip(text.as_bytes())).unwrap();
    fs::write(
        dir.path().join("access.log.2.zst"),
        zstd::encode_all(text.as_bytes(), 3).unwrap(),
    )
    .unwrap();
    let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    bz.write_all(text.as_bytes()).unwrap();
    fs::write(dir.path().join("access.log.3.bz2"), bz.finish().unwrap()).unwrap();
    // A gzip file cut in half: the first part still reads, and the error names it.
    let gz = gzip(text.as_bytes());
    fs::write(dir.path().join("cut.log.gz"), &gz[..gz.len() / 2]).unwrap();

    let results = run(&[dir.path()], &opts());
    let order: Vec<&str> = results.iter().map(|r| r.summary.compression).collect();
    // The rotated family reads oldest first.
    assert_eq!(order, vec!["bzip2", "zstd", "gzip", "none", "gzip"]);
    let reference = &results[3];
    assert_eq!(reference.summary.events, 3000);
    for r in &results[..3] {
        assert_accounted(r);
        assert_eq!(r.sink.events, reference.sink.events, "{}", r.summary.path);
        assert_eq!(r.summary.format, "nginx_timed");
    }
    let cut = &results[4];
    assert_accounted(cut);
    assert!(cut.opened);
    assert!(
        cut.summary.events > 100 && cut.summary.events < 3000,
        "{:?}",
        cut.summary
    );
    let err = cut.error.as_deref().expect("truncation is reported");
    assert!(err.contains("gzip stream is damaged"), "{err}");
}

#[test]
fn zones_apply_by_glob_and_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let line = "2024-07-01 12:00:00,000 ERROR boom\n";
    fs::write(dir.path().join("berlin-app.log"), line).unwrap();
    fs::write(dir.path().join("utc-app.log"), line).unwrap();
    fs::write(
        dir.path().join("stated.log"),
        "2024-07-01T12:00:00+02:00 ERROR boom\n",
    )
    .unwrap();
    let o = IngestOptions {
        zones: ZoneRules::new(vec![ZoneRule::parse("berlin-*=Europe/Berlin").unwrap()]),
        formats: FormatRules::new(vec![FormatRule::parse("generic").unwrap()]),
        ..opts()
    };
    let results = run(&[dir.path()], &o);
    let get = |n: &str| {
        &results
            .iter()
            .find(|r| r.summary.path.ends_with(n))
            .unwrap()
            .summary
    };
    assert_eq!(
        get("berlin-app.log").first_ts.as_deref(),
        Some("2024-07-01T10:00:00Z")
    );
    assert_eq!(
        get("berlin-app.log").assumed_tz.as_deref(),
        Some("Europe/Berlin")
    );
    assert_eq!(
        get("utc-app.log").first_ts.as_deref(),
        Some("2024-07-01T12:00:00Z")
    );
    assert_eq!(get("utc-app.log").assumed_tz.as_deref(), Some("UTC"));
    // A line that states its offset assumes nothing.
    assert_eq!(
        get("stated.log").first_ts.as_deref(),
        Some("2024-07-01T10:00:00Z")
    );
    assert_eq!(get("stated.log").assumed_tz, None);
}

/// Sets a file's modification time to midnight UTC of a date.
fn set_modified(path: &std::path::Path, year: i64, month: u32, day: u32) {
    let t = std::time::UNIX_EPOCH
        + std::time::Duration::from_secs((days_from_civil(year, month, day) * 86_400) as u64);
    fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(t)
        .unwrap();
}

/// A yearless format: the generic fallback reads BSD syslog timestamps without a year.
#[test]
fn yearless_lines_cross_new_year_counting_back_from_mtime() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("messages");
    let text =
        "Dec 31 23:59:58 web1 app: last of the year\nJan  1 00:00:03 web1 app: first of the next\n";
    fs::write(&path, text).unwrap();
    set_modified(&path, 2025, 1, 2);
    let o = IngestOptions {
        formats: FormatRules::new(vec![FormatRule::parse("generic").unwrap()]),
        ..opts()
    };
    for chunk in [1u64, 1 << 20] {
        let r = &run(
            &[&path],
            &IngestOptions {
                chunk_size: chunk,
                ..o.clone()
            },
        )[0];
        assert_eq!(r.summary.first_ts.as_deref(), Some("2024-12-31T23:59:58Z"));
        assert_eq!(r.summary.last_ts.as_deref(), Some("2025-01-01T00:00:03Z"));
    }
}

/// A yearless syslog copied long after it was written takes its year from the dated logs
/// beside it, not from its modification time.
#[test]
fn yearless_files_take_their_year_from_the_dated_files_beside_them() {
    let dir = tempfile::tempdir().unwrap();
    let syslog = dir.path().join("syslog");
    fs::write(
        &syslog,
        "Nov 14 10:35:07 app2 sudo[23111]: deploy : TTY=pts/0 ; USER=root ; COMMAND=/usr/sbin/iptables -L\n\
         Nov 14 10:36:00 app2 kernel: [1234.5] eth0: link up\n",
    )
    .unwrap();
    // Copied off the machine in March 2026.
    set_modified(&syslog, 2026, 3, 2);
    let alone = run(&[&syslog], &opts());
    assert_eq!(
        alone[0].summary.first_ts.as_deref(),
        Some("2025-11-14T10:35:07Z"),
        "alone, the modification time is all there is"
    );
    let app = dir.path().join("app.log");
    fs::write(
        &app,
        "2024-11-14 10:30:00,000 INFO started\n2024-11-14 10:35:30,000 ERROR connection refused\n",
    )
    .unwrap();
    let both = run(&[&syslog, &app], &opts());
    assert_eq!(
        both[0].summary.first_ts.as_deref(),
        Some("2024-11-14T10:35:07Z")
    );
    assert_eq!(
        both[0].summary.last_ts.as_deref(),
        Some("2024-11-14T10:36:00Z")
    );
}

#[test]
fn multiline_events_keep_their_continuations_across_chunk_boundaries() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for i in 0..200 {
        text.push_str(&format!(
            "2024-11-14 14:02:{:02},000 ERROR request {i} failed\n",
            i % 60
        ));
        for j in 0..(i % 7) {
            text.push_str(&format!("\tat com.example.Frame{j}.call(Frame.java:{j})\n"));
        }
    }
    let path = dir.path().join("app.log");
    fs::write(&path, &text).unwrap();
    let o = IngestOptions {
        formats: FormatRules::new(vec![FormatRule::parse("generic").unwrap()]),
        ..opts()
    };
    let reference = &run(
        &[&path],
        &IngestOptions {
            chunk_size: 1 << 30,
            ..o.clone()
        },
    )[0];
    for chunk in [1u64, 50, 333, 4096] {
        let r = &run(
            &[&path],
            &IngestOptions {
                chunk_size: chunk,
                ..o.clone()
            },
        )[0];
        assert_accounted(r);
        assert_eq!(r.summary, reference.summary, "chunk {chunk}");
        assert_eq!(r.sink.events, reference.sink.events, "chunk {chunk}");
        assert_eq!(
            r.sink.continuations, reference.sink.continuations,
            "chunk {chunk}"
        );
    }
    assert_eq!(reference.summary.unparsed_lines, 0);
}

/// Lines drawn from every format's samples plus noise, for the property test.
fn line_pool() -> Vec<String> {
    let mut pool: Vec<String> = format::ALL
        .iter()
        .chain([&format::FALLBACK])
        .flat_map(|f| f.samples.iter().map(|s| s.line.to_string()))
        .collect();
    pool.extend(
        [
            "",
            "   ",
            "\tat x.y(Z.java:1)",
            "garbage",
            "Caused by: java.io.IOException",
        ]
        .map(String::from),
    );
    pool
}

fn run_text(
    text: &[u8],
    chunk: u64,
    threads: usize,
    forced: Option<&str>,
) -> pmtrace::ingest::FileResult<Recorder> {
    let dir = tempfile::tempdir().unwrap();
    run_in(dir.path(), text, chunk, threads, forced)
}

fn run_in(
    dir: &Path,
    text: &[u8],
    chunk: u64,
    threads: usize,
    forced: Option<&str>,
) -> pmtrace::ingest::FileResult<Recorder> {
    let path = dir.join("input.log");
    fs::write(&path, text).unwrap();
    run_with(&path, chunk, threads, forced)
}

/// `path` read with this chunk (or block) size and thread count, in `forced` format if given.
fn run_with(
    path: &Path,
    chunk: u64,
    threads: usize,
    forced: Option<&str>,
) -> pmtrace::ingest::FileResult<Recorder> {
    let o = IngestOptions {
        chunk_size: chunk,
        threads,
        formats: FormatRules::new(
            forced
                .map(|f| FormatRule::parse(f).unwrap())
                .into_iter()
                .collect(),
        ),
        ..opts()
    };
    run(&[path], &o).pop().unwrap()
}

/// The pool's lines at `picks`, and a format to read them in: sometimes none (detect), mostly
/// one forced, so that every parser meets every line.
fn pooled_text(picks: &[usize], format_pick: usize) -> (String, Option<&'static str>) {
    let pool = line_pool();
    let text = picks
        .iter()
        .map(|i| format!("{}\n", pool[i % pool.len()]))
        .collect();
    let names: Vec<&'static str> = format::ALL
        .iter()
        .map(|f| f.name)
        .chain([format::FALLBACK.name])
        .collect();
    let forced = (!format_pick.is_multiple_of(3)).then(|| names[format_pick % names.len()]);
    (text, forced)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Chunk size and thread count never change the events, their order, or the accounting.
    #[test]
    fn chunking_and_threads_never_change_results(
        picks in prop::collection::vec(0usize..1000, 0..120),
        chunk in 1u64..2000,
        threads in 1usize..5,
        format_pick in 0usize..100,
    ) {
        let (text, forced) = pooled_text(&picks, format_pick);
        let dir = tempfile::tempdir().unwrap();
        let reference = run_in(dir.path(), text.as_bytes(), 1 << 30, 1, forced);
        let r = run_in(dir.path(), text.as_bytes(), chunk, threads, forced);
        assert_accounted(&r);
        prop_assert_eq!(&r.summary, &reference.summary);
        prop_assert_eq!(&r.sink.events, &reference.sink.events);
        prop_assert_eq!(&r.sink.continuations, &reference.sink.continuations);
    }

    /// A compressed stream read in blocks on the pool gives what reading it whole gives, cut
    /// short or not: the events, their order, the accounting and the error.
    #[test]
    fn compressed_blocks_never_change_results(
        picks in prop::collection::vec(0usize..1000, 0..120),
        chunk in 1u64..2000,
        threads in 2usize..5,
        format_pick in 0usize..100,
        cut_at in prop::option::of(0.0f64..1.0),
    ) {
        let (text, forced) = pooled_text(&picks, format_pick);
        let mut gz = gzip(text.as_bytes());
        if let Some(at) = cut_at {
            gz.truncate((gz.len() as f64 * at) as usize);
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("input.log.gz");
        fs::write(&path, &gz).unwrap();
        let reference = run_with(&path, 1 << 30, 1, forced);
        let r = run_with(&path, chunk, threads, forced);
        assert_accounted(&r);
        prop_assert_eq!(&r.summary, &reference.summary);
        prop_assert_eq!(&r.error, &reference.error);
        prop_assert_eq!(&r.sink.events, &reference.sink.events);
        prop_assert_eq!(&r.sink.continuations, &reference.sink.continuations);
    }

    /// Any bytes at all: no panic, and every line accounted for.
    #[test]
    fn arbitrary_bytes_are_accounted(bytes in prop::collection::vec(any::<u8>(), 0..4000), chunk in 1u64..600) {
        let r = run_text(&bytes, chunk, 2, None);
        assert_accounted(&r);
        let newlines = bytes.iter().filter(|b| **b == b'\n').count() as u64;
        let expected = newlines + u64::from(!bytes.is_empty() && bytes.last() != Some(&b'\n'));
        prop_assert_eq!(r.summary.lines, expected);
    }
}

/// A line longer than a block, in a compressed stream read in blocks: the rest of the stream
/// is read whole from there, and long lines are cut as they always are.
#[test]
fn compressed_lines_longer_than_a_block_read_as_a_whole_stream_reads_them() {
    let mut text = access_lines(40);
    text.push_str(&"x".repeat(5_000));
    text.push('\n');
    text.push_str(&access_lines(40));
    text.push_str(&"y".repeat((1 << 20) + 10));
    text.push('\n');
    text.push_str(&access_lines(3));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.log.gz");
    fs::write(&path, gzip(text.as_bytes())).unwrap();
    let reference = run_with(&path, 1 << 30, 1, None);
    assert_eq!(reference.summary.events, 83);
    assert_eq!(reference.summary.truncated_lines, 1);
    for chunk in [1u64, 700, 4096, 1 << 20] {
        let r = run_with(&path, chunk, 2, None);
        assert_accounted(&r);
        assert_eq!(r.summary, reference.summary, "chunk {chunk}");
        assert_eq!(r.sink.events, reference.sink.events, "chunk {chunk}");
    }
}

/// A stack trace longer than a block looks back for an event start, in a compressed stream:
/// every continuation line still reaches the sink, as when the stream is read whole.
#[test]
fn compressed_stack_traces_longer_than_a_block_keep_their_continuations() {
    let mut text = String::new();
    for i in 0..30 {
        text.push_str(&format!(
            "2024-11-14 14:02:{i:02}.123 [http-nio-8080-exec-7] ERROR com.example.Shop - request {i} failed\n"
        ));
        let frames = if i == 7 { 40_000 } else { i % 5 };
        for j in 0..frames {
            text.push_str(&format!("\tat com.example.Frame{j}.call(Frame.java:{j})\n"));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log.gz");
    fs::write(&path, gzip(text.as_bytes())).unwrap();
    let reference = run_with(&path, 1 << 30, 1, Some("java"));
    assert_eq!(reference.summary.format, "java");
    assert!(reference.summary.continuation_lines > 40_000);
    for chunk in [4096u64, 1 << 20] {
        let r = run_with(&path, chunk, 2, Some("java"));
        assert_accounted(&r);
        assert_eq!(r.summary, reference.summary, "chunk {chunk}");
        assert_eq!(r.sink.events, reference.sink.events, "chunk {chunk}");
        assert_eq!(
            r.sink.continuations, reference.sink.continuations,
            "chunk {chunk}"
        );
    }
}

#[test]
fn sample_times_are_monotonic_within_generated_access_log() {
    let text = access_lines(500);
    let r = run_text(text.as_bytes(), 512, 2, None);
    let times: Vec<Timestamp> = r.sink.events.iter().filter_map(|e| e.time).collect();
    assert_eq!(times.len(), 500);
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    // Lines parse to the format that detection chose.
    let f = format::by_name(&r.summary.format).unwrap();
    assert!(matches!(
        (f.parse)(text.lines().next().unwrap().as_bytes()),
        Parsed::Event(_)
    ));
}

#[test]
fn rotated_member_that_detection_cannot_read_takes_the_family_format() {
    let dir = tempfile::tempdir().unwrap();
    // The older rotation starts deep inside a stack trace: no event among the 1,000 lines
    // detection scores, so it cannot be detected on its own.
    let mut older = "\tat com.example.Frame.call(Frame.java:1)\n".repeat(1500);
    older.push_str("2024-11-14 14:00:00,000 [main] ERROR com.example.App - after the trace\n");
    fs::write(dir.path().join("app.log.1"), older).unwrap();
    fs::write(
        dir.path().join("app.log"),
        "2024-11-14 15:00:00,000 [main] INFO com.example.App - fine\n",
    )
    .unwrap();
    let results = run(&[dir.path()], &opts());
    assert_eq!(
        results[0].summary.path,
        dir.path().join("app.log.1").to_string_lossy()
    );
    assert_eq!(results[0].summary.format, results[1].summary.format);
    assert_eq!(results[0].summary.events, 1);
    results.iter().for_each(assert_accounted);
}

#[test]
fn a_thirty_megabyte_line_is_counted_once_and_truncated() {
    let dir = tempfile::tempdir().unwrap();
    let access =
        "127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1 \"-\" \"x\"\n";
    let huge = vec![b'A'; 30 << 20];
    let mut with_after = Vec::new();
    with_after.extend_from_slice(access.as_bytes());
    with_after.extend_from_slice(&huge);
    with_after.push(b'\n');
    with_after.extend_from_slice(access.as_bytes());
    fs::write(dir.path().join("middle.log"), &with_after).unwrap();
    fs::write(dir.path().join("only.log"), &huge).unwrap();
    let results = run(
        &[dir.path()],
        &IngestOptions {
            chunk_size: 4 << 20,
            ..opts()
        },
    );
    let middle = &results[0].summary;
    assert_eq!(
        (middle.lines, middle.events, middle.unparsed_lines),
        (3, 2, 1)
    );
    assert_eq!(middle.truncated_lines, 1);
    assert_eq!(middle.skipped_bytes, (30 << 20) - (1 << 20));
    let only = &results[1].summary;
    assert_eq!((only.lines, only.format.as_str()), (1, "unknown"));
    results.iter().for_each(assert_accounted);
}

#[test]
fn a_rotation_that_starts_mid_entry_continues_the_previous_one() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("app.log.1"),
        "2024-11-14 14:00:00,000 [main] ERROR com.example.App - boom\n\tat a.B(C.java:1)\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("app.log"),
        "\tat d.E(F.java:2)\n2024-11-14 15:00:00,000 [main] INFO com.example.App - fine\n",
    )
    .unwrap();
    // The same lines alone: nothing before them to continue.
    fs::write(
        dir.path().join("lone.log"),
        "\tat d.E(F.java:2)\n2024-11-14 15:00:00,000 [main] INFO com.example.App - fine\n",
    )
    .unwrap();
    let results = run(&[dir.path()], &opts());
    let get = |n: &str| {
        &results
            .iter()
            .find(|r| r.summary.path.ends_with(n))
            .unwrap()
            .summary
    };
    assert_eq!(
        (
            get("app.log").continuation_lines,
            get("app.log").unparsed_lines
        ),
        (1, 0)
    );
    assert_eq!(
        (
            get("lone.log").continuation_lines,
            get("lone.log").unparsed_lines
        ),
        (0, 1)
    );
    results.iter().for_each(assert_accounted);
}

#[test]
fn unrelated_files_named_like_rotations_keep_their_own_reading() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("test.1"),
        "2024-11-14 14:00:00,000 [main] ERROR com.example.App - boom\n",
    )
    .unwrap();
    fs::write(dir.path().join("test.0"), "nothing\nlike a log\nhere\n").unwrap();
    let results = run(&[dir.path()], &opts());
    let zero = &results
        .iter()
        .find(|r| r.summary.path.ends_with("test.0"))
        .unwrap()
        .summary;
    assert_eq!((zero.format.as_str(), zero.unparsed_lines), ("unknown", 3));
}

#[test]
fn hosts_come_from_the_line_or_else_from_host_rules() {
    let dir = tempfile::tempdir().unwrap();
    let web1 = dir.path().join("web1");
    fs::create_dir(&web1).unwrap();
    fs::write(web1.join("access.log"), access_lines(2)).unwrap();
    fs::write(
        dir.path().join("messages"),
        "Nov 14 14:02:11 db-7 kernel: Out of memory: Killed process 4242 (postgres)\n",
    )
    .unwrap();
    let o = IngestOptions {
        hosts: HostRules::new(vec![
            HostRule::parse("fallback-host").unwrap(),
            HostRule::parse("web1/*=web-1").unwrap(),
        ]),
        ..opts()
    };
    let results = run(&[dir.path()], &o);
    let get = |n: &str| {
        &results
            .iter()
            .find(|r| r.summary.path.ends_with(n))
            .unwrap()
            .sink
    };
    assert!(
        get("access.log")
            .events
            .iter()
            .all(|e| e.host.as_deref() == Some("web-1"))
    );
    // The syslog line names its own host, which wins over the rule.
    assert_eq!(get("messages").events[0].host.as_deref(), Some("db-7"));
}
