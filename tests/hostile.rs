//! Hostile input (issue #6): whatever was copied off a dying machine, pmtrace must not be the
//! second thing that fails. Each test builds bad inputs in a temp dir beside a good log and
//! runs the binary: the exit status, one stderr line naming the bad file, the accounting of
//! every input (`lines = events + continuation_lines + unparsed_lines + blank_lines`, skipped
//! bytes with their reason) and the good log's full results are all checked. The command
//! line's side (exit codes, escaping, standard input and output) is in `hostile_cli.rs`.

mod hostile_support;

use hostile_support::*;
use serde_json::Value;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

#[test]
fn random_binary_data_is_read_as_unknown_lines() {
    let dir = tempfile::tempdir().unwrap();
    let good = good_log(dir.path());
    let bin = dir.path().join("core.bin");
    fs::write(&bin, noise(1 << 20, 7)).unwrap();
    let (code, doc, _) = report(&[path(&bin), path(&good)]);
    assert_eq!(code, 0);
    assert_accounted(&doc);
    assert_good(&doc, &good);
    let b = input(&doc, &bin);
    assert!(n(b, "lines") > 1000, "{b:#}");
}

#[test]
fn damaged_compressed_files_keep_what_decodes_and_say_what_was_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = good_log(d);
    let text = fs::read(&good).unwrap().repeat(200);
    let whole = gzip(&text);

    let truncated = d.join("truncated.log.gz");
    fs::write(&truncated, &whole[..whole.len() / 2]).unwrap();
    let mut flipped = whole.clone();
    let mid = flipped.len() / 2;
    flipped[mid..mid + 64].iter_mut().for_each(|b| *b ^= 0x5a);
    let corrupt = d.join("corrupt.log.gz");
    fs::write(&corrupt, &flipped).unwrap();
    let mut tail = whole.clone();
    tail.extend(noise(5000, 3));
    let garbage_tail = d.join("garbage-tail.log.gz");
    fs::write(&garbage_tail, &tail).unwrap();
    let zst = zstd::encode_all(&text[..], 3).unwrap();
    let truncated_zst = d.join("truncated.log.zst");
    fs::write(&truncated_zst, &zst[..zst.len() * 2 / 3]).unwrap();
    let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    bz.write_all(&text).unwrap();
    let bz = bz.finish().unwrap();
    let truncated_bz2 = d.join("truncated.log.bz2");
    fs::write(&truncated_bz2, &bz[..bz.len() - 100]).unwrap();

    let files = [
        &truncated,
        &corrupt,
        &garbage_tail,
        &truncated_zst,
        &truncated_bz2,
    ];
    let mut args: Vec<&str> = files.iter().map(|p| path(p)).collect();
    args.push(path(&good));
    let (code, doc, err) = report(&args);
    assert_eq!(code, 0);
    assert_accounted(&doc);
    assert_good(&doc, &good);
    for f in files {
        assert_named(&err, f, "stream is damaged");
        let i = input(&doc, f);
        assert_eq!(skipped_reasons(i), vec!["damaged_stream"], "{i:#}");
    }
    // Everything before the damage is there.
    assert!(n(input(&doc, &truncated), "events") > 1000);
    // A whole member then garbage: every line, and the garbage counted as skipped.
    let g = input(&doc, &garbage_tail);
    assert_eq!(n(g, "lines"), GOOD_LINES * 200);
    assert!((5000..5100).contains(&n(g, "skipped_bytes")), "{g:#}");
    // Flipped bytes mid-stream: what follows them is skipped, not silently dropped.
    assert!(n(input(&doc, &corrupt), "skipped_bytes") > 0);
}

#[test]
fn a_thirty_megabyte_line_costs_one_megabyte_and_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let good = good_log(dir.path());
    let long = dir.path().join("long.log");
    // Two lines, then 30 MB without a newline, as a file of NULs or a dump would end.
    let mut bytes = b"first\nsecond\n".to_vec();
    bytes.extend(vec![b'x'; 30 << 20]);
    fs::write(&long, bytes).unwrap();
    let (code, doc, err) = report(&[path(&long), path(&good)]);
    assert_eq!(code, 0);
    assert_accounted(&doc);
    assert_good(&doc, &good);
    assert_named(
        &err,
        &long,
        "longer than 1048576 bytes were cut there, the first at line 3",
    );
    let l = input(&doc, &long);
    assert_eq!(n(l, "lines"), 3);
    assert_eq!(skipped_reasons(l), vec!["line_too_long"]);
    assert_eq!(n(l, "skipped_bytes"), (30 << 20) - (1 << 20));
}

#[test]
fn nuls_invalid_utf8_crlf_and_empty_files_are_read_line_by_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = good_log(d);
    let text = fs::read_to_string(&good).unwrap();
    let crlf = d.join("crlf.log");
    fs::write(&crlf, text.replace('\n', "\r\n")).unwrap();
    let nul = d.join("nul.log");
    fs::write(
        &nul,
        b"\0\0\0\n2024-11-14 14:00:00.000 UTC [1] FATAL:  sorry, too many\0 clients already\n\0",
    )
    .unwrap();
    let utf8 = d.join("latin1.log");
    fs::write(
        &utf8,
        b"2024-11-14 14:00:00.000 UTC [1] ERROR:  relation \xe9t\xe9 does not exist\n\xff\xfe\xc3\x28\n",
    )
    .unwrap();
    let empty = d.join("empty.log");
    fs::write(&empty, b"").unwrap();
    let (code, doc, _) = report(&[
        path(&crlf),
        path(&nul),
        path(&utf8),
        path(&empty),
        path(&good),
    ]);
    assert_eq!(code, 0);
    assert_accounted(&doc);
    assert_good(&doc, &good);
    // CRLF reads exactly as LF.
    let c = input(&doc, &crlf);
    assert_eq!((n(c, "lines"), n(c, "events")), (GOOD_LINES, GOOD_LINES));
    assert_eq!(c["first_ts"], input(&doc, &good)["first_ts"]);
    assert_eq!(n(input(&doc, &nul), "lines"), 3);
    let u = input(&doc, &utf8);
    assert_eq!((n(u, "lines"), n(u, "events")), (2, 1));
    let e = input(&doc, &empty);
    assert_eq!((n(e, "lines"), e["format"].as_str()), (0, Some("unknown")));
}

#[test]
fn a_folder_of_non_logs_is_read_as_unknown_beside_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = good_log(d);
    fs::write(
        d.join("README.md"),
        "# Incident bundle\n\nCopied from db1 at 03:12.\n",
    )
    .unwrap();
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend(noise(20_000, 11));
    fs::write(d.join("screenshot.png"), png).unwrap();
    fs::write(d.join("notes.docx"), noise(4096, 5)).unwrap();
    let (code, doc, _) = report(&[path(d)]);
    assert_eq!(code, 0);
    assert_accounted(&doc);
    assert_good(&doc, &good);
    assert_eq!(doc["inputs"].as_array().unwrap().len(), 4);
    assert_eq!(input(&doc, &d.join("README.md"))["format"], "unknown");
}

#[test]
fn deep_folders_and_symlink_loops_are_walked_once_and_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = good_log(d);
    let mut deep = d.to_path_buf();
    for _ in 0..400 {
        deep.push("d");
    }
    fs::create_dir_all(&deep).unwrap();
    fs::copy(&good, deep.join("deep.log")).unwrap();
    // Links back up the tree: every folder is still read once.
    std::os::unix::fs::symlink(d, deep.join("up")).unwrap();
    std::os::unix::fs::symlink(".", d.join("d").join("here")).unwrap();
    let (code, doc, _) = report(&[path(d)]);
    assert_eq!(code, 0);
    assert_accounted(&doc);
    assert_good(&doc, &good);
    assert_good(&doc, &deep.join("deep.log"));
    assert_eq!(doc["inputs"].as_array().unwrap().len(), 2);
}

#[test]
fn devices_are_refused_and_fifos_never_hang() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = good_log(d);
    let fifo = d.join("stale.fifo");
    mkfifo(&fifo);

    // Named on their own: /dev/zero is refused, a FIFO nobody writes to given up.
    let (code, doc, err) = report(&["--fifo-wait", "0.3", "/dev/zero", path(&fifo), path(&good)]);
    assert_eq!(code, 0);
    assert_named(&err, Path::new("/dev/zero"), "is a device");
    assert_named(&err, &fifo, "no process wrote to this FIFO");
    assert_accounted(&doc);
    assert_good(&doc, &good);
    assert_eq!(doc["inputs"].as_array().unwrap().len(), 1);

    // Nothing else: nothing could be read.
    assert_eq!(run(&["formats", "/dev/zero"], None).status.code(), Some(1));

    // Inside a folder: skipped, and said so.
    let (code, doc, err) = report(&[path(d)]);
    assert_eq!(code, 0);
    assert_named(&err, &fifo, "skipped: a FIFO");
    assert_good(&doc, &good);

    // A FIFO that is written to is read to its end.
    let writer_path = fifo.clone();
    let text = fs::read(&good).unwrap();
    let writer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        let mut w = fs::OpenOptions::new()
            .write(true)
            .open(writer_path)
            .unwrap();
        w.write_all(&text).unwrap();
    });
    let (code, doc, _) = report(&[path(&fifo)]);
    writer.join().unwrap();
    assert_eq!(code, 0);
    assert_good(&doc, &fifo);
}

#[test]
fn out_of_order_and_absurd_timestamps_are_events_not_crashes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = good_log(d);
    let odd = d.join("odd.log");
    let mut s = String::new();
    for year in [
        "2024", "1970", "0001", "9999", "1969", "2024", "0000", "2100", "1492", "2024",
    ] {
        s.push_str(&format!(
            "{year}-11-14 14:00:00.000 UTC [1] FATAL:  sorry, too many clients already\n"
        ));
    }
    s.push_str("+275760-09-13T00:00:00Z\n-0001-01-01 00:00:00.000 UTC [1] LOG:  x\n");
    s.push_str("2024-13-45 25:61:61.000 UTC [1] LOG:  impossible\n");
    fs::write(&odd, s).unwrap();
    let json = d.join("epochs.json");
    fs::write(
        &json,
        "{\"ts\":1e300,\"level\":\"error\",\"msg\":\"far\"}\n{\"ts\":-1e300,\"level\":\"error\",\"msg\":\"past\"}\n{\"ts\":\"NaN\",\"level\":\"error\",\"msg\":\"nan\"}\n{\"ts\":1731592931,\"level\":\"error\",\"msg\":\"ok\"}\n",
    )
    .unwrap();
    let (code, doc, _) = report(&[path(&odd), path(&json), path(&good)]);
    assert_eq!(code, 0);
    assert_accounted(&doc);
    let o = input(&doc, &odd);
    assert_eq!(n(o, "lines"), 13);
    assert!(n(o, "events") >= 10, "{o:#}");
    // The report still renders every time it holds.
    for e in doc["timeline"].as_array().unwrap() {
        assert!(e["first"].as_str().unwrap().ends_with('Z'), "{e}");
    }
    // The good log's entries are in its own, sane, years.
    assert_eq!(input(&doc, &good)["first_ts"], "2024-11-14T14:00:11.123Z");
}

#[test]
fn timestamps_scattered_over_centuries_give_few_entries_counting_everything() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = good_log(d);
    let scattered = d.join("scattered.log");
    let lines = 20_000u64;
    let mut s = String::new();
    for i in 0..lines {
        let j = (i * 7919) % lines;
        s.push_str(&format!(
            "{:04}-{:02}-{:02} 03:00:00.000 UTC [1] ERROR:  disk controller reset on port {i}\n",
            1100 + j % 8000,
            1 + j % 12,
            1 + j % 28
        ));
    }
    fs::write(&scattered, s).unwrap();
    let (code, doc, _) = report(&[path(&scattered), path(&good)]);
    assert_eq!(code, 0);
    assert_accounted(&doc);
    assert_good(&doc, &good);
    let from_scattered: Vec<&Value> = doc["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["location"]
                .as_str()
                .unwrap()
                .starts_with(path(&scattered))
        })
        .collect();
    assert!(from_scattered.len() <= 500, "{}", from_scattered.len());
    let counted: u64 = from_scattered.iter().map(|e| n(e, "count")).sum();
    assert_eq!(counted, lines);
}

/// A request log's incident is still found when a few of its lines carry absurd years: they
/// used to stretch the incident series over millennia and abort on an 800 GB allocation.
#[test]
fn requests_with_absurd_years_do_not_hide_or_break_the_incident() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = good_log(d);
    let access = d.join("access.log");
    let line = |year: u32, h: u32, m: u32, sec: u32, status: u32| {
        format!(
            "203.0.113.7 - - [14/Nov/{year}:{h:02}:{m:02}:{sec:02} +0000] \"GET /api/cart/1 HTTP/1.1\" {status} 157 \"-\" \"curl/8.5.0\"\n"
        )
    };
    let mut s = line(1024, 3, 0, 0, 502);
    for i in 0..7200u32 {
        let failing = (1800..3600).contains(&i) && i % 3 == 0;
        let status = if failing { 502 } else { 200 };
        s.push_str(&line(2024, 14 + i / 3600, i / 60 % 60, i % 60, status));
    }
    s.push_str(&line(9024, 3, 0, 0, 200));
    fs::write(&access, s).unwrap();
    let (code, doc, _) = report(&[path(&access), path(&good)]);
    assert_eq!(code, 0);
    assert_accounted(&doc);
    assert_good(&doc, &good);
    let incidents = doc["incidents"].as_array().unwrap();
    assert_eq!(incidents.len(), 1, "{incidents:#?}");
    assert!(
        incidents[0]["start"]
            .as_str()
            .unwrap()
            .starts_with("2024-11-14T14:3")
    );
}

/// Without request logs incidents come from the error lines, whose series a few absurd years
/// must not stretch over millennia either.
#[test]
fn error_lines_with_absurd_years_do_not_break_detection_without_requests() {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("app.log");
    let line = |year: u32, h: u32, m: u32, sec: u32, level: &str| {
        format!(
            "{year}-11-14 {h:02}:{m:02}:{sec:02},000 {level} [main] com.example.Shop - checkout done\n"
        )
    };
    let mut s = line(1024, 3, 0, 0, "ERROR");
    for i in 0..(4 * 3600u32) {
        if i % 10 == 0 {
            s.push_str(&line(2024, 12 + i / 3600, i / 60 % 60, i % 60, "INFO"));
        }
        if (5400..7200).contains(&i) && i % 5 == 0 {
            s.push_str(&line(2024, 12 + i / 3600, i / 60 % 60, i % 60, "ERROR"));
        }
    }
    s.push_str(&line(9024, 3, 0, 0, "ERROR"));
    fs::write(&app, s).unwrap();
    let (code, doc, _) = report(&[path(&app)]);
    assert_eq!(code, 0);
    assert_accounted(&doc);
    let incidents = doc["incidents"].as_array().unwrap();
    assert_eq!(incidents.len(), 1, "{incidents:#?}");
    assert_eq!(incidents[0]["detected_from"], "error_events");
    assert_eq!(incidents[0]["start"], "2024-11-14T13:30:00Z");
    assert_eq!(incidents[0]["end"], "2024-11-14T13:59:55Z");
}

#[test]
fn json_nested_ten_thousand_levels_deep_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = good_log(d);
    let deep = d.join("app.json");
    let mut s = String::new();
    for i in 0..20 {
        s.push_str(&format!(
            "{{\"time\":\"2024-11-14T14:00:{i:02}Z\",\"level\":\"error\",\"msg\":\"boom {i}\"}}\n"
        ));
    }
    let depth = 10_000;
    s.push_str(&format!(
        "{{\"time\":\"2024-11-14T14:01:00Z\",\"level\":\"error\",\"msg\":{}{}}}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    ));
    s.push_str(&format!(
        "{}1{}\n",
        "{\"a\":".repeat(depth),
        "}".repeat(depth)
    ));
    s.push_str(&format!("{}\n", "\"\\\\".repeat(depth)));
    fs::write(&deep, s).unwrap();
    let (code, doc, _) = report(&[path(&deep), path(&good)]);
    assert_eq!(code, 0);
    assert_accounted(&doc);
    assert_good(&doc, &good);
    let j = input(&doc, &deep);
    assert_eq!(j["format"], "json");
    assert_eq!(n(j, "lines"), 23);
}

#[test]
fn distinct_messages_beyond_the_template_bound_are_counted_not_kept() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = good_log(d);
    let many = d.join("app.log");
    let distinct = 30_000u64;
    let mut s = String::with_capacity(distinct as usize * 80);
    for i in 0..distinct {
        // Letters, so the template keeps them: every line its own message.
        let word: String = format!("{i:x}")
            .chars()
            .map(|c| (b'g' + c.to_digit(16).unwrap() as u8) as char)
            .collect();
        s.push_str(&format!(
            "2024-11-14 14:{:02}:{:02}.000 UTC [1] ERROR:  failure kind {word} in module\n",
            i / 600 % 60,
            i / 10 % 60
        ));
    }
    fs::write(&many, s).unwrap();
    // Small chunks: the bound must hold across merges too.
    let (code, doc, _) = report(&["--chunk-size", "65536", path(&many), path(&good)]);
    assert_eq!(code, 0);
    assert_accounted(&doc);
    assert_good(&doc, &good);
    let timeline = doc["timeline"].as_array().unwrap();
    let unclassified: Vec<&Value> = timeline
        .iter()
        .filter(|e| {
            e["files"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f == path(&many))
        })
        .collect();
    let overflow: u64 = unclassified
        .iter()
        .filter(|e| e["title"].as_str().unwrap().contains("beyond the first"))
        .map(|e| n(e, "count"))
        .sum();
    let total: u64 = unclassified.iter().map(|e| n(e, "count")).sum();
    // Nothing dropped: every occurrence is in an entry, the overflow holds the rest.
    assert_eq!(total, distinct);
    assert!(overflow >= distinct - 10_000, "{overflow}");
}

#[test]
fn files_that_change_while_read_never_crash_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = good_log(d);
    let live = d.join("live.log");
    let line = "2024-11-14 14:00:00.000 UTC [1] LOG:  still writing\n";
    fs::write(&live, line.repeat(20_000)).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let churn = {
        let (live, stop) = (live.clone(), std::sync::Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut i = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let f = fs::OpenOptions::new().append(true).open(&live).unwrap();
                if i % 3 == 2 {
                    // Truncated under the reader, as logrotate's copytruncate does.
                    f.set_len(1000).unwrap();
                } else {
                    (&f).write_all(line.repeat(2000).as_bytes()).unwrap();
                }
                i += 1;
            }
        })
    };
    for _ in 0..4 {
        let (code, doc, _) = report(&["--chunk-size", "100000", path(&live), path(&good)]);
        assert_eq!(code, 0);
        assert_accounted(&doc);
        assert_good(&doc, &good);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    churn.join().unwrap();
}
